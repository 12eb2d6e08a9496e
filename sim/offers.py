"""Turning an aspiration level into a package: issue linkage or uniform concession.

The proposer starts from its best package x0 and moves clauses toward a target y, its estimate
of where the other parties stand (the salience-weighted mean of its beliefs about them).  Moving
clause c all the way costs it cost_c = loss(y_c) - loss(x0_c) >= 0 of utility; it may spend
budget = best_possible - aspiration in total.

* Linkage (Sebenius 1983; Stokman's exchange model): concede first where the proposer cares
  little and the others care much (ascending own salience / others' estimated salience): a
  fractional-knapsack order that buys the most of the others' utility per unit of its own.
* Uniform: move every clause the same fraction of the way.
"""

from __future__ import annotations

import numpy as np


def fractions_in_order(cost: np.ndarray, budget: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Fraction (R, C) in [0, 1] of the way each clause moves when clauses are conceded fully,
    one after another in `order` (R, C), until the budget (R,) is spent; the last one partly."""
    n, c = cost.shape
    flat = (order + (np.arange(n) * c)[:, None]).ravel()  # cheaper than take_along_axis
    c_sorted = cost.ravel().take(flat).reshape(n, c)
    spent_before = np.cumsum(c_sorted, axis=1) - c_sorted
    left = np.maximum(budget, 0.0)[:, None] - spent_before
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        f_sorted = np.where(c_sorted > 0, left / c_sorted, 1.0)
    np.clip(f_sorted, 0.0, 1.0, out=f_sorted)
    frac = np.empty(n * c)
    frac[flat] = f_sorted.ravel()
    return frac.reshape(n, c)


def uniform_fractions(cost: np.ndarray, budget: np.ndarray) -> np.ndarray:
    """The same fraction for every clause: budget / total cost, at most 1."""
    total = cost.sum(axis=1)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):  # tiny or zero total: move everything
        frac = np.where(total > 0, np.maximum(budget, 0.0) / total, 1.0)
    return np.broadcast_to(np.minimum(frac, 1.0)[:, None], cost.shape).copy()


def linkage_order(own_salience: np.ndarray, others_salience: np.ndarray) -> np.ndarray:
    """Clause order (last axis) in which to concede: ascending own / others' salience."""
    return np.argsort(own_salience / (others_salience + 1e-9), axis=-1, kind="stable")
