"""Scenario files (TOML) -> validated, frozen dataclasses.

Every key, its kind, range and default come from the one field table in `schema.py`.  A
scenario may `extends = "other.toml"`: tables merge key by key, a distribution is replaced
whole, anything else is replaced; derived scenarios state only what they change.  Each file
is checked on its own before merging, so a message names the file that set the offending key
(and the `extends` chain that led to it), the key's dotted path and what is allowed.

`extends` names a file beside the extending one; a bare file name not found there is taken from
the shipped `scenarios/`, so a scenario anywhere on disk can extend a shipped one by name.

Safety: nothing in a file is executed; a file is read only if it is a regular `.toml` file of
at most MAX_FILE_BYTES inside the first file's folder tree or the shipped `scenarios/` (or a
root the caller allows); chains are at most MAX_EXTENDS files; values nest at most as deep as
the schema allows.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import math
import re
import stat
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import schema
from .distributions import Fixed, Param, ParamError, make_param
from .scenario_events import build_events
from .scenario_types import (PROVENANCE_CLASSES, Actor, Agenda, Channels, Clause, ClausePref, Demand, Instrument,
                             Protocol, Scenario, Strategy)
from .schema import REQUIRED, suggest

SHIPPED = Path(__file__).resolve().parent.parent / "scenarios"
CATALOGUE = "sources.toml"  # the source catalogue, beside the scenarios (docs/sources.md in words)
MAX_FILE_BYTES = 1 << 20
MAX_EXTENDS = 16
MAX_DEPTH = 9  # tables and arrays inside each other: a mixture's component under a red line is 9 levels down
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,%d}" % (schema.MAX_NAME - 1))
SOURCE_PATTERN = re.compile(r"(record|literature|elicitation|judgement) \[([a-z0-9][a-z0-9-]*(?:, ?[a-z0-9][a-z0-9-]*)*)\]: \S")
# control characters (but tab and new line), and format characters: bidi overrides and isolates,
# zero-width characters, the byte-order mark (a right-to-left override makes text read backwards)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]")


class ScenarioError(ValueError):
    """A scenario problem: names the file, the key and what is allowed."""

    def __init__(self, file: Path | str, key: str, message: str):
        self.file, self.key = str(file), key
        super().__init__(f"{file}: {key}: {message}" if key else f"{file}: {message}")


# ---------------------------------------------------------------- loading
def file_kind(path: str | Path) -> str:
    """What a .toml file is: "sweep" (a [sweep] table), "variants" ([variants.*] tables),
    "catalogue" (the source catalogue) or "scenario"; a file that cannot be read safely counts as
    a scenario (loading it says why)."""
    path = Path(path)
    if path.name == CATALOGUE:
        return "catalogue"
    try:
        st = path.stat()
        if stat.S_ISREG(st.st_mode) and st.st_size <= MAX_FILE_BYTES:
            top = tomllib.loads(path.read_text("utf-8"))
            for kind in ("sweep", "variants"):
                if kind in top:
                    return kind
    except (OSError, ValueError, RecursionError):
        pass
    return "scenario"


def scenario_files(folder: str | Path) -> list[Path]:
    """The scenario files of a folder: every .toml except the source catalogue, sweep and variants files."""
    return [f for f in sorted(Path(folder).glob("*.toml")) if file_kind(f) == "scenario"]


def load_scenario(path: str | Path, roots: tuple[Path, ...] = ()) -> Scenario:
    """Read, check, merge (`extends`) and build a scenario file.  `roots`: further folders that
    `extends` may reach (by default the file's own folder tree and the shipped scenarios/)."""
    path = Path(path)
    chain = _read_chain(path, tuple(Path(r).resolve() for r in roots))
    doc, origin, provenance, removed = _merge_chain(chain)
    digest = hashlib.sha256()
    for f in chain:
        digest.update(f.sha256.encode())
    catalogue = _catalogue(path)
    return _Builder(path, doc, origin, catalogue, removed, chain[-1].label).build(digest.hexdigest(), provenance)


def scenario_from_document(doc: dict, label: str) -> Scenario:
    """A scenario from a merged document (as a results file stores it), checked like a file.
    Its source ids were checked when it was first loaded, against catalogues that may not be
    here now, so they are not checked again."""
    if not isinstance(doc, dict):
        raise ScenarioError(label, "", f"the stored scenario is not a table, got {_type(doc)}")
    f = _File(Path(label), doc, "", (), {})
    _Checker(f).check()
    if "extends" in doc or "remove" in doc:
        raise ScenarioError(label, "extends", "a stored scenario is already merged; it cannot extend another")
    origin = {k: label for k in _key_paths(doc)}
    digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()
    return _Builder(f.path, doc, origin, frozenset()).build(digest, f.provenance)


def read_document(path: str | Path, table: schema.Table) -> dict:
    """A TOML file of another format (a sweep file), read as safely as a scenario file (a regular
    file of at most MAX_FILE_BYTES, UTF-8, nesting depth, huge integers) and checked against its
    field table; ScenarioError (one line) if anything is wrong."""
    path = Path(path)
    _resolved(path, ())
    data = _read_bytes(path, ())
    f = _File(path, _parse(path, data, ()), hashlib.sha256(data).hexdigest(), (), {})
    _Checker(f, table).check()
    return f.doc


@dataclass
class _File:
    path: Path
    doc: dict
    sha256: str
    via: tuple[str, ...]  # the files that extended their way to this one, first file first
    provenance: dict[tuple, tuple[str, str]]  # number's key path -> (class, source text)

    @property
    def label(self) -> str:
        return f"{self.path} (via {' -> '.join(self.via)})" if self.via else str(self.path)


def _read_chain(top: Path, roots: tuple[Path, ...]) -> list[_File]:
    """The first file and every file it extends, in that order; each checked on its own."""
    allowed = (_resolved(top, ()).parent, SHIPPED) + roots
    chain: list[_File] = []
    path, seen = top, set()
    while True:
        via = tuple(str(f.path.name) for f in chain)
        resolved = _resolved(path, via)
        if resolved in seen:
            raise ScenarioError(chain[-1].label, "extends", "circular 'extends' chain")
        seen.add(resolved)
        data = _read_bytes(path, via)
        doc = _parse(path, data, via)
        f = _File(path, doc, hashlib.sha256(data).hexdigest(), via, {})
        _Checker(f).check()
        chain.append(f)
        base = doc.get("extends")
        if base is None:
            if "remove" in doc:
                raise ScenarioError(f.label, "remove", "only means something with 'extends' (it drops inherited tables)")
            return chain
        if len(chain) >= MAX_EXTENDS:
            raise ScenarioError(f.label, "extends", f"the chain of 'extends' is longer than {MAX_EXTENDS} files")
        try:
            path = confined(base, _extends_from(path.parent, base), allowed)
        except ValueError as exc:
            raise ScenarioError(f.label, "extends", f"{_short(base)} is not allowed: {exc}; 'extends' names a .toml "
                                "file in this scenario's folder (or below it) or in the shipped scenarios/ folder") from None


def _resolved(path: Path, via: tuple[str, ...]) -> Path:
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # a loop of symbolic links
        where = f"{path} (via {' -> '.join(via)})" if via else str(path)
        raise ScenarioError(where, "", "a loop of symbolic links; a scenario is a .toml file") from None


def confined(name: Any, beside: Path, roots: tuple[Path, ...]) -> Path:
    """The .toml file a data file names (an `extends`, a sweep file's scenario, a variants file's
    applies_to), relative to the naming file's folder `beside` (or absolute): refused (ValueError
    saying why) unless it resolves into one of `roots` (resolved folders)."""
    if not isinstance(name, str):
        raise ValueError(f"must be text in quotes naming a .toml file, got {_type(name)}")
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        raise ValueError("contains control or format characters")
    path = beside / name
    if not name.strip() or name.endswith(("/", "\\", "/.")) or path.suffix != ".toml":
        raise ValueError("it is not the name of a .toml file")
    try:
        target = path.resolve()
    except (RuntimeError, OSError):
        raise ValueError("it leads into a loop of symbolic links") from None
    if not any(target.is_relative_to(r) for r in roots):
        raise ValueError("it leads outside the folders a file may name")
    return path


def _extends_from(folder: Path, base: Any) -> Path:
    """The folder `extends = base` is read from: the extending file's; for a bare file name that is
    not there, the shipped scenarios/ (so a scenario anywhere can extend a shipped one by name)."""
    if (isinstance(base, str) and base and Path(base).name == base and not (folder / base).exists()
            and (SHIPPED / base).is_file()):
        return SHIPPED
    return folder


def _read_bytes(path: Path, via: tuple[str, ...]) -> bytes:
    where = f"{path} (via {' -> '.join(via)})" if via else str(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        try:
            names = {p.name for p in path.parent.glob("*.toml")} | ({p.name for p in SHIPPED.glob("*.toml")} if via else set())
            near = schema.closest(path.name, sorted(names))
        except OSError:
            near = ""
        raise ScenarioError(where, "", f"file not found{near}{_extends_hint(via)}") from None
    except OSError as exc:
        raise ScenarioError(where, "", f"cannot read ({exc.strerror})") from None
    if not stat.S_ISREG(st.st_mode):
        raise ScenarioError(where, "", "not a regular file; a scenario is a .toml file")
    if st.st_size > MAX_FILE_BYTES:
        raise ScenarioError(where, "", f"{st.st_size:,} bytes; a scenario file holds at most {MAX_FILE_BYTES:,}")
    try:
        with path.open("rb") as fh:
            return fh.read(MAX_FILE_BYTES + 1)[:MAX_FILE_BYTES]
    except OSError as exc:
        raise ScenarioError(where, "", f"cannot read ({exc.strerror})") from None


def _extends_hint(via: tuple[str, ...]) -> str:
    """How `extends` finds a file, for a file an `extends` named that is missing."""
    if not via:
        return ""
    return (" 'extends' looks beside the extending file, then, for a bare file name, in the shipped scenarios/ "
            f"({', '.join(p.name for p in scenario_files(SHIPPED))})")


def _parse(path: Path, data: bytes, via: tuple[str, ...]) -> dict:
    where = f"{path} (via {' -> '.join(via)})" if via else str(path)
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ScenarioError(where, "", "not valid TOML (the file is not UTF-8 text)") from None
    except RecursionError:
        raise ScenarioError(where, "", f"values nested more deeply than a scenario allows (at most {MAX_DEPTH} levels "
                            "of tables and arrays)") from None
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        huge = _huge_integer(data)
        if huge is not None:  # Python refuses to read integers of over 4,300 digits
            line, key, digits = huge
            raise ScenarioError(where, key, f"line {line}: an integer of {digits:,} digits; allowed: a number in the "
                                "key's range (docs/fields.md)") from None
        raise ScenarioError(where, "", f"not valid TOML ({exc})") from None
    _check_depth(where, doc)
    return doc


def _huge_integer(data: bytes) -> tuple[int, str, int] | None:
    """(line, the key it is set on, digits) of the first integer too long for Python to read."""
    text = data.decode("utf-8", "replace")
    m = re.search(r"[-+]?\d[\d_]{4299,}", text)
    if m is None:
        return None
    line = text.count("\n", 0, m.start()) + 1
    before = text[:m.start()].splitlines() or [""]
    # the key it is set on: on its own line, or the last `key =` above it (inside a multi-line array)
    keys = [k for k in (re.match(r'\s*([\w".-]+)\s*=', ln) for ln in reversed(before)) if k]
    key = keys[0].group(1).strip('"') if keys else "(a value)"
    return line, key[:80], sum(ch.isdigit() for ch in m.group())


def _check_depth(where: str, doc: dict) -> None:
    """Refuse nesting deeper than MAX_DEPTH before anything walks the document recursively."""
    stack = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ScenarioError(where, "", f"values nested more deeply than a scenario allows (at most {MAX_DEPTH} "
                                "levels of tables and arrays)")
        children = value.values() if isinstance(value, dict) else value
        stack.extend((v, depth + 1) for v in children if isinstance(v, (dict, list)))


def _merge_chain(chain: list[_File]) -> tuple[dict, dict[tuple, str], dict[tuple, tuple[str, str]], dict[tuple, str]]:
    """Merge from the last base up to the first file: `remove`, then tables key by key.
    Returns the document, which file (label) set each key, each number's provenance, and
    which file removed each removed key (a removal can leave a required key missing)."""
    doc: dict = {}
    origin: dict[tuple, str] = {}
    provenance: dict[tuple, tuple[str, str]] = {}
    removed: dict[tuple, str] = {}
    for f in reversed(chain):
        own = {k: v for k, v in f.doc.items() if k not in ("extends", "remove")}
        for dotted in f.doc.get("remove", []):
            _remove(f, doc, dotted, (origin, provenance))
            removed[_split_dotted(dotted)] = f.label
        doc = _merge(doc, own, ())
        for key in _key_paths(own):
            origin[key] = f.label
        provenance.update(f.provenance)
    if removed:  # what a removal left (half a distribution, say) is checked again, blamed on the remover
        try:
            _Checker(_File(chain[0].path, doc, "", (), {})).check()
        except ScenarioError as exc:
            raise ScenarioError(next(iter(removed.values())), "remove", f"leaves the scenario broken: {exc.key}: "
                                f"{str(exc).split(': ', 2)[-1]}") from None
    return doc, origin, provenance, removed


def _split_dotted(text: str) -> tuple[str, ...] | None:
    """'actors.us.clauses."us.1"' -> ('actors', 'us', 'clauses', 'us.1'); None if malformed."""
    parts, i = [], 0
    while i < len(text):
        if text[i] == '"':
            j = text.find('"', i + 1)
            if j < 0:
                return None
            parts.append(text[i + 1:j])
            i = j + 1
        else:
            j = text.find(".", i)
            j = len(text) if j < 0 else j
            parts.append(text[i:j])
            i = j
        if i < len(text):
            if text[i] != ".":
                return None
            i += 1
    return tuple(parts) if parts and all(parts) else None


def _remove(f: _File, doc: dict, dotted: str, maps: tuple[dict, ...]) -> None:
    """`remove = ["actors.nato"]` drops an inherited table (e.g. to split an actor into groups)."""
    key = _split_dotted(dotted)
    table: Any = doc
    for part in key[:-1]:
        table = table.get(part) if isinstance(table, dict) else None
    if not isinstance(table, dict) or key[-1] not in table:
        raise ScenarioError(f.label, "remove", f"{dotted!r} is not in the scenario this one extends "
                            "(quote ids that contain dots: 'actors.us.clauses.\"us.1\"')")
    del table[key[-1]]
    for m in maps:
        for k in [k for k in m if k[:len(key)] == key]:
            del m[k]


def _merge(base: dict, over: dict, where: tuple) -> dict:
    out = dict(base)
    for k, v in over.items():
        pattern = _pattern(where + (k,))
        # a number's table (a distribution, or { value, source }) is replaced whole
        whole = pattern is not None and (schema.BY_PATH[pattern].drawn
                                         or schema.BY_PATH[pattern].kind in ("number", "integer"))
        out[k] = _merge(out[k], v, where + (k,)) if (isinstance(v, dict) and isinstance(out.get(k), dict)
                                                       and not whole) else v
    return out


def _pattern(key: tuple) -> str | None:
    """The schema pattern of a key path ('actors.*.clauses.*.ideal'), or None."""
    pattern = ""
    for part in key:
        kids = schema.children(pattern)
        f = kids.get(part) or kids.get("*")
        if f is None or (f.kind not in ("table",) and part != key[-1]):
            return None
        pattern = f.path
    return pattern


def _key_paths(doc: dict) -> list[tuple]:
    """Every key path in a document (tables and leaves), without recursion."""
    out, stack = [], [((), doc)]
    while stack:
        prefix, table = stack.pop()
        for k, v in table.items():
            out.append(prefix + (k,))
            if isinstance(v, dict):
                stack.append((prefix + (k,), v))
    return out


CATALOGUE_KEYS = {"title": True, "author": False, "date": True, "where": True, "kind": True, "summary": True}
CATALOGUE_KINDS = ("record", "literature", "elicitation", "judgement")


def load_catalogue(path: str | Path) -> dict[str, dict]:
    """A source catalogue (scenarios/sources.toml), checked: one table per id with a title, an
    ISO date as text, where to find it, its kind and what the project takes from it."""
    path = Path(path)
    doc = _parse(path, _read_bytes(path, ()), ())
    entries = doc.get("sources")
    if set(doc) != {"sources"} or not isinstance(entries, dict):
        raise ScenarioError(path, "", "a source catalogue holds only [sources.<id>] tables")
    for sid, e in entries.items():
        key = f"sources.{sid}"
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", sid) or not isinstance(e, dict):
            raise ScenarioError(path, key, "ids are lowercase letters, digits and '-', each a table")
        for k, v in e.items():
            if k not in CATALOGUE_KEYS:
                raise ScenarioError(path, f"{key}.{k}", suggest(k, list(CATALOGUE_KEYS)))
            if not isinstance(v, str) or not v.strip():
                raise ScenarioError(path, f"{key}.{k}", f"must be text in quotes, got {_type(v)}")
        missing = [k for k, need in CATALOGUE_KEYS.items() if need and k not in e]
        if missing:
            raise ScenarioError(path, key, f"missing {', '.join(missing)}")
        if e["kind"] not in CATALOGUE_KINDS:
            raise ScenarioError(path, f"{key}.kind", schema.not_allowed(e["kind"], CATALOGUE_KINDS))
        if not re.fullmatch(r"\d{4}(-\d{2}){0,2}", e["date"]):
            raise ScenarioError(path, f"{key}.date", "an ISO date as text: \"YYYY-MM-DD\", \"YYYY-MM\" or \"YYYY\"")
    return entries


def _catalogue(top: Path) -> frozenset[str]:
    """Source ids a scenario may cite: the shipped catalogue and a sources.toml beside the file."""
    ids: set[str] = set()
    for folder in {SHIPPED, top.resolve().parent}:
        f = folder / CATALOGUE
        if f.is_file():
            st = f.stat()
            ids |= _catalogue_ids(str(f), st.st_mtime_ns, st.st_size)
    return frozenset(ids)


@functools.lru_cache(maxsize=8)
def _catalogue_ids(path: str, mtime_ns: int, size: int) -> frozenset[str]:  # keyed by the file's state
    return frozenset(load_catalogue(path))


def display(key: tuple) -> str:
    return ".".join(key)


# ---------------------------------------------------------------- checking one file
class _Checker:
    """Checks one file's own document against a field table (schema.Table; scenario files by
    default): keys, types, ranges, distributions, text, and that every number it sets has a
    source in the same file (if the table says so)."""

    def __init__(self, f: _File, table: schema.Table = schema.SCENARIO):
        self.f, self.table = f, table

    def err(self, key: tuple, message: str) -> ScenarioError:
        return ScenarioError(self.f.label, display(key), message)

    def check(self) -> None:
        stack = [((), "", self.f.doc, None)]  # (key path, schema pattern, table, nearest source)
        while stack:
            where, pattern, table, source = stack.pop()
            kids = self.table.children(pattern)
            if "source" in table and "source" in kids:
                source = self.source(where + ("source",), table["source"])
            for k, v in table.items():
                key = where + (k,)
                fld = kids.get(k)
                if fld is None and "*" in kids:
                    fld = kids["*"]
                    if not isinstance(k, str) or not self.table.ids.fullmatch(k):
                        raise self.err(key, f"{fld.ids} ids are {self.table.id_doc}")
                if fld is None:
                    renamed = self.table.renamed.get(f"{pattern}.{k}" if pattern else k)
                    if renamed:
                        raise self.err(key, f"this key was renamed: use {renamed}")
                    raise self.err(key, suggest(k, [x for x in kids if x != "*"]))
                if fld.kind == "table":
                    if not isinstance(v, dict):
                        raise self.err(key, f"must be a table, got {_type(v)}")
                    stack.append((key, fld.path, v, source))
                elif fld.kind != "source":
                    self.value(fld, key, v, source)

    def number(self, fld, key: tuple, v: Any, low=None, high=None) -> float:
        low = fld.low if low is None else low
        high = fld.high if high is None else high
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.err(key, f"must be a number in [{low:g}, {high:g}], got {_type(v)}")
        try:
            x = float(v)
        except OverflowError:
            x = math.inf
        exact = v if isinstance(v, int) else x  # whole numbers compare exactly (a seed near 2**63)
        rng = f"[{_bound(low)}, {_bound(high)}]"
        if not math.isfinite(x) or not low <= exact <= high:
            shown = v if len(repr(v)) < 40 else repr(v)[:20] + "..."
            raise self.err(key, f"{shown} is out of range; allowed: {rng}")
        if fld.kind == "integer" and int(x) != x:
            raise self.err(key, f"must be a whole number in {rng}, got {v!r}")
        return x

    def note(self, key: tuple, source: tuple[str, str] | None) -> None:
        if not self.table.sourced:
            return
        if source is None:
            raise self.err(key, "this file sets a number without saying where it comes from: add "
                           "source = \"<class> [<id>]: <note>\" to its table in this file (a derived scenario "
                           "gives its own source for every number it changes)")
        self.f.provenance[key] = source

    def value(self, fld, key: tuple, v: Any, source) -> None:
        kind = fld.kind
        if kind in ("number", "integer") and isinstance(v, dict):
            self.valued(fld, key, v, source)
        elif kind in ("number", "integer"):
            self.number(fld, key, v)
            self.note(key, source)
        elif kind == "drawn":
            self.drawn(fld, key, v, source)
        elif kind in ("text", "name", "source", "file"):
            self.text(fld, key, v)
        elif kind == "flag":
            if not isinstance(v, bool):
                raise self.err(key, f"must be true or false (without quotes), got {_type(v)}"
                               + (f" {_short(v)}" if isinstance(v, str) else ""))
        elif kind == "list":
            if not isinstance(v, list) or not v:
                raise self.err(key, f"must be a non-empty list, e.g. [0.1, 0.3, 0.5], got {_type(v)}")
        elif kind == "choice":
            allowed = schema.choices(fld)
            if not isinstance(v, str) or v not in allowed:
                raise self.err(key, _not_allowed(v, allowed))
        elif kind in ("choices", "ids", "removals"):
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                raise self.err(key, f"must be a list of {'names' if kind == 'choices' else 'ids'} in quotes, "
                               f"got {_type(v)}")
            for x in v:
                if kind == "choices" and x not in schema.choices(fld):
                    raise self.err(key, _not_allowed(x, schema.choices(fld)))
                if kind == "removals" and _split_dotted(x) is None:
                    raise self.err(key, f"{x!r} is not a dotted key; quote ids with dots: 'actors.us.clauses.\"us.1\"'")
        elif kind == "weights":
            if not isinstance(v, dict):
                raise self.err(key, f"must be a table of {fld.ids} = number, e.g. {{ x = 0.5 }}, got {_type(v)}")
            own = self.source(key + ("source",), v["source"]) if "source" in v else source
            for k, x in v.items():
                if k != "source":
                    if not schema.ID_PATTERN.fullmatch(k):
                        raise self.err(key + (k,), f"not a {fld.ids} id")
                    self.number(fld, key + (k,), x)
                    self.note(key + (k,), own)
        elif kind == "days":
            if not isinstance(v, list) or not v:
                raise self.err(key, f"must be a non-empty list of days, e.g. [24, 26, 27], got {_type(v)}")
            for i, x in enumerate(v):
                day = self.number(fld, key, x)
                if i and day <= float(v[i - 1]):
                    raise self.err(key, f"days must increase: {x!r} follows {v[i - 1]!r}")
            self.note(key, source)
        elif kind == "scale":
            if not isinstance(v, dict):
                raise self.err(key, f'must be a table, e.g. {{ "0" = "...", "1" = "..." }}, got {_type(v)}')
            for k, text in v.items():
                try:
                    level = float(k)
                except ValueError:
                    raise self.err(key + (k,), "scale keys are positions in [0, 1], e.g. \"0.5\"") from None
                if not 0.0 <= level <= 1.0:
                    raise self.err(key + (k,), f"{k} is out of range; allowed: [0, 1]")
                self.text(schema.field("clauses.*.demand"), key + (k,), text)

    def drawn(self, fld, key: tuple, v: Any, source) -> None:
        if not isinstance(v, dict):
            self.number(fld, key, v)
            self.note(key, source)
            return
        allowed = {"value", "source"} if "value" in v else schema.param_keys(v.get("dist"))
        for k in v:
            if k not in allowed:
                what = ("'value' fixes the number; a distribution table has dist = ... instead" if "value" in v
                        and k in schema.param_keys(None) else suggest(k, sorted(allowed)))
                raise self.err(key + (k,), what)
        if "value" in v:
            self.valued(fld, key, v, source)
            return
        own = self.source(key + ("source",), v["source"]) if "source" in v else source
        if "dist" not in v:
            raise self.err(key, "a table here needs dist = one of uniform, triangular, truncnormal, beta "
                           "(or value = N)")
        try:
            p = make_param(v["dist"] if isinstance(v["dist"], str) else repr(v["dist"]),
                           {k: x for k, x in v.items() if k not in ("dist", "source")})
        except ParamError as exc:
            raise self.err(key, str(exc)) from None
        s_lo, s_hi = p.support()
        if s_lo < fld.low or s_hi > fld.high:
            raise self.err(key, f"support [{s_lo:g}, {s_hi:g}] is out of range; allowed: [{fld.low:g}, {fld.high:g}]")
        self.note(key, own)

    def valued(self, fld, key: tuple, v: dict, source) -> None:
        """{ value = N, source = "..." }: one number with its own source (a number of another
        class than its table's)."""
        for k in v:
            if k not in ("value", "source"):
                raise self.err(key + (k,), suggest(k, ["source", "value"]))
        if "value" not in v:
            raise self.err(key, "a table here needs value = N (and may give its own source)")
        own = self.source(key + ("source",), v["source"]) if "source" in v else source
        self.number(fld, key + ("value",), v["value"])
        self.note(key, own)

    def text(self, fld, key: tuple, v: Any) -> None:
        if not isinstance(v, str):
            hint = " (a TOML date: write it in quotes)" if _type(v).startswith(("date", "time")) else ""
            raise self.err(key, f"must be text in quotes, got {_type(v)}{hint}")
        if fld.kind == "name":
            if not NAME_PATTERN.fullmatch(v):
                raise self.err(key, f"{_short(v)} is not allowed: a name is 1-{schema.MAX_NAME} letters, digits, "
                               "'.', '_' or '-', starting with a letter or digit")
            return
        if len(v) > schema.MAX_TEXT:
            raise self.err(key, f"{len(v):,} characters; allowed: at most {schema.MAX_TEXT:,}")
        bad = _CONTROL.search(v)
        if bad:
            raise self.err(key, f"contains control characters or invisible format characters (U+{ord(bad.group()):04X}); "
                           "allowed: printable text (tabs and new lines too)")

    def source(self, key: tuple, v: Any) -> tuple[str, str]:
        self.text(schema.field("protocol.source"), key, v)
        m = SOURCE_PATTERN.match(v)
        if not m:
            raise self.err(key, "must read \"<class> [<id>, ...]: <note>\", class one of "
                           f"{', '.join(PROVENANCE_CLASSES)}, ids from the source catalogue "
                           f"(scenarios/{CATALOGUE}, docs/sources.md); got {_short(v)}")
        return m.group(1), v


def _type(v: Any) -> str:
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, datetime.datetime):
        return "date-time"
    if isinstance(v, datetime.date):
        return "date"
    if isinstance(v, datetime.time):
        return "time"
    return {dict: "a table", list: "a list", str: "text", int: "a number", float: "a number"}.get(type(v), type(v).__name__)


def _bound(x: float) -> str:
    return f"{int(x):,}" if abs(x) >= 1e6 and float(x).is_integer() else f"{x:g}"


def _short(v: Any) -> str:
    r = repr(v)
    return r if len(r) <= 60 else r[:57] + "...'"


def _not_allowed(v: Any, allowed) -> str:
    if not isinstance(v, str):
        return f"must be one of {', '.join(allowed)} (in quotes), got {_type(v)}"
    return schema.not_allowed(v, allowed)


# ---------------------------------------------------------------- building the scenario
class _Builder:
    """Turns the merged, checked document into a Scenario; checks what spans tables (ids,
    red lines against ideals, who sits at the table), naming the file that set the key."""

    def __init__(self, path: Path, doc: dict, origin: dict[tuple, str], catalogue: frozenset[str],
                 removed: dict[tuple, str] | None = None, root: str | None = None):
        self.path, self.doc, self.origin, self.catalogue = path, doc, origin, catalogue
        self.removed = removed or {}
        self.known: dict[str, tuple[str, ...]] = {}  # the scenario's ids by kind ("actor", "clause", "demand")
        self.root = root or str(path)  # the file the chain starts from: where a key none of them sets belongs

    def err(self, key: tuple, message: str) -> ScenarioError:
        for cut in range(len(key), 0, -1):  # a key a `remove` dropped: blame the file that removed it
            if key[:cut] in self.removed:
                return ScenarioError(self.removed[key[:cut]], display(key),
                                     f"{message} (its `remove` dropped {display(key[:cut])})")
        probe = key
        while probe and probe not in self.origin:
            probe = probe[:-1]
        return ScenarioError(self.origin.get(probe, self.root), display(key), message)

    def get(self, table: dict, key: tuple, pattern: str) -> Any:
        """The value at `key` (its last part in `table`), or the schema's default."""
        fld = schema.field(pattern)
        if key[-1] in table:
            v = table[key[-1]]
            # a plain number may carry its own source: { value = N, source = "..." }
            return v["value"] if fld.kind in ("number", "integer") and isinstance(v, dict) else v
        if fld.default == REQUIRED:
            raise self.err(key, "required key is missing")
        return fld.default

    def param(self, table: dict, key: tuple, pattern: str) -> Param | None:
        v = self.get(table, key, pattern)
        if v is None:
            return None
        if isinstance(v, dict):
            if "value" in v:
                return Fixed(float(v["value"]))
            return make_param(v["dist"], {k: x for k, x in v.items() if k not in ("dist", "source")})
        return Fixed(float(v))

    def ids(self, v: list, key: tuple, allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
        for x in v:
            if x not in allowed:
                raise self.err(key, schema.suggest(x, allowed, what))
        return tuple(v)

    def check_required(self) -> None:
        """Every required key of every table present (a `remove` may have dropped one)."""
        stack = [((), "", self.doc)]
        while stack:
            where, pattern, table = stack.pop()
            kids = schema.children(pattern)
            for k, f in kids.items():
                if k != "*" and f.default == REQUIRED and k not in table:
                    raise self.err(where + (k,), "required key is missing")
            for k, v in table.items():
                f = kids.get(k) or kids.get("*")
                if f is not None and f.kind == "table" and isinstance(v, dict):
                    stack.append((where + (k,), f.path, v))

    def check_sources(self) -> None:
        if not self.catalogue:
            return
        for key in [k for k in self.origin if k[-1] == "source"]:
            table = self.doc
            for part in key:
                table = table.get(part) if isinstance(table, dict) else None
            if isinstance(table, str):
                m = SOURCE_PATTERN.match(table)
                for sid in (s.strip() for s in m.group(2).split(",")):
                    if sid not in self.catalogue:
                        raise self.err(key, f"unknown source id {sid!r}{schema.closest(sid, self.catalogue)} "
                                       f"Source ids are the entries of scenarios/{CATALOGUE} (docs/sources.md), "
                                       f"or of a {CATALOGUE} beside the scenario")

    # -- sections
    def build(self, digest: str, provenance: dict[tuple, tuple[str, str]]) -> Scenario:
        self.check_required()
        self.check_sources()
        meta = self.doc.get("meta", {})
        clauses = self.build_clauses()
        clause_ids = tuple(c.id for c in clauses)
        actors_doc = self.get(self.doc, ("actors",), "actors")
        actor_ids = tuple(actors_doc)
        if not actor_ids:
            raise self.err(("actors",), "at least one actor is required")
        blocs = {a.get("bloc") for a in actors_doc.values() if a.get("bloc")}
        instruments = self.build_instruments(actor_ids, blocs)
        for c in clauses:
            self.ids(list(c.instruments), ("clauses", c.id, "instruments"), tuple(i.id for i in instruments), "instrument")
        agenda = self.build_agenda(clause_ids)
        demands = self.build_demands(clause_ids)
        self.known = {"actor": actor_ids, "clause": clause_ids, "demand": tuple(d.id for d in demands)}
        actors = tuple(self.build_actor(a, demands) for a in actor_ids)
        channels = self.build_channels(actors)
        protocol = self.build_protocol(actor_ids)
        events = build_events(self, actors, clause_ids, agenda, protocol)
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
            channels=channels,
            demands=demands,
            events=events,
            sources=tuple((display(k[:-1]), v) for k, v in sorted(self._sources().items())),
            resolved=json.dumps(self.doc),  # in file order: the order of actors and clauses is the model's
            provenance=tuple(sorted((display(k), cls) for k, (cls, _) in provenance.items())),
        )
        if not scenario.required_parties():
            raise self.err(("agenda", "off"), "no clause of any instrument is left on the table")
        self.check_across_actors(scenario)
        for e in events:
            for who in (e.actor, *e.with_):
                if e.kind == "offer" and who not in scenario.required_parties():
                    raise self.err(("events", e.id, "actor" if who == e.actor else "with"), f"{who!r} is not at the "
                                   "table (it signs no instrument on it), so it cannot table an offer; at the table: "
                                   f"{', '.join(scenario.required_parties())}")
        return scenario

    def _sources(self) -> dict[tuple, str]:
        out = {}
        for key in self.origin:
            if key[-1] == "source":
                v: Any = self.doc
                for part in key:
                    v = v.get(part) if isinstance(v, dict) else None
                if isinstance(v, str):
                    out[key] = v
        return out

    def check_across_actors(self, sc: Scenario) -> None:
        required = sc.required_parties()
        for a in sc.actors:
            cares = [p.salience for _, p in a.prefs if p.salience is not None] + [s for _, s in a.demand_saliences]
            if a.id in required and not any(s.support()[1] > 0 for s in cares):
                raise self.err(("actors", a.id, "clauses"), "an actor at the table must care about some clause "
                               "(every salience is 0)")
        for target in sc.actor_ids:
            total = sum(w for a in sc.actors for other, w in a.weighs_on if other == target)
            if total > 1 + 1e-9:
                raise self.err(("actors",), f"the weighs_on weights on {target!r} add up to {total:g}; allowed: at most 1")
        self.check_budget(sc, required)
        if sc.protocol.proposer == "random":
            weights = dict(sc.protocol.recognition) or {a: 1.0 for a in sc.actor_ids}
            if not any(weights.get(a, 0.0) > 0 for a in required):
                raise self.err(("protocol", "recognition"), "no actor at the table has a positive weight")

    def check_budget(self, sc: Scenario, required: tuple[str, ...]) -> None:
        """A budget and the divide offer rule go together, in one joint package."""
        dividers = [a.id for a in sc.actors if a.offer == "divide" and a.id in required]
        if sc.protocol.budget is None:
            if dividers:
                raise self.err(("actors", dividers[0], "offer"), "offer = \"divide\" shares a budget: set "
                               "protocol.budget (the most the positions of a package may sum to)")
            return
        others = [a.id for a in sc.actors if a.id in required and a.offer != "divide"]
        if others:
            raise self.err(("actors", others[0], "offer"), "with protocol.budget every party at the table uses "
                           "offer = \"divide\" (no other rule respects the budget)")
        if sc.protocol.package != "joint":
            raise self.err(("protocol", "package"), "with protocol.budget the package is joint (the budget is "
                           "shared across instruments)")

    def build_clauses(self) -> tuple[Clause, ...]:
        out = []
        for cid, c in self.get(self.doc, ("clauses",), "clauses").items():
            key = ("clauses", cid)
            inst = self.get(c, key + ("instruments",), "clauses.*.instruments")
            if not inst:
                raise self.err(key + ("instruments",), "must be a non-empty list of instrument ids")
            scale = tuple(sorted((float(k), v) for k, v in c.get("scale", {}).items()))
            out.append(Clause(cid, tuple(inst), c.get("article", ""), c.get("demand", ""), c.get("reply", ""), scale))
        if not out:
            raise self.err(("clauses",), "at least one clause is required")
        return tuple(out)

    def build_instruments(self, actor_ids: tuple[str, ...], blocs: set[str]) -> tuple[Instrument, ...]:
        names = tuple(actor_ids) + tuple(sorted(blocs))
        out = []
        for iid, inst in self.get(self.doc, ("instruments",), "instruments").items():
            key = ("instruments", iid, "signatories")
            sig = self.ids(self.get(inst, key, "instruments.*.signatories"), key, names, "actor or bloc")
            if not sig:
                raise self.err(key, "an instrument needs at least one signatory")
            expanded: list[str] = []
            for s in sig:
                members = [a for a in actor_ids if self.doc["actors"][a].get("bloc") == s]
                expanded += members if members else [s]
            out.append(Instrument(iid, inst.get("name", iid), tuple(dict.fromkeys(expanded))))
        if not out:
            raise self.err(("instruments",), "at least one instrument is required")
        return tuple(out)

    def build_agenda(self, clause_ids: tuple[str, ...]) -> Agenda:
        ag = self.doc.get("agenda", {})
        off = self.ids(ag.get("off", []), ("agenda", "off"), clause_ids, "clause")
        caps = []
        for cid, v in ag.get("caps", {}).items():
            if cid == "source":
                continue
            self.ids([cid], ("agenda", "caps", cid), clause_ids, "clause")
            if cid in off:
                raise self.err(("agenda", "caps", cid), "a clause off the table cannot also be capped")
            caps.append((cid, float(v)))
        return Agenda(frozenset(off), tuple(caps))

    def build_demands(self, clause_ids: tuple[str, ...]) -> tuple[Demand, ...]:
        out, taken = [], {}
        for did, d in self.doc.get("demands", {}).items():
            key = ("demands", did, "clauses")
            clauses = self.ids(self.get(d, key, "demands.*.clauses"), key, clause_ids, "clause")
            if not clauses:
                raise self.err(key, "a demand needs at least one clause")
            for c in clauses:
                if c in taken:
                    raise self.err(key, f"clause {c!r} is already in demand {taken[c]!r}; a clause belongs to at most one")
                taken[c] = did
            out.append(Demand(did, d.get("name", did), clauses, d.get("concede"),
                              float(self.get(d, ("demands", did, "concede_to"), "demands.*.concede_to"))))
        clash = sorted(set(self.doc.get("demands", {})) & (set(clause_ids) - set(taken)))
        if clash:
            raise self.err(("demands", clash[0]), "a demand may not share its id with a clause outside it")
        return tuple(out) + tuple(Demand(c, c, (c,)) for c in clause_ids if c not in taken)

    def leaves(self, table: dict, key: tuple, pattern: str, own_id: str = "") -> dict[str, Any]:
        """Every schema leaf under `pattern` (schema.leaves), read from `table` or its default and
        converted for the dataclass that scenario_types.from_schema generates from the same rows."""
        return {f.key: self.leaf(f, table, key + (f.key,), own_id) for f in schema.leaves(pattern)}

    def leaf(self, f: schema.Field, table: dict, key: tuple, own_id: str) -> Any:
        """One value, by its kind: numbers as floats, drawn values as Params, lists as tuples,
        weights as (id, weight) pairs; ids are checked against the scenario's (`self.known`)."""
        if f.kind == "drawn":
            return self.param(table, key, f.path)
        if f.default == schema.OWN_ID and f.key not in table:
            return own_id
        v = self.get(table, key, f.path)
        if v is None:
            return () if f.kind in schema.COLLECTIONS else None
        if f.kind in ("number", "integer"):
            return float(v) if f.kind == "number" else int(v)
        if f.kind == "ids":
            return self.ids(v, key, self.known[f.ids], f.ids)
        if f.kind == "weights":
            weights = {k: x for k, x in v.items() if k != "source"}
            for k in weights:
                self.ids([k], key + (k,), self.known[f.ids], f.ids)
            return tuple((k, float(x)) for k, x in weights.items())
        if f.kind == "days":
            return tuple(float(d) for d in v)
        return tuple(v) if f.kind == "choices" else v

    def build_protocol(self, actor_ids: tuple[str, ...]) -> Protocol:
        pr = self.get(self.doc, ("protocol",), "protocol")
        key = ("protocol",)
        values = self.leaves(pr, key, "protocol")
        if "order" not in pr:
            values["order"] = actor_ids
        if len(set(values["order"])) < len(values["order"]):
            raise self.err(key + ("order",), "lists an actor twice; each actor once, in proposing order")
        if values["recognition"] and values["proposer"] != "random":
            raise self.err(key + ("recognition",), "weights apply only with proposer = \"random\"")
        round_days, horizon_days, listed = values["round_days"], values["horizon_days"], values["meeting_days"]
        if listed and listed[-1] > horizon_days:
            raise self.err(key + ("meeting_days",), f"day {listed[-1]:g} is after the horizon (horizon_days = "
                           f"{horizon_days:g}); allowed: days up to the horizon")
        start = listed[-1] + round_days if listed else 0.0
        rounds = len(listed) + max(int(math.floor((horizon_days - start) / round_days + 1e-9)) + 1, 0)
        if rounds > 10_000:
            raise self.err(key + ("horizon_days",), f"{rounds:,} meetings ({horizon_days:g} days at {round_days:g} days "
                           "apart); allowed: at most 10,000")
        return Protocol(horizon=rounds, **values)

    def build_actor(self, aid: str, demands: tuple[Demand, ...]) -> Actor:
        a = self.doc["actors"][aid]
        key = ("actors", aid)
        by_id = {d.id: d for d in demands}
        demand_saliences = []
        covered: set[str] = set()
        for did in a.get("demands", {}):
            dk = key + ("demands", did)
            self.ids([did], dk, tuple(by_id), "demand")
            demand_saliences.append((did, self.param(a["demands"][did], dk + ("salience",), "actors.*.demands.*.salience")))
            covered |= set(by_id[did].clauses)
        strat = a.get("strategy", {})
        sk = key + ("strategy",)
        kind = self.get(strat, sk + ("kind",), "actors.*.strategy.kind")
        self.check_strategy_parameters(kind, strat, sk)
        strategy = Strategy(kind, tuple((f.key, self.param(strat, sk + (f.key,), f.path))
                                        for f in schema.drawn_fields("actors.*.strategy")))
        prefs = tuple((cid, self.build_pref(p, key + ("clauses", cid), cid, cid in covered))
                      for cid, p in a.get("clauses", {}).items())
        values = self.leaves(a, key, "actors.*", own_id=aid)
        if aid in dict(values["weighs_on"]):
            raise self.err(key + ("weighs_on", aid), "an actor's own utility is already its own: weighs_on names "
                           "other actors")
        if values["bloc"] is not None and values["bloc"] in self.known["actor"]:
            raise self.err(key + ("bloc",), "must be a bloc name that is not itself an actor id")
        if values["excluded_to"] is not None:
            self.ids([values["excluded_to"]], key + ("excluded_to",), self.known["demand"], "demand")
        return Actor(aid, prefs, strategy, tuple(demand_saliences), **values)

    def build_channels(self, actors: tuple[Actor, ...]) -> Channels:
        """The channel switches, each checked against the inputs it reads: a switch that is on
        needs its party's inputs, so no channel is on in name only."""
        ch = self.doc.get("channels", {})
        key = ("channels",)
        modes = {k: self.get(ch, key + (k,), f"channels.{k}")
                 for k in ("information", "reference", "face", "weight", "linkage")}
        party = ch.get("party")
        by_id = {a.id: a for a in actors}
        if party is not None:
            self.ids([party], key + ("party",), tuple(by_id), "actor")
        needs = {"information": "red_line_belief", "reference": "loss_aversion", "face": "face"}
        for k, needed in needs.items():
            on = modes[k] not in ("off", "none")
            if on and (party is None or getattr(by_id[party], needed) is None):
                raise self.err(key + (k,), f"is on, but {'no channels.party is named' if party is None else repr(party) + ' has no ' + needed}; "
                               f"give channels.party and actors.<party>.{needed}")
        if modes["weight"] == "move" and (party is None or by_id[party].excluded_to is None):
            raise self.err(key + ("weight",), "is move, but the party names no demand in excluded_to")
        if modes["linkage"] == "on" and not any(a.relax_when_off for a in actors):
            raise self.err(key + ("linkage",), "is on, but no actor lists clauses in relax_when_off")
        return Channels(party=party, **modes)

    def check_strategy_parameters(self, kind: str, strat: dict, key: tuple) -> None:
        """A parameter the chosen strategy does not read is refused, not silently ignored."""
        reads = set(schema.STRATEGIES[kind][1].parameters)
        own = [f.key for f in schema.drawn_fields("actors.*.strategy") if f.key in reads]
        for f in schema.drawn_fields("actors.*.strategy"):
            if f.key in strat and f.key not in reads:
                raise self.err(key + (f.key,), f"the {kind} strategy does not use {f.key}; "
                               f"its parameters: {', '.join(own) or 'none'}")

    def build_pref(self, p: dict, key: tuple, cid: str, covered: bool) -> ClausePref:
        self.ids([cid], key, self.known["clause"], "clause")
        ideal = self.param(p, key + ("ideal",), "actors.*.clauses.*.ideal")
        salience = self.param(p, key + ("salience",), "actors.*.clauses.*.salience")
        if covered and salience is not None:
            raise self.err(key + ("salience",), "a demand salience of this actor already covers this clause; "
                           "give the salience per demand or per clause, not both")
        if not covered and salience is None:
            raise self.err(key + ("salience",), "required key is missing (or give this actor a salience for a "
                           "demand that holds the clause)")
        rl = p.get("red_line", {})
        rk = key + ("red_line",)
        above = self.param(rl, rk + ("above",), "actors.*.clauses.*.red_line.above")
        below = self.param(rl, rk + ("below",), "actors.*.clauses.*.red_line.below")
        relax = self.param(rl, rk + ("relax",), "actors.*.clauses.*.red_line.relax")
        if relax is not None and above is None:
            raise self.err(rk + ("relax",), "relaxes a red line the actor does not have; give red_line.above too")
        i_lo, i_hi = ideal.support()
        if above is not None and i_hi > above.support()[0]:
            raise self.err(rk + ("above",), f"the red line excludes the actor's own ideal point "
                           f"(ideal up to {i_hi:g}, values above {above.support()[0]:g} never acceptable); "
                           "allowed: red_line.above >= ideal")
        if below is not None and i_lo < below.support()[1]:
            raise self.err(rk + ("below",), f"the red line excludes the actor's own ideal point "
                           f"(ideal down to {i_lo:g}, values below {below.support()[1]:g} never acceptable); "
                           "allowed: red_line.below <= ideal")
        return ClausePref(ideal, salience, above, below, relax)
