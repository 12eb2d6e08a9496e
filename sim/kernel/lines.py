"""The information channel (channels.information; docs/model.md, section 3.11): the believer (the
channels' party) does not know the others' red lines.  It holds a belief about each other party's
line on each clause (`beliefs`, (A, C), drawn in params.py between the true line and its own
ideal) and a floor under it (`floor`: the most each has tabled or voted for on the clause, which
its line must admit).  What it thinks it can get is its best package within those beliefs: that
is where it proposes from, what its strategy concedes from and what its walkout rules weigh
leaving against.  A clause off the table is settled: the agenda holds it at 0 whatever it hopes.
"""

from __future__ import annotations

from .bundles import step
from .prefs import copy, mixed_loss, utilities


@step
def believe(p, run, w, beliefs):
    """The believer p's bounds, best package and its worth given its beliefs now: its own bounds
    (w.own_high, set with the run's plan) cut down to the lowest line it believes any other party
    at the table holds, and its best package clipped to them (a convex per-clause loss: the
    constrained best is the clipped unconstrained one)."""
    high, package, low = w.plan.high[p], w.package_now[p], w.plan.low[p]
    n_a, n_c = beliefs.shape
    for c in range(n_c):
        hi = w.own_high[c]
        for j in range(n_a):
            if j != p and run.pp.required[j]:
                hi = min(hi, beliefs[j, c])
        high[c] = max(hi, low[c])
        package[c] = min(max(w.epoch_package[p, c], low[c]), high[c])
    utilities(run.pf, package, w.loss, w.u)
    w.best_now[p] = w.u[p]
    mixed_loss(run.pf, p, package, w.plan.base_loss[p])


@step
def learn_lines(p, q, accepts, required, eta, x, beliefs, floor):
    """What package x, tabled by q, and the votes on it tell the believer p about each other
    party j's red lines: if j tabled or accepted x, its lines admit x (the floor and the belief
    rise to it); if j refused x, then on each clause where x went beyond what j has shown it
    admits, p's belief moves toward that, by the learning weight eta."""
    n_a, n_c = beliefs.shape
    for j in range(n_a):
        if j == p or not required[j]:
            continue
        if j == q or accepts[j]:
            for c in range(n_c):
                floor[j, c] = max(floor[j, c], x[c])
                beliefs[j, c] = max(beliefs[j, c], x[c])
        else:
            for c in range(n_c):
                if x[c] > floor[j, c]:
                    beliefs[j, c] -= eta * (beliefs[j, c] - floor[j, c])


@step
def start_beliefs(first, beliefs, floor):
    """A run's first meeting: the drawn first beliefs, and a floor of 0 (the status quo is inside
    every line)."""
    for j in range(beliefs.shape[0]):
        copy(first[j], beliefs[j])
        for c in range(beliefs.shape[1]):
            floor[j, c] = 0.0
