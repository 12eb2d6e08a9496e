#!/usr/bin/env python3
"""Fuzz the scenario loader with mutated copies of the shipped scenarios (issue 11, item 6).

    .venv/bin/python scripts/fuzz_scenarios.py --n 1500 --seed 7

Prints counts per class and per verdict, every failure (class, file, the exception's last line)
and the distinct failures; exits 1 if there is any traceback, silent accept, bad message or
wrongly refused file (2 on a usage or setup problem).  Every case is rebuilt from (seed, index),
so `--only 17,42` reruns single cases; `--keep DIR` keeps the failing case folders to look at.
The generator and classifier live in tests/fuzz_scenarios.py.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1500, help="number of mutations (default 1500)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2, help="cases run at once (default 2)")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per case before it counts as a hang")
    ap.add_argument("--mem-gib", type=float, default=2.0, help="address space a case may add (RLIMIT_AS headroom)")
    ap.add_argument("--no-simulate", action="store_true", help="only load; skip build_layout + simulate(sc, 2)")
    ap.add_argument("--classes", help="comma-separated classes to draw from (default all)")
    ap.add_argument("--every-leaf", action="store_true",
                    help="also one wrong-type mutation at every leaf of every shipped scenario (class every-leaf)")
    ap.add_argument("--only", help="comma-separated case indices to run (from the same --n/--seed schedule)")
    ap.add_argument("--keep", type=Path, help="write the cases here and keep the failing ones")
    ap.add_argument("--scenarios", type=Path, help="the scenarios to mutate (default: scenarios/ of this checkout)")
    ap.add_argument("--sim-root", type=Path, help="import `sim` from this folder instead (e.g. an old checkout)")
    ap.add_argument("--json", type=Path, help="also write every outcome here")
    ap.add_argument("--retry-import", type=int, default=3, help="retries, a minute apart, if `sim` fails to import")
    ap.add_argument("--list-classes", action="store_true")
    args = ap.parse_args(argv)

    sys.path.insert(0, str(REPO))
    if args.sim_root:
        sys.path.insert(0, str(args.sim_root.resolve()))
    from tests import fuzz_scenarios as fz

    if args.list_classes:
        for c, (gen, w) in fz.GENERATORS.items():
            print(f"{c:<20} weight {w:>2}  {gen.__name__}")
        return 0
    classes = args.classes.split(",") if args.classes else None
    if classes and (bad := [c for c in classes if c not in fz.GENERATORS]):
        print(f"unknown class(es): {', '.join(bad)}; see --list-classes", file=sys.stderr)
        return 2

    t0 = time.monotonic()
    shipped = fz.load_shipped(args.scenarios or fz.SCENARIOS)
    sched = fz.schedule(args.n, args.seed, classes)
    idx = range(args.n) if not args.only else [int(x) for x in args.only.split(",")]
    mutations = [fz.mutation(args.seed, i, sched[i], shipped) for i in idx]
    if args.every_leaf:
        mutations += fz.every_leaf(args.seed, args.n, shipped)
    t_gen = time.monotonic() - t0

    try:
        api = fz.import_api(args.retry_import, 60.0, log=lambda s: print(s, file=sys.stderr, flush=True))
    except Exception as exc:  # noqa: BLE001
        print(f"cannot import sim: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    mod_file = Path(api["module"].__file__)
    digests = []
    for f in ("scenario.py", "schema.py"):
        p = mod_file.parent / f
        if p.exists():
            digests.append(f"{f} {hashlib.sha256(p.read_bytes()).hexdigest()[:12]}")

    root_ctx = fz.scratch_dir() if not args.keep else None
    root = Path(root_ctx.name) if root_ctx else args.keep.resolve()
    root.mkdir(parents=True, exist_ok=True)
    warm = fz.warm_up(api, shipped, root) if not args.no_simulate else "skipped (--no-simulate)"

    print(f"negsim scenario fuzz  {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
    print(f"seed {args.seed}, {len(mutations)} mutations ({t_gen:.1f} s to generate), jobs {args.jobs}, "
          f"timeout {args.timeout:g} s, memory headroom {args.mem_gib:g} GiB, simulate {not args.no_simulate}")
    print(f"loader: {mod_file.parent}  ({', '.join(digests)})")
    print(f"scenarios mutated: {shipped.folder}: {', '.join(shipped.names)}"
          + (f" (copied alongside: {', '.join(shipped.support)})" if shipped.support else ""))
    print(f"warm-up (load base.toml + simulate 2 runs in the parent): {warm or 'ok'}")
    print(flush=True)

    last = [time.monotonic()]

    def progress(done: int, total: int) -> None:
        if time.monotonic() - last[0] > 15 or done == total:
            last[0] = time.monotonic()
            print(f"  ... {done}/{total} cases", file=sys.stderr, flush=True)

    t1 = time.monotonic()
    outcomes = fz.run(mutations, root, jobs=args.jobs, timeout=args.timeout, mem_headroom=int(args.mem_gib * (1 << 30)),
                      simulate=not args.no_simulate, keep="failures" if args.keep else "none", shipped=shipped,
                      api=api, progress=progress, warm=False)
    t_run = time.monotonic() - t1

    print(fz.format_table(outcomes, lambda o: o.mutation.cls, "class"))
    print()
    print(fz.format_table(outcomes, lambda o: o.mutation.verdict, "verdict"))
    print()
    print(fz.format_table(outcomes, lambda o: o.mutation.label, "class/sub"))
    print()
    failures = [o for o in outcomes if o.failed]
    na = [o for o in outcomes if o.detail.startswith("check n/a")]
    slow = sorted(outcomes, key=lambda o: -o.seconds)[:3]
    print(f"run: {t_run:.1f} s; slowest: " + ", ".join(f"#{o.mutation.id} {o.mutation.label} {o.seconds:.1f} s" for o in slow))
    if na:
        print(f"post-load checks not possible on this model: {len(na)} (e.g. #{na[0].mutation.id}: {na[0].detail})")
    print()
    print(f"FAILURES: {len(failures)}  ({fz.summary(outcomes)})")
    for o in failures:
        print(fz.describe(o))
    if failures:
        print()
        groups = fz.distinct_failures(outcomes)
        print(f"DISTINCT FAILURES: {len(groups)} (category, class, count, example)")
        for n, o in groups:
            what = o.detail if o.category == "bad-message" else o.last_line
            print(f"  {o.category:<15} {o.mutation.cls:<19} x{n:<4} #{o.mutation.id} {o.mutation.label}: "
                  f"{fz._short(o.mutation.note, 90)}\n{'':<20}-> {fz._short(what, 220)}"
                  + (f"  [{o.where}]" if o.where else ""))
    if args.keep:
        print(f"\nfailing case folders kept under {root / 'cases'}")
    if args.json:
        args.json.write_text(json.dumps([
            {"id": o.mutation.id, "class": o.mutation.cls, "sub": o.mutation.sub, "verdict": o.mutation.verdict,
             "target": o.mutation.target, "note": o.mutation.note, "category": o.category, "detail": o.detail,
             "last_line": o.last_line, "where": o.where, "seconds": round(o.seconds, 3)} for o in outcomes], indent=1))
    if root_ctx:
        root_ctx.cleanup()
    print("\n" + fz.result_line(failures, fz.FAILURES))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
