"""The record as a reference pattern: how the model's runs stand by the days of Jan-Feb 2022
next to what happened.  Nothing in any scenario was fitted to these outcomes.

What happened (analysis.study.RECORD): no agreement, and the talks ended by day 69 (24 Feb 2022)
with military action, after Russia's reply of day 62.  In the model, talks end either in a deal
or in a walkout; the record is read as "no deal, and a walkout by Russia by day 69".  Its
timing is read as "that walkout came on day 62 or later", after Russia's reply.  A walkout is
judged after a meeting, so in a scenario that meets only on listed days it falls on one of them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.codes import Outcome

from .stats import proportion
from .study import REPLIES_DAY, RUSSIA_REPLY_DAY, TALKS_ENDED_DAY

DAYS = (REPLIES_DAY, RUSSIA_REPLY_DAY, TALKS_ENDED_DAY)
RECORD_DAY, REPLY_DAY = TALKS_ENDED_DAY, RUSSIA_REPLY_DAY
WALKER = "russia"


def record_rows(label: str, variant: str, outcome: np.ndarray, days: np.ndarray, walker: np.ndarray) -> list[dict]:
    """One row per quantity for a set of runs: by each day of DAYS the shares that agreed, broke
    off and were still talking; then the share matching the record, and the share matching it
    with its timing.  outcome: labels; days: the day each run ended (its last meeting);
    walker: who walked out ('' if nobody).  Shares carry Wilson 95% intervals (Monte Carlo noise)."""
    n = len(outcome)
    agreed, walked = outcome == Outcome.AGREEMENT, outcome == Outcome.WALKOUT
    rows = []

    def add(quantity: str, day: float, hits: np.ndarray) -> None:
        e = proportion(int(hits.sum()), n)
        rows.append({"scenario": label, "variant": variant, "quantity": quantity, "day": float(day),
                     "share": e.value, "low": e.low, "high": e.high, "runs": n})

    for day in DAYS:
        add("agreement", day, agreed & (days <= day))
        add("walkout", day, walked & (days <= day))
        add("still talking", day, ~((agreed | walked) & (days <= day)))
    record = walked & (walker == WALKER) & (days <= RECORD_DAY)
    add("record", RECORD_DAY, record)
    add("record, after Russia's reply", RECORD_DAY, record & (days >= REPLY_DAY))
    return rows


def wide(rows: list[dict] | pd.DataFrame) -> pd.DataFrame:
    """The long table as one row per scenario and variant, a column per quantity and day."""
    t = pd.DataFrame(rows)
    t["column"] = [q if q.startswith("record") else f"{q} by day {d:g}" for q, d in zip(t["quantity"], t["day"])]
    return t.pivot_table(index=["scenario", "variant"], columns="column", values="share", sort=False)
