"""The batch driver: play many runs at once through the compiled rules (`protocol.play_rounds`).
Numba (and the kernel) load only when runs are played, so describing or checking a scenario
(`Compiled`) stays fast.  Experiments reach it through one runner (`experiments/runner.py`),
which schedules `play_runs` over chunks, worker processes or a Dask cluster.

The kernel takes one run at a time through all its rounds, so a run's arrays stay in cache
and a finished run costs nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .layout import Layout, build_layout
from .params import DrawPlan, RunParams, draw_params, draw_plan, drawn_inputs
from .scenario import Scenario
from .seeding import check_root


@dataclass(frozen=True, eq=False)
class Compiled:
    """A scenario turned into the index layout and draw plan the rules need."""

    layout: Layout
    plan: DrawPlan

    @classmethod
    def from_scenario(cls, sc: Scenario) -> "Compiled":
        lay = build_layout(sc)
        return cls(lay, draw_plan(lay))


def _plan(source: "Compiled | DrawPlan") -> DrawPlan:
    return source.plan if isinstance(source, Compiled) else source


def params_for_runs(source: "Compiled | DrawPlan", root_seed: int, start: int, stop: int) -> RunParams:
    """The drawn parameters of runs [start, stop) (every random quantity of a run)."""
    plan = _plan(source)
    return draw_params(plan, plan.uniforms(root_seed, start, stop))


def inputs_for_runs(source: "Compiled | DrawPlan", root_seed: int, start: int, stop: int) -> dict[str, np.ndarray]:
    """The runs' drawn parameters by scenario key (params.drawn_inputs)."""
    plan = _plan(source)
    return drawn_inputs(plan, plan.uniforms(root_seed, start, stop))


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

    @classmethod
    def concat(cls, batches: "list[Batch]") -> "Batch":
        """Consecutive batches of one scenario and seed as one."""
        first = batches[0]
        if len(batches) == 1:
            return first
        join = lambda get: np.concatenate([get(b) for b in batches])  # noqa: E731
        kw = {f: join(lambda b, f=f: getattr(b, f)) for f in _ARRAY_FIELDS}
        trace = {k: join(lambda b, k=k: b.trace[k]) for k in first.trace} if first.trace is not None else None
        inputs = {k: join(lambda b, k=k: b.inputs[k]) for k in first.inputs} if first.inputs is not None else None
        return cls(layout=first.layout, root_seed=first.root_seed, trace=trace, inputs=inputs, **kw)


_OUT_FIELDS = ("outcome", "rounds", "walkout_by", "walkout_rule", "shortfall", "agreed")
_ARRAY_FIELDS = ("run", *_OUT_FIELDS, "utility", "outside_option", "deadline")


# Per-round series kept with `trace=True`, each (runs, horizon, actors), NaN after a run ended:
TRACE_FIELDS = {
    "aspiration": "utility the actor asked for in the round",
    "position": "mean value, over clauses on the table, of the actor's latest offer (NaN before its first)",
    "best_offer": "best utility any other party had offered it by the end of the round",
}


def play(lay: Layout, p: RunParams, trace: bool = False):
    """Play every run to agreement, walkout or the horizon.  Returns the outcome arrays (keyed
    like State's fields), final utilities and (if asked) the per-round trace, in run order."""
    # Numba and the compiled kernel load here, when runs are played: describing or checking a
    # scenario (Compiled, negsim validate) stays fast.
    from .protocol import final_utilities, init_state, new_trace, play_rounds

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


def play_runs(plan: DrawPlan, root_seed: int, start: int, stop: int, trace: bool = False,
              uniforms: np.ndarray | None = None) -> Batch:
    """Runs [start, stop) of root seed `root_seed` under `plan`: draw, then play.  `uniforms`:
    the runs' rows (seeding.run_uniforms), when the caller plays several plans on the same runs."""
    u = plan.uniforms(root_seed, start, stop) if uniforms is None else uniforms
    p = draw_params(plan, u)
    out, utility, series = play(plan.layout, p, trace)
    return Batch(layout=plan.layout, root_seed=check_root(root_seed), run=np.arange(start, stop),
                 utility=utility, outside_option=p.outside_option, deadline=p.deadline, trace=series,
                 inputs=drawn_inputs(plan, u), **out)
