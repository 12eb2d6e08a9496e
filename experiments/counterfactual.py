"""Counterfactual concessions: the same runs with some demands conceded.

A demand's `concede` (scenario: demands.*.concede) says what conceding it means for the side that
resists it: `red_lines`, every other party's red line on its clauses moves up to `concede_to`
(the measure Russia asks for); `off`, its clauses leave the table.  A concession is applied to
the draw plan, not to the scenario file, so every other draw of every run stays the same
(common random numbers): the difference between two sets of concessions is the concessions'.
"""

from __future__ import annotations

import numpy as np

from analysis.metrics import METRICS, run_metrics
from sim.engine import Compiled
from sim.params import DrawPlan

from .runner import paired


def concedable(comp: Compiled) -> tuple[str, ...]:
    """The scenario's demands that state what conceding them means."""
    return tuple(d.id for d in comp.layout.scenario.demands if d.concede)


def conceded_plan(comp: Compiled, demand_ids) -> DrawPlan:
    """The draw plan with each of `demand_ids` conceded (the same uniform columns)."""
    lay = comp.layout
    sc = lay.scenario
    by_id = {d.id: d for d in sc.demands}
    values, caps = {}, {}
    for did in demand_ids:
        d = by_id[did]
        if not d.concede:
            raise ValueError(f"{sc.path}: demands.{did}: says nothing about what conceding it means "
                             "(concede = \"red_lines\" or \"off\")")
        for cid in d.clauses:
            c = lay.clauses.index(cid)
            if d.concede == "off":
                caps[c] = 0.0
                continue
            for a, actor in enumerate(sc.actors):
                pref = actor.pref(cid)
                if pref is not None and pref.above is not None and pref.above.support()[0] < d.concede_to:
                    values[("above", a, c)] = d.concede_to
    return comp.plan.with_values(values, caps)


def run_coalitions(comp: Compiled, coalitions, n_runs: int, root_seed: int, progress=lambda k: None,
                   **how) -> dict[frozenset, dict[str, np.ndarray]]:
    """Every coalition of conceded demands played on the same runs 0..n_runs-1 (the runner's
    `paired`: each run's uniforms drawn once per chunk), per-run metrics per coalition.
    `how`: where to run (workers, client, chunk; experiments.runner.paired)."""
    coalitions = [frozenset(c) for c in coalitions]
    plans = [conceded_plan(comp, sorted(c)) for c in coalitions]
    parts: list[list[dict]] = [[] for _ in coalitions]
    for group in paired(plans, n_runs, root_seed, **how):
        for part, b in zip(parts, group):
            part.append(run_metrics(comp.layout, {"outcome": b.outcome, "rounds": b.rounds}))
            progress(len(b))
    return {c: {m: np.concatenate([p[m] for p in ps]) for m in METRICS} for c, ps in zip(coalitions, parts)}
