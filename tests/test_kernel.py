"""The compiled kernel against the formulas it implements (docs/model.md, section 3)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim import kernel
from sim.engine import Compiled, params_for_runs
from sim.preferences import normalise_salience, utilities
from sim.protocol import AGREEMENT, ONGOING, init_state, play_round
from sim.scenario import load_scenario

unit = st.floats(0.0, 1.0)


@settings(deadline=None)
@given(data=st.data(), n_a=st.integers(1, 4), n_c=st.integers(1, 6))
def test_compiled_utilities_are_the_documented_formula(data, n_a, n_c):
    ideal = data.draw(arrays(np.float64, (n_a, n_c), elements=unit))
    salience = normalise_salience(data.draw(arrays(np.float64, (n_a, n_c), elements=st.floats(0.01, 1.0))))
    x = data.draw(arrays(np.float64, n_c, elements=unit))
    mixing = normalise_salience(data.draw(arrays(np.float64, (n_a, n_a), elements=unit)) + np.eye(n_a))
    u = np.empty(n_a)
    kernel._utilities(mixing, salience, ideal, x, np.empty(n_a), u)
    expected = utilities(x[None], ideal[None], salience[None], mixing)[0]  # u_i = sum_k M_ik (1 - loss_k)
    assert np.allclose(u, expected, rtol=0, atol=1e-12)


@settings(deadline=None)
@given(keys=st.lists(st.integers(0, 3), min_size=1, max_size=20))
def test_linkage_order_is_a_stable_sort(keys):
    key = np.array(keys, dtype=float)  # few distinct values: many ties, which must keep clause order
    out = np.empty(len(key), dtype=np.int64)
    kernel._stable_argsort(key, out)
    assert out.tolist() == np.argsort(key, kind="stable").tolist()


def test_a_proposer_never_offers_less_than_it_asks_for():
    """Fractional knapsack never overspends: the offer is worth at least the proposer's
    aspiration to it (exactly, without mixing, unless its target costs less)."""
    comp = Compiled.from_scenario(load_scenario("scenarios/base.toml"))
    lay = comp.layout
    p = params_for_runs(comp, 7, 0, 500)
    s = init_state(lay, p)
    rows = np.arange(p.n_runs)
    checked = 0
    while s.t < lay.horizon and (s.outcome == ONGOING).any():
        live = s.outcome == ONGOING
        play_round(lay, p, s)
        q = s.proposer[live]
        asks, gets = s.aspiration[rows[live], q], s.offer_utility[rows[live], q]
        can = p.best_possible[rows[live], q] >= asks
        assert (gets[can] >= asks[can] - 1e-9).all()
        checked += can.sum()
    assert checked > 1000
    assert (s.outcome == AGREEMENT).any()
