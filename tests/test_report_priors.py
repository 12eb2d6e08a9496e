"""The report's account of the priors (analysis/report_priors.py): provenance shares of the inputs
that drive the answer, and the headline under the shipped, a uniform and an elicited prior."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest

from analysis import outcomes as oc
from analysis import report_priors as rp
from analysis import reweight as rw
from analysis.report_html import est
from negsim.cli import main
from sim.distributions import Uniform
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "accession_excluded.toml"
FIXTURE = ROOT / "tests" / "fixtures" / "elicitation_invented.csv"  # INVENTED FOR TESTS


def test_provenance_by_count_is_the_validate_count(capsys):
    # the shares are the counts `negsim validate --provenance` prints, over their total
    assert main(["validate", str(SCENARIO), "--provenance"]) == 0
    m = re.search(r"of its (\d+) numbers: record (\d+), literature (\d+), elicitation (\d+), judgement (\d+)",
                  capsys.readouterr().out)
    total, record, literature, elicitation, judgement = map(int, m.groups())
    shares, how = rp.provenance_shares(load_scenario(SCENARIO))
    assert shares == pytest.approx({"record": record / total, "literature": literature / total,
                                    "elicitation": elicitation / total, "judgement": judgement / total})
    assert f"by count of its {total} numbers, not weighted by influence" in how


def test_provenance_weighted_by_total_order_indices_by_hand():
    sc = load_scenario(SCENARIO)
    cls = dict(sc.provenance)
    assert cls["actors.russia.outside_option"] == "judgement" and cls["actors.us.clauses.us.4a.ideal"] == "record"
    assert "actors.russia.strategy.gamma" not in cls  # left at the schema's default
    indices = pd.DataFrame({
        "metric": ["p_persist"] * 5 + ["p_agreement"],
        "parameter": ["actors.russia.outside_option", "actors.us.clauses.us.4a.ideal", "actors.russia.strategy.gamma",
                      "actors.russia.deadline_days", "actors.russia.outside_option", "actors.us.clauses.us.4a.ideal"],
        "index": ["ST", "ST", "ST", "ST", "S1", "ST"],
        "value": [0.5, 0.2, 0.2, -0.1, 0.9, 5.0],
    })
    # ST of p_persist only; the negative estimate (noise) counts as 0: total 0.9, so judgement
    # 0.5 / 0.9, record 0.2 / 0.9, the schema default 0.2 / 0.9.  S1 and p_agreement rows are ignored.
    shares, how = rp.provenance_shares(sc, indices)
    assert shares == pytest.approx({"record": 2 / 9, "literature": 0.0, "elicitation": 0.0, "judgement": 5 / 9,
                                    rp.NOT_SET: 2 / 9})
    assert "Sobol total-order indices of P(talks persist) over the sweep's 4 parameters" in how
    assert ("record 22%, literature 0%, elicitation 0%, judgement 56%, schema default 22%"
            in rp.provenance_sentence(sc, indices))


@pytest.fixture(scope="module")
def runs_and_overlay(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("priors")
    assert main(["run", str(SCENARIO), "-n", "600", "--seed", "5", "--out", str(tmp / "runs"), "--quiet"]) == 0
    assert main(["elicit", str(FIXTURE), "--scenario", str(SCENARIO), "--out", str(tmp / "el" / "overlay.toml")]) == 0
    return tmp


def test_the_report_shows_the_headline_under_three_priors(runs_and_overlay):
    tmp = runs_and_overlay
    overlay = tmp / "el" / "overlay.toml"
    pd.DataFrame({"metric": ["p_persist"], "parameter": ["actors.russia.outside_option"], "index": ["ST"],
                  "value": [0.3]}).to_parquet(tmp / "indices.parquet")
    out = tmp / "report.html"
    assert main(["report", str(tmp / "runs"), "--out", str(out), "--prior-from", str(overlay),
                 "--sweep", str(tmp / "indices.parquet")]) == 0
    text = html.unescape(out.read_text())
    assert "How much the answer owes to the priors" in text
    assert "uniform on the same support" in text and f"elicited ({overlay})" in text
    # the numbers are those of the reweighting itself
    r = oc.load(tmp / "runs" / "runs.parquet", trace=False)
    sc = oc.scenario_of(r.meta)
    old = rw.drawn_priors(sc)
    keys = ["actors.russia.outside_option", "actors.russia.deadline_days"]
    uni = rw.reweight(r.runs, old, {k: Uniform(*old[k].support()) for k in keys}, 364).shares
    eli = rw.reweight(r.runs, old, {k: p for k, p in rp.elicited_priors(load_scenario(overlay)).items()}, 364).shares
    for s in (uni, eli):
        e = s["P(agreement by day 364)"]
        assert est(e.value, e.low, e.high) in text
    # the answer box weighs the provenance by the sweep's index: one judgement parameter
    assert "weighted by the Sobol total-order indices of P(talks persist) over the sweep's 1 parameters): record 0%, literature 0%, elicitation 0%, judgement 100%" in text


def test_without_an_overlay_the_most_moving_input_is_reweighted(runs_and_overlay):
    r = oc.load(runs_and_overlay / "runs" / "runs.parquet", trace=False)
    sc = oc.scenario_of(r.meta)
    ranked = rp.one_at_a_time(r, rw.drawn_priors(sc), 364)
    changes = [abs(d) for _, d, _ in ranked]
    assert changes == sorted(changes, reverse=True) and len(ranked) > 5
    section = html.unescape(rp.prior_section([r], rp.PriorInputs()))
    assert f"the input whose uniform prior moves P(agreement) most, alone: {ranked[0][0]}" in section
