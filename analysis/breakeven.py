"""Breakeven: the level of an input at which P(deal) crosses 50%, and how a change of agenda moves it.

The share of deals in a batch averages P(deal | outside option) over the outside option's prior,
so it reads the prior back (issue 20: its AUC for walkout against deal was 0.925).  The breakeven
asks the conditional instead: at what level x* of Russia's outside option, measured against the
best package it can get inside the West's red lines, is a deal as likely as not?  It is read from
a logistic fit of deal on x over the runs,

    P(deal | x) = 1 / (1 + exp(-(b0 + b1 x))),   x* = -b0 / b1,

so it depends on where the prior puts its runs only through the fit, not through the prior's
weights on the levels (the logistic form is an assumption; a prior that never reaches x* cannot
locate it, and the result says so).  Two scenarios on the same draws share x run by run, so
their breakevens' difference gets a paired bootstrap interval (runs resampled together).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .stats import Estimate

RIDGE = 1e-6  # keeps the fit finite when deals separate perfectly on x (then x* is still the gap's middle)
BOOTSTRAP = 400


def logistic_fit(x: np.ndarray, y: np.ndarray, iterations: int = 50) -> tuple[float, float]:
    """(b0, b1) of the logistic regression of 0/1 outcomes y on x, by Newton's method (IRLS)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    design = np.column_stack([np.ones_like(x), x])
    beta = np.zeros(2)
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        w = p * (1.0 - p)
        hessian = design.T @ (design * w[:, None]) + RIDGE * np.eye(2)
        step = np.linalg.solve(hessian, design.T @ (y - p) - RIDGE * beta)
        beta = beta + step
        if np.abs(step).max() < 1e-10:
            break
    return float(beta[0]), float(beta[1])


def crossing(x: np.ndarray, y: np.ndarray) -> float:
    """x* where the fitted P(deal) is 50%; NaN when deals do not fall with x (b1 >= 0), when
    every run or none ends in a deal, or when x* lies outside the runs' range of x (not located
    by these draws)."""
    y = np.asarray(y, bool)
    if y.all() or not y.any():
        return float("nan")
    b0, b1 = logistic_fit(x, y)
    if not b1 < 0:
        return float("nan")
    at = -b0 / b1
    return at if np.min(x) <= at <= np.max(x) else float("nan")


@dataclass(frozen=True)
class Breakeven:
    a: float  # x* in A
    b: float  # x* in B
    difference: Estimate  # B - A, paired bootstrap interval
    located: int  # bootstrap resamples in which both crossings were located


def paired_breakeven(x: np.ndarray, deal_a: np.ndarray, deal_b: np.ndarray, seed: int,
                     resamples: int = BOOTSTRAP) -> Breakeven:
    """x* in A and in B on the same runs (x shared run by run), and B - A with a 95% percentile
    interval from resampling runs (seeded, so the same inputs give the same interval)."""
    xa, xb = crossing(x, deal_a), crossing(x, deal_b)
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    n = len(x)
    diffs = []
    for _ in range(resamples):
        i = rng.integers(0, n, n)
        d = crossing(x[i], deal_b[i]) - crossing(x[i], deal_a[i])
        if np.isfinite(d):
            diffs.append(d)
    value = xb - xa
    if len(diffs) < 0.9 * resamples or not np.isfinite(value):
        return Breakeven(xa, xb, Estimate(value, float("nan"), float("nan")), len(diffs))
    low, high = np.percentile(diffs, [2.5, 97.5])
    return Breakeven(xa, xb, Estimate(value, float(low), float(high)), len(diffs))
