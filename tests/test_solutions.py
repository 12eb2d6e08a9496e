"""Tests for analysis.solutions.

Expected values come from closed forms or hand calculation (worked out in the
comments), never from the implementation's own output.  Property tests use
small integer utilities so that "different" scores really differ and exact
ties stay ties under rescaling; see the note above the strategies.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from analysis.solutions import (
    baron_ferejohn_proposer_share,
    fearon_bargaining_range,
    kalai_smorodinsky_point,
    nash_point,
    nash_split,
    pareto_front,
    rubinstein_share,
    rubinstein_share_with_outside_options,
    weighted_mean,
    weighted_median,
)

PROPS = settings(max_examples=100, deadline=None, derandomize=True)


TOL = 1e-9  # the documented tolerance: utilities closer than this are equal


def brute_force_front(U):
    """O(n^2) reference straight from the definition of dominance (with its tolerance)."""
    U = np.asarray(U, dtype=float)
    return [
        i
        for i in range(len(U))
        if not any(np.all(U[j] - U[i] >= -TOL) and np.any(U[j] - U[i] > TOL) for j in range(len(U)))
    ]


# ---------------------------------------------------------------- Pareto front


def test_pareto_excludes_dominated_point():
    # (1, 1) is dominated by (2, 1) and (1, 2); (0, 3) is dominated by nothing.
    U = [[2, 1], [1, 1], [1, 2], [0, 3]]
    assert pareto_front(U).tolist() == [0, 2, 3]


def test_pareto_weakly_dominated_point_excluded():
    # (2, 1) is >= (2, 0) everywhere and > in party 1, so (2, 0) is dominated
    # even though it ties party 0's best.
    assert pareto_front([[2, 0], [2, 1], [0, 2]]).tolist() == [1, 2]


def test_pareto_keeps_all_exact_duplicates():
    # Identical vectors do not dominate each other (no strict improvement).
    assert pareto_front([[1, 2], [2, 1], [1, 2], [0, 0]]).tolist() == [0, 1, 2]


def test_pareto_edge_shapes():
    assert pareto_front(np.empty((0, 3))).tolist() == []
    assert pareto_front([[5.0, 1.0, 2.0]]).tolist() == [0]
    # One party: the front is every copy of the maximum.
    assert pareto_front([[1], [3], [2], [3]]).tolist() == [1, 3]
    assert pareto_front([[1, 2], [3, 4]]).dtype.kind == "i"


@pytest.mark.parametrize("bad", [[1, 2, 3], [[1.0, np.nan]], [[np.inf, 0.0]], np.empty((3, 0))])
def test_pareto_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        pareto_front(bad)


def test_pareto_large_known_front():
    # Every non-negative integer 4-vector with sum exactly S is undominated
    # (dominating would need a strictly larger sum); any such vector with
    # sum < S is dominated by one with sum S.  C(S+3, 3) = 4495 for S = 28,
    # so this also exercises the worst case (almost every outcome on the front).
    S = 28
    top = np.array([c for c in itertools.product(range(S + 1), repeat=3) if sum(c) <= S])
    top = np.column_stack([top, S - top.sum(axis=1)])
    rng = np.random.default_rng(0)
    low = rng.integers(0, 8, size=(500, 4))  # sums <= 28, redrawn below if == S
    low = low[low.sum(axis=1) < S]
    U = np.vstack([top, low]).astype(float)
    perm = rng.permutation(len(U))
    U = U[perm]
    expected = np.flatnonzero(U.sum(axis=1) == S)
    assert len(top) == math.comb(S + 3, 3) == len(expected)
    np.testing.assert_array_equal(pareto_front(U), expected)


def test_pareto_matches_reference_across_blocks():
    # Larger than one sweep block; vectorised O(n^2) reference.
    rng = np.random.default_rng(1)
    U = rng.integers(0, 6, size=(700, 3)).astype(float)
    ge = (U[None, :, :] >= U[:, None, :]).all(axis=2)
    gt = (U[None, :, :] > U[:, None, :]).any(axis=2)
    expected = np.flatnonzero(~(ge & gt).any(axis=1))
    np.testing.assert_array_equal(pareto_front(U), expected)


# --------------------------------------------------- Nash and Kalai-Smorodinsky

# Hand-built frontier, d = (0, 0); all four outcomes are mutually undominated
# (party 0 falls while party 1 rises) and (3, 5) is dominated by (6, 6).
#   outcome   u       Nash product   ideal = (10, 20): normalised gains   min
#   0       (10, 1)   10             (1.0, 0.05)                          0.05
#   1       (6, 6)    36  <- max     (0.6, 0.30)                          0.30
#   2       (4, 8)    32             (0.4, 0.40)                          0.40 <- max
#   3       (1, 20)   20             (0.1, 1.00)                          0.10
#   4       (3, 5)    15             dominated
# Nash picks 1, KS picks 2: the outlier (1, 20) raises party 1's ideal point,
# which moves KS but, by independence of irrelevant alternatives, not Nash.
FRONTIER = [[10, 1], [6, 6], [4, 8], [1, 20], [3, 5]]


def test_nash_and_ks_differ_on_hand_frontier():
    assert nash_point(FRONTIER, [0, 0]) == 1
    assert kalai_smorodinsky_point(FRONTIER, [0, 0]) == 2
    assert pareto_front(FRONTIER).tolist() == [0, 1, 2, 3]


def test_nash_excludes_outcome_below_disagreement():
    # d = (2, 0).  Outcome 0 = (0, -10) has gains (-2, -10), whose raw product
    # 20 would beat everything; it is ineligible.  Eligible: outcome 1 gains
    # (1, 3) -> 3, outcome 2 gains (0.5, 4) -> 2.  Outcome 3 = (1, 100) leaves
    # party 0 below d (gain -1) and is also ineligible.
    U = [[0, -10], [3, 3], [2.5, 4], [1, 100]]
    assert nash_point(U, [2, 0]) == 1
    assert kalai_smorodinsky_point(U, [2, 0]) in (1, 2)


def test_ks_excludes_ineligible_from_ideal_point():
    # d = (0, 0).  Outcome 0 = (-1, 10) is ineligible, so the ideal point is
    # (4, 4) from the eligible outcomes.  Normalised mins:
    #   (4, 1) -> min(1, 0.25) = 0.25;  (3, 2) -> min(0.75, 0.5) = 0.5;
    #   (1, 4) -> min(0.25, 1) = 0.25                       => outcome 2.
    # Had the ineligible (-1, 10) set the ideal to (4, 10), the mins would be
    # 0.1, 0.2, 0.25 and outcome 3 would (wrongly) win.
    U = [[-1, 10], [4, 1], [3, 2], [1, 4]]
    assert kalai_smorodinsky_point(U, [0, 0]) == 2


def test_ks_tie_broken_by_larger_sum_of_normalised_gains():
    # d = (0, 0, 0); ideal = (4, 4, 4).  Outcomes (2, 4, 2) and (2, 2, 4) and
    # (4, 2, 2) all have min 0.5 and sum 2.0; (2, 3, 3) has min 0.5, sum 2.0.
    # Make one strictly larger: (2, 4, 3) -> min 0.5, sum 2.25 (it dominates
    # (2, 4, 2), which is therefore off the front).
    U = [[2, 4, 2], [4, 2, 2], [2, 4, 3], [2, 2, 4]]
    assert kalai_smorodinsky_point(U, [0, 0, 0]) == 2


def test_nash_zero_gain_is_minimum_product():
    # (0, 5) gives party 0 zero gain -> product 0; (1, 1) -> product 1.
    assert nash_point([[0, 5], [1, 1]], [0, 0]) == 1
    # If every eligible outcome has a zero gain, pick the smallest-index
    # Pareto-optimal one: (0, 0) is dominated by both others.
    assert nash_point([[0, 0], [0, 5], [3, 0]], [0, 0]) == 1


def test_nash_tie_goes_to_smallest_index():
    # Products 2*3 = 3*2 = 6.
    assert nash_point([[1, 1], [3, 2], [2, 3]], [0, 0]) == 1


@pytest.mark.parametrize("c", [0.1, 1.0, 3.0, 7.0, 1e3])
def test_nash_exact_tie_survives_rescaling(c):
    # Products (2c)*3 and (3c)*2 are equal for every c > 0, but the float log
    # sums differ in the last bit for some c (e.g. 3 and 7); the tie rule
    # (smallest index) must still apply.
    assert nash_point([[2 * c, 3], [3 * c, 2]], [0, 0]) == 0


def test_no_eligible_outcome_returns_none():
    U = [[1, 5], [5, 1]]
    d = [2, 2]
    assert nash_point(U, d) is None
    assert kalai_smorodinsky_point(U, d) is None
    assert nash_point(np.empty((0, 2)), d) is None


def test_nash_requires_disagreement_of_right_shape():
    with pytest.raises(TypeError):
        nash_point([[1, 2]])  # no default disagreement point
    with pytest.raises(ValueError):
        nash_point([[1, 2]], [0, 0, 0])
    with pytest.raises(ValueError):
        kalai_smorodinsky_point([[1, 2]], [0, np.nan])


def test_nash_point_two_party_continuous_limit():
    # Fine grid on the frontier u0 + u1 = 1 with d = (0.1, 0.3): the Nash
    # point splits the surplus 0.6 equally -> (0.4, 0.6), matching nash_split.
    x = np.linspace(0, 1, 1001)
    U = np.column_stack([x, 1 - x])
    k = nash_point(U, [0.1, 0.3])
    np.testing.assert_allclose(U[k], [0.4, 0.6], atol=1e-12)


# ------------------------------------------------------------------ closed forms


def test_rubinstein_known_value():
    assert rubinstein_share(0.9, 0.8) == pytest.approx(0.2 / 0.28)
    assert rubinstein_share(0.9, 0.8) == pytest.approx(0.7142857142857143)


@pytest.mark.parametrize("d", [0.0, 0.5, 0.9, 0.99])
def test_rubinstein_equal_discounts(d):
    assert rubinstein_share(d, d) == pytest.approx(1 / (1 + d))


def test_rubinstein_extremes():
    assert rubinstein_share(0.0, 0.0) == 1.0  # impatient responder takes nothing
    assert rubinstein_share(0.5, 0.0) == 1.0


@pytest.mark.parametrize("d1, d2", [(1, 1), (1.0, 0.5), (0.5, 1.0), (-0.1, 0.5), (0.5, 1.5), (np.nan, 0.5)])
def test_rubinstein_rejects_invalid_discounts(d1, d2):
    with pytest.raises(ValueError):
        rubinstein_share(d1, d2)


def test_rubinstein_d1_d2_one_message():
    with pytest.raises(ValueError, match="undefined"):
        rubinstein_share(1, 1)


def test_rubinstein_outside_options():
    s = 1 / 1.9  # d1 = d2 = 0.9
    assert rubinstein_share_with_outside_options(0.9, 0.9, 0.0, 0.0) == pytest.approx(s)
    assert rubinstein_share_with_outside_options(0.9, 0.9, 0.3, 0.3) == pytest.approx(s)  # options don't bind
    assert rubinstein_share_with_outside_options(0.9, 0.9, 0.6, 0.0) == pytest.approx(0.6)  # w1 binds
    assert rubinstein_share_with_outside_options(0.9, 0.9, 0.0, 0.7) == pytest.approx(0.3)  # w2 binds: 1 - 0.7
    assert rubinstein_share_with_outside_options(0.9, 0.9, 0.4, 0.6) == pytest.approx(0.4)  # w1 + w2 = 1
    assert rubinstein_share_with_outside_options(0.9, 0.9, 0.6, 0.5) is None  # w1 + w2 > 1
    with pytest.raises(ValueError):
        rubinstein_share_with_outside_options(0.9, 0.9, -0.1, 0.0)
    with pytest.raises(ValueError):
        rubinstein_share_with_outside_options(0.9, 0.9, 0.0, 1.2)


def test_nash_split_known_values():
    np.testing.assert_allclose(nash_split([0.1, 0.3]), [0.4, 0.6])
    np.testing.assert_allclose(nash_split([0, 0, 0], pie=3.0), [1, 1, 1])
    # d = (1, 2, 3), pie 9: surplus 3 -> 1 each -> (2, 3, 4).
    np.testing.assert_allclose(nash_split([1, 2, 3], pie=9), [2, 3, 4])
    # Disagreement exactly exhausting the pie (with float rounding) is allowed.
    np.testing.assert_allclose(nash_split([0.1, 0.2], pie=0.3), [0.1, 0.2])


def test_nash_split_rejects_infeasible():
    with pytest.raises(ValueError, match="exceeds"):
        nash_split([0.6, 0.5])
    with pytest.raises(ValueError):
        nash_split([])


def test_baron_ferejohn_known_values():
    assert baron_ferejohn_proposer_share(3, 1.0, "majority") == pytest.approx(2 / 3)
    assert baron_ferejohn_proposer_share(3, 1.0, "unanimity") == pytest.approx(1 / 3)
    # n = 5, delta = 0.8: two partners at 0.8/5 = 0.16 each -> 0.68.
    assert baron_ferejohn_proposer_share(5, 0.8, "majority") == pytest.approx(0.68)
    # Unanimity, same: four partners at 0.16 -> 0.36.
    assert baron_ferejohn_proposer_share(5, 0.8, "unanimity") == pytest.approx(0.36)
    assert baron_ferejohn_proposer_share(7, 0.0, "majority") == 1.0


@pytest.mark.parametrize(
    "n, delta, rule",
    [(4, 0.9, "majority"), (0, 0.9, "unanimity"), (3, 1.1, "majority"), (3, 0.9, "plurality"), (2.0, 0.9, "unanimity")],
)
def test_baron_ferejohn_rejects_invalid(n, delta, rule):
    with pytest.raises(ValueError):
        baron_ferejohn_proposer_share(n, delta, rule)


def test_fearon_range():
    lo, hi = fearon_bargaining_range(0.6, 0.1, 0.2)
    assert (lo, hi) == (pytest.approx(0.5), pytest.approx(0.8))
    assert fearon_bargaining_range(0.5, 0.0, 0.0) == (0.5, 0.5)
    for bad in [(1.2, 0.1, 0.1), (-0.1, 0.1, 0.1), (0.5, -0.1, 0.1), (0.5, 0.1, -0.1), (0.5, np.nan, 0.1)]:
        with pytest.raises(ValueError):
            fearon_bargaining_range(*bad)


# ------------------------------------------------------ weighted mean / median


def test_weighted_median_hand_cases():
    # Equal weights, odd count: cumulative (1, 2, 3), half 1.5 -> 50.
    assert weighted_median([0, 50, 100], [1, 1, 1]) == 50
    # Heavy first actor: cumulative (3, 4, 5), half 2.5 -> 0.
    assert weighted_median([0, 50, 100], [3, 1, 1]) == 0
    # Exact half split: cumulative (1, 2), half 1 reached at 10 -> lower median.
    assert weighted_median([10, 20], [1, 1]) == 10
    # Unsorted input: sorted (0, 50, 100) with weights (2, 1, 1), half 2 -> 0.
    assert weighted_median([100, 0, 50], [1, 2, 1]) == 0
    # Zero-weight actors carry no weight: cumulative (0, 1), half 0.5 -> 5.
    assert weighted_median([0, 5], [0, 1]) == 5
    # Float weights summing to 0.6: half 0.3 reached at position 2.
    assert weighted_median([1, 2, 3], [0.1, 0.2, 0.3]) == 2


def test_weighted_mean_hand_cases():
    assert weighted_mean([0, 50, 100], [1, 1, 2]) == pytest.approx(62.5)
    assert weighted_mean([10, 20], [1, 0]) == pytest.approx(10)


def test_weighted_stats_broadcast_along_last_axis():
    positions = np.array([[0, 50, 100], [100, 0, 50]])  # two issues x 3 actors
    weights = np.array([3, 1, 1])  # capability * salience, shared
    np.testing.assert_allclose(weighted_median(positions, weights), [0, 100])
    np.testing.assert_allclose(weighted_mean(positions, weights), [30, 70])
    # Capability (actors,) times per-issue salience (issues, actors).
    capability = np.array([1.0, 2.0, 1.0])
    salience = np.array([[1.0, 1.0, 1.0], [1.0, 0.0, 1.0]])
    # Issue 0: weights (1, 2, 1) -> median 50, mean 50.
    # Issue 1: weights (1, 0, 1) over (100, 0, 50) -> sorted (0, 50, 100) w (0, 1, 1),
    #   cumulative (0, 1, 2), half 1 -> 50; mean (100 + 50) / 2 = 75.
    np.testing.assert_allclose(weighted_median(positions, capability * salience), [50, 50])
    np.testing.assert_allclose(weighted_mean(positions, capability * salience), [50, 75])
    assert np.shape(weighted_median(np.zeros((2, 4, 5)), np.ones(5))) == (2, 4)


@pytest.mark.parametrize("func", [weighted_mean, weighted_median])
def test_weighted_stats_reject_bad_weights(func):
    with pytest.raises(ValueError, match="non-negative"):
        func([1, 2, 3], [1, -1, 1])
    with pytest.raises(ValueError, match="zero"):
        func([1, 2, 3], [0, 0, 0])
    with pytest.raises(ValueError, match="zero"):
        func([[1, 2], [3, 4]], [[1, 1], [0, 0]])  # one all-zero slice is enough
    with pytest.raises(ValueError):
        func([1, 2, np.nan], [1, 1, 1])
    with pytest.raises(ValueError):
        func([], [])


# ------------------------------------------------------------ property tests
#
# Utilities are small integers (as floats).  Then distinct Nash products and
# distinct normalised gains differ by far more than the solver's tie tolerance,
# while exactly tied outcomes stay tied after any rescaling or shift, so the
# invariance properties are exact statements rather than rounding lotteries.


@st.composite
def bargaining_problems(draw, max_outcomes=12, max_parties=4):
    n = draw(st.integers(1, max_outcomes))
    p = draw(st.integers(1, max_parties))
    U = draw(hnp.arrays(np.int64, (n, p), elements=st.integers(-5, 10))).astype(float)
    d = draw(hnp.arrays(np.int64, (p,), elements=st.integers(-5, 3))).astype(float)
    return U, d


small_int_utilities = st.integers(1, 4).flatmap(
    lambda p: hnp.arrays(
        np.int64, st.tuples(st.integers(0, 30), st.just(p)), elements=st.integers(0, 3)
    )
)
float_utilities = st.integers(1, 4).flatmap(
    lambda p: hnp.arrays(
        np.float64,
        st.tuples(st.integers(0, 20), st.just(p)),
        elements=st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    )
)


@PROPS
@given(small_int_utilities)
def test_pareto_matches_brute_force_with_ties(U):
    assert pareto_front(U).tolist() == brute_force_front(U)


@PROPS
@given(float_utilities)
def test_pareto_matches_brute_force_floats(U):
    assert pareto_front(U).tolist() == brute_force_front(U)


@PROPS
@given(bargaining_problems())
def test_nash_and_ks_lie_on_pareto_front(problem):
    U, d = problem
    front = set(pareto_front(U).tolist())
    for solver in (nash_point, kalai_smorodinsky_point):
        k = solver(U, d)
        if k is None:
            assert not np.any((U >= d).all(axis=1))
        else:
            assert k in front
            assert np.all(U[k] >= d)


@PROPS
@given(bargaining_problems())
def test_nash_attains_brute_force_max_product(problem):
    U, d = problem
    eligible = (U >= d).all(axis=1)
    assume(eligible.any())
    products = np.prod(U[eligible] - d, axis=1)  # exact: small integers
    assert np.prod(U[nash_point(U, d)] - d) == products.max()


@PROPS
@given(
    bargaining_problems(),
    st.integers(0, 3),
    st.floats(1e-3, 1e3, allow_nan=False, allow_infinity=False),
)
def test_nash_invariant_to_rescaling_one_party(problem, party, scale):
    U, d = problem
    party %= U.shape[1]
    U2, d2 = U.copy(), d.copy()
    U2[:, party] *= scale
    d2[party] *= scale
    assert nash_point(U2, d2) == nash_point(U, d)
    assert kalai_smorodinsky_point(U2, d2) == kalai_smorodinsky_point(U, d)


@PROPS
@given(
    bargaining_problems(),
    st.integers(0, 3),
    st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False),
)
def test_nash_invariant_to_shifting_one_party(problem, party, shift):
    U, d = problem
    party %= U.shape[1]
    U2, d2 = U.copy(), d.copy()
    U2[:, party] += shift
    d2[party] += shift
    assert nash_point(U2, d2) == nash_point(U, d)
    assert kalai_smorodinsky_point(U2, d2) == kalai_smorodinsky_point(U, d)


@PROPS
@given(st.floats(0, 0.999), st.floats(0, 0.999))
def test_rubinstein_share_properties(d1, d2):
    s = rubinstein_share(d1, d2)
    assert 0 < s <= 1
    # The responder is indifferent between accepting 1 - s now and proposing
    # next period (getting s' = share with roles swapped, discounted by d2).
    assert 1 - s == pytest.approx(d2 * rubinstein_share(d2, d1), abs=1e-9)


@PROPS
@given(
    st.floats(0, 0.99),
    st.floats(0, 0.99),
    st.floats(0, 1),
    st.floats(0, 1),
)
def test_outside_option_share_respects_options(d1, d2, w1, w2):
    x = rubinstein_share_with_outside_options(d1, d2, w1, w2)
    if w1 + w2 > 1:
        assert x is None
    else:
        assert w1 - 1e-12 <= x <= 1 - w2 + 1e-12


weight_arrays = st.integers(1, 8).flatmap(
    lambda n: st.tuples(
        hnp.arrays(np.float64, (n,), elements=st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)),
        hnp.arrays(np.float64, (n,), elements=st.floats(0, 100, allow_nan=False, allow_infinity=False)),
    )
)


@PROPS
@given(weight_arrays)
def test_weighted_median_between_extremes_and_minimises_deviation(xw):
    x, w = xw
    assume(w.sum() > 1e-6)
    m = weighted_median(x, w)
    assert x.min() <= m <= x.max()
    assert m in x
    # The weighted median minimises the weighted absolute deviation.
    cost = lambda y: float(np.sum(w * np.abs(x - y)))  # noqa: E731
    assert cost(m) <= min(cost(y) for y in x) * (1 + 1e-9) + 1e-9


@PROPS
@given(weight_arrays, st.floats(1e-3, 1e3))
def test_weighted_mean_invariant_to_weight_scaling(xw, c):
    x, w = xw
    assume(w.sum() > 1e-6)
    mean = weighted_mean(x, w)
    assert x.min() - 1e-9 <= mean <= x.max() + 1e-9
    assert weighted_mean(x, c * w) == pytest.approx(mean, rel=1e-9, abs=1e-9)


def test_equal_utilities_up_to_rounding_pick_the_same_index_whatever_the_shift():
    # 0.1 + 0.2 is 0.30000000000000004: equal to 0.3 within the stated tolerance, so rows 0 and
    # 1 are the same deal for every party and the tie goes to the smaller index, before and
    # after shifting every utility and the disagreement point by a constant.
    U = np.array([[0.3, 0.5], [0.1 + 0.2, 0.5], [0.2, 0.6]])
    d = np.array([0.0, 0.0])
    assert pareto_front(U).tolist() == [0, 1, 2]
    for shift in (0.0, 1000.0, -7.25, 1e6):
        assert nash_point(U + shift, d + shift) == 0
        assert kalai_smorodinsky_point(U + shift, d + shift) == kalai_smorodinsky_point(U, d)
