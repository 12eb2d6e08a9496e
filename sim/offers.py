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


def concession_fractions(cost: np.ndarray, budget: np.ndarray, priority: np.ndarray | None) -> np.ndarray:
    """Fraction of the way toward the target each clause moves, (R, C) in [0, 1].

    cost: (R, C) utility cost of moving each clause fully; budget: (R,) utility to spend.
    priority: (R, C) lower goes first (linkage), or None for a uniform fraction.
    """
    budget = np.maximum(budget, 0.0)[:, None]
    if priority is None:
        total = cost.sum(axis=1, keepdims=True)
        with np.errstate(over="ignore"):  # a tiny total just means "move everything"
            frac = np.divide(budget, total, out=np.ones_like(total), where=total > 0)
        return np.broadcast_to(np.minimum(frac, 1.0), cost.shape).copy()
    order = np.argsort(priority, axis=1, kind="stable")
    c_sorted = np.take_along_axis(cost, order, axis=1)
    spent_before = np.cumsum(c_sorted, axis=1) - c_sorted
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        f_sorted = np.where(c_sorted > 0, (budget - spent_before) / c_sorted, 1.0)
    f_sorted = np.clip(f_sorted, 0.0, 1.0)
    frac = np.empty_like(f_sorted)
    np.put_along_axis(frac, order, f_sorted, axis=1)
    return frac


def linkage_priority(own_salience: np.ndarray, others_salience: np.ndarray) -> np.ndarray:
    """Own salience per unit of the others' (estimated) salience; concede where it is lowest."""
    return own_salience / (others_salience + 1e-9)
