"""One bargaining round, as plain functions over arrays with a leading run axis.

Round t, in every run still going:
 1. a proposer is chosen (rotation over the parties at the table, or random recognition);
 2. it computes its aspiration (its strategy) and builds a package toward its estimate of the
    others' positions (offers.py), inside the agenda and its own red lines;
 3. every other required party answers: yes iff the package crosses none of its red lines and
    is worth at least its own aspiration (which is never below its outside option);
 4. the package is agreed when all required parties say yes (joint package), or per instrument
    by that instrument's parties with agreed instruments locked (separate packages);
 5. the others update their beliefs about the proposer from its offer;
 6. if nothing was agreed, every party at the table checks its walkout rules; the first one in
    scenario order that fires ends the talks.
Talks end in agreement, walkout, or are still going at the horizon.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from .layout import Layout
from .offers import fractions_in_order, linkage_order, uniform_fractions
from .params import RunParams
from .preferences import actor_clause_loss, utilities, within_red_lines
from .strategies import ActorView

ONGOING, AGREEMENT, WALKOUT = 0, 1, 2
OUTCOME_NAMES = {ONGOING: "ongoing", AGREEMENT: "agreement", WALKOUT: "walkout"}


def _take(obj, rows):
    """Copy of a dataclass of run-major arrays keeping only `rows` (a boolean mask)."""
    n = len(rows)
    kept = {}
    for f in fields(obj):
        v = getattr(obj, f.name)
        kept[f.name] = v[rows] if isinstance(v, np.ndarray) and v.ndim and v.shape[0] == n else v
    return type(obj)(**kept)


@dataclass(frozen=True, eq=False)
class Offering:
    """Per-run constants of every actor as a proposer, derived once from RunParams."""

    low: np.ndarray  # (R, A, C) bounds of its own packages: red lines within the agenda
    high: np.ndarray
    base_loss: np.ndarray  # (R, A, C) its effective loss per clause at its best package
    others_weight: np.ndarray  # (R, A, A, C) estimated salience of each other party at the table
    others_total: np.ndarray  # (R, A, C) their sum
    order: np.ndarray  # (R, A, C) linkage order: clauses by own / others' salience, ascending

    take = _take


def offering(lay: Layout, p: RunParams) -> Offering:
    high = np.minimum(p.above, p.upper[:, None, :])
    low = np.minimum(p.below, high)
    own = np.einsum("ak,rkc->rac", lay.mixing, p.salience)
    base_loss = _mixed_loss_all(lay, p, p.best_package)
    others = lay.required[None, :] & ~np.eye(lay.n_actors, dtype=bool)  # (A observer, A observed)
    weight = p.belief_salience * others[None, :, :, None]
    total = weight.sum(axis=2)
    order = linkage_order(own, total)
    return Offering(low, high, base_loss, weight, total, order)


def _mixed_loss_all(lay: Layout, p: RunParams, x: np.ndarray) -> np.ndarray:
    """(R, A, C) effective loss per clause of each actor i at its own package x[:, i]."""
    return np.stack([mixed_loss(lay, p, i, x[:, i], slice(None)) for i in range(lay.n_actors)], axis=1)


def mixed_loss(lay: Layout, p: RunParams, i: int, x: np.ndarray, rows) -> np.ndarray:
    return actor_clause_loss(lay.mixing[i], p.salience[rows], p.ideal[rows], x)


@dataclass(eq=False)
class State:
    """Mutable state of R runs.  All arrays lead with the run axis."""

    t: int
    outcome: np.ndarray  # (R,) int8
    rounds: np.ndarray  # (R,) rounds played
    walkout_by: np.ndarray  # (R,) actor index or -1
    walkout_rule: np.ndarray  # (R,) rule code or 0
    blocking_clause: np.ndarray  # (R,) clause index or -1
    agreed: np.ndarray  # (R, C) agreed package (NaN unless agreement)
    locked: np.ndarray  # (R, I) instrument agreed (separate packages)
    locked_values: np.ndarray  # (R, C)
    belief_position: np.ndarray  # (R, A observer, A observed, C)
    best_offer: np.ndarray  # (R, A) best utility offered to each actor by others so far
    first_from: np.ndarray  # (R, A receiver, A proposer) utility of the proposer's first offer
    best_from: np.ndarray  # (R, A receiver, A proposer) utility of the proposer's best offer
    best_offer_package: np.ndarray  # (R, A, C)
    best_offer_history: np.ndarray  # (R, A, H + 1): best_offer before round t, at index t
    offer: np.ndarray  # (R, C) this round's package
    proposer: np.ndarray  # (R,) this round's proposer
    accepts: np.ndarray  # (R, A) this round's answers
    aspiration: np.ndarray  # (R, A) this round's aspirations

    take = _take

    @property
    def active(self) -> np.ndarray:
        return self.outcome == ONGOING


def init_state(lay: Layout, p: RunParams) -> State:
    r, a, c, i = p.n_runs, lay.n_actors, lay.n_clauses, len(lay.instruments)
    return State(
        t=0,
        outcome=np.zeros(r, dtype=np.int8),
        rounds=np.zeros(r, dtype=np.int32),
        walkout_by=np.full(r, -1, dtype=np.int16),
        walkout_rule=np.zeros(r, dtype=np.int8),
        blocking_clause=np.full(r, -1, dtype=np.int16),
        agreed=np.full((r, c), np.nan),
        locked=np.zeros((r, i), dtype=bool),
        locked_values=np.zeros((r, c)),
        belief_position=p.belief_position.copy(),
        best_offer=np.full((r, a), -np.inf),
        first_from=np.full((r, a, a), -np.inf),
        best_from=np.full((r, a, a), -np.inf),
        best_offer_package=np.zeros((r, a, c)),
        best_offer_history=np.full((r, a, lay.horizon + 1), -np.inf),
        offer=np.zeros((r, c)),
        proposer=np.full(r, -1, dtype=np.intp),
        accepts=np.zeros((r, a), dtype=bool),
        aspiration=np.zeros((r, a)),
    )


def actor_views(lay: Layout, p: RunParams, s: State, reservation: np.ndarray, concessions: bool = True) -> list[ActorView]:
    """Every actor's view of the runs at s.t (see strategies.ActorView).  The others' concessions
    are only worked out when a strategy reacts to them."""
    if concessions and any(st.classifier["reacts_to_others"] for st in lay.strategies):
        seen = np.isfinite(s.first_from)
        rise = np.where(seen, s.best_from - np.where(seen, s.first_from, 0.0), 0.0).max(axis=2)
    else:
        rise = np.zeros((p.n_runs, lay.n_actors))
    views = []
    for a in range(lay.n_actors):
        w = int(lay.window[a])
        earlier = s.best_offer_history[:, a, s.t - w] if s.t >= w else np.full(p.n_runs, -np.inf)
        views.append(ActorView(
            t=s.t, best_possible=p.best_possible[:, a], reservation=reservation[:, a],
            deadline=p.deadline[:, a], beta=p.beta[:, a], kappa=p.kappa[:, a], gamma=p.gamma[:, a],
            patience=p.patience[:, a], best_offer=s.best_offer[:, a], conceded_to_me=rise[:, a],
            best_offer_earlier=earlier, window=w,
        ))
    return views


def proposer_groups(lay: Layout, p: RunParams, t: int) -> list[tuple[int, slice | np.ndarray]]:
    """(proposer, rows) pairs covering every run: one group under rotation, one per actor
    under random recognition."""
    if lay.recognition is None:
        return [(int(lay.rotation[t % len(lay.rotation)]), slice(None))]
    eligible = np.flatnonzero(lay.recognition > 0)
    cum = np.cumsum(lay.recognition[eligible])
    cum[-1] = 1.0  # rounding must not leave a sliver of [0, 1) to nobody
    drawn = eligible[np.searchsorted(cum, p.recognition_u[:, t], side="right")]
    return [(q, drawn == q) for q in eligible]


def build_offer(lay: Layout, p: RunParams, o: Offering, s: State, q: int, rows, aspiration: np.ndarray) -> np.ndarray:
    """Proposer q's package (n, C) for the runs `rows`, given its aspiration (n,)."""
    x0 = p.best_package[rows, q]
    weight, total = o.others_weight[rows, q], o.others_total[rows, q]
    pulled = np.einsum("rjc,rjc->rc", weight, s.belief_position[rows, q])
    target = np.divide(pulled, total, out=x0.copy(), where=total > 0)
    np.clip(target, o.low[rows, q], o.high[rows, q], out=target)
    base_loss = o.base_loss[rows, q]
    budget = p.best_possible[rows, q] - aspiration
    if not lay.joint:  # clauses of instruments already agreed are fixed: start from them
        fixed = (s.locked[rows, :, None] & lay.member[None]).any(axis=1)
        if fixed.any():
            x0 = np.where(fixed, s.locked_values[rows], x0)
            target = np.where(fixed, x0, target)
            locked_loss = mixed_loss(lay, p, q, x0, rows)
            budget = budget - (locked_loss - base_loss).sum(axis=1)
            base_loss = locked_loss
    cost = np.maximum(mixed_loss(lay, p, q, target, rows) - base_loss, 0.0)
    if lay.linkage[q]:
        frac = fractions_in_order(cost, budget, o.order[rows, q])
    else:
        frac = uniform_fractions(cost, budget)
    return x0 + frac * (target - x0)


def play_round(lay: Layout, p: RunParams, o: Offering, s: State) -> None:
    """Advance every active run by one round, in place."""
    t = s.t
    act = s.active
    reservation = p.reservation(t)
    aspiration = np.stack([lay.strategies[a].aspiration(v) for a, v in enumerate(actor_views(lay, p, s, reservation))], axis=1)
    groups = proposer_groups(lay, p, t)
    x = np.empty((p.n_runs, lay.n_clauses))
    proposer = np.empty(p.n_runs, dtype=np.intp)
    for q, rows in groups:
        x[rows] = build_offer(lay, p, o, s, q, rows, aspiration[rows, q])
        proposer[rows] = q
    s.offer, s.proposer, s.aspiration = x, proposer, aspiration

    u = utilities(x, p.ideal, p.salience, lay.mixing)
    inside = within_red_lines(x, p.below, p.above)
    if lay.joint:
        yes = _answers(lay, p, x, u, proposer, aspiration, inside)
        s.accepts = yes
        agreed_now = act & (yes | ~lay.required).all(axis=1)
        s.agreed[agreed_now] = x[agreed_now]
    else:
        agreed_now = _vote_per_instrument(lay, p, s, x, proposer, aspiration, act)

    for q, rows in groups:
        _observe(lay, s, x, u, inside, q, rows, act)
    s.best_offer_history[:, :, t + 1] = s.best_offer

    s.rounds[act] = t + 1
    s.outcome[agreed_now] = AGREEMENT
    s.t = t + 1
    _walkouts(lay, p, s, act & ~agreed_now)


def _answers(lay, p, x, u, proposer, aspiration, inside=None) -> np.ndarray:
    """(R, A) yes/no of every actor on package x with utilities u.  The proposer accepts its own
    offer unless the agenda forced it across one of its own red lines."""
    inside = within_red_lines(x, p.below, p.above) if inside is None else inside
    yes = inside & (u >= aspiration - 1e-12)
    rr = np.arange(len(x))
    yes[rr, proposer] = inside[rr, proposer]
    return yes


def _observe(lay: Layout, s: State, x: np.ndarray, u: np.ndarray, inside: np.ndarray, q: int, rows,
             act: np.ndarray) -> None:
    """The other parties at the table see proposer q's offer: how much it moved toward them
    (its utility to them), whether it is one they could take (it crosses none of their red
    lines: only then does it count as their best offer so far), and where q stands.  Actors away
    from the table never propose or walk out, so they keep no record."""
    observer = act[rows, None] & (lay.required & (np.arange(lay.n_actors) != q))[None, :]  # (n, A)
    ur = u[rows]
    first = s.first_from[rows, :, q]
    s.first_from[rows, :, q] = np.where(observer & np.isneginf(first), ur, first)
    s.best_from[rows, :, q] = np.where(observer, np.maximum(s.best_from[rows, :, q], ur), s.best_from[rows, :, q])
    best = s.best_offer[rows]
    improved = observer & inside[rows] & (ur > best)
    s.best_offer[rows] = np.where(improved, ur, best)
    r_i, a_i = np.nonzero(improved)
    if len(r_i):
        r_abs = r_i if isinstance(rows, slice) else np.flatnonzero(rows)[r_i]
        s.best_offer_package[r_abs, a_i] = x[r_abs]
    eta = lay.belief_update
    for i in np.flatnonzero(observer.any(axis=0)):
        step = eta * observer[:, i, None] * (x[rows] - s.belief_position[rows, i, q])
        if isinstance(rows, slice):
            s.belief_position[:, i, q] += step
        else:
            s.belief_position[rows, i, q] += step


def _vote_per_instrument(lay, p, s, x, proposer, aspiration, act) -> np.ndarray:
    """Separate packages: each live, unlocked instrument is put to its own parties; clauses of
    other instruments count at their locked value, or at the status quo (0) if not yet agreed."""
    yes_all = np.ones((p.n_runs, lay.n_actors), dtype=bool)
    # Every instrument is voted against the locks as they stood when the round began, so the
    # order instruments are listed in cannot matter; all that pass this round lock together.
    locked_before, values_before = s.locked.copy(), s.locked_values.copy()
    other_locked = (locked_before[:, :, None] & lay.member[None]).any(axis=1)
    for i in np.flatnonzero(lay.live):
        open_ = act & ~locked_before[:, i]
        in_i = lay.member[i]
        z = np.where(in_i[None, :], x, np.where(other_locked, values_before, 0.0))
        yes = _answers(lay, p, z, utilities(z, p.ideal, p.salience, lay.mixing), proposer, aspiration)
        ok = open_ & (yes | ~lay.signs[i]).all(axis=1)
        s.locked[ok, i] = True
        s.locked_values[ok] = np.where(in_i[None, :], x[ok], s.locked_values[ok])
        yes_all &= yes | ~lay.signs[i]
    s.accepts = yes_all
    done = act & s.locked[:, lay.live].all(axis=1)
    s.agreed[done] = s.locked_values[done]
    return done


def _walkouts(lay: Layout, p: RunParams, s: State, candidates: np.ndarray) -> None:
    """After round t (s.t is now t + 1), each party at the table judges staying against the
    offers it holds, this round's included, and what walking away is worth now."""
    if not candidates.any():
        return
    views = actor_views(lay, p, s, p.reservation(s.t), concessions=False)  # no rule reads them
    left = candidates.copy()
    for a in np.flatnonzero(lay.required):
        for rule in lay.walkout_rules[a]:
            fired = left & rule.fires(views[a])
            if fired.any():
                s.outcome[fired] = WALKOUT
                s.walkout_by[fired] = a
                s.walkout_rule[fired] = rule.code
                s.blocking_clause[fired] = _blocking_clause(lay, p, s, a, fired)
                left &= ~fired


def _blocking_clause(lay: Layout, p: RunParams, s: State, a: int, rows: np.ndarray) -> np.ndarray:
    """The clause that costs the walker most in the best offer it received (the status quo if
    none): argmax_c of its effective loss there.  Measured from its ideal, not from the agenda,
    so a clause held off the table can be what it walked out over."""
    seen = np.isfinite(s.best_offer[rows, a])
    pkg = np.where(seen[:, None], s.best_offer_package[rows, a], 0.0)
    return np.argmax(mixed_loss(lay, p, a, pkg, rows), axis=1).astype(np.int16)


def final_utilities(lay: Layout, p: RunParams, s: State) -> np.ndarray:
    """(R, A): utility of the agreed package, or the outside option when talks ended without one
    (walkout or still going at the horizon: the value of no deal at that round)."""
    agreed = s.outcome == AGREEMENT
    u = utilities(np.where(agreed[:, None], s.agreed, 0.0), p.ideal, p.salience, lay.mixing)
    no_deal = np.clip(p.outside_option + p.outside_option_growth * s.rounds[:, None], 0.0, 1.0)
    return np.where(agreed[:, None], u, no_deal)
