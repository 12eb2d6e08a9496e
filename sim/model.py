"""The Mesa driver: one run, round by round, for inspection and for Mesa's own tooling.

`NegotiationModel(scenario, seed=S, run=i)` replays exactly run i of a batch with root seed S:
both take that run's row of uniforms from `seeding.run_uniforms` and both call the same compiled
rules (`protocol.play_rounds`), here for one run and one round per step.  The root seed goes through Mesa's own `seed`
argument; without one, a root is drawn from Mesa's generator and kept in `root_seed`.

Data collection follows Mesa's convention (row 0 = the opening state, row k = after round k).
`mesa.batch_run` reports row `model.steps - 1`, so the model stops on a closing step after the
talks end: the step that notices the end collects nothing and sets `running = False`.
"""

from __future__ import annotations

from pathlib import Path

import mesa
import numpy as np

from .agents import ActorAgent
from .engine import Batch, Compiled, inputs_for_runs, params_for_runs
from .params import DrawPlan
from .protocol import ONGOING, OUTCOME_NAMES, final_utilities, init_state, play_round
from .scenario import Scenario, load_scenario
from .schema import RULE_NAMES

DEFAULT_SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "accession_excluded.toml"


class NegotiationModel(mesa.Model):
    def __init__(self, scenario: str | Path | Scenario | DrawPlan = DEFAULT_SCENARIO, seed=None, rng=None, run: int = 0):
        """scenario: a file, a loaded scenario, or a draw plan (a scenario with some draws fixed)."""
        super().__init__(seed=seed, rng=rng)
        if isinstance(scenario, DrawPlan):
            self.compiled = Compiled(scenario.layout, scenario)
        else:
            self.compiled = Compiled.from_scenario(scenario if isinstance(scenario, Scenario) else load_scenario(scenario))
        lay = self.compiled.layout
        self.root_seed = int(seed) if seed is not None else int(self.rng.integers(2**63))
        self.run = int(run)
        self.params = params_for_runs(self.compiled, self.root_seed, self.run, self.run + 1)
        self.state = init_state(lay, self.params)
        self.last_offers: dict[int, dict[str, float]] = {}
        self.offer_utilities = np.full(lay.n_actors, np.nan)
        self.actor_agents = [ActorAgent(self, i, a) for i, a in enumerate(lay.actors)]
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "round": lambda m: m.state.t,
                "day": lambda m: float(lay.days[m.state.t - 1]) if m.state.t else 0.0,
                "outcome": lambda m: m.outcome,
                "proposer": lambda m: m.proposer,
                "offer": lambda m: m.offer,
                "walkout_by": lambda m: m.walkout_by,
            },
            agent_reporters={
                "actor": "actor_id",
                "aspiration": "aspiration",
                "offer_utility": "offer_utility",
                "accepted": "accepted",
                "best_offer": "best_offer",
                "outside_option": "outside_option",
                "position": "position",
            },
        )
        self.datacollector.collect(self)

    # ---- what the DataCollector and users read
    @property
    def outcome(self) -> str:
        return OUTCOME_NAMES[int(self.state.outcome[0])]

    @property
    def proposer(self) -> str | None:
        p = int(self.state.proposer[0])
        return self.compiled.layout.actors[p] if p >= 0 else None

    @property
    def offer(self) -> dict[str, float]:
        return dict(zip(self.compiled.layout.clauses, map(float, self.state.offer[0])))

    @property
    def walkout_by(self) -> str | None:
        w = int(self.state.walkout_by[0])
        return self.compiled.layout.actors[w] if w >= 0 else None

    def result(self) -> dict:
        """The run's outcome in the same terms as a row of the batch table."""
        lay, s = self.compiled.layout, self.state
        w, b = int(s.walkout_by[0]), int(s.shortfall[0])
        return {
            "seed": self.root_seed,
            "run": self.run,
            "outcome": self.outcome,
            "rounds": int(s.rounds[0]),
            "walkout_by": lay.actors[w] if w >= 0 else None,
            "walkout_rule": RULE_NAMES.get(int(s.walkout_rule[0])),
            "shortfall": lay.demands[b] if b >= 0 else None,
            "agreed": dict(zip(lay.clauses, map(float, s.agreed[0]))),
            "utility": dict(zip(lay.actors, map(float, final_utilities(lay, self.params, s)[0]))),
        }

    # ---- dynamics
    def step(self) -> None:
        lay, s = self.compiled.layout, self.state
        if s.outcome[0] != ONGOING or s.t >= lay.horizon:
            self.running = False  # the closing step (see module docstring)
            return
        play_round(lay, self.params, s)
        self.last_offers[int(s.proposer[0])] = self.offer
        self.offer_utilities = s.offer_utility[0]
        self.datacollector.collect(self)


def simulate_mesa(plan: DrawPlan, root_seed: int, start: int, stop: int) -> Batch:
    """Runs start..stop-1 through the Mesa driver, one model each (slow; for cross-checks; the
    runner's engine="mesa", experiments/runner.py, calls it)."""
    lay = plan.layout
    rows = []
    for i in range(start, stop):
        m = NegotiationModel(plan, seed=root_seed, run=i)
        while m.running:
            m.step()
        rows.append(m)
    st = [m.state for m in rows]
    cat = lambda f: np.concatenate([getattr(x, f) for x in st])  # noqa: E731
    return Batch(
        layout=lay, root_seed=root_seed, run=np.arange(start, stop), outcome=cat("outcome"),
        rounds=cat("rounds"), walkout_by=cat("walkout_by"), walkout_rule=cat("walkout_rule"),
        shortfall=cat("shortfall"), agreed=cat("agreed"),
        utility=np.concatenate([final_utilities(lay, m.params, m.state) for m in rows]),
        outside_option=np.concatenate([m.params.outside_option for m in rows]),
        deadline=np.concatenate([m.params.deadline for m in rows]),
        inputs=inputs_for_runs(plan, root_seed, start, stop),
    )
