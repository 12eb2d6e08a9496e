"""`negsim explain SCENARIO [B]`: which concession would most change the outcome.

One scenario: every coalition of its concedable demands (demands.*.concede) is played on the same
runs (common random numbers; experiments/counterfactual.py); for each metric it reports each demand's
effect conceded alone, with a paired interval, and its exact Shapley value over all coalitions
(analysis/attribution.py), which sum to the difference between all conceded and none.
Two scenarios: the difference between them split into their individual edits (each key or table
that differs), attributed by Shapley over edits (each coalition rebuilt through the loader; the
runs share seeds, and every draw an edit does not touch is the same).
"""

from __future__ import annotations

import sys
from pathlib import Path

from tqdm import tqdm

from analysis.attribution_plots import shapley_figure
from analysis.metrics import METRICS
from analysis.stats import PAIRED, paired_mean
from experiments.explain import explain
from sim.scenario import load_scenario
from storage.manifest import identity
from storage.outdir import Output
from storage.text import plural, term_line

from .common import UsageError, check_seed, results_folder


def default_out(args) -> Path:
    return results_folder("explain", "_vs_".join(load_scenario(p).name for p in args.scenarios))


def cmd_explain(args) -> int:
    if len(args.scenarios) > 2:
        raise UsageError("explain takes one scenario (its demands) or two (A B: the edits between them)")
    if args.runs < 2:
        raise UsageError(f"-n/--runs must be at least 2 (a paired interval needs two runs), got {args.runs}")
    check_seed(args.seed)
    scs = [load_scenario(p) for p in args.scenarios]
    show = not args.quiet and sys.stderr.isatty()
    with tqdm(total=None, unit="run", disable=not show, leave=False) as bar:
        e = explain(scs, args.runs, args.seed, bar.update)
    out = args.out or default_out(args)
    with Output(out, identity("explain", scs, args.seed, args.runs), force=args.force) as o:
        e.table.to_parquet(o.stage / "explain.parquet", index=False)
        shapley_figure(e.table, f"{e.what}: Shapley values, {plural(args.runs, 'run')} per coalition").savefig(
            o.stage / "explain.png", dpi=110)
        o.commit()
    _print(e.table, e.what, e.outcomes, e.players, args, e.ends)
    print(term_line(f"wrote {out}/explain.parquet, explain.png and manifest.json", 2000))
    return 0


def _in_words(lead, label, every, none, ends) -> str:
    """The answer in one sentence: which player matters most, or that there is nothing to attribute."""
    diff = every.astype(float) - none.astype(float)
    if not diff.any():
        return (f"  In words: nothing to attribute: {label} is the same in every run {ends[0]} and {ends[1]}, so every "
                "value below is 0.")
    total = paired_mean(diff)
    span = f"{100 * total.value:+.1f} pp [{100 * total.low:+.1f}, {100 * total.high:+.1f}]"
    if total.low <= 0 <= total.high:
        return (f"  In words: nothing clear to attribute: {ends[1]} against {ends[0]} moves {label} by {span}, within "
                "Monte Carlo noise, so the values below split noise.")
    demands = ends[0] == "with nothing conceded"
    who = f"conceding {lead['player']}" if demands else f"the edit {lead['player']}"
    whole = "conceding everything" if demands else f"going {ends[0].removeprefix('with ')} -> {ends[1].removeprefix('with ')}"
    return (f"  In words: {who} matters most for {label}: alone it moves it by {100 * lead['alone']:+.1f} pp "
            f"[{100 * lead['alone_low']:+.1f}, {100 * lead['alone_high']:+.1f}], and it carries "
            f"{100 * lead['shapley']:+.1f} pp of the {span} that {whole} moves it.")


def _print(result, what, outcomes, players, args, ends) -> None:
    none, every = frozenset(), frozenset(players)
    print(term_line(f"{what}: {len(outcomes)} coalitions x {plural(args.runs, 'run')}, seed {args.seed}, common random "
                    f"numbers; 95% intervals over runs, Monte Carlo noise only (alone: {PAIRED}; Shapley: normal "
                    "interval of the per-run contributions, paired)", 2000))
    for m in METRICS:
        label = result.loc[result["metric"] == m, "label"].iloc[0]
        base, top = outcomes[none][m].mean(), outcomes[every][m].mean()
        print(f"\n{label}: {100 * base:.1f}% {ends[0]}, {100 * top:.1f}% {ends[1]} "
              f"({100 * (top - base):+.1f} pp, the sum of the Shapley values)")
        sub = result[result["metric"] == m].sort_values("shapley", key=abs, ascending=False)
        print(term_line(_in_words(sub.iloc[0], label, outcomes[every][m], outcomes[none][m], ends), 600))
        for _, r in sub.iterrows():
            print(term_line(f"  {str(r['player']):<28} alone {100 * r['alone']:+6.1f} pp [{100 * r['alone_low']:+.1f}, "
                            f"{100 * r['alone_high']:+.1f}]   Shapley {100 * r['shapley']:+6.1f} pp "
                            f"[{100 * r['shapley_low']:+.1f}, {100 * r['shapley_high']:+.1f}]", 400))
