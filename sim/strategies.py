"""Concession strategies: how much utility an actor still asks for on a meeting day.

A strategy maps what one actor knows (an `ActorView`, arrays over runs) to its aspiration
level: the utility it demands of any package it proposes or accepts.  The aspiration never
falls below the reservation value (the outside option at t) and starts at most at the best
utility the agenda allows.  How the aspiration is turned into a concrete package (issue
linkage or uniform concession) is `kernel._build_offer`.

The formulas themselves are compiled once, in `kernel.py` (one function per strategy, of the
actor's situation and its parameter row, reached through `kernel.aspiration` by the class's
`code`), which is what the simulation runs; the classes here apply them to arrays (for tests
and for use on their own) and carry each strategy's name, code and classifier.  Numba is imported only when a strategy is evaluated,
so that validating a scenario stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np

from .codes import BARON_FEREJOHN, EQUILIBRIUM, RESPONSIVE, STRATEGY_PARAMS, TIME_DEPENDENT


@dataclass(frozen=True)
class ActorView:
    """One actor's side of every run on a meeting day (arrays shaped (R,); the compiled
    kernel.Look plus its strategy parameters).  Time is in days after 17 Dec 2021."""

    day: float
    best_possible: np.ndarray  # utility of its best package on the agenda
    reservation: np.ndarray  # outside option that day
    deadline: np.ndarray  # days
    patience: np.ndarray  # discount factor per 7 days
    held: np.ndarray  # what it has by staying: the best of the status quo and any offer it could sign now
    held_earlier: np.ndarray  # the same `span` days earlier (the status quo before the talks)
    span: np.ndarray  # days between the two, up to its pace memory
    elapsed: np.ndarray  # days since the first meeting
    pace_prior: np.ndarray  # the pace it expects before seeing any, utility per 7 days
    prior_days: np.ndarray  # weight of that expectation, in days of observation
    conceded_to_me: np.ndarray  # largest rise, first to best offer, of any single other party (0 if none)
    proposing: np.ndarray  # it proposes now
    interval: np.ndarray  # days to the next meeting
    beta: np.ndarray
    kappa: np.ndarray
    gamma: np.ndarray
    partner_patience: np.ndarray
    parties: np.ndarray


def faratin_alpha(t, deadline, beta, kappa) -> np.ndarray:
    """Faratin, Sierra & Jennings (1998): alpha(t) = k + (1 - k) (t / T)^(1 / beta), t clipped to T.

    alpha(0) = k and alpha(T) = 1; beta < 1 is Boulware (holds out, concedes late), beta > 1 is
    Conceder, beta = 1 is linear.  Arguments broadcast like numpy's.
    """
    from . import kernel

    return kernel.elementwise(kernel.faratin_alpha, float, t, np.asarray(deadline, dtype=float), beta, kappa)


def look_arrays(view: ActorView) -> list:
    """The view's fields that make the kernel's `Look` (one actor's situation), in its order."""
    from . import kernel

    return [getattr(view, name) for name in kernel.Look._fields]


def _aspirations(code: int, view: ActorView) -> np.ndarray:
    """The kernel's strategy dispatch, elementwise: each element's Look and parameter row
    (the view's fields named in codes.STRATEGY_PARAMS, in that order)."""
    from . import kernel

    n = len(kernel.Look._fields)

    def one(*v):
        return kernel.aspiration(code, kernel.Look(*v[:n]), np.array(v[n:], dtype=float))

    return kernel.elementwise(one, float, *look_arrays(view), *(getattr(view, k) for k in STRATEGY_PARAMS))


class Strategy(Protocol):
    name: ClassVar[str]
    code: ClassVar[int]  # its branch in kernel.aspiration (codes.py)
    classifier: ClassVar[dict]

    def aspiration(self, view: ActorView) -> np.ndarray: ...


class TimeDependent:
    """Boulware (beta < 1), linear (beta = 1) or Conceder (beta > 1) over the actor's deadline."""

    name = "time_dependent"
    code = TIME_DEPENDENT
    classifier = {"reacts_to_others": False, "parameters": ("beta", "kappa", "deadline")}

    def aspiration(self, view: ActorView) -> np.ndarray:
        """The utility alpha(t) of the way from the best possible down to the reservation value."""
        return _aspirations(self.code, view)


class Responsive:
    """Relative tit-for-tat: concede gamma times the utility the others have conceded to me.

    Others' concession = the largest, over the other parties, of (utility to me of its best
    offer) - (utility to me of its first offer): allies that never moved do not dilute an
    opponent's concession.  kappa is an opening concession, as in the time-dependent tactic.
    """

    name = "responsive"
    code = RESPONSIVE
    classifier = {"reacts_to_others": True, "parameters": ("gamma", "kappa")}

    def aspiration(self, view: ActorView) -> np.ndarray:
        """top - kappa (top - reservation) - gamma * conceded_to_me, kept in [reservation, top]."""
        return _aspirations(self.code, view)


class Equilibrium:
    """Rubinstein's subgame-perfect strategy for two parties with complete information: as
    proposer ask (1 - d_o) / (1 - d_s d_o) of the way from the outside option to the best package,
    as responder d_s times that; d_s its own and d_o the other's discount factor over one meeting
    interval (`partner_patience`, per 7 days).  A reference for the docking tests, not a
    description of how these parties bargained."""

    name = "equilibrium"
    code = EQUILIBRIUM
    classifier = {"reacts_to_others": False, "role_aware": True, "parameters": ("partner_patience",)}

    def aspiration(self, view: ActorView) -> np.ndarray:
        return _aspirations(self.code, view)


class BaronFerejohn:
    """Baron & Ferejohn's stationary strategy under unanimity with `parties` parties recognised
    with equal chance: as responder ask delta / n of the way from the outside option to the best
    package, as proposer 1 - (n - 1) delta / n (delta over one meeting interval).  With
    offer = "divide" and a protocol budget it divides a fixed pie; a reference for the docking
    tests, not a description of how these parties bargained."""

    name = "baron_ferejohn"
    code = BARON_FEREJOHN
    classifier = {"reacts_to_others": False, "role_aware": True, "parameters": ("parties",)}

    def aspiration(self, view: ActorView) -> np.ndarray:
        return _aspirations(self.code, view)


STRATEGIES: dict[str, type] = {cls.name: cls for cls in (TimeDependent, Responsive, Equilibrium, BaronFerejohn)}
