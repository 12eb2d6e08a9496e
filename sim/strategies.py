"""Concession strategies: how much utility an actor still asks for at round t.

A strategy maps what one actor knows (an `ActorView`, arrays over runs) to its aspiration
level: the utility it demands of any package it proposes or accepts.  The aspiration never
falls below the reservation value (the outside option at t) and starts at most at the best
utility the agenda allows.  How the aspiration is turned into a concrete package (issue
linkage or uniform concession) lives in `offers.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np


@dataclass(frozen=True)
class ActorView:
    """One actor's side of every run at round t (all arrays shaped (R,))."""

    t: int
    best_possible: np.ndarray  # utility of its best package on the agenda
    reservation: np.ndarray  # outside option at t
    deadline: np.ndarray  # rounds
    beta: np.ndarray
    kappa: np.ndarray
    gamma: np.ndarray
    patience: np.ndarray  # discount factor per round
    best_offer: np.ndarray  # best utility among others' offers so far (-inf if none)
    conceded_to_me: np.ndarray  # largest rise, first to best offer, of any single other party (0 if none)
    best_offer_earlier: np.ndarray  # best_offer `window` rounds ago (-inf if none)
    window: int


def faratin_alpha(t: np.ndarray | float, deadline: np.ndarray | float, beta: np.ndarray | float,
                  kappa: np.ndarray | float) -> np.ndarray:
    """Faratin, Sierra & Jennings (1998): alpha(t) = k + (1 - k) (t / T)^(1 / beta), t clipped to T.

    alpha(0) = k and alpha(T) = 1; beta < 1 is Boulware (holds out, concedes late), beta > 1 is
    Conceder, beta = 1 is linear.
    """
    frac = np.clip(np.asarray(t, dtype=float) / np.asarray(deadline, dtype=float), 0.0, 1.0)
    return kappa + (1.0 - kappa) * frac ** (1.0 / np.asarray(beta, dtype=float))


class Strategy(Protocol):
    name: ClassVar[str]
    classifier: ClassVar[dict]

    def aspiration(self, view: ActorView) -> np.ndarray: ...


def _between(view: ActorView, alpha: np.ndarray) -> np.ndarray:
    """Utility a share alpha of the way from the best possible down to the reservation value."""
    top = view.best_possible
    return np.maximum(view.reservation, top - alpha * (top - view.reservation))


class TimeDependent:
    """Boulware (beta < 1), linear (beta = 1) or Conceder (beta > 1) over the actor's deadline."""

    name = "time_dependent"
    classifier = {"reacts_to_others": False, "parameters": ("beta", "kappa", "deadline")}

    def aspiration(self, view: ActorView) -> np.ndarray:
        return _between(view, faratin_alpha(view.t, view.deadline, view.beta, view.kappa))


class Responsive:
    """Relative tit-for-tat: concede gamma times the utility the others have conceded to me.

    Others' concession = the largest, over the other parties, of (utility to me of its best
    offer) - (utility to me of its first offer): allies that never moved do not dilute an
    opponent's concession.  kappa is an opening concession, as in the time-dependent tactic.
    """

    name = "responsive"
    classifier = {"reacts_to_others": True, "parameters": ("gamma", "kappa")}

    def aspiration(self, view: ActorView) -> np.ndarray:
        top = view.best_possible
        opening = top - view.kappa * (top - view.reservation)
        return np.maximum(view.reservation, np.minimum(top, opening - view.gamma * view.conceded_to_me))


STRATEGIES: dict[str, type] = {cls.name: cls for cls in (TimeDependent, Responsive)}
