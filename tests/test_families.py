"""Across model families (analysis/families.py): both families' answers on the same runs, and
the checks for mechanics, on small run tables written by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import families
from analysis.stats import paired_proportion_difference


def runs(outcome, days, compatible, values, seed=7) -> pd.DataFrame:
    n = len(outcome)
    df = pd.DataFrame({"run": np.arange(n), "seed": seed, "outcome": outcome, "days": days,
                       "bdm.compatible": compatible, "bdm.reason": ["" if c else "red line" for c in compatible],
                       "bdm.party": ["" if c else "us" for c in compatible],
                       "bdm.clause": ["" if c else "x" for c in compatible],
                       "bdm.within_red_lines": [True] * n})
    for clause, v in values.items():
        df[f"bdm.value.{clause}"] = v
    return df


# Six runs. Agent-based: A agrees in runs 0, 1, 2 (run 2 on day 400, after the horizon 364);
# B in runs 0 and 3. Expected-utility: compatible in A in run 4, in B in runs 4 and 5.
A = runs(["agreement", "agreement", "agreement", "walkout", "walkout", "walkout"], [10, 50, 400, 30, 30, 30],
         [False, False, False, False, True, False], {"x": [0.0, 0.2, 0.0, 0.0, 0.0, 0.5], "y": [1.0] * 6})
B = runs(["agreement", "walkout", "walkout", "agreement", "walkout", "walkout"], [10, 50, 30, 90, 30, 30],
         [False, False, False, False, True, True], {"x": [0.0] * 6, "y": [1.0] * 6})


def test_each_family_on_the_same_runs():
    abm, bdm = families.answers(A, B, 364)
    assert (abm.a.value, abm.b.value) == pytest.approx((2 / 6, 2 / 6))  # run 2 agreed after day 364
    assert (abm.only_a, abm.only_b) == (1, 1)  # run 1 in A only, run 3 in B only
    assert abm.diff == paired_proportion_difference([1, 1, 0, 0, 0, 0], [1, 0, 0, 1, 0, 0])
    assert (bdm.a.value, bdm.b.value, bdm.only_a, bdm.only_b) == pytest.approx((1 / 6, 2 / 6, 0, 1))
    assert bdm.diff.value == pytest.approx(1 / 6)


def test_tables_are_paired_by_run_not_by_row():
    shuffled = B.iloc[::-1]
    assert families.answers(A, shuffled, 364) == families.answers(A, B, 364)
    with pytest.raises(ValueError, match="same runs"):
        families.answers(A, B.assign(seed=8), 364)
    with pytest.raises(ValueError, match="same runs"):
        families.answers(A, B.iloc[:5], 364)


def test_mechanics_checks():
    # B's agenda holds x at 0; A's package has 0 there in runs 0, 2, 3, 4 (4 of 6)
    assert families.same_package(A, B) == pytest.approx(4 / 6)
    assert families.within_agenda(A, {"x": 0.0, "w": 0.0}, "bdm.value.") == [("x", 0.0, pytest.approx(4 / 6))]
    text = " ".join(families.reading(("A", "B"), A, B, 364, {"x": 0.0}))
    assert "differs between the scenarios in 33.33% of runs" in text and "x (at most 0) in 66.67% of runs" in text
    same = A.assign(**{"bdm.value.x": 0.0})
    assert families.same_package(same, B) == 1.0
    text = " ".join(families.reading(("A", "B"), same, B, 364, {"x": 0.0}))
    assert "zero by construction" in text and "x (at most 0) in 100.00% of runs" in text
    assert families.why_not(A, 1) == [("us: red line on x", pytest.approx(5 / 6))]
    assert families.crosstab(A, 364) == {(True, True): 0, (True, False): 2, (False, True): 1, (False, False): 3}


def test_agent_based_deals_against_the_other_agenda():
    """Agreed values (NaN without agreement): A's three deals hold x at 0, 0 and 0.2."""
    a = A.assign(**{"value.x": [0.0, 0.2, 0.0, np.nan, np.nan, np.nan]})
    assert families.within_agenda(a, {"x": 0.0}, "value.") == [("x", 0.0, pytest.approx(2 / 3))]
    text = " ".join(families.reading(("A", "B"), a, B, 364, {"x": 0.0}))
    assert "x (at most 0) in 66.67% of agreements" in text and "removes none" not in text
    held = A.assign(**{"value.x": [0.0, 0.0, 0.0, np.nan, np.nan, np.nan]})
    assert "removes none of the deals reached in A" in " ".join(families.reading(("A", "B"), held, B, 364, {"x": 0.0}))


def test_agenda_changes_between_the_headline_scenarios():
    from sim.scenario import load_scenario

    a, b, m = (load_scenario(f"scenarios/{n}.toml") for n in ("full_agenda", "accession_excluded", "accession_moratorium"))
    assert families.agenda_changes(a, b) == {"us.4a": 0.0, "nato.6": 0.0}
    assert families.agenda_changes(a, m) == {"us.4a": 0.5, "nato.6": 0.5}
    assert families.agenda_changes(a, a) == {}


def test_without_expected_utility_columns_only_the_agent_based_answer():
    plain = A[["run", "seed", "outcome", "days"]]
    assert [r.family for r in families.answers(plain, plain, 364)] == ["agent-based"]
    assert "no expected-utility columns" in families.reading(("A", "B"), plain, plain, 364)[0]


def test_terminal_lines_and_report_section():
    out = families.lines(("full", "excluded"), A, B, 364)
    assert out[0].startswith("Across model families (6 runs")
    assert any(line.lstrip().startswith("expected-utility: deal-compatible forecast") for line in out)
    page = families.section(("A <1>", "B"), A, B, 364)
    assert "<h2 id='families'>Across model families</h2>" in page and "A &lt;1&gt;" in page and "A <1>" not in page


# ------------------------------------------------------------------ wired into compare and report
SCEN = "scenarios"


def test_compare_and_report_with_both_families(tmp_path, capsys):
    from negsim.cli import main

    out = tmp_path / "cmp"
    assert main(["compare", f"{SCEN}/full_agenda.toml", f"{SCEN}/accession_excluded.toml", "-n", "300",
                 "--models", "abm,bdm", "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "Across model families (300 runs" in text and "expected-utility: deal-compatible forecast" in text
    assert "zero by construction" in text and "us.4a (at most 0) in 100.00% of runs" in text
    runs = pd.read_parquet(out / "runs_full_agenda.parquet")
    assert {"bdm.compatible", "bdm.reason", "bdm.value.us.4a", "outcome"} <= set(runs.columns) and len(runs) == 300
    page = tmp_path / "report.html"
    assert main(["report", str(out / "runs_full_agenda.parquet"), str(out / "runs_accession_excluded.parquet"),
                 "--out", str(page)]) == 0
    html_text = page.read_text()
    assert "<h2 id='families'>Across model families</h2>" in html_text and "href='#families'" in html_text
    assert "lie within accession_excluded&#x27;s agenda" in html_text  # the agent-based deals, from value.* columns


def test_compare_runs_one_family_unless_asked(tmp_path, capsys):
    from negsim.cli import main

    out = tmp_path / "one"
    assert main(["compare", f"{SCEN}/full_agenda.toml", f"{SCEN}/accession_excluded.toml", "-n", "50",
                 "--out", str(out), "--quiet"]) == 0
    assert "Across model families" not in capsys.readouterr().out
    assert not any(c.startswith("bdm.") for c in pd.read_parquet(out / "runs_full_agenda.parquet").columns)
    assert main(["compare", f"{SCEN}/full_agenda.toml", f"{SCEN}/accession_excluded.toml", "-n", "50",
                 "--models", "abm,xyz", "--out", str(tmp_path / "bad"), "--quiet"]) == 2
    assert "--models takes a comma-separated list of abm, bdm" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_the_expected_utility_columns_follow_the_run_not_the_chunk():
    from experiments.families import bdm_columns, parse_models
    from sim.scenario import load_scenario

    sc = load_scenario(f"{SCEN}/full_agenda.toml")
    whole = bdm_columns(sc, 5, np.arange(0, 40))
    part = bdm_columns(sc, 5, np.arange(25, 40))
    for k in whole:
        np.testing.assert_array_equal(whole[k][25:], part[k])
    assert parse_models("bdm") == ("abm", "bdm") and parse_models(" abm ") == ("abm",)
    with pytest.raises(ValueError, match="contiguous"):
        bdm_columns(sc, 5, np.array([1, 3]))
