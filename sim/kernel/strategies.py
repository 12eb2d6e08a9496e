"""Concession strategies: how much utility an actor asks for on a meeting day.

Each strategy is one compiled function of the actor's situation (a `Look`) and its strategy
parameter row `theta` (columns `schema.STRATEGY_PARAMS`), returning the utility it asks for: the
least it proposes or accepts.  No strategy asks less than its reservation value (its outside
option that day) or more than its best package.  `aspiration` dispatches on the strategy's code,
its position in `schema.STRATEGIES`.  How an ask becomes a package is `offers.py`.
"""

from __future__ import annotations

import math

import numpy as np

from ..schema import STRATEGIES, STRATEGY_PARAMS, code
from .bundles import compiled, helper

TIME_DEPENDENT, RESPONSIVE = code(STRATEGIES, "time_dependent"), code(STRATEGIES, "responsive")
EQUILIBRIUM, BARON_FEREJOHN = code(STRATEGIES, "equilibrium"), code(STRATEGIES, "baron_ferejohn")
# columns of an actor's parameter row
BETA, KAPPA, GAMMA = (STRATEGY_PARAMS.index(k) for k in ("beta", "kappa", "gamma"))
PARTNER, PARTIES = STRATEGY_PARAMS.index("partner_patience"), STRATEGY_PARAMS.index("parties")


@compiled
def faratin_alpha(t, deadline, beta, kappa):
    """Faratin, Sierra & Jennings (1998): alpha(t) = k + (1 - k) (t / T)^(1 / beta), t clipped to T
    (t and T in days).  alpha(0) = k and alpha(T) = 1; beta < 1 is Boulware (holds out, concedes
    late), beta > 1 Conceder, beta = 1 linear."""
    frac = min(max(t / deadline, 0.0), 1.0)
    return kappa + (1.0 - kappa) * frac ** (1.0 / beta)


@compiled
def interval_alpha(day, interval, deadline, beta, kappa):
    """The mean of alpha(t) over the days [day, day + interval] that an offer tabled at a
    meeting stands until the next: what a time-dependent negotiator concedes for that stretch of
    calendar time.  With g(t) = (min(t, T) / T)^p, p = 1 / beta, its integral up to T is
    T (t / T)^(p + 1) / (p + 1), and g = 1 after T.  Continuous in the deadline T: moving it
    across a meeting day moves the concession smoothly (the pointwise alpha at meeting days jumped
    when T crossed one: docs/model.md, section 3.3)."""
    if interval <= 0.0:
        return faratin_alpha(day, deadline, beta, kappa)
    p = 1.0 / beta
    a, b = max(day, 0.0), day + interval
    if a >= deadline:
        return 1.0
    head = deadline / (p + 1.0) * ((min(b, deadline) / deadline) ** (p + 1.0) - (a / deadline) ** (p + 1.0))
    tail = max(b - deadline, 0.0)
    return kappa + (1.0 - kappa) * (head + tail) / interval


@helper
def time_dependent(lk, theta):
    """The utility alpha of the way from the best possible down to the reservation value, alpha
    averaged over the days until the next meeting (interval_alpha)."""
    top, reservation = lk.best_possible, lk.reservation
    alpha = interval_alpha(lk.day, lk.interval, lk.deadline, theta[BETA], theta[KAPPA])
    return max(reservation, top - alpha * (top - reservation))


@helper
def responsive(lk, theta):
    """Tit-for-tat on a clock: an opening concession kappa, then gamma times what the others
    conceded to me (the largest rise, first to best offer, of any single other party, so allies
    that never moved do not dilute an opponent's concession), and never less than the calendar
    asks: at least the time-dependent concession with its beta and deadline (Faratin et al. 1998
    mix behaviour- and time-dependent tactics).  Without the clock, a party whose opponents'
    offers start far from its best package never came down far enough to agree (a responsive
    Russia agreed in 0.0% of runs at every gamma).  Kept in [reservation, top]."""
    top, reservation = lk.best_possible, lk.reservation
    opening = top - theta[KAPPA] * (top - reservation)
    clock = time_dependent(lk, theta)
    return max(reservation, min(top, opening - theta[GAMMA] * lk.conceded_to_me, clock))


@helper
def equilibrium(lk, theta):
    """Rubinstein (1982): two parties splitting the way from the outside option to the best
    package, alternating offers a meeting apart, each knowing the other's discount factor
    (theta[PARTNER], per 7 days).  The proposer asks the subgame-perfect share
    (1 - d_o) / (1 - d_s d_o) of that way; a responder asks what it would get as the next
    proposer, discounted by one meeting: d_s (1 - d_o) / (1 - d_s d_o)."""
    top, reservation = lk.best_possible, lk.reservation
    d_s = math.exp(math.log(min(lk.patience, 1.0 - 1e-12)) * lk.interval / 7.0)
    d_o = math.exp(math.log(min(theta[PARTNER], 1.0 - 1e-12)) * lk.interval / 7.0)
    share = (1.0 - d_o) / (1.0 - d_s * d_o)
    if not lk.proposing:
        share = d_s * share
    return max(reservation, reservation + share * (top - reservation))


@helper
def baron_ferejohn(lk, theta):
    """Baron & Ferejohn (1989), unanimity, n = theta[PARTIES] parties recognised with equal
    chance: a responder's continuation value is delta / n of the way from the outside option to
    the best package (delta: its discount factor over one meeting interval), so it asks that; a
    proposer keeps what is left after offering it to each of the n - 1 others:
    1 - (n - 1) delta / n.  A reference for the docking tests (with offer = "divide")."""
    top, reservation = lk.best_possible, lk.reservation
    n = max(theta[PARTIES], 1.0)
    delta = math.exp(math.log(min(lk.patience, 1.0 - 1e-12)) * lk.interval / 7.0)
    share = 1.0 - (n - 1.0) * delta / n if lk.proposing else delta / n
    return max(reservation, reservation + share * (top - reservation))


@helper
def aspiration(code, lk, theta):
    """Utility the actor asks for on day lk.day under strategy `code`."""
    if code == TIME_DEPENDENT:
        return time_dependent(lk, theta)
    if code == RESPONSIVE:
        return responsive(lk, theta)
    if code == EQUILIBRIUM:
        return equilibrium(lk, theta)
    if code == BARON_FEREJOHN:
        return baron_ferejohn(lk, theta)
    return np.nan  # the loader only accepts registered strategies


# what `aspiration` reaches, by code (tests check it against schema.STRATEGIES)
FUNCTIONS = {TIME_DEPENDENT: time_dependent, RESPONSIVE: responsive, EQUILIBRIUM: equilibrium,
             BARON_FEREJOHN: baron_ferejohn}
