"""Counterfactual concessions on common random numbers, attributed by Shapley (issue 14)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.attribution import coalitions, shapley_exact
from negsim.cli import main
from analysis.metrics import METRICS
from experiments.counterfactual import concedable, conceded_plan, run_coalitions
from sim.engine import Compiled
from sim.scenario import load_scenario

SCEN = Path(__file__).resolve().parent.parent / "scenarios"


@pytest.fixture(scope="module")
def excluded():
    comp = Compiled.from_scenario(load_scenario(SCEN / "accession_excluded.toml"))
    players = ["accession", "nuclear", "deployments"]
    return comp, players, run_coalitions(comp, coalitions(players), 600, 7)


def test_shapley_values_sum_to_all_conceded_minus_none(excluded):
    _, players, outcomes = excluded
    for m in METRICS:
        per = {c: v[m] for c, v in outcomes.items()}
        table = shapley_exact(players, per)
        assert table["value"].sum() == pytest.approx(per[frozenset(players)].mean() - per[frozenset()].mean(), abs=1e-12)


def test_conceding_a_demand_already_off_the_table_changes_nothing_in_any_run(excluded):
    _, players, outcomes = excluded
    for c, v in outcomes.items():
        if "accession" in c:
            for m in METRICS:  # null player, run by run: the same outcome with or without it
                assert np.array_equal(v[m], outcomes[c - {"accession"}][m])
    per = {c: v["agreement_by_horizon"] for c, v in outcomes.items()}
    assert shapley_exact(players, per).set_index("player").at["accession", "value"] == 0.0


def test_a_concession_keeps_every_other_draw_of_every_run(excluded):
    comp, _, _ = excluded
    from sim.params import draw_params

    u = comp.plan.uniforms(3, 0, 50)
    a, b = draw_params(comp.plan, u), draw_params(conceded_plan(comp, ["nuclear"]), u)
    us, c = comp.layout.actors.index("us"), comp.layout.clauses.index("us.7")
    assert (b.above[:, us, c] == 1.0).all() and (a.above[:, us, c] < 0.5).all()
    assert np.array_equal(a.outside_option, b.outside_option) and np.array_equal(a.belief_position, b.belief_position)


def test_every_shipped_concedable_demand_has_its_rule():
    comp = Compiled.from_scenario(load_scenario(SCEN / "base.toml"))
    assert set(concedable(comp)) == {"accession", "missiles", "indivisibility", "former_ussr", "force_lines",
                                     "nuclear", "deployments", "exercises"}


def test_explain_two_scenarios_attributes_the_difference_to_their_one_edit(tmp_path, capsys):
    out = tmp_path / "ex"
    assert main(["explain", str(SCEN / "full_agenda.toml"), str(SCEN / "accession_excluded.toml"), "-n", "300",
                 "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "agenda.off" in text and "with full_agenda" in text
    table = pd.read_parquet(out / "explain.parquet")
    # one player: its Shapley value is its effect alone, which is B - A
    assert np.allclose(table["shapley"], table["alone"]) and set(table["player"]) == {"agenda.off"}


def test_the_report_section_ranks_concessions_by_their_shapley_value():
    from analysis.report import _explain_section

    rows = [{"metric": "agreement_by_horizon", "label": "P(agreement by day 364, the horizon)", "player": p, "alone": v, "alone_low": v - 0.01, "alone_high": v + 0.01,
             "shapley": v, "shapley_low": v - 0.01, "shapley_high": v + 0.01} for p, v in
            (("small", 0.01), ("large", -0.2), ("middle", 0.05))]
    html = _explain_section(pd.DataFrame(rows), "toy, 100 runs")
    assert "What would change the outcome" in html and "P(agreement by day 364, the horizon)" in html
    assert html.index("large") < html.index("middle") < html.index("small")  # by |Shapley value|
    assert "-20.0 pp [-21.0, -19.0]" in html


def test_every_explained_share_names_its_day():
    from analysis.metrics import metric_label

    assert metric_label("walkout_by_day_69", 364.0) == "P(walkout by day 69)"
    assert metric_label("agreement_by_horizon", 182.0) == "P(agreement by day 182, the horizon)"
    assert metric_label("agreement_by_horizon", None) == "P(agreement by each scenario's horizon)"


def test_explain_table_names_the_horizon_of_the_scenario(tmp_path):
    out = tmp_path / "ex"
    assert main(["explain", str(SCEN / "full_agenda.toml"), str(SCEN / "accession_excluded.toml"), "-n", "50",
                 "--out", str(out), "--quiet"]) == 0
    labels = set(pd.read_parquet(out / "explain.parquet")["label"])
    assert "P(walkout by day 364, the horizon)" in labels and "P(agreement by day 69)" in labels


def test_explain_refuses_edits_that_change_the_draws(tmp_path, capsys):
    """Another horizon gives each run another row of random numbers: the coalitions would not be
    paired run by run, so explain says so in one line instead of pairing them."""
    from negsim.cli import main

    other = tmp_path / "longer.toml"
    other.write_text(f'extends = "{SCEN / "full_agenda.toml"}"\n[meta]\nname = "longer"\n'
                     '[protocol]\nhorizon_days = 728\nsource = "judgement [negsim-calibration]: test"\n')
    code = main(["explain", str(SCEN / "full_agenda.toml"), str(other), "-n", "20", "--out", str(tmp_path / "e"),
                 "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "do not share draws" in err and "horizon_days" in err and "\n" not in err.strip()
