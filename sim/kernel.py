"""The round kernel: the bargaining rules (docs/model.md, section 1.3), compiled with Numba.

This module is the one copy of the model's dynamics.  Both drivers call `play_rounds`: the
batch driver once per chunk (every run, round after round, until it ends or the horizon), the
Mesa driver once per step (one run, one round).  The strategy classes (`strategies.py`) and
walkout rules (`walkout.py`) are thin wrappers over the compiled functions here, so the
contract tests exercise the code the simulation runs.

Why compiled: a round touches every actor's preferences over every clause several times
(aspiration, offer, votes, learning, walkout), and numpy can only do that in separate passes
over memory with a temporary each.  A loop over runs, each run's arrays hot in cache, does it
in one pass (benchmarks/bench_batch.py measures both against a floor).

Every run is computed on its own, with the same scalar operations in the same order whatever
batch it sits in, so results are bit-identical across chunk sizes, worker counts and drivers
on a given machine (another CPU may compile sums differently and change the last bits).

Helpers take named bundles, never loose arrays (docs/model.md, section 3.10):
    L  KernelRules  the scenario's rules, the same in every run (protocol.py)
    pf Prefs        one run's preferences: what utilities are computed from
    rv RunView      one run's other parameters, and its actors' strategy parameter rows
    st RunState     one run's state (views into the batch's State, written in place)
    pr Proposers    one run's constants as a proposer, derived when a call starts
    w  Work         scratch buffers, allocated once per call
    lk Look         one actor's situation at round t, scalars: what strategies and rules see
Each strategy and each walkout rule is its own compiled function of (lk, theta) or (lk),
reached through one dispatch (`aspiration`, `walkout_fires`) keyed by its code.  Adding one:
docs/model.md, section 3.10.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba import njit

from . import codes

# Numba compiles these into the machine code, and its cache only notices edits to this file:
# so the codes are written here, and codes.py (for the Python side) must agree, which is checked.
ONGOING, AGREEMENT, WALKOUT = 0, 1, 2
TIME_DEPENDENT, RESPONSIVE, EQUILIBRIUM = 1, 2, 3
BARON_FEREJOHN = 4
OUTSIDE_OPTION, IMPATIENCE = 1, 2
BETA, KAPPA, GAMMA, PARTNER, PARTIES = 0, 1, 2, 3, 4  # columns of an actor's strategy parameter row (codes.STRATEGY_PARAMS)
if (codes.EQUILIBRIUM, codes.BARON_FEREJOHN) != (EQUILIBRIUM, BARON_FEREJOHN):
    raise ImportError("sim/codes.py and sim/kernel.py disagree on the equilibrium or Baron-Ferejohn strategy's code")
if (codes.ONGOING, codes.AGREEMENT, codes.WALKOUT, codes.TIME_DEPENDENT, codes.RESPONSIVE, codes.OUTSIDE_OPTION,
        codes.IMPATIENCE) != (ONGOING, AGREEMENT, WALKOUT, TIME_DEPENDENT, RESPONSIVE, OUTSIDE_OPTION, IMPATIENCE):
    raise ImportError("sim/codes.py and sim/kernel.py disagree on an outcome, strategy or rule code; "
                      "change both together")
if tuple(codes.STRATEGY_PARAMS) != ("beta", "kappa", "gamma", "partner_patience", "parties"):
    raise ImportError("sim/codes.py STRATEGY_PARAMS and the columns BETA, KAPPA, GAMMA, PARTNER, PARTIES of sim/kernel.py "
                      "disagree; change both together")

NEG_INF = -np.inf
FAST = {"reassoc", "contract", "arcp", "nsz"}  # not "nnan"/"ninf": -inf marks "no offer yet"
# Helpers work in place on arrays they are handed and allocate nothing, so they are compiled
# without reference counting (`_nrt=False`): with it, binding each array argument costs two
# atomic operations per call, which measured as half the kernel's time.  Bundles of arrays
# are therefore built in `play_rounds` (which counts references), once per call or per run,
# and handed down; a helper may slice them but never allocate.
_helper = njit(cache=True, error_model="numpy", fastmath=FAST, _nrt=False)
TOLERANCE = 1e-12  # a package worth its aspiration up to rounding is acceptable

# ---------------------------------------------------------------- bundles
# Named tuples (Numba passes them natively), module attributes named like their attribute so
# that Numba's on-disk cache finds the types again.  The batch-wide bundles (KernelRules,
# KernelParams, KernelState, KernelTrace) are built in protocol.py; `play_rounds` cuts them
# into these, each holding what a group of helpers reads.  A helper call that LLVM does not
# inline passes every field of every bundle it takes (about 8 words an array), so bundles are
# kept to what their helpers use: a bundle of everything cost half the kernel's speed.
# Per call: the scenario's rules and the scratch buffers (the same arrays for every run).

Actors = namedtuple("Actors", [  # each actor's rules, and the calendar
    "required",  # (A,) bool: at the table
    "strategy",  # (A,) strategy code
    "reacts",  # (A,) bool: its strategy reads the others' concessions
    "rules",  # (A, max rules) walkout rule codes in the actor's order, 0 = none
    "memory",  # (A,) days of offers over which impatience measures the others' pace
    "prior_days",  # (A,) weight of its expected pace, in days of observed offers
    "days",  # (H,) the day of each meeting (days after 17 Dec 2021)
    "demand_of",  # (C,) each clause's demand (layout.demands)
    "shift",  # (H, A) what dated events have added to each outside option by each meeting
])
Instruments = namedtuple("Instruments", [
    "member",  # (I, C) clause belongs to instrument
    "signs",  # (I, A) actor must accept instrument
    "live",  # (I,) instrument has a clause on the table
])
Plans = namedtuple("Plans", [  # each actor's constants as a proposer in this run (_setup_run)
    "low", "high",  # (A, C) package bounds: red lines within the agenda
    "base_loss",  # (A, C) effective loss at its best package
    "weight",  # (A, A, C) its estimate of the others' saliences
    "total",  # (A, C) sum of weight over the others
    "order",  # (A, C) linkage order of clauses
])
OfferWork = namedtuple("OfferWork", [  # the offer under construction (all (C,))
    "fixed",  # bool: clause of an instrument agreed in an earlier round
    "fixed_values",  # its agreed value
    "x",  # the offer
    "x0", "target", "base", "cost", "tmp",
])
VoteWork = namedtuple("VoteWork", [  # scratch for the votes per instrument
    "fixed",  # (C,) as in OfferWork
    "z", "values_before",  # (C,)
    "loss", "uz",  # (A,)
    "yes",  # (A,) bool
])

# Per run: views into the batch's parameters and state (made once per run, written in place).

Prefs = namedtuple("Prefs", [  # what utilities are computed from
    "mixing",  # (A, A) effective utility of i = sum_k mixing[i, k] u_k (the same in every run)
    "salience", "ideal",  # (A, C)
])
RedLines = namedtuple("RedLines", ["below", "above"])  # (A, C): values outside are never acceptable
RunView = namedtuple("RunView", [  # what strategies and walkout rules read, with Received
    "outside_option",  # (A,) utility of walking out on day 0
    "growth",  # (A,) its change per 7 days
    "patience",  # (A,) discount factor per 7 days
    "deadline",  # (A,) days
    "best_possible",  # (A,) utility of its best package on the agenda
    "status_quo",  # (A,) utility of the package at 0: what it has while talks go on
    "pace_prior",  # (A,) the pace of concession it expects before seeing any, utility per 7 days
    "strategy_params",  # (A, K) each actor's strategy parameter row, columns codes.STRATEGY_PARAMS
])
Received = namedtuple("Received", [  # the offers each actor has received
    "best_offer",  # (A,) best utility offered by the others so far (-inf if none)
    "first_from", "best_from",  # (A receiver, A proposer) utility of the proposer's first and best offers
    "package",  # (A, C) the best offer's package
    "history",  # (A, H + 1) best_offer before round t, at index t
])
Proposers = namedtuple("Proposers", [  # what each actor proposes from
    "required",  # (A,) bool: at the table
    "linkage",  # (A,) bool: offers trade across clauses (else uniform concession)
    "best_package",  # (A, C)
    "belief",  # (A observer, A observed, C) estimated positions
    "divide",  # (A,) bool: offers divide the budget
    "budget",  # what the positions of a package may sum to (divide), or infinity
])
Start = namedtuple("Start", [  # what a run starts from
    "pairs",  # (P, 2) observer, observed: the pairs of parties at the table that hold beliefs
    "upper",  # (C,) highest value per clause
    "belief_position", "belief_salience",  # (P, C) initial beliefs
])
Epochs = namedtuple("Epochs", [  # red lines, caps and best packages before and after dated changes (events.py)
    "above", "below",  # (R, A, C) epoch 0
    "upper",  # (R, C)
    "best_package",  # (R, A, C)
    "best_possible",  # (R, A)
    "later_above", "later_below",  # (R, E - 1, A, C) epochs 1..E-1
    "later_upper",  # (R, E - 1, C)
    "later_best_package",  # (R, E - 1, A, C)
    "later_best_possible",  # (R, E - 1, A)
])
Locks = namedtuple("Locks", [  # separate packages
    "locked",  # (I,) instrument agreed
    "locked_values",  # (C,)
    "accepts",  # (A,) the latest round's answers
])

# Per actor and round, scalars: what strategies and walkout rules see.
Look = namedtuple("Look", [  # one actor's situation on a meeting day (the compiled strategies.ActorView)
    "day",  # days after 17 Dec 2021
    "best_possible", "reservation",  # utility of its best package on the agenda; outside option that day
    "deadline",  # day by which it wants a result
    "patience",  # discount factor per 7 days
    "held",  # what it has by staying: the best of the status quo and any offer it could sign now
    "held_earlier",  # the same, `span` days before (the status quo before the talks)
    "span",  # days between the two (up to its memory): the window the pace is observed over
    "elapsed",  # days since the first meeting: how much the observed pace weighs against the expected
    "pace_prior",  # expected pace, utility per 7 days, and its weight in days of observation
    "prior_days",
    "conceded_to_me",  # largest rise, first to best offer, of any single other party (0 for rules)
    "proposing",  # it proposes now (strategies whose ask depends on the role read it)
    "interval",  # days to the next meeting (the time a refusal costs)
])


def elementwise(fn, otype, *args) -> np.ndarray:
    """A scalar function applied with numpy broadcasting (for the Python-side classes).
    Compiled code may evaluate both sides of a branch, so floating-point flags raised by values
    it then discards (say b / rate with rate = 0) are silenced."""
    with np.errstate(all="ignore"):
        return np.vectorize(fn, otypes=[otype])(*args)


# ---------------------------------------------------------------- concession strategies
# One compiled function each, of the actor's Look and its parameter row theta (columns BETA,
# KAPPA, GAMMA, ...), returning the utility it asks for; `aspiration` dispatches on the code.

@njit(cache=True, error_model="numpy", fastmath=FAST)
def faratin_alpha(t, deadline, beta, kappa):
    """Faratin, Sierra & Jennings (1998): alpha(t) = k + (1 - k) (t / T)^(1 / beta), t clipped to T
    (t and T in days)."""
    frac = min(max(t / deadline, 0.0), 1.0)
    return kappa + (1.0 - kappa) * frac ** (1.0 / beta)


@_helper
def time_dependent(lk, theta):
    """The utility alpha(t) of the way from the best possible down to the reservation value."""
    top, reservation = lk.best_possible, lk.reservation
    alpha = faratin_alpha(lk.day, lk.deadline, theta[BETA], theta[KAPPA])
    return max(reservation, top - alpha * (top - reservation))


@_helper
def responsive(lk, theta):
    """An opening concession kappa, then gamma times what the others conceded to me:
    top - kappa (top - reservation) - gamma * conceded_to_me, kept in [reservation, top]."""
    top, reservation = lk.best_possible, lk.reservation
    opening = top - theta[KAPPA] * (top - reservation)
    return max(reservation, min(top, opening - theta[GAMMA] * lk.conceded_to_me))


@_helper
def aspiration(code, lk, theta):
    """Utility the actor asks for on day lk.day under strategy `code` (see strategies.py)."""
    if code == TIME_DEPENDENT:
        return time_dependent(lk, theta)
    if code == RESPONSIVE:
        return responsive(lk, theta)
    if code == EQUILIBRIUM:
        return equilibrium(lk, theta)
    if code == BARON_FEREJOHN:
        return baron_ferejohn(lk, theta)
    return np.nan  # layout.py only hands over known codes


@_helper
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


@_helper
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


STRATEGY_FUNCTIONS = {TIME_DEPENDENT: time_dependent, RESPONSIVE: responsive,
                      EQUILIBRIUM: equilibrium, BARON_FEREJOHN: baron_ferejohn}  # what `aspiration` reaches


# ---------------------------------------------------------------- walkout rules
# One compiled function each, of the actor's Look after t rounds, returning whether it leaves;
# `walkout_fires` dispatches on the code.

@njit(cache=True, error_model="numpy", fastmath=FAST)
def best_wait_value(b, rate, delta, horizon):
    """max over integer k in [0, horizon] of delta^k (b + rate k): the continuous maximiser is
    k* = -1/ln(delta) - b/rate (log-concave for rate > 0), so the integer one is floor or ceil of
    k*, clipped, or the horizon."""
    horizon = float(horizon)
    log_d = math.log(min(delta, 1.0 - 1e-12))
    k_star = -1.0 / log_d - b / rate if rate > 0 else 0.0
    best = b
    for k in (np.floor(k_star), np.ceil(k_star), horizon):
        k = min(max(k, 0.0), horizon)
        best = max(best, math.exp(k * log_d) * (b + rate * k))
    return best


@_helper
def outside_option_fires(lk):
    """Even the best package the agenda allows is worth less than walking away."""
    return lk.best_possible < lk.reservation


@_helper
def pace(lk):
    """The others' pace of concession toward the actor, utility per day: the rise of what it
    holds over its memory window, blended with its expected pace, the two weighted by the days
    the talks have run and prior_days (so the first meetings lean on the expectation and later
    ones on what was seen, whatever the window: the window only says how recent 'seen' is)."""
    observed = max(lk.held - lk.held_earlier, 0.0) / lk.span if lk.span > 0 else 0.0
    weight = lk.elapsed + lk.prior_days
    return (lk.elapsed * observed + lk.prior_days * lk.pace_prior / 7.0) / weight if weight > 0 else 0.0


@_helper
def impatience_fires(lk):
    """Waiting for the others' concessions, at their pace and discounted, cannot reach the
    outside option before the deadline (Russia's fear of talks 'drowned in a swamp')."""
    held, reservation = lk.held, lk.reservation
    if held >= reservation and lk.best_possible >= reservation:
        return False  # staying is worth at least walking away now (k = 0): no need to look further
    daily = math.exp(math.log(min(lk.patience, 1.0 - 1e-12)) / 7.0)  # discount factor per day
    value = best_wait_value(held, pace(lk), daily, max(lk.deadline - lk.day, 0.0))
    return min(value, lk.best_possible) < reservation


@_helper
def walkout_fires(code, lk):
    """Does walkout rule `code` make the actor leave after the meeting on day lk.day (see walkout.py)?"""
    if code == OUTSIDE_OPTION:
        return outside_option_fires(lk)
    if code == IMPATIENCE:
        return impatience_fires(lk)
    return False  # layout.py only hands over known codes


RULE_FUNCTIONS = {OUTSIDE_OPTION: outside_option_fires, IMPATIENCE: impatience_fires}  # what `walkout_fires` reaches


# ---------------------------------------------------------------- small tools

@_helper
def _copy(src, dst):
    for k in range(src.shape[0]):
        dst[k] = src[k]


@_helper
def _stable_argsort(key, out):
    """out = np.argsort(key, kind="stable"), in place: an insertion sort, which for a score of
    clauses costs a fraction of numba's allocating merge sort."""
    for k in range(key.shape[0]):
        out[k] = k
        m = k
        while m > 0 and key[out[m - 1]] > key[k]:
            out[m] = out[m - 1]
            m -= 1
        out[m] = k


# ---------------------------------------------------------------- preferences of one run
# pf is one run's Prefs, rl its RedLines; a package x is (C,).

@_helper
def _utilities(pf, x, loss, u):
    """u[a] = effective utility of package x to actor a (preferences.utilities for one run)."""
    mixing, salience, ideal = pf.mixing, pf.salience, pf.ideal
    n_a, n_c = salience.shape
    for k in range(n_a):
        s = 0.0
        for c in range(n_c):
            s += salience[k, c] * abs(x[c] - ideal[k, c])
        loss[k] = s
    for a in range(n_a):
        s = 0.0
        for k in range(n_a):
            s += loss[k] * mixing[a, k]
        u[a] = 1.0 - s


@_helper
def _inside(rl, x, a):
    """Package x crosses none of actor a's red lines."""
    below, above = rl.below, rl.above
    ok = True
    for c in range(x.shape[0]):  # no early exit: the loop vectorises, and clauses are few
        ok &= (x[c] >= below[a, c]) & (x[c] <= above[a, c])
    return ok


@_helper
def _mixed_loss(pf, i, x, out):
    """out[c] = actor i's effective loss on clause c at package x: sum_k M_ik s_kc |x_c - p_kc|."""
    mixing, salience, ideal = pf.mixing, pf.salience, pf.ideal
    for c in range(x.shape[0]):
        out[c] = 0.0
    for k in range(mixing.shape[0]):
        m = mixing[i, k]
        if m != 0.0:
            for c in range(x.shape[0]):
                out[c] += m * salience[k, c] * abs(x[c] - ideal[k, c])


@_helper
def _answers(pf, rl, tabling, z, asp, loss, u, yes):
    """yes[a]: actor a accepts package z (no red line crossed and worth its aspiration); a party
    tabling it (tabling[a]: the proposer, and any co-sponsor of a dated offer) accepts it unless
    it crosses one of its red lines."""
    _utilities(pf, z, loss, u)
    for a in range(u.shape[0]):
        yes[a] = _inside(rl, z, a) and (tabling[a] or u[a] >= asp[a] - TOLERANCE)


# ---------------------------------------------------------------- what a run starts from

@_helper
def _setup_run(pf, rl, pp, plan, start, key, fresh):
    """One run's constants as a proposer (its package bounds, its loss at its best package, its
    estimate of the others' saliences, its linkage order) into `plan` and, at round 0 (`fresh`),
    its initial beliefs (params.py draws them; only pairs of parties at the table hold beliefs,
    the rest are true).  key: (C,) scratch."""
    mixing, ideal, salience, above, below = pf.mixing, pf.ideal, pf.salience, rl.above, rl.below
    required, best_package, belief = pp.required, pp.best_package, pp.belief
    pairs, upper, belief_position0, belief_salience = start.pairs, start.upper, start.belief_position, start.belief_salience
    low, high, base_loss, weight, total, order = plan.low, plan.high, plan.base_loss, plan.weight, plan.total, plan.order
    n_a, n_c = ideal.shape
    for a in range(n_a):
        for c in range(n_c):
            high[a, c] = min(above[a, c], upper[c])
            low[a, c] = min(below[a, c], high[a, c])
            total[a, c] = 0.0
            for j in range(n_a):
                weight[a, j, c] = 0.0
                if fresh:
                    belief[a, j, c] = ideal[j, c]
        _mixed_loss(pf, a, best_package[a], base_loss[a])
    for k in range(pairs.shape[0]):
        i, j = pairs[k, 0], pairs[k, 1]
        for c in range(n_c):
            if fresh:
                belief[i, j, c] = belief_position0[k, c]
            weight[i, j, c] = belief_salience[k, c]
            total[i, c] += belief_salience[k, c]
    for a in range(n_a):  # linkage: concede first where own salience / others' is lowest
        if not required[a]:
            continue
        for c in range(n_c):
            own = 0.0
            for k in range(n_a):
                own += mixing[a, k] * salience[k, c]
            key[c] = own / (total[a, c] + 1e-9)
        _stable_argsort(key, order[a])


# ---------------------------------------------------------------- one round of one run

@_helper
def reservation(rv, a, day, shift):
    """Actor a's outside option on `day`, plus the shift dated events have added by then, kept in
    [0, 1] (params.RunParams.reservation)."""
    return min(max(rv.outside_option[a] + rv.growth[a] * day / 7.0 + shift, 0.0), 1.0)


@_helper
def _look(t, a, ar, rv, rec, conceded, looking_back, proposing=False):
    """Actor a's situation at meeting t (0-based): on its day, what it holds after the meetings
    before it and, for walkout rules after meeting t (`looking_back`), where its pace is
    measured from: what it held at the start of its memory window, or at its first offer it
    could sign if that came later (the opening offer's level is not a concession)."""
    days, sq = ar.days, rv.status_quo[a]
    day = days[t]
    n_held = t + 1 if looking_back else t  # meetings whose offers count
    held = max(rec.history[a, n_held], sq)
    earlier, span = held, 0.0  # nothing it could sign yet: no movement seen
    if looking_back:
        cut = day - ar.memory[a]
        for j in range(t, -1, -1):
            h = rec.history[a, j + 1]
            if not h >= sq:  # before its first offer worth signing (-inf: none at all)
                break
            earlier, span = h, day - days[j]
            if days[j] <= cut:
                break
    n = days.shape[0]
    interval = days[t + 1] - day if t + 1 < n else (day - days[t - 1] if t > 0 else 7.0)
    return Look(day, rv.best_possible[a], reservation(rv, a, day, ar.shift[t, a]), rv.deadline[a], rv.patience[a], held, earlier,
                span, day - days[0], rv.pace_prior[a], ar.prior_days[a], conceded, proposing, interval)


@_helper
def _aspirations(t, ar, rv, rec, asp):
    """asp[a]: what every actor asks for at round t (every actor answers; only parties at the
    table propose), through its strategy and its parameter row."""
    reacts, strategy, theta, first_from, best_from = ar.reacts, ar.strategy, rv.strategy_params, rec.first_from, rec.best_from
    n_a = asp.shape[0]
    for a in range(n_a):
        conceded = 0.0  # the largest rise, first to best offer, of any single other party
        if reacts[a]:
            for j in range(n_a):
                if first_from[a, j] != NEG_INF:
                    conceded = max(conceded, best_from[a, j] - first_from[a, j])
        asp[a] = aspiration(strategy[a], _look(t, a, ar, rv, rec, conceded, False), theta[a])


@_helper
def _build_offer(q, budget, pf, pp, plan, ow):
    """Proposer q's package into ow.x: from its best package x0 toward y, its estimate of where
    the others stand (the salience-weighted mean of its beliefs about them, within its own
    bounds).  Moving clause c all the way costs it cost_c = loss(y_c) - loss(x0_c) >= 0 of
    utility; it spends at most budget = best_possible - aspiration.  Clauses with ow.fixed[c]
    (instruments already agreed) stay at their agreed values ow.fixed_values[c].

    * Linkage (Sebenius 1983; Stokman's exchange model): concede first where the proposer cares
      little and the others care much (ascending own salience / others' estimated salience): a
      fractional-knapsack order that buys the most of the others' utility per unit of its own.
    * Uniform: move every clause the same fraction of the way.
    """
    if pp.divide[q]:
        _divide_offer(q, budget, pf, pp, plan, ow)
        return
    required, linkage, best_package, belief = pp.required, pp.linkage[q], pp.best_package, pp.belief
    base_loss, weight, total, low, high, order = plan.base_loss, plan.weight, plan.total, plan.low, plan.high, plan.order
    fixed, fixed_values, x, x0, target, base, cost, tmp = ow.fixed, ow.fixed_values, ow.x, ow.x0, ow.target, ow.base, ow.cost, ow.tmp
    n_a, n_c = pf.mixing.shape[0], x.shape[0]
    for c in range(n_c):  # target accumulates the salience-weighted beliefs first
        target[c] = 0.0
    for j in range(n_a):
        if not required[j] or j == q:  # only the other parties at the table carry weight
            continue
        for c in range(n_c):
            target[c] += weight[q, j, c] * belief[q, j, c]
    any_fixed = False
    for c in range(n_c):
        base[c] = base_loss[q, c]
        if fixed[c]:
            x0[c] = fixed_values[c]
            target[c] = x0[c]
            any_fixed = True
            continue
        x0[c] = best_package[q, c]
        y = target[c] / total[q, c] if total[q, c] > 0 else x0[c]
        target[c] = min(max(y, low[q, c]), high[q, c])
    if any_fixed:  # the locked clauses already cost what they cost: charge it to the budget
        _mixed_loss(pf, q, x0, tmp)
        for c in range(n_c):
            budget -= tmp[c] - base[c]
            base[c] = tmp[c]
    _mixed_loss(pf, q, target, tmp)
    for c in range(n_c):
        cost[c] = max(tmp[c] - base[c], 0.0)
    budget = max(budget, 0.0)
    if linkage:  # fractional knapsack: clauses in order, fully, until the budget is spent
        spent = 0.0
        for k in range(n_c):
            c = order[q, k]
            f = 1.0 if cost[c] <= 0 else min(max((budget - spent) / cost[c], 0.0), 1.0)
            x[c] = x0[c] + f * (target[c] - x0[c])
            spent += cost[c]
    else:  # the same fraction of the way on every clause
        total_cost = 0.0
        for c in range(n_c):
            total_cost += cost[c]
        f = min(budget / total_cost, 1.0) if total_cost > 0 else 1.0
        for c in range(n_c):
            x[c] = x0[c] + f * (target[c] - x0[c])


@_helper
def _divide_offer(q, give, pf, pp, plan, ow):
    """Offer rule "divide" (a budget to share, protocol.budget): on the clauses it cares about,
    proposer q moves from its best package toward its lowest bound, the same fraction of the way
    on each, until it has given up `give` of utility; what is left of the budget goes in equal
    parts to the other clauses it may raise (each within its bounds).  Beliefs play no part."""
    x, x0, target, base, tmp = ow.x, ow.x0, ow.target, ow.base, ow.tmp
    n_a, n_c = pf.mixing.shape[0], x.shape[0]
    own_total, n_other = 0.0, 0
    for c in range(n_c):
        w = 0.0
        for k in range(n_a):
            w += pf.mixing[q, k] * pf.salience[k, c]
        mine = w > 0.0
        x0[c] = pp.best_package[q, c] if mine else 0.0
        target[c] = plan.low[q, c] if mine else 0.0
        ow.cost[c] = 1.0 if mine else 0.0  # marks its own clauses
        n_other += (not mine) and plan.high[q, c] > 0.0
    _mixed_loss(pf, q, x0, base)
    _mixed_loss(pf, q, target, tmp)
    total = 0.0
    for c in range(n_c):
        total += max(tmp[c] - base[c], 0.0)
    f = min(max(give, 0.0) / total, 1.0) if total > 0 else 1.0
    for c in range(n_c):
        if ow.cost[c] > 0.0:
            x[c] = x0[c] + f * (target[c] - x0[c])
            own_total += x[c]
    rest = max(pp.budget - own_total, 0.0)
    for c in range(n_c):
        if ow.cost[c] == 0.0:
            x[c] = min(rest / n_other, plan.high[q, c]) if n_other > 0 and plan.high[q, c] > 0.0 else 0.0


@_helper
def _vote_per_instrument(tabling, ins, pf, rl, x, asp, lk, vw):
    """Separate packages: each live instrument still open is put to its own parties, the clauses
    of other instruments at their locked value (vw.fixed[c]: agreed when the round began) or the
    status quo 0.  All are voted against the locks as they stood when the round began, so the
    order of instruments cannot matter.  Answers go to lk.accepts.  Returns whether every live
    instrument is now agreed."""
    member, signs, live = ins.member, ins.signs, ins.live
    locked, locked_values, accepts = lk.locked, lk.locked_values, lk.accepts
    fixed, z, values_before, loss, uz, yes = vw.fixed, vw.z, vw.values_before, vw.loss, vw.uz, vw.yes
    n_i, n_c, n_a = member.shape[0], x.shape[0], asp.shape[0]
    _copy(locked_values, values_before)  # (explicit loops: numba's slice assignment is slow on tiny arrays)
    for a in range(n_a):
        accepts[a] = True
    for i in range(n_i):
        if not live[i]:
            continue
        for c in range(n_c):
            z[c] = x[c] if member[i, c] else (values_before[c] if fixed[c] else 0.0)
        _answers(pf, rl, tabling, z, asp, loss, uz, yes)
        ok = not locked[i]  # only instrument i itself can lock it this round
        for a in range(n_a):
            if signs[i, a] and not yes[a]:
                ok = False
                accepts[a] = False
        if ok:
            locked[i] = True
            for c in range(n_c):
                if member[i, c]:
                    locked_values[c] = x[c]
    for i in range(n_i):
        if live[i] and not locked[i]:
            return False
    return True


@_helper
def _walkout(t, ar, pf, rv, rec, zero, tmp, per_demand):
    """After meeting t, the first party at the table (scenario order) whose rule fires leaves.
    Returns (actor, rule code, demand) or (-1, 0, -1).  The demand is a description: the one
    (clauses summed, `demand_of`) on which what it holds (the status quo `zero` if nothing) falls
    furthest short of its ideal, salience-weighted.  tmp, per_demand: (C,) scratch."""
    required, rules, best_offer, package = ar.required, ar.rules, rec.best_offer, rec.package
    for a in range(required.shape[0]):
        if not required[a]:
            continue
        lk = _look(t, a, ar, rv, rec, 0.0, True)
        for k in range(rules.shape[1]):
            code = rules[a, k]
            if code == 0:
                break
            if walkout_fires(code, lk):
                held = package[a] if math.isfinite(best_offer[a]) and best_offer[a] >= rv.status_quo[a] else zero
                _mixed_loss(pf, a, held, tmp)
                for c in range(tmp.shape[0]):  # no more demands than clauses: unused slots stay -1
                    per_demand[c] = -1.0
                for c in range(tmp.shape[0]):
                    d = ar.demand_of[c]
                    per_demand[d] = tmp[c] if per_demand[d] < 0 else per_demand[d] + tmp[c]
                return a, code, np.argmax(per_demand)
    return -1, 0, -1


@njit(cache=True, error_model="numpy", fastmath=FAST)
def _epoch_views(ep, r, e):
    """Run r's below, above, upper, best packages and their utilities in epoch e (views)."""
    if e == 0:
        return ep.below[r], ep.above[r], ep.upper[r], ep.best_package[r], ep.best_possible[r]
    k = e - 1
    return (ep.later_below[r, k], ep.later_above[r, k], ep.later_upper[r, k], ep.later_best_package[r, k],
            ep.later_best_possible[r, k])


@njit(cache=True, error_model="numpy", fastmath=FAST)
def play_rounds(L, P, S, T, t_stop):
    """Play every run still going up to round t_stop (exclusive): propose, vote, learn, walk out.

    L, P, S, T are the scenario's rules, the per-run parameters, the state and the trace, as the
    named tuples built in protocol.py (KernelRules, KernelParams, State.kernel_view,
    KernelTrace); run-major arrays lead with the run axis r.  A run's next round is
    S.rounds[r]; the Mesa driver asks for one round, the batch driver for all of them.  Each
    run is taken through its rounds on its own, its arrays hot in cache.  Named-tuple fields are
    read into locals here once: reading them inside loops costs a reference count each time.
    """
    mixing, required, rotation, linkage, member = L.mixing, L.required, L.rotation, L.linkage, L.member
    on_table, rec_cum, rec_ids, joint, eta = L.on_table, L.recognition_cum, L.recognition_ids, L.joint, L.belief_update
    ideal_all, salience_all = P.ideal, P.salience
    ep = Epochs(P.above, P.below, P.upper, P.best_package, P.best_possible, P.later_above, P.later_below,
                P.later_upper, P.later_best_package, P.later_best_possible)
    epoch_of, offer_by, offer_package, offer_given = L.epoch_of, L.offer_by, L.offer_package, L.offer_given
    offer_with = L.offer_with
    outside_all, growth_all, patience_all, deadline_all = P.outside_option, P.outside_option_growth, P.patience, P.deadline
    status_quo_all, pace_prior_all, carrier, last_offer_all = P.status_quo, P.pace_prior, L.carrier, S.last_offer
    theta_all, position0_all, salience0_all = P.strategy_params, P.belief_position, P.belief_salience
    rec_u_all = P.recognition_u
    outcome, rounds, walkout_by, walkout_rule, shortfall = S.outcome, S.rounds, S.walkout_by, S.walkout_rule, S.shortfall
    agreed_all, locked_all, locked_values_all, belief_all = S.agreed, S.locked, S.locked_values, S.belief_position
    best_offer_all, first_from_all, best_from_all, package_all = S.best_offer, S.first_from, S.best_from, S.best_offer_package
    history_all, offer_all, offer_utility_all = S.best_offer_history, S.offer, S.offer_utility
    proposer_all, accepts_all, aspiration_all = S.proposer, S.accepts, S.aspiration
    tracing, trace_asp, trace_best, trace_pos = T.on, T.aspiration, T.best_offer, T.position

    n_r, n_c = offer_all.shape
    n_a, n_i = mixing.shape[0], member.shape[0]
    ar = Actors(required, L.strategy, L.reacts, L.rules, L.memory, L.prior_days, L.days, L.demand_of, L.shift)
    ins = Instruments(member, L.signs, L.live)
    plan = Plans(low=np.empty((n_a, n_c)), high=np.empty((n_a, n_c)), base_loss=np.empty((n_a, n_c)),
                 weight=np.empty((n_a, n_a, n_c)), total=np.empty((n_a, n_c)),
                 order=np.zeros((n_a, n_c), dtype=np.int64))
    x, tmp, key, fixed, fixed_values = np.empty(n_c), np.empty(n_c), np.empty(n_c), np.zeros(n_c, dtype=np.bool_), np.zeros(n_c)
    zero, per_demand, locks = np.zeros(n_c), np.empty(n_c), np.zeros(n_c, dtype=np.bool_)
    asp, loss, u = np.empty(n_a), np.empty(n_a), np.empty(n_a)
    yes, tabling = np.empty(n_a, dtype=np.bool_), np.zeros(n_a, dtype=np.bool_)
    ow = OfferWork(fixed, fixed_values, x, np.empty(n_c), np.empty(n_c), np.empty(n_c), np.empty(n_c), tmp)
    vw = VoteWork(locks, np.empty(n_c), np.empty(n_c), loss, np.empty(n_a), yes)
    n_on = 0
    for c in range(n_c):
        n_on += on_table[c]
    every_party, role_aware = L.every_party, L.role_aware
    divide, pie = L.divide, L.budget
    n_proposals = rotation.shape[0] if every_party else 1

    for r in range(n_r):
        t = rounds[r]
        if outcome[r] != ONGOING or t >= t_stop:
            continue
        # one run's bundles: views made once per run (and again when a dated change opens an epoch)
        e = epoch_of[t]
        below, above, upper, best_package, best_possible = _epoch_views(ep, r, e)
        belief, best_offer, first_from, best_from = belief_all[r], best_offer_all[r], first_from_all[r], best_from_all[r]
        package, history, locked, locked_values = package_all[r], history_all[r], locked_all[r], locked_values_all[r]
        agreed_r, accepts_r, offer_r, last_offer = agreed_all[r], accepts_all[r], offer_all[r], last_offer_all[r]
        pf = Prefs(mixing, salience_all[r], ideal_all[r])
        rl = RedLines(below, above)
        rv = RunView(outside_all[r], growth_all[r], patience_all[r], deadline_all[r], best_possible, status_quo_all[r],
                     pace_prior_all[r], theta_all[r])
        rec = Received(best_offer, first_from, best_from, package, history)
        pp = Proposers(required, linkage, best_package, belief, divide, pie)
        lk = Locks(locked, locked_values, accepts_r)
        _setup_run(pf, rl, pp, plan, Start(L.pairs, upper, position0_all[r], salience0_all[r]), key, t == 0)
        if t == 0:  # before anyone has proposed, each party stands at its best package
            for a in range(n_a):
                _copy(pp.best_package[a], last_offer[a])
        while t < t_stop:
            if epoch_of[t] != e:  # a cap or red line changed since the last meeting
                e = epoch_of[t]
                below, above, upper, best_package, best_possible = _epoch_views(ep, r, e)
                rl = RedLines(below, above)
                rv = RunView(outside_all[r], growth_all[r], patience_all[r], deadline_all[r], best_possible,
                             status_quo_all[r], pace_prior_all[r], theta_all[r])
                pp = Proposers(required, linkage, best_package, belief, divide, pie)
                _setup_run(pf, rl, pp, plan, Start(L.pairs, upper, position0_all[r], salience0_all[r]), key, False)
            # 1. aspirations
            _aspirations(t, ar, rv, rec, asp)
            # 2. the proposers and their packages: one a meeting (in turn, or drawn), or every
            #    party at the table in turn (protocol.proposer = "all"), until one is agreed;
            #    at a meeting with dated offers, the parties that table them, in the listed order
            n_forced = 0
            for k in range(offer_by.shape[1]):
                n_forced += offer_by[t, k] >= 0
            for k_prop in range(n_forced if n_forced > 0 else n_proposals):
                if n_forced > 0:
                    q = offer_by[t, k_prop]
                elif every_party:
                    q = rotation[k_prop]
                elif rec_ids.shape[0] == 0:
                    q = rotation[t % rotation.shape[0]]
                else:  # random recognition: the first whose cumulative share exceeds the draw
                    q = rec_ids[rec_ids.shape[0] - 1]
                    for k in range(rec_ids.shape[0]):
                        if rec_u_all[r, t] < rec_cum[k]:
                            q = rec_ids[k]
                            break
                for c in range(n_c):
                    # clauses of instruments agreed in earlier rounds stay at their agreed values
                    locks[c] = False
                    if not joint:
                        for i in range(n_i):
                            if locked[i] and member[i, c]:
                                locks[c] = True
                    fixed[c], fixed_values[c] = locks[c], locked_values[c]
                    # clauses of instruments q does not sign: its allies' latest position (protocol.unsigned)
                    ally = carrier[q, c]
                    if ally >= 0 and not locks[c]:
                        fixed[c], fixed_values[c] = True, last_offer[ally, c]
                if role_aware[q]:  # its ask as the proposer (it answered the others' offers as a responder)
                    asp[q] = aspiration(ar.strategy[q], _look(t, q, ar, rv, rec, 0.0, False, True), theta_all[r, q])
                if n_forced > 0 and offer_given[t, k_prop]:  # the package of record
                    for c in range(n_c):
                        x[c] = offer_package[t, k_prop, c]
                else:
                    _build_offer(q, best_possible[q] - asp[q], pf, pp, plan, ow)
                _copy(x, last_offer[q])
                # 3-4. votes
                for a in range(n_a):  # who tables it: the proposer, and a dated offer's co-sponsors
                    tabling[a] = a == q or (n_forced > 0 and offer_with[t, k_prop, a])
                _answers(pf, rl, tabling, x, asp, loss, u, yes)  # u: kept for learning
                if joint:
                    agreed = True
                    for a in range(n_a):
                        accepts_r[a] = yes[a]
                        if required[a] and not yes[a]:
                            agreed = False
                    if agreed:
                        _copy(x, agreed_r)
                else:
                    agreed = _vote_per_instrument(tabling, ins, pf, rl, x, asp, lk, vw)
                    if agreed:
                        _copy(locked_values, agreed_r)
                # 5. what each party now holds: an offer counts only if it could have it by saying yes,
                #    i.e. every other party whose consent it needs voted for it (votes are public)
                refusals = 0
                for a in range(n_a):
                    refusals += required[a] and not accepts_r[a]
                for a in range(n_a):
                    others_agree = refusals - (required[a] and not accepts_r[a]) == 0
                    if required[a] and others_agree and u[a] > best_offer[a] and _inside(rl, x, a):
                        best_offer[a] = u[a]
                        for c in range(n_c):
                            package[a, c] = x[c]
                # 6. learning: what the others make of q's offer (vetoed or not)
                for a in range(n_a):
                    if not required[a] or a == q:
                        continue
                    if first_from[a, q] == NEG_INF:
                        first_from[a, q] = u[a]
                    best_from[a, q] = max(best_from[a, q], u[a])
                    for c in range(n_c):
                        belief[a, q, c] += eta * (x[c] - belief[a, q, c])
                if tracing:
                    mean = 0.0
                    for c in range(n_c):
                        if on_table[c]:
                            mean += x[c]
                    trace_pos[r, t, q] = mean / n_on if n_on else 0.0
                if agreed:
                    break
            for a in range(n_a):
                history[a, t + 1] = best_offer[a]
                aspiration_all[r, a] = asp[a]
                offer_utility_all[r, a] = u[a]
            _copy(x, offer_r)
            proposer_all[r] = q
            if tracing:
                for a in range(n_a):
                    trace_asp[r, t, a] = asp[a] if required[a] else np.nan
                    trace_best[r, t, a] = best_offer[a] if math.isfinite(best_offer[a]) else np.nan
            t += 1
            rounds[r] = t
            # 7. agreement, or a walkout judged against what each party now holds
            if agreed:
                outcome[r] = AGREEMENT
                break
            who, code, demand = _walkout(t - 1, ar, pf, rv, rec, zero, tmp, per_demand)
            if who >= 0:
                outcome[r] = WALKOUT
                walkout_by[r], walkout_rule[r], shortfall[r] = who, code, demand
                break
