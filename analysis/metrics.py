"""Per-run outcome metrics, defined once: agreement and walkout by the day the record says the
talks ended (day 69) and by the horizon, as 0/1 arrays over runs."""

from __future__ import annotations

import numpy as np

from analysis.study import TALKS_ENDED_DAY
from sim.codes import AGREEMENT, WALKOUT

METRICS = ("agreement_by_day_69", "walkout_by_day_69", "agreement_by_horizon", "walkout_by_horizon")


def metric_label(metric: str, horizon_days: float | None) -> str:
    """Words for one of METRICS, naming its day: 'P(agreement by day 364, the horizon)'.
    horizon_days None: the scenarios compared have different horizons."""
    kind, _, when = metric.partition("_by_")
    if when != "horizon":
        return f"P({kind} by day {TALKS_ENDED_DAY})"
    return f"P({kind} by day {horizon_days:g}, the horizon)" if horizon_days is not None \
        else f"P({kind} by each scenario's horizon)"


def run_metrics(layout, out: dict) -> dict[str, np.ndarray]:
    """Per-run 0/1 outcomes of one batch (engine.play's outcome arrays), by day 69 and by the horizon."""
    days = layout.end_day(out["rounds"])
    agree, walk = out["outcome"] == AGREEMENT, out["outcome"] == WALKOUT
    early = days <= TALKS_ENDED_DAY
    return {"agreement_by_day_69": (agree & early).astype(np.int8), "walkout_by_day_69": (walk & early).astype(np.int8),
            "agreement_by_horizon": agree.astype(np.int8), "walkout_by_horizon": walk.astype(np.int8)}
