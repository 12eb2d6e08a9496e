"""The structure of a scenario as index arrays: what is the same in every run.

Actors, clauses and instruments become integer positions; the agenda becomes an upper bound
per clause; who must accept becomes boolean masks.  Nothing here is random.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .events import EventArrays, event_arrays
from .scenario import Scenario
from .schema import OFFER_RULES, STRATEGIES, WALKOUT_RULES, Part


@dataclass(frozen=True, eq=False)
class Layout:
    scenario: Scenario
    actors: tuple[str, ...]
    clauses: tuple[str, ...]
    demands: tuple[str, ...]  # every clause is in exactly one (scenario.Scenario.demands)
    demand_of: np.ndarray  # (C,) index of each clause's demand
    instruments: tuple[str, ...]
    upper: np.ndarray  # (C,) highest value a package may give each clause (0 = off the table)
    member: np.ndarray  # (I, C) clause belongs to instrument
    signs: np.ndarray  # (I, A) actor must accept instrument (signatory or consent holder)
    required: np.ndarray  # (A,) actor must accept any agreement (at the table)
    live: np.ndarray  # (I,) instrument has a clause on the table
    mixing: np.ndarray  # (A, A) effective utility of i = sum_k mixing[i, k] * u_k
    rotation: np.ndarray  # proposer order (actor indices at the table)
    recognition: np.ndarray | None  # (A,) probabilities for random recognition, else None
    strategies: tuple[Part, ...]  # each actor's concession strategy (schema.STRATEGIES)
    strategy_codes: np.ndarray  # (A,) their codes
    walkout_rules: np.ndarray  # (A, max rules) codes of the walkout rules it checks, in order; 0 = none
    offer_rules: np.ndarray  # (A,) code of the rule it builds packages by (schema.OFFER_RULES)
    budget: float  # protocol.budget, or infinity
    memory: np.ndarray  # (A,) days of offers over which impatience measures the others' pace
    prior_days: np.ndarray  # (A,) weight of its expected pace, in days of observation
    carrier: np.ndarray  # (A, C) ally whose latest position a proposer tables on a clause it does not sign, or -1
    vetoes: np.ndarray  # (A, C) bool: its red lines bind its vote on the clause (protocol.red_lines)
    allies: np.ndarray  # (A, A, C) bool: a's offers on clause c keep to j's red lines (j = a included)
    days: np.ndarray  # (H,) day of each meeting (days after 17 Dec 2021)
    events: EventArrays  # dated events over the meetings (events.py)
    horizon: int  # meetings
    round_days: float
    joint: bool
    belief_update: float

    def last_meeting(self, rounds) -> np.ndarray:
        """Index of each run's last meeting held, from its rounds played (the first if none)."""
        return np.maximum(np.asarray(rounds), 1) - 1

    def end_day(self, rounds) -> np.ndarray:
        """The day of each run's last meeting held: the day its talks ended (or the horizon's)."""
        return self.days[self.last_meeting(rounds)]

    def shift_on(self, day) -> np.ndarray:
        """(A,) or (..., A): what dated events have added to each outside option by `day` (the
        last meeting on or before it)."""
        t = np.searchsorted(self.days, np.asarray(day, dtype=float) + 1e-9, side="right") - 1
        return np.where(np.asarray(t)[..., None] >= 0, self.events.shift[np.maximum(t, 0)], 0.0)

    @property
    def n_actors(self) -> int:
        return len(self.actors)

    @property
    def n_clauses(self) -> int:
        return len(self.clauses)

    @property
    def belief_pairs(self) -> np.ndarray:
        """(A observer, A observed) bool: pairs of distinct parties at the table.  Only they hold
        beliefs about each other (they propose to and learn from each other)."""
        return self.required[:, None] & self.required[None, :] & ~np.eye(self.n_actors, dtype=bool)


def build_layout(sc: Scenario) -> Layout:
    actors = sc.actor_ids
    clauses = sc.clause_ids
    a_index = {a: i for i, a in enumerate(actors)}
    c_index = {c: i for i, c in enumerate(clauses)}
    n_a = len(actors)

    upper = np.array([sc.agenda.upper(c) for c in clauses])
    days = sc.protocol.calendar()
    assert len(days) == sc.protocol.horizon
    member = np.array([[inst.id in c.instruments for c in sc.clauses] for inst in sc.instruments])
    on_table = np.array([sc.on_table(c) for c in clauses])  # a clause capped at 0 is still on it
    live = (member & on_table).any(axis=1)
    signs = np.array([[a in inst.signatories for a in actors] for inst in sc.instruments])
    # A consent holder must accept every live instrument that carries one of its clauses on the table.
    for actor in sc.actors:
        for cid in actor.consent_clauses:
            c = c_index[cid]
            if on_table[c]:
                signs[member[:, c], a_index[actor.id]] = True
    signs &= live[:, None]
    required = signs.any(axis=0)
    assert set(np.flatnonzero(required)) == {a_index[a] for a in sc.required_parties()}

    mixing = np.eye(n_a)
    for actor in sc.actors:
        for other, w in actor.weighs_on:
            mixing[a_index[other], a_index[actor.id]] += w
            mixing[a_index[other], a_index[other]] -= w
    np.fill_diagonal(mixing, np.where(np.abs(np.diag(mixing)) < 1e-9, 0.0, np.diag(mixing)))  # rounding of sum-to-1 weights
    if (np.diag(mixing) < 0).any():  # validated in scenario.py; a guard for hand-built scenarios
        bad = actors[int(np.argmin(np.diag(mixing)))]
        raise ValueError(f"{sc.path}: actors.*.weighs_on: the weights on {bad!r} add up to more than 1")

    order = [a for a in sc.protocol.order if required[a_index[a]]]
    order += [a for a in actors if required[a_index[a]] and a not in order]
    rotation = np.array([a_index[a] for a in order], dtype=np.intp)

    recognition = None
    if sc.protocol.proposer == "random":
        weights = dict(sc.protocol.recognition) or {a: 1.0 for a in actors}
        recognition = np.array([weights.get(a, 0.0) if required[i] else 0.0 for i, a in enumerate(actors)])
        if recognition.sum() <= 0:
            raise ValueError(f"{sc.path}: protocol.recognition: no actor at the table has a positive weight")
        recognition = recognition / recognition.sum()

    return Layout(
        scenario=sc,
        actors=actors,
        clauses=clauses,
        demands=tuple(d.id for d in sc.demands),
        demand_of=np.array([next(k for k, d in enumerate(sc.demands) if c in d.clauses) for c in clauses], dtype=np.intp),
        instruments=tuple(i.id for i in sc.instruments),
        upper=upper,
        member=member,
        signs=signs,
        required=required,
        live=live,
        mixing=mixing,
        rotation=rotation,
        recognition=recognition,
        strategies=tuple(STRATEGIES[a.strategy.kind][1] for a in sc.actors),
        strategy_codes=np.array([STRATEGIES[a.strategy.kind][0] for a in sc.actors], dtype=np.int64),
        walkout_rules=_rule_codes(sc),
        offer_rules=np.array([OFFER_RULES[a.offer][0] for a in sc.actors], dtype=np.int64),
        budget=float(sc.protocol.budget) if sc.protocol.budget is not None else float("inf"),
        memory=np.array([a.pace_memory_days for a in sc.actors]),
        prior_days=np.array([a.pace_prior_days for a in sc.actors]),
        carrier=_carriers(sc, member, signs, required) if sc.protocol.unsigned == "allies"
        else np.full((n_a, len(clauses)), -1, dtype=np.intp),
        **_red_line_reach(sc, member, signs, required),
        days=days,
        events=event_arrays(sc, days, actors, clauses),
        horizon=sc.protocol.horizon,
        round_days=sc.protocol.round_days,
        joint=sc.protocol.package == "joint",
        belief_update=sc.protocol.belief_update,
    )


def _rule_codes(sc: Scenario) -> np.ndarray:
    rules = np.zeros((len(sc.actors), max(1, max(len(a.walkout) for a in sc.actors))), dtype=np.int64)
    for i, a in enumerate(sc.actors):
        rules[i, :len(a.walkout)] = [WALKOUT_RULES[name][0] for name in a.walkout]
    return rules


def _red_line_reach(sc: Scenario, member: np.ndarray, signs: np.ndarray, required: np.ndarray) -> dict:
    """Whose red lines bind what (protocol.red_lines).  "allies": every party's red lines bind its
    vote on every clause, and a proposer's offers keep to the red lines of its allies at the table
    (same `side`) who vote on the clause: every party at the table under a joint package, the
    instrument's signatories under separate ones.  "signed": a party's lines bind its vote only on
    clauses of instruments it signs or holds a veto over, and its offers keep to its own lines."""
    n_a, n_c = signs.shape[1], member.shape[1]
    signs_clause = (member[:, :, None] & signs[:, None, :]).any(axis=0).T  # (A, C)
    own = np.zeros((n_a, n_a, n_c), dtype=bool)
    own[np.arange(n_a), np.arange(n_a)] = True
    if sc.protocol.red_lines == "signed":
        return {"vetoes": signs_clause, "allies": own}
    votes_on = np.broadcast_to(required[:, None], (n_a, n_c)) if sc.protocol.package == "joint" else signs_clause
    sides = np.array([a.side for a in sc.actors], dtype=object)
    same_side = (sides[:, None] == sides[None, :]) & required[None, :]
    allies = own | (same_side[:, :, None] & votes_on[None, :, :])
    return {"vetoes": np.ones((n_a, n_c), dtype=bool), "allies": allies}


def _carriers(sc: Scenario, member: np.ndarray, signs: np.ndarray, required: np.ndarray) -> np.ndarray:
    """(A, C): for a clause a party signs no instrument of, the first ally at the table (same
    `side`, scenario order) that does sign one: the party tables that ally's latest position on
    it, so no proposal stands for what its allies would veto.  -1: the party's own view."""
    n_a, n_c = signs.shape[1], member.shape[1]
    sides = [a.side for a in sc.actors]
    signs_clause = (member[:, :, None] & signs[:, None, :]).any(axis=0)  # (C, A)
    out = np.full((n_a, n_c), -1, dtype=np.intp)
    for q in range(n_a):
        for c in range(n_c):
            if signs_clause[c, q]:
                continue
            allies = [k for k in range(n_a) if k != q and required[k] and sides[k] == sides[q] and signs_clause[c, k]]
            if allies:
                out[q, c] = allies[0]
    return out
