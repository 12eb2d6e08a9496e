"""Across model families (analysis/families.py): both families' answers on the same runs, and
the checks for mechanics, on small run tables written by hand."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import pytest

from analysis import families
from analysis.report import table
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
    # x is held at 0 in B; A's package has 0 there in runs 0, 2, 3, 4 (4 of 6)
    assert families.same_package(A, B) == pytest.approx(4 / 6)
    assert families.held_by_b(A, B, ["x", "y"]) == [("x", 0.0, pytest.approx(4 / 6)), ("y", 1.0, 1.0)]
    text = " ".join(families.reading(("A", "B"), A, B, 364, ["x"]))
    assert "differs between the scenarios in 33.33% of runs" in text and "x at 0 in 66.67% of runs" in text
    same = A.assign(**{"bdm.value.x": 0.0})
    assert families.same_package(same, B) == 1.0
    text = " ".join(families.reading(("A", "B"), same, B, 364, ["x"]))
    assert "zero by construction" in text and "x at 0 in 100.00% of runs" in text
    assert families.why_not(A, 1) == [("us: red line on x", pytest.approx(5 / 6))]
    assert families.crosstab(A, 364) == {(True, True): 0, (True, False): 2, (False, True): 1, (False, False): 3}


def test_agenda_changes_between_the_headline_scenarios():
    from sim.scenario import load_scenario

    a, b = (load_scenario(f"scenarios/{n}.toml") for n in ("full_agenda", "accession_excluded"))
    assert families.agenda_changes(a, b) == ["us.4a", "nato.6"]
    assert families.agenda_changes(a, a) == []


def test_without_expected_utility_columns_only_the_agent_based_answer():
    plain = A[["run", "seed", "outcome", "days"]]
    assert [r.family for r in families.answers(plain, plain, 364)] == ["agent-based"]
    assert "no expected-utility columns" in families.reading(("A", "B"), plain, plain, 364)[0]


def test_terminal_lines_and_report_section():
    out = families.lines(("full", "excluded"), A, B, 364)
    assert out[0].startswith("Across model families (6 runs")
    assert any(line.lstrip().startswith("expected-utility: deal-compatible forecast") for line in out)
    page = families.section(("A <1>", "B"), A, B, 364, html.escape, table)
    assert "<h2 id='families'>Across model families</h2>" in page and "A &lt;1&gt;" in page and "A <1>" not in page
