"""A second model family: Bueno de Mesquita's expected-utility ("challenge") model, on the same
scenario files and the same per-run draws as the agent-based model (docs/model.md, section 8).

    challenge.py  the equations on arrays of games (one issue each): the model itself
    issues.py     a scenario's runs as games (a clause or a demand is an issue) and the
                  forecast package under the agenda
    verdict.py    is the forecast package a deal every party at the table could sign?
"""

from __future__ import annotations

from ..layout import Layout
from ..params import RunParams
from .challenge import Readings
from .issues import Forecast, Options, forecast
from .verdict import Reason, Verdict, judge

__all__ = ["Forecast", "Options", "Readings", "Reason", "Verdict", "forecast", "judge", "answer"]


def answer(lay: Layout, p: RunParams, options: Options = Options()) -> tuple[Forecast, Verdict]:
    """The model's forecast for every run and whether it is deal-compatible."""
    fc = forecast(lay, p, options)
    return fc, judge(lay, p, fc.package)
