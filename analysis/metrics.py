"""Outcome metrics, defined once: which runs count toward each share the tool reports.

A share is the fraction of runs for which a 0/1 outcome holds; `hits` says for which, by the
horizon or by a given day (days after 17 Dec 2021; a run ended on the day of its last meeting).
Every summary builds on it: `run`/`compare` shares (analysis.stats.outcome_counts), the shares
by day 69 and the horizon of `explain` (`run_metrics`), the sweep's per-point shares
(experiments.sweep.point_metrics), `robust` and the report.

  agreement         the run ended in a deal
  walkout           a party at the table walked out
  walkout by <a>    actor a walked out
  talks persist     no party at the table walked out (a deal, or still talking)
  ongoing           still talking at the horizon (only by the horizon)

Outcomes may be labels ('agreement', ...) or the kernel's integer codes; walkers labels or
actor indices (with `actors` giving the names).
"""

from __future__ import annotations

import numpy as np

from analysis.study import TALKS_ENDED_DAY
from sim.codes import AGREEMENT, ONGOING, WALKOUT, Outcome

PERSIST = "talks persist"
METRICS = ("agreement_by_day_69", "walkout_by_day_69", "agreement_by_horizon", "walkout_by_horizon")


def share_names(actors) -> list[str]:
    """The shares `run` and `compare` print, in order, for the parties at the table `actors`."""
    return ["agreement", PERSIST, "walkout"] + [f"walkout by {a}" for a in actors] + ["ongoing"]


def _is(outcome: np.ndarray, which: Outcome) -> np.ndarray:
    outcome = np.asarray(outcome)
    if outcome.dtype.kind in "iu":
        return outcome == {Outcome.AGREEMENT: AGREEMENT, Outcome.WALKOUT: WALKOUT, Outcome.ONGOING: ONGOING}[which]
    return outcome.astype(str) == which


def hits(name: str, outcome, walker=None, days=None, day: float | None = None, actors=None) -> np.ndarray:
    """Per run, whether share `name` counts it (module doc), by the horizon (day None) or by `day`
    (needs `days`, the day each run ended).  walker: who walked out, for 'walkout by <a>'."""
    ended = np.ones(np.shape(outcome), bool) if day is None else np.asarray(days, float) <= day
    if name == "agreement":
        return _is(outcome, Outcome.AGREEMENT) & ended
    if name == "walkout":
        return _is(outcome, Outcome.WALKOUT) & ended
    if name == PERSIST:
        return ~(_is(outcome, Outcome.WALKOUT) & ended)
    if name == "ongoing":
        if day is not None:
            raise ValueError("'ongoing' is a share by the horizon; by a day, use 'talks persist' and 'agreement'")
        return _is(outcome, Outcome.ONGOING)
    if name.startswith("walkout by "):
        actor = name.removeprefix("walkout by ")
        w = np.asarray(walker)
        who = (w == list(actors).index(actor)) if w.dtype.kind in "iu" else (w.astype(str) == actor)
        return _is(outcome, Outcome.WALKOUT) & ended & who
    raise ValueError(f"unknown outcome metric {name!r}; known: agreement, walkout, walkout by <actor>, {PERSIST}, "
                     "ongoing")


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
    res = {}
    for m in METRICS:
        kind, _, when = m.partition("_by_")
        res[m] = hits(kind, out["outcome"], days=days, day=None if when == "horizon" else TALKS_ENDED_DAY
                      ).astype(np.int8)
    return res
