"""Tests for analysis.theory (continuous bargaining theory on a scenario's clause space) and
`negsim solve`.

Expected values are worked out by hand in the comments, from the utilities of sim.preferences:
u(x) = 1 - sum_c s_c |x_c - p_c| with saliences normalised to sum to 1 per actor.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.solutions import nash_split
from analysis.theory import (
    Problem,
    agreement_distances,
    baseline_forecast,
    clause_comparison,
    distance_summary,
    solve,
    solve_scenario,
)
from negsim.cli import main
from tests.factory import actor, pref, two_party, write
from tests.strategies import scenario_docs

ROOT = Path(__file__).resolve().parent.parent
SCEN = ROOT / "scenarios"
EXACT = 1e-6  # solver accuracy asked of hand-computed values


def one_clause(tmp_path, d_a=0.2, d_b=0.2, a=None, b=None, name="toy.toml", **changes):
    """One clause x; a wants 1, b wants 0: U_a = x, U_b = 1 - x."""
    doc = two_party({"x": a or pref(1.0)}, {"x": b or pref(0.0)}, clauses=("x",))
    doc["actors"]["a"]["outside_option"] = d_a
    doc["actors"]["b"]["outside_option"] = d_b
    for key, value in changes.items():
        doc[key] = value
    return solve_scenario(write(tmp_path, doc, name))


# --------------------------------------------------------------------------- hand-computed cases
def test_symmetric_one_clause_zone_nash_ks(tmp_path):
    # Zone: x >= 0.2 (a) and 1 - x >= 0.2 (b) -> [0.2, 0.8]; the midpoint maximises
    # (x - 0.2)(0.8 - x) and equalises the relative gains (x - 0.2)/0.6 = (0.8 - x)/0.6.
    th = one_clause(tmp_path)
    assert th.zone.exists and th.zone.slack == pytest.approx(0.3, abs=EXACT)
    assert th.zone.best_in_zone == pytest.approx([0.8, 0.8])
    assert th.nash.package == pytest.approx([0.5], abs=EXACT)
    assert th.ks.package == pytest.approx([0.5], abs=EXACT)
    assert th.nash.utility == pytest.approx([0.5, 0.5], abs=EXACT)
    assert th.nash.gap < 1e-8


def test_asymmetric_disagreement_nash_is_d_shifted_midpoint(tmp_path):
    # d = (0.1, 0.5): zone [0.1, 0.5]; Nash x = d_a + (1 - d_a - d_b)/2 = 0.3 (the pie split);
    # KS: ideals (0.5, 0.9), spans 0.4 each -> also 0.3.
    th = one_clause(tmp_path, d_a=0.1, d_b=0.5)
    assert nash_split([0.1, 0.5])[0] == pytest.approx(0.3)
    assert th.nash.package == pytest.approx([0.3], abs=EXACT)
    assert th.ks.package == pytest.approx([0.3], abs=EXACT)
    assert th.nash.gain == pytest.approx([0.2, 0.2], abs=EXACT)


def test_agenda_cap_separates_nash_from_ks(tmp_path):
    # Cap x at 0.4: zone [0.2, 0.4].  (x - 0.2)(0.8 - x) rises up to 0.5, so Nash = 0.4 (the cap).
    # KS: ideals a 0.4 (span 0.2), b 0.8 (span 0.6); (x - 0.2)/0.2 = (0.8 - x)/0.6 -> x = 0.35.
    th = one_clause(tmp_path, agenda={"off": [], "caps": {"x": 0.4}, "source": "judgement [negsim-calibration]: test"})
    assert th.zone.exists
    assert (th.zone.low[0], th.zone.high[0]) == pytest.approx((0.0, 0.4))
    assert th.nash.package == pytest.approx([0.4], abs=EXACT)
    assert th.ks.package == pytest.approx([0.35], abs=EXACT)


def test_two_clauses_nash_and_ks_differ(tmp_path):
    # a: ideal (1, 1), saliences (1, 1) -> U_a = (x + y)/2.  b: ideal (0, 0), saliences (3, 1)
    # -> U_b = 1 - 0.75 x - 0.25 y.  d = 0.  The Pareto frontier trades y first (cheap for b):
    # (0, 1) -> (0.5, 0.75) at (x, y) = (0, 1) -> (1, 0) at (1, 1).
    # Nash: on y = 1, x = s the product is 0.375 (1 + s)(1 - s), largest at s = 0, and on
    # x = 0 it rises in y: Nash = (0, 1), utilities (0.5, 0.75).
    # KS: ideal (1, 1): U_a = U_b on y = 1: 0.5 (1 + s) = 0.75 (1 - s) -> s = 0.2, U = (0.6, 0.6).
    doc = two_party({"x": pref(1.0, 1.0), "y": pref(1.0, 1.0)}, {"x": pref(0.0, 3.0), "y": pref(0.0, 1.0)})
    th = solve_scenario(write(tmp_path, doc))
    assert th.nash.package == pytest.approx([0.0, 1.0], abs=EXACT)
    assert th.nash.utility == pytest.approx([0.5, 0.75], abs=EXACT)
    assert th.ks.package == pytest.approx([0.2, 1.0], abs=EXACT)
    assert th.ks.utility == pytest.approx([0.6, 0.6], abs=EXACT)


def test_actor_not_at_the_table_counts_only_through_mixing(tmp_path):
    # c is not a signatory; it weighs 0.5 on b and wants 0.5.  U_b = 0.5 (1 - x) + 0.5 (1 - |x - 0.5|)
    # = 0.75 for x <= 0.5 and 1.25 - x above.  d = (0, 0); c's outside option 0.9 must not matter.
    # Nash: x (1.25 - x) peaks at x = 0.625.  KS: ideals (1, 0.75); x = (1.25 - x)/0.75 -> x = 5/7.
    doc = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",))
    doc["actors"]["c"] = actor({"x": pref(0.5)}, outside_option=0.9, weighs_on={"b": 0.5})
    th = solve_scenario(write(tmp_path, doc))
    assert th.problem.required.tolist() == [True, True, False]
    assert th.zone.exists
    assert th.nash.package == pytest.approx([0.625], abs=EXACT)
    assert th.ks.package == pytest.approx([5 / 7], abs=EXACT)
    assert np.isnan(th.zone.best_in_zone[2])


def test_red_line_clash_means_no_zone_and_names_the_clause(tmp_path):
    # a never accepts x below 0.6, b never above 0.4: the box on x is empty.
    doc = two_party({"x": pref(1.0, below=0.6), "y": pref(1.0)}, {"x": pref(0.0, above=0.4), "y": pref(0.0)})
    th = solve_scenario(write(tmp_path, doc))
    z = th.zone
    assert not z.exists and th.nash is None and th.ks is None
    assert z.shortfall == "x" and set(z.blocking_actors) == {"a", "b"}
    assert "clause x" in z.verdict and "a's red line" in z.verdict and "b's red line" in z.verdict


def test_red_line_clash_with_the_agenda(tmp_path):
    # a never accepts y below 0.3, but y is off the table (held at 0).
    doc = two_party({"x": pref(1.0), "y": pref(1.0, below=0.3)}, {"x": pref(0.0), "y": pref(0.0)})
    doc["agenda"] = {"off": ["y"], "source": "judgement [negsim-calibration]: test"}
    z = solve_scenario(write(tmp_path, doc)).zone
    assert not z.exists and z.shortfall == "y"
    assert "the agenda (off the table)" in z.verdict


def test_outside_option_above_best_feasible_names_the_actor(tmp_path):
    # b never accepts x above 0.5, so the best a can get is U_a = 0.5 < its outside option 0.9.
    th = one_clause(tmp_path, d_a=0.9, d_b=0.0, b=pref(0.0, above=0.5))
    z = th.zone
    assert not z.exists and z.blocking_actor == "a" and z.shortfall == "x"
    assert z.best_alone == pytest.approx([0.5, 1.0])
    assert "a's outside option (0.900)" in z.verdict and "b's red line" in z.verdict


def test_outside_options_that_only_clash_jointly(tmp_path):
    # d = (0.6, 0.6): each alone can get 1, but x >= 0.6 and x <= 0.4 cannot both hold;
    # max_x min(x - 0.6, 0.4 - x) = -0.1 at x = 0.5.
    z = one_clause(tmp_path, d_a=0.6, d_b=0.6).zone
    assert not z.exists and z.slack == pytest.approx(-0.1, abs=EXACT)
    assert set(z.blocking_actors) == {"a", "b"} and z.shortfall == "x"
    assert "not all at once" in z.verdict


def test_degenerate_zone_is_a_single_point(tmp_path):
    # d = (0.5, 0.5): the zone is x = 0.5 exactly; nobody gains, but a zone (weakly) exists.
    th = one_clause(tmp_path, d_a=0.5, d_b=0.5)
    assert th.zone.exists and "degenerate" in th.zone.verdict
    assert th.nash.package == pytest.approx([0.5], abs=EXACT)
    assert th.ks.package == pytest.approx([0.5], abs=EXACT)


def test_baseline_forecast_counts_only_the_parties_at_the_table():
    # Parties a (capability 3, ideal 1) and b (1, ideal 0); c is not at the table.
    ideal = np.array([[1.0], [0.0], [0.5]])
    sal = np.ones((3, 1))
    mean, median = baseline_forecast(ideal, sal, [3.0, 1.0, 100.0], [True, True, False])
    assert mean == pytest.approx([0.75]) and median == pytest.approx([1.0])
    mean, median = baseline_forecast(ideal, np.zeros((3, 1)), [1, 1, 1], [True, True, False])
    assert np.isnan(mean[0]) and np.isnan(median[0])


def test_capability_weights_the_baseline(tmp_path):
    doc = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",))
    doc["actors"]["a"]["capability"] = 3.0
    th = solve_scenario(write(tmp_path, doc))
    assert th.baseline_mean == pytest.approx([0.75]) and th.baseline_median == pytest.approx([1.0])


# --------------------------------------------------------------------------- properties
def _sample_box(rng, low, high, n=200):
    return low + (high - low) * rng.random((n, len(low)))


def _check_solution_properties(th, seed: int = 0) -> None:
    pr, z = th.problem, th.zone
    req = pr.parties
    d = pr.disagreement[req]
    rng = np.random.default_rng(seed)
    xs = _sample_box(rng, z.low, np.maximum(z.high, z.low))
    us = pr.utilities(xs)[:, req]
    if not z.exists:
        assert th.nash is None and th.ks is None
        if (z.low <= z.high + 1e-9).all():  # the samples never beat every outside option either
            assert not (us >= d + 1e-9).all(axis=1).any()
        return
    in_zone = (us >= d).all(axis=1)
    for sol in (th.nash, th.ks):
        x = sol.package
        assert ((x >= z.low - 1e-9) & (x <= z.high + 1e-9)).all()  # respects red lines and agenda
        assert (pr.below[req] <= x + 1e-9).all() and (x <= pr.above[req] + 1e-9).all()
        assert (x <= pr.upper + 1e-9).all()
        u = sol.utility[req]
        assert (u >= d - 1e-7).all()  # every party at the table gets at least its outside option
        dominated = (us >= u - 1e-9).all(axis=1) & (us > u + 1e-7).any(axis=1)
        assert not dominated.any(), f"a sampled package Pareto-dominates the {sol.concept} package"
    assert th.nash.gap < 1e-6
    # Nash maximises the product of gains over the zone; KS the smallest normalised gain.
    active = z.best_in_zone[req] - d > 1e-7
    if in_zone.any() and active.any():
        g = np.maximum(us[in_zone][:, active] - d[active], 1e-300)
        ng = th.nash.gain[req][active]
        assert np.log(ng).sum() >= np.log(g).sum(axis=1).max() - 1e-6
        span = z.best_in_zone[req][active] - d[active]
        ks_min = (th.ks.gain[req][active] / span).min()
        assert ks_min >= (g / span).min(axis=1).max() - 1e-6


@given(doc=scenario_docs(max_clauses=4), seed=st.integers(0, 2**16))
def test_random_scenarios_nash_ks_feasible_and_pareto(tmp_path, doc, seed):
    _check_solution_properties(solve_scenario(write(tmp_path, doc, "random.toml")), seed)


@st.composite
def problems(draw):
    """Random problems with mixing (an actor weighing on another) and non-trivial red lines."""
    n_a, n_c = draw(st.integers(2, 4)), draw(st.integers(1, 4))
    floats = st.floats(0.0, 1.0, allow_nan=False)
    ideal = np.array([[draw(floats) for _ in range(n_c)] for _ in range(n_a)])
    sal = np.array([[draw(st.floats(0.0, 3.0)) for _ in range(n_c)] for _ in range(n_a)])
    sal[:, 0] += 0.01  # every actor cares about something
    sal /= sal.sum(axis=1, keepdims=True)
    # Red lines on about a quarter of the (actor, clause) pairs, so zones exist often enough.
    some = st.sampled_from([False, False, False, True])
    below = np.array([[draw(floats) * v if draw(some) else 0.0 for v in row] for row in ideal])
    above = np.array([[v + (1 - v) * draw(floats) if draw(some) else 1.0 for v in row] for row in ideal])
    mixing = np.eye(n_a)
    if draw(st.booleans()):
        i, k = draw(st.integers(0, n_a - 1)), draw(st.integers(0, n_a - 1))
        w = draw(st.floats(0.0, 0.5))
        mixing[i, i] -= w
        mixing[i, k] += w
    required = np.array([True, True] + [draw(st.booleans()) for _ in range(n_a - 2)])
    upper = np.array([draw(st.sampled_from([0.0, 1.0, 1.0, draw(floats)])) for _ in range(n_c)])
    d = np.array([draw(st.floats(0.0, 0.8)) for _ in range(n_a)])
    return Problem(tuple(f"a{i}" for i in range(n_a)), tuple(f"c{j}" for j in range(n_c)), ideal, sal,
                   mixing, below, above, upper, required, d)


@given(pr=problems(), seed=st.integers(0, 2**16))
def test_random_problems_nash_ks_feasible_and_pareto(pr, seed):
    _check_solution_properties(solve(pr), seed)  # a Theory has .problem, .zone, .nash, .ks too


def test_nash_follows_the_pie_split_whatever_the_party_order():
    # Scaling one party's utility (with its d) cannot be expressed in the scenario form (utilities
    # are in [0, 1]); analysis.solutions covers that invariance (tests/test_solutions.py).  Here:
    # Nash matches the closed-form pie split d_a + (1 - d_a - d_b)/2 = 0.3 in either party order.
    pr = Problem(("a", "b"), ("x",), np.array([[1.0], [0.0]]), np.ones((2, 1)), np.eye(2),
                 np.zeros((2, 1)), np.ones((2, 1)), np.ones(1), np.array([True, True]), np.array([0.0, 0.4]))
    sw = Problem(("b", "a"), ("x",), np.array([[0.0], [1.0]]), np.ones((2, 1)), np.eye(2),
                 np.zeros((2, 1)), np.ones((2, 1)), np.ones(1), np.array([True, True]), np.array([0.4, 0.0]))
    assert solve(pr).nash.package == pytest.approx([0.3], abs=EXACT)
    assert solve(sw).nash.package == pytest.approx([0.3], abs=EXACT)


# --------------------------------------------------------------------------- simulation vs theory
def test_agreement_distances_by_hand():
    runs = pd.DataFrame({"run": [0, 1, 2], "outcome": ["agreement", "walkout", "agreement"],
                         "value.x": [0.5, np.nan, 1.0], "value.y": [0.0, np.nan, 0.2], "value.z": [0.9, np.nan, 0.9]})
    dist = agreement_distances(runs, {"x": 0.4, "y": 0.2, "z": 0.0}, ["x", "y"])
    assert dist["run"].tolist() == [0, 2]
    assert dist["distance"].tolist() == pytest.approx([(0.1 + 0.2) / 2, (0.6 + 0.0) / 2])
    assert dist["max_abs"].tolist() == pytest.approx([0.2, 0.6])
    assert dist["diff.x"].tolist() == pytest.approx([0.1, 0.6])
    s = distance_summary(runs, {"x": 0.4, "y": 0.2}, ["x", "y"])
    assert s["runs"] == 3 and s["agreements"] == 2 and s["median"] == pytest.approx(0.225)
    with pytest.raises(ValueError, match="value.q"):
        agreement_distances(runs, {"q": 0.0})
    with pytest.raises(ValueError, match="no value for clause"):
        agreement_distances(runs, {"x": 0.0}, ["x", "y"])


def test_comparison_with_simulated_runs():
    from analysis.tables import runs_frame
    from analysis.theory_plots import comparison_figure
    from experiments.runner import batches
    from sim.scenario import load_scenario

    sc = load_scenario(SCEN / "accession_excluded.toml")
    th = solve_scenario(sc)
    runs = runs_frame(list(batches(sc, 500, 1)), sc.name)
    assert "us.4a" not in th.negotiable and "nato.6" not in th.negotiable and "form" in th.negotiable
    dist = agreement_distances(runs, th.package("nash"), th.negotiable)
    assert len(dist) == int((runs["outcome"] == "agreement").sum()) > 0
    assert ((dist["distance"] >= 0) & (dist["distance"] <= 1)).all()
    table = clause_comparison(runs, {"Nash": th.package("nash"), "KS": th.package("ks")}, th.negotiable)
    assert list(table.index) == [*th.negotiable, "mean |diff|"]
    assert table.loc["mean |diff|", "median |agreed - Nash|"] == pytest.approx(dist["distance"].median())
    fig = comparison_figure([(th, runs)])
    title = fig._suptitle.get_text()
    assert "accession_excluded" in title and "500 runs" in title
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes)


# --------------------------------------------------------------------------- the command line
def test_cli_solve_accession_excluded(capsys):
    assert main(["solve", str(SCEN / "accession_excluded.toml"), "--draws", "20"]) == 0
    out = capsys.readouterr().out
    assert "Zone of agreement: EXISTS" in out and "across 20 drawn calibrations" in out
    th = solve_scenario(SCEN / "accession_excluded.toml")
    for c in th.problem.clauses:
        assert f"\n  {c} " in out
    assert "Nash" in out and "Kalai-Smorodinsky" in out and "Answer (accession_excluded)" in out
    assert "Nash package across those draws" in out and "us.7 0.3" in out
    assert max(len(line) for line in out.splitlines()) <= 100


def test_cli_solve_names_what_closes_the_zone(capsys):
    assert main(["solve", str(SCEN / "accession_only.toml"), "--no-draws"]) == 0
    out = capsys.readouterr().out
    assert "Zone of agreement: NONE" in out and "Closed by: actor russia; clause" in out


def test_cli_solve_compare_runs_writes_figure(tmp_path, capsys):
    out_dir = tmp_path / "theory"
    assert main(["solve", str(SCEN / "accession_excluded.toml"), "--compare-runs", "300", "--seed", "2", "--no-draws",
                 "--out", str(out_dir), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "Simulated agreements vs theory: 300 runs" in text and "accession_excluded" in text
    assert (out_dir / "theory_vs_runs.png").stat().st_size > 10_000
    table = pd.read_csv(out_dir / "theory_accession_excluded.csv", index_col="clause")
    assert "Nash" in table.columns and "form" in table.index


def test_cli_solve_errors_are_one_line(capsys):
    assert main(["solve", str(SCEN / "accession_excluded.toml"), "--compare-runs", "-1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("negsim: error: --compare-runs") and len(err.strip().splitlines()) == 1
    assert main(["solve", "no/such/file.toml"]) == 2
    assert "file not found" in capsys.readouterr().err


def test_zone_across_draws_and_its_closing_day_match_hand_calculation(tmp_path):
    """One clause split between a (wants 1) and b (wants 0) with linear utilities: a zone exists
    iff d_a + d_b <= 1. d_a ~ U(0.2, 0.8) and d_b = 0.3: a zone on day 0 with probability 5/6.
    a's outside option grows 0.06 a week: the zone is gone on the first weekly meeting day t with
    d_a + 0.3 + 0.06 t/7 > 1."""
    from analysis.theory_draws import zones_over_draws
    from sim.engine import Compiled, params_for_runs
    from tests.factory import load, pref, two_party

    doc = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",), horizon=30)
    doc["actors"]["a"].update(outside_option={"dist": "uniform", "low": 0.2, "high": 0.8}, outside_option_growth=0.06)
    doc["actors"]["b"].update(outside_option=0.3)
    sc = load(tmp_path, doc)
    n = 600
    z = zones_over_draws(sc, n, root_seed=3)
    d_a = params_for_runs(Compiled.from_scenario(sc), 3, 0, n).outside_option[:, 0]
    assert np.array_equal(z.exists, d_a + 0.3 <= 1.0)
    assert abs(z.exists.mean() - 5 / 6) < 4 * np.sqrt(5 / 36 / n)  # 4 standard errors
    weeks = np.floor((0.7 - d_a) / 0.06) + 1  # first whole week with d_a + 0.3 + 0.06 w > 1
    expected = np.where(z.exists & (7 * weeks <= z.last_meeting_day), 7 * weeks, np.nan)
    assert np.allclose(z.close_day, expected, equal_nan=True)
    assert z.last_meeting_day == 7 * 30


def test_reconcile_splits_the_difference_in_deals_by_zone_by_hand():
    from analysis.theory_draws import DrawnZones, reconcile

    nan = np.nan
    za = DrawnZones(np.array([True, True, False, False, True]), np.full(5, nan), 364.0)
    zb = DrawnZones(np.array([True, False, True, False, True]), np.full(5, nan), 364.0)
    a = ["agreement", "agreement", "walkout", "walkout", "walkout"]
    b = ["agreement", "walkout", "agreement", "agreement", "agreement"]
    m = reconcile(za, zb, a, b)
    # draw 0: both zones, no change; 1: only A has one, -1; 2: only B, +1; 3: neither, +1; 4: both, +1
    assert m["difference"] == pytest.approx(2 / 5)
    assert m["from_zone"] == pytest.approx(0.0)  # -1 + 1
    assert m["from_dynamics_with_zone"] == pytest.approx(1 / 5)
    assert m["from_dynamics_without_zone"] == pytest.approx(1 / 5)
    assert m["from_zone"] + m["from_dynamics_with_zone"] + m["from_dynamics_without_zone"] == pytest.approx(m["difference"])
    assert (m["zone_a"], m["zone_b"]) == (0.6, 0.6)


def test_nash_spread_is_taken_over_draws_with_a_zone():
    from analysis.theory_draws import DrawnZones

    packages = np.array([[0.1, 1.0], [np.nan, np.nan], [0.3, 1.0], [0.2, 1.0]])
    z = DrawnZones(np.array([True, False, True, True]), np.full(4, np.nan), 364.0, packages, ("x", "y"))
    spread = z.nash_spread()
    assert spread["x"][0] == pytest.approx(0.2) and spread["y"] == (1.0, 1.0, 1.0)
    assert DrawnZones(np.array([True]), np.array([np.nan]), 364.0).nash_spread() == {}
