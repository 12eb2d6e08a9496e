"""Walkout rules: when staying at the table is worth less than the outside option.

Each rule looks at one actor's `ActorView` and returns, per run, whether it walks out now.
No rule makes an actor walk while an offer it has already received beats its outside option
(it would rather see that offer again than leave).

As with strategies, the rules run compiled in `kernel.py` (`walkout_fires`); the classes here
apply them to arrays and carry each rule's name and code.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

import numpy as np

from .codes import IMPATIENCE, OUTSIDE_OPTION
from .strategies import ActorView


def _fires(code: int, view: ActorView) -> np.ndarray:
    from . import kernel

    return kernel.elementwise(
        kernel.walkout_fires, bool, code, view.t, view.window, view.best_possible, view.reservation, view.best_offer,
        view.best_offer_earlier, view.deadline, view.patience)


class WalkoutRule(Protocol):
    """A rule sees the actor's view after round t - 1, with t rounds played (the kernel does not
    work out `conceded_to_me` for rules: a rule that needs it must change that)."""

    name: ClassVar[str]
    code: ClassVar[int]

    def fires(self, view: ActorView) -> np.ndarray: ...


class OutsideOption:
    """Walk out when even the best package the agenda allows is worth less than walking away
    (Binmore, Shaked & Sutton: an outside option binds only when it beats the deal)."""

    name = "outside_option"
    code = OUTSIDE_OPTION

    def fires(self, view: ActorView) -> np.ndarray:
        """best_possible < reservation."""
        return _fires(self.code, view)


class Impatience:
    """Walk out when the others concede too slowly to reach the outside option in time.

    The others' pace r is the rise, per round, of the best utility they have offered me over
    the last `window` rounds.  Waiting k more rounds is worth patience^k * (b + r k), with b the
    best offer so far and k up to the rounds left before my deadline (none once it has passed).
    If the best waiting time is still worth less than the outside option now, I leave.  An actor
    whose deadline has passed therefore leaves as soon as no received offer beats walking away.
    """

    name = "impatience"
    code = IMPATIENCE

    def fires(self, view: ActorView) -> np.ndarray:
        """Never before `window` rounds of offers; else min(best wait value, best_possible) < reservation."""
        return _fires(self.code, view)


def _best_wait_value(b, rate, delta, horizon) -> np.ndarray:
    """max over integer k in [0, horizon] of delta^k (b + rate k), elementwise (kernel.best_wait_value)."""
    from . import kernel

    return kernel.elementwise(kernel.best_wait_value, float, b, rate, delta, horizon)


WALKOUT_RULES: dict[str, type] = {cls.name: cls for cls in (OutsideOption, Impatience)}
RULE_NAMES: dict[int, str] = {cls.code: cls.name for cls in (OutsideOption, Impatience)}
