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


def utilities(x: np.ndarray, ideal: np.ndarray, salience: np.ndarray, mixing: np.ndarray) -> np.ndarray:
    """Effective utility of package(s) x (R, C) to every actor -> (R, A).

    ideal and salience are (R, A, C); mixing is (A, A).
    """
    loss = np.einsum("rac,rac->ra", salience, np.abs(x[:, None, :] - ideal))
    return 1.0 - loss @ mixing.T


def within_red_lines(x: np.ndarray, below: np.ndarray, above: np.ndarray) -> np.ndarray:
    """(R, A) bool: package x (R, C) crosses none of the actor's red lines."""
    xr = x[:, None, :]
    return ((xr >= below) & (xr <= above)).all(axis=-1)


def clause_loss(values: np.ndarray, ideal: np.ndarray, salience: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Effective loss per clause of one actor for clause values (R, C).

    ideal, salience: (R, A, C) of every actor; weights: (R, A) = that actor's mixing row.
    Returns (R, C): sum_k weights_k * s_kc * |v_c - p_kc|.
    """
    return np.einsum("ra,rac->rc", weights, salience * np.abs(values[:, None, :] - ideal))


def best_packages(ideal: np.ndarray, salience: np.ndarray, mixing: np.ndarray,
                  low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Each actor's best package within [low, high] (its red lines and the agenda) -> (R, A, C).

    Per clause the effective loss sum_k M_ik s_kc |x - p_kc| is convex piecewise linear, minimised
    at the weighted median of the p_kc (weights M_ik s_kc); clipping that to [low, high] gives the
    constrained minimum.  A clause nobody in the mix cares about takes the actor's own ideal.
    """
    weights = mixing[None, :, :, None] * salience[:, None, :, :]  # (R, i, k, C)
    points = np.broadcast_to(ideal[:, None, :, :], weights.shape)
    order = np.argsort(points, axis=2, kind="stable")
    p_sorted = np.take_along_axis(points, order, axis=2)
    w_sorted = np.take_along_axis(weights, order, axis=2)
    cum = np.cumsum(w_sorted, axis=2)
    half = 0.5 * cum[:, :, -1:, :]
    k = np.argmax(cum >= half, axis=2)[:, :, None, :]
    median = np.take_along_axis(p_sorted, k, axis=2)[:, :, 0, :]
    own = ideal  # (R, A, C): the actor's own ideal, for clauses with no weight at all
    median = np.where(cum[:, :, -1, :] > 0, median, own)
    return np.clip(median, low, high)
