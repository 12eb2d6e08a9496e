"""What the explorer's controls set, and the one way they reach the model: an extends-file.

Every control names a dotted scenario path (`CONTROLS`, the only table that knows key names).
The settings in force are written as a TOML scenario that `extends` the picked scenario and
states only what changed, with a `source` in every table it sets; the live view loads that
file with `sim.scenario.load_scenario`, and Save writes the same document where the user asks.

A slider fixes its parameter at one value in every run (like a sweep point); a parameter whose
slider was not touched keeps the picked scenario's distribution.

No solara or Mesa here: the tests import it without a browser.
"""

from __future__ import annotations

import atexit
import itertools
import json
import math
import os
import re
import shutil
import tempfile
import threading
import tomllib
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from analysis.study import DEFAULT_SEED
from sim import schema
from sim.distributions import make_param
from sim.scenario import load_scenario, scenario_files

from .defaults import RUNS

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
DEFAULT_SCENARIO = SCENARIOS / "accession_excluded.toml"
LIVE_SOURCE = "judgement [negsim-calibration]: set interactively in negsim explore (not saved)"
SOURCE_TEMPLATE = "judgement [negsim-calibration]: "  # what Save's source box starts with


# ---------------------------------------------------------------- the one table: control -> path
@dataclass(frozen=True)
class Control:
    """One control and the scenario path it sets ("{actor}" stands for an actor id).  Its label,
    unit, documentation, allowed range and choices are the schema's (sim/schema.py), never
    written here; a slider adds only the part of that range it shows and its step (`window`)."""

    key: str
    path: str
    window: tuple[float, float, float] | None = None  # a slider: lowest, highest value shown, step

    @property
    def field(self):
        return schema.field(self.path.replace("{actor}", "*"))

    @property
    def choices(self) -> tuple[str, ...]:
        """A switch over the schema's choices (empty: a slider)."""
        f = self.field
        return tuple(schema.choices(f)) if f.kind == "choice" else ()

    @property
    def label(self) -> str:
        """The key as a scenario file writes it in its table, with the schema's unit:
        'outside_option_growth (utility per 7 days)', 'strategy.beta', 'round_days (days)'."""
        f = self.field
        key = f.path.removeprefix("actors.*.").removeprefix("protocol.").removeprefix("agenda.")
        return key + (f" ({f.unit})" if f.unit else "")

    @property
    def doc(self) -> str:
        return self.field.doc

    @property
    def low(self) -> float:
        return max(self.window[0], self.field.low)

    @property
    def high(self) -> float:
        return min(self.window[1], self.field.high)

    @property
    def step(self) -> float:
        return self.window[2]

    @property
    def integer(self) -> bool:
        """Whole numbers only: a slider that starts and steps in whole numbers (days, parties)."""
        return self.window is not None and float(self.window[0]).is_integer() and float(self.window[2]).is_integer()


# The part of a strategy parameter's allowed range its slider shows, where the schema's whole
# range is too wide to set by hand (beta may reach 100); any other parameter, a new one
# included, shows its whole allowed range in 100 steps (strategy_controls).
STRATEGY_WINDOWS = {"beta": (0.05, 3.0, 0.05), "gamma": (0.0, 3.0, 0.05), "partner_patience": (0.5, 1.0, 0.01),
                    "parties": (2, 10, 1)}


def strategy_controls() -> tuple[Control, ...]:
    """A slider for every parameter a strategy can read: the schema's drawn actors.*.strategy.*
    fields, so a new strategy parameter needs no edit here."""
    return tuple(Control(f.key, "actors.{actor}.strategy." + f.key,
                         STRATEGY_WINDOWS.get(f.key, (f.low, f.high, (f.high - f.low) / 100)))
                 for f in schema.drawn_fields("actors.*.strategy"))


CONTROLS: dict[str, Control] = {c.key: c for c in (
    Control("outside_option", "actors.{actor}.outside_option", (0.0, 1.0, 0.01)),
    Control("outside_option_growth", "actors.{actor}.outside_option_growth", (0.0, 0.05, 0.001)),
    Control("deadline", "actors.{actor}.deadline_days", (7, 364, 7)),
    *strategy_controls(),
    Control("belief_noise", "actors.{actor}.belief_noise", (0.0, 0.6, 0.01)),
    Control("strategy_kind", "actors.{actor}.strategy.kind"),
    Control("round_days", "protocol.round_days", (1, 30, 1)),
    Control("proposer", "protocol.proposer"),
    Control("package", "protocol.package"),
    Control("agenda_off", "agenda.off"),
    Control("agenda_caps", "agenda.caps"),
)}
# Tables that hold ids as keys: a `source` there would read as an id.
NO_SOURCE_TABLES = frozenset({"", "actors", CONTROLS["agenda_caps"].path})
STRATEGY_SLIDERS = tuple(k for k, c in CONTROLS.items() if c.window and c.path.startswith("actors.{actor}.strategy."))
ACTOR_SLIDERS = ("deadline",) + STRATEGY_SLIDERS + ("belief_noise",)
RUSSIA_SLIDERS = ("outside_option", "outside_option_growth")
CLAUSE_STATES = ("on", "off", "cap")


def control_path(key: str, actor: str = "") -> str:
    return CONTROLS[key].path.format(actor=actor)


# ---------------------------------------------------------------- settings
@dataclass(frozen=True)
class Settings:
    """The explorer's state: the picked scenario plus what the user changed (hashable)."""

    scenario: str  # absolute path of the picked scenario file
    agenda: tuple[tuple[str, str, float], ...] | None = None  # every clause (id, state, cap) once changed
    values: tuple[tuple[str, str, Any], ...] = ()  # (control key, actor or "", value), sorted
    seed: int = DEFAULT_SEED
    run: int = 0
    runs: int = RUNS

    def value(self, key: str, actor: str = "", default: Any = None) -> Any:
        return next((v for k, a, v in self.values if k == key and a == actor), default)

    def with_value(self, key: str, actor: str, value: Any) -> "Settings":
        c = CONTROLS[key]
        if c.choices and value not in c.choices:
            raise ValueError(f"{c.label}: {value!r} is not one of {', '.join(c.choices)}")
        if not c.choices:
            value = float(value)
            if c.integer:
                value = int(round(value))
        rest = [(k, a, v) for k, a, v in self.values if not (k == key and a == actor)]
        return replace(self, values=tuple(sorted(rest + [(key, actor, value)], key=lambda x: (x[0], x[1]))))

    def without_value(self, key: str, actor: str = "") -> "Settings":
        return replace(self, values=tuple((k, a, v) for k, a, v in self.values if not (k == key and a == actor)))

    def with_clause(self, clause: str, state: str, cap: float, parent_agenda: dict[str, tuple[str, float]]) -> "Settings":
        if state not in CLAUSE_STATES:
            raise ValueError(f"clause {clause}: state {state!r} is not one of {', '.join(CLAUSE_STATES)}")
        cur = dict((c, (s, v)) for c, s, v in self.agenda) if self.agenda is not None else dict(parent_agenda)
        cur[clause] = (state, float(cap))
        if cur == parent_agenda:
            return replace(self, agenda=None)
        return replace(self, agenda=tuple((c, s, v) for c, (s, v) in cur.items()))

    def clause_states(self, parent_agenda: dict[str, tuple[str, float]]) -> dict[str, tuple[str, float]]:
        return dict((c, (s, v)) for c, s, v in self.agenda) if self.agenda is not None else dict(parent_agenda)

    @property
    def changed(self) -> bool:
        return self.agenda is not None or bool(self.values)


def parse_int(text: Any, what: str, low: int = 0, high: int = 2**63 - 1) -> int:
    """An integer from a text box (Solara's InputText gives strings)."""
    s = str(text).strip().replace("_", "").replace(",", "")
    if not re.fullmatch(r"[+-]?\d+", s):
        raise ValueError(f"{what} must be a whole number, got {str(text)!r}")
    v = int(s)
    if not low <= v <= high:
        raise ValueError(f"{what} must lie in [{low}, {high}], got {v}")
    return v


# ---------------------------------------------------------------- the picked scenario
def is_sweep_file(path: Path) -> bool:
    try:
        return "sweep" in tomllib.loads(Path(path).read_text())
    except (OSError, ValueError):
        return False


def shipped_scenarios() -> dict[str, Path]:
    """name -> path of every scenario file in scenarios/ (sweep files and the source catalogue
    left out)."""
    return {p.stem: p for p in scenario_files(SCENARIOS)}


def parent_agenda(sc) -> dict[str, tuple[str, float]]:
    """Clause -> (state, cap) as the picked scenario has it."""
    caps = dict(sc.agenda.caps)
    out = {}
    for c in sc.clause_ids:
        if c in sc.agenda.off:
            out[c] = ("off", 0.0)
        elif c in caps:
            out[c] = ("cap", float(caps[c]))
        else:
            out[c] = ("on", 1.0)
    return out


def lookup(doc: dict, dotted: str) -> Any:
    node: Any = doc
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def describe_param(v: Any) -> str:
    """A scenario value in words: '0.2', 'triangular 0.1-0.5 (mode 0.3)'."""
    if v is None:
        return "default"
    if isinstance(v, dict):
        if "value" in v:
            return f"{v['value']:g}"
        d = v.get("dist", "?")
        if d == "triangular":
            return f"triangular {v['low']:g}-{v['high']:g} (mode {v['mode']:g})"
        if d == "uniform":
            return f"uniform {v['low']:g}-{v['high']:g}"
        return d + " " + ", ".join(f"{k} {x:g}" for k, x in v.items() if isinstance(x, (int, float)))
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def central_value(v: Any, default: float) -> float:
    """The value a slider starts at for a scenario value (a distribution's central value)."""
    if v is None or isinstance(v, bool):
        return default
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, dict):
        if "value" in v:
            return float(v["value"])
        fields = {k: x for k, x in v.items() if k not in ("dist", "source")}
        try:
            return float(make_param(str(v["dist"]), fields).central())
        except Exception:  # noqa: BLE001  (a refactor of the parameter classes must not break the page)
            nums = [x for x in fields.values() if isinstance(x, (int, float))]
            return float(sum(nums) / len(nums)) if nums else default
    return default


# ---------------------------------------------------------------- the extends-file
def extends_document(settings: Settings, sc, where: Path, source: str, name: str | None = None) -> dict:
    """The TOML document (as a dict) that applies `settings` on top of the picked scenario
    `sc`, for a file written in folder `where`.  Sets only what changed; every table it sets
    carries `source`; agenda caps replace the parent's whole (via `remove`)."""
    if not source or not source.strip() or source.strip() == SOURCE_TEMPLATE.strip():
        raise ValueError("a source is required: say where the changed numbers come from, as "
                         f"\"<class> [<id>, ...]: <note>\", e.g. \"{SOURCE_TEMPLATE}<why these values>\"")
    source = source.strip()
    parent = Path(settings.scenario).resolve()
    doc: dict[str, Any] = {"extends": Path(os.path.relpath(parent, Path(where).resolve())).as_posix()}
    remove: list[str] = []
    changes: list[str] = []
    resolved = sc.resolved_document

    def put(dotted: str, value: Any) -> None:
        parts = dotted.split(".")
        node = doc
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value

    if settings.agenda is not None:
        states = {c: (s, v) for c, s, v in settings.agenda}
        off = [c for c in sc.clause_ids if states.get(c, ("on", 1.0))[0] == "off"]
        caps = {c: round(float(v), 6) for c in sc.clause_ids for s, v in [states.get(c, ("on", 1.0))] if s == "cap"}
        caps_path = control_path("agenda_caps")
        if lookup(resolved, caps_path):
            remove.append(caps_path)  # caps replace the parent's whole table
        put(control_path("agenda_off"), off)
        if caps:
            put(caps_path, caps)
        changes.append("agenda: off " + (", ".join(off) or "none") + ("; caps " + ", ".join(
            f"{c} <= {v:g}" for c, v in caps.items()) if caps else ""))
    strategy_tables: dict[str, dict] = {}
    for key, actor, value in settings.values:
        dotted = control_path(key, actor)
        table = strategy_table(actor) if actor else ""
        if table and dotted.startswith(table + "."):
            strategy_tables.setdefault(table, {})[dotted[len(table) + 1:]] = value
            continue
        put(dotted, value)
        changes.append(f"{dotted} = {value:g}" if isinstance(value, float) else f"{dotted} = {value}")
    for table, new in strategy_tables.items():
        # A strategy may carry only the parameters its kind reads: a changed kind replaces the
        # parent's whole strategy table (kind + the parameters it reads, the parent's where kept).
        old = dict(lookup(resolved, table) or {})
        kind_key = control_path("strategy_kind", "x").rpartition(".")[2]
        kind = new.get(kind_key, old.get(kind_key, CONTROLS["strategy_kind"].field.default))
        reads = strategy_parameters(kind)
        if kind != old.get(kind_key, CONTROLS["strategy_kind"].field.default):
            remove.append(table)
            full = {kind_key: kind}
            for k, v in old.items():
                if k in reads and k not in new:
                    full[k] = dict(v) if isinstance(v, dict) else v  # kept as the parent has it
            full.update({k: v for k, v in new.items() if k in reads})
        else:
            full = {k: v for k, v in new.items() if k in reads}
        if not full:
            continue
        put(table, full)
        changes.append(f"{table}: " + ", ".join(f"{k} = {v:g}" if isinstance(v, float) else f"{k} = {v}"
                                                 for k, v in full.items() if not isinstance(v, dict)))
    if remove:
        doc["remove"] = remove

    def add_sources(node: dict, path: str) -> None:
        leaves = [k for k, v in node.items() if not isinstance(v, dict) or path_join(path, k) == control_path("agenda_caps")]
        if path not in NO_SOURCE_TABLES and path and leaves:
            node.setdefault("source", source)  # a table copied from the parent keeps its own
        for k, v in node.items():
            if isinstance(v, dict) and path_join(path, k) not in (control_path("agenda_caps"),):
                add_sources(v, path_join(path, k))

    add_sources(doc, "")
    meta = {"name": re.sub(r"[^A-Za-z0-9._-]", "_", name or f"{sc.name}_explored").lstrip("._-")[:60] or "explored",
            "description": f"Derived from {parent.name} in negsim explore: " + ("; ".join(changes) or "no changes")}
    return {"extends": doc.pop("extends"), **({"remove": doc.pop("remove")} if "remove" in doc else {}),
            "meta": meta, **doc}


def describe_changes(settings: Settings, sc) -> str:
    """The settings' changes from the picked scenario, in one line of dotted paths."""
    if not settings.changed:
        return "none (the scenario as shipped)"
    text = extends_document(settings, sc, Path(settings.scenario).parent, LIVE_SOURCE)["meta"]["description"]
    return text.partition(": ")[2]


def strategy_table(actor: str) -> str:
    """Dotted path of an actor's strategy table (the parent of its strategy-kind key)."""
    return control_path("strategy_kind", actor).rpartition(".")[0]


def strategy_parameters(kind: str) -> tuple[str, ...]:
    """The strategy keys a kind reads (its row in the schema's strategy registry)."""
    return schema.STRATEGIES[kind][1].parameters if kind in schema.STRATEGIES else ()


def path_join(a: str, b: str) -> str:
    return f"{a}.{b}" if a else b


_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(k: str) -> str:
    return k if _BARE.match(k) else json.dumps(k, ensure_ascii=False)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"cannot write {v} to a scenario file")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }"
    raise ValueError(f"cannot write {type(v).__name__} to a scenario file")


def to_toml(doc: dict, header: str = "") -> str:
    """TOML text for a scenario document: tables as [headers], value tables (caps) inline."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    inline_paths = {control_path("agenda_caps")}

    def emit(node: dict, parts: tuple[str, ...]) -> None:
        dotted = ".".join(parts)
        is_table = lambda k, v: isinstance(v, dict) and path_join(dotted, k) not in inline_paths  # noqa: E731
        scalars = [(k, v) for k, v in node.items() if not is_table(k, v)]
        if parts and scalars:
            lines.append("")
            lines.append("[" + ".".join(_key(p) for p in parts) + "]")
        for k, v in scalars:
            lines.append(f"{_key(k)} = {_value(v)}")
        for k, v in node.items():
            if is_table(k, v):
                emit(v, parts + (k,))

    emit(doc, ())
    return "\n".join(lines) + "\n"


def write_scenario(settings: Settings, sc, path: Path, source: str, name: str | None = None) -> Path:
    """Save the settings as a scenario file that extends the picked one; returns the path."""
    path = Path(path)
    if path.suffix != ".toml":
        raise ValueError(f"{path}: a scenario file name ends in .toml")
    doc = extends_document(settings, sc, path.parent, source, name or path.stem)
    text = to_toml(doc, header=f"Written by negsim explore from {Path(settings.scenario).name}.\n"
                   f"Check it with: negsim validate {path}")
    tomllib.loads(text)  # never write a file that does not parse
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return path


# ---------------------------------------------------------------- loading (the live view's path)
_TMP: Path | None = None
_COUNTER = itertools.count()
_LOCK = threading.Lock()


def _tmpdir() -> Path:
    global _TMP
    with _LOCK:
        if _TMP is None or not _TMP.is_dir():
            _TMP = Path(tempfile.mkdtemp(prefix="negsim-explore-"))
            atexit.register(shutil.rmtree, _TMP, True)
        return _TMP


@lru_cache(maxsize=16)
def _load_parent(path: str, mtime: float):
    return load_scenario(path)


def load_parent(settings_or_path) -> Any:
    path = str(Path(getattr(settings_or_path, "scenario", settings_or_path)).resolve())
    return _load_parent(path, os.path.getmtime(path))


@lru_cache(maxsize=64)
def _scenario_for(settings: Settings, mtime: float):
    parent = load_parent(settings)
    if not settings.changed:
        return parent
    folder = _tmpdir()
    path = folder / f"explore-{next(_COUNTER)}.toml"
    write_scenario(settings, parent, path, LIVE_SOURCE, name=f"{parent.name}_explored")
    try:
        return load_scenario(path)
    except ValueError as exc:  # name the settings, not the temporary file
        raise ValueError(str(exc).replace(str(path), "these settings")) from None
    finally:
        path.unlink(missing_ok=True)


def scenario_for(settings: Settings):
    """The scenario the settings describe, loaded through an extends-file (ScenarioError, a
    ValueError, names what is wrong)."""
    return _scenario_for(settings, os.path.getmtime(settings.scenario))
