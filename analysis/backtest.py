"""The record as a reference pattern: how the model's runs stand by the days of Jan-Feb 2022
next to what happened.  Nothing in any scenario was fitted to these outcomes.

What happened (analysis.study): the talks were still on at the first meeting (day 24), at the
written replies (day 40) and at Russia's reply (day 62); there was no agreement; and they ended
between Russia's reply and the invasion (day 69).  In the model talks end in a deal or a walkout,
so the record's path is: still on at each of STILL_ON_DAYS, then a walkout by Russia on a day
from RUSSIA_REPLY_DAY to TALKS_ENDED_DAY, with no deal.  A walkout before day 62 is not the
record, however soon after it the invasion came.  A walkout is judged after a meeting, so a run
ends on a meeting day; "still on at day D" means it had not ended before day D.

Two proper scores over the day the talks broke down:
- the log score, ln P(record path): the log of the runs' probability mass on the interval that
  holds the record's end (Russia's walkout in days 62-69; every other ending, in any other
  interval, is a miss).  Closer to 0 is better; it is -inf when no run follows the path.
- the CRPS of the day Russia broke the talks off against day 69, in days: the integral over days 0
  to the horizon of (F(t) - 1{t >= 69})^2, F the share of runs in which Russia had walked out by
  day t.  A run that ends otherwise (a deal, another party's walkout, still talking) never has
  Russia break off within the horizon: it is counted beyond it (right-censored at the horizon),
  which the integral up to the horizon handles exactly (a threshold-weighted CRPS, proper for the
  day censored at the horizon).  Lower is better; 0 only if every run broke off on day 69.  Unlike
  the log score it rewards a walkout on day 60 over one on day 0.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.codes import Outcome

from .stats import proportion
from .study import REPLIES_DAY, RUSSIA_REPLY_DAY, STILL_ON_DAYS, TALKS_ENDED_DAY

DAYS = (REPLIES_DAY, RUSSIA_REPLY_DAY, TALKS_ENDED_DAY)
WALKER = "russia"
PATH = "record path"


def still_on(outcome: np.ndarray, days: np.ndarray, day: float) -> np.ndarray:
    """Runs that had not ended (in a deal or a walkout) before `day`."""
    ended = (outcome == Outcome.AGREEMENT) | (outcome == Outcome.WALKOUT)
    return ~(ended & (days < day))


def record_path(outcome: np.ndarray, days: np.ndarray, walker: np.ndarray) -> np.ndarray:
    """Runs that follow the record: still on at each of STILL_ON_DAYS, then a Russian walkout on a
    day from RUSSIA_REPLY_DAY to TALKS_ENDED_DAY (no deal)."""
    on = np.logical_and.reduce([still_on(outcome, days, d) for d in STILL_ON_DAYS])
    broke = (outcome == Outcome.WALKOUT) & (walker == WALKER)
    return on & broke & (days >= RUSSIA_REPLY_DAY) & (days <= TALKS_ENDED_DAY)


def crps_breakdown(outcome: np.ndarray, days: np.ndarray, walker: np.ndarray, horizon: float,
                   observed: float = TALKS_ENDED_DAY) -> float:
    """CRPS, in days, of the day Russia broke the talks off against `observed` (module doc):
    the integral over [0, horizon] of (F(t) - 1{t >= observed})^2, F right-continuous."""
    n = len(outcome)
    if n == 0:
        return math.nan
    broke = (outcome == Outcome.WALKOUT) & (walker == WALKER) & (days <= horizon)
    t = np.sort(days[broke].astype(float))
    cuts = np.unique(np.concatenate([[0.0, float(observed), float(horizon)], t]))
    cuts = cuts[(cuts >= 0) & (cuts <= horizon)]
    start, width = cuts[:-1], np.diff(cuts)
    f = np.searchsorted(t, start, side="right") / n  # share broken off by each piece's start
    step = (start >= observed).astype(float)
    return float(((f - step) ** 2 * width).sum())


def record_rows(label: str, variant: str, outcome: np.ndarray, days: np.ndarray, walker: np.ndarray,
                horizon: float) -> list[dict]:
    """One row per quantity for a set of runs: by each day of DAYS the shares that agreed, broke
    off and were still talking; the shares still on at each of STILL_ON_DAYS; the share on the
    record's path with its log score; and the CRPS of the breakdown day.  outcome: labels; days:
    the day each run ended (its last meeting); walker: who walked out ('' if nobody).  Shares
    carry Wilson 95% intervals (Monte Carlo noise); the scores are point estimates."""
    outcome, walker = np.asarray(outcome).astype(str), np.asarray(walker).astype(str)
    days = np.asarray(days, dtype=float)
    n = len(outcome)
    agreed, walked = outcome == Outcome.AGREEMENT, outcome == Outcome.WALKOUT
    rows = []

    def add(quantity: str, day: float, value: float, low: float = math.nan, high: float = math.nan) -> None:
        rows.append({"scenario": label, "variant": variant, "quantity": quantity, "day": float(day),
                     "share": value, "low": low, "high": high, "runs": n})

    def share(quantity: str, day: float, hits: np.ndarray) -> None:
        e = proportion(int(hits.sum()), n)
        add(quantity, day, e.value, e.low, e.high)

    for day in DAYS:
        share("agreement", day, agreed & (days <= day))
        share("walkout", day, walked & (days <= day))
        share("still talking", day, ~((agreed | walked) & (days <= day)))
    for day in STILL_ON_DAYS:
        share("still on", day, still_on(outcome, days, day))
    path = record_path(outcome, days, walker)
    e = proportion(int(path.sum()), n)
    add(PATH, TALKS_ENDED_DAY, e.value, e.low, e.high)
    add("log score", TALKS_ENDED_DAY, *(_ln(v) for v in (e.value, e.low, e.high)))
    add("crps", TALKS_ENDED_DAY, crps_breakdown(outcome, days, walker, horizon))
    return rows


def _ln(p: float) -> float:
    return math.log(p) if p > 0 else -math.inf


def wide(rows: list[dict] | pd.DataFrame) -> pd.DataFrame:
    """The long table as one row per scenario and variant, a column per quantity and day."""
    t = pd.DataFrame(rows)
    t["column"] = [q if q in (PATH, "log score", "crps") else f"{q} {'at' if q == 'still on' else 'by'} day {d:g}"
                   for q, d in zip(t["quantity"], t["day"])]
    return t.pivot_table(index=["scenario", "variant"], columns="column", values="share", sort=False)
