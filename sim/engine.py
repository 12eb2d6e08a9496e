"""The batch driver: advance many runs at once through the array rules of `protocol.py`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .layout import Layout, build_layout
from .params import DrawPlan, RunParams, draw_params, draw_plan, run_uniforms
from .protocol import State, final_utilities, init_state, play_round
from .scenario import Scenario
from .seeding import run_seeds


@dataclass(frozen=True, eq=False)
class Compiled:
    """A scenario turned into the index layout and draw plan the rules need."""

    layout: Layout
    plan: DrawPlan

    @classmethod
    def from_scenario(cls, sc: Scenario) -> "Compiled":
        lay = build_layout(sc)
        return cls(lay, draw_plan(lay))


def params_for_seeds(comp: Compiled, seeds: np.ndarray) -> RunParams:
    return draw_params(comp.plan, run_uniforms(seeds, comp.plan.n_uniforms))


def play(comp: Compiled, p: RunParams) -> State:
    """Play every run to agreement, walkout or the horizon."""
    s = init_state(comp.layout, p)
    while s.t < comp.layout.horizon and s.active.any():
        play_round(comp.layout, p, s)
    return s


@dataclass(frozen=True, eq=False)
class Batch:
    """Outcomes of runs [start, start + n): plain arrays, one entry per run."""

    layout: Layout
    run: np.ndarray
    seed: np.ndarray
    outcome: np.ndarray
    rounds: np.ndarray
    walkout_by: np.ndarray
    walkout_rule: np.ndarray
    blocking_clause: np.ndarray
    agreed: np.ndarray  # (n, C)
    utility: np.ndarray  # (n, A)
    outside_option: np.ndarray  # (n, A) drawn outside option at round 0
    deadline: np.ndarray  # (n, A) drawn deadline, rounds

    def __len__(self) -> int:
        return len(self.run)


def simulate_range(comp: Compiled, root_seed: int, start: int, stop: int) -> Batch:
    seeds = run_seeds(root_seed, start, stop)
    p = params_for_seeds(comp, seeds)
    s = play(comp, p)
    return Batch(
        layout=comp.layout, run=np.arange(start, stop), seed=seeds, outcome=s.outcome,
        rounds=s.rounds, walkout_by=s.walkout_by, walkout_rule=s.walkout_rule,
        blocking_clause=s.blocking_clause, agreed=s.agreed, utility=final_utilities(comp.layout, p, s),
        outside_option=p.outside_option, deadline=p.deadline,
    )


def simulate(sc: Scenario, n_runs: int, root_seed: int = 0, chunk_size: int = 2000) -> list[Batch]:
    """Runs 0..n_runs-1 in chunks; results do not depend on chunk_size."""
    if n_runs < 1:
        raise ValueError(f"the number of runs must be at least 1, got {n_runs}")
    comp = Compiled.from_scenario(sc)
    return [simulate_range(comp, root_seed, a, min(a + chunk_size, n_runs)) for a in range(0, n_runs, chunk_size)]
