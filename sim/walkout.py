"""Walkout rules: when staying at the table is worth less than the outside option.

Each rule looks at one actor's `ActorView` and returns, per run, whether it walks out now.
No rule makes an actor walk while what it holds (the status quo, or an offer it could sign)
beats its outside option: it would rather stay.

As with strategies, the rules run compiled in `kernel.py` (one function per rule, of the
actor's situation, reached through `kernel.walkout_fires` by the class's `code`); the classes
here apply them to arrays and carry each rule's name and code.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

import numpy as np

from .codes import IMPATIENCE, OUTSIDE_OPTION
from .strategies import ActorView, look_arrays


def _fires(code: int, view: ActorView) -> np.ndarray:
    """The kernel's rule dispatch, elementwise over the view's `Look`s."""
    from . import kernel

    return kernel.elementwise(lambda *v: kernel.walkout_fires(code, kernel.Look(*v)), bool, *look_arrays(view))


class WalkoutRule(Protocol):
    """A rule sees the actor's view after the meeting on view.day (the kernel does not work out
    `conceded_to_me` for rules: a rule that needs it must change that)."""

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
    """Walk out when waiting for the others' concessions cannot beat the outside option in time.

    What the actor holds by staying, b, is the best of the status quo (what talking gives while
    it lasts) and any offer it could sign now.  The others' pace r is the rise of b over its
    pace memory, blended with the pace it expected before seeing any (weighted by the days the
    talks have run against prior_days).  Waiting k more days is worth delta^k (b + r k), with
    delta the daily discount factor and k up to its deadline (none once it has passed).  If the
    best waiting time, capped at its best package, is worth less than the outside option now, it
    leaves.  Defined in every state: an actor never offered anything it could sign holds the
    status quo, so one whose status quo beats its outside option never leaves by this rule.
    """

    name = "impatience"
    code = IMPATIENCE

    def fires(self, view: ActorView) -> np.ndarray:
        """min(best wait value, best_possible) < reservation, unless b and best_possible both beat it."""
        return _fires(self.code, view)


def _best_wait_value(b, rate, delta, horizon) -> np.ndarray:
    """max over integer k in [0, horizon] of delta^k (b + rate k), elementwise (kernel.best_wait_value)."""
    from . import kernel

    return kernel.elementwise(kernel.best_wait_value, float, b, rate, delta, horizon)


WALKOUT_RULES: dict[str, type] = {cls.name: cls for cls in (OutsideOption, Impatience)}
RULE_NAMES: dict[int, str] = {cls.code: cls.name for cls in (OutsideOption, Impatience)}
