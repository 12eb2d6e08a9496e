"""Scenario discovery: the box of drawn inputs where an outcome concentrates (issue 13, item 4).

`discover(inputs, outcome)` runs PRIM (Friedman & Fisher 1999, as used for scenario discovery by
Bryant & Lempert 2010) on a run table: one row per run, one column per drawn input (named
`input.<dotted scenario path>`), and a True/False outcome per run.  `describe` turns the result
into one sentence with the inputs' meanings.

Engine: EMA workbench's PRIM (`ema_workbench.analysis.prim`, 2.5.x on Python 3.11; BSD-3).  It
peels and pastes, handles numeric and categorical inputs, and gives coverage, density, mass and
one-sided binomial quasi-p-values for every restriction of every box on the peeling trajectory.
It is deterministic (no random draws).  This module adds what the workbench leaves to a person
at a notebook: input checks with one clear message, a stated rule that picks one box from the
trajectory, pasting of that box, and plain-words output.  Notes on 2.5.3 with pandas 3:
integer inputs are handed over as floats (its pasting writes fractional limits into the box
table, which pandas 3 refuses for an integer column), and `PrimBox.inspect` is not used (it fails
on categorical limits); limits and quasi-p-values are read from `box_lims` and `qp`.  The
workbench is imported on first use, so importing this module stays cheap.  Pasting a chosen
step calls `Prim._paste` (what `find_box` itself calls after peeling); hence the pin to 2.5.x
(`ema-workbench>=2.5.3,<3`): 3.x needs Python 3.12 and reorganised these classes.

Choosing the box (`rule`).  The peeling trajectory runs from all runs (coverage 1, density = the
base rate) to a small, dense box.  A step is a *candidate* when it restricts at least one input,
every one of its restrictions has a quasi-p-value <= `qp_max` (default 0.05: dropping that
restriction would lower the density by more than chance), its density is above the base rate
(and >= `threshold` if given) and its coverage >= `min_coverage`.  Among candidates:

* ``rule="f1"`` (default): the highest harmonic mean of coverage and density (the F1 score of
  the box read as a classifier of the runs with the outcome), i.e. the balance point between
  "holds most of the cases" and "the outcome is frequent inside";
* ``rule="density"``: the highest density at coverage >= `min_coverage` (default 0.5 for this
  rule).

Ties go to fewer restricted inputs, then to the larger box.  The chosen step is then pasted
(PRIM's pasting phase: widen a restriction while that raises the density).  When no step is a
candidate, `Discovery.found` is False and `describe` says so.

Cost, measured on the 2-core machine (benchmarks/bench_discovery.py): 100,000 runs x 30 inputs
take about 4 s (3.5-6 s under load), plus 2-3 s for the first import of the workbench in a
process.  Peak memory is about 1.7 GB there: the workbench's peeling recurses once per step and
keeps each step's candidate peels (row indices, 2 per input) alive, so memory grows with runs x
inputs x steps; a smaller `peel_alpha` means more steps.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from sim import schema
from sim.codes import Outcome
from storage.text import plural

PREFIX = "input."
RULES = ("f1", "density")
# Handed to EMA's PRIM as `threshold`: in binary mode it counts rows with y >= threshold as cases
# of interest, and returns an empty "dump box" when the final box's mean is below it.  Any value
# in (0, 1] counts exactly the True rows; a tiny one never dumps a box that holds a case.
_EMA_THRESHOLD = 1e-12


# ===================================================================================== result


@dataclass(frozen=True)
class Discovery:
    """What `discover` found.

    trajectory: one row per PRIM step (step, phase 'start'/'peel'/'paste', coverage, density,
        mass, n runs in the box, k runs with the outcome in it, restricted = number of restricted
        inputs, restricted_inputs = their names, qp_max = the largest quasi-p-value among them,
        f1, candidate = whether the step may be chosen, see the module doc).
    chosen_step: the trajectory step the chosen box starts from (None when nothing was found).
    box: one row per restricted input of the chosen box, most significant first: input, label,
        kind ('numeric'/'categorical'), lower/upper (NaN on an unrestricted side), full_lower /
        full_upper (the range over all runs), values / all_values (categorical: levels kept /
        all levels), qp_lower / qp_upper / qp (one-sided binomial quasi-p-values; qp is the
        larger of the restricted sides), density_without / coverage_without (the box's density
        and coverage with this restriction dropped).
    coverage, density, mass: of the chosen box (after pasting).
    """

    trajectory: pd.DataFrame
    chosen_step: int | None
    box: pd.DataFrame
    coverage: float
    density: float
    mass: float
    n_runs: int
    n_cases: int
    n_in_box: int
    n_cases_in_box: int
    pasting_steps: int
    rule: str
    settings: dict[str, Any]
    labels: dict[str, str] = field(default_factory=dict)
    dropped: tuple[str, ...] = ()
    integer_inputs: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        return self.chosen_step is not None

    @property
    def base_rate(self) -> float:
        return self.n_cases / self.n_runs

    @property
    def restricted(self) -> list[str]:
        return list(self.box["input"])

    def in_box(self, inputs: pd.DataFrame) -> np.ndarray:
        """True for each row of `inputs` (same columns as the table searched) inside the box."""
        missing = [c for c in self.restricted if c not in inputs.columns]
        if missing:
            raise ValueError(f"the table has no column {missing[0]!r}, which the box restricts")
        return _mask(inputs, self.box.to_dict("records"))


# ===================================================================================== checks


def _fail(message: str):
    raise ValueError(message)


def _outcome(inputs: pd.DataFrame, outcome) -> tuple[pd.DataFrame, np.ndarray, str]:
    """(inputs without the outcome column, outcome as a bool array, outcome's name)."""
    name = "outcome"
    if isinstance(outcome, str):
        if outcome not in inputs.columns:
            shown = ", ".join(map(str, list(inputs.columns)[:6])) + (", ..." if inputs.shape[1] > 6 else "")
            _fail(f"outcome column {outcome!r} is not in the table (columns: {shown or 'none'})")
        name = outcome
        values = inputs[outcome]
        inputs = inputs.drop(columns=[outcome])
    else:
        if isinstance(outcome, pd.Series) and outcome.name is not None:
            name = str(outcome.name)
        values = outcome
    y = np.asarray(values)
    if y.ndim == 1 and y.dtype == object and pd.isna(y).any():
        _fail(f"outcome {name!r} is missing in {int(pd.isna(y).sum())} runs; drop those runs first")
    if y.ndim != 1:
        _fail(f"outcome must be one True/False value per run, got an array of shape {y.shape}")
    if len(y) != len(inputs):
        _fail(f"outcome has {len(y)} values but the table has {len(inputs)} runs")
    if y.dtype != bool:
        try:
            yf = y.astype(float)
        except (TypeError, ValueError):
            _fail(f"outcome {name!r} must be True/False (or 1/0) per run, got values such as {y[0]!r}")
        if np.isnan(yf).any():
            _fail(f"outcome {name!r} is missing (NaN) in {int(np.isnan(yf).sum())} runs; drop those runs first")
        odd = ~np.isin(yf, (0.0, 1.0))
        if odd.any():
            _fail(f"outcome {name!r} must be True/False (or 1/0) per run, got values such as {y[odd][0]!r}")
        y = yf == 1.0
    k = int(y.sum())
    if len(y) == 0:
        _fail("the table has no runs")
    if k in (0, len(y)):
        _fail(f"outcome {name!r} is {bool(k)} in all {len(y)} runs; discovery needs runs with and without it")
    return inputs, y, name


def _kind(s: pd.Series) -> str | None:
    if pd.api.types.is_bool_dtype(s.dtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_complex_dtype(s.dtype):
        return "numeric"
    if isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(s.dtype) \
            or pd.api.types.is_string_dtype(s.dtype):
        return "categorical"
    return None


def _prepare(inputs: pd.DataFrame, outcome):
    """Checked copy of the table for PRIM: numeric columns as float64, categorical ones as
    strings; constant columns dropped.  Returns (x, y, outcome name, kinds, integer columns,
    dropped columns)."""
    if not isinstance(inputs, pd.DataFrame):
        _fail(f"inputs must be a pandas DataFrame (one row per run), got {type(inputs).__name__}")
    if inputs.columns.has_duplicates:
        _fail(f"input column {inputs.columns[inputs.columns.duplicated()][0]!r} appears twice")
    inputs, y, name = _outcome(inputs, outcome)
    if inputs.shape[1] == 0:
        _fail("no input columns to search (expected columns such as input.actors.russia.outside_option)")
    x = inputs.reset_index(drop=True).copy()
    x.columns = [str(c) for c in x.columns]
    kinds, integers, dropped = {}, [], []
    for c in x.columns:
        s = x[c]
        kind = _kind(s)
        if kind is None:
            _fail(f"input column {c!r} has dtype {s.dtype}; discovery takes numeric or categorical columns")
        nan = int(s.isna().sum())
        if nan:
            _fail(f"input column {c!r} is missing (NaN) in {nan} of {len(s)} runs; drop or fill those runs first")
        if kind == "numeric":
            v = s.to_numpy(dtype=float)
            if not np.isfinite(v).all():
                _fail(f"input column {c!r} has infinite values in {int((~np.isfinite(v)).sum())} runs")
            if pd.api.types.is_integer_dtype(s.dtype):
                integers.append(c)
            x[c] = v
        else:
            x[c] = s.astype(str).astype(object)
        if x[c].nunique() < 2:
            dropped.append(c)
        kinds[c] = kind
    x = x.drop(columns=dropped)
    if x.shape[1] == 0:
        _fail(f"none of the {len(dropped)} input columns varies between runs; nothing to search")
    return x, y, name, {c: kinds[c] for c in x.columns}, integers, dropped


# ===================================================================================== boxes


def _mask(x: pd.DataFrame, restrictions) -> np.ndarray:
    """Rows of x inside the box given by `restrictions` (dicts with input, kind, lower, upper,
    values); bounds are inclusive, as in the workbench."""
    inside = np.ones(len(x), dtype=bool)
    for r in restrictions:
        col = x[r["input"]]
        if r["kind"] == "categorical":
            inside &= col.astype(str).isin(r["values"]).to_numpy()
        else:
            v = col.to_numpy(dtype=float)
            if not math.isnan(r["lower"]):
                inside &= v >= r["lower"]
            if not math.isnan(r["upper"]):
                inside &= v <= r["upper"]
    return inside


def _qp(values) -> float:
    """The larger quasi-p-value among the restricted sides (the workbench writes -1 for a side
    that is not restricted)."""
    vals = [float(v) for v in values if v is not None and float(v) >= 0]
    return max(vals) if vals else math.nan


def _restrictions(lims: pd.DataFrame, init: pd.DataFrame, qp: Mapping[str, list], kinds, labels):
    rows = []
    for c, q in qp.items():
        kind = kinds[c]
        row = dict(input=c, label=labels.get(c, _default_label(c)), kind=kind,
                   lower=math.nan, upper=math.nan, full_lower=math.nan, full_upper=math.nan,
                   values=None, all_values=None, qp_lower=math.nan, qp_upper=math.nan)
        if kind == "categorical":
            row["values"] = tuple(sorted(map(str, lims.loc[0, c])))
            row["all_values"] = tuple(sorted(map(str, init.loc[0, c])))
            row["qp"] = _qp(q[:1])
        else:
            lo, hi = float(lims.loc[0, c]), float(lims.loc[1, c])
            flo, fhi = float(init.loc[0, c]), float(init.loc[1, c])
            row.update(full_lower=flo, full_upper=fhi)
            if lo != flo:
                row.update(lower=lo, qp_lower=_qp(q[:1]))
            if hi != fhi:
                row.update(upper=hi, qp_upper=_qp(q[1:2]))
            row["qp"] = _qp(q)
        rows.append(row)
    return rows


def _default_label(column: str) -> str:
    return column[len(PREFIX):] if column.startswith(PREFIX) else column


def _f1(coverage, density):
    c, d = np.asarray(coverage, float), np.asarray(density, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(c + d > 0, 2 * c * d / (c + d), 0.0)


def _load_prim():
    """EMA workbench's PRIM module, imported quietly: the workbench warns about optional
    parallel back-ends at import and sets a seaborn palette; neither is ours to keep."""
    import matplotlib  # only to undo the workbench's palette: `negsim run` need not load it

    with warnings.catch_warnings(), matplotlib.rc_context():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim  # heavy (SALib, seaborn): for PRIM only
    return prim


# ===================================================================================== discover


def discover(inputs: pd.DataFrame, outcome, *, rule: str = "f1", threshold: float | None = None,
             min_coverage: float | None = None, qp_max: float = 0.05, mass_min: float = 0.05,
             peel_alpha: float = 0.05, paste_alpha: float = 0.05,
             labels: Mapping[str, str] | None = None) -> Discovery:
    """Find the box of inputs where `outcome` concentrates (see the module doc for the rule).

    inputs: one row per run, numeric and/or categorical (bool, category, str) columns; every
        column is searched (constant ones are dropped and listed in `Discovery.dropped`).
    outcome: a True/False (or 1/0) array with one value per row, or the name of a column of
        `inputs` that holds it (that column is then not searched).
    rule, threshold, min_coverage, qp_max: how the box is chosen from the trajectory.
    mass_min: smallest share of runs a box may hold; peel_alpha / paste_alpha: share of the
        box's runs removed or added per step.
    labels: column -> meaning, kept for `describe` and the plots.
    """
    if rule not in RULES:
        _fail(f"rule must be one of {', '.join(RULES)}, got {rule!r}")
    for nm, v, lo, hi in (("mass_min", mass_min, 0, 1), ("peel_alpha", peel_alpha, 0, 0.5),
                          ("paste_alpha", paste_alpha, 0, 0.5), ("qp_max", qp_max, 0, 1)):
        if not (lo < v <= hi):
            _fail(f"{nm} must be in ({lo}, {hi}], got {v}")
    if min_coverage is None:
        min_coverage = 0.5 if rule == "density" else 0.0
    if not 0 <= min_coverage <= 1:
        _fail(f"min_coverage must be in [0, 1], got {min_coverage}")
    x, y, name, kinds, integers, dropped = _prepare(inputs, outcome)
    labels = dict(labels or {})
    n, k = len(y), int(y.sum())
    base = k / n

    prim = _load_prim()
    # The workbench sees the columns as c0, c1, ...: it silently drops a column named
    # "scenario", and the names go back on everything read from it below.
    names = dict(zip((f"c{i}" for i in range(x.shape[1])), x.columns))
    with warnings.catch_warnings():
        # 2.5.3 calls DataFrame.drop(inplace=True), deprecated in pandas 3.1; not ours to show.
        warnings.filterwarnings("ignore", module=r"ema_workbench\.")
        p = prim.Prim(x.set_axis(list(names), axis=1), y.astype(int), threshold=_EMA_THRESHOLD,
                      peel_alpha=peel_alpha, paste_alpha=paste_alpha, mass_min=mass_min)
        box = p.find_box()

    traj = box.peeling_trajectory
    steps = len(traj)
    mass = traj["mass"].to_numpy(float)
    phase = ["start"] + ["peel" if mass[i] < mass[i - 1] else "paste" for i in range(1, steps)]
    restricted = [[names[c] for c in box.qp[i]] for i in range(steps)]
    qp_max_step = [max((_qp(v) for v in box.qp[i].values()), default=math.nan) for i in range(steps)]
    table = pd.DataFrame({
        "step": np.arange(steps),
        "phase": phase,
        "coverage": traj["coverage"].to_numpy(float),
        "density": traj["density"].to_numpy(float),
        "mass": mass,
        "n": traj["n"].to_numpy(int),
        "k": traj["k"].to_numpy(int),
        "restricted": [len(r) for r in restricted],
        "restricted_inputs": [", ".join(r) for r in restricted],
        "qp_max": qp_max_step,
    })
    table["f1"] = _f1(table["coverage"], table["density"])
    cand = ((table["restricted"] > 0) & (table["qp_max"] <= qp_max) & (table["density"] > base)
            & (table["coverage"] >= min_coverage))
    if threshold is not None:
        cand &= table["density"] >= threshold
    table["candidate"] = cand.to_numpy()

    settings = dict(rule=rule, threshold=threshold, min_coverage=min_coverage, qp_max=qp_max,
                    mass_min=mass_min, peel_alpha=peel_alpha, paste_alpha=paste_alpha, outcome=name)
    rule_text = _rule_text(rule, qp_max, min_coverage, threshold)
    common = dict(trajectory=table, rule=rule_text, settings=settings, labels=labels,
                  dropped=tuple(dropped), integer_inputs=tuple(integers), inputs=tuple(x.columns),
                  n_runs=n, n_cases=k)
    if not cand.any():
        empty = pd.DataFrame(columns=["input", "label", "kind", "lower", "upper", "full_lower",
                                      "full_upper", "values", "all_values", "qp_lower", "qp_upper",
                                      "qp", "density_without", "coverage_without"])
        return Discovery(chosen_step=None, box=empty, coverage=1.0, density=base, mass=1.0,
                         n_in_box=n, n_cases_in_box=k, pasting_steps=0, **common)

    c = table[cand]
    score = c["f1"] if rule == "f1" else c["density"]
    order = pd.DataFrame({"score": score, "res": c["restricted"], "mass": c["mass"], "step": c["step"]})
    best = int(order.sort_values(["score", "res", "mass", "step"],
                                 ascending=[False, True, False, True]).iloc[0]["step"])

    # Pasting of the chosen step: a fresh PrimBox that starts from all runs (its first limits are
    # the reference for quasi-p-values) and moves to the chosen step's limits, then the
    # workbench's pasting phase (`Prim._paste`, the call `find_box` makes after peeling).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"ema_workbench\.")
        box.select(best)
        start = prim.PrimBox(p, p.box_init, p.yi_remaining)
        start.update(box.box_lims[best], box.yi)
        final = p._paste(start)
    lims, init = final.box_lims[-1].rename(columns=names), p.box_init.rename(columns=names)
    qp = {names[c]: v for c, v in final.qp[-1].items()}
    rows = _restrictions(lims, init, qp, kinds, labels)
    inside = _mask(x, rows)
    n_in, k_in = int(inside.sum()), int(y[inside].sum())
    for r in rows:
        without = _mask(x, [o for o in rows if o is not r])
        r["density_without"] = float(y[without].mean())
        r["coverage_without"] = float(y[without].sum() / k)
    boxtable = pd.DataFrame(rows).sort_values(["qp", "density_without"], kind="stable").reset_index(drop=True)
    return Discovery(chosen_step=best, box=boxtable, coverage=k_in / k, density=k_in / n_in,
                     mass=n_in / n, n_in_box=n_in, n_cases_in_box=k_in,
                     pasting_steps=len(final.peeling_trajectory) - 2, **common)


def _rule_text(rule: str, qp_max: float, min_coverage: float, threshold: float | None) -> str:
    what = ("the highest harmonic mean of coverage and density (F1)" if rule == "f1"
            else "the highest density")
    cond = [f"every restriction has quasi-p <= {qp_max:g}", "density above the base rate"]
    if min_coverage > 0:
        cond.append(f"coverage >= {min_coverage:g}")
    if threshold is not None:
        cond.append(f"density >= {threshold:g}")
    return (f"the peeling-trajectory step with {what} among steps where {', '.join(cond)}; "
            "ties to fewer restricted inputs; then pasted")


# ===================================================================================== words


def _pct(v: float) -> str:
    p = 100 * v
    if p != 0 and abs(p) < 1:
        return f"{p:.1f}%"
    return f"{p:.0f}%"


def _num(v: float) -> str:
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 10:
        return f"{v:.0f}"
    return f"{v:.2g}"


def _value(v: float, unit) -> str:
    if callable(unit):
        return unit(v)
    return f"{_num(v)} {unit}" if unit else _num(v)


def _condition(r: Mapping, integer: bool, unit) -> str:
    if r["kind"] == "categorical":
        vals = list(r["values"])
        return " or ".join(vals) if len(vals) < 3 else ", ".join(vals[:-1]) + " or " + vals[-1]
    lo, hi = r["lower"], r["upper"]
    has_lo, has_hi = not math.isnan(lo), not math.isnan(hi)
    if integer:
        lo_s = _value(float(math.ceil(lo)), unit) if has_lo else ""
        hi_s = _value(float(math.floor(hi)), unit) if has_hi else ""
        if has_lo and has_hi:
            return f"from {lo_s} to {hi_s}"
        return f"at least {lo_s}" if has_lo else f"at most {hi_s}"
    if has_lo and has_hi:
        return f"between {_value(lo, unit)} and {_value(hi, unit)}"
    return f"over {_value(lo, unit)}" if has_lo else f"under {_value(hi, unit)}"


def _phrase(label: str, condition: str) -> str:
    """'<label> is <condition>', or the label with '{}' replaced ("Russia's military alternative
    is worth {}" -> "... is worth under 0.24")."""
    if "{}" in label:
        return label.replace("{}", condition, 1)
    return f"{label} is {condition}"


def _join(parts: list[str]) -> str:
    if len(parts) <= 2:
        return " and ".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def describe(discovery: Discovery, outcome_label: str, labels: Mapping[str, str] | None = None,
             units: Mapping[str, str | Callable[[float], str]] | None = None, *,
             cases: str | None = None) -> str:
    """The chosen box in plain words, e.g.

    "a deal forms in 61% of runs where Russia's military alternative is worth under 0.24 and its
    deadline is over 77 days; these runs hold 38% of all deals (runs in the box: 22% of all;
    rate over all runs: 35%)"

    outcome_label: the outcome as a clause ("a deal forms"); cases: the outcome's runs as a
    plural noun ("deals"; default "runs where <outcome_label>").  labels: column -> meaning,
    either a noun phrase ("Russia's deadline" -> "Russia's deadline is over 77") or a phrase
    with '{}' where the condition goes ("Russia's military alternative is worth {}"); defaults
    to the labels given to `discover`, then to the column name without 'input.'.  units:
    column -> a unit after the number ("days") or a function value -> text (e.g. days to weeks).
    Integer inputs read "at least"/"at most" whole numbers.  Restrictions come most
    significant (smallest quasi-p) first.
    """
    labels = {**discovery.labels, **(labels or {})}
    units = dict(units or {})
    cases = cases or f"runs where {outcome_label}"
    d = discovery
    if not d.found:
        return (f"no box of the drawn inputs was found where {outcome_label} markedly more often than "
                f"overall ({_pct(d.base_rate)} of {plural(d.n_runs, 'run')}): no step of the peeling trajectory "
                f"had every restriction significant (quasi-p <= {d.settings['qp_max']:g})")
    parts = []
    for r in d.box.to_dict("records"):
        label = labels.get(r["input"], _default_label(r["input"]))
        parts.append(_phrase(label, _condition(r, r["input"] in d.integer_inputs, units.get(r["input"]))))
    return (f"{outcome_label} in {_pct(d.density)} of runs where {_join(parts)}; these runs hold "
            f"{_pct(d.coverage)} of all {cases} (runs in the box: {_pct(d.mass)} of all; "
            f"rate over all runs: {_pct(d.base_rate)})")


def input_labels(columns) -> dict[str, str]:
    """'input.actors.russia.outside_option' -> "russia's outside_option (utility of walking out ...)",
    from the schema's one line of documentation for the field."""
    out = {}
    for col in columns:
        parts = col.removeprefix("input.").split(".")
        actor, rest = parts[1], parts[2:]
        if rest[:1] == ["clauses"] or rest[:1] == ["demands"]:
            kind = rest[0]
            field = ".".join(rest[2:]) if kind == "demands" else rest[-1] if rest[-2] != "red_line" else "red_line." + rest[-1]
            thing = ".".join(rest[1:-1]) if kind == "demands" or rest[-2] != "red_line" else ".".join(rest[1:-2])
            pattern = f"actors.*.{kind}.*.{field}"
            where = f" on {thing}"
        else:
            field, pattern, where = ".".join(rest), "actors.*." + ".".join(rest), ""
        doc = schema.BY_PATH[pattern].doc if pattern in schema.BY_PATH else ""
        out[col] = f"{actor}'s {field.replace('_', ' ')}{where}" + (f" ({doc.split(';')[0]})" if doc else "")
    return out


def conditions_in_words(runs: pd.DataFrame, outcome: str = "agreement", max_rows: int = 100_000) -> str | None:
    """'Under what conditions', in words: the PRIM box of drawn inputs (`input.*` columns) where
    `outcome` (agreement, walkout or persist, by the horizon) concentrates; None if the table keeps
    no drawn inputs or the outcome does not vary.  Above max_rows a fixed, evenly spaced subset."""
    inputs = [c for c in runs.columns if c.startswith("input.")]
    if not inputs:
        return None
    if len(runs) > max_rows:
        runs = runs.iloc[np.linspace(0, len(runs) - 1, max_rows).astype(int)]
    o = runs["outcome"].astype(str).to_numpy()
    y = {"agreement": o == Outcome.AGREEMENT, "walkout": o == Outcome.WALKOUT, "persist": o != Outcome.WALKOUT}[outcome]
    if y.all() or not y.any():
        return None
    labels = input_labels(inputs)
    found = discover(runs[inputs], y, labels=labels)
    what = {"agreement": "a deal forms", "walkout": "a party walks out", "persist": "the talks persist"}[outcome]
    return describe(found, what, labels, cases=f"runs where {what}")
