"""negsim: run, compare and validate negotiation scenarios.

Heavy libraries (pandas, matplotlib, mesa) are imported inside the commands that need them, so
`negsim --help` and `negsim validate` answer quickly.  Errors are one line, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

DEFAULT_SEED = 20211217  # the day Russia published the drafts
DEFAULT_RUNS = 10_000
QUESTION = ("Do the talks persist when NATO accession is excluded from the table, "
            "and under what conditions does a deal on the rest form?")


class UsageError(Exception):
    """A problem with what the user asked for; printed as one line."""


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # e.g. `negsim run ... | head`: stop quietly, like other tools
        sys.stderr = sys.stdout = open(os.devnull, "w")
        return 141
    except KeyboardInterrupt:
        print("negsim: interrupted; nothing was written", file=sys.stderr)
        return 130
    except (UsageError, ValueError, OSError) as exc:  # ScenarioError is a ValueError
        print(f"negsim: error: {exc}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="negsim", description="Negotiation position simulator for the "
                                "December 2021 Russia-US-NATO security-guarantee drafts. " + QUESTION)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def batch_options(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("-n", "--runs", type=int, default=DEFAULT_RUNS, help=f"Monte Carlo runs per scenario (default {DEFAULT_RUNS:,})")
        sp.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"root seed (default {DEFAULT_SEED})")
        sp.add_argument("--out", type=Path, help="output folder for the per-run table(s) and figure")
        sp.add_argument("--engine", choices=("batch", "mesa"), default="batch",
                        help="batch: all runs at once through the array rules (default); mesa: one Mesa model per run (slow)")
        sp.add_argument("--workers", type=int, default=None,
                        help="worker processes (default: all cores; batches under 30,000 runs use one process)")
        sp.add_argument("--chunk-size", type=int, default=None, help="runs per task (default 2048)")
        sp.add_argument("--csv", action="store_true", help="also write the per-run table as CSV")
        sp.add_argument("--trace", action="store_true",
                        help="also write trace*.parquet: every actor's aspiration, position and best offer per round")
        sp.add_argument("--quiet", action="store_true", help="no progress bar")

    r = sub.add_parser("run", help="Monte Carlo batch of one scenario: summary table, per-run table, figure")
    r.add_argument("scenario", type=Path)
    batch_options(r)
    r.set_defaults(func=cmd_run)

    c = sub.add_parser("compare", help="two scenarios side by side with differences and intervals")
    c.add_argument("a", type=Path, metavar="A")
    c.add_argument("b", type=Path, metavar="B")
    batch_options(c)
    c.set_defaults(func=cmd_compare)

    from . import report, solve, sweep  # light: nothing heavy is imported until a command runs

    solve.register(sub)
    sweep.register(sub)
    report.register(sub)

    v = sub.add_parser("validate", help="check scenario files and say what is wrong, or that they are fine")
    v.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO")
    v.set_defaults(func=cmd_validate)
    return p


# ------------------------------------------------------------------ validate
def cmd_validate(args) -> int:
    from sim.layout import build_layout
    from sim.scenario import load_scenario

    failed = 0
    for path in args.scenarios:
        try:
            if _is_sweep_file(path):
                from analysis.sweep import load_sweep, n_points

                spec = load_sweep(path)
                print(f"{path}: OK: sweep of {Path(spec.scenario).name}: {spec.sampler}, {len(spec.params)} parameters, "
                      f"{n_points(spec):,} points x {spec.runs} runs")
                continue
            sc = load_scenario(path)
            lay = build_layout(sc)
        except ValueError as exc:
            print(f"negsim: error: {exc}", file=sys.stderr)
            failed += 1
            continue
        at = [a for a, r in zip(lay.actors, lay.required) if r]
        on = sum(sc.on_table(c) for c in lay.clauses)
        print(f"{path}: OK: scenario {sc.name!r}: {len(lay.actors)} actors ({len(at)} at the table: "
              f"{', '.join(at)}), {len(lay.clauses)} clauses ({on} on the table, {len(sc.agenda.caps)} capped), "
              f"{len(lay.instruments)} instruments, {sc.protocol.horizon} rounds of {sc.protocol.round_days:g} days")
    return 2 if failed else 0


def _is_sweep_file(path: Path) -> bool:
    import tomllib

    try:
        return "sweep" in tomllib.loads(path.read_text())
    except (OSError, ValueError):
        return False  # the scenario loader reports what is wrong


# ------------------------------------------------------------------ run / compare
def _check_batch_args(args) -> None:
    if args.runs < 1:
        raise UsageError(f"-n/--runs must be at least 1, got {args.runs}")
    if args.seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, got {args.seed}")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {args.workers}")
    if args.trace and args.engine == "mesa":
        raise UsageError("--trace needs the batch engine (the Mesa driver keeps its DataCollector instead)")
    if args.chunk_size is not None and args.chunk_size < 1:
        raise UsageError(f"--chunk-size must be at least 1, got {args.chunk_size}")


SUMMARY_COLUMNS = ["outcome", "rounds", "walkout_by", "blocking_clause"]


def _simulate(sc, args, stage: Path, filename: str):
    """Stream the batch to `stage/filename` (Parquet, chunk by chunk) and return the layout and a
    slim per-run frame (the columns the summary needs), so memory stays flat for any -n."""
    import pandas as pd
    from tqdm import tqdm

    from analysis.resultsfile import RunsWriter, run_metadata
    from sim.parallel import DEFAULT_CHUNK, default_workers, iter_batches
    from sim.results import batch_columns

    chunk = args.chunk_size or DEFAULT_CHUNK
    if args.engine == "mesa":
        from sim.model import simulate_mesa

        batches = (simulate_mesa(sc, args.seed, a, min(a + chunk, args.runs)) for a in range(0, args.runs, chunk))
    else:
        batches = iter_batches(sc, args.runs, args.seed, chunk, args.workers or default_workers(), args.trace)
    show = not args.quiet and sys.stderr.isatty()
    slim, layout = [], None
    with RunsWriter(stage / filename, run_metadata(sc, args.seed, args.runs, args.engine), csv=args.csv) as writer, \
            tqdm(total=args.runs, desc=sc.name, unit="run", disable=not show, leave=False, mininterval=0.5) as bar:
        for b in batches:
            writer.write(b)
            cols = batch_columns(b, sc.name)
            keep = SUMMARY_COLUMNS + [c for c in cols if c.startswith("outside_option.")]
            slim.append(pd.DataFrame({k: cols[k] for k in keep}))
            layout = b.layout
            bar.update(len(b))
    runs = pd.concat(slim, ignore_index=True)
    for c in ("outcome", "walkout_by", "blocking_clause"):
        runs[c] = runs[c].astype("category")
    return layout, runs


def _metrics(layout) -> list[str]:
    at = [a for a, r in zip(layout.actors, layout.required) if r]
    return ["agreement", "talks persist", "walkout"] + [f"walkout by {a}" for a in at] + ["ongoing"]


LABELS = {
    "agreement": "P(agreement)",
    "talks persist": "P(talks persist)",
    "walkout": "P(walkout)",
    "ongoing": "P(still talking at horizon)",
    "median rounds": "median rounds",
    "median rounds to agreement": "median rounds to agreement",
}


def _label(metric: str) -> str:
    return LABELS.get(metric, f"  P({metric})")


def _fmt(metric: str, e, signed: bool = False) -> str:
    return e.fmt(percent=not metric.startswith("median"), signed=signed)


def cmd_run(args) -> int:
    from sim.scenario import load_scenario

    _check_batch_args(args)
    sc = load_scenario(args.scenario)
    out = args.out or Path("results") / sc.name
    from analysis import plots, stats
    from analysis.tables import staged_output

    with staged_output(out) as stage:
        layout, runs = _simulate(sc, args, stage, "runs.parquet")
        metrics = _metrics(layout)
        summary = stats.summarise(runs, [a for a, r in zip(layout.actors, layout.required) if r])
        print(f"{sc.name}: {len(runs):,} runs, seed {args.seed}, engine {args.engine}, 95% intervals "
              "(shares: Wilson; median: order statistics)")
        for m in metrics + ["median rounds", "median rounds to agreement"]:
            print(f"  {_label(m):<30} {_fmt(m, summary[m])}")
        _print_blocking(stats, {sc.name: runs})
        plots.save(plots.run_figure(sc.name, runs, summary, metrics, layout.horizon), stage / "outcomes.png")
    extra = (", runs.csv" if args.csv else "") + (", trace.parquet" if args.trace else "")
    print(f"wrote {out}/runs.parquet (one row per run){extra} and {out}/outcomes.png")
    return 0


def cmd_compare(args) -> int:
    from sim.scenario import load_scenario

    _check_batch_args(args)
    sa, sb = load_scenario(args.a), load_scenario(args.b)
    if sa.name == sb.name:
        raise UsageError(f"{args.a} and {args.b} are both named {sa.name!r}; compare needs two scenarios")
    out = args.out or Path("results") / f"{sa.name}_vs_{sb.name}"
    from analysis import plots, stats
    from analysis.tables import staged_output

    with staged_output(out) as stage:
        lay_a, runs_a = _simulate(sa, args, stage, f"runs_{sa.name}.parquet")
        lay_b, runs_b = _simulate(sb, args, stage, f"runs_{sb.name}.parquet")
        metrics = list(dict.fromkeys(_metrics(lay_a) + _metrics(lay_b)))
        actors = [m.removeprefix("walkout by ") for m in metrics if m.startswith("walkout by ")]
        sum_a, sum_b = stats.summarise(runs_a, actors), stats.summarise(runs_b, actors)
        diff = stats.compare(runs_a, runs_b, actors, args.seed)

        print(QUESTION)
        print(f"{len(runs_a):,} runs per scenario, seed {args.seed}; 95% intervals (shares: Wilson; "
              "differences: Newcombe; medians: order statistics, difference: bootstrap)\n")
        w = 27
        print(f"  {'':<30} {sa.name:<{w}} {sb.name:<{w}} {'difference (B - A)':<{w}}")
        for m in metrics + ["median rounds"]:
            d = _fmt(m, diff[m], signed=True).replace("%", " pp", 1) if m in diff else ""
            print(f"  {_label(m):<30} {_fmt(m, sum_a[m]):<{w}} {_fmt(m, sum_b[m]):<{w}} {d}")
        _print_blocking(stats, {sa.name: runs_a, sb.name: runs_b})
        _print_conditions(sb.name, runs_b)
        print()
        print(_answer(sa.name, sb.name, sum_a, sum_b, diff))
        fig = plots.compare_figure({sa.name: runs_a, sb.name: runs_b}, {sa.name: sum_a, sb.name: sum_b},
                                   metrics, max(lay_a.horizon, lay_b.horizon), lay_a.round_days)
        plots.save(fig, stage / "compare.png")
    traces = f", trace_{sa.name}.parquet, trace_{sb.name}.parquet" if args.trace else ""
    print(f"\nwrote {out}/: runs_{sa.name}.parquet, runs_{sb.name}.parquet{traces}, compare.png")
    return 0


def _print_blocking(stats, runs_by_name) -> None:
    for name, runs in runs_by_name.items():
        top = stats.blocking_clauses(runs).head(3)
        if len(top):
            parts = ", ".join(f"{k} ({100 * v:.0f}%)" for k, v in top.items())
            print(f"  walkouts in {name}, by whom and over which clause: {parts}")


def _print_conditions(name: str, runs) -> None:
    """The answer by thirds of the outside option of the party that walks out most."""
    from analysis.outcomes import conditions

    table = conditions(runs)
    if table is None:
        return
    print(f"\n  Under what conditions, in {name}: by {table['actor'].iloc[0]}'s outside option at round 0 "
          "(thirds of the draws)")
    for _, x in table.iterrows():
        agree = _est(x["agreement"], x["agreement_low"], x["agreement_high"])
        persist = _est(x["persist"], x["persist_low"], x["persist_high"])
        print(f"    {x['third']:<7} ({x['low_value']:.2f}-{x['high_value']:.2f}): P(agreement) {agree:<22} "
              f"P(talks persist) {persist}")


def _est(value: float, low: float, high: float) -> str:
    from analysis.stats import Estimate

    return Estimate(value, low, high).fmt()


def _answer(a: str, b: str, sa, sb, diff) -> str:
    p = diff["talks persist"]
    g = diff["agreement"]
    direction = "more" if p.low > 0 else "less" if p.high < 0 else "no more and no less"
    return (f"Answer: with {b}, the talks persist (no required party walks out) in {sb['talks persist'].fmt()} "
            f"of runs against {sa['talks persist'].fmt()} with {a}: {direction} often "
            f"({p.fmt(signed=True).replace('%', ' pp', 1)}). A deal forms in {sb['agreement'].fmt()} "
            f"against {sa['agreement'].fmt()} ({g.fmt(signed=True).replace('%', ' pp', 1)}).")
