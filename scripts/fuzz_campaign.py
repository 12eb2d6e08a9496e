#!/usr/bin/env python3
"""The slow reliability campaign (issue 25, item 6): generated scenario files, sweep files,
command-line abuses, kills, damaged results files, security and data-loss probes; ends with a
summary table.  Not part of CI (it takes about an hour on two cores).

    .venv/bin/python scripts/fuzz_campaign.py --seed 1                  # this checkout
    .venv/bin/python scripts/fuzz_campaign.py --seed 1 --target ../old  # another checkout, same cases

Every case is rebuilt from (seed, class, index): `--only sweep:17,kill:3` reruns single cases and
`--keep DIR` keeps the failing case folders.  The scenario files come from tests/fuzz_scenarios.py
(loaded in forked children), everything else from tests/fuzz_commands.py (run as
`python -m negsim ...` with the target checkout first on the import path).  Exit status 1 if
any case failed, 2 on a usage or setup problem.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests import fuzz_commands as fc  # noqa: E402  (after the path: this checkout's generators)
from tests import fuzz_runner as fr  # noqa: E402
from tests import fuzz_scenarios as fz  # noqa: E402

DEFAULTS = {"scenario": 1650, "sweep": 150, "cli": len(fc.CLI_CASES), "kill": len(fc.KILLS), "damaged": 220,
            "security": 44, "dataloss": 20}
SCENARIO_CATEGORY = {"ok-refused": "ok-refused", "ok-loaded": "ok-accepted", "traceback": "traceback",
                     "silent-accept": "silent-accept", "bad-message": "bad-message",
                     "wrongly-refused": "wrongly-refused"}


def scenario_outcomes(n: int, seed: int, target: Path, jobs: int, log) -> list[fc.Outcome]:
    """The scenario-file fuzz of tests/fuzz_scenarios.py, loaded by the target's loader, as Outcomes."""
    sys.path.insert(0, str(target))
    for mod in [k for k in sys.modules if k == "sim" or k.startswith("sim.")]:
        del sys.modules[mod]
    api = fz.import_api()
    shipped = fz.load_shipped(target / "scenarios")
    mutations = fz.generate(n, seed, shipped=shipped)
    log(f"scenario files: {len(mutations)} mutations, loader {Path(api['module'].__file__).parent}")
    with fz.scratch_dir() as root:
        outs = fz.run(mutations, Path(root), jobs=jobs, timeout=10.0, mem_headroom=2 << 30, keep="none",
                      shipped=shipped, api=api)
    sys.path.remove(str(target))
    result = []
    for o in outs:
        m = o.mutation
        case = fc.Case(m.id, "scenario", m.label.split("/", 1)[-1] if "/" in m.label else m.cls, m.verdict, m.note)
        case.cls = "scenario"
        case.sub = m.label
        result.append(fc.Outcome(case, SCENARIO_CATEGORY[o.category], o.detail if o.failed else "", o.seconds))
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--target", type=Path, default=REPO, help="the checkout to test (default: this one)")
    ap.add_argument("--jobs", type=int, default=2, help="cases at once (kills run alone)")
    for cls, n in DEFAULTS.items():
        ap.add_argument(f"--{cls}", type=int, default=n, metavar="N", help=f"{cls} cases (default {n})")
    ap.add_argument("--classes", help="comma-separated classes to run (default all)")
    ap.add_argument("--only", help="single cases, e.g. sweep:17,kill:3 (indices within their class)")
    ap.add_argument("--keep", type=Path, help="run the cases here and keep the failing ones")
    ap.add_argument("--json", type=Path, help="also write every outcome here")
    args = ap.parse_args(argv)
    target = args.target.resolve()
    if not (target / "negsim").is_dir():
        print(f"--target {target}: not a negsim checkout", file=sys.stderr)
        return 2
    counts = {cls: getattr(args, cls) for cls in DEFAULTS}
    if args.classes:
        wanted = args.classes.split(",")
        if bad := [c for c in wanted if c not in DEFAULTS]:
            print(f"unknown class(es) {', '.join(bad)}; classes: {', '.join(DEFAULTS)}", file=sys.stderr)
            return 2
        counts = {c: n for c, n in counts.items() if c in wanted}
    only: dict[str, list[int]] = {}
    for item in (args.only.split(",") if args.only else []):
        cls, _, i = item.partition(":")
        only.setdefault(cls, []).append(int(i))

    def log(s: str) -> None:
        print(s, file=sys.stderr, flush=True)

    t0 = time.monotonic()
    outcomes: list[fc.Outcome] = []
    if counts.get("scenario") and (not only or "scenario" in only):
        outcomes += scenario_outcomes(counts["scenario"], args.seed, target, args.jobs, log)
    cases = []
    ident = 100_000
    for cls, n in counts.items():
        if cls == "scenario":
            continue
        for i in (only.get(cls, []) if only else range(n)):
            cases.append(fc.case(args.seed, cls, i, ident))
            ident += 1
    ctx = fr.scratch() if not args.keep else None
    root = Path(ctx.name) if ctx else args.keep.resolve()
    root.mkdir(parents=True, exist_ok=True)
    fx = fr.Fixtures(root, target)
    fx.prepare(log)
    last = [time.monotonic()]

    def progress(done: int, total: int) -> None:
        if time.monotonic() - last[0] > 30 or done == total:
            last[0] = time.monotonic()
            log(f"  ... {done}/{total} command cases")

    try:
        outcomes += fr.run(fx, cases, jobs=args.jobs, keep=bool(args.keep), progress=progress)
    finally:
        if ctx:
            ctx.cleanup()
    minutes = (time.monotonic() - t0) / 60

    print(f"negsim reliability campaign  {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"target {target}, seed {args.seed}, {len(outcomes)} cases in {minutes:.0f} min")
    print()
    print(fr.table(outcomes, lambda o: o.case.cls, "class"))
    print()
    failures = [o for o in outcomes if o.failed]
    groups: dict[tuple[str, str], list[fc.Outcome]] = {}
    for o in failures:
        groups.setdefault((o.category, o.case.label), []).append(o)
    print(f"FAILURES: {len(failures)} in {len(groups)} groups (category, class/sub, count, an example)")
    for (cat, label), os_ in sorted(groups.items()):
        o = os_[0]
        print(f"  {cat:<17} {label:<34} x{len(os_):<4} #{o.case.id}: {fz._short(o.case.note, 80)}\n"
              f"{'':<20}-> {fz._short(o.detail, 240)}")
    if args.json:
        save(args.json, outcomes)
    print("\n" + fz.result_line(failures, fc.FAILURES))
    return 1 if failures else 0


def save(path: Path, outcomes: list[fc.Outcome]) -> None:
    """Every outcome as JSON (the case as generated, without its file contents)."""
    rows = [dict(vars(o.case), files=sorted(o.case.files), category=o.category, detail=o.detail) for o in outcomes]
    path.write_text(json.dumps(rows, indent=1, default=str))


if __name__ == "__main__":
    sys.exit(main())
