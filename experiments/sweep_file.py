"""Sweep files: their keys as a field table in the style of sim/schema.py, read and checked by the
scenario loader's own checks (sim.scenario.read_document), so a sweep file gets the same one-line
messages as a scenario file: the file, the key and what is allowed (types, ranges, unknown keys
with a suggestion, true/false only for flags).  Then what spans keys: the scenario a sweep names
is confined like an `extends` (beside the sweep file or below it, or in the shipped scenarios/),
keys that only one sampler reads are refused with the others, a drawn parameter's levels are
numbers, and the design is checked against the scenario (experiments.sweep.validate).

    [sweep]                                   [parameters."actors.russia.outside_option"]
    scenario = "accession_excluded.toml"      low = 0.05
    sampler = "sobol"                         high = 0.6
    points = 256                              source = "judgement [negsim-calibration]: ..."
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from analysis.study import DEFAULT_SEED, SWEEP_POINT_RUNS
from sim import schema
from sim.scenario import SHIPPED, ScenarioError, confined, read_document
from sim.schema import REQUIRED, SOURCE_DOC, Field

from .sweep import SAMPLERS, Factor, ParamRange, SweepError, SweepSpec, drawn_path, validate

MAX_POINTS = 10_000_000
MAX_RUNS_PER_POINT = 1_000_000
MAX_SEED = 2**63 - 1
PATH_PATTERN = re.compile(r'[A-Za-z0-9][A-Za-z0-9._"-]{0,199}')

ROWS: tuple[Field, ...] = (
    Field("sweep", "table", "the design", default=REQUIRED),
    Field("sweep.scenario", "file", "the base scenario: a .toml file beside this sweep file (or below it) or in the "
          "shipped scenarios/ folder", default=REQUIRED),
    Field("sweep.sampler", "choice", "grid, Latin hypercube, Sobol (Saltelli) or Morris design", default="lhs",
          choices=SAMPLERS),
    Field("sweep.points", "integer", "grid: levels per parameter; lhs: points; sobol: base N (a power of two); "
          "morris: trajectories", "", 64, 1, MAX_POINTS),
    Field("sweep.runs", "integer", "Monte Carlo runs per point (the same runs at every point)", "runs", SWEEP_POINT_RUNS,
          1, MAX_RUNS_PER_POINT),
    Field("sweep.seed", "integer", "root seed", "", DEFAULT_SEED, 0, MAX_SEED),
    Field("sweep.metrics", "ids", "the metrics to keep (default: all)", ids="metric"),
    Field("sweep.second_order", "flag", "sobol only: also second-order indices", default=False),
    Field("sweep.levels", "integer", "morris only: grid levels, an even number", "", 4, 2, 100),
    Field("sweep.keep_runs", "flag", "also write runs.parquet, one row per run of every point", default=False),
    Field("sweep.source", "source", SOURCE_DOC),
    Field("parameters", "table", "what is swept: one table per scenario key (docs/fields.md)", default=REQUIRED),
    Field("parameters.*", "table", "a drawn parameter (low and high, or levels) or a structural choice (levels)",
          ids="parameter path"),
    Field("parameters.*.low", "number", "a drawn parameter's lowest value", "", None, -1e9, 1e9),
    Field("parameters.*.high", "number", "a drawn parameter's highest value", "", None, -1e9, 1e9),
    Field("parameters.*.levels", "list", "grid levels of a drawn parameter (numbers), or the values of a structural "
          "choice"),
    Field("parameters.*.source", "source", SOURCE_DOC),
)
TABLE = schema.Table(ROWS, ids=PATH_PATTERN, id_doc="dotted scenario keys of up to 200 characters", sourced=False)
ONLY = {"levels": "morris", "second_order": "sobol"}  # keys one sampler reads


def load_sweep(path: str | Path) -> SweepSpec:
    """A sweep file, checked, as a SweepSpec (validated against its scenario)."""
    path = Path(path)
    try:
        doc = read_document(path, TABLE)
    except ScenarioError as exc:
        raise SweepError(str(exc)) from None
    for key in ("sweep", "parameters"):
        if key not in doc:
            raise SweepError(f"{path}: {key}: required table is missing ([sweep] with the scenario and the design, "
                             "[parameters.\"PATH\"] for each parameter swept)")
    sw = doc["sweep"]

    def get(key: str):
        return sw.get(key, TABLE.field(f"sweep.{key}").default)

    if "scenario" not in sw:
        raise SweepError(f"{path}: sweep.scenario: required key is missing (the base scenario file, beside this one)")
    try:
        scenario = confined(sw["scenario"], path.parent, (path.resolve().parent, SHIPPED))
    except ValueError as exc:
        raise SweepError(f"{path}: sweep.scenario: {_shown(sw['scenario'])} is not allowed ({exc}); a sweep file names a scenario .toml file beside it (or below it) or in the "
                         "shipped scenarios/ folder") from None
    if not scenario.is_file():
        near = schema.closest(scenario.name, sorted(p.name for p in scenario.parent.glob("*.toml")))
        raise SweepError(f"{path}: sweep.scenario: {_shown(sw['scenario'])}: no such scenario file{near}")
    sampler = get("sampler")
    for key, only in ONLY.items():
        if key in sw and sampler != only:
            raise SweepError(f"{path}: sweep.{key}: only the {only} sampler reads it, and this sweep's sampler is "
                             f"{sampler}; remove it or use sampler = \"{only}\"")
    if sampler == "morris" and get("levels") % 2:
        raise SweepError(f"{path}: sweep.levels: {get('levels')} is not allowed; allowed: an even whole number in "
                         "[2, 100] (Morris grids need an even number of levels)")
    params, factors = [], []
    for p, table in doc["parameters"].items():
        where = f"{path}: parameters.{p}"
        levels = tuple(table.get("levels", ()))
        if not drawn_path(p):  # a structural choice: swept over its levels through the loader
            if not levels or "low" in table or "high" in table:
                raise SweepError(f"{where}: a structural choice is swept over `levels` "
                                 "(e.g. levels = [\"rotation\", \"random\"]), not low/high")
            factors.append(Factor(p, levels))
            continue
        for x in levels:
            if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(float(x)):
                raise SweepError(f"{where}.levels: a drawn parameter's levels are numbers in its range, got {_shown(x)}")
        low = table.get("low", min(levels) if levels else None)
        high = table.get("high", max(levels) if levels else None)
        if low is None or high is None:
            raise SweepError(f"{where}: give low and high (or levels)")
        params.append(ParamRange(p, float(low), float(high), tuple(float(v) for v in levels)))
    spec = SweepSpec(scenario=str(scenario), params=tuple(params), sampler=sampler, points=get("points"),
                     runs=get("runs"), seed=get("seed"), metrics=tuple(get("metrics") or ()),
                     second_order=get("second_order"), morris_levels=get("levels"), origin=str(path),
                     factors=tuple(factors), keep_runs=get("keep_runs"))
    validate(spec)
    return spec


def _shown(v) -> str:
    r = repr(v)
    return r if len(r) <= 60 else r[:57] + "..."
