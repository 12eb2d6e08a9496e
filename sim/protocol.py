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

from dataclasses import dataclass

import numpy as np

from .layout import Layout
from .offers import concession_fractions, linkage_priority
from .params import RunParams
from .preferences import clause_loss, utilities, within_red_lines
from .strategies import ActorView

ONGOING, AGREEMENT, WALKOUT = 0, 1, 2
OUTCOME_NAMES = {ONGOING: "ongoing", AGREEMENT: "agreement", WALKOUT: "walkout"}


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
    belief_position: np.ndarray  # (R, A, A, C)
    best_offer: np.ndarray  # (R, A) best utility offered to each actor by others so far
    first_from: np.ndarray  # (R, A receiver, A proposer) utility of the proposer's first offer
    best_from: np.ndarray  # (R, A receiver, A proposer) utility of the proposer's best offer
    best_offer_package: np.ndarray  # (R, A, C)
    best_offer_history: np.ndarray  # (R, A, H + 1): best_offer before round t, at index t
    offer: np.ndarray  # (R, C) this round's package
    proposer: np.ndarray  # (R,) this round's proposer
    accepts: np.ndarray  # (R, A) this round's answers
    aspiration: np.ndarray  # (R, A) this round's aspirations

    @property
    def active(self) -> np.ndarray:
        return self.outcome == ONGOING


def init_state(lay: Layout, p: RunParams) -> State:
    r, a, c, i = p.n_runs, lay.n_actors, lay.n_clauses, len(lay.instruments)
    neg = np.full((r, a), -np.inf)
    hist = np.full((r, a, lay.horizon + 1), -np.inf)
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
        best_offer=neg.copy(),
        first_from=np.full((r, a, a), -np.inf),
        best_from=np.full((r, a, a), -np.inf),
        best_offer_package=np.zeros((r, a, c)),
        best_offer_history=hist,
        offer=np.zeros((r, c)),
        proposer=np.full(r, -1, dtype=np.intp),
        accepts=np.zeros((r, a), dtype=bool),
        aspiration=np.zeros((r, a)),
    )


def actor_view(lay: Layout, p: RunParams, s: State, a: int, reservation: np.ndarray) -> ActorView:
    w = int(lay.window[a])
    earlier = s.best_offer_history[:, a, s.t - w] if s.t >= w else np.full(p.n_runs, -np.inf)
    seen = np.isfinite(s.first_from[:, a])
    rise = np.where(seen, s.best_from[:, a], 0.0) - np.where(seen, s.first_from[:, a], 0.0)
    return ActorView(
        t=s.t, best_possible=p.best_possible[:, a], reservation=reservation[:, a],
        deadline=p.deadline[:, a], beta=p.beta[:, a], kappa=p.kappa[:, a], gamma=p.gamma[:, a],
        patience=p.patience[:, a], best_offer=s.best_offer[:, a], conceded_to_me=rise.max(axis=1),
        best_offer_earlier=earlier, window=w,
    )


def choose_proposer(lay: Layout, p: RunParams, t: int) -> np.ndarray:
    if lay.recognition is None:
        return np.full(p.n_runs, lay.rotation[t % len(lay.rotation)], dtype=np.intp)
    cum = np.cumsum(lay.recognition)
    idx = np.searchsorted(cum, p.recognition_u[:, t], side="right")
    return np.minimum(idx, lay.n_actors - 1).astype(np.intp)


def build_offer(lay: Layout, p: RunParams, s: State, proposer: np.ndarray, aspiration: np.ndarray) -> np.ndarray:
    """The proposer's package (R, C) for the given aspiration (R,)."""
    rr = np.arange(p.n_runs)
    x0 = p.best_package[rr, proposer]  # (R, C)
    # Target: salience-weighted mean of the proposer's beliefs about the other required parties.
    others = lay.required[None, :] & (np.arange(lay.n_actors)[None, :] != proposer[:, None])  # (R, A)
    est_sal = p.belief_salience[rr, proposer] * others[:, :, None]  # (R, A, C)
    est_pos = s.belief_position[rr, proposer]
    weight = est_sal.sum(axis=1)
    target = np.divide((est_sal * est_pos).sum(axis=1), weight, out=x0.copy(), where=weight > 0)
    high = np.minimum(p.above[rr, proposer], lay.upper)
    target = np.clip(target, np.minimum(p.below[rr, proposer], high), high)

    mix = lay.mixing[proposer]  # (R, A)
    cost = clause_loss(target, p.ideal, p.salience, mix) - clause_loss(x0, p.ideal, p.salience, mix)
    cost = np.maximum(cost, 0.0)
    budget = p.best_possible[rr, proposer] - aspiration
    own = np.einsum("ra,rac->rc", mix, p.salience)
    link = lay.linkage[proposer]
    frac = concession_fractions(cost, budget, linkage_priority(own, weight))
    if not link.all():
        uniform = concession_fractions(cost, budget, None)
        frac = np.where(link[:, None], frac, uniform)
    x = x0 + frac * (target - x0)
    if not lay.joint:
        fixed = (s.locked[:, :, None] & lay.member[None]).any(axis=1)
        x = np.where(fixed, s.locked_values, x)
    return x


def vote(lay: Layout, p: RunParams, x: np.ndarray, proposer: np.ndarray, aspiration: np.ndarray) -> np.ndarray:
    """(R, A) yes/no of every actor on package x.  The proposer accepts its own offer unless
    the agenda forced it across one of its own red lines (e.g. a clause it needs held at 0)."""
    inside = within_red_lines(x, p.below, p.above)
    u = utilities(x, p.ideal, p.salience, lay.mixing)
    yes = inside & (u >= aspiration - 1e-12)
    rr = np.arange(len(x))
    yes[rr, proposer] = inside[rr, proposer]
    return yes


def play_round(lay: Layout, p: RunParams, s: State) -> None:
    """Advance every active run by one round, in place."""
    t = s.t
    act = s.active
    reservation = p.reservation(t)
    views = [actor_view(lay, p, s, a, reservation) for a in range(lay.n_actors)]
    aspiration = np.stack([lay.strategies[a].aspiration(views[a]) for a in range(lay.n_actors)], axis=1)
    proposer = choose_proposer(lay, p, t)
    rr = np.arange(p.n_runs)
    x = build_offer(lay, p, s, proposer, aspiration[rr, proposer])
    s.offer, s.proposer, s.aspiration = x, proposer, aspiration

    if lay.joint:
        yes = vote(lay, p, x, proposer, aspiration)
        s.accepts = yes
        agreed_now = act & (yes | ~lay.required[None, :]).all(axis=1)
        s.agreed[agreed_now] = x[agreed_now]
    else:
        agreed_now = _vote_per_instrument(lay, p, s, x, proposer, aspiration, act)

    # Observers learn from the offer: utility it gives them, and where the proposer stands.
    u = utilities(x, p.ideal, p.salience, lay.mixing)
    observer = act[:, None] & (np.arange(lay.n_actors)[None, :] != proposer[:, None])
    improved = observer & (u > s.best_offer)
    first = s.first_from[rr, :, proposer]
    s.first_from[rr, :, proposer] = np.where(observer & ~np.isfinite(first), u, first)
    s.best_from[rr, :, proposer] = np.where(observer, np.maximum(s.best_from[rr, :, proposer], u), s.best_from[rr, :, proposer])
    s.best_offer = np.where(improved, u, s.best_offer)
    s.best_offer_package = np.where(improved[:, :, None], x[:, None, :], s.best_offer_package)
    eta = lay.belief_update
    bp = s.belief_position[rr, :, proposer]  # (R, A, C)
    s.belief_position[rr, :, proposer] = np.where(observer[:, :, None], (1 - eta) * bp + eta * x[:, None, :], bp)
    s.best_offer_history[:, :, t + 1] = s.best_offer

    s.rounds[act] = t + 1
    s.outcome[agreed_now] = AGREEMENT
    _walkouts(lay, p, s, views, act & ~agreed_now)
    s.t = t + 1


def _vote_per_instrument(lay, p, s, x, proposer, aspiration, act) -> np.ndarray:
    """Separate packages: each live, unlocked instrument is put to its own parties; clauses of
    other instruments count at their locked value, or at the status quo (0) if not yet agreed."""
    yes_all = np.ones((p.n_runs, lay.n_actors), dtype=bool)
    for i in np.flatnonzero(lay.live):
        open_ = act & ~s.locked[:, i]
        in_i = lay.member[i]
        other_locked = (s.locked[:, :, None] & lay.member[None]).any(axis=1)
        z = np.where(in_i[None, :], x, np.where(other_locked, s.locked_values, 0.0))
        yes = vote(lay, p, z, proposer, aspiration)
        ok = open_ & (yes | ~lay.signs[i][None, :]).all(axis=1)
        s.locked[ok, i] = True
        s.locked_values[ok] = np.where(in_i[None, :], x[ok], s.locked_values[ok])
        yes_all &= yes | ~lay.signs[i][None, :]
    s.accepts = yes_all
    done = act & s.locked[:, lay.live].all(axis=1)
    s.agreed[done] = s.locked_values[done]
    return done


def _walkouts(lay: Layout, p: RunParams, s: State, views, candidates: np.ndarray) -> None:
    # Recompute each view against the updated best offers: a party judges staying with the
    # offers it has now, including this round's.
    reservation = p.reservation(s.t)
    left = candidates.copy()
    for a in np.flatnonzero(lay.required):
        view = actor_view(lay, p, s, a, reservation)
        for rule in lay.walkout_rules[a]:
            fired = left & rule.fires(view)
            if fired.any():
                s.outcome[fired] = WALKOUT
                s.walkout_by[fired] = a
                s.walkout_rule[fired] = rule.code
                s.blocking_clause[fired] = _blocking_clause(lay, p, s, a)[fired]
                left &= ~fired


def _blocking_clause(lay: Layout, p: RunParams, s: State, a: int) -> np.ndarray:
    """The clause that costs the walker most in the best offer it received (the status quo if
    none): argmax_c of its effective loss there.  Measured from its ideal, not from the agenda,
    so a clause held off the table can be what it walked out over."""
    seen = np.isfinite(s.best_offer[:, a])
    pkg = np.where(seen[:, None], s.best_offer_package[:, a], 0.0)
    mix = np.broadcast_to(lay.mixing[a], (p.n_runs, lay.n_actors))
    return np.argmax(clause_loss(pkg, p.ideal, p.salience, mix), axis=1).astype(np.int16)


def final_utilities(lay: Layout, p: RunParams, s: State) -> np.ndarray:
    """(R, A): utility of the agreed package, or the outside option when talks ended without one
    (walkout or still going at the horizon: the value of no deal at that round)."""
    agreed = s.outcome == AGREEMENT
    u = utilities(np.where(agreed[:, None], s.agreed, 0.0), p.ideal, p.salience, lay.mixing)
    no_deal = np.clip(p.outside_option + p.outside_option_growth * s.rounds[:, None], 0.0, 1.0)
    return np.where(agreed[:, None], u, no_deal)
