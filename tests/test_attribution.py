"""Shapley attribution (analysis/attribution.py): the axioms, a hand-worked game, the sampled
estimator against the exact values, paired intervals, and splitting scenario differences into edits."""

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.stats import paired_mean
from analysis.attribution import (
    MISSING,
    apply_edits,
    coalitions,
    differences_to_edits,
    ranked_table,
    shapley,
    shapley_contributions,
    shapley_exact,
    shapley_sampled,
    shapley_weights,
    strip_sources,
)
from sim.scenario import load_scenario
from tests.strategies import scenario_docs

SCEN = Path(__file__).resolve().parents[1] / "scenarios"


def game(players, fn, n_runs=1):
    """Per-run outcomes of every coalition from fn(coalition) -> array of n_runs values."""
    return {c: np.broadcast_to(np.asarray(fn(c), float), (n_runs,)).copy() for c in coalitions(players)}


def by_player(df, col="value"):
    return dict(zip(df["player"], df[col]))


@st.composite
def random_games(draw, max_players=6, max_runs=6, binary=False):
    n = draw(st.integers(1, max_players))
    runs = draw(st.integers(1, max_runs))
    players = [f"p{k}" for k in range(n)]
    elems = st.integers(0, 1) if binary else st.floats(-1e3, 1e3, allow_nan=False)
    outcomes = {c: np.array(draw(st.lists(elems, min_size=runs, max_size=runs)), float)
                for c in coalitions(players)}
    return players, outcomes


# ---------------------------------------------------------------- the weights and the hand case
def test_weights_are_the_shapley_weights_and_sum_to_one_over_coalitions():
    # n = 3: w(0) = 0!2!/3! = 1/3, w(1) = 1!1!/3! = 1/6, w(2) = 2!0!/3! = 1/3.
    assert shapley_weights(3) == pytest.approx([1 / 3, 1 / 6, 1 / 3])
    for n in range(1, 11):
        w = shapley_weights(n)
        # each player: sum over coalitions S of the others of w(|S|) = 1
        assert sum(math.comb(n - 1, s) * w[s] for s in range(n)) == pytest.approx(1, abs=1e-14)


def test_hand_worked_three_player_game():
    # v({}) = 0, v(a) = 0.1, v(b) = 0.2, v(c) = 0, v(ab) = 0.5, v(ac) = 0.1, v(bc) = 0.3, v(abc) = 0.6.
    # Weights for n = 3: 1/3 (to {}), 1/6 (to a one-player coalition), 1/3 (to the other two).
    # phi_a = 1/3 (v(a) - v({})) + 1/6 (v(ab) - v(b)) + 1/6 (v(ac) - v(c)) + 1/3 (v(abc) - v(bc))
    #       = 1/3 * 0.1 + 1/6 * 0.3 + 1/6 * 0.1 + 1/3 * 0.3 = (0.2 + 0.3 + 0.1 + 0.6) / 6 = 1.2 / 6 = 0.20
    # phi_b = 1/3 (0.2 - 0) + 1/6 (0.5 - 0.1) + 1/6 (0.3 - 0) + 1/3 (0.6 - 0.1)
    #       = (0.4 + 0.4 + 0.3 + 1.0) / 6 = 2.1 / 6 = 0.35
    # phi_c = 1/3 (0 - 0) + 1/6 (0.1 - 0.1) + 1/6 (0.3 - 0.2) + 1/3 (0.6 - 0.5)
    #       = (0 + 0 + 0.1 + 0.2) / 6 = 0.3 / 6 = 0.05
    # Check: 0.20 + 0.35 + 0.05 = 0.60 = v(abc) - v({}).
    v = {"": 0, "a": 0.1, "b": 0.2, "c": 0, "ab": 0.5, "ac": 0.1, "bc": 0.3, "abc": 0.6}
    outcomes = game("abc", lambda c: v["".join(sorted(c))], n_runs=2)
    df = shapley_exact(list("abc"), outcomes)
    assert by_player(df) == pytest.approx({"a": 0.20, "b": 0.35, "c": 0.05}, abs=1e-12)
    assert list(df["player"]) == ["b", "a", "c"] and list(df["rank"]) == [1, 2, 3]
    assert by_player(df, "share") == pytest.approx({"a": 0.2 / 0.6, "b": 0.35 / 0.6, "c": 0.05 / 0.6})
    assert df.attrs["total"] == pytest.approx(0.6) and df.attrs["method"] == "exact"
    # identical runs: no Monte Carlo error, zero-width intervals
    assert (df["low"] == df["value"]).all() and (df["high"] == df["value"]).all()


def test_hand_case_agrees_with_the_average_over_the_six_orderings():
    v = {"": 0, "a": 0.1, "b": 0.2, "c": 0, "ab": 0.5, "ac": 0.1, "bc": 0.3, "abc": 0.6}
    val = lambda s: v["".join(sorted(s))]
    phi = dict.fromkeys("abc", 0.0)
    for perm in itertools.permutations("abc"):
        for k, p in enumerate(perm):
            phi[p] += (val(perm[:k + 1]) - val(perm[:k])) / 6
    df = shapley_exact(list("abc"), game("abc", lambda c: val(c)))
    assert by_player(df) == pytest.approx(phi, abs=1e-12)


def test_additive_game_gives_each_player_its_own_effect():
    effect = {"x": 0.3, "y": -0.1, "z": 0.05, "w": 0.0}
    df = shapley_exact(list(effect), game(list(effect), lambda c: 0.2 + sum(effect[p] for p in c)))
    assert by_player(df) == pytest.approx(effect, abs=1e-12)
    assert list(df["player"][:2]) == ["x", "y"]  # ranked by |value|


# ---------------------------------------------------------------- the axioms
@given(random_games())
def test_efficiency_the_values_sum_to_all_minus_none(g):
    players, outcomes = g
    phi = shapley_contributions(players, outcomes)
    diff = outcomes[frozenset(players)] - outcomes[frozenset()]
    assert phi.sum(axis=0) == pytest.approx(diff, abs=1e-9)  # per run (values up to 1e3)
    df = shapley_exact(players, outcomes)
    assert df["value"].sum() == pytest.approx(diff.mean(), abs=1e-9)
    assert df.attrs["total"] == pytest.approx(diff.mean(), abs=1e-9)


@given(random_games(binary=True))
def test_efficiency_on_indicator_outcomes_holds_to_rounding(g):
    players, outcomes = g  # 0/1 outcomes per run, as P(agreement) is built from
    df = shapley_exact(players, outcomes)
    diff = outcomes[frozenset(players)] - outcomes[frozenset()]
    assert df["value"].sum() == pytest.approx(diff.mean(), abs=1e-12)


@given(random_games(max_players=5))
def test_symmetric_players_get_equal_values(g):
    players, outcomes = g
    players = players + ["twin_a", "twin_b"]
    swap = {"twin_a": "twin_b", "twin_b": "twin_a"}
    base = outcomes
    # y(S) depends on the twins only through how many of them are in S
    sym = {}
    for c in coalitions(players):
        rest = frozenset(p for p in c if p not in swap)
        twins = len(c) - len(rest)
        sym[c] = base[rest] + (0.7 * twins if twins < 2 else 1.9) + 0.1 * len(rest) * twins
    phi = shapley_contributions(players, sym)
    assert phi[-2] == pytest.approx(phi[-1], abs=1e-9)
    assert set(swap) <= set(shapley_exact(players, sym)["player"])


@given(random_games(max_players=5))
def test_null_player_gets_exactly_zero(g):
    players, outcomes = g
    outcomes = {c | {"idle"}: y for c, y in outcomes.items()} | outcomes
    players = players + ["idle"]
    phi = shapley_contributions(players, outcomes)
    assert (phi[-1] == 0).all()
    row = shapley_exact(players, outcomes).set_index("player").loc["idle"]
    assert row["value"] == 0
    if len(outcomes[frozenset()]) > 1:
        assert row["low"] == 0 and row["high"] == 0


# ---------------------------------------------------------------- paired intervals
def test_player_adding_exactly_one_in_every_run_has_a_zero_width_interval():
    rng = np.random.default_rng(1)
    players = ["one", "p", "q", "r"]
    noise = {c: rng.integers(0, 5, size=500).astype(float) for c in coalitions(players[1:])}
    # integer outcomes: y(S + one) - y(S) is exactly 1 in floating point
    outcomes = {c: noise[c - {"one"}] + (1.0 if "one" in c else 0.0) for c in coalitions(players)}
    df = shapley_exact(players, outcomes).set_index("player")
    assert df.loc["one", "value"] == pytest.approx(1, abs=1e-14)
    assert df.loc["one", "high"] - df.loc["one", "low"] == 0
    assert (df.drop("one")["high"] - df.drop("one")["low"] > 0).all()


def test_interval_is_the_normal_approximation_of_the_per_run_contributions():
    rng = np.random.default_rng(2)
    players = ["a", "b", "c"]
    outcomes = {c: rng.random(400) < 0.2 + 0.15 * len(c) for c in coalitions(players)}
    phi = shapley_contributions(players, outcomes)
    df = shapley_exact(players, outcomes).set_index("player")
    for j, p in enumerate(players):
        se = phi[j].std(ddof=1) / math.sqrt(400)
        assert df.loc[p, "se"] == pytest.approx(se)
        assert (df.loc[p, "low"], df.loc[p, "high"]) == pytest.approx(
            (phi[j].mean() - 1.959964 * se, phi[j].mean() + 1.959964 * se), rel=1e-6)


def test_paired_mean():
    assert paired_mean(np.ones(10)).low == 1 == paired_mean(np.ones(10)).high
    e = paired_mean(np.array([0.0, 1.0, 0.0, 1.0]))
    half = 1.959964 * math.sqrt(1 / 3 / 4)
    assert (e.value, e.low, e.high) == pytest.approx((0.5, 0.5 - half, 0.5 + half), rel=1e-6)
    assert math.isnan(paired_mean(np.array([3.0])).low)


# ---------------------------------------------------------------- the sampled estimator
def six_player_game(n_runs, seed=3):
    """A non-additive game (interactions, thresholds) with per-run noise; returns players,
    the expected value v(S) and a value_fn giving per-run values on common seeds."""
    players = ["a", "b", "c", "d", "e", "f"]
    weight = dict(zip(players, [0.30, 0.20, 0.15, 0.10, 0.05, 0.0]))

    def v(c):
        s = sum(weight[p] for p in c)
        return 0.1 + s + 0.2 * ({"a", "b"} <= c) - 0.15 * ({"c", "d"} <= c) + 0.1 * (len(c) >= 4)

    rng = np.random.default_rng(seed)
    common = rng.normal(0, 0.3, n_runs)  # shared by all coalitions in a run (common random numbers)
    own = {c: rng.normal(0, 0.1, n_runs) for c in coalitions(players)}
    return players, v, lambda c: v(c) + common + own[frozenset(c)]


def test_sampled_estimator_converges_to_the_exact_values_within_its_stated_error():
    players, v, value_fn = six_player_game(n_runs=300)
    exact = by_player(shapley_exact(players, {c: value_fn(c) for c in coalitions(players)}))
    truth = by_player(shapley_exact(players, {c: np.array([v(c)]) for c in coalitions(players)}))
    calls = []

    def counted(c):
        calls.append(c)
        return value_fn(c)

    df = shapley_sampled(players, counted, n_permutations=400, rng=np.random.default_rng(4))
    assert len(calls) == len(set(calls)) <= 64  # lazy, each coalition at most once
    est, se = by_player(df), by_player(df, "se")
    se_perm, se_runs = by_player(df, "se_permutation"), by_player(df, "se_runs")
    for p in players:
        # on the same runs, the only difference from the exact values is permutation sampling
        assert abs(est[p] - exact[p]) <= 3 * se_perm[p] + 1e-12
        # against the game's expected values, the stated error (both parts) covers it
        assert abs(est[p] - truth[p]) <= 3 * se[p]
        assert se[p] == pytest.approx(math.hypot(se_perm[p], se_runs[p]))
    assert by_player(df, "low")["a"] < est["a"] < by_player(df, "high")["a"]
    # efficiency holds exactly per ordering, so for the estimate too
    total = np.mean(value_fn(frozenset(players)) - value_fn(frozenset()))
    assert sum(est.values()) == pytest.approx(total, abs=1e-12)
    assert df.attrs["n_permutations"] == 400 and df.attrs["n_coalitions"] == len(calls)


def test_sampled_estimator_error_shrinks_with_more_permutations():
    players, _, value_fn = six_player_game(n_runs=50)
    cache = {}
    few = shapley_sampled(players, value_fn, 20, np.random.default_rng(5), cache=cache)
    many = shapley_sampled(players, value_fn, 2000, np.random.default_rng(5), cache=cache)
    assert (many["se_permutation"].max() < few["se_permutation"].max())
    assert len(cache) <= 64


def test_sampled_estimator_is_exact_for_an_additive_game():
    effect = {f"p{k}": 0.01 * k for k in range(14)}
    df = shapley_sampled(list(effect), lambda c: np.full(5, sum(effect[p] for p in c)), 30,
                         np.random.default_rng(6))
    assert by_player(df) == pytest.approx(effect, abs=1e-12)
    assert (df["se"] < 1e-12).all()


def test_dispatch_exact_up_to_the_limit_then_sampled():
    players, _, value_fn = six_player_game(n_runs=20)
    assert shapley(players, value_fn).attrs["method"] == "exact"
    sampled = shapley(players, value_fn, max_exact=5, rng=np.random.default_rng(7))
    assert sampled.attrs["method"].startswith("permutation")


def test_missing_coalitions_and_mismatched_runs_are_refused():
    outcomes = game("ab", lambda c: len(c), n_runs=3)
    with pytest.raises(ValueError, match="lack 1 of the 4"):
        shapley_exact(["a", "b"], {k: v for k, v in outcomes.items() if k != frozenset("a")})
    outcomes[frozenset("b")] = np.zeros(4)
    with pytest.raises(ValueError, match="same seeds"):
        shapley_exact(["a", "b"], outcomes)


def test_ranked_table_orders():
    per_run = np.array([[0.1, 0.1], [-0.5, -0.5], [0.3, 0.3]])
    assert list(ranked_table(["a", "b", "c"], per_run)["player"]) == ["b", "c", "a"]
    assert list(ranked_table(["a", "b", "c"], per_run, order="desc")["player"]) == ["c", "a", "b"]
    assert list(ranked_table(["a", "b", "c"], per_run, order="asc")["player"]) == ["b", "a", "c"]


# ---------------------------------------------------------------- edits between scenarios
def test_edits_between_full_agenda_and_accession_excluded():
    a = load_scenario(SCEN / "full_agenda.toml").resolved_document
    b = load_scenario(SCEN / "accession_excluded.toml").resolved_document
    edits = differences_to_edits(a, b)
    assert [(e.label, e.old, e.new) for e in edits] == [("agenda.off", [], ["us.4a", "nato.6"])]
    assert strip_sources(apply_edits(a, edits))["agenda"] == strip_sources(b)["agenda"]


def test_edits_to_the_nato_split_scenario_apply_back():
    a = load_scenario(SCEN / "accession_excluded.toml").resolved_document
    b = load_scenario(SCEN / "nato_split.toml").resolved_document
    edits = differences_to_edits(a, b)
    labels = [e.label for e in edits]
    assert "actors.nato" in labels and "actors.nato_east" in labels  # whole tables, one edit each
    assert not any(l.startswith("actors.nato.") or l.startswith("meta") for l in labels)
    kinds = {e.label: e.kind for e in edits}
    assert kinds["actors.nato"] == "remove" and kinds["actors.nato_east"] == "add"
    assert edits[labels.index("actors.nato")].new is MISSING
    done = apply_edits(a, edits)
    b_no_meta = dict(b, meta=a["meta"])
    assert strip_sources(done) == strip_sources(b_no_meta)
    assert apply_edits(a, []) == a


def test_distribution_table_is_one_edit_and_sources_alone_are_not_edits():
    a = {"actors": {"us": {"patience": 0.9, "source": "x",
                           "outside_option": {"dist": "uniform", "low": 0.5, "high": 0.7, "source": "s1"},
                           "clauses": {"us.7": {"ideal": 0, "salience": 1.0, "source": "s"}}}}}
    b = {"actors": {"us": {"patience": 0.9, "source": "changed",
                           "outside_option": {"dist": "uniform", "low": 0.5, "high": 0.8, "source": "s2"},
                           "clauses": {"us.7": {"ideal": 0, "salience": 0.5, "source": "other"}}}}}
    edits = differences_to_edits(a, b)
    assert [e.label for e in edits] == ['actors.us.outside_option', 'actors.us.clauses."us.7".salience']
    assert edits[0].old["high"] == 0.7 and edits[0].new["high"] == 0.8
    only_sources = {"actors": {"us": dict(a["actors"]["us"], source="new",
                                          outside_option=dict(a["actors"]["us"]["outside_option"], source="s9"))}}
    assert differences_to_edits(a, only_sources) == []
    # a number becoming a distribution is one edit too
    c = {"actors": {"us": dict(a["actors"]["us"], patience={"dist": "uniform", "low": 0.8, "high": 1.0})}}
    assert [e.label for e in differences_to_edits(a, c)] == ["actors.us.patience"]


def test_an_edit_that_does_not_fit_the_document_is_refused():
    a, b = {"x": {"y": 1, "z": 2}}, {"x": {"y": 3, "z": 4}}
    edits = differences_to_edits(a, b)
    with pytest.raises(ValueError, match="does not apply"):
        apply_edits(b, edits)
    with pytest.raises(ValueError, match="overlap"):
        apply_edits(a, edits + edits[:1])


keys = st.sampled_from(["a", "b", "c", "d.e", "source", "dist_like"])
leaves = st.one_of(st.integers(0, 3), st.sampled_from(["s", "t"]), st.lists(st.integers(0, 2), max_size=2),
                   st.builds(lambda lo, hi: {"dist": "uniform", "low": lo, "high": hi, "source": "q"},
                             st.integers(0, 2), st.integers(2, 4)))
nested = st.recursive(leaves, lambda inner: st.dictionaries(keys, inner, max_size=4), max_leaves=12)
docs = st.dictionaries(keys, nested, max_size=4)


def _check_edits(a, b):
    edits = differences_to_edits(a, b, skip=())
    assert strip_sources(apply_edits(a, edits)) == strip_sources(b)
    assert apply_edits(a, []) == a
    assert all(e.path[-1] != "source" for e in edits)
    # any subset applies, and the order of application does not matter
    half = edits[::2]
    assert apply_edits(a, half) == apply_edits(a, half[::-1])
    # the edits left over turn that half-way document into B
    rest = differences_to_edits(apply_edits(a, half), b, skip=())
    assert [e.path for e in rest] == [e.path for e in edits[1::2]]
    return edits


@given(docs, docs)
def test_applying_all_edits_gives_b_and_none_gives_a(a, b):
    _check_edits(a, b)
    assert differences_to_edits(a, a) == []


@given(scenario_docs(), scenario_docs())
def test_edits_between_random_scenario_documents(a, b):
    edits = _check_edits(a, b)
    assert all(e.path[0] != "meta" for e in differences_to_edits(a, b))
    assert len(edits) == len({e.path for e in edits})
