"""A second model family: Bueno de Mesquita's expected-utility ("challenge") model, on the same
scenario files and the same per-run draws as the agent-based model (docs/model.md, section 8).

    challenge.py  the equations on arrays of games (one issue each): the model itself
    issues.py     a scenario's runs as games (a clause or a demand is an issue) and the
                  forecast package under the agenda
    verdict.py    is the forecast package a deal every party at the table could sign?
"""

from __future__ import annotations

import numpy as np

from ..layout import Layout
from ..params import RunParams
from .challenge import Readings
from .issues import Forecast, Options, forecast
from .verdict import Reason, Verdict, judge, within_red_lines

__all__ = ["Forecast", "Options", "Readings", "Reason", "Verdict", "answer", "columns", "forecast", "judge"]

REASON_NAMES = {Reason.COMPATIBLE: "", Reason.RED_LINE: "red line", Reason.OUTSIDE_OPTION: "outside option"}


def answer(lay: Layout, p: RunParams, options: Options = Options()) -> tuple[Forecast, Verdict]:
    """The model's forecast for every run and whether it is deal-compatible."""
    fc = forecast(lay, p, options)
    return fc, judge(lay, p, fc.package)


def columns(lay: Layout, p: RunParams, fc: Forecast, v: Verdict) -> dict[str, np.ndarray]:
    """The model's per-run answer as run-table columns (one entry per run):
    bdm.compatible, bdm.reason ("", "red line" or "outside option"), bdm.party and bdm.clause
    (who could not sign, over what; "" if compatible), bdm.settled (every issue stable before the
    round cap), bdm.within_red_lines (compatible once each clause is held inside the red lines:
    a diagnostic), and bdm.value.<clause> (the forecast package)."""
    held = judge(lay, p, within_red_lines(lay, p, fc.package)).compatible
    cols = {
        "bdm.compatible": v.compatible,
        "bdm.reason": np.array([REASON_NAMES[Reason(r)] for r in v.reason], dtype=object),
        "bdm.party": _names(lay.actors, v.party),
        "bdm.clause": _names(lay.clauses, v.clause),
        "bdm.settled": fc.converged.all(axis=1),
        "bdm.within_red_lines": held,
    }
    for j, c in enumerate(lay.clauses):
        cols[f"bdm.value.{c}"] = fc.package[:, j]
    return cols


def _names(names: tuple[str, ...], index: np.ndarray) -> np.ndarray:
    """Ids for indices, "" for -1 (none)."""
    return np.array(list(names) + [""], dtype=object)[index]
