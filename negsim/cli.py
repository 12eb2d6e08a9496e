"""negsim: run, compare and validate negotiation scenarios.

Heavy libraries (pandas, matplotlib, mesa) are imported inside the commands that need them, so
`negsim --help` and `negsim validate` answer quickly.  Errors are one line, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from analysis.study import DEFAULT_RUNS, DEFAULT_SEED, HALF_YEAR_DAY, QUESTION, TALKS_ENDED_DAY
from storage.outdir import plural

MIN_PARALLEL_RUNS = 50_000  # experiments.runner.MIN_PARALLEL_RUNS (checked by a test; not imported: --help stays light)

from storage.outdir import COMMITTED
from storage.text import term_line

from .common import (MAX_RUNS, MIB_PER_MILLION_RUNS, GuardedStdout, Terminated, UsageError, check_seed, check_workers,
                     error_text, folder_arg, interrupted, say, say_first, silence_stdout, terminate_as_interrupt)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    COMMITTED.clear()  # what this command writes decides the line after an interrupt
    stdout = sys.stdout
    sys.stdout = guarded = GuardedStdout(stdout)
    try:
        with terminate_as_interrupt():
            rc = _run(args)
    finally:
        sys.stdout = stdout
    if guarded.failed is not None and rc in (0, 141):  # the work went on; say once that stdout could not
        say(f"negsim: error: {error_text(guarded.failed)}")
        return 2
    return rc


def _run(args) -> int:
    try:
        rc = args.func(args)
        sys.stdout.flush()  # a full stdout fails here at the latest
        return rc
    except BrokenPipeError:  # e.g. `negsim run ... | head`: results are already written; stop quietly
        silence_stdout()
        return 141
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (common.Terminated)
        say(interrupted(exc))
        return 143 if isinstance(exc, Terminated) else 130
    except (UsageError, ValueError, OSError) as exc:  # ScenarioError is a ValueError
        say(f"negsim: error: {error_text(exc)}")
        return 2
    except RecursionError as exc:
        say(f"negsim: error: {term_line(exc)} (input nested too deeply)")
        return 2


class Parser(argparse.ArgumentParser):
    """argparse with its usage errors on one line, like every other error."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {term_line(message)} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="negsim", description="Negotiation position simulator for the "
                                "December 2021 Russia-US-NATO security-guarantee drafts. " + QUESTION)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def batch_options(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("-n", "--runs", type=int, default=DEFAULT_RUNS, help=f"Monte Carlo runs per scenario (default {DEFAULT_RUNS:,})")
        sp.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"root seed (default {DEFAULT_SEED})")
        sp.add_argument("--out", type=folder_arg, help="output folder for the per-run table(s), figure and manifest "
                        "(default results/<scenario name>/, or results/<A>_vs_<B>/ for compare)")
        sp.add_argument("--engine", choices=("batch", "mesa"), default="batch",
                        help="batch: all runs at once through the array rules (default); mesa: one Mesa model per run (slow)")
        sp.add_argument("--workers", type=int, default=None,
                        help=f"worker processes (default: all cores; batches under {MIN_PARALLEL_RUNS:,} runs use one "
                        "process, since starting workers costs more than they save)")
        sp.add_argument("--chunk-size", type=int, default=None, help="runs per task (default 2048)")
        sp.add_argument("--csv", action="store_true", help="also write the per-run table as CSV")
        sp.add_argument("--trace", action="store_true",
                        help="also write trace*.parquet: every actor's aspiration, position and best offer per round")
        sp.add_argument("--quiet", action="store_true", help="no progress bar")
        sp.add_argument("--json", action="store_true",
                        help="print one JSON summary instead of the text (keys: README, 'Machine-readable output')")
        sp.add_argument("--force", action="store_true",
                        help="use --out even if it holds another command's results (clears negsim's files there first)")

    r = sub.add_parser("run", help="Monte Carlo batch of one scenario: summary table, per-run table, figure")
    r.add_argument("scenario", type=Path)
    batch_options(r)
    r.set_defaults(func=cmd_run, default_out=lambda args: _default_out([args.scenario]))

    c = sub.add_parser("compare", help="two or more scenarios side by side, each against the first, with intervals")
    c.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO",
                   help="A B [C ...]: differences are taken against A (the first)")
    batch_options(c)
    c.add_argument("--models", default="abm", metavar="abm,bdm",
                   help="model families: abm (the agent-based model, default) and bdm (Bueno de Mesquita's "
                   "expected-utility model on the same draws: its answer is added side by side, docs/model.md section 8)")
    c.set_defaults(func=cmd_compare, default_out=lambda args: _default_out(args.scenarios))

    # light: nothing heavy until used; through importlib because negsim.robust, .explain and .sweep
    # name the Python API's functions (negsim/__init__.py)
    for command in ("solve", "backtest", "robust", "channels", "discover", "explain", "explore", "sweep", "report", "elicit",
                    "reweight", "validate"):
        importlib.import_module(f"negsim.{command}").register(sub)
    return p


# ------------------------------------------------------------------ run / compare
def _default_out(paths) -> Path:
    """run: results/<scenario name>; compare: results/<A>_vs_<B>[_vs_<C>...]."""
    from sim.scenario import load_scenario
    from storage.outdir import safe_name

    return Path("results") / safe_name("_vs_".join(safe_name(load_scenario(p).name) for p in paths), 160)


def _check_batch_args(args) -> None:
    """Everything about the numbers asked for, checked before any work."""
    if args.runs < 1:
        raise UsageError(f"-n/--runs must be at least 1, got {args.runs}")
    if args.runs > MAX_RUNS:
        raise UsageError(f"-n/--runs: at most {MAX_RUNS:,} runs per scenario, got {args.runs:,} (the summary kept "
                         f"in memory takes ~{MIB_PER_MILLION_RUNS} MiB per million runs, "
                         f"~{args.runs / 1e6 * MIB_PER_MILLION_RUNS / 1024:,.1f} GiB here); split the work over seeds")
    check_seed(args.seed)
    args.workers = check_workers(args.workers)
    if args.trace and args.engine == "mesa":
        raise UsageError("--trace needs the batch engine (the Mesa driver keeps its DataCollector instead)")
    if args.chunk_size is not None and args.chunk_size < 1:
        raise UsageError(f"--chunk-size must be at least 1, got {args.chunk_size}")


SUMMARY_COLUMNS = ["run", "outcome", "rounds", "days", "walkout_by", "walkout_rule", "shortfall"]
CONDITION_RUNS = 100_000  # runs whose drawn inputs are kept in memory for the PRIM sentence
RECORD_DAY = TALKS_ENDED_DAY  # the invasion: a reference, not a target


def _simulate(sc, args, stage: Path, filename: str, extra=None):
    """Stream the batch to `stage/filename` (Parquet, chunk by chunk) and return the layout and a
    slim per-run frame (the columns the summary needs), so memory stays flat for any -n.
    extra(batch), if given, adds columns for the batch's runs (kept in the frame too)."""
    import pandas as pd
    from tqdm import tqdm

    from storage.resultsfile import RunsWriter, run_metadata
    from storage.outdir import term_line as _term_line
    from experiments.runner import DEFAULT_CHUNK, batches as runner_batches, default_workers
    from storage.runtable import batch_columns

    chunk = args.chunk_size or DEFAULT_CHUNK
    batches = runner_batches(sc, args.runs, args.seed, chunk=chunk, workers=args.workers or default_workers(),
                             trace=args.trace, engine=args.engine)
    show = not args.quiet and sys.stderr.isatty()
    slim, layout = [], None
    with RunsWriter(stage / filename, run_metadata(sc, args.seed, args.runs, args.engine), csv=args.csv) as writer, \
            tqdm(total=args.runs, desc=_term_line(sc.name, 40), unit="run", disable=not show, leave=False, mininterval=0.5) as bar:
        for b in batches:
            more = extra(b) if extra else {}
            writer.write(b, more)
            cols = {**batch_columns(b, sc.name), **more}
            keep = SUMMARY_COLUMNS + [c for c in cols if c.startswith("outside_option.")]
            keep += ["run", "seed", *more] if more else []
            if sum(map(len, slim)) < CONDITION_RUNS:  # the drawn inputs of the first runs, for "under what conditions"
                keep += [c for c in cols if c.startswith("input.")]
            slim.append(pd.DataFrame({k: cols[k] for k in keep}))
            layout = b.layout
            bar.update(len(b))
    runs = pd.concat(slim, ignore_index=True)
    for c in ("outcome", "walkout_by", "walkout_rule", "shortfall"):
        runs[c] = runs[c].astype("category")
    return layout, runs


def _metrics(layout) -> list[str]:
    from analysis.metrics import share_names

    return share_names([a for a, r in zip(layout.actors, layout.required) if r])


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
    from storage.manifest import identity
    from storage.outdir import Output, term_line
    from sim.scenario import load_scenario

    _check_batch_args(args)
    sc = load_scenario(args.scenario)
    out = args.out or _default_out([args.scenario])
    # Write first, print after: the results are printed once every file is in place, so neither a
    # closed pipe nor a failing print loses the run.  Only the heading, which holds no result,
    # comes first, so the user sees at once what is being run.
    with Output(out, identity("run", [sc], args.seed, args.runs), force=args.force) as o:
        if not args.json:
            say_first(f"{term_line(sc.name, 200)}: {plural(args.runs, 'run')}, seed {args.seed}, engine {args.engine}, "
                      "95% intervals (shares: Wilson; median: order statistics)")
        from analysis import plots, stats

        layout, runs = _simulate(sc, args, o.stage, "runs.parquet")
        metrics = _metrics(layout)
        summary = stats.summarise(runs, [a for a, r in zip(layout.actors, layout.required) if r])
        plots.save(plots.run_figure(sc.name, runs, summary, metrics, layout.horizon), o.stage / "outcomes.png")
        o.commit(runs=["runs.parquet"])
    if args.json:
        from .jsonout import run_summary

        files = ["runs.parquet"] + (["runs.csv"] if args.csv else []) + (["trace.parquet"] if args.trace else []) \
            + ["outcomes.png", "manifest.json"]
        print(run_summary(sc.name, args, sc.protocol.horizon_days, metrics, summary, out, files))
        return 0
    for m in metrics + ["median rounds"]:
        print(f"  {term_line(_label(m)):<30} {_fmt(m, summary[m])}")
    print(f"  {_label('median rounds to agreement'):<30} {_to_agreement(runs, summary['median rounds to agreement'])}")
    _median_note([summary["median rounds"], summary["median rounds to agreement"]])
    _print_blocking(stats, {sc.name: runs})
    _print_holdouts([(sc, runs)])
    extra = (", runs.csv" if args.csv else "") + (", trace.parquet" if args.trace else "")
    print(f"wrote {term_line(out)}/: runs.parquet (one row per run){extra}, outcomes.png, manifest.json")
    return 0


def cmd_compare(args) -> int:
    from storage.manifest import identity
    from storage.outdir import Output, safe_name, term_line
    from sim.scenario import load_scenario

    if len(args.scenarios) < 2:
        raise UsageError("compare needs two or more scenarios (differences are taken against the first)")
    _check_batch_args(args)
    scs = [load_scenario(p) for p in args.scenarios]
    files = [safe_name(sc.name) for sc in scs]
    for k in range(len(scs)):
        for j in range(k):
            if scs[k].name == scs[j].name or files[k] == files[j]:
                raise UsageError(f"{term_line(args.scenarios[j])} and {term_line(args.scenarios[k])} give the same "
                                 f"name {term_line(files[k], 80)!r}; compare needs scenarios with different names "
                                 "(meta.name)")
    out = args.out or _default_out(args.scenarios)
    names = [term_line(sc.name, 200) for sc in scs]
    from experiments import families as models

    try:
        bdm = "bdm" in models.parse_models(args.models)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    with Output(out, identity("compare", scs, args.seed, args.runs), force=args.force) as o:
        if not args.json:
            say_first(_question(scs, names))  # the question holds no result (see cmd_run)
        from analysis import families, plots, stats

        sims = [_simulate(sc, args, o.stage, f"runs_{f}.parquet",
                          (lambda b, sc=sc: models.bdm_columns(sc, args.seed, b.run)) if bdm else None)
                for sc, f in zip(scs, files)]
        layouts, runs = [x[0] for x in sims], [x[1] for x in sims]
        metrics = list(dict.fromkeys(m for lay in layouts for m in _metrics(lay)))
        actors = [m.removeprefix("walkout by ") for m in metrics if m.startswith("walkout by ")]
        sums = [stats.summarise(r, actors) for r in runs]
        fig = plots.compare_figure({sc.name: r for sc, r in zip(scs, runs)}, {sc.name: s for sc, s in zip(scs, sums)},
                                   metrics, {sc.name: lay.days for sc, lay in zip(scs, layouts)})
        plots.save(fig, o.stage / "compare.png")
        o.commit(runs=[f"runs_{f}.parquet" for f in files])

    from analysis.comparison import comparison_table
    from analysis.stats import Estimate

    pairings = [_pairing(args.seed, layouts[0], runs[0], lay, r) for lay, r in zip(layouts, runs)]
    horizon = max(sc.protocol.horizon_days for sc in scs)
    table = comparison_table([sc.name for sc in scs], runs, pairings, metrics, (RECORD_DAY, HALF_YEAR_DAY, horizon),
                             horizon)
    if args.json:
        from .jsonout import compare_summary

        answers = []
        for k in range(1, len(scs)):
            ans = _answer(scs[0], scs[k], [sc.name for sc in scs], k, runs, pairings[k], horizon, args.seed)
            answers.append({"a": scs[0].name, "b": scs[k].name, "text": ans.text().splitlines()[0], "why": ans.why})
        files = [f"runs_{f}.parquet" for f in files] + ([f"trace_{f}.parquet" for f in files] if args.trace else []) \
            + ["compare.png", "manifest.json"]
        print(compare_summary([sc.name for sc in scs], args, horizon, metrics, sums, table, answers, out, files))
        return 0
    print(f"{plural(len(runs[0]), 'run')} per scenario, seed {args.seed} (run i takes the same random numbers in every "
          "scenario); 95% intervals (shares: Wilson; medians: order statistics, difference: bootstrap)\n")
    for k in range(1, len(scs)):
        if k > 1:
            print()
        diff = {r.metric: Estimate(r.difference, r.low, r.high)
                for r in table[(table["b"] == scs[k].name) & table["by_horizon"]].itertuples()}
        diff["median rounds"] = stats.median_difference(runs[0]["rounds"].to_numpy(), runs[k]["rounds"].to_numpy(),
                                                        args.seed)
        w = 27
        print(f"  {'':<30} {names[0]:<{w}} {names[k]:<{w}} {'difference (B - A)':<{w}}")
        for m in metrics + ["median rounds"]:
            d = _fmt(m, diff[m], signed=True).replace("%", " pp", 1) if m in diff else ""
            print(f"  {term_line(_label(m)):<30} {_fmt(m, sums[0][m]):<{w}} {_fmt(m, sums[k][m]):<{w}} {d}")
        print(f"  (shares above are by the horizon, day {horizon:g}; median rounds are meetings held)")
        print(term_line(f"  ({pairings[k].note()})", 400))
        _median_note([sums[0]["median rounds"], sums[k]["median rounds"]])
        _print_over_time(table, scs[k].name)
    _print_blocking(stats, {sc.name: r for sc, r in zip(scs, runs)})
    _print_holdouts(zip(scs, runs))
    for sc, r in zip(scs, runs):
        _print_conditions(sc.name, r)
    for k in range(1, len(scs)):
        print()
        for line in _answer(scs[0], scs[k], names, k, runs, pairings[k], horizon, args.seed).text().splitlines():
            print(term_line(line, 4000))
    for k in range(1, len(scs) if bdm else 1):
        print("\n" + "\n".join(families.lines((names[0], names[k]), runs[0], runs[k], horizon,
                                                families.agenda_changes(scs[0], scs[k]))))
    traces = "".join(f", trace_{f}.parquet" for f in files) if args.trace else ""
    print(f"\nwrote {term_line(out)}/: {', '.join(f'runs_{f}.parquet' for f in files)}{traces}, compare.png, "
          "manifest.json")
    return 0


def _to_agreement(runs, median) -> str:
    """The median meetings to agreement, over how many agreements; none: nothing to time."""
    from sim.codes import Outcome

    k = int((runs["outcome"] == Outcome.AGREEMENT).sum())
    if k == 0:
        return "no agreement to time"
    return f"{_fmt('median rounds', median)} (over {plural(k, 'agreement')})"


SHORTFALLS_SHOWN = 3  # the largest; the rest are summed as "other"


def _print_blocking(stats, runs_by_name) -> None:
    from storage.outdir import term_line

    for name, runs in runs_by_name.items():
        shares = stats.shortfalls(runs)
        top, rest = shares.head(SHORTFALLS_SHOWN), float(shares.iloc[SHORTFALLS_SHOWN:].sum())
        if len(top):
            parts = [f"{term_line(k, 200)} ({_share(v)})" for k, v in top.items()]
            if rest > 0:
                parts.append(f"other ({_share(rest)})")
            print(f"  walkouts in {term_line(name, 200)}, by who left and the demand on which what it held fell "
                  f"furthest short, as a share of walkouts (a description, not a cause): {', '.join(parts)}")


def _print_holdouts(scenarios) -> None:
    """Why a party that gains from no deal ends the talks in walkouts (analysis/holdouts.py)."""
    from analysis.holdouts import holdout_line
    from storage.outdir import term_line

    for sc, runs in scenarios:
        line = holdout_line(sc, runs)
        if line:
            print(term_line(f"  {line}", 2000))


def _question(scs, names) -> str:
    """The study's question when the comparison takes accession off the table; else what is compared."""
    accession = ("us.4a", "nato.6")
    a_on = all(scs[0].on_table(c) for c in accession if c in scs[0].clause_ids)
    if a_on and any(all(not sc.on_table(c) for c in accession if c in sc.clause_ids) for sc in scs[1:]):
        return QUESTION
    return f"How do {', '.join(names[1:])} differ from {names[0]}?"


def _share(v: float) -> str:
    """A share for a sentence: a share that rounds to 0% or 100% is not printed as one."""
    from analysis.stats import share_words

    return share_words(v)


def _print_conditions(name: str, runs) -> None:
    """Under what conditions a deal forms: the PRIM box over the drawn inputs, in words."""
    from analysis.discovery import conditions_in_words
    from storage.outdir import term_line

    inputs = [c for c in runs.columns if c.startswith("input.")]
    runs = runs.dropna(subset=inputs)  # the first CONDITION_RUNS runs keep their drawn inputs
    words = conditions_in_words(runs) if inputs else None
    if words is None:
        return
    print()
    print(term_line(f"  Under what conditions, in {name} (PRIM over the drawn inputs of {plural(len(runs), 'run')}; "
                    f"`negsim discover` for more): {words}", 2000))


def _median_note(estimates) -> None:
    """Say why a median's interval can be one value, so it does not read as certainty."""
    if any(e.low == e.high for e in estimates if e.low == e.low):
        print("  (a median's interval of one value: runs end at whole meetings, and the order statistics that "
              "bound the 95% interval fall on the same meeting; not certainty)")


def _est(value: float, low: float, high: float) -> str:
    from analysis.stats import Estimate

    return Estimate(value, low, high).fmt()


def _print_over_time(table, b: str) -> None:
    """The answer over time: shares by each day (days after 17 Dec 2021), and B - A
    (analysis.comparison's rows for scenario B)."""
    from analysis.stats import Estimate

    print(f"\n  over time (days after 17 Dec 2021; day {RECORD_DAY} is the invasion, a reference, not a target):")
    rows = table[(table["b"] == b) & ~table["by_horizon"]]
    for r in rows.itertuples():
        label = {"agreement": "P(agreement by day D)", "walkout": "P(walkout by day D)"}.get(
            r.metric, "P(talks persist to day D)").replace("D", f"{r.day:g}")
        ea, eb = Estimate(r.share_a, r.share_a_low, r.share_a_high), Estimate(r.share_b, r.share_b_low, r.share_b_high)
        d = Estimate(r.difference, r.low, r.high)
        print(f"  {label:<30} {ea.fmt():<27} {eb.fmt():<27} {d.fmt(signed=True).replace('%', ' pp', 1)}")


def _answer(sc_a, sc_b, names, k, runs, pairing, horizon: float, seed: int):
    """The question's answer in words (analysis.answer), with why when no package anyone could
    sign changes between the two (analysis.signable)."""
    from analysis.answer import answer
    from analysis.signable import same_signable_packages

    why = same_signable_packages(sc_a, sc_b, seed) if pairing.paired else None
    return answer(names[0], names[k], runs[0], runs[k], pairing, horizon, why.line(names[0], names[k]) if why else None)


def _pairing(seed: int, layout_a, runs_a, layout_b, runs_b):
    """Run i of A against run i of B, once checked that they share their draws (analysis.pairing)."""
    from analysis.pairing import Draws, Pairing
    from sim.params import draw_plan

    return Pairing(Draws(seed, draw_plan(layout_a).n_uniforms, runs_a["run"].to_numpy()),
                   Draws(seed, draw_plan(layout_b).n_uniforms, runs_b["run"].to_numpy()))
