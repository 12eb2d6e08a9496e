"""The round kernel: the bargaining rules (docs/model.md, section 1.3), compiled with Numba.

This module is the one copy of the model's dynamics.  Both drivers call `play_rounds`: the
batch driver once per chunk (every run, round after round, until it ends or the horizon), the
Mesa driver once per step (one run, one round).  The strategy classes (`strategies.py`) and
walkout rules (`walkout.py`) are thin wrappers over the scalar functions here, so the contract
tests exercise the code the simulation runs.

Why compiled: a round touches every actor's preferences over every clause several times
(aspiration, offer, votes, learning, walkout), and numpy can only do that in separate passes
over memory with a temporary each.  A loop over runs, each run's arrays hot in cache, does it
in one pass (benchmarks/bench_batch.py measures both against a floor).

Every run is computed on its own, with the same scalar operations in the same order whatever
batch it sits in, so results are bit-identical across chunk sizes, worker counts and drivers
on a given machine (another CPU may compile sums differently and change the last bits).
Adding a strategy or a walkout rule means adding a branch to `aspiration` or `walkout_fires`
and a class with the matching `code` in strategies.py or walkout.py.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from . import codes

# Numba compiles these into the machine code, and its cache only notices edits to this file:
# so the codes are written here, and codes.py (for the Python side) must agree, which is checked.
ONGOING, AGREEMENT, WALKOUT = 0, 1, 2
TIME_DEPENDENT, RESPONSIVE = 1, 2
OUTSIDE_OPTION, IMPATIENCE = 1, 2
if (codes.ONGOING, codes.AGREEMENT, codes.WALKOUT, codes.TIME_DEPENDENT, codes.RESPONSIVE, codes.OUTSIDE_OPTION,
        codes.IMPATIENCE) != (ONGOING, AGREEMENT, WALKOUT, TIME_DEPENDENT, RESPONSIVE, OUTSIDE_OPTION, IMPATIENCE):
    raise ImportError("sim/codes.py and sim/kernel.py disagree on an outcome, strategy or rule code; "
                      "change both together")

NEG_INF = -np.inf
FAST = {"reassoc", "contract", "arcp", "nsz"}  # not "nnan"/"ninf": -inf marks "no offer yet"
# Helpers work in place on arrays they are handed and allocate nothing, so they are compiled
# without reference counting (`_nrt=False`): with it, binding each array argument costs two
# atomic operations per call, which measured as half the kernel's time.
_helper = njit(cache=True, error_model="numpy", fastmath=FAST, _nrt=False)
TOLERANCE = 1e-12  # a package worth its aspiration up to rounding is acceptable

# The kernel reads the scenario's rules (L), per-run parameters (P) and state (S) as the named
# tuples of arrays built in protocol.py (KernelRules, KernelParams, State.kernel_view), and a
# trace (T).  Run-major arrays lead with the run axis r.  Named-tuple fields are read into
# locals once per call: reading them inside loops costs a reference count each time.


def elementwise(fn, otype, *args) -> np.ndarray:
    """A scalar kernel function applied with numpy broadcasting (for the Python-side classes).
    Compiled code may evaluate both sides of a branch, so floating-point flags raised by values
    it then discards (say b / rate with rate = 0) are silenced."""
    with np.errstate(all="ignore"):
        return np.vectorize(fn, otypes=[otype])(*args)


# ---------------------------------------------------------------- strategies and walkout rules

@njit(cache=True, error_model="numpy", fastmath=FAST)
def faratin_alpha(t, deadline, beta, kappa):
    """Faratin, Sierra & Jennings (1998): alpha(t) = k + (1 - k) (t / T)^(1 / beta), t clipped to T."""
    frac = min(max(t / deadline, 0.0), 1.0)
    return kappa + (1.0 - kappa) * frac ** (1.0 / beta)


@njit(cache=True, error_model="numpy", fastmath=FAST)
def aspiration(code, t, best_possible, reservation, deadline, beta, kappa, gamma, conceded_to_me):
    """Utility the actor asks for at round t under strategy `code` (see strategies.py)."""
    top = best_possible
    if code == TIME_DEPENDENT:
        alpha = faratin_alpha(t, deadline, beta, kappa)
        return max(reservation, top - alpha * (top - reservation))
    if code == RESPONSIVE:  # an opening concession kappa, then gamma times what the others conceded to me
        opening = top - kappa * (top - reservation)
        return max(reservation, min(top, opening - gamma * conceded_to_me))
    return np.nan  # layout.py only hands over known codes


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


@njit(cache=True, error_model="numpy", fastmath=FAST)
def walkout_fires(code, t, window, best_possible, reservation, best_offer, best_offer_earlier, deadline, patience):
    """Does walkout rule `code` make the actor leave after round t - 1 (see walkout.py)?"""
    if code == OUTSIDE_OPTION:
        return best_possible < reservation
    if code != IMPATIENCE:  # layout.py only hands over known codes
        return False
    # too slow a pace of concessions to reach the outside option before the deadline
    if t < window or not math.isfinite(best_offer_earlier):
        return False
    if best_offer >= reservation and best_possible >= reservation:
        return False  # waiting is worth at least the offer in hand (k = 0): no need to look further
    rate = max(best_offer - best_offer_earlier, 0.0) / window
    value = best_wait_value(best_offer, rate, patience, max(deadline - t, 0.0))
    return min(value, best_possible) < reservation


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
# Arguments are one run's arrays: ideal and salience (A, C), a package x (C,).

@_helper
def _utilities(mixing, salience, ideal, x, loss, u):
    """u[a] = effective utility of package x to actor a (preferences.utilities for one run)."""
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
def _inside(below, above, x, a):
    """Package x crosses none of actor a's red lines."""
    ok = True
    for c in range(x.shape[0]):  # no early exit: the loop vectorises, and clauses are few
        ok &= (x[c] >= below[a, c]) & (x[c] <= above[a, c])
    return ok


@_helper
def _mixed_loss(mixing, salience, ideal, i, x, out):
    """out[c] = actor i's effective loss on clause c at package x: sum_k M_ik s_kc |x_c - p_kc|."""
    for c in range(x.shape[0]):
        out[c] = 0.0
    for k in range(mixing.shape[0]):
        m = mixing[i, k]
        if m != 0.0:
            for c in range(x.shape[0]):
                out[c] += m * salience[k, c] * abs(x[c] - ideal[k, c])


@_helper
def _answers(mixing, salience, ideal, below, above, q, z, asp, loss, u, yes):
    """yes[a]: actor a accepts package z (no red line crossed and worth its aspiration); the
    proposer accepts its own offer unless the agenda forced it across one of its red lines."""
    _utilities(mixing, salience, ideal, z, loss, u)
    for a in range(u.shape[0]):
        yes[a] = _inside(below, above, z, a) and (a == q or u[a] >= asp[a] - TOLERANCE)


# ---------------------------------------------------------------- what a run starts from

@_helper
def _setup_run(mixing, required, pairs, ideal, salience, above, below, upper, best_package, belief_position0,
               belief_salience, fresh, belief, low, high, base_loss, weight, total, order, key):
    """One run's constants as a proposer (its package bounds, its loss at its best package, its
    estimate of the others' saliences, its linkage order) and, at round 0, its initial beliefs
    (params.py draws them; only pairs of parties at the table hold beliefs, the rest are true)."""
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
        _mixed_loss(mixing, salience, ideal, a, best_package[a], base_loss[a])
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
def _build_offer(q, budget, linkage, required, mixing, salience, ideal, best_package, base_loss, weight, total,
                 belief, low, high, order, fixed, fixed_values, x, x0, target, base, cost, tmp):
    """Proposer q's package into x: from its best package x0 toward y, its estimate of where the
    others stand (the salience-weighted mean of its beliefs about them, within its own bounds).
    Moving clause c all the way costs it cost_c = loss(y_c) - loss(x0_c) >= 0 of utility; it
    spends at most budget = best_possible - aspiration.  Clauses with fixed[c] (instruments
    already agreed) stay at their agreed values.

    * Linkage (Sebenius 1983; Stokman's exchange model): concede first where the proposer cares
      little and the others care much (ascending own salience / others' estimated salience): a
      fractional-knapsack order that buys the most of the others' utility per unit of its own.
    * Uniform: move every clause the same fraction of the way.
    """
    n_a, n_c = mixing.shape[0], x.shape[0]
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
        _mixed_loss(mixing, salience, ideal, q, x0, tmp)
        for c in range(n_c):
            budget -= tmp[c] - base[c]
            base[c] = tmp[c]
    _mixed_loss(mixing, salience, ideal, q, target, tmp)
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
def _vote_per_instrument(member, signs, live, mixing, salience, ideal, below, above, q, x, asp,
                         locked, locked_values, fixed, accepts, z, loss, uz, yes, values_before):
    """Separate packages: each live instrument still open is put to its own parties, the clauses
    of other instruments at their locked value (fixed[c]: agreed when the round began) or the
    status quo 0.  All are voted against the locks as they stood when the round began, so the
    order of instruments cannot matter.  Returns whether every live instrument is now agreed."""
    n_i, n_c, n_a = member.shape[0], x.shape[0], asp.shape[0]
    _copy(locked_values, values_before)  # (explicit loops: numba's slice assignment is slow on tiny arrays)
    for a in range(n_a):
        accepts[a] = True
    for i in range(n_i):
        if not live[i]:
            continue
        for c in range(n_c):
            z[c] = x[c] if member[i, c] else (values_before[c] if fixed[c] else 0.0)
        _answers(mixing, salience, ideal, below, above, q, z, asp, loss, uz, yes)
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
def _walkout(required, window, rules, mixing, salience, ideal, outside_option, growth, best_possible,
             deadline, patience, best_offer, best_offer_package, history, t, zero, tmp):
    """After t rounds, the first party at the table (scenario order) whose rule fires leaves.
    Returns (actor, rule code, blocking clause) or (-1, 0, -1).  The blocking clause is where the
    best offer it holds (the status quo if none) costs it most."""
    for a in range(required.shape[0]):
        if not required[a]:
            continue
        w = window[a]
        earlier = history[a, t - w] if t >= w else NEG_INF
        reservation = min(max(outside_option[a] + growth[a] * t, 0.0), 1.0)
        for k in range(rules.shape[1]):
            code = rules[a, k]
            if code == 0:
                break
            if walkout_fires(code, t, w, best_possible[a], reservation, best_offer[a], earlier, deadline[a],
                             patience[a]):
                held = best_offer_package[a] if math.isfinite(best_offer[a]) else zero
                _mixed_loss(mixing, salience, ideal, a, held, tmp)
                return a, code, np.argmax(tmp)
    return -1, 0, -1


@njit(cache=True, error_model="numpy", fastmath=FAST)
def play_rounds(L, P, S, T, t_stop):
    """Play every run still going up to round t_stop (exclusive): propose, vote, learn, walk out.

    A run's next round is S.rounds[r]; the Mesa driver asks for one round, the batch driver for
    all of them.  Each run is taken through its rounds on its own, its arrays hot in cache.
    """
    mixing, required, rotation, linkage, window, rules = L.mixing, L.required, L.rotation, L.linkage, L.window, L.rules
    strategy, reacts, member, signs, live = L.strategy, L.reacts, L.member, L.signs, L.live
    on_table, pairs = L.on_table, L.pairs
    rec_cum, rec_ids, joint, eta = L.recognition_cum, L.recognition_ids, L.joint, L.belief_update
    ideal_all, salience_all, above_all, below_all, upper_all = P.ideal, P.salience, P.above, P.below, P.upper
    outside_all, growth_all, patience_all, deadline_all = P.outside_option, P.outside_option_growth, P.patience, P.deadline
    beta_all, kappa_all, gamma_all = P.beta, P.kappa, P.gamma
    position0_all, salience0_all = P.belief_position, P.belief_salience
    rec_u_all, best_package_all, best_possible_all = P.recognition_u, P.best_package, P.best_possible
    outcome, rounds, walkout_by, walkout_rule, blocking_clause = S.outcome, S.rounds, S.walkout_by, S.walkout_rule, S.blocking_clause
    agreed_all, locked_all, locked_values_all, belief_all = S.agreed, S.locked, S.locked_values, S.belief_position
    best_offer_all, first_from_all, best_from_all, package_all = S.best_offer, S.first_from, S.best_from, S.best_offer_package
    history_all, offer_all, offer_utility_all = S.best_offer_history, S.offer, S.offer_utility
    proposer_all, accepts_all, aspiration_all = S.proposer, S.accepts, S.aspiration
    tracing, trace_asp, trace_best, trace_pos = T.on, T.aspiration, T.best_offer, T.position

    n_r, n_c = offer_all.shape
    n_a, n_i = mixing.shape[0], member.shape[0]
    x, x0, target, base = np.empty(n_c), np.empty(n_c), np.empty(n_c), np.empty(n_c)
    cost, tmp, z, key, values_before = np.empty(n_c), np.empty(n_c), np.empty(n_c), np.empty(n_c), np.empty(n_c)
    fixed, zero = np.zeros(n_c, dtype=np.bool_), np.zeros(n_c)
    asp, loss, u, uz = np.empty(n_a), np.empty(n_a), np.empty(n_a), np.empty(n_a)
    yes = np.empty(n_a, dtype=np.bool_)
    low, high, base_loss, total = np.empty((n_a, n_c)), np.empty((n_a, n_c)), np.empty((n_a, n_c)), np.empty((n_a, n_c))
    order = np.zeros((n_a, n_c), dtype=np.int64)
    weight = np.empty((n_a, n_a, n_c))
    n_on = 0
    for c in range(n_c):
        n_on += on_table[c]

    for r in range(n_r):
        t = rounds[r]
        if outcome[r] != ONGOING or t >= t_stop:
            continue
        ideal, salience, below, above = ideal_all[r], salience_all[r], below_all[r], above_all[r]
        outside, growth, best_possible = outside_all[r], growth_all[r], best_possible_all[r]
        belief, best_offer, first_from, best_from = belief_all[r], best_offer_all[r], first_from_all[r], best_from_all[r]
        package, history, locked, locked_values = package_all[r], history_all[r], locked_all[r], locked_values_all[r]
        agreed_r, accepts_r, offer_r = agreed_all[r], accepts_all[r], offer_all[r]  # views made once per run
        best_package, deadline, patience = best_package_all[r], deadline_all[r], patience_all[r]
        _setup_run(mixing, required, pairs, ideal, salience, above, below, upper_all[r], best_package,
                   position0_all[r], salience0_all[r], t == 0, belief, low, high, base_loss, weight, total, order, key)
        while t < t_stop:
            # 1. aspirations (every actor answers; only parties at the table propose)
            for a in range(n_a):
                reservation = min(max(outside[a] + growth[a] * t, 0.0), 1.0)
                conceded = 0.0  # the largest rise, first to best offer, of any single other party
                if reacts[a]:
                    for j in range(n_a):
                        if first_from[a, j] != NEG_INF:
                            conceded = max(conceded, best_from[a, j] - first_from[a, j])
                asp[a] = aspiration(strategy[a], t, best_possible[a], reservation, deadline[a],
                                    beta_all[r, a], kappa_all[r, a], gamma_all[r, a], conceded)
            # 2. the proposer and its package
            if rec_ids.shape[0] == 0:
                q = rotation[t % rotation.shape[0]]
            else:  # random recognition: the first whose cumulative share exceeds the draw
                q = rec_ids[rec_ids.shape[0] - 1]
                for k in range(rec_ids.shape[0]):
                    if rec_u_all[r, t] < rec_cum[k]:
                        q = rec_ids[k]
                        break
            if not joint:  # clauses of instruments agreed in earlier rounds
                for c in range(n_c):
                    fixed[c] = False
                    for i in range(n_i):
                        if locked[i] and member[i, c]:
                            fixed[c] = True
            _build_offer(q, best_possible[q] - asp[q], linkage[q], required, mixing, salience, ideal, best_package,
                         base_loss, weight, total, belief, low, high, order, fixed, locked_values,
                         x, x0, target, base, cost, tmp)
            # 3-4. votes
            _answers(mixing, salience, ideal, below, above, q, x, asp, loss, u, yes)  # u: kept for learning
            if joint:
                agreed = True
                for a in range(n_a):
                    accepts_r[a] = yes[a]
                    if required[a] and not yes[a]:
                        agreed = False
                if agreed:
                    _copy(x, agreed_r)
            else:
                agreed = _vote_per_instrument(member, signs, live, mixing, salience, ideal, below, above, q, x, asp,
                                              locked, locked_values, fixed, accepts_r, z, loss, uz, yes, values_before)
                if agreed:
                    _copy(locked_values, agreed_r)
            # 5. learning: what the others make of q's offer
            for a in range(n_a):
                if not required[a] or a == q:
                    continue
                if first_from[a, q] == NEG_INF:
                    first_from[a, q] = u[a]
                best_from[a, q] = max(best_from[a, q], u[a])
                if u[a] > best_offer[a] and _inside(below, above, x, a):  # only an offer it could take
                    best_offer[a] = u[a]
                    for c in range(n_c):
                        package[a, c] = x[c]
                for c in range(n_c):
                    belief[a, q, c] += eta * (x[c] - belief[a, q, c])
            for a in range(n_a):
                history[a, t + 1] = best_offer[a]
                aspiration_all[r, a] = asp[a]
                offer_utility_all[r, a] = u[a]
            _copy(x, offer_r)
            proposer_all[r] = q
            if tracing:
                mean = 0.0
                for c in range(n_c):
                    if on_table[c]:
                        mean += x[c]
                trace_pos[r, t, q] = mean / n_on if n_on else 0.0
                for a in range(n_a):
                    trace_asp[r, t, a] = asp[a] if required[a] else np.nan
                    trace_best[r, t, a] = best_offer[a] if math.isfinite(best_offer[a]) else np.nan
            t += 1
            rounds[r] = t
            # 6. agreement, or a walkout judged against the offers now held
            if agreed:
                outcome[r] = AGREEMENT
                break
            who, code, clause = _walkout(required, window, rules, mixing, salience, ideal, outside, growth,
                                         best_possible, deadline, patience, best_offer, package,
                                         history, t, zero, tmp)
            if who >= 0:
                outcome[r] = WALKOUT
                walkout_by[r], walkout_rule[r], blocking_clause[r] = who, code, clause
                break
