"""The distribution pane's numbers: N runs of the batch driver, outcome shares with 95% Wilson
intervals (analysis.stats) and the cumulative incidence of agreement and walkout over days
(analysis.survival.competing_risks).  One process; the compiled kernel is loaded once."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from analysis.stats import Estimate, proportion
from analysis.survival import competing_risks, meeting_day
from experiments.runner import batches
from sim.codes import Outcome
from sim.scenario import load_scenario
from storage.runtable import batch_columns


@dataclass(frozen=True, eq=False)
class Distribution:
    name: str
    n: int
    seed: int
    shares: dict[str, Estimate]  # agreement, walkout, ongoing, talks persist, walkout by <actor>
    cif: pd.DataFrame  # competing_risks table with a `day` column
    horizon: int
    round_days: float
    seconds: float


def distribution(sc, n_runs: int, seed: int) -> Distribution:
    t0 = time.perf_counter()
    played = list(batches(sc, n_runs, seed))
    cols = [batch_columns(b, sc.name) for b in played]
    runs = pd.DataFrame({k: np.concatenate([c[k] for c in cols]) for k in ("outcome", "rounds", "walkout_by")})
    o = runs["outcome"].to_numpy()
    n = len(runs)
    shares = {
        "agreement": proportion(int((o == Outcome.AGREEMENT).sum()), n),
        "talks persist": proportion(int((o != Outcome.WALKOUT).sum()), n),
        "walkout": proportion(int((o == Outcome.WALKOUT).sum()), n),
        "ongoing": proportion(int((o == Outcome.ONGOING).sum()), n),
    }
    lay = played[0].layout
    for a, req in zip(lay.actors, lay.required):
        if req:
            shares[f"walkout by {a}"] = proportion(int(((o == Outcome.WALKOUT) & (runs["walkout_by"].to_numpy() == a)).sum()), n)
    cif = competing_risks(runs, lay.horizon)
    cif.insert(0, "day", meeting_day(cif["round"].to_numpy(), lay.days))
    return Distribution(sc.name, n, seed, shares, cif, lay.horizon, lay.round_days, time.perf_counter() - t0)


@lru_cache(maxsize=32)
def baseline(path: str, mtime: float, n_runs: int, seed: int) -> Distribution:
    """The shipped scenario's own distribution (cached per file version, N and seed)."""
    return distribution(load_scenario(path), n_runs, seed)
