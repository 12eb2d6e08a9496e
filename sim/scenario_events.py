"""Building a scenario's dated events (schema `events.*`) from its merged document, with the
checks that span the rest of the scenario: days within the horizon (an offer's on a meeting
day), known actors and clauses, the fields its kind uses and no other, red lines that keep the
actor's ideal, offers within the caps in force that day.  `b` is the scenario builder
(scenario._Builder, passed in: this module does not import the loader): its `err` names
the file that set the key.
"""

from __future__ import annotations

import numpy as np

from . import schema
from .scenario_types import Actor, Agenda, Event, Protocol


def build_events(b, actors: tuple[Actor, ...], clause_ids: tuple[str, ...], agenda: Agenda,
                 protocol: Protocol) -> tuple[Event, ...]:
    """Dated events, checked against the rest of the scenario: days within the horizon (an
    offer's on a meeting day), known actors and clauses, the fields its kind uses and no
    other, red lines that keep the actor's ideal, offers within the caps in force."""
    by_actor = {a.id: a for a in actors}
    calendar = protocol.calendar()
    out = []
    for eid, ev in b.doc.get("events", {}).items():
        key = ("events", eid)
        day = float(b.get(ev, key + ("day",), "events.*.day"))
        kind = b.get(ev, key + ("kind",), "events.*.kind")
        if day > protocol.horizon_days:
            raise b.err(key + ("day",), f"day {day:g} is after the horizon (horizon_days = "
                        f"{protocol.horizon_days:g}); allowed: days up to the horizon")
        need, optional = schema.EVENT_FIELDS[kind], schema.EVENT_OPTIONAL.get(kind, ())
        for k in need:
            if k not in ev:
                raise b.err(key + (k,), f"required for an event of kind {kind!r}")
        for k in ("actor", "clause", "cap", "shift", "above", "below", "package", "with"):
            if k in ev and k not in need + optional:
                raise b.err(key + (k,), f"an event of kind {kind!r} does not use {k}; it takes "
                            f"{', '.join(need + optional)}")
        actor = b.ids([ev["actor"]], key + ("actor",), tuple(by_actor), "actor")[0] if "actor" in ev else None
        clause = b.ids([ev["clause"]], key + ("clause",), clause_ids, "clause")[0] if "clause" in ev else None
        if clause is not None and clause in agenda.off:
            raise b.err(key + ("clause",), f"clause {clause!r} is off the table (agenda.off); to bring a clause "
                        "in later, cap it at 0 in agenda.caps and raise the cap with a cap event")
        sponsors = b.ids(ev.get("with", []), key + ("with",), tuple(by_actor), "actor")
        if actor in sponsors:
            raise b.err(key + ("with",), f"{actor!r} tables the offer; list only the others that table it with it")
        e = Event(eid, day, kind, actor, clause, ev.get("cap"), ev.get("shift"), ev.get("above"), ev.get("below"),
                  None, str(ev.get("note", "")), sponsors)
        if kind == "red_line":
            e = _check_red_line_event(b, e, by_actor[actor], key)
        if kind == "offer":
            e = _check_offer_event(b, e, ev, key, clause_ids, agenda, calendar, out)
        out.append(e)
    return tuple(sorted(out, key=lambda e: e.day))

def _check_red_line_event(b, e: Event, actor: Actor, key: tuple) -> Event:
    if e.above is None and e.below is None:
        raise b.err(key + ("above",), "a red_line event needs above or below (or both)")
    pref = actor.pref(e.clause)
    if pref is None:
        raise b.err(key + ("clause",), f"{actor.id!r} has no preference on clause {e.clause!r}, so no red line")
    lo, hi = pref.ideal.support()
    if e.above is not None and e.above < hi:
        raise b.err(key + ("above",), f"{e.above:g} excludes the actor's own ideal point (up to {hi:g}); "
                    "allowed: above >= ideal")
    if e.below is not None and e.below > lo:
        raise b.err(key + ("below",), f"{e.below:g} excludes the actor's own ideal point (down to {lo:g}); "
                    "allowed: below <= ideal")
    return e

def _check_offer_event(b, e: Event, ev: dict, key: tuple, clause_ids: tuple[str, ...], agenda: Agenda,
                       calendar: np.ndarray, earlier: list[Event]) -> Event:
    if not np.isclose(calendar, e.day).any():
        near = calendar[np.argsort(np.abs(calendar - e.day))[:2]]
        raise b.err(key + ("day",), f"an offer is tabled at a meeting, and day {e.day:g} is not a meeting day "
                    f"(nearest: {', '.join(f'{d:g}' for d in sorted(near))}); list it in protocol.meeting_days")
    if any(o.kind == "offer" and o.actor == e.actor and o.day == e.day for o in earlier):
        raise b.err(key + ("actor",), f"{e.actor!r} already tables an offer on day {e.day:g}")
    if "package" not in ev:
        return e
    package = []
    for cid, v in ev["package"].items():
        if cid == "source":
            continue
        b.ids([cid], key + ("package", cid), clause_ids, "clause")
        cap = _cap_on(b, cid, e.day, agenda)
        if float(v) > cap + 1e-12:
            raise b.err(key + ("package", cid), f"{v:g} is above what the agenda allows on day {e.day:g} "
                        f"({cap:g}); allowed: [0, {cap:g}]")
        package.append((cid, float(v)))
    return Event(**{**e.__dict__, "package": tuple(package)})

def _cap_on(b, clause: str, day: float, agenda: Agenda) -> float:
    """A clause's cap on `day`: the agenda's, or the latest cap event on or before it."""
    cap, when = agenda.upper(clause), -1.0
    for eid, ev in b.doc.get("events", {}).items():
        if ev.get("kind") == "cap" and ev.get("clause") == clause and when <= float(ev.get("day", 0)) <= day:
            cap, when = float(ev["cap"]), float(ev["day"])
    return cap
