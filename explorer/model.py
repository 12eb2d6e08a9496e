"""The Mesa model the explorer steps: the project's `NegotiationModel` for the scenario the
settings describe (loaded through the extends-file), recording each round for display.

`ExplorerModel(settings=...)` is run `settings.run` of the batch with root seed `settings.seed`,
so the run on screen is one of the runs behind the distribution pane.
"""

from __future__ import annotations

import math

import numpy as np

from analysis.survival import meeting_day as _meeting_day
from sim.codes import Outcome
from sim.model import NegotiationModel
from sim.schema import RULE_NAMES

from .settings import DEFAULT_SCENARIO, Settings, parse_int, scenario_for


class ExplorerModel(NegotiationModel):
    def __init__(self, settings: Settings | None = None, seed=None, rng=None):
        settings = settings if settings is not None else Settings(str(DEFAULT_SCENARIO))
        sc = scenario_for(settings)
        if seed is not None:  # Mesa's own seed box (InputText) passes a string
            seed = parse_int(seed, "seed")
        super().__init__(sc, seed=settings.seed if seed is None else seed, run=settings.run)
        self.settings = settings
        self.scenario = sc
        self.rounds_log: list[dict] = []

    def step(self) -> None:
        before = self.state.t
        super().step()
        if self.state.t > before:
            self.rounds_log.append(self.snapshot())

    # ---- what the page shows
    @property
    def at_table(self) -> list[int]:
        lay = self.compiled.layout
        return [i for i in range(lay.n_actors) if lay.required[i]]

    def snapshot(self) -> dict:
        """The round just played: proposer, package, and per party at the table its vote, its
        utility of the offer against its aspiration and outside option, and the walkout check."""
        lay, s, p = self.compiled.layout, self.state, self.params
        t = s.t
        res = p.reservation(t)[0]
        walker = int(s.walkout_by[0])
        parties = []
        for i in self.at_table:
            best = float(s.best_offer[0, i])
            parties.append({
                "actor": lay.actors[i],
                "vote": bool(s.accepts[0, i]),
                "utility": float(s.offer_utility[0, i]),
                "aspiration": float(s.aspiration[0, i]),
                "outside_option": float(res[i]),
                "best_offer": best if math.isfinite(best) else float("nan"),
                "best_possible": float(p.best_possible[0, i]),
                "deadline": float(p.deadline[0, i]),
                "walked_out": walker == i,
            })
        return {
            "round": t,
            "day": meeting_day(lay, t),
            "proposer": self.proposer,
            "offer": self.offer,
            "outcome": self.outcome,
            "parties": parties,
            "walkout_by": self.walkout_by,
            "walkout_rule": RULE_NAMES.get(int(s.walkout_rule[0])),
            "shortfall": lay.clauses[int(s.shortfall[0])] if s.shortfall[0] >= 0 else None,
        }

    def allowed(self) -> tuple[np.ndarray, np.ndarray]:
        """Per clause, the lowest and highest value the agenda and the red lines of every party at
        the table allow in this run (its draws); low > high: no common value."""
        lay, p = self.compiled.layout, self.params
        req = np.asarray(lay.required, dtype=bool)
        low = p.below[0][req].max(axis=0)
        high = np.minimum(p.above[0][req].min(axis=0), p.upper[0])
        return low, high

    def offers_matrix(self) -> np.ndarray:
        """(clauses, rounds) the package offered in each round so far."""
        lay = self.compiled.layout
        if not self.rounds_log:
            return np.zeros((lay.n_clauses, 0))
        return np.array([[r["offer"][c] for r in self.rounds_log] for c in lay.clauses])

    def explain(self) -> str:
        """How the run ended, and why, in words ('' while it is still going)."""
        lay, s, p = self.compiled.layout, self.state, self.params
        if self.outcome == Outcome.ONGOING and s.t < lay.horizon:
            return ""
        t = int(s.rounds[0])
        day = meeting_day(lay, t)
        when = f"at meeting {t} (day {day:g})"
        if self.outcome == Outcome.AGREEMENT:
            agreed = {c: float(v) for c, v in zip(lay.clauses, s.agreed[0]) if self.scenario.on_table(c)}
            moved = ", ".join(f"{c} {v:.2f}" for c, v in agreed.items() if v > 0.005) or "every clause at the status quo"
            who = ", ".join(lay.actors[i] for i in self.at_table)
            mode = "the joint package" if lay.joint else "every live instrument"
            return (f"Agreement {when}: every party at the table ({who}) accepted {mode}, each finding it worth "
                    f"at least its own aspiration, which never falls below its outside option. Agreed: {moved}.")
        if self.outcome == Outcome.WALKOUT:
            i = int(s.walkout_by[0])
            who = lay.actors[i]
            rule = RULE_NAMES.get(int(s.walkout_rule[0]), "?")
            o = float(p.reservation(day, lay.shift_on(day))[0, i])
            umax = float(p.best_possible[0, i])
            best = float(s.best_offer[0, i])
            best_txt = f"{best:.2f}" if math.isfinite(best) else "none yet"
            clause = lay.clauses[int(s.shortfall[0])] if s.shortfall[0] >= 0 else "?"
            if rule == "outside_option":
                why = (f"even its best package on this agenda is worth {umax:.2f} to it, less than its outside "
                       f"option {o:.2f}: nothing the talks can give beats walking away")
            elif rule == "impatience" and day >= float(p.deadline[0, i]):
                why = (f"its deadline (day {float(p.deadline[0, i]):.0f}) "
                       f"had passed and no offer it held (best {best_txt}) beat its outside option {o:.2f}")
            elif rule == "impatience":
                why = (f"projecting how fast the others concede (best offer so far {best_txt}) up to its deadline "
                       f"(day {float(p.deadline[0, i]):.0f}), waiting "
                       f"could not beat its outside option {o:.2f}")
            else:
                why = f"its walkout rule {rule!r} fired (outside option {o:.2f}, best offer {best_txt})"
            return (f"Walkout {when}: {who} left the talks under the {rule} rule: {why}. "
                    f"Blocking clause: {clause} (the largest salience-weighted shortfall from its ideal "
                    f"in the best offer it had).")
        return (f"Still talking at the horizon ({lay.horizon} meetings, the last on day {lay.days[-1]:g}): "
                "no package was accepted by all, and no party's walkout rule fired.")


def meeting_day(lay, t: int) -> float:
    """The day of the t-th meeting (1-based; 0 before any): survival.meeting_day for one run."""
    return float(_meeting_day(t, lay.days))
