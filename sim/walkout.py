"""Walkout rules: when staying at the table is worth less than the outside option.

Each rule looks at one actor's `ActorView` and returns, per run, whether it walks out now.
No rule makes an actor walk while an offer it has already received beats its outside option
(it would rather see that offer again than leave).
"""

from __future__ import annotations

from typing import ClassVar, Protocol

import numpy as np

from .strategies import ActorView


class WalkoutRule(Protocol):
    """Views handed to walkout rules leave `conceded_to_me` at 0 (it is only worked out for
    strategies that react to it; see protocol.actor_views): a rule that needs it must change that."""

    name: ClassVar[str]
    code: ClassVar[int]

    def fires(self, view: ActorView) -> np.ndarray: ...


class OutsideOption:
    """Walk out when even the best package the agenda allows is worth less than walking away
    (Binmore, Shaked & Sutton: an outside option binds only when it beats the deal)."""

    name = "outside_option"
    code = 1

    def fires(self, view: ActorView) -> np.ndarray:
        return view.best_possible < view.reservation


class Impatience:
    """Walk out when the others concede too slowly to reach the outside option in time.

    The others' pace r is the rise, per round, of the best utility they have offered me over
    the last `window` rounds.  Waiting k more rounds is worth patience^k * (b + r k), with b the
    best offer so far and k up to the rounds left before my deadline (none once it has passed).
    If the best waiting time is still worth less than the outside option now, I leave.  An actor
    whose deadline has passed therefore leaves as soon as no received offer beats walking away.
    """

    name = "impatience"
    code = 2

    def fires(self, view: ActorView) -> np.ndarray:
        if view.t < view.window:
            return np.zeros(view.best_offer.shape, dtype=bool)
        seen = np.isfinite(view.best_offer_earlier)
        b = np.where(seen, view.best_offer, 0.0)
        rate = np.where(seen, np.maximum(b - np.where(seen, view.best_offer_earlier, 0.0), 0.0) / view.window, 0.0)
        left = np.maximum(view.deadline - view.t, 0.0)
        value = _best_wait_value(b, rate, view.patience, left)
        return seen & (np.minimum(value, view.best_possible) < view.reservation)


def _best_wait_value(b: np.ndarray, rate: np.ndarray, delta: np.ndarray, horizon: np.ndarray) -> np.ndarray:
    """max over integer k in [0, horizon] of delta^k (b + rate k).

    The continuous maximiser of delta^k (b + r k) is k* = -1/ln(delta) - b/r (the function is
    log-concave for r > 0), so the integer optimum is at floor or ceil of k* clipped to range.
    """
    log_d = np.log(np.minimum(delta, 1.0 - 1e-12))
    with np.errstate(divide="ignore", invalid="ignore"):
        k_star = np.where(rate > 0, -1.0 / log_d - b / np.where(rate > 0, rate, 1.0), 0.0)
    best = b.copy()
    for k in (np.floor(k_star), np.ceil(k_star), horizon):
        k = np.clip(k, 0.0, horizon)
        best = np.maximum(best, np.exp(k * log_d) * (b + rate * k))
    return best


WALKOUT_RULES: dict[str, type] = {cls.name: cls for cls in (OutsideOption, Impatience)}
RULE_NAMES: dict[int, str] = {cls.code: cls.name for cls in (OutsideOption, Impatience)}
