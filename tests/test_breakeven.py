"""The breakeven (analysis/breakeven.py): where the fitted P(deal) crosses 50%, known cases."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.breakeven import crossing, logistic_fit, paired_breakeven


def test_a_logistic_curve_is_recovered():
    # P(deal | x) = 1 / (1 + exp(-(3 - 10 x))) crosses 50% at x* = 3 / 10 = 0.3
    rng = np.random.default_rng(1)
    x = rng.uniform(0.0, 0.6, 200_000)
    y = rng.uniform(size=x.size) < 1.0 / (1.0 + np.exp(-(3.0 - 10.0 * x)))
    b0, b1 = logistic_fit(x, y)
    assert (b0, b1) == pytest.approx((3.0, -10.0), rel=0.03)
    assert crossing(x, y) == pytest.approx(0.3, abs=0.002)


def test_the_crossing_does_not_read_the_prior_of_x():
    """The same conditional curve under two priors of x (uniform, and piled up on the left) gives
    the same crossing, where the share of deals differs by far."""
    rng = np.random.default_rng(2)
    curve = lambda x: 1.0 / (1.0 + np.exp(-(3.0 - 10.0 * x)))  # noqa: E731
    x1, x2 = rng.uniform(0.0, 0.6, 100_000), 0.6 * rng.beta(1.0, 4.0, 100_000)
    y1, y2 = (rng.uniform(size=x.size) < curve(x) for x in (x1, x2))
    assert abs(y2.mean() - y1.mean()) > 0.2
    assert crossing(x1, y1) == pytest.approx(crossing(x2, y2), abs=0.005)


def test_no_crossing_is_reported_as_not_located():
    x = np.linspace(0.0, 1.0, 100)
    assert np.isnan(crossing(x, np.ones(100, bool)))  # every run a deal
    assert np.isnan(crossing(x, x < 2.0))  # the same: 50% is never crossed in the range
    assert np.isnan(crossing(x, x > 0.5))  # deals rise with the outside option: not a breakeven


@settings(deadline=None, max_examples=20)
@given(shift=st.floats(0.05, 0.2))
def test_a_shifted_curve_moves_the_breakeven_by_the_shift(shift):
    """B's curve is A's moved right by `shift` (a deal holds up to a higher outside option): the
    paired breakeven difference is the shift, and its interval covers it."""
    rng = np.random.default_rng(3)
    x = rng.uniform(0.0, 0.8, 20_000)
    u = rng.uniform(size=x.size)  # shared by both: paired runs
    a = u < 1.0 / (1.0 + np.exp(-(3.0 - 10.0 * x)))
    b = u < 1.0 / (1.0 + np.exp(-(3.0 - 10.0 * (x - shift))))
    be = paired_breakeven(x, a, b, seed=1, resamples=100)
    assert be.difference.value == pytest.approx(shift, abs=0.01)
    assert be.difference.low <= shift <= be.difference.high
