"""`negsim compare A B [C ...]`: two or more scenarios side by side on the same draws, each
against the first, with paired intervals; the answer to the study's question in words."""

from __future__ import annotations

from pathlib import Path

from analysis import families, stats
from analysis.answer import answer
from analysis.comparison import comparison_table
from analysis.pairing import Draws, Pairing
from analysis.signable import same_signable_packages
from analysis.stats import Estimate
from analysis.study import HALF_YEAR_DAY, QUESTION, TALKS_ENDED_DAY
from experiments import families as models
from sim.params import draw_plan
from sim.scenario import load_scenario
from storage.manifest import identity
from storage.outdir import Output
from storage.text import plural, safe_name, term_line

from . import batch, batch_run
from .common import UsageError, say_first
from .jsonout import compare_summary

RECORD_DAY = TALKS_ENDED_DAY  # the invasion: a reference, not a target


def default_out(args) -> Path:
    """results/<A>_vs_<B>[_vs_<C>...]."""
    return batch.default_out(args.scenarios)


def cmd_compare(args) -> int:
    if len(args.scenarios) < 2:
        raise UsageError("compare needs two or more scenarios (differences are taken against the first)")
    batch.check_args(args)
    scs = [load_scenario(p) for p in args.scenarios]
    files = [safe_name(sc.name) for sc in scs]
    for k in range(len(scs)):
        for j in range(k):
            if scs[k].name == scs[j].name or files[k] == files[j]:
                raise UsageError(f"{term_line(args.scenarios[j])} and {term_line(args.scenarios[k])} give the same "
                                 f"name {term_line(files[k], 80)!r}; compare needs scenarios with different names "
                                 "(meta.name)")
    out = args.out or default_out(args)
    names = [term_line(sc.name, 200) for sc in scs]
    try:
        bdm = "bdm" in models.parse_models(args.models)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    with Output(out, identity("compare", scs, args.seed, args.runs), force=args.force) as o:
        if not args.json:
            say_first(_question(scs, names))  # the question holds no result (see cmd_run)
        from analysis import plots  # matplotlib: after the question, so the user sees at once what runs

        sims = [batch_run.simulate(sc, args, o.stage, f"runs_{f}.parquet",
                               (lambda b, sc=sc: models.bdm_columns(sc, args.seed, b.run)) if bdm else None)
                for sc, f in zip(scs, files)]
        layouts, runs, drawn = [x[0] for x in sims], [x[1] for x in sims], [x[2] for x in sims]
        metrics = list(dict.fromkeys(m for lay in layouts for m in batch_run.metric_names(lay)))
        actors = [m.removeprefix("walkout by ") for m in metrics if m.startswith("walkout by ")]
        sums = [stats.summarise(r, actors) for r in runs]
        fig = plots.compare_figure({sc.name: r for sc, r in zip(scs, runs)}, {sc.name: s for sc, s in zip(scs, sums)},
                                   metrics, {sc.name: lay.days for sc, lay in zip(scs, layouts)})
        plots.save(fig, o.stage / "compare.png")
        o.commit(runs=[f"runs_{f}.parquet" for f in files])

    pairings = [_pairing(args.seed, layouts[0], runs[0], lay, r) for lay, r in zip(layouts, runs)]
    horizon = max(sc.protocol.horizon_days for sc in scs)
    table = comparison_table([sc.name for sc in scs], runs, pairings, metrics, (RECORD_DAY, HALF_YEAR_DAY, horizon),
                             horizon)
    if args.json:
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
            d = batch_run.fmt(m, diff[m], signed=True).replace("%", " pp", 1) if m in diff else ""
            share_a, share_b = batch_run.fmt(m, sums[0][m]), batch_run.fmt(m, sums[k][m])
            print(f"  {term_line(batch_run.label(m)):<30} {share_a:<{w}} {share_b:<{w}} {d}")
        print(f"  (shares above are by the horizon, day {horizon:g}; median rounds are meetings held)")
        print(term_line(f"  ({pairings[k].note()})", 400))
        batch_run.median_note([sums[0]["median rounds"], sums[k]["median rounds"]])
        _print_over_time(table, scs[k].name)
    batch_run.print_blocking({sc.name: r for sc, r in zip(scs, runs)})
    batch_run.print_holdouts(zip(scs, runs))
    for sc, d in zip(scs, drawn):
        batch_run.print_conditions(sc.name, d)
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


def _question(scs, names) -> str:
    """The study's question when the comparison takes accession off the table; else what is compared."""
    accession = ("us.4a", "nato.6")
    a_on = all(scs[0].on_table(c) for c in accession if c in scs[0].clause_ids)
    if a_on and any(all(not sc.on_table(c) for c in accession if c in sc.clause_ids) for sc in scs[1:]):
        return QUESTION
    return f"How do {', '.join(names[1:])} differ from {names[0]}?"


def _print_over_time(table, b: str) -> None:
    """The answer over time: shares by each day (days after 17 Dec 2021), and B - A
    (analysis.comparison's rows for scenario B)."""
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
    why = same_signable_packages(sc_a, sc_b, seed) if pairing.paired else None
    return answer(names[0], names[k], runs[0], runs[k], pairing, horizon, why.line(names[0], names[k]) if why else None)


def _pairing(seed: int, layout_a, runs_a, layout_b, runs_b):
    """Run i of A against run i of B, once checked that they share their draws (analysis.pairing)."""
    return Pairing(Draws(seed, draw_plan(layout_a).n_uniforms, runs_a["run"].to_numpy()),
                   Draws(seed, draw_plan(layout_b).n_uniforms, runs_b["run"].to_numpy()))
