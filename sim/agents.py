"""Mesa agents: one per actor, a read-only view of that actor's row in the shared arrays.

Behaviour lives in the compiled rules (`sim/kernel/`), which the batch driver calls too, so the
two drivers cannot drift apart; an agent only exposes what the DataCollector records.
"""

from __future__ import annotations

import mesa
import numpy as np


class ActorAgent(mesa.Agent):
    def __init__(self, model: "mesa.Model", index: int, actor_id: str):
        super().__init__(model)
        self.index = index
        self.actor_id = actor_id

    @property
    def _state(self):
        return self.model.state

    @property
    def at_table(self) -> bool:
        return bool(self.model.compiled.layout.required[self.index])

    @property
    def aspiration(self) -> float:
        """Utility it asked for this round (its concession curve)."""
        return float(self._state.aspiration[0, self.index])

    @property
    def offer_utility(self) -> float:
        """Its utility of this round's package."""
        return float(self.model.offer_utilities[self.index])

    @property
    def accepted(self) -> bool:
        return bool(self._state.accepts[0, self.index])

    @property
    def best_offer(self) -> float:
        """Best utility any other party has offered it so far (NaN before the first offer)."""
        v = self._state.best_offer[0, self.index]
        return float(v) if np.isfinite(v) else float("nan")

    @property
    def position(self) -> dict[str, float]:
        """Its latest offer, clause by clause (empty before it has proposed)."""
        return dict(self.model.last_offers.get(self.index, {}))

    @property
    def outside_option(self) -> float:
        lay = self.model.compiled.layout
        day = float(lay.days[max(self._state.t - 1, 0)])  # the latest meeting's day
        return float(self.model.params.reservation(day, lay.shift_on(day))[0, self.index])
