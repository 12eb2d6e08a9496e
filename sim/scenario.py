"""Scenario files (TOML) -> validated, frozen dataclasses.

A scenario may `extends = "other.toml"`: tables merge key by key, anything else is replaced,
so derived scenarios state only what they change.  Validation names the file that set the
offending key, the key's dotted path and what is allowed.  Nothing in a file is executed.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .distributions import DIST_FIELDS, Fixed, Param, ParamError, make_param

# ---------------------------------------------------------------- schema (allowed keys)
TOP_KEYS = {"extends", "remove", "meta", "protocol", "instruments", "clauses", "agenda", "actors"}
META_KEYS = {"name", "description", "source"}
PROTOCOL_KEYS = {"round_days", "horizon", "proposer", "order", "recognition", "package", "belief_update", "source"}
INSTRUMENT_KEYS = {"name", "signatories", "source"}
CLAUSE_KEYS = {"instruments", "article", "demand", "reply", "scale", "source"}
AGENDA_KEYS = {"off", "caps", "source"}
ACTOR_KEYS = {
    "name", "bloc", "outside_option", "outside_option_growth", "patience", "deadline", "strategy",
    "offer", "walkout", "window", "belief_noise", "consent_clauses", "weighs_on", "source", "clauses",
    "capability",
}
STRATEGY_KEYS = {"kind", "beta", "kappa", "gamma", "source"}
PREF_KEYS = {"ideal", "salience", "red_line", "source"}
RED_LINE_KEYS = {"above", "below", "source"}
PARAM_KEYS = {"dist", "source", "value"} | {f for fs in DIST_FIELDS.values() for f in fs}

PROPOSER_RULES = ("rotation", "random")
PACKAGE_RULES = ("joint", "separate")
STRATEGY_KINDS = ("time_dependent", "responsive")
OFFER_KINDS = ("linkage", "uniform")
WALKOUT_RULES = ("outside_option", "impatience")


class ScenarioError(ValueError):
    """A scenario problem: names the file, the key and what is allowed."""

    def __init__(self, file: Path | str, key: str, message: str):
        self.file, self.key = str(file), key
        super().__init__(f"{file}: {key}: {message}" if key else f"{file}: {message}")


# ---------------------------------------------------------------- frozen model of a scenario
@dataclass(frozen=True)
class Clause:
    id: str
    instruments: tuple[str, ...]
    article: str = ""
    demand: str = ""
    reply: str = ""
    scale: tuple[tuple[float, str], ...] = ()


@dataclass(frozen=True)
class Instrument:
    id: str
    name: str
    signatories: tuple[str, ...]  # actor ids, blocs already expanded


@dataclass(frozen=True)
class Agenda:
    off: frozenset[str]
    caps: tuple[tuple[str, float], ...]

    def upper(self, clause_id: str) -> float:
        """Highest value a clause may take in any package: 0 off the table, its cap, or 1."""
        if clause_id in self.off:
            return 0.0
        return dict(self.caps).get(clause_id, 1.0)


@dataclass(frozen=True)
class ClausePref:
    ideal: Param
    salience: Param
    above: Param | None = None  # values above this are never acceptable
    below: Param | None = None  # values below this are never acceptable


@dataclass(frozen=True)
class Strategy:
    kind: str
    beta: Param = Fixed(1.0)
    kappa: Param = Fixed(0.0)
    gamma: Param = Fixed(1.0)


@dataclass(frozen=True)
class Actor:
    id: str
    name: str
    prefs: tuple[tuple[str, ClausePref], ...]
    outside_option: Param
    outside_option_growth: Param
    patience: Param
    deadline: Param
    strategy: Strategy
    offer: str
    walkout: tuple[str, ...]
    window: int
    belief_noise: Param
    bloc: str | None = None
    consent_clauses: tuple[str, ...] = ()
    weighs_on: tuple[tuple[str, float], ...] = ()
    capability: float = 1.0  # weight in the Bueno de Mesquita baseline forecast (capability x salience)

    def pref(self, clause_id: str) -> ClausePref | None:
        return dict(self.prefs).get(clause_id)


@dataclass(frozen=True)
class Protocol:
    round_days: float
    horizon: int
    proposer: str
    order: tuple[str, ...]
    recognition: tuple[tuple[str, float], ...]
    package: str
    belief_update: float


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    path: str
    sha256: str  # of the file and every file it extends, in order
    protocol: Protocol
    clauses: tuple[Clause, ...]
    instruments: tuple[Instrument, ...]
    agenda: Agenda
    actors: tuple[Actor, ...]
    sources: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    resolved: str = field(default="", compare=False, repr=False)  # merged document, JSON

    @property
    def resolved_document(self) -> dict:
        """The scenario as loaded, `extends` merged in: enough to reproduce it without its files."""
        return json.loads(self.resolved)

    @property
    def clause_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.clauses)

    @property
    def actor_ids(self) -> tuple[str, ...]:
        return tuple(a.id for a in self.actors)

    def on_table(self, clause_id: str) -> bool:
        return clause_id not in self.agenda.off

    def live_instruments(self) -> tuple[Instrument, ...]:
        """Instruments with at least one clause on the table."""
        return tuple(
            i for i in self.instruments
            if any(i.id in c.instruments and self.on_table(c.id) for c in self.clauses)
        )

    def required_parties(self) -> tuple[str, ...]:
        """Actors whose acceptance an agreement needs: signatories of live instruments and
        actors holding consent over a clause on the table.  In scenario order."""
        need = {s for i in self.live_instruments() for s in i.signatories}
        need |= {a.id for a in self.actors if any(self.on_table(c) for c in a.consent_clauses)}
        return tuple(a for a in self.actor_ids if a in need)


# ---------------------------------------------------------------- loading
def load_scenario(path: str | Path) -> Scenario:
    """Read, merge (`extends`) and validate a scenario file."""
    path = Path(path)
    doc, origin, digest = _read_with_bases(path, seen=())
    return _Builder(path, doc, origin).build(digest)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(path, "", "file not found") from None
    except OSError as exc:
        raise ScenarioError(path, "", f"cannot read ({exc.strerror})") from None
    try:
        return tomllib.loads(text.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(path, "", f"not valid TOML ({exc})") from None


def _read_with_bases(path: Path, seen: tuple[Path, ...]) -> tuple[dict, dict, str]:
    resolved = path.resolve()
    if resolved in seen:
        raise ScenarioError(path, "extends", "circular 'extends' chain")
    doc = _read_toml(path)
    _check_keys(path, doc)
    origin = {k: path for k in _leaf_paths(doc)}
    digest = hashlib.sha256(path.read_bytes())
    base_name = doc.pop("extends", None)
    if base_name is None:
        return doc, origin, digest.hexdigest()
    if not isinstance(base_name, str):
        raise ScenarioError(path, "extends", "must be a file name (string), relative to this file")
    base_doc, base_origin, base_digest = _read_with_bases(path.parent / base_name, seen + (resolved,))
    digest.update(base_digest.encode())
    for dotted in doc.pop("remove", []):
        _remove(path, base_doc, base_origin, dotted)
    return _merge(base_doc, doc), {**base_origin, **origin}, digest.hexdigest()


def _remove(path: Path, doc: dict, origin: dict, dotted: Any) -> None:
    """`remove = ["actors.nato"]` drops an inherited table (e.g. to split an actor into groups)."""
    head, _, last = str(dotted).rpartition(".")
    table = doc
    for part in head.split(".") if head else []:
        table = table.get(part) if isinstance(table, dict) else None
    if not isinstance(table, dict) or last not in table:
        raise ScenarioError(path, "remove", f"{dotted!r} is not in the scenario this one extends")
    del table[last]
    for key in [k for k in origin if k == dotted or k.startswith(dotted + ".")]:
        del origin[key]


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _leaf_paths(doc: dict, prefix: str = "") -> list[str]:
    paths = []
    for k, v in doc.items():
        p = f"{prefix}{k}"
        paths.append(p)
        if isinstance(v, dict):
            paths += _leaf_paths(v, p + ".")
    return paths


def _suggest(key: str, allowed: set[str]) -> str:
    close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown key {key!r}{hint} Allowed: {', '.join(sorted(allowed))}"


def _check_keys(path: Path, doc: dict) -> None:
    """Reject unknown keys per file, before merging, so the message names the right file."""

    def check(table: Any, allowed: set[str], where: str) -> None:
        if not isinstance(table, dict):
            raise ScenarioError(path, where, f"must be a table, got {type(table).__name__}")
        for k in table:
            if k not in allowed:
                raise ScenarioError(path, f"{where}.{k}" if where else k, _suggest(k, allowed))

    def check_param(v: Any, where: str) -> None:
        if isinstance(v, dict):
            check(v, PARAM_KEYS, where)

    check(doc, TOP_KEYS, "")
    if not isinstance(doc.get("remove", []), list):
        raise ScenarioError(path, "remove", "must be a list of dotted keys, e.g. [\"actors.nato\"]")
    if "remove" in doc and "extends" not in doc:
        raise ScenarioError(path, "remove", "only means something with 'extends' (it drops inherited tables)")
    for name in ("clauses", "actors", "instruments"):
        for k, v in doc.get(name, {}).items() if isinstance(doc.get(name, {}), dict) else [(None, None)]:
            if not isinstance(v, dict):
                raise ScenarioError(path, f"{name}.{k}" if k else name, "must be a table")
    for where, v in (("agenda.caps", doc.get("agenda", {}).get("caps", {})),
                     ("protocol.recognition", doc.get("protocol", {}).get("recognition", {}))):
        if not isinstance(v, dict):
            raise ScenarioError(path, where, "must be a table, e.g. { \"us.4a\" = 0.5 }")
    for cid, c in doc.get("clauses", {}).items():
        if not isinstance(c.get("scale", {}), dict):
            raise ScenarioError(path, f"clauses.{cid}.scale", 'must be a table, e.g. { "0" = "...", "1" = "..." }')
    for name, allowed in (("meta", META_KEYS), ("protocol", PROTOCOL_KEYS), ("agenda", AGENDA_KEYS)):
        if name in doc:
            check(doc[name], allowed, name)
    for kind, allowed in (("instruments", INSTRUMENT_KEYS), ("clauses", CLAUSE_KEYS)):
        for k, v in doc.get(kind, {}).items():
            check(v, allowed, f"{kind}.{k}")
    for aid, actor in doc.get("actors", {}).items():
        where = f"actors.{aid}"
        check(actor, ACTOR_KEYS, where)
        for k in ("weighs_on", "clauses"):
            if not isinstance(actor.get(k, {}), dict):
                raise ScenarioError(path, f"{where}.{k}", "must be a table")
        for k in ("outside_option", "outside_option_growth", "patience", "deadline", "belief_noise"):
            check_param(actor.get(k), f"{where}.{k}")
        if "strategy" in actor:
            check(actor["strategy"], STRATEGY_KEYS, f"{where}.strategy")
            for k in ("beta", "kappa", "gamma"):
                check_param(actor["strategy"].get(k), f"{where}.strategy.{k}")
        for cid, pref in actor.get("clauses", {}).items():
            pw = f"{where}.clauses.{cid}"
            check(pref, PREF_KEYS, pw)
            check_param(pref.get("ideal"), f"{pw}.ideal")
            check_param(pref.get("salience"), f"{pw}.salience")
            if "red_line" in pref:
                check(pref["red_line"], RED_LINE_KEYS, f"{pw}.red_line")
                for k in ("above", "below"):
                    check_param(pref["red_line"].get(k), f"{pw}.red_line.{k}")


class _Builder:
    """Turns a merged document into a Scenario, raising ScenarioError on the first problem."""

    def __init__(self, path: Path, doc: dict, origin: dict[str, Path]):
        self.path, self.doc, self.origin = path, doc, origin
        self.sources: list[tuple[str, str]] = []

    # -- helpers
    def err(self, key: str, message: str) -> ScenarioError:
        # Name the file that last set this key (or its nearest parent).
        probe = key
        while probe and probe not in self.origin:
            probe = probe.rpartition(".")[0]
        return ScenarioError(self.origin.get(probe, self.path), key, message)

    def need(self, table: dict, key: str, where: str) -> Any:
        if key not in table:
            raise self.err(f"{where}.{key}" if where else key, "required key is missing")
        return table[key]

    def source(self, table: dict, where: str) -> None:
        src = table.get("source")
        if not isinstance(src, str) or not src.strip():
            raise self.err(f"{where}.source", "every table of numbers must say where they come from "
                           "(source = \"domain.md ...\", \"seed article ...\" or \"assumption: ...\")")
        self.sources.append((where, src.strip()))

    def number(self, v: Any, key: str, lo: float, hi: float, integer: bool = False) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise self.err(key, f"must be a number in [{lo}, {hi}], got {v!r}")
        if integer and int(v) != v:
            raise self.err(key, f"must be a whole number in [{lo}, {hi}], got {v!r}")
        if not lo <= v <= hi:
            raise self.err(key, f"{v} is out of range; allowed: [{lo}, {hi}]")
        return float(v)

    def param(self, v: Any, key: str, lo: float, hi: float) -> Param:
        """A fixed number or {dist = ..., ...}; its whole support must lie in [lo, hi]."""
        if isinstance(v, dict):
            if "value" in v:
                return Fixed(self.number(v["value"], key + ".value", lo, hi))
            if "dist" not in v:
                raise self.err(key, f"a table here needs dist = one of {', '.join(DIST_FIELDS)} (or value = N)")
            fields = {k: x for k, x in v.items() if k not in ("dist", "source")}
            try:
                p = make_param(str(v["dist"]), fields)
            except ParamError as exc:
                raise self.err(key, str(exc)) from None
            s_lo, s_hi = p.support()
            if s_lo < lo or s_hi > hi:
                raise self.err(key, f"support [{s_lo}, {s_hi}] is out of range; allowed: [{lo}, {hi}]")
            if "source" in v:
                self.sources.append((key, str(v["source"])))
            return p
        return Fixed(self.number(v, key, lo, hi))

    def choice(self, v: Any, key: str, allowed: tuple[str, ...]) -> str:
        if v not in allowed:
            close = difflib.get_close_matches(str(v), allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise self.err(key, f"{v!r} is not allowed{hint}; allowed: {', '.join(allowed)}")
        return v

    def id_list(self, v: Any, key: str, allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
        if not isinstance(v, list):
            raise self.err(key, f"must be a list of {what} ids")
        for x in v:
            if x not in allowed:
                close = difflib.get_close_matches(str(x), allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise self.err(key, f"unknown {what} {x!r}{hint}; allowed: {', '.join(allowed)}")
        return tuple(v)

    # -- sections
    def build(self, digest: str) -> Scenario:
        meta = self.doc.get("meta", {})
        clauses = self.build_clauses()
        clause_ids = tuple(c.id for c in clauses)
        actor_ids = tuple(self.need(self.doc, "actors", ""))
        if not actor_ids:
            raise self.err("actors", "at least one actor is required")
        blocs = {a.get("bloc") for a in self.doc["actors"].values() if a.get("bloc")}
        instruments = self.build_instruments(actor_ids, blocs)
        for c in clauses:
            self.id_list(list(c.instruments), f"clauses.{c.id}.instruments", tuple(i.id for i in instruments), "instrument")
        agenda = self.build_agenda(clause_ids)
        actors = tuple(self.build_actor(a, clause_ids, actor_ids) for a in actor_ids)
        protocol = self.build_protocol(actor_ids)
        scenario = Scenario(
            name=str(meta.get("name", self.path.stem)),
            description=str(meta.get("description", "")),
            path=str(self.path),
            sha256=digest,
            protocol=protocol,
            clauses=clauses,
            instruments=instruments,
            agenda=agenda,
            actors=actors,
            sources=tuple(self.sources),
            resolved=json.dumps(self.doc, sort_keys=True),
        )
        if not scenario.required_parties():
            raise self.err("agenda.off", "no clause of any instrument is left on the table")
        self.check_across_actors(scenario)
        return scenario

    def check_across_actors(self, sc: Scenario) -> None:
        required = sc.required_parties()
        for a in sc.actors:
            if a.id in required and not any(p.salience.support()[1] > 0 for _, p in a.prefs):
                raise self.err(f"actors.{a.id}.clauses", "an actor at the table must care about some clause "
                               "(every salience is 0)")
        for target in sc.actor_ids:
            total = sum(w for a in sc.actors for other, w in a.weighs_on if other == target)
            if total > 1 + 1e-9:
                raise self.err("actors", f"the weighs_on weights on {target!r} add up to {total:g}; allowed: at most 1")
        if sc.protocol.proposer == "random":
            weights = dict(sc.protocol.recognition) or {a: 1.0 for a in sc.actor_ids}
            if not any(weights.get(a, 0.0) > 0 for a in required):
                raise self.err("protocol.recognition", "no actor at the table has a positive weight")

    def build_clauses(self) -> tuple[Clause, ...]:
        table = self.need(self.doc, "clauses", "")
        out = []
        for cid, c in table.items():
            where = f"clauses.{cid}"
            inst = self.need(c, "instruments", where)
            if not isinstance(inst, list) or not inst:
                raise self.err(f"{where}.instruments", "must be a non-empty list of instrument ids")
            scale = []
            for k, text in c.get("scale", {}).items():
                try:
                    level = float(k)
                except ValueError:
                    raise self.err(f"{where}.scale.{k}", "scale keys are positions in [0, 1], e.g. \"0.5\"") from None
                self.number(level, f"{where}.scale.{k}", 0.0, 1.0)
                scale.append((level, str(text)))
            out.append(Clause(cid, tuple(inst), str(c.get("article", "")), str(c.get("demand", "")),
                              str(c.get("reply", "")), tuple(sorted(scale))))
        return tuple(out)

    def build_instruments(self, actor_ids: tuple[str, ...], blocs: set[str]) -> tuple[Instrument, ...]:
        table = self.need(self.doc, "instruments", "")
        names = tuple(actor_ids) + tuple(sorted(blocs))
        out = []
        for iid, inst in table.items():
            sig = self.id_list(self.need(inst, "signatories", f"instruments.{iid}"),
                               f"instruments.{iid}.signatories", names, "actor or bloc")
            if not sig:
                raise self.err(f"instruments.{iid}.signatories", "an instrument needs at least one signatory")
            expanded: list[str] = []
            for s in sig:
                members = [a for a in actor_ids if self.doc["actors"][a].get("bloc") == s]
                expanded += members if members else [s]
            out.append(Instrument(iid, str(inst.get("name", iid)), tuple(dict.fromkeys(expanded))))
        return tuple(out)

    def build_agenda(self, clause_ids: tuple[str, ...]) -> Agenda:
        ag = self.doc.get("agenda", {})
        off = self.id_list(ag.get("off", []), "agenda.off", clause_ids, "clause")
        caps = []
        if ag.get("caps"):
            self.source(ag, "agenda")
            for cid, v in ag["caps"].items():
                self.id_list([cid], f"agenda.caps.{cid}", clause_ids, "clause")
                if cid in off:
                    raise self.err(f"agenda.caps.{cid}", "a clause off the table cannot also be capped")
                caps.append((cid, self.number(v, f"agenda.caps.{cid}", 0.0, 1.0)))
        return Agenda(frozenset(off), tuple(caps))

    def build_protocol(self, actor_ids: tuple[str, ...]) -> Protocol:
        pr = self.need(self.doc, "protocol", "")
        self.source(pr, "protocol")
        order = self.id_list(pr.get("order", list(actor_ids)), "protocol.order", actor_ids, "actor")
        if len(set(order)) < len(order):
            raise self.err("protocol.order", "lists an actor twice; each actor once, in proposing order")
        if pr.get("recognition") and pr.get("proposer", "rotation") != "random":
            raise self.err("protocol.recognition", "weights apply only with proposer = \"random\"")
        rec = []
        for a, w in pr.get("recognition", {}).items():
            self.id_list([a], f"protocol.recognition.{a}", actor_ids, "actor")
            rec.append((a, self.number(w, f"protocol.recognition.{a}", 0.0, 1e9)))
        return Protocol(
            round_days=self.number(self.need(pr, "round_days", "protocol"), "protocol.round_days", 1e-3, 3650),
            horizon=int(self.number(self.need(pr, "horizon", "protocol"), "protocol.horizon", 1, 10_000, True)),
            proposer=self.choice(pr.get("proposer", "rotation"), "protocol.proposer", PROPOSER_RULES),
            order=order,
            recognition=tuple(rec),
            package=self.choice(pr.get("package", "joint"), "protocol.package", PACKAGE_RULES),
            belief_update=self.number(pr.get("belief_update", 0.5), "protocol.belief_update", 0.0, 1.0),
        )

    def build_actor(self, aid: str, clause_ids: tuple[str, ...], actor_ids: tuple[str, ...]) -> Actor:
        a = self.doc["actors"][aid]
        w = f"actors.{aid}"
        self.source(a, w)
        strat = a.get("strategy", {"kind": "time_dependent"})
        sw = f"{w}.strategy"
        strategy = Strategy(
            kind=self.choice(strat.get("kind", "time_dependent"), f"{sw}.kind", STRATEGY_KINDS),
            beta=self.param(strat.get("beta", 1.0), f"{sw}.beta", 1e-3, 100.0),
            kappa=self.param(strat.get("kappa", 0.0), f"{sw}.kappa", 0.0, 1.0),
            gamma=self.param(strat.get("gamma", 1.0), f"{sw}.gamma", 0.0, 10.0),
        )
        walkout = a.get("walkout", ["outside_option"])
        if not isinstance(walkout, list):
            raise self.err(f"{w}.walkout", f"must be a list drawn from: {', '.join(WALKOUT_RULES)}")
        for r in walkout:
            self.choice(r, f"{w}.walkout", WALKOUT_RULES)
        weighs = []
        for other, x in a.get("weighs_on", {}).items():
            self.id_list([other], f"{w}.weighs_on.{other}", tuple(i for i in actor_ids if i != aid), "actor")
            weighs.append((other, self.number(x, f"{w}.weighs_on.{other}", 0.0, 1.0)))
        prefs = tuple((cid, self.build_pref(a["clauses"][cid], f"{w}.clauses.{cid}", cid, clause_ids))
                      for cid in a.get("clauses", {}))
        bloc = a.get("bloc")
        if bloc is not None and (not isinstance(bloc, str) or bloc in actor_ids):
            raise self.err(f"{w}.bloc", "must be a bloc name that is not itself an actor id")
        return Actor(
            id=aid,
            name=str(a.get("name", aid)),
            prefs=prefs,
            outside_option=self.param(self.need(a, "outside_option", w), f"{w}.outside_option", 0.0, 1.0),
            outside_option_growth=self.param(a.get("outside_option_growth", 0.0), f"{w}.outside_option_growth", -1.0, 1.0),
            patience=self.param(a.get("patience", 1.0), f"{w}.patience", 1e-6, 1.0),
            deadline=self.param(self.need(a, "deadline", w), f"{w}.deadline", 1.0, 10_000.0),
            strategy=strategy,
            offer=self.choice(a.get("offer", "linkage"), f"{w}.offer", OFFER_KINDS),
            walkout=tuple(walkout),
            window=int(self.number(a.get("window", 3), f"{w}.window", 1, 1000, True)),
            belief_noise=self.param(a.get("belief_noise", 0.0), f"{w}.belief_noise", 0.0, 1.0),
            bloc=bloc,
            consent_clauses=self.id_list(a.get("consent_clauses", []), f"{w}.consent_clauses", clause_ids, "clause"),
            weighs_on=tuple(weighs),
            capability=self.number(a.get("capability", 1.0), f"{w}.capability", 0.0, 1e6),
        )

    def build_pref(self, p: Any, where: str, cid: str, clause_ids: tuple[str, ...]) -> ClausePref:
        self.id_list([cid], where, clause_ids, "clause")
        self.source(p, where)
        ideal = self.param(self.need(p, "ideal", where), f"{where}.ideal", 0.0, 1.0)
        sal = p.get("salience", 0.0)
        if isinstance(sal, (int, float)) and not isinstance(sal, bool) and sal < 0:
            raise self.err(f"{where}.salience", f"salience cannot be negative (got {sal}); allowed: >= 0")
        salience = self.param(sal, f"{where}.salience", 0.0, 100.0)
        rl = p.get("red_line", {})
        above = self.param(rl["above"], f"{where}.red_line.above", 0.0, 1.0) if "above" in rl else None
        below = self.param(rl["below"], f"{where}.red_line.below", 0.0, 1.0) if "below" in rl else None
        i_lo, i_hi = ideal.support()
        if above is not None and i_hi > above.support()[0]:
            raise self.err(f"{where}.red_line.above", f"the red line excludes the actor's own ideal point "
                           f"(ideal up to {i_hi}, values above {above.support()[0]} never acceptable); "
                           "allowed: red_line.above >= ideal")
        if below is not None and i_lo < below.support()[1]:
            raise self.err(f"{where}.red_line.below", f"the red line excludes the actor's own ideal point "
                           f"(ideal down to {i_lo}, values below {below.support()[1]} never acceptable); "
                           "allowed: red_line.below <= ideal")
        return ClausePref(ideal, salience, above, below)
