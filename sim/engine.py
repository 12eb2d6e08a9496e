"""The batch driver: play many runs at once through the compiled rules (`protocol.play_rounds`).
Numba (and the kernel) load only when runs are played, so describing or checking a scenario
(`Compiled`) stays fast.

The kernel takes one run at a time through all its rounds, so a run's arrays stay in cache
and a finished run costs nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .layout import Layout, build_layout
from .params import DrawPlan, RunParams, draw_params, draw_plan, drawn_inputs
from .scenario import Scenario
from .seeding import check_root, run_uniforms


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


def inputs_for_runs(comp: Compiled, root_seed: int, start: int, stop: int) -> dict[str, np.ndarray]:
    """The runs' drawn parameters by scenario key (params.drawn_inputs)."""
    return drawn_inputs(comp.plan, run_uniforms(root_seed, start, stop, comp.plan.n_uniforms))


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
    shortfall: np.ndarray
    agreed: np.ndarray  # (n, C)
    utility: np.ndarray  # (n, A)
    outside_option: np.ndarray  # (n, A) drawn outside option at round 0
    deadline: np.ndarray  # (n, A) drawn deadline, days
    trace: dict[str, np.ndarray] | None = None  # (n, H, A) per-round series, see TRACE_FIELDS
    inputs: dict[str, np.ndarray] | None = None  # every drawn parameter by scenario key (params.drawn_inputs)

    def __len__(self) -> int:
        return len(self.run)


_OUT_FIELDS = ("outcome", "rounds", "walkout_by", "walkout_rule", "shortfall", "agreed")


# Per-round series kept with `trace=True`, each (runs, horizon, actors), NaN after a run ended:
TRACE_FIELDS = {
    "aspiration": "utility the actor asked for in the round",
    "position": "mean value, over clauses on the table, of the actor's latest offer (NaN before its first)",
    "best_offer": "best utility any other party had offered it by the end of the round",
}


def play(lay: Layout, p: RunParams, trace: bool = False):
    """Play every run to agreement, walkout or the horizon.  Returns the outcome arrays (keyed
    like State's fields), final utilities and (if asked) the per-round trace, in run order."""
    from .protocol import final_utilities, init_state, new_trace, play_rounds  # the compiled kernel: loaded when used

    s = init_state(lay, p)
    series = new_trace(lay, p.n_runs) if trace else None
    play_rounds(lay, p, s, lay.horizon, series)
    out = {f: getattr(s, f) for f in _OUT_FIELDS}
    utility = final_utilities(lay, p, s)
    if series is not None:
        pos = series["position"]  # carries forward until the actor proposes again
        for t in range(1, lay.horizon):
            pos[:, t] = np.where(np.isnan(pos[:, t]), pos[:, t - 1], pos[:, t])
        pos[np.arange(lay.horizon)[None, :] >= out["rounds"][:, None]] = np.nan  # not after the end
    return out, utility, series


def simulate_range(comp: Compiled, root_seed: int, start: int, stop: int, trace: bool = False) -> Batch:
    u = run_uniforms(root_seed, start, stop, comp.plan.n_uniforms)
    p = draw_params(comp.plan, u)
    out, utility, series = play(comp.layout, p, trace)
    return Batch(layout=comp.layout, root_seed=check_root(root_seed), run=np.arange(start, stop),
                 utility=utility, outside_option=p.outside_option, deadline=p.deadline, trace=series,
                 inputs=drawn_inputs(comp.plan, u), **out)


def simulate(sc: Scenario, n_runs: int, root_seed: int = 0, chunk_size: int = 2000) -> list[Batch]:
    """Runs 0..n_runs-1 in chunks; results do not depend on chunk_size."""
    if n_runs < 1:
        raise ValueError(f"the number of runs must be at least 1, got {n_runs}")
    comp = Compiled.from_scenario(sc)
    return [simulate_range(comp, root_seed, a, min(a + chunk_size, n_runs)) for a in range(0, n_runs, chunk_size)]
