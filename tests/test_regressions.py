"""Defects found in review, each pinned by a test that failed before its fix."""

import numpy as np
import pytest

from experiments.runner import batches, run
from sim.engine import Compiled, params_for_runs
from sim.protocol import init_state, play_round
from sim.scenario import ScenarioError
from tests.factory import actor, load, pref, two_party


def _three_party_separate(instrument_order):
    doc = {
        "meta": {"name": "sep"},
        "protocol": {"round_days": 7, "horizon_days": 210, "source": "judgement [negsim-calibration]: test", "package": "separate"},
        "instruments": {},
        "clauses": {"x": {"instruments": ["i1"]}, "y": {"instruments": ["i2"]}, "z": {"instruments": ["i1", "i2"]}},
        "actors": {
            "a": actor({c: pref(1.0, {"dist": "uniform", "low": 0.2, "high": 1.0}) for c in "xyz"},
                       outside_option={"dist": "uniform", "low": 0.0, "high": 0.4}, belief_noise=0.2),
            "b": actor({"x": pref(0.0), "z": pref(0.2)}, outside_option={"dist": "uniform", "low": 0.3, "high": 0.7}),
            "c": actor({"y": pref(0.0), "z": pref(0.3)}, outside_option={"dist": "uniform", "low": 0.3, "high": 0.7}),
        },
    }
    sig = {"i1": ["a", "b"], "i2": ["a", "c"]}
    for i in instrument_order:
        doc["instruments"][i] = {"signatories": sig[i]}
    return doc


def test_separate_packages_do_not_depend_on_the_order_instruments_are_listed(tmp_path):
    a = run(load(tmp_path, _three_party_separate(["i1", "i2"]), "a.toml"), 1500, 4)
    b = run(load(tmp_path, _three_party_separate(["i2", "i1"]), "b.toml"), 1500, 4)
    assert np.array_equal(a.outcome, b.outcome) and np.array_equal(a.rounds, b.rounds)
    assert np.array_equal(a.agreed, b.agreed, equal_nan=True)


def test_trace_is_empty_after_a_run_ends_and_independent_of_chunking(tmp_path):
    sc = load(tmp_path, _three_party_separate(["i1", "i2"]))
    whole = list(batches(sc, 60, 2, chunk=60))
    comp = Compiled.from_scenario(sc)
    parts = list(batches(comp, 60, 2, chunk=7, trace=True))
    one = run(comp, 60, 2, trace=True)
    for k in one.trace:
        joined = np.concatenate([p.trace[k] for p in parts])
        assert np.array_equal(one.trace[k], joined, equal_nan=True), k
        after = np.arange(one.trace[k].shape[1])[None, :] >= one.rounds[:, None]
        assert np.isnan(one.trace[k][after]).all(), k
    assert np.array_equal(whole[0].rounds, one.rounds)


def test_mesa_and_batch_agree_to_the_last_bit(tmp_path):
    from sim.scenario import load_scenario
    from tests.test_cli import SCEN

    sc = load_scenario(SCEN / "accession_excluded.toml")
    batch = run(sc, 6, 9, chunk=6)
    mesa = run(sc, 6, 9, engine="mesa")
    assert np.array_equal(batch.utility, mesa.utility)
    assert np.array_equal(batch.agreed, mesa.agreed, equal_nan=True)


def test_random_recognition_never_picks_an_actor_without_weight(tmp_path):
    doc = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",), proposer="random",
                    recognition={"a": 0.1, "b": 0.2})
    doc["actors"]["c"] = actor({"x": pref(0.5)})
    doc["instruments"]["deal"]["signatories"] = ["a", "b", "c"]
    doc["protocol"]["recognition"]["c"] = 0.3
    doc["actors"]["d"] = actor({"x": pref(0.5)})  # away from the table, weight 0
    comp = Compiled.from_scenario(load(tmp_path, doc))
    p = params_for_runs(comp, 0, 0, 3)
    p.recognition_u[:, 0] = [0.0, 0.4, 1 - 2**-53]  # the lowest draw, a middle one, the highest
    s = init_state(comp.layout, p)
    play_round(comp.layout, p, s)
    # cumulative weights 1/6, 1/2, 1: a, b and c in turn, never d (weight 0, away from the table)
    assert [comp.layout.actors[q] for q in s.proposer] == ["a", "b", "c"]


@pytest.mark.parametrize("mutate,needle", [
    (lambda d: d["instruments"]["deal"].update(signatories=[]), "at least one signatory"),
    (lambda d: d.update(remove=["actors.a"]), "only means something with 'extends'"),
    (lambda d: d["protocol"].update(order=["a", "b", "a"]), "lists an actor twice"),
    (lambda d: d["protocol"].update(recognition={"a": 1.0}), "only with proposer"),
    (lambda d: d["actors"]["a"]["clauses"]["x"].update(salience=0.0), "must care about some clause"),
    (lambda d: d["actors"].update(a=5), "actors.a: must be a table"),
    (lambda d: d.update(agenda={"caps": 0.5}), "agenda.caps: must be a table"),
    (lambda d: d["clauses"]["x"].update(scale="high"), "clauses.x.scale: must be a table"),
    (lambda d: d["actors"]["a"].update(weighs_on=0.3), "actors.a.weighs_on: must be a table"),
    (lambda d: d["actors"]["a"]["clauses"]["x"].update(
        ideal={"dist": "truncnormal", "mean": 0.0, "sd": 0.01, "low": 0.5, "high": 0.6}), "too far in the tail"),
])
def test_more_bad_input_is_refused(tmp_path, mutate, needle):
    doc = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",))
    mutate(doc)
    with pytest.raises(ScenarioError, match=needle):
        load(tmp_path, doc)


def test_weighs_on_weights_that_sum_to_one_by_rounding_are_accepted(tmp_path):
    doc = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",))
    for name, w in (("c", 0.3), ("d", 0.6), ("e", 0.1)):
        doc["actors"][name] = actor({"x": pref(0.5)}, weighs_on={"b": w})
    comp = Compiled.from_scenario(load(tmp_path, doc))
    assert comp.layout.mixing[1, 1] == 0.0
    doc["actors"]["e"]["weighs_on"]["b"] = 0.2
    with pytest.raises(ScenarioError, match="add up to 1.1; allowed: at most 1"):
        load(tmp_path, doc)


def test_two_point_weighted_median_matches_the_general_path():
    from sim.preferences import _weighted_median

    rng = np.random.default_rng(0)
    for _ in range(100):
        pts = rng.integers(0, 4, (30, 2, 5)) / 3
        w = rng.integers(0, 3, (30, 2, 5)).astype(float)
        fallback = rng.random((30, 5))
        # the general (sorting) path, with a third point that carries no weight
        ref = _weighted_median(np.concatenate([pts, np.full((30, 1, 5), 9.0)], 1),
                               np.concatenate([w, np.zeros((30, 1, 5))], 1), fallback)
        assert np.array_equal(_weighted_median(pts, w, fallback), ref)
