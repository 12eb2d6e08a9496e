"""Outcome statistics with intervals, on per-run tables (pandas DataFrames, one row per run)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from sim.codes import Outcome

from .metrics import PERSIST, hits


Z95 = 1.959963984540054  # the standard normal's 97.5% quantile (scipy.stats.norm.ppf(0.975))


def wilson(k, n, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for k successes out of n (arrays broadcast); NaN where n == 0."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        low, high = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    # Exact at the boundaries (rounding otherwise leaves 1e-17 instead of 0).
    low = np.where(k == 0, 0.0, low)
    high = np.where(k == n, 1.0, high)
    return low, high


def interval_digits(low: float, high: float, digits: int = 1, scale: float = 1.0, share: float | None = None) -> int:
    """Decimals to print an interval with: `digits`, or up to three more when an interval that
    has width would otherwise print as a single value (0.0% [0.0, 0.0] reads as certainty), or
    when a `share` strictly between 0 and 1 would print as 0 or 100% (1 deal in 2,000 runs is
    0.05%, not 0.1% or 0.0%; 1,999 walkouts are 99.95%, not 100.0%), or, for anything but a share
    (a difference), a bound that is not zero would print as one (-0.4 pp [-0.7, -0.0] hides on
    which side of 0 it lies)."""
    def reads_as_zero(v: float) -> bool:  # a bound that is not 0 but prints as 0.0 (or -0.0)
        return v != 0 and round(scale * v, d) == 0

    for d in range(digits, digits + 4):
        wide = not high > low or round(scale * low, d) != round(scale * high, d)  # (-0.0 and 0.0 are one value)
        inner = share is None or not 0 < share < 1 or 0 < round(scale * share, d) < round(scale, d)
        signed_zero = share is None and high > low and (reads_as_zero(low) or reads_as_zero(high))
        if wide and inner and not signed_zero:
            return d
    return digits + 3


def share_words(v: float) -> str:
    """A share for a sentence, in whole percent; one that rounds to 0% or 100% without being
    either is not printed as one ("<1%", ">99%")."""
    return "<1%" if 0 < v < 0.005 else ">99%" if 0.995 < v < 1 else f"{100 * v:.0f}%"


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float

    def fmt(self, percent: bool = True, signed: bool = False) -> str:
        k = 100 if percent else 1
        d = interval_digits(self.low, self.high, 1, k, share=self.value if percent and not signed else None)
        f = (lambda v: f"{k * v:+.{d}f}") if signed else (lambda v: f"{k * v:.{d}f}")
        unit = "%" if percent else ""
        return f"{f(self.value)}{unit} [{f(self.low)}, {f(self.high)}]"


def proportion(k: int, n: int) -> Estimate:
    """Share k/n with its Wilson score 95% interval."""
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan)
    low, high = wilson(k, n)
    return Estimate(k / n, float(low), float(high))


def proportion_difference(k1: int, n1: int, k2: int, n2: int) -> Estimate:
    """p2 - p1 with Newcombe's hybrid score interval (method 10, Newcombe 1998), built from the
    two Wilson intervals; well behaved near 0 and 1, unlike the Wald interval."""
    a, b = proportion(k1, n1), proportion(k2, n2)
    d = b.value - a.value
    low = d - math.sqrt((b.value - b.low) ** 2 + (a.high - a.value) ** 2)
    high = d + math.sqrt((b.high - b.value) ** 2 + (a.value - a.low) ** 2)
    return Estimate(d, low, high)


PAIRED = "Newcombe's score interval for paired data (method 10, Newcombe 1998b)"
UNPAIRED = "Newcombe's hybrid score interval for independent samples (method 10, Newcombe 1998a)"


def paired_difference_from_table(both: int, only_a: int, only_b: int, neither: int) -> Estimate:
    """p_B - p_A for two outcomes observed on the same n units (runs), from the paired 2 x 2
    table, with Newcombe's score interval for paired data (method 10; Stat. Med. 17: 2635-2650,
    1998).  The two Wilson intervals are combined as for independent samples (method 10 of
    `proportion_difference`), less the part the units share: phi, the table's correlation, with
    its numerator ad - bc brought n/2 toward 0 when positive (Newcombe's conservative choice, which
    keeps phi from overstating the agreement in small tables; 0 if any margin is empty)."""
    cells = (both, only_a, only_b, neither)
    if min(cells) < 0:
        raise ValueError(f"a paired 2 x 2 table holds counts >= 0, got {cells}")
    n = sum(cells)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan)
    pa, pb = proportion(both + only_a, n), proportion(both + only_b, n)
    margins = float(both + only_a) * (only_b + neither) * (both + only_b) * (only_a + neither)
    ad_bc = float(both) * neither - float(only_a) * only_b
    numerator = ad_bc if ad_bc < 0 else max(ad_bc - n / 2, 0.0)
    phi = numerator / math.sqrt(margins) if margins > 0 else 0.0
    d = pb.value - pa.value
    down_b, up_a = pb.value - pb.low, pa.high - pa.value
    up_b, down_a = pb.high - pb.value, pa.value - pa.low
    low = d - math.sqrt(max(down_b ** 2 - 2 * phi * down_b * up_a + up_a ** 2, 0.0))
    high = d + math.sqrt(max(up_b ** 2 - 2 * phi * up_b * down_a + down_a ** 2, 0.0))
    return Estimate(d, max(low, -1.0), min(high, 1.0))


def paired_proportion_difference(a, b) -> Estimate:
    """p_B - p_A for two 0/1 outcomes on the same runs (a[i], b[i]: run i under A and under B,
    common random numbers), with Newcombe's paired interval (`paired_difference_from_table`)."""
    a, b = np.asarray(a, bool).ravel(), np.asarray(b, bool).ravel()
    if a.shape != b.shape:
        raise ValueError(f"paired outcomes need the same runs: {a.size} against {b.size}")
    both, only_a, only_b = int((a & b).sum()), int((a & ~b).sum()), int((~a & b).sum())
    return paired_difference_from_table(both, only_a, only_b, a.size - both - only_a - only_b)


def paired_mean(per_run, z: float = Z95) -> Estimate:
    """Mean of per-run values (e.g. paired differences on common random numbers) with the
    normal-approximation interval mean +- z sd / sqrt(n).  NaN interval with fewer than two
    runs; zero width when every run has the same value."""
    x = np.asarray(per_run, dtype=float).ravel()
    if len(x) == 0:
        return Estimate(math.nan, math.nan, math.nan)
    m = float(x.mean())
    se = run_se(x)
    return Estimate(m, m - z * se, m + z * se)


def run_se(x: np.ndarray) -> float:
    """Run-level standard error of the mean; exactly 0 when all values are equal."""
    if len(x) < 2:
        return math.nan
    d = x - x[0]  # shift: identical runs give exact zeros (no rounding residue)
    if not d.any():
        return 0.0
    return float(np.sqrt(d.var(ddof=1) / len(x)))


def paired_mean_difference(a, b) -> Estimate:
    """mean(b) - mean(a) for values on the same runs: `paired_mean` of the per-run differences."""
    a, b = np.asarray(a, float).ravel(), np.asarray(b, float).ravel()
    if a.shape != b.shape:
        raise ValueError(f"paired values need the same runs: {a.size} against {b.size}")
    return paired_mean(b - a)


def median(values: np.ndarray) -> Estimate:
    """Median with the distribution-free 95% interval from binomial order statistics."""
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan)
    # 1-based ranks l and n - l + 1 cover the median with probability >= 95%.
    l = binomial_quantile(0.025, n)
    return Estimate(float(np.median(x)), float(x[max(l - 1, 0)]), float(x[min(n - l, n - 1)]))


def binomial_quantile(q: float, n: int) -> int:
    """The q-quantile of Binomial(n, 1/2): the smallest k with P(X <= k) >= q (scipy.stats'
    binom.ppf, from the distribution function in scipy.special, which is much lighter to import)."""
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if special.bdtr(mid, n, 0.5) >= q:
            hi = mid
        else:
            lo = mid + 1
    return lo


def median_difference(a: np.ndarray, b: np.ndarray, seed: int) -> Estimate:
    """median(b) - median(a) with a percentile bootstrap 95% interval (seeded)."""
    from scipy import stats  # heavy (about a second to import): only the bootstrap needs it
    res = stats.bootstrap(
        (np.asarray(b, float), np.asarray(a, float)),
        lambda x, y, axis: np.median(x, axis=axis) - np.median(y, axis=axis),
        n_resamples=999, method="percentile", rng=np.random.default_rng(seed), batch=100,
    )
    return Estimate(float(np.median(b) - np.median(a)), float(res.confidence_interval.low),
                    float(res.confidence_interval.high))


def outcome_counts(runs: pd.DataFrame, actors: list[str]) -> dict[str, int]:
    """Counts behind every share the tool reports, keyed by metric name (analysis.metrics)."""
    o, w = runs["outcome"].to_numpy(), runs["walkout_by"].to_numpy()
    names = ["agreement", "walkout", "ongoing", PERSIST] + [f"walkout by {a}" for a in actors]
    return {m: int(hits(m, o, w).sum()) for m in names}


def summarise(runs: pd.DataFrame, actors: list[str]) -> dict[str, Estimate]:
    n = len(runs)
    out = {k: proportion(v, n) for k, v in outcome_counts(runs, actors).items()}
    out["median rounds"] = median(runs["rounds"].to_numpy())
    agreed = runs.loc[runs["outcome"] == Outcome.AGREEMENT, "rounds"].to_numpy()
    out["median rounds to agreement"] = median(agreed)
    return out


def shortfalls(runs: pd.DataFrame) -> pd.Series:
    """Share of walkouts by (walker, demand on which what it held fell furthest short), largest
    first.  A description of where the walker stood when it left, not the cause of its leaving."""
    w = runs[runs["outcome"] == Outcome.WALKOUT]
    if w.empty:
        return pd.Series(dtype=float)
    return (w["walkout_by"].astype(str) + ": " + w["shortfall"].astype(str)).value_counts(normalize=True)


def by_day(runs: pd.DataFrame, outcome: str, day: float) -> int:
    """Runs counted by share `outcome` (analysis.metrics: agreement, walkout, talks persist) by
    `day` (days after 17 Dec 2021)."""
    return int(hits(outcome, runs["outcome"].to_numpy(), runs["walkout_by"].to_numpy(), runs["days"].to_numpy(),
                    day).sum())
