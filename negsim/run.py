"""`negsim run SCENARIO`: a Monte Carlo batch of one scenario; its summary table, per-run table
(runs.parquet) and figure.  Its heading comes first, before pandas, Numba and matplotlib load
(issue 22: the first line within 2 s of a warm start)."""

from __future__ import annotations

from pathlib import Path

from sim.scenario import load_scenario
from storage.manifest import identity
from storage.outdir import Output
from storage.text import plural, term_line

from . import batch
from .common import say_first
from .jsonout import run_summary


def default_out(args) -> Path:
    """results/<scenario name>."""
    return batch.default_out([args.scenario])


def cmd_run(args) -> int:
    batch.check_args(args)
    sc = load_scenario(args.scenario)
    out = args.out or default_out(args)
    # Write first, print after: the results are printed once every file is in place, so neither a
    # closed pipe nor a failing print loses the run.  Only the heading, which holds no result,
    # comes first, so the user sees at once what is being run.
    with Output(out, identity("run", [sc], args.seed, args.runs), force=args.force) as o:
        if not args.json:
            say_first(f"{term_line(sc.name, 200)}: {plural(args.runs, 'run')}, seed {args.seed}, engine {args.engine}, "
                      "95% intervals (shares: Wilson; median: order statistics)")
        from analysis import plots, stats  # pandas and matplotlib: after the heading (see the module's doc)
        from . import batch_run  # pyarrow and Numba: after the heading too

        layout, runs, _ = batch_run.simulate(sc, args, o.stage, "runs.parquet")
        metrics = batch_run.metric_names(layout)
        summary = stats.summarise(runs, [a for a, r in zip(layout.actors, layout.required) if r])
        plots.save(plots.run_figure(sc.name, runs, summary, metrics, layout.horizon), o.stage / "outcomes.png")
        o.commit(runs=["runs.parquet"])
    if args.json:
        files = ["runs.parquet"] + (["runs.csv"] if args.csv else []) + (["trace.parquet"] if args.trace else []) \
            + ["outcomes.png", "manifest.json"]
        print(run_summary(sc.name, args, sc.protocol.horizon_days, metrics, summary, out, files))
        return 0
    for m in metrics + ["median rounds"]:
        print(f"  {term_line(batch_run.label(m)):<30} {batch_run.fmt(m, summary[m])}")
    to_agreement = batch_run.to_agreement(runs, summary["median rounds to agreement"])
    print(f"  {batch_run.label('median rounds to agreement'):<30} {to_agreement}")
    batch_run.median_note([summary["median rounds"], summary["median rounds to agreement"]])
    batch_run.print_blocking({sc.name: runs})
    batch_run.print_holdouts([(sc, runs)])
    extra = (", runs.csv" if args.csv else "") + (", trace.parquet" if args.trace else "")
    print(f"wrote {term_line(out)}/: runs.parquet (one row per run){extra}, outcomes.png, manifest.json")
    return 0
