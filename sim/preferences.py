"""How each actor values a package.

Utility is additive over clauses and linear in distance:
    u_k(x) = 1 - sum_c s_kc * |x_c - p_kc|,   with sum_c s_kc = 1,
so u_k = 1 at the actor's ideal package and 0 at the opposite corner.  An actor whose
preferences another actor weighs on (e.g. Ukraine on the US) has an effective utility
    U_i(x) = sum_k M_ik * u_k(x),   M = mixing matrix, rows summing to 1.
Red lines are hard: a package outside [below, above] on any clause is never accepted.
"""

from __future__ import annotations

import numpy as np


def normalise_salience(salience: np.ndarray) -> np.ndarray:
    """Scale each actor's saliences (last axis = clauses) to sum to 1; all-zero rows stay zero."""
    total = salience.sum(axis=-1, keepdims=True)
    return np.divide(salience, total, out=np.zeros_like(salience), where=total > 0)


def utilities(x: np.ndarray, ideal: np.ndarray, salience: np.ndarray, mixing: np.ndarray,
              loss_aversion: np.ndarray | None = None, reference_gap: np.ndarray | None = None,
              reference_scale: np.ndarray | None = None) -> np.ndarray:
    """Effective utility of package(s) x (R, C) to every actor -> (R, A).

    ideal and salience are (R, A, C); mixing is (A, A).  With a reference point (channels.reference)
    an actor with loss aversion lambda (R, A) counts the part of a clause's distance from its ideal
    beyond the reference's distance from it (reference_gap, (R, A, C)) lambda times, on a scale
    m_k (reference_scale, (R, A); channels.reference says why):
        u_k(x) = 1 - m_k sum_c s_kc (|x_c - p_kc| + (lambda_k - 1) max(|x_c - p_kc| - g_kc, 0)).
    """
    gap = np.subtract(x[:, None, :], ideal)  # one (R, A, C) temporary, reused in place
    np.abs(gap, out=gap)
    loss = np.einsum("rac,rac->ra", salience, gap)
    if loss_aversion is not None and (loss_aversion != 1.0).any():
        beyond = np.maximum(gap - reference_gap, 0.0)
        loss = loss + (loss_aversion - 1.0) * np.einsum("rac,rac->ra", salience, beyond)
        if reference_scale is not None:
            loss = np.where(loss_aversion != 1.0, reference_scale * loss, loss)  # as the kernel: only where lambda != 1
    # Not `loss @ mixing.T`: BLAS takes another path for a single row, which would make a run's
    # last bits depend on how many runs share its batch.
    return 1.0 - (loss[:, None, :] * mixing[None]).sum(axis=-1)


def best_packages(ideal: np.ndarray, salience: np.ndarray, mixing: np.ndarray,
                  low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Each actor's best package within [low, high] (its red lines and the agenda) -> (R, A, C).

    Per clause the effective loss sum_k M_ik s_kc |x - p_kc| is convex piecewise linear, minimised
    at the weighted median of the p_kc (weights M_ik s_kc); clipping that to [low, high] gives the
    constrained minimum.  A clause nobody in the mix cares about takes the actor's own ideal.
    """
    best = ideal.copy()
    for i in range(mixing.shape[0]):
        ks = np.flatnonzero(mixing[i])
        if len(ks) > 1:  # someone's preferences weigh on actor i's
            best[:, i] = _weighted_median(ideal[:, ks], mixing[i, ks][None, :, None] * salience[:, ks], ideal[:, i])
    return np.clip(best, low, high)


def _weighted_median(points: np.ndarray, weights: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """Lower weighted median over axis 1 of (R, K, C) points; `fallback` where all weights are 0."""
    total = weights.sum(axis=1)
    median = weighted_median(np.moveaxis(points, 1, -1), np.moveaxis(weights, 1, -1))
    return np.where(total > 0, median, fallback)


def weighted_median(points: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The lower weighted median along the last axis: the smallest point whose cumulative weight
    (points in ascending order, ties in input order) reaches half the total weight, exactly.
    It minimises sum_k w_k |x_k - m|.  The one implementation (the theory's baseline forecast
    calls it too); an all-zero weight row gives the smallest point."""
    if points.shape[-1] == 2:  # the common case (one actor weighing on another), without a sort
        first_low = points[..., 0] <= points[..., 1]
        p_lo = np.where(first_low, points[..., 0], points[..., 1])
        p_hi = np.where(first_low, points[..., 1], points[..., 0])
        w_lo = np.where(first_low, weights[..., 0], weights[..., 1])
        total = weights[..., 0] + weights[..., 1]
        return np.where(w_lo >= 0.5 * total, p_lo, p_hi)
    order = np.argsort(points, axis=-1, kind="stable")
    p_sorted = np.take_along_axis(points, order, axis=-1)
    cum = np.cumsum(np.take_along_axis(weights, order, axis=-1), axis=-1)
    k = np.argmax(cum >= 0.5 * cum[..., -1:], axis=-1)[..., None]
    return np.take_along_axis(p_sorted, k, axis=-1)[..., 0]
