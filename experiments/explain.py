"""Which concession would most change the outcome (`negsim explain`, `negsim.api.explain`).

One scenario: every coalition of its concedable demands is played on the same runs
(experiments.counterfactual); two scenarios: every coalition of the edits between them, each
rebuilt through the loader (refused when an edit changes the random numbers a run needs, since
then the coalitions do not share draws).  Per metric, each player's effect alone (Newcombe's
paired interval) and its exact Shapley value (analysis.attribution)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from analysis.attribution import apply_edits, coalitions, differences_to_edits, shapley_exact
from analysis.metrics import METRICS, metric_label
from analysis.stats import paired_proportion_difference
from sim.engine import Compiled
from sim.scenario import scenario_from_document

from .counterfactual import concedable, run_coalitions

MAX_PLAYERS = 10  # exact Shapley values over 2^10 coalitions at most


@dataclass(frozen=True)
class Explained:
    table: pd.DataFrame  # metric, label, player, alone (+ _low, _high), shapley (+ _low, _high), share
    outcomes: dict  # coalition -> metric -> per-run 0/1
    players: list[str]
    name: str  # for file names
    what: str  # words for the players
    ends: tuple[str, str]  # words for the empty and the full coalition


def _of_demands(sc, runs: int, seed: int, progress) -> tuple[list[str], dict]:
    comp = Compiled.from_scenario(sc)
    players = list(concedable(comp))
    if not players:
        raise ValueError(f"{sc.path}: no demand says what conceding it means (demands.<id>.concede)")
    if len(players) > MAX_PLAYERS:
        raise ValueError(f"{sc.path}: {len(players)} concedable demands; at most {MAX_PLAYERS} can be attributed exactly")
    return players, run_coalitions(comp, coalitions(players), runs, seed, progress)


def _of_edits(sa, sb, runs: int, seed: int, progress) -> tuple[list[str], dict]:
    """Per-run metrics for every coalition of the edits that turn A into B."""
    edits = differences_to_edits(sa.resolved_document, sb.resolved_document)
    if not edits:
        raise ValueError(f"{sa.path} and {sb.path}: the scenarios do not differ (sources and meta aside)")
    if len(edits) > MAX_PLAYERS:
        raise ValueError(f"{sa.path} and {sb.path}: {len(edits)} edits apart; at most {MAX_PLAYERS} can be attributed "
                         "exactly")
    players = [e.label for e in edits]
    comps = {}
    for coalition in coalitions(players):
        chosen = [e for e in edits if e.label in coalition]
        doc = apply_edits(sa.resolved_document, chosen)
        comps[coalition] = Compiled.from_scenario(
            scenario_from_document(doc, f"{sa.name} with {len(chosen)} of its edits toward {sb.name}"))
    base = comps[frozenset()].plan.n_uniforms
    moving = sorted({p for c, comp in comps.items() for p in c if comp.plan.n_uniforms != base})
    if moving:  # the intervals pair run i with run i: refuse what does not share draws, before any run
        raise ValueError(f"{sa.path} and {sb.path}: the edits {', '.join(moving)} change how many random numbers each "
                         "run needs (other actors, clauses or meetings), so the coalitions do not share draws and "
                         "cannot be compared run by run; compare them with `negsim compare`, which says so")
    return players, {c: run_coalitions(comp, [()], runs, seed, progress)[frozenset()] for c, comp in comps.items()}


def explain(scenarios, runs: int, seed: int, progress: Callable[[int], None] = lambda n: None) -> Explained:
    """One scenario (its demands) or two (the edits from A to B), as the module doc says."""
    if len(scenarios) == 1:
        players, outcomes = _of_demands(scenarios[0], runs, seed, progress)
        name, what = scenarios[0].name, "conceding each demand"
        ends = ("with nothing conceded", "with everything")
    elif len(scenarios) == 2:
        sa, sb = scenarios
        players, outcomes = _of_edits(sa, sb, runs, seed, progress)
        name, what = f"{sa.name}_vs_{sb.name}", f"each edit from {sa.name} to {sb.name}"
        ends = (f"with {sa.name}", f"with {sb.name}")
    else:
        raise ValueError("explain takes one scenario (its demands) or two (A B: the edits between them)")
    horizons = {sc.protocol.horizon_days for sc in scenarios}
    horizon = horizons.pop() if len(horizons) == 1 else None
    rows, none = [], frozenset()
    for m in METRICS:
        per = {c: v[m] for c, v in outcomes.items()}
        for _, t in shapley_exact(players, per).iterrows():
            alone = paired_proportion_difference(per[none], per[frozenset([t["player"]])])
            rows.append({"metric": m, "label": metric_label(m, horizon), "player": t["player"],
                         "alone": alone.value, "alone_low": alone.low, "alone_high": alone.high,
                         "shapley": t["value"], "shapley_low": t["low"], "shapley_high": t["high"], "share": t["share"]})
    return Explained(pd.DataFrame(rows), outcomes, players, name, what, ends)
