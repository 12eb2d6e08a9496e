"""Scenario-file fuzzing (issue 11, item 6): seeded mutations of the shipped scenarios and a
classifier that runs `sim.scenario.load_scenario` on each in a forked, time- and memory-capped
child.  A library: tests/test_fuzz_scenarios.py runs a fixed-seed sample in CI and
scripts/fuzz_scenarios.py runs big campaigns.  No test lives here.

Generation
    `generate(n, seed)` returns `n` `Mutation`s.  Each is a pure function of (seed, index): a
    `random.Random` seeded with a string (never the global random state), so one case can be
    rebuilt alone (`mutation(seed, index)`).  Mutations start from the shipped scenarios
    (scenarios/*.toml except sweep files, i.e. files with a top-level [sweep] table) and are
    written into a case folder laid out like scenarios/: every shipped scenario is copied beside
    the mutated file so `extends = "base.toml"` resolves.  A folder `outside/` next to the case
    folders holds a valid scenario and a "secret" TOML file that `extends` must never reach.

    Every mutation carries a class label (`cls`, `sub`) and an expected verdict:
        refuse  the input is malformed: load_scenario must raise ScenarioError
        either  a valid (or debatable) input: it may load or be refused, but must not crash,
                and if it loads it must lay out and simulate
        load    an unmodified shipped file (or an override the issue says must work): must load

Classification (`run`)
    ok-refused       ScenarioError with a good message (one line, <= 500 characters, no
                     control characters, names the file(s) and a key, leaks nothing, and
                     states the limit when a depth or size limit was hit)
    ok-loaded        loaded, and the verdict allowed it (plus layout + 2-run simulation)
    traceback        any other exception (RecursionError, MemoryError, TypeError, ...), a crash
                     (killed by a signal), a timeout, or an exception in layout/simulate
    silent-accept    loaded although the verdict was "refuse", or loaded something other
                     than the file says (a post-load check failed)
    bad-message      ScenarioError, but multi-line, > 500 characters, with control characters,
                     without the file or key, or quoting a file it should never have read
    wrongly-refused  ScenarioError for a "load" case
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import random
import re
import resource
import shutil
import signal
import sys
import tempfile
import time
import tomllib
import traceback
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterable

import tomli_w

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"

CATEGORIES = ("ok-refused", "ok-loaded", "traceback", "silent-accept", "bad-message", "wrongly-refused")
FAILURES = ("traceback", "silent-accept", "bad-message", "wrongly-refused")
MAX_MESSAGE = 500
ROOT_TOKEN = "@@FUZZROOT@@"  # replaced by the absolute fuzz root when a case is written
SECRET_KEY = "fuzz_secret_key_q7"  # only outside/secret.toml holds it; no message may quote it

# Keys a scenario file may hold (any table); used only so a "misspelt" key is never a real one.
KNOWN_KEYS = {
    "extends", "remove", "meta", "protocol", "instruments", "clauses", "agenda", "actors",
    "name", "description", "source", "round_days", "horizon", "proposer", "order", "recognition",
    "package", "belief_update", "signatories", "article", "demand", "reply", "scale", "off", "caps",
    "bloc", "outside_option", "outside_option_growth", "patience", "deadline", "strategy", "offer",
    "walkout", "window", "belief_noise", "consent_clauses", "weighs_on", "capability", "kind",
    "beta", "kappa", "gamma", "ideal", "salience", "red_line", "above", "below", "dist", "value",
    "low", "high", "mode", "mean", "sd", "a", "b", "sweep", "parameters",
}
DIST_FIELDS = {
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "truncnormal": ("mean", "sd", "low", "high"),
    "beta": ("a", "b", "low", "high"),
}
DIST_REQUIRED = {"uniform": ("low", "high"), "triangular": ("low", "mode", "high"),
                 "truncnormal": ("mean", "sd", "low", "high"), "beta": ("a", "b")}
ACTOR_PARAMS = ("outside_option", "outside_option_growth", "patience", "deadline", "belief_noise")
STRATEGY_PARAMS = ("beta", "kappa", "gamma")
PREF_PARAMS = ("ideal", "salience")
RED_LINE_PARAMS = ("above", "below")

# Substrings that locate a problem when no key can be named (the parser failed first).
PARSE_HINTS = ("line", "column", "position", "offset", "end of")
DEPTH_HINTS = ("line", "deep", "depth", "nest", "level")
SIZE_HINTS = ("size", "long", "length", "limit", "large", "bytes", "characters", "chars", "MB", "MiB", "KiB")
ENCODING_HINTS = ("utf", "encod", "decod", "byte", "unicode", "line", "column")

Path_ = tuple  # a key path: str (table key) or int (array index) components


# ------------------------------------------------------------------ mutations
@dataclasses.dataclass
class Mutation:
    id: int
    cls: str
    sub: str
    verdict: str  # "refuse" | "either" | "load"
    source: str  # the shipped file that was mutated
    target: str  # the file given to load_scenario, relative to the case folder
    note: str  # what was done, one line
    files: dict[str, bytes]  # relative path -> content, written over the copies of the shipped files
    key_hints: tuple[str, ...] = ()  # a refusal must contain one of these (case-insensitive); () = no check
    file_hints: tuple[str, ...] = ()  # a refusal must contain every one of these
    forbidden: tuple[str, ...] = ()  # a refusal must contain none of these
    dirs: tuple[str, ...] = ()
    symlinks: tuple[tuple[str, str], ...] = ()  # (relative link path, destination)
    fifos: tuple[str, ...] = ()
    check: dict | None = None  # post-load check (see _post_check)
    states_limit: bool = False  # a refusal hits a depth or size limit: it must state it (a number)

    @property
    def label(self) -> str:
        return f"{self.cls}/{self.sub}" if self.sub else self.cls


class Raw:
    """TOML text to splice in verbatim where a value goes (what tomli_w cannot or should not write)."""

    def __init__(self, text: str | bytes):
        self.text = text.encode("utf-8") if isinstance(text, str) else text

    def __repr__(self) -> str:
        t = self.text.decode("utf-8", "backslashreplace")
        return t if len(t) <= 40 else f"{t[:24]}...{t[-8:]} ({len(t):,} bytes)"


def render(doc: dict) -> bytes:
    """tomli_w's TOML, with every Raw value spliced in verbatim."""
    raws: list[Raw] = []

    def sub(x: Any) -> Any:
        if isinstance(x, Raw):
            raws.append(x)
            return f"@@FUZZRAW{len(raws) - 1}@@"
        if isinstance(x, dict):
            return {k: sub(v) for k, v in x.items()}
        if isinstance(x, list):
            return [sub(v) for v in x]
        return x

    text = tomli_w.dumps(sub(doc)).encode("utf-8")
    for i, r in enumerate(raws):
        token = f'"@@FUZZRAW{i}@@"'.encode()
        assert text.count(token) == 1, token
        text = text.replace(token, r.text)
    return text


def fmt_path(path: Iterable) -> str:
    out = []
    for p in path:
        if isinstance(p, int):
            out.append(f"[{p}]")
        else:
            s = p if re.fullmatch(r"[A-Za-z0-9_-]+", p) else json.dumps(p)
            out.append(("." if out else "") + s)
    return "".join(out)


def _get(doc: Any, path: Path_) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def _has(doc: Any, path: Path_) -> bool:
    try:
        _get(doc, path)
        return True
    except (KeyError, IndexError, TypeError):
        return False


def _set(doc: Any, path: Path_, value: Any) -> None:
    _get(doc, path[:-1])[path[-1]] = value


def _del(doc: Any, path: Path_) -> None:
    del _get(doc, path[:-1])[path[-1]]


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        return "table"
    if isinstance(v, list):
        return "array"
    return "date"


def walk(doc: dict, path: Path_ = ()) -> Iterable[tuple[Path_, str, Any]]:
    """Every position: (path, kind, value); tables and arrays are followed by their contents."""
    for k, v in doc.items():
        p = path + (k,)
        yield p, _kind(v), v
        if isinstance(v, dict):
            yield from walk(v, p)
        elif isinstance(v, list):
            for i, x in enumerate(v):
                yield p + (i,), _kind(x), x
                if isinstance(x, dict):
                    yield from walk(x, p + (i,))


def _strs(path: Path_) -> list[str]:
    return [p for p in path if isinstance(p, str)]


def _hints(path: Path_, extra: Iterable[str] = ()) -> tuple[str, ...]:
    """A refusal names the key: its last two names (a field or the parameter holding it)."""
    s = _strs(path)
    return tuple(dict.fromkeys([*s[-2:], *extra]))


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def is_param(path: Path_) -> bool:
    s = path
    return (
        (len(s) == 3 and s[0] == "actors" and s[2] in ACTOR_PARAMS)
        or (len(s) == 4 and s[0] == "actors" and s[2] == "strategy" and s[3] in STRATEGY_PARAMS)
        or (len(s) == 5 and s[0] == "actors" and s[2] == "clauses" and s[4] in PREF_PARAMS)
        or (len(s) == 6 and s[0] == "actors" and s[2] == "clauses" and s[4] == "red_line" and s[5] in RED_LINE_PARAMS)
    )


def is_schema_table(path: Path_, value: Any) -> bool:
    """A table with a fixed set of keys (not a table keyed by ids such as actors or scale)."""
    if not isinstance(value, dict):
        return False
    n = len(path)
    return (
        n == 0
        or path in (("meta",), ("protocol",), ("agenda",))
        or (n == 2 and path[0] in ("instruments", "clauses", "actors"))
        or (n == 3 and path[0] == "actors" and path[2] == "strategy")
        or (n == 4 and path[0] == "actors" and path[2] == "clauses")
        or (n == 5 and path[0] == "actors" and path[2] == "clauses" and path[4] == "red_line")
        or (is_param_table(path, value) and ("dist" in value or "value" in value))
    )


def is_param_table(path: Path_, value: Any) -> bool:
    """A parameter given as a table: a known parameter, or any table with `dist` or `value`
    (the schema may have parameters this list does not know)."""
    return isinstance(value, dict) and (is_param(path) or "dist" in value or "value" in value)


def is_dist_table(path: Path_, value: Any) -> bool:
    return is_param_table(path, value) and value.get("dist") in DIST_FIELDS


def required_paths(doc: dict) -> list[Path_]:
    out: list[Path_] = [(k,) for k in ("protocol", "clauses", "instruments", "actors") if k in doc]
    for path, kind, v in walk(doc):
        n, s = len(path), path
        if n == 2 and s[0] == "protocol" and s[1] in ("round_days", "horizon", "source"):
            out.append(path)
        elif n == 3 and s[0] == "instruments" and s[2] == "signatories":
            out.append(path)
        elif n == 3 and s[0] == "clauses" and s[2] == "instruments":
            out.append(path)
        elif n == 3 and s[0] == "actors" and s[2] in ("outside_option", "deadline"):
            out.append(path)
        elif n == 5 and s[0] == "actors" and s[2] == "clauses" and s[4] == "ideal":
            out.append(path)
        elif path == ("agenda", "source") and doc["agenda"].get("caps"):
            out.append(path)
        elif n >= 1 and is_dist_table(path[:-1], _get(doc, path[:-1])) and (
                s[-1] == "dist" or s[-1] in DIST_REQUIRED[_get(doc, path[:-1])["dist"]]):
            out.append(path)
    return out


def optional_paths(doc: dict) -> list[Path_]:
    out: list[Path_] = []
    for path, kind, v in walk(doc):
        n, s = len(path), path
        if (path == ("meta",) or (n == 2 and s[0] == "meta")
                or (n == 2 and s[0] == "protocol" and s[1] in ("proposer", "order", "package", "belief_update"))
                or (n == 3 and s[0] == "instruments" and s[2] == "name")
                # where numbers come from: a table may inherit it from the table around it
                or (s[-1] == "source" and path not in (("protocol", "source"), ("agenda", "source")))
                or (n == 3 and s[0] == "clauses" and s[2] in ("article", "demand", "reply", "scale"))
                or (n == 3 and s[0] == "actors" and s[2] in (
                    "name", "patience", "strategy", "offer", "walkout", "window", "belief_noise",
                    "outside_option_growth", "weighs_on", "capability"))
                or (n == 4 and s[0] == "actors" and s[2] == "strategy" and s[3] in STRATEGY_PARAMS)
                or (n == 5 and s[0] == "actors" and s[2] == "clauses" and s[4] == "red_line")):
            out.append(path)
    return out


def misspell(key: str, rng: random.Random, taken: Iterable[str] = ()) -> str:
    taken = set(taken) | KNOWN_KEYS
    for _ in range(50):
        op = rng.randrange(7)
        k = key
        if op == 0 and len(k) >= 2:
            i = rng.randrange(len(k) - 1)
            k = k[:i] + k[i + 1] + k[i] + k[i + 2:]
        elif op == 1 and len(k) >= 3:
            i = rng.randrange(len(k))
            k = k[:i] + k[i + 1:]
        elif op == 2:
            i = rng.randrange(len(k))
            k = k[:i] + k[i] + k[i:]
        elif op == 3 and "_" in k:
            k = k.replace("_", rng.choice(["-", "", "__"]), 1)
        elif op == 4:
            k = k[:1].upper() + k[1:]
        elif op == 5:
            k = k + "s"
        else:
            k = k + "_"
        if k != key and k not in taken:
            return k
    return key + "_zz"


# ------------------------------------------------------------------ the shipped set
SCENARIO_TOP_KEYS = ("extends", "meta", "protocol", "instruments", "clauses", "agenda", "actors")


@dataclasses.dataclass
class Shipped:
    folder: Path
    raw: dict[str, bytes]  # every scenario file (not a sweep, not the source catalogue), by name
    docs: dict[str, dict]
    inherited: dict[str, dict]  # what each file's `extends` chain gives it (its `remove` applied)
    support: dict[str, bytes]  # the folder's other .toml files (catalogue, sweeps): copied, never mutated

    @property
    def names(self) -> list[str]:
        return sorted(self.raw)

    @property
    def all_keys(self) -> set[str]:
        return {p[-1] for d in self.docs.values() for p, _, _ in walk(d) if isinstance(p[-1], str)}

    @property
    def derived(self) -> list[str]:
        return [n for n in self.names if "extends" in self.docs[n]]


def is_scenario(doc: dict) -> bool:
    """A scenario file: no top-level [sweep] table and some scenario key (the source catalogue,
    sources.toml, holds only [sources.*] tables)."""
    return not isinstance(doc.get("sweep"), dict) and any(k in doc for k in SCENARIO_TOP_KEYS)


def load_shipped(folder: Path = SCENARIOS) -> Shipped:
    folder = Path(folder).resolve()
    raw, docs, support = {}, {}, {}
    for p in sorted(folder.glob("*.toml")):
        b = p.read_bytes()
        d = tomllib.loads(b.decode("utf-8"))
        if is_scenario(d):
            raw[p.name], docs[p.name] = b, d
        else:
            support[p.name] = b

    def resolved(name: str) -> dict:
        own = {k: v for k, v in docs[name].items() if k not in ("extends", "remove")}
        return _merge(inherited(name), own)

    def inherited(name: str) -> dict:
        ext = docs[name].get("extends")
        if not isinstance(ext, str) or ext not in docs:
            return {}
        base = copy.deepcopy(resolved(ext))
        for dotted in docs[name].get("remove", []):
            parts = tuple(dotted.split("."))
            if _has(base, parts):
                _del(base, parts)
        return base

    return Shipped(folder, raw, docs, {n: inherited(n) for n in docs}, support)


# ------------------------------------------------------------------ generators, one per class
class Ctx:
    def __init__(self, shipped: Shipped, rng: random.Random, mid: int):
        self.s, self.rng, self.id = shipped, rng, mid

    def pick_file(self, names: list[str] | None = None) -> str:
        return self.rng.choice(names or self.s.names)

    def doc(self, name: str) -> dict:
        return copy.deepcopy(self.s.docs[name])

    def mut(self, cls: str, sub: str, verdict: str, source: str, note: str, files: dict[str, bytes],
            target: str | None = None, **kw) -> Mutation:
        target = target or source
        kw.setdefault("file_hints", (Path(target).name,))
        return Mutation(self.id, cls, sub, verdict, source, target, note, files, **kw)

    def in_file(self, cls: str, sub: str, verdict: str, name: str, doc: dict | bytes, note: str,
                path: Path_ = (), **kw) -> Mutation:
        """A mutation inside one shipped file; base.toml mutations are sometimes loaded through
        full_agenda.toml, which then must be named too (the extends chain that led there)."""
        data = doc if isinstance(doc, bytes) else render(doc)
        target = name
        if (name == "base.toml" and "full_agenda.toml" in self.s.raw and self.rng.random() < 0.25
                and not (path and path[0] == "meta")):
            target = "full_agenda.toml"
            kw["file_hints"] = ("base.toml", "full_agenda.toml")
            note += " (loaded through full_agenda.toml)"
        return self.mut(cls, sub, verdict, name, note, {name: data}, target=target, **kw)

    def positions(self, name: str, want: Callable[[Path_, str, Any], bool]) -> list[tuple[Path_, str, Any]]:
        return [(p, k, v) for p, k, v in walk(self.s.docs[name]) if want(p, k, v)]


def _pick(ctx: Ctx, want: Callable[[Path_, str, Any], bool], names: list[str] | None = None):
    names = list(names or ctx.s.names)
    ctx.rng.shuffle(names)
    for name in names:
        pos = ctx.positions(name, want)
        if pos:
            return name, ctx.rng.choice(pos)
    return None, None


TYPE_KINDS = ("string", "number", "bool", "array", "table", "date", "datetime", "huge-int", "inf", "nan")


def _wrong_value(kind: str, rng: random.Random, leaf_kind: str) -> Raw:
    if kind == "string":
        return Raw(rng.choice(['"0.5"', '"1"', '"zz-fuzz"', '"true"']) if leaf_kind == "number" else '"zz-fuzz"')
    if kind == "number":
        return Raw(rng.choice(["0.5", "3", "-1", "0", "1e3"]))
    if kind == "bool":
        return Raw(rng.choice(["true", "false"]))
    if kind == "array":
        return Raw(rng.choice(['[1, "zz-fuzz", true]', "[]", '["zz-fuzz"]', "[0.5, 0.5]"]))
    if kind == "table":
        return Raw(rng.choice(["{ zz_fuzz = 1 }", '{ zz_fuzz = "x", low = 0 }']))
    if kind == "date":
        return Raw(rng.choice(["1979-05-27", "2021-12-17"]))
    if kind == "datetime":
        return Raw(rng.choice(["1979-05-27T07:32:00Z", "1979-05-27T00:32:00.999999-07:00",
                               "1979-05-27T07:32:00", "07:32:00", "1979-05-27 07:32:00Z"]))
    if kind == "huge-int":
        n = rng.randint(400, 5000)
        digits = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(n - 1))
        return Raw(rng.choice(["", "-", "+"]) + digits)
    if kind == "inf":
        return Raw(rng.choice(["inf", "-inf", "+inf"]))
    if kind == "nan":
        return Raw(rng.choice(["nan", "-nan", "+nan"]))
    raise ValueError(kind)


def _same_kind(kind: str, leaf_kind: str) -> bool:
    return {"string": "string", "number": "number", "bool": "bool", "array": "array",
            "table": "table"}.get(kind) == leaf_kind


def gen_wrong_type(ctx: Ctx) -> Mutation | None:
    kind = ctx.rng.choice(TYPE_KINDS)
    name, hit = _pick(ctx, lambda p, k, v: k not in ("table",) and not _same_kind(kind, k))
    if not name:
        return None
    path, leaf_kind, _ = hit
    doc = ctx.doc(name)
    val = _wrong_value(kind, ctx.rng, leaf_kind)
    _set(doc, path, val)
    return ctx.in_file("wrong-type", kind, "refuse", name, doc, f"{fmt_path(path)} ({leaf_kind}) <- {val!r}",
                       path, key_hints=_hints(path))


def gen_not_a_table(ctx: Ctx) -> Mutation | None:
    name, hit = _pick(ctx, lambda p, k, v: k == "table" and len(p) >= 2)
    if not name:
        return None
    path, _, v = hit
    kinds = ["string", "bool", "array", "date", "datetime", "inf", "nan", "huge-int"]
    if not is_param_table(path, v):
        kinds.append("number")  # a number is a valid value for a parameter table
    kind = ctx.rng.choice(kinds)
    doc = ctx.doc(name)
    val = _wrong_value(kind, ctx.rng, "table")
    _set(doc, path, val)
    return ctx.in_file("not-a-table", kind, "refuse", name, doc, f"{fmt_path(path)} (table) <- {val!r}", path,
                       key_hints=_hints(path))


def gen_out_of_range(ctx: Ctx) -> Mutation | None:
    if ctx.rng.random() < 0.15:  # a scale position outside [0, 1]
        name, hit = _pick(ctx, lambda p, k, v: k == "table" and p[-1] == "scale" and len(p) == 3 and v)
        if name:
            path, _, v = hit
            doc = ctx.doc(name)
            old = ctx.rng.choice(list(v))
            new = ctx.rng.choice(["1.5", "-0.25", "2", "1e9"])
            if new not in v:
                _get(doc, path)[new] = _get(doc, path).pop(old)
                return ctx.in_file("out-of-range", "scale-key", "refuse", name, doc,
                                   f"{fmt_path(path)} key {old!r} -> {new!r}", path, key_hints=_hints(path + (new,)))
    name, hit = _pick(ctx, lambda p, k, v: k == "number")
    if not name:
        return None
    path, _, old = hit
    doc = ctx.doc(name)
    val = Raw(ctx.rng.choice(["-7.5", "1e12", "-1000", "123456789012", "-0.5e3"]))
    _set(doc, path, val)
    return ctx.in_file("out-of-range", "number", "refuse", name, doc, f"{fmt_path(path)} {old!r} -> {val!r}", path,
                       key_hints=_hints(path))


def gen_unknown_key(ctx: Ctx) -> Mutation | None:
    if ctx.rng.random() < 0.15:  # top level
        name = ctx.pick_file()
        hit = ((), "table", ctx.s.docs[name])
    else:
        name, hit = _pick(ctx, lambda p, k, v: is_schema_table(p, v) and v)
    if not name:
        return None
    path, _, table = hit
    doc = ctx.doc(name)
    model = ctx.rng.choice(list(table))
    bad = misspell(model, ctx.rng, set(table) | ctx.s.all_keys)
    _get(doc, path)[bad] = copy.deepcopy(_get(doc, path)[model])
    return ctx.in_file("unknown-key", "misspelt", "refuse", name, doc,
                       f"{fmt_path(path + (bad,))} added (misspelt {model!r})", path + (bad,), key_hints=(bad,))


def _delete_one(ctx: Ctx, cls: str, verdict: str, candidates) -> Mutation | None:
    """Delete one key, chosen from `candidates(name)`, in the first file (random order) that has any."""
    names = ctx.s.names[:]
    ctx.rng.shuffle(names)
    for name in names:
        cands = candidates(name)
        if cands:
            path = ctx.rng.choice(cands)
            doc = ctx.doc(name)
            _del(doc, path)
            return ctx.in_file(cls, "key", verdict, name, doc, f"{fmt_path(path)} deleted", path,
                               key_hints=_hints(path))
    return None


def gen_deleted_required(ctx: Ctx) -> Mutation | None:
    return _delete_one(ctx, "deleted-required", "refuse", lambda name: [
        p for p in required_paths(ctx.s.docs[name]) if not _has(ctx.s.inherited[name], p)])


def gen_deleted_salience(ctx: Ctx) -> Mutation | None:
    if ctx.rng.random() < 0.3:  # through `remove` in a derived file
        name = ctx.pick_file(ctx.s.derived)
        inh, own = ctx.s.inherited[name], ctx.s.docs[name]
        cands = [(a, "form") for a, t in inh.get("actors", {}).items()
                 if "salience" in t.get("clauses", {}).get("form", {}) and not _has(own, ("actors", a, "clauses", "form", "salience"))]
        if cands:
            a, c = ctx.rng.choice(cands)
            doc = ctx.doc(name)
            doc["remove"] = list(doc.get("remove", [])) + [f"actors.{a}.clauses.{c}.salience"]
            return ctx.in_file("deleted-salience", "via-remove", "refuse", name, doc,
                               f"remove += actors.{a}.clauses.{c}.salience", key_hints=("salience",))
    names = ctx.s.names[:]
    ctx.rng.shuffle(names)
    for name in names:
        inh = ctx.s.inherited[name]
        cands = [p for p, k, v in walk(ctx.s.docs[name])
                 if len(p) == 5 and p[0] == "actors" and p[2] == "clauses" and p[4] == "salience" and not _has(inh, p)]
        if cands:
            path = ctx.rng.choice(cands)
            doc = ctx.doc(name)
            _del(doc, path)
            return ctx.in_file("deleted-salience", "key", "refuse", name, doc, f"{fmt_path(path)} deleted", path,
                               key_hints=("salience",))
    return None


def gen_dist_foreign_field(ctx: Ctx) -> Mutation | None:
    name, hit = _pick(ctx, lambda p, k, v: is_dist_table(p, v))
    if not name:
        return None
    path, _, v = hit
    own = set(DIST_FIELDS[v["dist"]])
    foreign = sorted({f for fs in DIST_FIELDS.values() for f in fs} - own)
    f = ctx.rng.choice(foreign)
    lo, hi = v.get("low", 0.0), v.get("high", 1.0)
    val = {"mode": (lo + hi) / 2, "mean": (lo + hi) / 2, "sd": 0.1, "a": 2.0, "b": 2.0}[f]
    doc = ctx.doc(name)
    _get(doc, path)[f] = val
    return ctx.in_file("dist-foreign-field", f"{v['dist']}+{f}", "refuse", name, doc,
                       f"{fmt_path(path)} ({v['dist']}) gets {f} = {val}", path, key_hints=_hints(path + (f,)))


def gen_value_and_dist(ctx: Ctx) -> Mutation | None:
    if ctx.rng.random() < 0.5:
        name, hit = _pick(ctx, lambda p, k, v: is_dist_table(p, v))
        if name:
            path, _, v = hit
            doc = ctx.doc(name)
            lo, hi = v.get("low", 0.0), v.get("high", 1.0)
            _get(doc, path)["value"] = (lo + hi) / 2
            return ctx.in_file("value-and-dist", "dist+value", "refuse", name, doc,
                               f"{fmt_path(path)} ({v['dist']}) gets value = {(lo + hi) / 2}", path,
                               key_hints=_hints(path, ("value", "dist")))
    name, hit = _pick(ctx, lambda p, k, v: is_param(p) and k == "number")
    if not name:
        return None
    path, _, v = hit
    doc = ctx.doc(name)
    _set(doc, path, {"value": v, "dist": "uniform", "low": v, "high": v})
    return ctx.in_file("value-and-dist", "value+dist", "refuse", name, doc,
                       f"{fmt_path(path)} = {v} -> {{value = {v}, dist = uniform, low = high = {v}}}", path,
                       key_hints=_hints(path, ("value", "dist")))


BAD_DISTS = ("normal", "Uniform", "unifrom", "lognormal", "", "triangle", "uniform ", "beta2", "TRIANGULAR", "poisson")


def gen_bad_dist_name(ctx: Ctx) -> Mutation | None:
    name, hit = _pick(ctx, lambda p, k, v: is_dist_table(p, v))
    if not name:
        return None
    path, _, v = hit
    bad = ctx.rng.choice(BAD_DISTS)
    doc = ctx.doc(name)
    _get(doc, path)["dist"] = bad
    return ctx.in_file("bad-dist-name", "name", "refuse", name, doc, f"{fmt_path(path)}.dist {v['dist']!r} -> {bad!r}",
                       path, key_hints=_hints(path, ("dist",)))


def gen_deep_nesting(ctx: Ctx) -> Mutation | None:
    name, hit = _pick(ctx, lambda p, k, v: k != "table")
    if not name:
        return None
    path, _, _ = hit
    d = ctx.rng.randint(500, 2000)
    shape = ctx.rng.choice(["array", "table", "mixed"])
    if shape == "array":
        text = "[" * d + "1" + "]" * d
    elif shape == "table":
        text = "{ a = " * d + "1" + " }" * d
    else:
        text = "[{ a = " * (d // 2) + "1" + " }]" * (d // 2)
    doc = ctx.doc(name)
    _set(doc, path, Raw(text))
    return ctx.in_file("deep-nesting", shape, "refuse", name, doc, f"{fmt_path(path)} <- {shape} nested {d} deep",
                       path, key_hints=_hints(path, DEPTH_HINTS), states_limit=True)


def gen_deep_dotted_key(ctx: Ctx) -> Mutation | None:
    d = ctx.rng.randint(1000, 3000)
    form = ctx.rng.choice(["inline", "header", "top"])
    keys = ".".join(["k"] * d)
    if form == "inline":
        name, hit = _pick(ctx, lambda p, k, v: k != "table")
        if not name:
            return None
        path = hit[0]
        doc = ctx.doc(name)
        _set(doc, path, Raw("{ " + keys + " = 1 }"))
        return ctx.in_file("deep-dotted-key", form, "refuse", name, doc,
                           f"{fmt_path(path)} <- {{ k.k...k = 1 }} ({d} keys)", path, key_hints=_hints(path, DEPTH_HINTS))
    name, hit = _pick(ctx, lambda p, k, v: k == "table" and not is_param(p))
    if not name:
        return None
    path = hit[0]
    text = render(ctx.doc(name))
    if form == "header":
        text += f"\n[{fmt_path(path)}.{keys}]\nx = 1\n".encode()
        note = f"[{fmt_path(path)}.k.k...k] ({d} keys) appended"
        hints = _hints(path, DEPTH_HINTS)
    else:
        text = f"{keys} = 1\n".encode() + text
        note = f"k.k...k = 1 ({d} keys) at the top"
        hints = ("k",) + DEPTH_HINTS
    return ctx.in_file("deep-dotted-key", form, "refuse", name, text, note, path, key_hints=hints)


def _with_extends(ctx: Ctx, name: str, value: Any) -> dict:
    """The file `name` with `extends = value` first (base.toml gains one)."""
    doc = ctx.doc(name)
    return {"extends": value, **{k: v for k, v in doc.items() if k != "extends"}}


def gen_extends_chain(ctx: Ctx) -> Mutation | None:
    n = ctx.rng.randint(1200, 1500)
    files = {}
    for i in range(n):
        nxt = f"fz_chain_{i + 1:04d}.toml" if i + 1 < n else "base.toml"
        body = f'extends = "{nxt}"\n'
        if i == 0:
            body += '\n[meta]\nname = "fz_chain"\n'
        files[f"fz_chain_{i:04d}.toml"] = body.encode()
    return ctx.mut("extends-chain", "long", "either", "base.toml", f"a chain of {n} files extending each other, then base.toml",
                   files, target="fz_chain_0000.toml", key_hints=("extends", "via ") + DEPTH_HINTS, states_limit=True)


def gen_extends_bad(ctx: Ctx) -> Mutation | None:
    name = ctx.pick_file()
    subs = ["dev-zero", "dev-null", "dev-urandom", "etc-passwd", "proc-environ", "abs-outside", "dotdot",
            "dotdot-secret", "abs-secret", "directory", "directory-toml", "missing", "self", "cycle2",
            "symlink-passwd", "symlink-secret", "not-toml", "empty", "dot", "fifo", "not-a-string",
            "symlink-loop", "symlink-self", "trailing-slash"]
    sub = ctx.rng.choice(subs)
    # the key, or "via <file>": the message then says which file's `extends` led to the bad one
    kw: dict[str, Any] = {"key_hints": ("extends", "via ")}
    files: dict[str, bytes] = {}
    forbidden: tuple[str, ...] = ()
    value: Any = {
        "dev-zero": "/dev/zero", "dev-null": "/dev/null", "dev-urandom": "/dev/urandom", "etc-passwd": "/etc/passwd",
        "proc-environ": "/proc/self/environ", "abs-outside": f"{ROOT_TOKEN}/outside/base.toml",
        "dotdot": "../../outside/base.toml", "dotdot-secret": "../../outside/secret.toml",
        "abs-secret": f"{ROOT_TOKEN}/outside/secret.toml", "directory": "fz_dir", "directory-toml": "fz_dir.toml",
        "missing": "fz_missing.toml", "self": name, "cycle2": "fz_other.toml", "symlink-passwd": "fz_link.toml",
        "symlink-secret": "fz_link_secret.toml", "not-toml": "fz_base.txt", "empty": "", "dot": ".",
        "fifo": "fz_pipe.toml", "symlink-loop": "fz_loop_a.toml", "symlink-self": "fz_loop_self.toml",
        "trailing-slash": "base.toml/",
    }.get(sub)
    if sub == "not-a-string":
        value = Raw(ctx.rng.choice(['["base.toml"]', "5", "true", '{ file = "base.toml" }', "1979-05-27"]))
    if sub in ("dotdot-secret", "abs-secret", "symlink-secret"):
        forbidden = (SECRET_KEY,)
    if sub in ("etc-passwd", "symlink-passwd"):
        forbidden = ("root:",)
    if sub == "proc-environ":
        forbidden = ("PATH=",)
    if sub in ("directory", "directory-toml"):
        kw["dirs"] = (value,)
    if sub == "cycle2":
        files["fz_other.toml"] = f'extends = "{name}"\n'.encode()
    if sub == "symlink-passwd":
        kw["symlinks"] = (("fz_link.toml", "/etc/passwd"),)
    if sub == "symlink-secret":
        kw["symlinks"] = (("fz_link_secret.toml", f"{ROOT_TOKEN}/outside/secret.toml"),)
    if sub == "not-toml":
        files["fz_base.txt"] = ctx.s.raw["base.toml"]
    if sub == "fifo":
        kw["fifos"] = ("fz_pipe.toml",)
    if sub == "symlink-loop":
        kw["symlinks"] = (("fz_loop_a.toml", "fz_loop_b.toml"), ("fz_loop_b.toml", "fz_loop_a.toml"))
    if sub == "symlink-self":
        kw["symlinks"] = (("fz_loop_self.toml", "fz_loop_self.toml"),)
    doc = _with_extends(ctx, name, value)
    files[name] = render(doc)
    return ctx.mut("extends", sub, "refuse", name, f"extends = {value!r}".replace(ROOT_TOKEN, "<root>"), files,
                   forbidden=forbidden, **kw)


def gen_extends_ok(ctx: Ctx) -> Mutation | None:
    name = ctx.pick_file(ctx.s.derived)
    sub = ctx.rng.choice(["abs-shipped", "subdir"])
    files: dict[str, bytes] = {}
    base = ctx.s.docs[name]["extends"]
    if sub == "abs-shipped":
        value = str(ctx.s.folder / base)
    else:
        value = f"fz_sub/{base}"
        for n, raw in {**ctx.s.support, **ctx.s.raw}.items():
            files[f"fz_sub/{n}"] = raw
    files[name] = render(_with_extends(ctx, name, value))
    return ctx.mut("extends-ok", sub, "either", name, f"extends = {value!r}", files, key_hints=("extends",))


def gen_non_utf8(ctx: Ctx) -> Mutation | None:
    name = ctx.pick_file()
    sub = ctx.rng.choice(["in-string", "in-comment", "utf16", "latin1", "lone-continuation", "overlong", "surrogate"])
    raw = ctx.s.raw[name]
    path: Path_ = ()
    if sub in ("in-string", "lone-continuation", "overlong", "surrogate"):
        _, hit = _pick(ctx, lambda p, k, v: k == "string", [name])
        if hit is None:
            return None
        path = hit[0]
        doc = ctx.doc(name)
        junk = {"in-string": b"\xff\xfe", "lone-continuation": b"\x80", "overlong": b"\xc0\xaf",
                "surrogate": b"\xed\xa0\x80"}[sub]
        _set(doc, path, Raw(b'"caf' + junk + b'"'))
        data = render(doc)
    elif sub == "in-comment":
        lines = raw.split(b"\n")
        i = ctx.rng.randrange(len(lines))
        lines.insert(i, b"# caf\xe9 \xff")
        data = b"\n".join(lines)
    elif sub == "utf16":
        data = b"\xff\xfe" + raw.decode("utf-8").encode("utf-16-le")
    else:  # latin-1 text
        data = raw + '\n[meta]\ndescription = "caf\u00e9"\n'.encode("latin-1") if "meta" not in ctx.s.docs[name] \
            else raw + "\n# caf\u00e9\n".encode("latin-1")
    return ctx.in_file("non-utf8", sub, "refuse", name, data, f"invalid UTF-8 ({sub})" + (f" at {fmt_path(path)}" if path else ""),
                       path, key_hints=ENCODING_HINTS + tuple(_strs(path)[-1:]))


def gen_truncated(ctx: Ctx) -> Mutation | None:
    name = ctx.pick_file()
    raw = ctx.s.raw[name] if ctx.rng.random() < 0.6 else render(ctx.s.docs[name])
    # cut where a token is open (inside a string, a table, an inline table) most of the time
    cut = ctx.rng.randrange(1, len(raw) - 1)
    data = raw[:cut]
    try:
        tomllib.loads(data.decode("utf-8"))
        verdict, hints = "either", ()
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        verdict, hints = "refuse", PARSE_HINTS + ENCODING_HINTS
    return ctx.in_file("truncated", "parses" if verdict == "either" else "invalid", verdict, name, data,
                       f"cut at byte {cut} of {len(raw)}", key_hints=hints)


def gen_bad_section(ctx: Ctx) -> Mutation | None:
    name = ctx.pick_file()
    doc = ctx.doc(name)
    classic = [("protocol", "5"), ("agenda", '"x"'), ("actors", "[]")]
    if ctx.rng.random() < 0.5:
        sec, text = ctx.rng.choice(classic)
    else:
        sec = ctx.rng.choice(["meta", "protocol", "instruments", "clauses", "agenda", "actors"])
        text = ctx.rng.choice(["5", '"x"', "[]", "true", "1979-05-27", '["x"]', "inf", "[{ a = 1 }]"])
    new = {}
    for k, v in doc.items():  # scalars first so the section is not parsed as part of a table
        if not isinstance(v, dict) and k != sec:
            new[k] = v
    new[sec] = Raw(text)
    for k, v in doc.items():
        if isinstance(v, dict) and k != sec:
            new[k] = v
    return ctx.in_file("bad-section", sec, "refuse", name, new, f"{sec} = {text}", (sec,), key_hints=(sec,))


def gen_remove(ctx: Ctx) -> Mutation | None:
    sub = ctx.rng.choice(["missing", "missing", "dotted-id", "dotted-id-unquoted", "dotted-id-salience",
                          "not-a-list", "without-extends", "required", "not-a-string", "required-source"])
    if sub == "without-extends":
        doc = ctx.doc("base.toml")
        doc = {"remove": ["meta.description"], **doc}
        return ctx.mut("remove", sub, "refuse", "base.toml", 'remove = ["meta.description"] without extends',
                       {"base.toml": render(doc)}, key_hints=("remove",))
    name = ctx.pick_file(ctx.s.derived)
    doc = ctx.doc(name)
    inh = ctx.s.inherited[name]
    rm = list(doc.get("remove", []))
    verdict, check, hints = "refuse", None, ("remove",)
    if sub == "missing":
        entry = ctx.rng.choice(["actors.nobody", "meta.nope", "actors.us.clauses.zz", "protocol.order.x",
                                "nonexistent", "", "actors..us", "clauses.\"us.99\"", "actors.russia.clauses.\"nato.99\""])
        rm.append(entry)
        value: Any = rm
    elif sub in ("dotted-id", "dotted-id-unquoted", "dotted-id-salience"):
        cands = [(a, c) for a, t in inh.get("actors", {}).items() for c in t.get("clauses", {})
                 if "." in c and not _has(doc, ("actors", a, "clauses", c)) and a in inh.get("actors", {})]
        if not cands:
            return None
        a, c = ctx.rng.choice(cands)
        if sub == "dotted-id":
            entry, verdict = f'actors.{a}.clauses."{c}"', "either"
            check = {"absent_pref": [a, c]}
        elif sub == "dotted-id-unquoted":
            entry, verdict = f"actors.{a}.clauses.{c}", "either"
            check = {"absent_pref": [a, c]}
        else:
            entry = f'actors.{a}.clauses."{c}".salience'
            hints = ("remove", "salience")
        rm.append(entry)
        value = rm
    elif sub == "required":
        cands = [p for p in required_paths(inh) if len(p) >= 2 and all(isinstance(x, str) and "." not in x for x in p)
                 and not _has(doc, p)]
        if not cands:
            return None
        p = ctx.rng.choice(cands)
        rm.append(".".join(p))
        value = rm
        hints = ("remove", p[-1])
    elif sub == "required-source":  # a source the schema requires (protocol.source, an event's source)
        cands = [p for p in (("protocol", "source"), *(("events", e, "source") for e in inh.get("events", {})))
                 if _has(inh, p) and not _has(doc, p)]
        if not cands:
            return None
        p = ctx.rng.choice(cands)
        rm.append(".".join(p))
        value = rm
        hints = ("remove", "source")
    elif sub == "not-a-list":
        value = Raw(ctx.rng.choice(['"actors.nato"', "5", "{ actors = 1 }"]))
    else:
        value = Raw(ctx.rng.choice(["[5]", "[true]", '[["actors.nato"]]', "[1979-05-27]"]))
    new = {"extends": doc["extends"], "remove": value}
    new.update({k: v for k, v in doc.items() if k not in ("extends", "remove")})
    return ctx.mut("remove", sub, verdict, name, f"remove = {value!r}", {name: render(new)}, key_hints=hints, check=check)


ODD_NAMES = ("a/b", "../../fz_escape", "/tmp/fz_abs", "$x$", "$\\alpha$ test", "bell\x07", "\x1b[31mred\x1b[0m",
             "\x1b]0;title\x07", "tab\there", "nul\x00byte", "line\nbreak", "cr\rreturn", "\u202eevil", "",
             "   ", "con", "a" * 81, "..", ".", "x\\y", "*?<>|", "\x7f", "\u0085next", "é/ü")


def gen_odd_names(ctx: Ctx) -> Mutation | None:
    name, hit = _pick(ctx, lambda p, k, v: k == "string" and (
        p == ("meta", "name") or (len(p) == 3 and p[0] in ("actors", "instruments") and p[2] == "name")))
    if not name:
        return None
    path = hit[0]
    val = ctx.rng.choice(ODD_NAMES)
    doc = ctx.doc(name)
    _set(doc, path, val)
    return ctx.in_file("odd-names", "name", "either", name, doc, f"{fmt_path(path)} <- {val!r}", path,
                       key_hints=_hints(path))


FORMAT_CHARS = ("\u202e", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069", "\u200b", "\u200e", "\u200f", "\ufeff",
                "\u061c", "\u00ad", "\x1b[2J", "\x07", "\x9b")


def gen_text_format(ctx: Ctx) -> Mutation | None:
    """Free text with a bidi override, a zero-width or another invisible format character, or a
    terminal escape: refused (it would make text read backwards, or reach a terminal raw)."""
    name, hit = _pick(ctx, lambda p, k, v: k == "string" and (
        p[-1] in ("description", "article", "demand", "reply", "note")
        or (len(p) == 3 and p[0] in ("actors", "instruments", "demands") and p[2] == "name")))
    if not name:
        return None
    path, _, old = hit
    ch = ctx.rng.choice(FORMAT_CHARS)
    at = ctx.rng.randint(0, len(old))
    doc = ctx.doc(name)
    _set(doc, path, old[:at] + ch + old[at:])
    return ctx.in_file("text-format", "", "refuse", name, doc, f"{fmt_path(path)} <- {ch!r} at {at}", path,
                       key_hints=_hints(path))


def gen_huge_string(ctx: Ctx) -> Mutation | None:
    name, hit = _pick(ctx, lambda p, k, v: k == "string" and p[-1] != "extends" and p[-1] != "dist")
    if not name:
        return None
    path = hit[0]
    n = ctx.rng.randint(1 << 20, (1 << 20) + 200_000)
    c = ctx.rng.choice("xyz")
    doc = ctx.doc(name)
    _set(doc, path, c * n)
    return ctx.in_file("huge-string", "1MB", "refuse", name, doc, f"{fmt_path(path)} <- {n:,} characters", path,
                       key_hints=_hints(path, SIZE_HINTS), states_limit=True)


# A derived file overrides a base distribution: it must replace the table whole (issue 11, item 1).
DIST_OVERRIDES = (
    (("actors", "russia", "outside_option"), {"dist": "beta", "a": 2, "b": 2}, "beta", (0.0, 1.0)),
    (("actors", "russia", "outside_option"), {"value": 0.45}, "fixed", (0.45, 0.45)),
    (("actors", "russia", "deadline"), {"dist": "uniform", "low": 8, "high": 12}, "uniform", (8.0, 12.0)),
    (("actors", "russia", "strategy", "beta"), {"dist": "truncnormal", "mean": 0.5, "sd": 0.2, "low": 0.1, "high": 1.0},
     "truncnormal", (0.1, 1.0)),
    (("actors", "russia", "clauses", "us.1", "salience"), {"dist": "beta", "a": 2, "b": 5}, "beta", (0.0, 1.0)),
    (("actors", "us", "outside_option"), {"dist": "uniform", "low": 0.6, "high": 0.7}, "uniform", (0.6, 0.7)),
)


def gen_dist_override(ctx: Ctx) -> Mutation | None:
    path, table, kind, support = ctx.rng.choice(DIST_OVERRIDES)
    names = [n for n in ctx.s.derived if _has(ctx.s.inherited[n], path) and not _has(ctx.s.docs[n], path)
             and isinstance(_get(ctx.s.inherited[n], path), dict)]
    if not names:
        return None
    name = ctx.rng.choice(names)
    doc = ctx.doc(name)
    node = doc
    for p in path[:-1]:
        node = node.setdefault(p, {})
    # a derived file says where a number it changes comes from: borrow a source the file's
    # base gives this actor (valid in whatever source format the shipped files use)
    src = _get(ctx.s.inherited[name], path[:2]).get("source")
    node[path[-1]] = dict(table, **({"source": src} if isinstance(src, str) else {}))
    base_table = _get(ctx.s.inherited[name], path)
    check = {"param": list(path), "kind": kind, "support": list(support), "table": table, "base": base_table}
    return ctx.mut("dist-override", kind, "load", name, f"{fmt_path(path)} <- {table} over the base's {base_table.get('dist')}",
                   {name: render(doc)}, key_hints=_hints(path), check=check)


def gen_deleted_optional(ctx: Ctx) -> Mutation | None:
    return _delete_one(ctx, "deleted-optional", "either", lambda name: optional_paths(ctx.s.docs[name]))


def gen_identity(ctx: Ctx) -> Mutation | None:
    name = ctx.pick_file()
    sub = ctx.rng.choice(["bytes", "reserialized", "crlf"])
    raw = ctx.s.raw[name]
    data = {"bytes": raw, "reserialized": render(ctx.s.docs[name]), "crlf": raw.replace(b"\n", b"\r\n")}[sub]
    return ctx.mut("identity", sub, "load", name, f"shipped file, {sub}", {name: data})


def gen_bom(ctx: Ctx) -> Mutation | None:
    name = ctx.pick_file()
    return ctx.in_file("utf8-bom", "bom", "either", name, b"\xef\xbb\xbf" + ctx.s.raw[name], "UTF-8 byte-order mark",
                       key_hints=PARSE_HINTS + ENCODING_HINTS)


GENERATORS: dict[str, tuple[Callable[[Ctx], Mutation | None], int]] = {
    # class: (generator, weight in the schedule)
    "wrong-type": (gen_wrong_type, 10),
    "not-a-table": (gen_not_a_table, 3),
    "out-of-range": (gen_out_of_range, 3),
    "unknown-key": (gen_unknown_key, 3),
    "deleted-required": (gen_deleted_required, 3),
    "deleted-salience": (gen_deleted_salience, 2),
    "dist-foreign-field": (gen_dist_foreign_field, 2),
    "value-and-dist": (gen_value_and_dist, 2),
    "bad-dist-name": (gen_bad_dist_name, 2),
    "deep-nesting": (gen_deep_nesting, 2),
    "deep-dotted-key": (gen_deep_dotted_key, 2),
    "extends-chain": (gen_extends_chain, 1),
    "extends": (gen_extends_bad, 5),
    "extends-ok": (gen_extends_ok, 1),
    "non-utf8": (gen_non_utf8, 2),
    "truncated": (gen_truncated, 2),
    "bad-section": (gen_bad_section, 2),
    "remove": (gen_remove, 3),
    "odd-names": (gen_odd_names, 2),
    "huge-string": (gen_huge_string, 1),
    "text-format": (gen_text_format, 2),
    "dist-override": (gen_dist_override, 1),
    "deleted-optional": (gen_deleted_optional, 2),
    "identity": (gen_identity, 1),
    "utf8-bom": (gen_bom, 1),
}


def schedule(n: int, seed: int, classes: Iterable[str] | None = None) -> list[str]:
    """Class of each case: blocks that hold every class by weight, each block shuffled."""
    names = list(classes or GENERATORS)
    block = [c for c in names for _ in range(GENERATORS[c][1])]
    rng = random.Random(f"negsim-fuzz/{seed}/schedule")
    out: list[str] = []
    while len(out) < n:
        b = block[:]
        rng.shuffle(b)
        out += b
    return out[:n]


def mutation(seed: int, index: int, cls: str, shipped: Shipped | None = None) -> Mutation:
    shipped = shipped or load_shipped()
    rng = random.Random(f"negsim-fuzz/{seed}/{index}")
    gen = GENERATORS[cls][0]
    for _ in range(20):
        m = gen(Ctx(shipped, rng, index))
        if m is not None:
            return m
    raise RuntimeError(f"no {cls} mutation could be made for case {index}")


def generate(n: int, seed: int, classes: Iterable[str] | None = None, shipped: Shipped | None = None) -> list[Mutation]:
    shipped = shipped or load_shipped()
    return [mutation(seed, i, c, shipped) for i, c in enumerate(schedule(n, seed, classes))]


def every_leaf(seed: int, start: int, shipped: Shipped | None = None) -> list[Mutation]:
    """One wrong-type mutation at every leaf (every non-table value, array elements included) of
    every shipped scenario, the kinds taken in turn; ids from `start` on."""
    shipped = shipped or load_shipped()
    out: list[Mutation] = []
    for name in shipped.names:
        for path, leaf_kind, _ in walk(shipped.docs[name]):
            if leaf_kind == "table":
                continue
            j = len(out)
            rng = random.Random(f"negsim-fuzz/{seed}/leaf/{name}/{fmt_path(path)}")
            kinds = [k for k in TYPE_KINDS if not _same_kind(k, leaf_kind)]
            kind = kinds[j % len(kinds)]
            ctx = Ctx(shipped, rng, start + j)
            doc = ctx.doc(name)
            val = _wrong_value(kind, rng, leaf_kind)
            _set(doc, path, val)
            out.append(ctx.in_file("every-leaf", kind, "refuse", name, doc,
                                   f"{fmt_path(path)} ({leaf_kind}) <- {val!r}", path, key_hints=_hints(path)))
    return out


# ------------------------------------------------------------------ writing cases
def scratch_dir() -> "tempfile.TemporaryDirectory[str]":
    """A temporary folder for the cases, on tmpfs (/dev/shm) when there is one: an extends chain
    is 1,200+ files, and creating files on a disk-backed /tmp costs milliseconds each."""
    shm = Path("/dev/shm")
    where = str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
    return tempfile.TemporaryDirectory(prefix="negsim-fuzz-", dir=where)


def prepare_root(root: Path, shipped: Shipped) -> None:
    out = root / "outside"
    if not out.exists():
        out.mkdir(parents=True)
        for n, raw in {**shipped.support, **shipped.raw}.items():
            (out / n).write_bytes(raw)
        (out / "secret.toml").write_text(f'{SECRET_KEY} = "must never be read"\n[{SECRET_KEY}_table]\nx = 1\n')
    (root / "cases").mkdir(exist_ok=True)
    (root / "results").mkdir(exist_ok=True)


def materialize(root: Path, m: Mutation, shipped: Shipped) -> Path:
    prepare_root(root, shipped)
    d = root / "cases" / f"c{m.id:05d}"
    if d.exists() or d.is_symlink():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    for n, raw in {**shipped.support, **shipped.raw}.items():
        (d / n).write_bytes(raw)
    for rel in m.dirs:
        (d / rel).mkdir(parents=True, exist_ok=True)
    tok, root_b = ROOT_TOKEN.encode(), str(root).encode()
    for rel, raw in m.files.items():
        if "/" in rel:
            (d / rel).parent.mkdir(parents=True, exist_ok=True)
        with open(os.path.join(d, rel), "wb") as fh:
            fh.write(raw.replace(tok, root_b) if tok in raw else raw)
    for rel, dest in m.symlinks:
        os.symlink(dest.replace(ROOT_TOKEN, str(root)), d / rel)
    for rel in m.fifos:
        os.mkfifo(d / rel)
    return d


# ------------------------------------------------------------------ running and classifying
@dataclasses.dataclass
class Outcome:
    mutation: Mutation
    category: str
    detail: str  # why (for failures), or the refusal message
    last_line: str = ""  # the exception's last line
    where: str = ""  # file:line in function of the innermost frame (tracebacks)
    seconds: float = 0.0
    message: str = ""

    @property
    def failed(self) -> bool:
        return self.category in FAILURES


def _short(s: str, n: int = 300) -> str:
    s = s.replace("\n", "\\n").replace("\r", "\\r")
    s = "".join(c if c.isprintable() else repr(c)[1:-1] for c in s)
    return s if len(s) <= n else s[: n - 40] + f"... [{len(s):,} chars]"


def _vm_size() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _post_check(sc: Any, check: dict) -> tuple[str, str]:
    """("", "") if fine; ("fail", why) if the scenario is not what the file says; ("n/a", why) if
    the check cannot be made against this version of the model."""
    try:
        actors = {a.id: a for a in sc.actors}
    except Exception as exc:  # noqa: BLE001
        return "n/a", f"no actors ({exc!r})"
    if "absent_pref" in check:
        a, c = check["absent_pref"]
        try:
            prefs = dict(actors[a].prefs)
        except Exception as exc:  # noqa: BLE001
            return "n/a", f"no prefs ({exc!r})"
        return ("fail", f"remove of actors.{a}.clauses.\"{c}\" was ignored: the preference is still there") \
            if c in prefs else ("", "")
    path = check["param"]
    problems, unavailable = [], []
    try:
        actor = actors[path[1]]
        if path[2] == "clauses":
            p = getattr(dict(actor.prefs)[path[3]], path[4])
        elif path[2] == "strategy":
            p = getattr(actor.strategy, path[3])
        else:
            p = getattr(actor, path[2])
        kind, sup = getattr(p, "kind", type(p).__name__.lower()), tuple(float(x) for x in p.support())
        want = tuple(check["support"])
        if kind != check["kind"] or any(abs(x - y) > 1e-9 for x, y in zip(sup, want)):
            problems.append(f"runs {kind} on {list(sup)} but the file says {check['table']}")
    except Exception as exc:  # noqa: BLE001
        unavailable.append(f"parameter ({type(exc).__name__}: {exc})")
    try:
        node = sc.resolved_document
        for p in path:
            node = node[p]
        base = check["base"]
        leftovers = {k: v for k, v in node.items()
                     if k not in check["table"] and k != "source" and k in base and base[k] == v}
        if leftovers:
            problems.append(f"resolved document keeps the base's {leftovers}")
    except Exception as exc:  # noqa: BLE001
        unavailable.append(f"resolved document ({type(exc).__name__}: {exc})")
    if problems:
        return "fail", "; ".join(problems)
    if unavailable:
        return "n/a", "; ".join(unavailable)
    return "", ""


def _child(m: Mutation, case_dir: Path, res_path: Path, mem_cap: int, simulate: bool, api: dict) -> None:
    res: dict[str, Any] = {"stage": "load"}
    try:
        fd = os.open(os.devnull, os.O_RDWR)
        for i in (0, 1, 2):
            os.dup2(fd, i)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if mem_cap:
            resource.setrlimit(resource.RLIMIT_AS, (mem_cap, mem_cap))
        try:
            sc = api["load_scenario"](case_dir / m.target)
        except api["ScenarioError"] as exc:
            msg = str(exc)
            res.update(outcome="scenario_error", message=msg[:5000], msg_len=len(msg), exc_type=type(exc).__name__)
        else:
            res["outcome"] = "loaded"
            if m.check:
                res["check"] = _post_check(sc, m.check)
            if simulate:
                res["stage"] = "layout"
                api["build_layout"](sc)
                res["stage"] = "simulate"
                api["simulate"](sc, 2)
            res["stage"] = "done"
    except BaseException as exc:  # noqa: BLE001 - everything else is what we are looking for
        try:
            res.update(outcome="exception", exc_type=type(exc).__name__)
            res["last_line"] = _short(traceback.format_exception_only(type(exc), exc)[-1].strip())
            frames = traceback.extract_tb(exc.__traceback__)
            if frames:
                f = frames[-1]
                res["where"] = f"{_rel(f.filename)}:{f.lineno} in {f.name}"
                mine = [fr for fr in frames if "/sim/" in fr.filename]
                if mine and mine[-1] is not f:
                    res["where"] += f" (from {_rel(mine[-1].filename)}:{mine[-1].lineno} in {mine[-1].name})"
        except BaseException:  # noqa: BLE001
            res = {"outcome": "exception", "exc_type": "?", "last_line": "exception while reporting an exception"}
    try:
        res_path.write_text(json.dumps(res))
    finally:
        os._exit(0)


def _rel(filename: str) -> str:
    for marker in ("/sim/", "/site-packages/", "/lib/python"):
        i = filename.rfind(marker)
        if i >= 0:
            return filename[i + 1:]
    return filename


def classify(m: Mutation, res: dict | None, timed_out: bool, status: int | None, timeout: float) -> tuple[str, str, str, str]:
    """(category, detail, last_line, where) for one case."""
    if timed_out:
        return "traceback", f"timeout: no answer within {timeout:g} s", f"timeout after {timeout:g} s", ""
    if res is None:
        why = (f"killed by signal {os.WTERMSIG(status)}" if status is not None and os.WIFSIGNALED(status)
               else f"exit status {status}")
        return "traceback", f"child died without a result ({why})", f"crash: {why}", ""
    out = res.get("outcome")
    if out == "exception":
        stage = res.get("stage", "load")
        line = res.get("last_line", "")
        return "traceback", f"{stage}: {line}", line, res.get("where", "")
    if out == "loaded":
        if m.verdict == "refuse":
            return "silent-accept", "loaded although malformed", "loaded (no error)", ""
        chk = res.get("check") or ("", "")
        if chk[0] == "fail":
            return "silent-accept", chk[1], f"loaded wrongly: {chk[1]}", ""
        return "ok-loaded", ("check n/a: " + chk[1]) if chk[0] == "n/a" else "", "", ""
    msg, n = res.get("message", ""), res.get("msg_len", 0)
    line = f"{res.get('exc_type', 'ScenarioError')}: {_short(msg)}"
    if m.verdict == "load":
        return "wrongly-refused", "refused a valid file", line, ""
    problems = []
    if "\n" in msg or "\r" in msg:
        problems.append("more than one line")
    if n > MAX_MESSAGE:
        problems.append(f"{n:,} characters (> {MAX_MESSAGE})")
    if any((ord(c) < 32 or 0x7f <= ord(c) < 0xa0) and c not in "\n\r" for c in msg):
        problems.append("control characters")
    low = msg.lower()
    for f in m.file_hints:
        if f.lower() not in low:
            problems.append(f"does not name {f}")
    if m.key_hints and not any(h.lower() in low for h in m.key_hints):
        problems.append(f"names no key (expected one of {', '.join(m.key_hints[:4])})")
    for f in m.forbidden:
        if f.lower() in low:
            problems.append(f"quotes {f!r} from a file it must not read")
    if m.states_limit and not re.search(r"\d", re.sub(r"\S*\.toml\b", "", msg)):
        problems.append("does not state the limit it hit")
    if problems:
        return "bad-message", "; ".join(problems), line, ""
    return "ok-refused", msg, line, ""


def import_api(retries: int = 0, wait: float = 60.0, log: Callable[[str], None] | None = None) -> dict:
    """The loader and simulator entry points (imported once, before forking)."""
    for attempt in range(retries + 1):
        try:
            from experiments import runner
            from sim import layout, scenario
            return {"load_scenario": scenario.load_scenario, "ScenarioError": scenario.ScenarioError,
                    "build_layout": layout.build_layout, "simulate": lambda sc, n: runner.run(sc, n, 0),
                    "module": scenario}
        except Exception as exc:  # noqa: BLE001 - the loader may be mid-rewrite
            if attempt == retries:
                raise
            if log:
                log(f"import failed ({type(exc).__name__}: {exc}); retrying in {wait:g} s")
            for mod in [k for k in sys.modules if k == "sim" or k.startswith("sim.")]:
                del sys.modules[mod]
            time.sleep(wait)
    raise AssertionError


def warm_up(api: dict, shipped: Shipped, root: Path) -> str:
    """Compile the kernel once in the parent so every forked child starts warm."""
    prepare_root(root, shipped)
    try:
        sc = api["load_scenario"](root / "outside" / "base.toml")
        api["simulate"](sc, 2)
        return ""
    except Exception as exc:  # noqa: BLE001 - reported, the cases will show it too
        return f"{type(exc).__name__}: {exc}"


def run(mutations: list[Mutation], root: Path, jobs: int = 2, timeout: float = 10.0, mem_headroom: int = 2 << 30,
        simulate: bool = True, keep: str = "failures", shipped: Shipped | None = None, api: dict | None = None,
        progress: Callable[[int, int], None] | None = None, warm: bool = True) -> list[Outcome]:
    """Run every mutation in its own forked child (RLIMIT_AS = the parent's size + mem_headroom,
    killed after `timeout` s) and classify it.  keep: "all", "failures" or "none" case folders.
    warm: first compile the simulator in this process so the children start warm."""
    shipped = shipped or load_shipped()
    api = api or import_api()
    root = Path(root)
    prepare_root(root, shipped)
    if simulate and warm:
        warm_up(api, shipped, root)
    mem_cap = _vm_size() + mem_headroom if mem_headroom else 0
    pending = list(mutations)
    running: dict[int, tuple[Mutation, float, Path, Path]] = {}
    outcomes: dict[int, Outcome] = {}
    order = [m.id for m in mutations]
    done = 0

    def finish(pid: int, status: int | None, timed_out: bool) -> None:
        nonlocal done
        m, start, case_dir, res_path = running.pop(pid)
        res = None
        if not timed_out and res_path.exists():
            try:
                res = json.loads(res_path.read_text())
            except ValueError:
                res = None
        cat, detail, line, where = classify(m, res, timed_out, status, timeout)
        outcomes[m.id] = Outcome(m, cat, detail, line, where, time.monotonic() - start,
                                 (res or {}).get("message", ""))
        res_path.unlink(missing_ok=True)
        if keep == "none" or (keep == "failures" and cat not in FAILURES):
            shutil.rmtree(case_dir, ignore_errors=True)
        done += 1
        if progress:
            progress(done, len(mutations))

    try:
        while pending or running:
            while pending and len(running) < jobs:
                m = pending.pop(0)
                case_dir = materialize(root, m, shipped)
                res_path = root / "results" / f"c{m.id:05d}.json"
                res_path.unlink(missing_ok=True)
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:  # child
                    _child(m, case_dir, res_path, mem_cap, simulate, api)
                running[pid] = (m, time.monotonic(), case_dir, res_path)
            now = time.monotonic()
            for pid in list(running):
                got, status = os.waitpid(pid, os.WNOHANG)
                if got == pid:
                    finish(pid, status, False)
                elif now - running[pid][1] > timeout:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    finish(pid, None, True)
            time.sleep(0.002)
    finally:
        for pid in list(running):  # only our own children
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except OSError:
                pass
    return [outcomes[i] for i in order]


# ------------------------------------------------------------------ reporting
def counts(outcomes: list[Outcome], key: Callable[[Outcome], str]) -> dict[str, Counter]:
    table: dict[str, Counter] = {}
    for o in outcomes:
        table.setdefault(key(o), Counter())[o.category] += 1
    return table


def format_table(outcomes: list[Outcome], key: Callable[[Outcome], str], title: str) -> str:
    table = counts(outcomes, key)
    w = max([len(title)] + [len(k) for k in table]) + 2
    head = f"{title:<{w}}{'n':>6}" + "".join(f"{c:>17}" for c in CATEGORIES)
    lines = [head, "-" * len(head)]
    total: Counter = Counter()
    for k in sorted(table):
        c = table[k]
        total.update(c)
        lines.append(f"{k:<{w}}{sum(c.values()):>6}" + "".join(f"{c.get(x, 0):>17}" for x in CATEGORIES))
    lines.append(f"{'TOTAL':<{w}}{sum(total.values()):>6}" + "".join(f"{total.get(x, 0):>17}" for x in CATEGORIES))
    return "\n".join(lines)


def _normalise(line: str) -> str:
    line = re.sub(r"/[^\s'\":]*?/c\d{5}/", "<case>/", line)
    line = re.sub(r"[\w.-]+\.toml", "<file>", line)
    line = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", line)
    return re.sub(r"\d+(\.\d+)?", "N", line)[:160]


def describe(o: Outcome) -> str:
    m = o.mutation
    where = f"  [{o.where}]" if o.where else ""
    shown = m.source if m.source in m.files else m.target
    return (f"{o.category:<15} #{m.id:<5} {m.label:<32} {shown}: {_short(m.note, 140)}\n"
            f"{'':<22}-> {o.detail if o.category == 'bad-message' else ''}{' | ' if o.category == 'bad-message' else ''}"
            f"{_short(o.last_line, 300)}{where}")


def distinct_failures(outcomes: list[Outcome]) -> list[tuple[int, Outcome]]:
    """One example per (category, class, normalised exception line)."""
    groups: dict[tuple[str, str, str], list[Outcome]] = {}
    for o in outcomes:
        if o.failed:
            detail = o.detail if o.category == "bad-message" else o.last_line
            cls = o.mutation.label if o.mutation.cls in ("extends", "remove", "bad-section") else o.mutation.cls
            groups.setdefault((o.category, cls, _normalise(detail + o.where)), []).append(o)
    return sorted(((len(v), v[0]) for v in groups.values()), key=lambda t: (t[1].category, t[1].mutation.cls, -t[0]))


def result_line(failures: list, kinds: Iterable[str]) -> str:
    """The last line of a campaign: PASS or FAIL and the count of each kind of failure."""
    by = Counter(o.category for o in failures)
    return f"result: {'FAIL' if failures else 'PASS'}  " + ", ".join(f"{k} {by.get(k, 0)}" for k in kinds)


def summary(outcomes: list[Outcome]) -> str:
    c = Counter(o.category for o in outcomes)
    return ", ".join(f"{k} {c.get(k, 0)}" for k in CATEGORIES)
