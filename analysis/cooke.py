"""Cooke's classical model: weights for experts from their answers to seed questions.

Written from the published method (Cooke 1991, *Experts in Uncertainty*, ch. 12; Cooke and
Goossens 2008, "TU Delft expert judgment data base", Reliab. Eng. Syst. Saf. 93: 657-674).
Each expert gives the 5%, 50% and 95% quantiles of N seed quantities whose true values
(realisations) are known to the analyst.

- Calibration.  The realisations fall into the expert's four inter-quantile bins with empirical
  frequencies s; a calibrated expert's are p = (0.05, 0.45, 0.45, 0.05).  With
  I(s, p) = sum s_j ln(s_j / p_j) (0 ln 0 = 0), 2 N I(s, p) is asymptotically chi-square with 3
  degrees of freedom, and the calibration score is its p-value, 1 - chi2_3.cdf(2 N I(s, p)).
  A realisation equal to a quantile counts in the bin below it: bins are (-inf, q05],
  (q05, q50], (q50, q95], (q95, inf).
- Information.  Each item has an intrinsic range: the smallest and largest of every expert's
  quantiles and the realisation, widened by 10% of their span on each side (the overshoot).  On
  it the expert's minimum-information density puts the masses p uniformly between its quantiles,
  and its information is the relative information of that density against the uniform
  background on the range (or log-uniform: the same on log values), sum p_j ln(p_j / r_j) with r_j
  the background's mass of bin j.  An expert's information score is its mean over the seeds.
- Weights (global).  w_e = C_e x I_e x 1{C_e >= alpha}, normalised.  The decision maker (DM) is
  the weighted mixture of the experts' minimum-information distributions; it is scored like an
  expert from its own 5/50/95 quantiles, and alpha is chosen to maximise its combined score
  C_DM x I_DM (over the experts' calibration scores, the only values at which the weights change),
  unless the analyst fixes alpha.

Pure functions over arrays (numpy, scipy.stats.chi2); nothing here reads files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

PROBS = np.array([0.05, 0.5, 0.95])  # the quantiles each expert states
BIN_MASS = np.array([0.05, 0.45, 0.45, 0.05])  # p: a calibrated expert's inter-quantile frequencies
OVERSHOOT = 0.1  # the intrinsic range's widening on each side, as a share of its span


def hit_counts(quantiles: np.ndarray, realisations: np.ndarray) -> np.ndarray:
    """(4,) how many realisations fall in each inter-quantile bin; quantiles (N, 3), realisations (N,)."""
    q, r = np.asarray(quantiles, float), np.asarray(realisations, float)
    bins = (q < r[:, None]).sum(axis=1)  # quantiles strictly below the realisation: its bin
    return np.bincount(bins, minlength=4)


def relative_information(s: np.ndarray, p: np.ndarray = BIN_MASS) -> float:
    """I(s, p) = sum s_j ln(s_j / p_j), with 0 ln 0 = 0."""
    s, p = np.asarray(s, float), np.asarray(p, float)
    return float(np.sum(np.where(s > 0, s * np.log(np.where(s > 0, s, 1.0) / p), 0.0)))


def calibration(quantiles: np.ndarray, realisations: np.ndarray) -> float:
    """The p-value 1 - chi2_3.cdf(2 N I(s, p)) of the expert's hit frequencies s over N seeds."""
    counts = hit_counts(quantiles, realisations)
    n = counts.sum()
    return float(stats.chi2.sf(2.0 * n * relative_information(counts / n), df=3))


def intrinsic_range(item_quantiles: np.ndarray, realisation: float | None = None, log: bool = False,
                    overshoot: float = OVERSHOOT) -> tuple[float, float]:
    """(L, U) for one item: every expert's quantiles (E, 3) and the realisation, widened by
    `overshoot` of their span each side (on log values with a log-uniform background)."""
    values = np.asarray(item_quantiles, float).ravel()
    if realisation is not None:
        values = np.append(values, realisation)
    if log:
        values = np.log(values)
    lo, hi = values.min(), values.max()
    span = hi - lo
    lo, hi = lo - overshoot * span, hi + overshoot * span
    return (float(np.exp(lo)), float(np.exp(hi))) if log else (float(lo), float(hi))


def information(quantiles: np.ndarray, low: float, high: float, log: bool = False) -> float:
    """Relative information of the minimum-information density with these 5/50/95 quantiles on
    [low, high] against the uniform (or log-uniform) background there."""
    x = np.concatenate([[low], np.asarray(quantiles, float), [high]])
    if log:
        x = np.log(x)
    background = np.diff(x) / (x[-1] - x[0])
    return float(np.sum(BIN_MASS * np.log(BIN_MASS / background)))


def scores(quantiles: np.ndarray, realisations: np.ndarray, log: np.ndarray | None = None
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each expert's calibration and mean information over the seeds, and the items' intrinsic
    ranges.  quantiles (E, N, 3), realisations (N,), log (N,) True for a log-uniform background."""
    q, r = np.asarray(quantiles, float), np.asarray(realisations, float)
    n_experts, n_items, _ = q.shape
    log = np.zeros(n_items, bool) if log is None else np.asarray(log, bool)
    ranges = np.array([intrinsic_range(q[:, i], r[i], log[i]) for i in range(n_items)])
    cal = np.array([calibration(q[e], r) for e in range(n_experts)])
    info = np.array([np.mean([information(q[e, i], *ranges[i], log[i]) for i in range(n_items)])
                     for e in range(n_experts)])
    return cal, info, ranges


def global_weights(cal: np.ndarray, info: np.ndarray, alpha: float) -> np.ndarray:
    """w_e = C_e I_e 1{C_e >= alpha}, normalised to sum to 1."""
    raw = np.where(np.asarray(cal) >= alpha, np.asarray(cal) * np.asarray(info), 0.0)
    if raw.sum() <= 0:
        raise ValueError(f"no expert's calibration score reaches alpha = {alpha:g} (the largest is {max(cal):.3g})")
    return raw / raw.sum()


def pooled_quantiles(quantiles: np.ndarray, weights: np.ndarray, ranges: np.ndarray,
                     log: np.ndarray | None = None) -> np.ndarray:
    """(N, 3) the DM's 5/50/95 quantiles per item: the weighted mixture of the experts'
    minimum-information distributions, whose CDFs are piecewise linear between the range's ends
    and the quantiles (in log values with a log-uniform background), inverted exactly."""
    q = np.asarray(quantiles, float)
    n_items = q.shape[1]
    log = np.zeros(n_items, bool) if log is None else np.asarray(log, bool)
    out = np.empty((n_items, 3))
    levels = np.concatenate([[0.0], PROBS, [1.0]])
    for i in range(n_items):
        knots = np.column_stack([np.full(len(q), ranges[i, 0]), q[:, i], np.full(len(q), ranges[i, 1])])
        if log[i]:
            knots = np.log(knots)
        grid = np.unique(knots)
        cdf = sum(w * np.interp(grid, k, levels) for w, k in zip(weights, knots))
        x = np.interp(PROBS, cdf, grid)  # the mixture is strictly increasing on the range
        out[i] = np.exp(x) if log[i] else x
    return out


@dataclass(frozen=True)
class ClassicalModel:
    """The classical model's result: per expert (in input order) its scores and weight; the
    cut-off alpha; and the decision maker's own scores."""

    calibration: np.ndarray
    information: np.ndarray
    weights: np.ndarray
    alpha: float
    alpha_optimised: bool
    dm_calibration: float
    dm_information: float

    @property
    def dm_score(self) -> float:
        return self.dm_calibration * self.dm_information


def classical_model(quantiles: np.ndarray, realisations: np.ndarray, alpha: float | None = None,
                    log: np.ndarray | None = None) -> ClassicalModel:
    """Global weights from seed answers, quantiles (E, N, 3) and realisations (N,); alpha None:
    the cut-off that maximises the decision maker's combined score (ties: the lowest alpha,
    which keeps the most experts)."""
    q, r = np.asarray(quantiles, float), np.asarray(realisations, float)
    cal, info, ranges = scores(q, r, log)
    log_ = np.zeros(len(r), bool) if log is None else np.asarray(log, bool)

    def dm(a: float) -> tuple[np.ndarray, float, float]:
        w = global_weights(cal, info, a)
        dq = pooled_quantiles(q, w, ranges, log_)
        dm_info = float(np.mean([information(dq[i], *ranges[i], log_[i]) for i in range(len(r))]))
        return w, calibration(dq, r), dm_info

    candidates = [alpha] if alpha is not None else sorted(set(cal.tolist()))
    best = None
    for a in candidates:
        w, c, i = dm(a)
        if best is None or c * i > best[2] * best[3]:
            best = (a, w, c, i)
    a, w, c, i = best
    return ClassicalModel(cal, info, w, float(a), alpha is None, c, i)
