"""Dotted scenario paths of drawn fields: which quantity a path names, and its allowed range.

A path is the scenario file's own key of a drawn field (schema.py), with the ids filled in:
    actors.<actor>.outside_option, actors.<actor>.strategy.beta,
    actors.<actor>.clauses.<clause>.ideal, actors.<actor>.clauses.<clause>.red_line.above, ...
or agenda.caps.<clause>.  Clause ids may themselves contain dots ("us.4a"): they are matched
against the scenario's ids.  docs/fields.md lists every drawn field with its range.  Sweeps fix
the quantities a path names (experiments/overrides.py); elicitation tables name them too
(analysis/elicitation_table.py): one parser for both.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from . import schema

CAP = schema.field("agenda.caps")


@dataclass(frozen=True)
class Target:
    path: str
    field: str  # DrawPlan slot field, or "cap"
    actor: int | None
    clause: int | None
    low: float
    high: float
    key: tuple[str, ...] = ()  # the path's keys in the scenario document, ids whole: ("actors", "us", "clauses", "us.4a", "ideal")


def _pick(name: str, allowed, what: str, path: str) -> str:
    if name in allowed:
        return name
    raise ValueError(f"parameter {path!r}: {schema.suggest(name, allowed, what)}")


def _split_id(rest: str, ids, what: str, path: str) -> tuple[str, str]:
    """'us.4a.ideal' -> ('us.4a', 'ideal') against the known ids (longest match first)."""
    for i in sorted(ids, key=len, reverse=True):
        if rest == i or rest.startswith(i + "."):
            return i, rest[len(i) + 1:]
    return _pick(rest.partition(".")[0], ids, what, path), ""


def resolve(path: str, actors: tuple[str, ...], clauses: tuple[str, ...], off: frozenset[str] = frozenset(),
            demands: tuple[str, ...] = ()) -> Target:
    """The quantity a dotted path names, with its allowed range; ValueError with a hint if none:
    the whole path closest to it, when one is close (a typo anywhere in the path)."""
    try:
        return _resolve(path, actors, clauses, off, demands)
    except ValueError:
        near = difflib.get_close_matches(path, drawn_paths(actors, clauses, demands), n=1, cutoff=0.8)
        if not near or near[0] == path:  # a known path refused for another reason says that reason
            raise
        raise ValueError(f"parameter {path!r}: unknown path; did you mean {near[0]!r}? (a range LOW:HIGH varies a "
                         "drawn parameter; docs/fields.md lists them)") from None


def _resolve(path: str, actors, clauses, off, demands) -> Target:
    head, _, rest = path.partition(".")
    if head == "agenda":
        kind, _, cid = rest.partition(".")
        if kind != "caps":
            raise ValueError(f"parameter {path!r}: only agenda.caps.<clause> can be swept in the agenda")
        cid = _pick(cid, clauses, "clause", path)
        if cid in off:
            raise ValueError(f"parameter {path!r}: clause {cid!r} is off the table in this scenario and cannot be capped")
        return Target(path, "cap", None, clauses.index(cid), CAP.low, CAP.high, ("agenda", "caps", cid))
    if head != "actors":
        raise ValueError(f"parameter {path!r}: not drawn per run, so it has no range LOW:HIGH to sweep; a structural "
                         f"choice is swept over its levels, --param {path}=A,B,... (ranges are for paths starting "
                         "'actors.' or 'agenda.caps.')")
    aid, rest = _split_id(rest, actors, "actor", path)
    clause, key = None, ("actors", aid)
    if rest.startswith("clauses."):
        cid, rest = _split_id(rest.removeprefix("clauses."), clauses, "clause", path)
        clause, key = clauses.index(cid), key + ("clauses", cid)
        pattern = "actors.*.clauses.*"
    elif rest.startswith("demands."):
        did, rest = _split_id(rest.removeprefix("demands."), demands, "demand", path)
        _pick(rest, ("salience",), "demand parameter", path)
        return Target(path, "demand_salience", actors.index(aid), demands.index(did), *_range("actors.*.demands.*.salience"),
                      key + ("demands", did, "salience"))
    else:
        pattern = "actors.*"
    fields = {f.path.removeprefix(pattern + "."): f for f in schema.drawn_fields(pattern)}
    suffix = _pick(rest, fields, "drawn parameter", path)
    f = fields[suffix]
    return Target(path, f.key, actors.index(aid), clause, f.low, f.high, key + tuple(suffix.split(".")))


def _range(pattern: str) -> tuple[float, float]:
    f = schema.field(pattern)
    return f.low, f.high


def drawn_paths(actors, clauses, demands) -> list[str]:
    """Every path of a drawn field in a scenario with these ids (what a did-you-mean chooses from)."""
    out = [f"agenda.caps.{c}" for c in clauses]
    for a in actors:
        out += [f"actors.{a}.{f.path.removeprefix('actors.*.')}" for f in schema.drawn_fields("actors.*")]
        for c in clauses:
            out += [f"actors.{a}.clauses.{c}.{f.path.removeprefix('actors.*.clauses.*.')}"
                    for f in schema.drawn_fields("actors.*.clauses.*")]
        out += [f"actors.{a}.demands.{d}.salience" for d in demands]
    return out
