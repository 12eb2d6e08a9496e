"""The paired difference of proportions (Newcombe 1998, method 10 for paired data), the paired
difference of means, and the check that two sets of runs share their draws before pairing."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.pairing import Draws, Pairing, not_paired_because
from analysis.stats import (PAIRED, UNPAIRED, paired_difference_from_table, paired_mean_difference,
                            paired_proportion_difference, proportion_difference)


def test_newcombes_first_paired_example_by_hand():
    """Newcombe (1998, Stat. Med. 17: 2635), example (a): 36 pairs with the event under both, 12
    under the first only, 2 under the second only, none under neither (n = 50): p1 = 48/50 = 0.96,
    p2 = 38/50 = 0.76, difference 0.20.  By hand, z = 1.959964:
      Wilson 48/50: [0.865399, 0.988961]; 38/50: [0.625873, 0.857026]
      ad - bc = 0 - 24 = -24 (negative: no correction); margins 48, 2, 38, 12;
      phi = -24 / sqrt(48 x 2 x 38 x 12) = -24 / 209.2271 = -0.114708
      lower = 0.2 - sqrt(0.094601^2 + 2 x 0.114708 x 0.094601 x 0.097026 + 0.097026^2)
            = 0.2 - sqrt(0.008949 + 0.002106 + 0.009414) = 0.2 - 0.143070 = 0.056930
      upper = 0.2 + sqrt(0.028961^2 + 2 x 0.114708 x 0.028961 x 0.134127 + 0.134127^2)
            = 0.2 + sqrt(0.000839 + 0.000891 + 0.017990) = 0.2 + 0.140428 = 0.340428
    In this module's terms B is the first (48) and A the second (38)."""
    e = paired_difference_from_table(both=36, only_a=2, only_b=12, neither=0)
    assert e.value == pytest.approx(0.2)
    assert e.low == pytest.approx(0.056930, abs=2e-6) and e.high == pytest.approx(0.340428, abs=2e-6)


def test_the_correlation_term_is_corrected_toward_zero_as_newcombe_does():
    """A table with positive correlation (Cavo et al. 2012, complete response before and after
    consolidation: 59, 6, 16, 80; n = 161), the worked example of the paired chapter of Fagerland,
    Lydersen and Laake's Statistical Analysis of Contingency Tables (2017), whose companion R
    package gives -0.0621 (-0.1186 to -0.0046) for Newcombe's square-and-add interval.  By hand:
      p_B = 65/161 = 0.403727, Wilson [0.331037, 0.480904]; p_A = 75/161 = 0.465839, [0.390481, 0.542789]
      ad - bc = 59 x 80 - 6 x 16 = 4624 > n/2, so the numerator is 4624 - 80.5 = 4543.5;
      phi = 4543.5 / sqrt(65 x 96 x 75 x 86) = 4543.5 / 6344.131 = 0.716174
      lower = -0.062112 - sqrt(0.072690^2 - 2 phi 0.072690 x 0.076950 + 0.076950^2) = -0.118621
      upper = -0.062112 + sqrt(0.077177^2 - 2 phi 0.077177 x 0.075358 + 0.075358^2) = -0.004625
    Without the n/2 correction (phi = 0.728863) the interval would be [-0.1174, -0.0059]."""
    e = paired_difference_from_table(both=59, only_a=16, only_b=6, neither=80)
    assert e.value == pytest.approx(-10 / 161)
    assert e.low == pytest.approx(-0.118621, abs=2e-6) and e.high == pytest.approx(-0.004625, abs=2e-6)
    assert round(e.low, 4) == -0.1186 and round(e.high, 4) == -0.0046


def test_a_small_positively_correlated_table_by_hand():
    """10 runs succeed under both, 3 under A only, 7 under B only, 80 under neither (n = 100):
    p_A = 0.13, Wilson [0.077572, 0.209804]; p_B = 0.17, [0.108936, 0.255480]; d = 0.04.
    ad - bc = 800 - 21 = 779 > n/2 = 50: numerator 729; phi = 729 / sqrt(13 x 87 x 17 x 83)
    = 729 / 1263.266 = 0.577076.
      lower = 0.04 - sqrt(0.061064^2 - 2 phi 0.061064 x 0.079804 + 0.079804^2)
            = 0.04 - sqrt(0.0037288 - 0.0056244 + 0.0063687) = 0.04 - 0.066881 = -0.026881
      upper = 0.04 + sqrt(0.085480^2 - 2 phi 0.085480 x 0.052428 + 0.052428^2)
            = 0.04 + sqrt(0.0073068 - 0.0051724 + 0.0027487) = 0.04 + 0.069880 = 0.109880"""
    a = np.array([1] * 10 + [1] * 3 + [0] * 7 + [0] * 80, bool)
    b = np.array([1] * 10 + [0] * 3 + [1] * 7 + [0] * 80, bool)
    e = paired_proportion_difference(a, b)
    assert e.value == pytest.approx(0.04)
    assert e.low == pytest.approx(-0.026881, abs=2e-6) and e.high == pytest.approx(0.109880, abs=2e-6)


def test_no_correlation_gives_the_interval_for_independent_samples():
    # ad = bc (2 x 2 = 4 x 1): phi = 0 and the two Wilson intervals combine as Newcombe's unpaired method 10
    e, u = paired_difference_from_table(2, 4, 1, 2), proportion_difference(6, 9, 3, 9)
    assert (e.value, e.low, e.high) == pytest.approx((u.value, u.low, u.high))


def test_paired_interval_is_much_narrower_when_runs_mostly_agree():
    """The headline's case: runs end alike in A and B but for a few.  3,500 deals under both,
    60 under B only, 20 under A only, 6,420 under neither: d = +0.4 pp."""
    e = paired_difference_from_table(3500, 20, 60, 6420)
    u = proportion_difference(3520, 10_000, 3560, 10_000)
    assert e.value == pytest.approx(0.004) == pytest.approx(u.value)
    assert e.low > 0 and u.low < 0  # clear of zero paired, not unpaired
    assert e.high - e.low < (u.high - u.low) / 5


def test_identical_outcomes_keep_a_width():
    """No run differs, none succeeds: d = 0 with Wilson's width (0 of 1,000 is not certainty)."""
    z = np.zeros(1000, bool)
    e = paired_proportion_difference(z, z)
    assert e.value == 0 and e.low < 0 < e.high and e.high == pytest.approx(0.003827, abs=1e-6)
    assert math.isnan(paired_proportion_difference([], []).value)
    with pytest.raises(ValueError, match="same runs"):
        paired_proportion_difference(z, z[:10])
    with pytest.raises(ValueError, match="counts >= 0"):
        paired_difference_from_table(1, -1, 0, 0)


tables = st.tuples(*(st.integers(0, 60) for _ in range(4))).filter(lambda t: sum(t) > 0)


@given(tables)
def test_interval_contains_the_point_estimate(t):
    e = paired_difference_from_table(*t)
    assert -1 <= e.low <= e.value <= e.high <= 1


@given(tables)
def test_swapping_the_samples_flips_the_sign(t):
    both, only_a, only_b, neither = t
    e, f = paired_difference_from_table(*t), paired_difference_from_table(both, only_b, only_a, neither)
    assert (f.value, f.low, f.high) == pytest.approx((-e.value, -e.high, -e.low), abs=1e-12)


@given(tables)
def test_width_shrinks_with_more_runs_in_the_same_proportions(t):
    e, f = paired_difference_from_table(*t), paired_difference_from_table(*(4 * k for k in t))
    assert f.value == pytest.approx(e.value)
    assert f.high - f.low < e.high - e.low


@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=80))
def test_arrays_and_table_agree(pairs):
    a, b = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    e = paired_proportion_difference(a, b)
    f = paired_difference_from_table(int((a & b).sum()), int((a & ~b).sum()), int((~a & b).sum()),
                                     int((~a & ~b).sum()))
    assert (e.value, e.low, e.high) == (f.value, f.low, f.high)
    assert e.value == pytest.approx(b.mean() - a.mean())


def test_paired_difference_of_means_by_hand():
    """Per-run differences 1, 2, 3, 4: mean 2.5, sd sqrt(5/3) = 1.290994, se 0.645497;
    2.5 -+ 1.959964 x 0.645497 = 2.5 -+ 1.265151 = [1.234849, 3.765151].  A constant shift has zero width."""
    a = np.array([0.0, 1.0, 2.0, 3.0])
    e = paired_mean_difference(a, a + np.array([1.0, 2.0, 3.0, 4.0]))
    assert (e.value, e.low, e.high) == pytest.approx((2.5, 1.234849, 3.765151), abs=1e-6)
    f = paired_mean_difference(a, a + 0.5)
    assert f.low == f.high == 0.5


def test_pairing_needs_the_same_seed_runs_and_uniforms():
    runs = np.arange(5)
    base = Draws(7, 40, runs)
    assert not_paired_because(base, Draws(7, 40, runs[::-1])) is None
    assert "root seeds differ" in not_paired_because(base, Draws(8, 40, runs))
    assert "40 random numbers in one and 41" in not_paired_because(base, Draws(7, 41, runs))
    assert "same runs" in not_paired_because(base, Draws(7, 40, runs + 1))


def test_pairing_matches_runs_by_id_and_falls_back_with_its_reason():
    # A's table in run order, B's reversed: run i pairs with run i, whatever the row order
    a_hits = np.array([1, 1, 0, 0, 0, 0], bool)
    b_hits = a_hits[::-1].copy()
    b_hits[0] = True  # run 5 succeeds under B only
    runs = np.arange(6)
    p = Pairing(Draws(1, 9, runs), Draws(1, 9, runs[::-1]))
    d = p.proportion(a_hits, b_hits)
    assert d.paired and d.method == PAIRED and "run i against run i" in p.note()
    table = paired_difference_from_table(both=2, only_a=0, only_b=1, neither=3)
    assert (d.estimate.low, d.estimate.high) == (table.low, table.high)
    q = Pairing(Draws(1, 9, runs), Draws(1, 10, runs))
    u = q.proportion(a_hits, b_hits)
    assert not u.paired and u.method == UNPAIRED and "not paired: each run needs 9" in q.note()
    assert (u.estimate.low, u.estimate.high) == pytest.approx(
        (proportion_difference(2, 6, 3, 6).low, proportion_difference(2, 6, 3, 6).high))
    assert q.mean([1.0] * 6, [2.0] * 6) is None and p.mean([1.0] * 6, [2.0] * 6).estimate.value == 1.0
