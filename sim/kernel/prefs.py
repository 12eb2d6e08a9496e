"""One run's preferences, compiled: utilities of a package, red lines, and the parties' votes.
pf is one run's Prefs, rl its RedLines; a package x is (C,).

utilities, mixed_loss, inside and answers run several times for every package voted on, so they
are steps, compiled into their callers: as helpers, each call passed the Prefs bundle's four
arrays (about 40 words), which cost a sixth of the kernel's time once the reference point added
the fourth (0.72 against 0.60 us per package voted on, benchmarks/bench_batch.py; the same results
bit for bit).  The price is a longer first compilation (34 s against 28 s, once per machine)."""

from __future__ import annotations

from .bundles import TOLERANCE, helper, step


@helper
def copy(src, dst):
    for k in range(src.shape[0]):  # explicit loops: numba's slice assignment is slow on tiny arrays
        dst[k] = src[k]


@helper
def stable_argsort(key, out):
    """out = np.argsort(key, kind="stable"), in place: an insertion sort, which for a score of
    clauses costs a fraction of numba's allocating merge sort."""
    for k in range(key.shape[0]):
        out[k] = k
        m = k
        while m > 0 and key[out[m - 1]] > key[k]:
            out[m] = out[m - 1]
            m -= 1
        out[m] = k


@step
def utilities(pf, x, loss, u):
    """u[a] = effective utility of package x to actor a (preferences.utilities for one run)."""
    mixing, salience, ideal = pf.mixing, pf.salience, pf.ideal
    n_a, n_c = salience.shape
    for k in range(n_a):
        s = 0.0
        for c in range(n_c):
            s += salience[k, c] * abs(x[c] - ideal[k, c])
        loss[k] = s
    for k in range(n_a):  # a reference point (channels.reference): shortfalls beyond it weigh more,
        if pf.reference[k, n_c] != 0.0:  # on a scale that keeps its ideal and its worst package where they were
            loss[k] = pf.reference[k, n_c + 1] * (loss[k] + _beyond_reference(pf, k, x))
    for a in range(n_a):
        s = 0.0
        for k in range(n_a):
            s += loss[k] * mixing[a, k]
        u[a] = 1.0 - s


@step
def inside(rl, x, a):
    """Package x crosses none of actor a's red lines, up to rounding: an offer that concedes a
    clause all the way to a red line lands on it only to within an ulp (x0 + 1 (y - x0) need not
    equal y), and without the tolerance a party vetoed its own package, or not, by the last bit
    (a red line moved by 1e-9 changed the outcome of 8% of runs, both ways)."""
    below, above = rl.below, rl.above
    ok = True
    for c in range(x.shape[0]):  # no early exit: the loop vectorises, and clauses are few
        ok &= (x[c] >= below[a, c] - TOLERANCE) & (x[c] <= above[a, c] + TOLERANCE)
    return ok


@helper
def _beyond_reference(pf, k, x):
    """(lambda_k - 1) sum_c s_kc max(|x_c - p_kc| - g_kc, 0): the extra weight of actor k's
    shortfalls beyond its reference point (preferences.utilities)."""
    n_c = x.shape[0]
    extra = 0.0
    for c in range(n_c):
        extra += pf.salience[k, c] * max(abs(x[c] - pf.ideal[k, c]) - pf.reference[k, c], 0.0)
    return pf.reference[k, n_c] * extra


@step
def mixed_loss(pf, i, x, out):
    """out[c] = actor i's effective loss on clause c at package x: sum_k M_ik s_kc |x_c - p_kc|,
    with the reference point's extra weight and scale for a loss-averse k."""
    mixing, salience, ideal = pf.mixing, pf.salience, pf.ideal
    for c in range(x.shape[0]):
        out[c] = 0.0
    n_c = x.shape[0]
    for k in range(mixing.shape[0]):
        m = mixing[i, k]
        if m != 0.0:
            if pf.reference[k, n_c] != 0.0:
                m *= pf.reference[k, n_c + 1]  # the reference frame's scale (utilities, above)
            for c in range(n_c):
                out[c] += m * salience[k, c] * abs(x[c] - ideal[k, c])
    for k in range(mixing.shape[0]):  # a reference point (channels.reference): shortfalls beyond it weigh more
        w = mixing[i, k] * pf.reference[k, n_c]
        if w != 0.0:
            w *= pf.reference[k, n_c + 1]
            for c in range(n_c):
                out[c] += w * salience[k, c] * max(abs(x[c] - ideal[k, c]) - pf.reference[k, c], 0.0)


@step
def answers(pf, rl, tabling, z, asp, loss, u, yes):
    """yes[a]: actor a accepts package z (no red line crossed and worth its aspiration); a party
    tabling it (tabling[a]: the proposer, and any co-sponsor of a dated offer) accepts it unless
    it crosses one of its red lines."""
    utilities(pf, z, loss, u)
    for a in range(u.shape[0]):
        yes[a] = inside(rl, z, a) and (tabling[a] or u[a] >= asp[a] - TOLERANCE)
