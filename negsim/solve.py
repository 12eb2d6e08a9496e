"""`negsim solve SCENARIO`: what bargaining theory predicts for a scenario (placeholder hook;
the command is being built)."""


def register(sub) -> None:
    p = sub.add_parser("solve", help="what bargaining theory predicts for a scenario (not built yet)")
    p.add_argument("scenario")
    p.set_defaults(func=cmd_solve)


def cmd_solve(args) -> int:
    raise NotImplementedError("negsim solve is not built yet")
