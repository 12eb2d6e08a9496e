"""The batch driver: advance many runs at once through the array rules of `protocol.py`.

Finished runs are written out and dropped from the working arrays once they make up a quarter
of them, so late rounds cost only what the runs still talking need.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .layout import Layout, build_layout
from .params import DrawPlan, RunParams, draw_params, draw_plan
from .protocol import ONGOING, Offering, State, final_utilities, init_state, offering, play_round
from .scenario import Scenario
from .seeding import check_root, run_uniforms

COMPACT_WHEN = 0.3  # share of finished rows that triggers compaction


@dataclass(frozen=True, eq=False)
class Compiled:
    """A scenario turned into the index layout and draw plan the rules need."""

    layout: Layout
    plan: DrawPlan

    @classmethod
    def from_scenario(cls, sc: Scenario) -> "Compiled":
        lay = build_layout(sc)
        return cls(lay, draw_plan(lay))


def params_for_runs(comp: Compiled, root_seed: int, start: int, stop: int) -> RunParams:
    return draw_params(comp.plan, run_uniforms(root_seed, start, stop, comp.plan.n_uniforms))


@dataclass(frozen=True, eq=False)
class Batch:
    """Outcomes of runs [start, start + n): plain arrays, one entry per run."""

    layout: Layout
    root_seed: int
    run: np.ndarray
    outcome: np.ndarray
    rounds: np.ndarray
    walkout_by: np.ndarray
    walkout_rule: np.ndarray
    blocking_clause: np.ndarray
    agreed: np.ndarray  # (n, C)
    utility: np.ndarray  # (n, A)
    outside_option: np.ndarray  # (n, A) drawn outside option at round 0
    deadline: np.ndarray  # (n, A) drawn deadline, rounds
    trace: dict[str, np.ndarray] | None = None  # (n, H, A) per-round series, see TRACE_FIELDS

    def __len__(self) -> int:
        return len(self.run)


_OUT_FIELDS = ("outcome", "rounds", "walkout_by", "walkout_rule", "blocking_clause", "agreed")


# Per-round series kept with `trace=True`, each (runs, horizon, actors), NaN after a run ended:
TRACE_FIELDS = {
    "aspiration": "utility the actor asked for in the round",
    "position": "mean value, over clauses on the table, of the actor's latest offer (NaN before its first)",
    "best_offer": "best utility any other party had offered it by the end of the round",
}


def play(lay: Layout, p: RunParams, trace: bool = False):
    """Play every run to agreement, walkout or the horizon.  Returns the outcome arrays (keyed
    like State's fields), final utilities and (if asked) the per-round trace, in run order."""
    o: Offering = offering(lay, p)
    s: State = init_state(lay, p)
    # The beliefs now live in `o` and `s`; empty them here so compaction does not copy them.
    p = replace(p, belief_position=p.belief_position[:, :0], belief_salience=p.belief_salience[:, :0])
    out = {f: getattr(s, f).copy() for f in _OUT_FIELDS}
    utility = np.empty((p.n_runs, lay.n_actors))
    idx = np.arange(p.n_runs)

    def flush(rows: np.ndarray) -> None:
        for f in _OUT_FIELDS:
            out[f][idx[rows]] = getattr(s, f)[rows]
        utility[idx[rows]] = final_utilities(lay, p.take(rows), s.take(rows))

    series = {k: np.full((p.n_runs, lay.horizon, lay.n_actors), np.nan) for k in TRACE_FIELDS} if trace else None
    on_table = np.array([lay.scenario.on_table(c) for c in lay.clauses])
    while s.t < lay.horizon and len(idx):
        play_round(lay, p, o, s)
        if series is not None:
            _record(series, s, idx, on_table, lay.required)
        done = s.outcome != ONGOING
        if done.mean() >= COMPACT_WHEN:
            flush(done)
            keep = ~done
            p, o, s, idx = p.take(keep), o.take(keep), s.take(keep), idx[keep]
    flush(np.ones(len(idx), dtype=bool))
    if series is not None:
        pos = series["position"]  # carries forward until the actor proposes again
        for t in range(1, lay.horizon):
            pos[:, t] = np.where(np.isnan(pos[:, t]), pos[:, t - 1], pos[:, t])
        ended = np.arange(lay.horizon)[None, :] >= out["rounds"][:, None]
        for v in series.values():  # rows not yet compacted away kept being written
            v[ended] = np.nan
    return out, utility, series


def _record(series: dict[str, np.ndarray], s: State, idx: np.ndarray, on_table: np.ndarray,
            at_table: np.ndarray) -> None:
    t = s.t - 1
    series["aspiration"][idx, t] = np.where(at_table, s.aspiration, np.nan)  # only parties bargain
    series["best_offer"][idx, t] = np.where(np.isfinite(s.best_offer), s.best_offer, np.nan)
    mean_pos = s.offer[:, on_table].mean(axis=1) if on_table.any() else np.zeros(len(idx))
    series["position"][idx, t, s.proposer] = mean_pos


def simulate_range(comp: Compiled, root_seed: int, start: int, stop: int, trace: bool = False) -> Batch:
    p = params_for_runs(comp, root_seed, start, stop)
    out, utility, series = play(comp.layout, p, trace)
    return Batch(layout=comp.layout, root_seed=check_root(root_seed), run=np.arange(start, stop),
                 utility=utility, outside_option=p.outside_option, deadline=p.deadline, trace=series, **out)


def simulate(sc: Scenario, n_runs: int, root_seed: int = 0, chunk_size: int = 2000) -> list[Batch]:
    """Runs 0..n_runs-1 in chunks; results do not depend on chunk_size."""
    if n_runs < 1:
        raise ValueError(f"the number of runs must be at least 1, got {n_runs}")
    comp = Compiled.from_scenario(sc)
    return [simulate_range(comp, root_seed, a, min(a + chunk_size, n_runs)) for a in range(0, n_runs, chunk_size)]
