"""Structural levels of a sweep against its first level, paired by design point.

A sweep crosses each structural choice (a factor: proposer rule, walkout rules, ...) with the same
numeric design, and every point plays the same runs of the same root seed.  So point i under level
L and point i under the first level differ only by the level: their difference d_i is paired.  The
difference between levels is the mean of d_i over the design, with a t interval across the points:
it covers how the difference varies over the design as well as the Monte Carlo noise of each point
(both are in the spread of the d_i), which is what "across the sweep" means.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from .stats import Estimate


@dataclass(frozen=True)
class LevelDifference:
    level: str
    mean: float  # the metric's mean over the design at this level
    difference: Estimate | None  # against the first level; None for the first level itself
    pairs: int


def level_differences(table: pd.DataFrame, factor: str, factors: list[str], metric: str,
                      n_design: int) -> list[LevelDifference]:
    """Per level of `factor`, its mean and its paired difference from the first level: points
    matched by their design row (point id modulo the design size) and every other factor's level."""
    t = table.assign(_row=table["point"].to_numpy() % n_design)
    keys = ["_row"] + [f for f in factors if f != factor]
    levels = list(dict.fromkeys(t[factor]))
    first = t[t[factor] == levels[0]].set_index(keys)[metric]
    out = [LevelDifference(str(levels[0]), float(first.mean()), None, len(first))]
    for level in levels[1:]:
        other = t[t[factor] == level].set_index(keys)[metric]
        d = (other - first.reindex(other.index)).dropna().to_numpy(float)
        if len(d) < 2:
            est = Estimate(float(d.mean()) if len(d) else float("nan"), float("nan"), float("nan"))
        else:
            half = sps.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
            est = Estimate(float(d.mean()), float(d.mean() - half), float(d.mean() + half))
        out.append(LevelDifference(str(level), float(other.mean()), est, len(d)))
    return out
