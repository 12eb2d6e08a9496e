"""Invariants over random scenarios (Hypothesis) and driver equivalence."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiments.runner import batches, run
from sim.engine import Compiled, params_for_runs
from sim.protocol import AGREEMENT
from tests.factory import load
from tests.strategies import scenario_docs

SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _agreed_runs(sc, n=30, seed=0):
    b = run(sc, n, seed)
    comp = Compiled.from_scenario(sc)
    p = params_for_runs(comp, seed, 0, n)
    return comp.layout, p, b, b.outcome == AGREEMENT


@SETTINGS
@given(doc=scenario_docs())
def test_agreements_respect_red_lines_agenda_and_caps(tmp_path, doc):
    sc = load(tmp_path, doc)
    lay, p, b, ok = _agreed_runs(sc)
    x = b.agreed[ok]
    req = lay.required
    # no signatory's red line is crossed
    assert (x[:, None, :] <= p.above[ok][:, req] + 1e-12).all()
    assert (x[:, None, :] >= p.below[ok][:, req] - 1e-12).all()
    # off-table clauses stay at 0 and capped clauses never exceed their cap
    for j, c in enumerate(lay.clauses):
        if c in sc.agenda.off:
            assert (x[:, j] == 0).all()
        assert (x[:, j] <= sc.agenda.upper(c) + 1e-12).all()
    # agreed packages are complete; non-agreements have none
    assert not np.isnan(x).any()
    assert np.isnan(b.agreed[~ok]).all()


@SETTINGS
@given(doc=scenario_docs(), seed=st.integers(0, 2**32), chunk=st.integers(1, 17))
def test_same_seed_same_results_whatever_the_chunking(tmp_path, doc, seed, chunk):
    sc = load(tmp_path, doc)
    whole = list(batches(sc, 17, seed, chunk=17))
    parts = list(batches(sc, 17, seed, chunk=chunk))
    for field in ("run", "outcome", "rounds", "walkout_by", "walkout_rule", "shortfall", "agreed", "utility"):
        a = getattr(whole[0], field)
        b = np.concatenate([getattr(p, field) for p in parts])
        assert np.array_equal(a, b, equal_nan=True), field


def test_different_root_seeds_give_different_draws(tmp_path):
    from tests.factory import pref, two_party

    doc = two_party({"x": pref({"dist": "uniform", "low": 0.5, "high": 1.0})}, {"x": pref(0.0)}, clauses=("x",))
    comp = Compiled.from_scenario(load(tmp_path, doc))
    a = params_for_runs(comp, 1, 0, 5).ideal
    b = params_for_runs(comp, 2, 0, 5).ideal
    assert not np.array_equal(a, b)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=scenario_docs(max_clauses=3), seed=st.integers(0, 1000))
def test_mesa_driver_matches_array_rules(tmp_path, doc, seed):
    from sim.model import NegotiationModel

    sc = load(tmp_path, doc)
    b = run(sc, 4, seed)
    names = {0: "ongoing", 1: "agreement", 2: "walkout"}
    for k in range(4):
        m = NegotiationModel(sc, seed=seed, run=k)
        while m.running:
            m.step()
        r = m.result()
        assert r["outcome"] == names[int(b.outcome[k])]
        assert r["rounds"] == b.rounds[k]
        assert np.array_equal(np.array(list(r["agreed"].values())), b.agreed[k], equal_nan=True)
        assert np.allclose(list(r["utility"].values()), b.utility[k])
