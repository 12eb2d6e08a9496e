"""The course of the talks over rounds as competing risks: agreement and walkout end the talks,
and whatever has not ended by round t is still talking.

Every run is followed until it ends (agreement or walkout) or reaches the horizon, so nothing is
censored before the horizon.  With no censoring the Aalen-Johansen estimator of the cumulative
incidence of cause k reduces exactly to the empirical share

    F_k(t) = #{runs that ended by cause k in a round <= t} / n,

and the share still talking is S(t) = 1 - sum_k F_k(t).  Each of these is a binomial proportion
at every t, so its exact-enough pointwise 95% interval is the Wilson score interval (`analysis.stats.wilson`).  A survival library (lifelines'
`AalenJohansenFitter`) would add nothing to the point estimate, would jitter the many tied
(integer) rounds at random, and would give a delta-method log-log interval that is slower and no
better behaved near 0 and 1 than Wilson's; so this module is plain numpy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.codes import Outcome

from .metrics import hits
from .pairing import unpaired
from .stats import wilson  # noqa: F401 (wilson: re-exported)

def _causes(runs: pd.DataFrame, by_actor: bool) -> dict[str, np.ndarray]:
    """Boolean masks, one per cause of ending.  With by_actor, walkouts are split by who left
    (causes "walkout:<actor>")."""
    o = runs["outcome"].astype(str).to_numpy()
    out = {"agreement": o == Outcome.AGREEMENT}
    if by_actor:
        who = runs["walkout_by"].astype(str).to_numpy()
        for a in sorted(set(who[o == Outcome.WALKOUT])):
            out[f"walkout:{a}"] = (o == Outcome.WALKOUT) & (who == a)
    else:
        out["walkout"] = o == Outcome.WALKOUT
    return out


def competing_risks(runs: pd.DataFrame, horizon: int, by_actor: bool = False) -> pd.DataFrame:
    """One row per round t = 0..horizon: `at_risk` (runs still talking when round t starts, t >= 1),
    and for each cause k (agreement, walkout; or walkout:<actor> with by_actor) the runs ending
    by k in round t (`events_k`), its cumulative incidence `cif_k` with Wilson bounds `cif_k_low`,
    `cif_k_high`; then `still_talking` (share of runs not ended by the end of round t) with its
    bounds.  Shares are of all n runs.  Round 0 is the start (nothing has ended)."""
    n = len(runs)
    rounds = runs["rounds"].to_numpy(dtype=np.int64)
    if n and (rounds.min() < 0 or rounds.max() > horizon):
        raise ValueError(f"rounds must lie in 0..{horizon} (the horizon), got {rounds.min()}..{rounds.max()}")
    t = np.arange(horizon + 1)
    table = {"round": t}
    ended = np.zeros(horizon + 1)
    for cause, mask in _causes(runs, by_actor).items():
        events = np.bincount(rounds[mask], minlength=horizon + 1)[: horizon + 1]
        cum = np.cumsum(events)
        ended = ended + cum
        low, high = wilson(cum, n)
        table[f"events_{cause}"] = events
        table[f"cif_{cause}"] = cum / n if n else np.full(len(t), np.nan)
        table[f"cif_{cause}_low"], table[f"cif_{cause}_high"] = low, high
    talking = n - ended
    table["at_risk"] = np.concatenate([[n], talking[:-1]]).astype(np.int64)
    table["still_talking"] = talking / n if n else np.full(len(t), np.nan)
    table["still_talking_low"], table["still_talking_high"] = wilson(talking, n)
    out = pd.DataFrame(table)
    cols = ["round", "at_risk"] + [c for c in out.columns if c not in ("round", "at_risk")]
    return out[cols]


def causes_of(table: pd.DataFrame) -> list[str]:
    """The causes a `competing_risks` table holds, in its column order."""
    return [c.removeprefix("events_") for c in table.columns if c.startswith("events_")]


def meeting_day(rounds, calendar: np.ndarray):
    """The day (after 17 Dec 2021) of the last of `rounds` meetings held, from the scenario's
    meeting calendar (Protocol.calendar(): every round_days from day 0, or the days it lists);
    no meeting held counts as day 0."""
    rounds = np.asarray(rounds)
    return np.where(rounds >= 1, np.asarray(calendar, dtype=float)[np.maximum(rounds - 1, 0)], 0.0)


def meetings_by(day, calendar: np.ndarray):
    """How many meetings of the calendar have been held by the end of `day`."""
    return np.searchsorted(np.asarray(calendar, dtype=float), np.asarray(day, dtype=float) + 1e-9, side="right")


def at_days(table: pd.DataFrame, days, calendar: np.ndarray) -> pd.DataFrame:
    """Rows of a `competing_risks` table at the end of the round that covers each calendar day
    (the meetings held by that day, capped at the horizon), with a `day` column."""
    horizon = int(table["round"].max())
    r = np.minimum(meetings_by(days, calendar), horizon)
    out = table.set_index("round").loc[r].reset_index()
    out.insert(0, "day", np.asarray(days))
    return out


def difference_by_day(a: pd.DataFrame, b: pd.DataFrame, days, pairing=None) -> pd.DataFrame:
    """B - A in the share of runs that ended in agreement, and in walkout, on or before each day
    (days after 17 Dec 2021): paired run by run if `pairing` (analysis.pairing.Pairing) says
    the runs share draws, else Newcombe's interval for independent samples.  Columns: day,
    quantity, a, b, difference, low, high."""
    pairing = pairing or unpaired("not known to share draws")
    rows = []
    for day in np.asarray(days, dtype=float):
        for what in ("agreement", "walkout"):
            ha, hb = (hits(what, t["outcome"].to_numpy(), days=t["days"].to_numpy(), day=day) for t in (a, b))
            d = pairing.proportion(ha, hb).estimate
            rows.append({"day": day, "quantity": what, "a": ha.mean(), "b": hb.mean(),
                         "difference": d.value, "low": d.low, "high": d.high})
    return pd.DataFrame(rows)
