"""Interval estimates against published or hand-computed values."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.stats import median, proportion, proportion_difference, summarise


def test_wilson_interval_by_formula():
    k, n, z = 30, 100, 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    e = proportion(k, n)
    assert (e.low, e.high) == pytest.approx((centre - half, centre + half), abs=1e-9)


def test_newcombe_difference_matches_the_published_example():
    # Newcombe (1998), Stat. Med. 17:873, method 10: 56/70 vs 48/80 -> 0.2000 (0.0524, 0.3339)
    e = proportion_difference(48, 80, 56, 70)
    assert e.value == pytest.approx(0.2)
    assert e.low == pytest.approx(0.0524, abs=5e-5) and e.high == pytest.approx(0.3339, abs=5e-5)


def test_median_interval_uses_the_tabulated_order_statistics():
    # n = 100: the 95% distribution-free interval is the 40th to the 61st order statistic.
    e = median(np.arange(1, 101))
    assert (e.value, e.low, e.high) == (50.5, 40, 61)


@settings(deadline=None)
@given(k=st.integers(0, 500), extra=st.integers(0, 500))
def test_wilson_interval_contains_the_estimate_and_stays_in_unit_range(k, extra):
    n = k + extra
    if n == 0:
        return
    e = proportion(k, n)
    assert 0 <= e.low <= e.value <= e.high <= 1


def test_summary_counts_add_up():
    runs = pd.DataFrame({"outcome": ["agreement"] * 3 + ["walkout"] * 5 + ["ongoing"] * 2,
                         "walkout_by": [""] * 3 + ["russia"] * 4 + ["us"] + [""] * 2,
                         "rounds": np.arange(10)})
    s = summarise(runs, ["russia", "us"])
    assert s["agreement"].value == 0.3 and s["walkout"].value == 0.5 and s["ongoing"].value == 0.2
    assert s["talks persist"].value == 0.5
    assert s["walkout by russia"].value + s["walkout by us"].value == pytest.approx(s["walkout"].value)


@settings(deadline=None)
@given(k=st.integers(0, 400), extra=st.integers(0, 400))
def test_closed_form_wilson_matches_scipy(k, extra):
    from scipy import stats as sps

    from analysis.stats import wilson

    n = k + extra
    if n == 0:
        return
    ci = sps.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = wilson(k, n)
    assert (float(low), float(high)) == pytest.approx((ci.low, ci.high), abs=1e-12)


def test_difference_by_day_counts_what_ended_by_each_day():
    import pandas as pd

    from analysis.survival import difference_by_day

    a = pd.DataFrame({"outcome": ["agreement", "walkout", "walkout", "ongoing"], "days": [7.0, 14.0, 70.0, 364.0]})
    b = pd.DataFrame({"outcome": ["agreement", "agreement", "walkout", "ongoing"], "days": [7.0, 70.0, 7.0, 364.0]})
    t = difference_by_day(a, b, [7, 69, 364]).set_index(["day", "quantity"])
    # by day 7: agreement 1/4 vs 1/4, walkout 0/4 vs 1/4; by day 69: walkout 1/4 vs 1/4; by 364: agreement 1/4 vs 2/4
    assert t.loc[(7.0, "walkout"), "difference"] == pytest.approx(0.25)
    assert t.loc[(7.0, "agreement"), "difference"] == 0.0 and t.loc[(69.0, "walkout"), "difference"] == 0.0
    assert t.loc[(364.0, "agreement"), ["a", "b"]].tolist() == [0.25, 0.5]
    assert (t["low"] <= t["difference"]).all() and (t["difference"] <= t["high"]).all()
    # paired run by run: by the horizon runs 1 differs (walkout on day 14 under A, a deal on day 70 under B);
    # the table (both 1, A only 0, B only 1, neither 2) gives Newcombe's paired interval
    from analysis.pairing import Draws, Pairing
    from analysis.stats import paired_difference_from_table

    runs = np.arange(4)
    p = difference_by_day(a, b, [364], Pairing(Draws(1, 5, runs), Draws(1, 5, runs))).set_index("quantity")
    e = paired_difference_from_table(1, 0, 1, 2)
    assert (p.at["agreement", "low"], p.at["agreement", "high"]) == pytest.approx((e.low, e.high))


def test_an_interval_with_width_never_prints_as_a_single_value():
    from analysis.report_html import est
    from analysis.stats import Estimate, interval_digits, proportion

    # 0 of 10,000: Wilson's upper bound is 1.96^2 / (10,000 + 1.96^2) = 0.0384%
    e = proportion(0, 10_000)
    assert e.fmt() == "0.00% [0.00, 0.04]"
    assert est(e.value, e.low, e.high) == "0.00% [0.00, 0.04]"
    assert proportion(3_541, 10_000).fmt().startswith("35.4% [")  # one decimal when it suffices
    assert Estimate(9.0, 9.0, 9.0).fmt(percent=False) == "9.0 [9.0, 9.0]"  # no width: nothing to add
    assert interval_digits(0.0, 1e-9, 1, 100) == 4  # at most three more decimals
    # a difference of two zero shares: Newcombe's interval is about +/-0.04 pp, not [-0.0, +0.0]
    assert Estimate(0.0, -0.00038, 0.00038).fmt(signed=True) == "+0.00% [-0.04, +0.04]"


def test_the_median_interval_ranks_match_scipy_binomial_quantiles():
    """The order-statistic ranks of the median's interval come from the Binomial(n, 1/2)
    quantile, computed from scipy.special (cheap to import) instead of scipy.stats.binom."""
    from scipy import stats as sps

    from analysis.stats import binomial_quantile

    for n in list(range(1, 1200)) + [9_999, 10_000, 123_457, 20_000_000]:
        assert binomial_quantile(0.025, n) == int(sps.binom.ppf(0.025, n, 0.5)), n
    assert binomial_quantile(0.025, 10) == 2  # P(X <= 1) = 11/1024 < 0.025 <= P(X <= 2) = 56/1024
