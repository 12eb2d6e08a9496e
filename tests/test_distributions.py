"""Densities and CDFs of the scenario distributions against scipy.stats, and the mixture kind
(a pool of experts' distributions, drawn by its quantile function from one uniform)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.distributions import Beta, Mixture, ParamError, Triangular, TruncNormal, Uniform, make_param
from sim.scenario import ScenarioError
from tests.factory import TEST_SOURCE, load, pref, two_party

GRID = np.linspace(-0.25, 1.25, 61)


@st.composite
def distributions(draw, tails: bool = True):
    """One of the four kinds, on a sub-interval of [0, 1], with its scipy.stats twin.  tails=False:
    no truncnormal window beyond 4 sd of its mean (from_uniform's ndtri loses digits out there)."""
    lo = draw(st.integers(0, 450)) / 1000  # (on a grid: an endpoint 1e-300 off a test point only tests rounding)
    hi = draw(st.integers(550, 1000)) / 1000
    kind = draw(st.sampled_from(["uniform", "triangular", "truncnormal", "beta"]))
    if kind == "uniform":
        return Uniform(lo, hi), stats.uniform(lo, hi - lo)
    if kind == "triangular":
        mode = draw(st.floats(lo, hi))
        return Triangular(lo, mode, hi), stats.triang((mode - lo) / (hi - lo), lo, hi - lo)
    if kind == "truncnormal":
        mean, sd = draw(st.floats(-0.5, 1.5)), draw(st.floats(0.05, 2.0))
        if not tails:
            mean = min(max(mean, lo - 4 * sd), hi + 4 * sd)
        return TruncNormal(mean, sd, lo, hi), stats.truncnorm((lo - mean) / sd, (hi - mean) / sd, mean, sd)
    a, b = draw(st.floats(0.6, 20.0)), draw(st.floats(0.6, 20.0))
    return Beta(a, b, lo, hi), stats.beta(a, b, lo, hi - lo)


@settings(max_examples=150, deadline=None)
@given(distributions())
def test_cdf_and_pdf_agree_with_scipy(pair):
    ours, ref = pair
    lo, hi = ours.support()
    x = np.concatenate([GRID, np.linspace(lo, hi, 41)[1:-1]])  # the open support: endpoints are measure zero
    # a grid point on an endpoint (0.575), or a rounding away from one (0.6000000000000001 against
    # high 0.6, which scipy rebuilds as loc + b * scale = 0.6000000000000001), compares a density
    # convention or scipy's rounding, not the density
    x = x[(np.abs(x - lo) > 1e-12) & (np.abs(x - hi) > 1e-12)]
    assert np.allclose(ours.cdf(x), ref.cdf(x), rtol=1e-9, atol=1e-12)
    assert np.allclose(ours.pdf(x), ref.pdf(x), rtol=1e-7, atol=1e-10)


@settings(max_examples=80, deadline=None)
@given(distributions(tails=False), st.lists(st.floats(1e-6, 1 - 1e-6), min_size=1, max_size=20))
def test_cdf_inverts_the_draw(pair, us):
    ours, _ = pair
    u = np.array(us)
    assert np.allclose(ours.cdf(ours.from_uniform(u)), u, atol=1e-9)


def test_mixture_quantile_known_values():
    # 0.25 uniform(0, 1) + 0.75 uniform(2, 3): the CDF is 0.25 x on [0, 1], 0.25 on [1, 2],
    # 0.25 + 0.75 (x - 2) on [2, 3].  Its quantile at u = 0.1 is 0.4 (0.25 x = 0.1); at 0.25 the
    # flat stretch [1, 2] begins (bisection stops at its left end, 1); at 0.625, 2.5
    # (0.25 + 0.75 * 0.5); the median (u = 0.5) is 2 + 0.25 / 0.75 = 2.3333...
    m = Mixture((0.25, 0.75), (Uniform(0, 1), Uniform(2, 3)))
    got = m.from_uniform(np.array([0.1, 0.25, 0.625, 0.5]))
    assert got == pytest.approx([0.4, 1.0, 2.5, 2 + 1 / 3], abs=1e-12)
    assert m.central() == pytest.approx(2 + 1 / 3, abs=1e-12)
    assert m.pdf(np.array([0.5, 1.5, 2.5])) == pytest.approx([0.25, 0.0, 0.75])
    assert m.support() == (0.0, 3.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(distributions(tails=False), min_size=1, max_size=4), st.data())
def test_mixture_draws_are_its_quantiles_and_monotone(pairs, data):
    raw = data.draw(st.lists(st.floats(0.05, 1.0), min_size=len(pairs), max_size=len(pairs)))
    w = tuple(x / sum(raw) for x in raw)
    m = Mixture(w, tuple(p for p, _ in pairs))
    u = np.sort(np.random.default_rng(0).random(200))
    x = m.from_uniform(u)
    assert np.all(np.diff(x) >= -1e-12)  # monotone in u: runs sharing draws stay paired
    assert np.allclose(m.cdf(x), u, atol=1e-9)
    ends = [e for p, _ in pairs for e in p.support()]
    g = GRID[~np.isin(GRID, ends)]  # a component's endpoint on the grid compares a density convention (measure zero)
    ref_pdf = sum(wi * ref.pdf(g) for wi, (_, ref) in zip(w, pairs))
    assert np.allclose(m.pdf(g), ref_pdf, rtol=1e-7, atol=1e-10)


def test_a_mixture_draw_depends_on_its_own_uniform_only():
    # the Mesa driver draws one run at a time, the batch driver thousands: the same value either way
    m = Mixture((0.3, 0.7), (TruncNormal(0.5, 1e-4, 0, 1), Beta(0.4, 3.0, 0, 1)))  # a spike and an infinite density
    u = np.random.default_rng(1).random(300)
    batch = m.from_uniform(u)
    assert np.array_equal(batch, np.concatenate([m.from_uniform(u[i:i + 1]) for i in range(len(u))]))
    order = np.argsort(u)
    assert np.all(np.diff(batch[order]) >= 0)


def test_one_component_mixture_draws_like_the_component():
    tri = Triangular(0.1, 0.3, 0.5)
    u = np.linspace(0.01, 0.99, 50)
    assert np.allclose(Mixture((1.0,), (tri,)).from_uniform(u), tri.from_uniform(u), atol=1e-12)


@pytest.mark.parametrize("fields, message", [
    ({"weights": [0.5, 0.4], "components": [{"dist": "uniform", "low": 0, "high": 1}] * 2}, "sum to 1"),
    ({"weights": [1.0], "components": [{"dist": "uniform", "low": 0, "high": 1}] * 2}, "one per component"),
    ({"weights": [0.5, 0.5], "components": [{"dist": "uniform", "low": 0, "high": 1},
                                            {"dist": "mixture", "weights": [1], "components": []}]}, "component 2"),
    ({"weights": [1.0], "components": [{"dist": "triangular", "low": 0, "mode": 2, "high": 1}]}, "component 1: triangular"),
    ({"weights": [1.0], "components": [{"dist": "uniform", "low": 0, "high": 1, "mode": 0.5}]}, "not mode"),
    ({"weights": [-1.0, 2.0], "components": [{"dist": "uniform", "low": 0, "high": 1}] * 2}, "positive"),
    ({"components": [{"dist": "uniform", "low": 0, "high": 1}]}, "missing weights"),
    ({"weights": [0.5, 0.5], "components": [{"dist": "uniform", "low": 0.3, "high": 0.3},
                                            {"dist": "uniform", "low": 0, "high": 1}]}, "component 1 is a single point"),
])
def test_malformed_mixtures_are_refused(fields, message):
    with pytest.raises(ParamError, match=message):
        make_param("mixture", fields)


def _mixture(low, high) -> dict:
    return {"dist": "mixture", "weights": [0.5, 0.5], "source": TEST_SOURCE,
            "components": [{"dist": "uniform", "low": low, "high": (low + high) / 2},
                           {"dist": "triangular", "low": low, "mode": high, "high": high}]}


def test_a_scenario_takes_a_mixture_even_under_a_red_line(tmp_path):
    # actors.a.clauses.x.red_line.above.components[i] is the deepest place a number can sit (9 levels)
    doc = two_party({"x": pref(0.2), "y": pref(0.5)}, {"x": pref(0.8), "y": pref(0.5)})
    doc["actors"]["a"]["clauses"]["x"]["red_line"] = {"above": _mixture(0.4, 0.9)}
    doc["actors"]["a"]["outside_option"] = _mixture(0.0, 0.3)
    sc = load(tmp_path, doc)
    a = sc.actors[0]
    assert a.pref("x").above.kind == "mixture" and a.pref("x").above.support() == (0.4, 0.9)
    assert a.outside_option.central() == pytest.approx(float(a.outside_option.from_uniform(np.array([0.5]))[0]))


def test_a_mixture_reaching_outside_the_fields_range_names_the_key(tmp_path):
    doc = two_party({"x": pref(0.2), "y": pref(0.5)}, {"x": pref(0.8), "y": pref(0.5)})
    doc["actors"]["a"]["outside_option"] = _mixture(0.0, 1.5)
    with pytest.raises(ScenarioError, match=r"actors\.a\.outside_option: support \[0, 1.5\] is out of range"):
        load(tmp_path, doc)
