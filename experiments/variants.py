"""Scenario variants: a scenario with some of its keys set otherwise, built through the loader.

A variant is a table of dotted keys and values, e.g. {"protocol.proposer" = "random",
"actors.russia.walkout" = ["outside_option"]}; ids with dots are quoted
('actors.us.clauses."us.7".red_line.above').  It is applied to the scenario's merged document
and the result is checked and built like any scenario file, so a variant can set anything a
file can (structural switches included) and nothing a file cannot.  Variants files
(scenarios/variants.toml) hold named variants, each with its reason and its source.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim import schema
from sim.scenario import (
    Scenario,
    ScenarioError,
    _parse,
    _read_bytes,
    _split_dotted,
    confined,
    scenario_from_document,
)

VARIANT_KEYS = {"set": True, "reason": True, "source": True, "weight": False}


@dataclass(frozen=True)
class Variant:
    name: str
    changes: tuple[tuple[str, Any], ...]  # (dotted key, value)
    reason: str = ""
    source: str = ""
    weight: float = 1.0


def apply(sc: Scenario, changes, name: str = "") -> Scenario:
    """`sc` with each dotted key of `changes` (pairs or a dict) set to its value."""
    doc = copy.deepcopy(sc.resolved_document)
    for dotted, value in (changes.items() if isinstance(changes, dict) else changes):
        key = _split_dotted(dotted)
        if key is None:
            raise ScenarioError(name or sc.name, dotted, "not a dotted key; quote ids with dots: "
                                'actors.us.clauses."us.7".ideal')
        table = doc
        for part in key[:-1]:
            table = table.setdefault(part, {}) if isinstance(table, dict) else None
        if not isinstance(table, dict):
            raise ScenarioError(name or sc.name, dotted, "does not name a key inside a table of the scenario")
        table[key[-1]] = value
    label = f"{sc.name}, variant {name}" if name else sc.name
    out = scenario_from_document(doc, label)
    return out


def load_variants(path: str | Path) -> tuple[Variant, ...]:
    """A variants file: [variants.<name>] tables with `set` (dotted key -> value), `reason`,
    `source` and an optional `weight` (default 1) for pooling."""
    path = Path(path)
    doc = _parse(path, _read_bytes(path, ()), ())
    table = doc.get("variants")
    if set(doc) - {"applies_to"} != {"variants"} or not isinstance(table, dict) or not table:
        raise ScenarioError(path, "", "a variants file holds [variants.<name>] tables (and optionally applies_to) "
                            "and nothing else")
    out = []
    for name, v in table.items():
        where = f"variants.{name}"
        if not isinstance(v, dict):
            raise ScenarioError(path, where, "must be a table with set, reason and source")
        for k in v:
            if k not in VARIANT_KEYS:
                raise ScenarioError(path, f"{where}.{k}", schema.suggest(k, list(VARIANT_KEYS)))
        missing = [k for k, need in VARIANT_KEYS.items() if need and k not in v]
        if missing:
            raise ScenarioError(path, where, f"missing {', '.join(missing)}")
        if not isinstance(v["set"], dict):
            raise ScenarioError(path, f"{where}.set", 'must be a table of "dotted.key" = value')
        weight = v.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 < weight <= 1e6:
            raise ScenarioError(path, f"{where}.weight", "must be a positive number")
        for k in ("reason", "source"):
            if not isinstance(v[k], str) or not v[k].strip():
                raise ScenarioError(path, f"{where}.{k}", "must be text in quotes")
        out.append(Variant(name, tuple(v["set"].items()), v["reason"], v["source"], float(weight)))
    return tuple(out)


def applies_to(path: str | Path) -> Path | None:
    """The scenario a variants file is written for (its `applies_to`, a scenario file beside it),
    or None: it applies to any scenario (the shipped variants.toml)."""
    path = Path(path)
    doc = _parse(path, _read_bytes(path, ()), ())
    name = doc.get("applies_to")
    if name is None:
        return None
    if not isinstance(name, str) or "/" in name or "\\" in name:
        raise ScenarioError(path, "applies_to", "must name a scenario file beside it, e.g. \"history_2022.toml\"")
    try:
        target = confined(name, path.parent, (path.resolve().parent,))
    except ValueError as exc:
        raise ScenarioError(path, "applies_to", f"{name!r} is not allowed ({exc}); it names a scenario file beside "
                            "the variants file, e.g. \"history_2022.toml\"") from None
    if not target.is_file():
        raise ScenarioError(path, "applies_to", f"{name!r}: no such scenario file beside it")
    return target


def check(variants: tuple[Variant, ...], scenarios: list[Scenario], path: str | Path) -> None:
    """Refuse, before any run, a variant that does not apply to every scenario: one line naming
    the variants file, the variant and what the loader said."""
    for v in variants:
        for sc in scenarios:
            try:
                apply(sc, v.changes, v.name)
            except ScenarioError as exc:
                raise ScenarioError(path, f"variants.{v.name}", f"does not apply to {sc.name}: {exc}") from None
