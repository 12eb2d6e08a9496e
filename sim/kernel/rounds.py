"""A meeting in steps, and `play_rounds`, the kernel's entry point (docs/model.md, section 1.3).

At each meeting of a run still going: every actor works out what it asks for (`asks`); one
proposer, or every party at the table in turn until one package is agreed, tables a package
(`table`), the parties vote on it (`vote`), each party records what it now holds (`hold`) and
what the offer says about its proposer (`learn`); after the meeting, if nothing was agreed, the
first party at the table whose walkout rule fires leaves (`walk_out`).

Bundles (bundles.py): L, P, S, T are the batch-wide KernelRules, KernelParams, KernelState and
KernelTrace (protocol.py); `play_run` cuts one run's views out of them once per run (and again
when a dated change opens an epoch).  Steps are compiled into their caller (`step`), so the
split costs nothing; helpers that are not inlined take small bundles (see bundles.py).
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from ..codes import AGREEMENT, ONGOING, WALKOUT
from .bundles import (NEG_INF, Actors, Epochs, Instruments, Locks, Look, OfferWork, Plans, Prefs, Proposers,
                      Received, RedLines, RunView, Start, VoteWork, compiled, helper, step)
from .lines import believe, learn_lines, start_beliefs
from .offers import build_offer
from .prefs import answers, copy, inside, mixed_loss, stable_argsort
from .rules import walkout_fires
from .strategies import aspiration

# Per call: who tables what at each meeting, and the scratch buffers.
Calendar = namedtuple("Calendar", [
    "every_party",  # bool: every party at the table proposes at every meeting (protocol.proposer = "all")
    "rotation",  # (n,) proposing order
    "recognition_ids", "recognition_cum",  # random recognition: who, and cumulative weights (empty under rotation)
    "offer_by",  # (H, K) who tables a dated offer at each meeting, -1 padded
    "offer_package",  # (H, K, C) its package
    "offer_given",  # (H, K) bool: a package was given (else the party tables its own offer)
    "offer_with",  # (H, K, A) bool: co-sponsors of each dated offer
])
Work = namedtuple("Work", [
    "plan", "ow", "vw",  # Plans, OfferWork, VoteWork
    "asp", "loss", "u",  # (A,) aspirations, losses and utilities of the package on the table
    "yes", "tabling",  # (A,) bool: votes; who tables the package
    "zero", "per_demand", "key",  # (C,) the status quo; scratch
    "best_now", "package_now",  # (A,), (A, C) each actor's best package as it sees it now, and its worth
    "epoch_package",  # (A, C) each actor's best package on the agenda in this epoch (params.py)
    "own_high",  # (C,) the believer's own upper bounds (lines.py)
])
# Per run: the views a meeting reads and writes.
Run = namedtuple("Run", [
    "pf", "rl", "rv", "rec", "pp", "lk",  # Prefs, RedLines, RunView, Received, Proposers, Locks
    "last_offer",  # (A, C) each party's latest offer
    "agreed",  # (C,) the agreed package
    "offer",  # (C,) the latest package tabled
    "recognition_u",  # (H,) uniforms for random recognition
    "line_belief", "line_floor",  # (A, C) the believer's beliefs about the others' red lines (lines.py)
    "line_learning",  # (1,) how far a refusal moves them
])


# ---------------------------------------------------------------- what a run starts from

@helper
def setup_run(pf, rl, pp, plan, start, key, fresh):
    """One run's constants as a proposer (its package bounds: the red lines its offers keep to,
    within the agenda, as params.offer_bounds; its loss at its best package, its estimate of the
    others' saliences, its linkage order) into `plan` and, at round 0 (`fresh`), its initial
    beliefs (params.py draws them; only pairs of parties at the table hold beliefs, the rest are
    true).  key: (C,) scratch."""
    mixing, ideal, salience, above, below = pf.mixing, pf.ideal, pf.salience, rl.above, rl.below
    required, best_package, belief = pp.required, pp.best_package, pp.belief
    pairs, upper, belief_position0, belief_salience = start.pairs, start.upper, start.belief_position, start.belief_salience
    low, high, base_loss, weight, total, order = plan.low, plan.high, plan.base_loss, plan.weight, plan.total, plan.order
    n_a, n_c = ideal.shape
    for a in range(n_a):
        for c in range(n_c):
            hi, lo = upper[c], 0.0
            for j in range(n_a):
                if start.allies[a, j, c]:
                    hi, lo = min(hi, above[j, c]), max(lo, below[j, c])
            high[a, c] = hi
            low[a, c] = min(lo, hi)
            total[a, c] = 0.0
            for j in range(n_a):
                weight[a, j, c] = 0.0
                if fresh:
                    belief[a, j, c] = ideal[j, c]
        mixed_loss(pf, a, best_package[a], base_loss[a])
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
        stable_argsort(key, order[a])


@helper
def epoch_views(ep, r, e):
    """Run r's below, above, upper, best packages and their utilities in epoch e (views)."""
    if e == 0:
        return ep.below[r], ep.above[r], ep.upper[r], ep.best_package[r], ep.best_possible[r]
    k = e - 1
    return (ep.later_below[r, k], ep.later_above[r, k], ep.later_upper[r, k], ep.later_best_package[r, k],
            ep.later_best_possible[r, k])


@helper
def run_views(L, P, S, r, e, w):
    """Run r's bundles in epoch e (views into the batch's arrays: writes go to the batch).  Each
    actor's best package and its worth start as the epoch's (w.package_now, w.best_now): the
    believer's change as it learns (lines.py)."""
    ep = Epochs(P.above, P.below, P.upper, P.best_package, P.best_possible, P.later_above, P.later_below,
                P.later_upper, P.later_best_package, P.later_best_possible)
    below, above, upper, best_package, best_possible = epoch_views(ep, r, e)
    copy(best_possible, w.best_now)
    for a in range(best_package.shape[0]):
        copy(best_package[a], w.package_now[a])
        copy(best_package[a], w.epoch_package[a])
    rv = RunView(P.outside_option[r], P.outside_option_growth[r], P.patience[r], P.deadline[r], w.best_now,
                 P.status_quo[r], P.pace_prior[r], P.strategy_params[r])
    rec = Received(S.best_offer[r], S.first_from[r], S.best_from[r], S.best_offer_package[r], S.best_offer_history[r])
    pp = Proposers(L.required, L.offer_rule, w.package_now, S.belief_position[r], L.budget)
    run = Run(Prefs(L.mixing, P.salience[r], P.ideal[r], P.reference[r]), RedLines(below, above),
              rv, rec, pp,
              Locks(S.locked[r], S.locked_values[r], S.accepts[r]), S.last_offer[r], S.agreed[r], S.offer[r],
              P.recognition_u[r], S.line_belief[r], S.line_floor[r], P.line_learning[r:r + 1])
    return run, Start(L.allies, L.pairs, upper, P.belief_position[r], P.belief_salience[r])


# ---------------------------------------------------------------- what an actor sees and asks

@helper
def reservation(rv, a, day, shift):
    """Actor a's outside option on `day`, plus the shift dated events have added by then, kept in
    [0, 1] (params.RunParams.reservation)."""
    return min(max(rv.outside_option[a] + rv.growth[a] * day / 7.0 + shift, 0.0), 1.0)


@helper
def look(t, a, ar, rv, rec, conceded, looking_back, proposing=False):
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
    return Look(day, rv.best_possible[a], reservation(rv, a, day, ar.shift[t, a]), rv.deadline[a], rv.patience[a],
                held, earlier, span, day - days[0], rv.pace_prior[a], ar.prior_days[a], conceded, proposing, interval)


@helper
def asks(t, ar, rv, rec, asp):
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
        asp[a] = aspiration(strategy[a], look(t, a, ar, rv, rec, conceded, False), theta[a])


# ---------------------------------------------------------------- a proposal: who, what, the votes

@step
def proposer(cal, t, k, n_forced, recognition_u):
    """Who tables proposal k of meeting t: the party of a dated offer; every party at the table in
    `rotation` order (proposer = "all"); one a meeting in turn; or one drawn with the recognition
    weights (the first whose cumulative share exceeds the run's uniform for the meeting)."""
    if n_forced > 0:
        return cal.offer_by[t, k]
    if cal.every_party:
        return cal.rotation[k]
    ids, cum = cal.recognition_ids, cal.recognition_cum
    if ids.shape[0] == 0:
        return cal.rotation[t % cal.rotation.shape[0]]
    q = ids[ids.shape[0] - 1]
    for j in range(ids.shape[0]):
        if recognition_u[t] < cum[j]:
            return ids[j]
    return q


@step
def fix_clauses(q, joint, ins, lk, carrier, last_offer, ow, vw):
    """Clauses q cannot move: those of instruments agreed in earlier rounds (separate packages)
    stay at their agreed values, and on instruments q does not sign it tables its allies' latest
    position (protocol.unsigned = "allies": carrier[q, c] is that ally, or -1)."""
    locks, fixed, fixed_values = vw.fixed, ow.fixed, ow.fixed_values
    member, locked, locked_values = ins.member, lk.locked, lk.locked_values
    for c in range(fixed.shape[0]):
        locks[c] = False
        if not joint:
            for i in range(member.shape[0]):
                if locked[i] and member[i, c]:
                    locks[c] = True
        fixed[c], fixed_values[c] = locks[c], locked_values[c]
        ally = carrier[q, c]
        if ally >= 0 and not locks[c]:
            fixed[c], fixed_values[c] = True, last_offer[ally, c]


@step
def table(t, k, q, forced, cal, run, w):
    """q's package into w.ow.x: the package of record at a meeting with a dated offer that gives
    one, else its own offer for what it asks (its offer rule); it becomes q's latest offer."""
    x = w.ow.x
    if forced and cal.offer_given[t, k]:
        for c in range(x.shape[0]):
            x[c] = cal.offer_package[t, k, c]
    else:
        build_offer(q, run.rv.best_possible[q] - w.asp[q], run.pf, run.pp, w.plan, w.ow)
    copy(x, run.last_offer[q])


@step
def vote(t, k, q, forced, cal, L, run, w):
    """Every actor answers; the proposer and a dated offer's co-sponsors table it (they accept it
    unless it crosses one of their red lines).  Joint package: agreed when every party at the
    table says yes.  Separate packages: each instrument is voted on by its own parties.
    Returns whether the talks end in agreement; w.u keeps each actor's utility of the package."""
    x, yes, tabling, accepts = w.ow.x, w.yes, w.tabling, run.lk.accepts
    for a in range(tabling.shape[0]):
        tabling[a] = a == q or (forced and cal.offer_with[t, k, a])
    answers(run.pf, run.rl, tabling, x, w.asp, w.loss, w.u, yes)
    if not L.joint:
        agreed = vote_per_instrument(tabling, Instruments(L.member, L.signs, L.live), run.pf, run.rl, x, w.asp,
                                     run.lk, w.vw)
        if agreed:
            copy(run.lk.locked_values, run.agreed)
        return agreed
    agreed = True
    for a in range(yes.shape[0]):
        accepts[a] = yes[a]
        if L.required[a] and not yes[a]:
            agreed = False
    if agreed:
        copy(x, run.agreed)
    return agreed


@helper
def vote_per_instrument(tabling, ins, pf, rl, x, asp, lk, vw):
    """Separate packages: each live instrument still open is put to its own parties, the clauses
    of other instruments at their locked value (vw.fixed[c]: agreed when the round began) or the
    status quo 0.  All are voted against the locks as they stood when the round began, so the
    order of instruments cannot matter.  Answers go to lk.accepts.  Returns whether every live
    instrument is now agreed."""
    member, signs, live = ins.member, ins.signs, ins.live
    locked, locked_values, accepts = lk.locked, lk.locked_values, lk.accepts
    fixed, z, values_before, loss, uz, yes = vw.fixed, vw.z, vw.values_before, vw.loss, vw.uz, vw.yes
    n_i, n_c, n_a = member.shape[0], x.shape[0], asp.shape[0]
    copy(locked_values, values_before)
    for a in range(n_a):
        accepts[a] = True
    for i in range(n_i):
        if not live[i]:
            continue
        for c in range(n_c):
            z[c] = x[c] if member[i, c] else (values_before[c] if fixed[c] else 0.0)
        answers(pf, rl, tabling, z, asp, loss, uz, yes)
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


@step
def hold(required, run, w):
    """What each party now holds: an offer counts only if it could have it by saying yes, i.e.
    every other party whose consent it needs voted for it (votes are public), it crosses none of
    its red lines and beats what it held."""
    accepts, best_offer, package, x, u = run.lk.accepts, run.rec.best_offer, run.rec.package, w.ow.x, w.u
    refusals = 0
    for a in range(required.shape[0]):
        refusals += required[a] and not accepts[a]
    for a in range(required.shape[0]):
        others_agree = refusals - (required[a] and not accepts[a]) == 0
        if required[a] and others_agree and u[a] > best_offer[a] and inside(run.rl, x, a):
            best_offer[a] = u[a]
            for c in range(x.shape[0]):
                package[a, c] = x[c]


@step
def learn(q, required, eta, run, w):
    """What the others make of q's offer (vetoed or not): its first and best utility to each,
    and their estimate of q's position moves toward it by the weight eta."""
    first_from, best_from, belief, x, u = run.rec.first_from, run.rec.best_from, run.pp.belief, w.ow.x, w.u
    for a in range(required.shape[0]):
        if not required[a] or a == q:
            continue
        if first_from[a, q] == NEG_INF:
            first_from[a, q] = u[a]
        best_from[a, q] = max(best_from[a, q], u[a])
        for c in range(x.shape[0]):
            belief[a, q, c] += eta * (x[c] - belief[a, q, c])


# ---------------------------------------------------------------- a meeting

@step
def proposals(t, L, ar, cal, run, w, r, T):
    """Meeting t's proposals: one, or every party at the table in turn until one is agreed; at a
    meeting with dated offers, those, in the listed order.  Returns (agreed, last proposer,
    packages tabled)."""
    n_forced = 0
    for k in range(cal.offer_by.shape[1]):
        n_forced += cal.offer_by[t, k] >= 0
    n = n_forced if n_forced > 0 else (cal.rotation.shape[0] if cal.every_party else 1)
    agreed, q, tabled = False, -1, 0
    for k in range(n):
        q = proposer(cal, t, k, n_forced, run.recognition_u)
        fix_clauses(q, L.joint, Instruments(L.member, L.signs, L.live), run.lk, L.carrier, run.last_offer, w.ow, w.vw)
        if L.role_aware[q]:  # its ask as the proposer (it answered the others' offers as a responder)
            w.asp[q] = aspiration(ar.strategy[q], look(t, q, ar, run.rv, run.rec, 0.0, False, True),
                                  run.rv.strategy_params[q])
        table(t, k, q, n_forced > 0, cal, run, w)
        agreed = vote(t, k, q, n_forced > 0, cal, L, run, w)
        tabled += 1
        hold(L.required, run, w)
        learn(q, L.required, L.belief_update, run, w)
        if L.believer >= 0:
            learn_lines(L.believer, q, run.lk.accepts, L.required, run.line_learning[0], w.ow.x, run.line_belief,
                        run.line_floor)
        if T.on:
            trace_position(T.position[r, t], q, L.on_table, w.ow.x)
        if agreed:
            break
    return agreed, q, tabled


@step
def trace_position(position, q, on_table, x):
    """The trace's mean position, over the clauses on the table, of q's offer."""
    mean, n_on = 0.0, 0
    for c in range(x.shape[0]):
        if on_table[c]:
            mean += x[c]
            n_on += 1
    position[q] = mean / n_on if n_on else 0.0


@step
def close_meeting(t, q, required, run, w, S, T, r):
    """What the meeting leaves on record: each actor's best offer held after it, its aspiration
    and its utility of the last package tabled, that package and its proposer (and the trace)."""
    history, best_offer = run.rec.history, run.rec.best_offer
    for a in range(required.shape[0]):
        history[a, t + 1] = best_offer[a]
        S.aspiration[r, a] = w.asp[a]
        S.offer_utility[r, a] = w.u[a]
    copy(w.ow.x, run.offer)
    S.proposer[r] = q
    if T.on:
        for a in range(required.shape[0]):
            T.aspiration[r, t, a] = w.asp[a] if required[a] else np.nan
            T.best_offer[r, t, a] = best_offer[a] if math.isfinite(best_offer[a]) else np.nan


@helper
def walk_out(t, ar, pf, rv, rec, zero, tmp, per_demand):
    """After meeting t, the first party at the table (protocol order) whose rule fires leaves.
    Returns (actor, rule code, demand) or (-1, 0, -1).  The demand is a description: the one
    (clauses summed, `demand_of`) on which what it holds (the status quo `zero` if nothing) falls
    furthest short of its ideal, salience-weighted.  tmp, per_demand: (C,) scratch."""
    rules, best_offer, package = ar.rules, rec.best_offer, rec.package
    for i in range(ar.order.shape[0]):
        a = ar.order[i]
        lk = look(t, a, ar, rv, rec, 0.0, True)
        for k in range(rules.shape[1]):
            code = rules[a, k]
            if code == 0:
                break
            if walkout_fires(code, lk):
                held = package[a] if math.isfinite(best_offer[a]) and best_offer[a] >= rv.status_quo[a] else zero
                mixed_loss(pf, a, held, tmp)
                for c in range(tmp.shape[0]):  # no more demands than clauses: unused slots stay -1
                    per_demand[c] = -1.0
                for c in range(tmp.shape[0]):
                    d = ar.demand_of[c]
                    per_demand[d] = tmp[c] if per_demand[d] < 0 else per_demand[d] + tmp[c]
                return a, code, np.argmax(per_demand)
    return -1, 0, -1


# ---------------------------------------------------------------- runs

@helper
def play_run(r, t_stop, L, P, S, T, w):
    """Run r from its next meeting up to meeting t_stop (exclusive), or until it ends."""
    ar = Actors(L.required, L.rotation, L.strategy, L.reacts, L.rules, L.memory, L.prior_days, L.days, L.demand_of, L.shift)
    cal = Calendar(L.every_party, L.rotation, L.recognition_ids, L.recognition_cum, L.offer_by, L.offer_package,
                   L.offer_given, L.offer_with)
    t = S.rounds[r]
    e = L.epoch_of[t]
    run = start_epoch(L, P, S, r, e, w, t)
    if t == 0:  # before anyone has proposed, each party stands at its best package
        for a in range(run.last_offer.shape[0]):
            copy(run.pp.best_package[a], run.last_offer[a])
    while t < t_stop:
        if L.epoch_of[t] != e:  # a cap or red line changed since the last meeting
            e = L.epoch_of[t]
            run = start_epoch(L, P, S, r, e, w, -1)
        if L.believer >= 0:
            believe(L.believer, run, w, run.line_belief)
        asks(t, ar, run.rv, run.rec, w.asp)
        agreed, q, tabled = proposals(t, L, ar, cal, run, w, r, T)
        close_meeting(t, q, L.required, run, w, S, T, r)
        t += 1
        S.rounds[r] = t
        S.packages[r] += tabled
        if agreed:
            S.outcome[r] = AGREEMENT
            return
        who, code, demand = walk_out(t - 1, ar, run.pf, run.rv, run.rec, w.zero, w.ow.tmp, w.per_demand)
        if who >= 0:
            S.outcome[r] = WALKOUT
            S.walkout_by[r], S.walkout_rule[r], S.shortfall[r] = who, code, demand
            return


@step
def start_epoch(L, P, S, r, e, w, t):
    """Run r's views and constants as a proposer for epoch e; at its first meeting (t = 0) its
    initial beliefs too (about positions, and the believer's about red lines)."""
    run, start = run_views(L, P, S, r, e, w)
    setup_run(run.pf, run.rl, run.pp, w.plan, start, w.key, t == 0)
    if L.believer >= 0:
        copy(w.plan.high[L.believer], w.own_high)
        if t == 0:
            start_beliefs(P.line_belief[r], run.line_belief, run.line_floor)
    return run


@compiled
def scratch(n_a, n_c):
    """Work buffers for one call, shared by every run of it."""
    plan = Plans(low=np.empty((n_a, n_c)), high=np.empty((n_a, n_c)), base_loss=np.empty((n_a, n_c)),
                 weight=np.empty((n_a, n_a, n_c)), total=np.empty((n_a, n_c)),
                 order=np.zeros((n_a, n_c), dtype=np.int64))
    tmp, fixed, locks, loss = np.empty(n_c), np.zeros(n_c, dtype=np.bool_), np.zeros(n_c, dtype=np.bool_), np.empty(n_a)
    ow = OfferWork(fixed, np.zeros(n_c), np.empty(n_c), np.empty(n_c), np.empty(n_c), np.empty(n_c), np.empty(n_c), tmp)
    vw = VoteWork(locks, np.empty(n_c), np.empty(n_c), loss, np.empty(n_a), np.empty(n_a, dtype=np.bool_))
    return Work(plan, ow, vw, np.empty(n_a), loss, np.empty(n_a), vw.yes, np.zeros(n_a, dtype=np.bool_),
                np.zeros(n_c), np.empty(n_c), np.empty(n_c), np.empty(n_a), np.empty((n_a, n_c)), np.empty((n_a, n_c)),
                np.empty(n_c))


@compiled
def play_rounds(L, P, S, T, t_stop):
    """Play every run still going up to round t_stop (exclusive): propose, vote, learn, walk out.

    L, P, S, T are the scenario's rules, the per-run parameters, the state and the trace, as the
    named tuples built in protocol.py (KernelRules, KernelParams, State.kernel_view,
    KernelTrace); run-major arrays lead with the run axis.  A run's next round is S.rounds[r];
    the Mesa driver asks for one round, the batch driver for all of them.  Each run is taken
    through its rounds on its own, its arrays hot in cache."""
    w = scratch(L.mixing.shape[0], S.offer.shape[1])
    for r in range(S.outcome.shape[0]):
        if S.outcome[r] == ONGOING and S.rounds[r] < t_stop:
            play_run(r, t_stop, L, P, S, T, w)
