"""Dotted parameter paths that a sweep may fix, and how they map onto a DrawPlan.

Paths follow the scenario file's own keys:
    actors.<actor>.<outside_option | outside_option_growth | patience | deadline | belief_noise>
    actors.<actor>.strategy.<beta | kappa | gamma>
    actors.<actor>.clauses.<clause>.<ideal | salience | red_line.above | red_line.below>
    agenda.caps.<clause>
Clause ids may themselves contain dots ("us.4a"): they are matched against the scenario's ids.
Only per-run quantities can be swept; structure (who sits at the table, what is off the
table, instruments) is compared across scenario files instead.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from .params import DrawPlan

ACTOR_FIELDS = {
    "outside_option": (0.0, 1.0),
    "outside_option_growth": (-1.0, 1.0),
    "patience": (1e-6, 1.0),
    "deadline": (1.0, 10_000.0),
    "belief_noise": (0.0, 1.0),
    "strategy.beta": (1e-3, 100.0),
    "strategy.kappa": (0.0, 1.0),
    "strategy.gamma": (0.0, 10.0),
}
CLAUSE_FIELDS = {
    "ideal": (0.0, 1.0),
    "salience": (0.0, 100.0),
    "red_line.above": (0.0, 1.0),
    "red_line.below": (0.0, 1.0),
}
_PLAN_FIELD = {"strategy.beta": "beta", "strategy.kappa": "kappa", "strategy.gamma": "gamma",
               "red_line.above": "above", "red_line.below": "below"}


@dataclass(frozen=True)
class Target:
    path: str
    field: str  # DrawPlan slot field, or "cap"
    actor: int | None
    clause: int | None
    low: float
    high: float


def _pick(name: str, allowed, what: str, path: str) -> str:
    if name in allowed:
        return name
    close = difflib.get_close_matches(name, list(allowed), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ValueError(f"parameter {path!r}: unknown {what} {name!r}{hint}; allowed: {', '.join(allowed)}")


def resolve(path: str, actors: tuple[str, ...], clauses: tuple[str, ...], off: frozenset[str] = frozenset()) -> Target:
    """The quantity a dotted path names, with its allowed range; ValueError with a hint if none."""
    head, _, rest = path.partition(".")
    if head == "agenda":
        kind, _, cid = rest.partition(".")
        if kind != "caps":
            raise ValueError(f"parameter {path!r}: only agenda.caps.<clause> can be swept in the agenda")
        cid = _pick(cid, clauses, "clause", path)
        if cid in off:
            raise ValueError(f"parameter {path!r}: clause {cid!r} is off the table in this scenario and cannot be capped")
        return Target(path, "cap", None, clauses.index(cid), 0.0, 1.0)
    if head != "actors":
        raise ValueError(f"parameter {path!r}: paths start with 'actors.' or 'agenda.caps.'")
    aid, _, rest = rest.partition(".")
    aid = _pick(aid, actors, "actor", path)
    a = actors.index(aid)
    if rest.startswith("clauses."):
        rest = rest.removeprefix("clauses.")
        for fld, (lo, hi) in CLAUSE_FIELDS.items():
            if rest.endswith("." + fld):
                cid = _pick(rest[: -len(fld) - 1], clauses, "clause", path)
                return Target(path, _PLAN_FIELD.get(fld, fld), a, clauses.index(cid), lo, hi)
        raise ValueError(f"parameter {path!r}: a clause path ends in one of {', '.join(CLAUSE_FIELDS)}")
    fld = _pick(rest, ACTOR_FIELDS, "actor parameter", path)
    lo, hi = ACTOR_FIELDS[fld]
    return Target(path, _PLAN_FIELD.get(fld, fld), a, None, lo, hi)


def fix(plan: DrawPlan, targets: list[Target], values) -> DrawPlan:
    """The plan with each target fixed at the matching value."""
    slot_values, caps = {}, {}
    for tg, v in zip(targets, values):
        if not tg.low <= float(v) <= tg.high:
            raise ValueError(f"parameter {tg.path!r}: {v} is out of range; allowed: [{tg.low}, {tg.high}]")
        if tg.field == "cap":
            caps[tg.clause] = float(v)
        else:
            slot_values[(tg.field, tg.actor, tg.clause)] = float(v)
    return plan.with_values(slot_values, caps)
