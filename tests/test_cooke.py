"""Cooke's classical model (analysis/cooke.py) against values computed by hand from the
published method (Cooke 1991; Cooke and Goossens 2008), paired with properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import cooke


def seeds_with_hits(hits) -> tuple[np.ndarray, np.ndarray]:
    """One expert's quantiles (0, 1, 2) on every seed and realisations placed to give `hits`
    (counts per inter-quantile bin): -1 in the lower tail, 0.5, 1.5 between the quantiles, 3 above."""
    r = np.repeat([-1.0, 0.5, 1.5, 3.0], hits)
    return np.tile([0.0, 1.0, 2.0], (len(r), 1)), r


def test_an_expert_whose_hits_are_exactly_p_has_no_relative_information_and_calibration_one():
    # hits (1, 9, 9, 1) over N = 20: s = (0.05, 0.45, 0.45, 0.05) = p, so I(s, p) = 0 and the
    # p-value of chi2_3 at 0 is 1.
    q, r = seeds_with_hits([1, 9, 9, 1])
    assert cooke.relative_information(cooke.hit_counts(q, r) / 20) == 0.0
    assert cooke.calibration(q, r) == 1.0


def test_calibration_of_a_small_case_by_hand():
    # hits (0, 5, 5, 0) over N = 10: s = (0, .5, .5, 0), I = 2 * 0.5 ln(0.5 / 0.45) = ln(10/9).
    # The statistic is x = 2 N I = 20 ln(10/9) = 2.10721.  chi2 with 3 degrees of freedom has the
    # survival function  sf(x) = erfc(sqrt(x/2)) + sqrt(2x/pi) exp(-x/2),  and here
    # exp(-x/2) = (9/10)^10, so C = erfc(sqrt(10 ln(10/9))) + sqrt(40 ln(10/9) / pi) 0.9^10 = 0.550455.
    q, r = seeds_with_hits([0, 5, 5, 0])
    assert cooke.relative_information(cooke.hit_counts(q, r) / 10) == pytest.approx(math.log(10 / 9), rel=1e-14)
    by_hand = math.erfc(math.sqrt(10 * math.log(10 / 9))) + math.sqrt(40 * math.log(10 / 9) / math.pi) * 0.9 ** 10
    assert by_hand == pytest.approx(0.550455, abs=1e-6)
    assert cooke.calibration(q, r) == pytest.approx(by_hand, rel=1e-12)


def test_an_overconfident_expert_is_badly_calibrated():
    # hits (5, 0, 0, 5): s = (.5, 0, 0, .5), I = ln(0.5 / 0.05) = ln 10, x = 20 ln 10 = 46.05:
    # C = erfc(sqrt(10 ln 10)) + sqrt(40 ln 10 / pi) 10^-10 = 5.53e-10.
    q, r = seeds_with_hits([5, 0, 0, 5])
    by_hand = math.erfc(math.sqrt(10 * math.log(10))) + math.sqrt(40 * math.log(10) / math.pi) * 1e-10
    assert cooke.calibration(q, r) == pytest.approx(by_hand, rel=1e-9)
    assert by_hand == pytest.approx(5.5297e-10, rel=1e-4)


def test_a_realisation_on_a_quantile_counts_in_the_bin_below():
    assert cooke.hit_counts(np.array([[0.0, 1.0, 2.0]] * 3), np.array([0.0, 1.0, 2.0])).tolist() == [1, 1, 1, 0]


def test_information_by_hand():
    # On [0, 1] with a uniform background, the background's masses between (0, q05, q50, q95, 1)
    # are the bin widths.  Quantiles (0.05, 0.5, 0.95): widths = p, information 0.
    assert cooke.information([0.05, 0.5, 0.95], 0.0, 1.0) == pytest.approx(0.0, abs=1e-15)
    # Quantiles (0.4, 0.5, 0.6): widths (0.4, 0.1, 0.1, 0.4); I = 2 (0.05 ln(0.05/0.4)) +
    # 2 (0.45 ln(0.45/0.1)) = 0.1 ln(1/8) + 0.9 ln 4.5 = 1.145726.
    assert cooke.information([0.4, 0.5, 0.6], 0.0, 1.0) == pytest.approx(0.1 * math.log(1 / 8) + 0.9 * math.log(4.5))
    assert cooke.information([0.4, 0.5, 0.6], 0.0, 1.0) == pytest.approx(1.145726, abs=1e-6)
    # Log-uniform background on [1, e]: quantiles at exp(0.05), exp(0.5), exp(0.95) are its own.
    assert cooke.information(np.exp([0.05, 0.5, 0.95]), 1.0, math.e, log=True) == pytest.approx(0.0, abs=1e-12)


def test_intrinsic_range_by_hand():
    # Experts (1, 2, 3) and (2, 4, 8), realisation 10: smallest 1, largest 10, span 9, 10% = 0.9.
    assert cooke.intrinsic_range(np.array([[1, 2, 3], [2, 4, 8]]), 10.0) == pytest.approx((0.1, 10.9))
    # Log background: logs span ln 1 = 0 to ln 100; 10% of it each side: 10^-0.2 to 10^2.2.
    assert cooke.intrinsic_range(np.array([[1, 10, 100]]), None, log=True) == pytest.approx((10 ** -0.2, 10 ** 2.2))


def test_global_weights_by_hand():
    # C = (0.5, 0.1), I = (1, 2): unnormalised C I = (0.5, 0.2); normalised (5/7, 2/7).  With
    # alpha = 0.2 the second falls below the cut-off: (1, 0).
    assert cooke.global_weights([0.5, 0.1], [1.0, 2.0], 0.0) == pytest.approx([5 / 7, 2 / 7])
    assert cooke.global_weights([0.5, 0.1], [1.0, 2.0], 0.2) == pytest.approx([1.0, 0.0])
    with pytest.raises(ValueError, match="alpha = 0.6"):
        cooke.global_weights([0.5, 0.1], [1.0, 2.0], 0.6)


def test_pooled_quantiles_by_hand():
    # One item on the range [0, 10]; experts (1, 2, 3) and (7, 8, 9) with equal weight.  Their
    # minimum-information CDFs are linear between (0, 1, 2, 3, 10) and (0, 7, 8, 9, 10) at levels
    # (0, .05, .5, .95, 1).  By symmetry the pooled median is 5.  The pooled 5% quantile lies in
    # [1, 2], where F = 0.5 (0.05 + 0.45 (x - 1)) + 0.5 (0.05 x / 7).  F = 0.05, times 14:
    # 3.15 (x - 1) + 0.05 x = 0.35, so with y = x - 1, 3.2 y = 0.3, y = 3/32: x = 1.09375.  By
    # symmetry the 95% quantile is 10 - 1.09375.
    q = np.array([[[1.0, 2.0, 3.0]], [[7.0, 8.0, 9.0]]])
    got = cooke.pooled_quantiles(q, np.array([0.5, 0.5]), np.array([[0.0, 10.0]]))
    assert got[0] == pytest.approx([1.09375, 5.0, 8.90625], abs=1e-12)


# ------------------------------------------------------------------ properties

@st.composite
def panels(draw, max_experts: int = 4, max_items: int = 8):
    """Quantiles (E, N, 3), strictly increasing per expert and item, and realisations (N,)."""
    e, n = draw(st.integers(1, max_experts)), draw(st.integers(1, max_items))
    grid = st.integers(-50, 50)
    q = np.empty((e, n, 3))
    for i in range(e):
        for j in range(n):
            a = draw(grid)
            gaps = draw(st.lists(st.integers(1, 30), min_size=2, max_size=2))
            q[i, j] = [a, a + gaps[0], a + gaps[0] + gaps[1]]
    r = np.array([draw(st.integers(-80, 120)) + 0.5 for _ in range(n)])
    return q, r


@settings(max_examples=60, deadline=None)
@given(panels())
def test_scores_are_in_range_and_weights_sum_to_one(panel):
    q, r = panel
    m = cooke.classical_model(q, r)
    assert np.all((m.calibration >= 0) & (m.calibration <= 1))
    assert np.all(m.information >= -1e-12)  # relative information is never negative
    assert m.weights.sum() == pytest.approx(1.0) and np.all(m.weights >= 0)
    assert 0 <= m.dm_calibration <= 1


@settings(max_examples=40, deadline=None)
@given(panels(), st.randoms(use_true_random=False))
def test_permuting_experts_changes_nothing(panel, rnd):
    q, r = panel
    order = list(range(len(q)))
    rnd.shuffle(order)
    a, b = cooke.classical_model(q, r), cooke.classical_model(q[order], r)
    assert b.weights == pytest.approx(a.weights[order], abs=1e-12)
    assert (b.alpha, b.dm_calibration) == pytest.approx((a.alpha, a.dm_calibration), abs=1e-12)
    assert b.dm_information == pytest.approx(a.dm_information, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(panels(max_experts=1), st.integers(2, 4))
def test_a_panel_of_identical_experts_is_each_of_them(panel, copies):
    q, r = panel
    m = cooke.classical_model(np.repeat(q, copies, axis=0), r)
    assert m.weights == pytest.approx(np.full(copies, 1 / copies))
    cal, info, ranges = cooke.scores(q, r)
    assert cooke.pooled_quantiles(np.repeat(q, copies, axis=0), m.weights, ranges) == pytest.approx(q[0], abs=1e-9)
    assert m.dm_calibration == pytest.approx(cal[0]) and m.dm_information == pytest.approx(info[0])


@settings(max_examples=30, deadline=None)
@given(panels(max_experts=3))
def test_the_optimised_cut_off_scores_at_least_as_well_as_any_fixed_one(panel):
    q, r = panel
    best = cooke.classical_model(q, r)
    for alpha in set(best.calibration.tolist()):
        assert best.dm_score >= cooke.classical_model(q, r, alpha=alpha).dm_score - 1e-12
