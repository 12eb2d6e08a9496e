"""Bargaining solution concepts used as analytical benchmarks for the simulator.

Every function is pure (no global state, no plotting) and uses numpy only.
Utilities are plain arrays: ``U[k, i]`` is party ``i``'s utility for outcome
``k``; disagreement values ``d[i]`` are each party's utility if talks fail.

Conventions shared by the discrete solution concepts (``pareto_front``,
``nash_point``, ``kalai_smorodinsky_point``):

* An outcome ``a`` *dominates* ``b`` when ``a >= b`` for every party and
  ``a > b`` for at least one.  Exact duplicates therefore never dominate each
  other: if a utility vector is undominated, *all* outcomes carrying it are on
  the front.
* An outcome is *eligible* only if it gives every party at least its
  disagreement value (``U[k] >= d`` componentwise); no party would accept less
  than walking away.  If no outcome is eligible, there is no agreement and the
  function returns ``None`` (a legitimate result in a simulator, not an error).
  Malformed input (wrong shapes, NaN/inf) raises ``ValueError``.
* Remaining ties are broken by the smallest outcome index.  Scores that differ
  by less than a tiny tolerance (``_TIE_TOL``) count as ties, so floating-point
  rounding cannot make the choice depend on an irrelevant rescaling of
  utilities.
"""

from __future__ import annotations

import numbers

import numpy as np

from sim.preferences import weighted_median as lower_weighted_median

__all__ = [
    "pareto_front",
    "nash_point",
    "kalai_smorodinsky_point",
    "rubinstein_share",
    "rubinstein_share_with_outside_options",
    "nash_split",
    "baron_ferejohn_proposer_share",
    "weighted_mean",
    "weighted_median",
    "fearon_bargaining_range",
]

# Scores (log Nash products, normalised gains) closer than this are ties.
_TIE_TOL = 1e-9
# Utilities (and gains over the disagreement point) closer than this are equal: which of two
# equally valued outcomes is reported must not depend on rounding, so shifting U and d by a
# constant never changes the answer (up to the rounding of the shift itself, ~1e-13 for 1000).
_UTILITY_TOL = 1e-9
# Rows per block in the Pareto sweep (bounds memory at block * front * parties).
_PARETO_BLOCK = 256


# --------------------------------------------------------------------------
# Input validation helpers
# --------------------------------------------------------------------------


def _as_utilities(U) -> np.ndarray:
    U = np.asarray(U, dtype=float)
    if U.ndim != 2 or U.shape[1] < 1:
        raise ValueError(f"U must be a 2-D array (outcomes, parties) with >= 1 party; got shape {U.shape}")
    if not np.all(np.isfinite(U)):
        raise ValueError("U must contain only finite values (no NaN or inf)")
    return U


def _as_disagreement(disagreement, n_parties: int) -> np.ndarray:
    d = np.asarray(disagreement, dtype=float)
    if d.shape != (n_parties,):
        raise ValueError(f"disagreement must have shape ({n_parties},); got {d.shape}")
    if not np.all(np.isfinite(d)):
        raise ValueError("disagreement must contain only finite values")
    return d


def _as_real(x, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise ValueError(f"{name} must be a real number; got {x!r}")
    x = float(x)
    if not np.isfinite(x):
        raise ValueError(f"{name} must be finite; got {x}")
    return x


def _first_best(*scores: np.ndarray) -> int:
    """Position of the best entry under lexicographic scores with tolerance.

    Keeps the entries within ``_TIE_TOL`` of the maximum of the first score,
    then of the second among those, and so on; returns the first survivor.
    ``-inf`` entries tie with each other (if the best is ``-inf``, all alive are).
    """
    alive = np.ones(len(scores[0]), dtype=bool)
    for s in scores:
        best = s[alive].max()
        alive &= s >= best - _TIE_TOL
    return int(np.flatnonzero(alive)[0])


# --------------------------------------------------------------------------
# Pareto front
# --------------------------------------------------------------------------


def _dominated_by(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Boolean mask over rows of ``B``: is the row dominated by some row of ``A``
    (at least as good for every party and better for one, beyond ``_UTILITY_TOL``)?"""
    ge = np.ones((B.shape[0], A.shape[0]), dtype=bool)  # A[j] >= B[k] in every party
    gt = np.zeros_like(ge)  # A[j] > B[k] in some party
    for i in range(B.shape[1]):  # few parties: 2-D passes beat a 3-D broadcast
        diff = A[None, :, i] - B[:, None, i]
        ge &= diff >= -_UTILITY_TOL
        gt |= diff > _UTILITY_TOL
    return (ge & gt).any(axis=1)


def pareto_front(U) -> np.ndarray:
    """Indices of the Pareto-optimal (non-dominated) outcomes, sorted ascending.

    Outcome ``a`` dominates ``b`` iff ``U[a, i] >= U[b, i]`` for all parties
    ``i`` and ``U[a, i] > U[b, i]`` for some ``i``, where utilities within
    ``_UTILITY_TOL`` (1e-9) count as equal.  The front is
    ``{k : no outcome dominates k}``.

    Duplicate rule: equal utility vectors do not dominate each other, so every
    copy of an undominated vector is returned (this keeps distinct deals with
    equal payoffs visible, and which copy a solution picks is then decided by
    index, not by rounding).

    Algorithm: every outcome is compared with every other, in blocks of rows
    (memory stays at block x outcomes x 2 booleans).  With a tolerance,
    dominance is no longer transitive, so the sort-then-sweep shortcut (compare
    only with the front found so far) could keep an outcome that a discarded
    one dominates; the full comparison cannot.

    Parameters
    ----------
    U : array_like, shape (outcomes, parties)

    Returns
    -------
    numpy.ndarray of int, sorted ascending (empty if ``U`` has no rows).

    Examples
    --------
    >>> pareto_front([[1, 2], [2, 1], [1, 1], [2, 1]]).tolist()
    [0, 1, 3]
    >>> pareto_front([[0.3, 0.5], [0.1 + 0.2, 0.5], [0.2, 0.6]]).tolist()
    [0, 1, 2]
    """
    U = _as_utilities(U)
    kept = [np.empty(0, dtype=np.intp)]
    for start in range(0, U.shape[0], _PARETO_BLOCK):
        idx = np.arange(start, min(start + _PARETO_BLOCK, U.shape[0]))
        kept.append(idx[~_dominated_by(U, U[idx])])
    return np.concatenate(kept)


def _eligible_front(U: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(indices of eligible outcomes, indices of eligible Pareto-optimal outcomes).

    An outcome that dominates an eligible one is itself eligible, so the front
    of the eligible set is exactly the eligible part of the full front.
    """
    eligible = np.flatnonzero((U - d >= -_UTILITY_TOL).all(axis=1))
    return eligible, eligible[pareto_front(U[eligible])]


# --------------------------------------------------------------------------
# Axiomatic solutions on a discrete outcome set
# --------------------------------------------------------------------------


def nash_point(U, disagreement) -> int | None:
    """Index of the Nash bargaining solution over a discrete set of outcomes.

    Maximises the Nash product ``prod_i (U[k, i] - d_i)`` over eligible
    outcomes (``U[k] >= d`` for every party; outcomes leaving anyone below its
    disagreement value are excluded, so two negative gains can never multiply
    into a positive product).  Reference: Nash, J. (1950), "The bargaining
    problem", Econometrica 18(2): 155-162.

    * Numerics: for outcomes whose gains are all positive the product is
      compared through ``sum_i log(u_i - d_i)``.  An outcome with any zero gain
      has product zero, the minimum possible, and is chosen only when every
      eligible outcome has product zero.
    * The search is over the eligible Pareto front, so the result is always
      Pareto-optimal (every positive-product maximiser is anyway).
    * Ties (log products within ``_TIE_TOL``, i.e. products equal to a relative
      ~1e-9) go to the smallest index; this rule is invariant to rescaling or
      shifting any party's utility together with its disagreement value.

    Parameters
    ----------
    U : array_like, shape (outcomes, parties)
    disagreement : array_like, shape (parties,)
        Required: there is no neutral default disagreement point.

    Returns
    -------
    int, or None if no outcome is eligible (no agreement beats disagreement).

    Examples
    --------
    >>> nash_point([[4, 1], [2, 3], [1, 4]], disagreement=[0, 0])
    1
    >>> nash_point([[1, 1]], disagreement=[2, 0]) is None
    True
    """
    U = _as_utilities(U)
    d = _as_disagreement(disagreement, U.shape[1])
    eligible, cand = _eligible_front(U, d)
    if eligible.size == 0:
        return None
    gains = U[cand] - d
    positive = (gains > _UTILITY_TOL).all(axis=1)
    log_product = np.full(cand.size, -np.inf)
    log_product[positive] = np.log(gains[positive]).sum(axis=1)
    return int(cand[_first_best(log_product)])


def kalai_smorodinsky_point(U, disagreement) -> int | None:
    """Index of the Kalai-Smorodinsky solution over a discrete set of outcomes.

    With eligible outcomes ``E = {k : U[k] >= d}`` and the ideal point
    ``ideal_i = max_{k in E} U[k, i]``, choose the eligible Pareto-optimal
    outcome maximising ``min_i (U[k, i] - d_i) / (ideal_i - d_i)``, i.e. the
    discrete analogue of the point where the segment from ``d`` to the ideal
    point meets the frontier.  Reference: Kalai, E. & Smorodinsky, M. (1975),
    "Other solutions to Nash's bargaining problem", Econometrica 43(3): 513-518.

    * Ties in the min are broken by the larger sum of normalised gains, then by
      the smallest index (scores within ``_TIE_TOL`` count as ties).
    * A party with ``ideal_i == d_i`` gets exactly ``d_i`` in every eligible
      outcome; its normalised gain is set to 1, which removes it from the min.

    Returns
    -------
    int, or None if no outcome is eligible.

    Examples
    --------
    >>> kalai_smorodinsky_point([[10, 1], [6, 6], [4, 8], [1, 20]], [0, 0])
    2
    """
    U = _as_utilities(U)
    d = _as_disagreement(disagreement, U.shape[1])
    eligible, cand = _eligible_front(U, d)
    if eligible.size == 0:
        return None
    span = U[eligible].max(axis=0) - d
    normalised = np.ones((cand.size, U.shape[1]))
    np.divide(U[cand] - d, span, out=normalised, where=span > _UTILITY_TOL)
    return int(cand[_first_best(normalised.min(axis=1), normalised.sum(axis=1))])


# --------------------------------------------------------------------------
# Closed forms
# --------------------------------------------------------------------------


def _check_discount(delta, name: str) -> float:
    delta = _as_real(delta, name)
    if not 0.0 <= delta < 1.0:
        raise ValueError(f"{name} must satisfy 0 <= {name} < 1; got {delta}")
    return delta


def rubinstein_share(d1: float, d2: float) -> float:
    """First proposer's share of a unit pie in Rubinstein alternating offers.

    ``x* = (1 - d2) / (1 - d1 * d2)``, with per-period discount factors ``d1``
    (proposer) and ``d2`` (responder); the responder gets ``1 - x*`` and the
    offer is accepted immediately.  Reference: Rubinstein, A. (1982), "Perfect
    equilibrium in a bargaining model", Econometrica 50(1): 97-109.

    Both factors must satisfy ``0 <= d < 1``; with ``d1 = d2 = 1`` delay is
    costless, the formula is 0/0 and every split is an equilibrium.

    Examples
    --------
    >>> round(rubinstein_share(0.9, 0.9), 6)  # 1 / (1 + 0.9)
    0.526316
    """
    if d1 == 1 and d2 == 1:
        raise ValueError(
            "rubinstein_share is undefined for d1 = d2 = 1: with no cost of delay "
            "every split is an equilibrium; use discount factors in [0, 1)"
        )
    d1 = _check_discount(d1, "d1")
    d2 = _check_discount(d2, "d2")
    return (1.0 - d2) / (1.0 - d1 * d2)


def rubinstein_share_with_outside_options(d1: float, d2: float, w1: float, w2: float) -> float | None:
    """First proposer's share when both parties have outside options.

    Outside option principle (Binmore, K., Shaked, A. & Sutton, J. (1989),
    "An outside option experiment", QJE 104(4): 753-770; see also Muthoo, A.
    (1999), *Bargaining Theory with Applications*, ch. 5):
    ``x = min(1 - w2, max(w1, x*))`` with ``x* = rubinstein_share(d1, d2)``.
    An outside option ``w_i`` (a share of the pie) matters only if it beats
    what the party gets without it, and then the party gets exactly ``w_i``.

    This is the standard statement of the principle; in discrete-time variants
    the exact threshold at which an option binds depends on who may opt out and
    when (Muthoo 1999), a difference that vanishes as offers become frequent.

    Returns
    -------
    float, or None if ``w1 + w2 > 1``: both options together exceed the pie, so
    no agreement exists and both parties take their outside options.

    Examples
    --------
    >>> rubinstein_share_with_outside_options(0.9, 0.9, 0.6, 0.0)
    0.6
    """
    share = rubinstein_share(d1, d2)
    w1 = _as_real(w1, "w1")
    w2 = _as_real(w2, "w2")
    for name, w in (("w1", w1), ("w2", w2)):
        if not 0.0 <= w <= 1.0:
            raise ValueError(f"{name} must be a share of the pie in [0, 1]; got {w}")
    if w1 + w2 > 1.0:
        return None
    return min(1.0 - w2, max(w1, share))


def nash_split(disagreement, pie: float = 1.0) -> np.ndarray:
    """Nash bargaining split of a pie among n parties with linear utilities.

    Maximising ``prod_i (x_i - d_i)`` subject to ``sum_i x_i = pie`` gives
    equal division of the surplus: ``x_i = d_i + (pie - sum_j d_j) / n``.
    Reference: Nash (1950), op. cit.; the n-party form is the symmetric
    transferable-utility case.

    Raises ``ValueError`` if ``sum(d) > pie`` (beyond floating-point rounding):
    then no split leaves every party at least its disagreement value.

    Examples
    --------
    >>> nash_split([0.0, 0.5], pie=1.0).tolist()
    [0.25, 0.75]
    """
    d = np.asarray(disagreement, dtype=float)
    if d.ndim != 1 or d.size == 0:
        raise ValueError(f"disagreement must be a non-empty 1-D array; got shape {d.shape}")
    if not np.all(np.isfinite(d)):
        raise ValueError("disagreement must contain only finite values")
    pie = _as_real(pie, "pie")
    surplus = pie - d.sum()
    if surplus < -1e-12 * max(1.0, abs(pie), np.abs(d).sum()):
        raise ValueError(f"sum of disagreement values ({d.sum()}) exceeds the pie ({pie}): no agreement is possible")
    return d + max(surplus, 0.0) / d.size


def baron_ferejohn_proposer_share(n: int, delta: float, rule: str) -> float:
    """Proposer's share in the closed-rule Baron-Ferejohn legislative game.

    Stationary subgame-perfect equilibrium with ``n`` members, common discount
    factor ``delta`` and equal recognition probabilities: every member's
    continuation value is ``1/n``, so a coalition partner must be offered
    ``delta / n``.

    * ``rule="majority"`` (``n`` odd): the proposer buys ``(n - 1) / 2``
      partners, keeping ``1 - delta * (n - 1) / (2 * n)``.
    * ``rule="unanimity"``: all ``n - 1`` others must be bought, leaving
      ``1 - delta * (n - 1) / n``.

    Reference: Baron, D. P. & Ferejohn, J. A. (1989), "Bargaining in
    legislatures", APSR 83(4): 1181-1206.

    Examples
    --------
    >>> round(baron_ferejohn_proposer_share(5, 0.5, "majority"), 6)
    0.8
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"n must be a positive integer; got {n!r}")
    delta = _as_real(delta, "delta")
    if not 0.0 <= delta <= 1.0:
        raise ValueError(f"delta must be in [0, 1]; got {delta}")
    if rule == "majority":
        if n % 2 == 0:
            raise ValueError(f"the majority closed form requires an odd n; got n={n}")
        return 1.0 - delta * (n - 1) / (2 * n)
    if rule == "unanimity":
        return 1.0 - delta * (n - 1) / n
    raise ValueError(f"rule must be 'majority' or 'unanimity'; got {rule!r}")


# --------------------------------------------------------------------------
# Expected-utility style baseline forecasts
# --------------------------------------------------------------------------


def _positions_weights(positions, weights) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.broadcast_arrays(np.asarray(positions, dtype=float), np.asarray(weights, dtype=float))
    if x.ndim == 0 or x.shape[-1] == 0:
        raise ValueError("positions/weights need a non-empty last (actors) axis")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(w))):
        raise ValueError("positions and weights must be finite")
    if np.any(w < 0):
        raise ValueError("weights must be non-negative")
    if np.any(w.sum(axis=-1) <= 0):
        raise ValueError("weights must not all be zero (along the actors axis)")
    return x, w


def _scalar_if_0d(a: np.ndarray):
    return float(a) if a.ndim == 0 else a


def weighted_mean(positions, weights):
    """Weighted mean position along the last (actors) axis.

    ``sum_j w_j x_j / sum_j w_j`` with ``w_j = capability_j * salience_j``, the
    baseline forecast of Bueno de Mesquita, B. (1994), "Political forecasting:
    an expected utility method", in *European Community Decision Making*
    (Yale UP).  ``positions`` and ``weights`` broadcast to ``(..., actors)``.

    Raises ``ValueError`` on negative, non-finite or all-zero weights.
    Returns a float for 1-D input, otherwise an array of shape ``(...)``.

    Examples
    --------
    >>> weighted_mean([0, 50, 100], [1, 1, 2])
    62.5
    """
    x, w = _positions_weights(positions, weights)
    return _scalar_if_0d((w * x).sum(axis=-1) / w.sum(axis=-1))


def weighted_median(positions, weights):
    """Weighted median position along the last (actors) axis.

    The smallest position ``m`` whose cumulative weight (actors sorted by
    position) reaches half the total: ``sum_{x_j <= m} w_j >= W / 2``.  When the
    weight splits exactly in half this is the *lower* weighted median.  It
    minimises ``sum_j w_j |x_j - m|`` (Black 1948's median voter with weights
    ``capability * salience``, as in Bueno de Mesquita 1994).  The model's best
    packages use the same rule: this checks the input and calls
    ``sim.preferences.weighted_median``.

    Raises ``ValueError`` on negative, non-finite or all-zero weights.
    Returns a float for 1-D input, otherwise an array of shape ``(...)``.

    Examples
    --------
    >>> weighted_median([100, 0, 50], [1, 2, 1])
    0.0
    """
    x, w = _positions_weights(positions, weights)
    return _scalar_if_0d(np.asarray(lower_weighted_median(x, w)))


# --------------------------------------------------------------------------
# Crisis bargaining
# --------------------------------------------------------------------------


def fearon_bargaining_range(p: float, cost_a: float, cost_b: float) -> tuple[float, float]:
    """Deals both sides prefer to war: ``[p - c_A, p + c_B]``.

    In Fearon's model an issue in ``[0, 1]`` is divided with ``x`` going to A;
    A wins a war with probability ``p``, so war is worth ``p - c_A`` to A and
    ``1 - p - c_B`` to B.  A prefers any ``x >= p - c_A`` and B any
    ``x <= p + c_B``.  Reference: Fearon, J. D. (1995), "Rationalist
    explanations for war", International Organization 49(3): 379-414.

    The interval is returned unclipped; intersect with ``[0, 1]`` for feasible
    divisions.  Requires ``0 <= p <= 1`` and non-negative costs (positive costs
    give a non-degenerate range).

    Examples
    --------
    >>> fearon_bargaining_range(0.5, 0.25, 0.125)
    (0.25, 0.625)
    """
    p = _as_real(p, "p")
    cost_a = _as_real(cost_a, "cost_a")
    cost_b = _as_real(cost_b, "cost_b")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p (A's probability of winning) must be in [0, 1]; got {p}")
    if cost_a < 0 or cost_b < 0:
        raise ValueError(f"costs of war must be non-negative; got cost_a={cost_a}, cost_b={cost_b}")
    return (p - cost_a, p + cost_b)
