"""Expert judgements in: fitting (analysis/elicitation_fit.py), pooling (analysis/elicitation.py),
the table's checks (analysis/elicitation_table.py) and `negsim elicit` end to end.

The table tests/fixtures/elicitation_invented.csv is INVENTED FOR TESTS: no real expert's judgement."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import elicitation as el
from analysis.elicitation_fit import KINDS, fit_best, fit_kind, triangular_points
from analysis.elicitation_table import TableError, read_table
from negsim.cli import main
from sim.distributions import Mixture, Triangular, Uniform
from sim.scenario import load_scenario
from tests.factory import load, pref, two_party

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "elicitation_invented.csv"  # INVENTED FOR TESTS
SCENARIO = ROOT / "scenarios" / "accession_excluded.toml"
HEADER = "expert,key,q05,q50,q95,min,mode,max,lower,upper,realisation,background,note\n"


# ------------------------------------------------------------------ fitting, known values

def test_triangular_quantiles_by_hand():
    # triangular(0.1, 0.3, 0.5): F(x) = (x - 0.1)^2 / (0.4 * 0.2) below the mode, so F = 0.05 at
    # x = 0.1 + sqrt(0.004) = 0.16325; by symmetry q95 = 0.5 - sqrt(0.004) = 0.43675; median 0.3.
    assert triangular_points(0.1, 0.3, 0.5) == pytest.approx((0.1 + math.sqrt(0.004), 0.3, 0.5 - math.sqrt(0.004)))


@pytest.mark.parametrize("kind, points, expected", [
    # triangular(0.1, 0.3, 0.5), its quantiles by hand above: three equations, three unknowns
    ("triangular", (0.1 + math.sqrt(0.004), 0.3, 0.5 - math.sqrt(0.004)), {"low": 0.1, "mode": 0.3, "high": 0.5}),
    # uniform(0.2, 0.6): q_p = 0.2 + 0.4 p
    ("uniform", (0.22, 0.4, 0.58), {"low": 0.2, "high": 0.6}),
    # beta(2, 2) on [0, 1]: F(x) = 3x^2 - 2x^3 = 0.05 at x = 0.135350 (3 * 0.018320 - 2 * 0.0024797
    # = 0.04999), by symmetry 0.864650 at 95%
    ("beta", (0.1353504, 0.5, 0.8646496), {"a": 2.0, "b": 2.0}),
    # normal(0.5, 0.1) on [0, 1] (the window cuts 5.7e-7 of its mass): 0.5 -/+ 1.644854 * 0.1
    ("truncnormal", (0.3355146, 0.5, 0.6644854), {"mean": 0.5, "sd": 0.1}),
])
def test_each_kind_recovers_the_distribution_its_quantiles_came_from(kind, points, expected):
    fit = fit_kind(kind, points, 0.0, 1.0)
    assert fit.error < 1e-5
    for name, value in expected.items():
        assert getattr(fit.param, name) == pytest.approx(value, rel=1e-3, abs=1e-4)


def test_an_exact_fit_wins_and_ties_go_to_the_first_kind():
    # Uniform(0.2, 0.6)'s quantiles (0.22, 0.4, 0.58) are also those of a symmetric triangular
    # (mode 0.4, half-width h with 0.4 - h + h sqrt(0.1) = 0.22, h = 0.26325), inside [0, 1]:
    # two exact fits; the tie goes to triangular, listed first.
    best, tried = fit_best((0.22, 0.4, 0.58), 0.0, 1.0)
    assert best.kind == "triangular" and [f.kind for f in tried] == list(KINDS)
    assert {f.kind for f in tried if f.error < 1e-6} >= {"triangular", "uniform"}
    assert fit_best((0.22, 0.4, 0.58), 0.0, 1.0, kind="uniform")[0].kind == "uniform"


def test_a_fit_that_cannot_be_exact_says_how_far_off_it_is():
    # A triangular's 95% quantile can be at most (1 - sqrt(0.05)) / (1 - sqrt(0.5)) = 2.65 times
    # its median (mode at 0): quantiles (0.01, 0.03, 0.2) are beyond any triangular on [0, 1].
    fit = fit_kind("triangular", (0.01, 0.03, 0.2), 0.0, 1.0)
    assert fit.error > 0.01
    assert fit.error == pytest.approx(np.max(np.abs(fit.param.cdf(np.array([0.01, 0.03, 0.2])) - [0.05, 0.5, 0.95])))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 99), min_size=3, max_size=3, unique=True), st.sampled_from(KINDS),
       st.integers(0, 30), st.integers(70, 100))
def test_every_fit_stays_inside_its_bounds_and_reports_its_own_cdf(raw, kind, lo, hi):
    points = tuple(sorted(raw))
    low, high = min(lo, points[0]) / 100, max(hi, points[2]) / 100
    points = tuple(p / 100 for p in points)
    fit = fit_kind(kind, points, low, high)
    s_lo, s_hi = fit.param.support()
    assert low <= s_lo and s_hi <= high
    assert fit.cdf == pytest.approx(tuple(fit.param.cdf(np.array(points))))
    assert 0.0 <= fit.error <= 0.95


# ------------------------------------------------------------------ pooling

def test_a_pool_of_one_is_the_expert_and_of_several_a_mixture():
    u = Uniform(0.0, 1.0)
    assert el.pool([u, Triangular(0, 0.5, 1)], [1.0, 0.0]) is u
    m = el.pool([u, Uniform(1.0, 3.0)], [0.5, 0.5])
    assert isinstance(m, Mixture) and m.weights == (0.5, 0.5)
    # 0.5 U(0, 1) + 0.5 U(1, 3): median at 1 (half the mass below), 95% at 1 + 2 * 0.9 = 2.8
    assert m.from_uniform(np.array([0.5, 0.95])) == pytest.approx([1.0, 2.8], abs=1e-12)


def _table(tmp_path: Path, rows: str, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + rows)
    return path


def _toy(tmp_path):
    return load(tmp_path, two_party({"x": pref(0.2), "y": pref(0.5)}, {"x": pref(0.8), "y": pref(0.5)}))


@settings(max_examples=15, deadline=None)
@given(st.permutations(["A", "B", "C"]))
def test_permuting_experts_changes_no_pool(tmp_path_factory, order):
    tmp = tmp_path_factory.mktemp("perm")
    sc = _toy(tmp)
    rows = {"A": "A,actors.a.outside_option,0.1,0.2,0.4,,,,,,,,\n", "B": "B,actors.a.outside_option,,,,0.3,0.5,0.8,,,,,\n",
            "C": "C,actors.a.outside_option,0.05,0.3,0.6,,,,,,,,\n"}
    ref = el.elicit(read_table(_table(tmp, "".join(rows.values()), "ref.csv"), sc)).keys[0].param
    got = el.elicit(read_table(_table(tmp, "".join(rows[e] for e in order), "perm.csv"), sc)).keys[0].param
    x = np.linspace(0, 1, 41)
    assert got.cdf(x) == pytest.approx(ref.cdf(x), abs=1e-9)


def test_identical_experts_pool_to_each_of_them(tmp_path):
    sc = _toy(tmp_path)
    rows = "".join(f"{e},actors.a.outside_option,0.1,0.2,0.4,,,,,,,,\n" for e in "ABC")
    key = el.elicit(read_table(_table(tmp_path, rows), sc)).keys[0]
    x = np.linspace(0, 1, 41)
    assert key.param.cdf(x) == pytest.approx(key.fits[0].fit.param.cdf(x), abs=1e-9)


# ------------------------------------------------------------------ bad tables: one line, file, row, column

BAD = [
    ("A,actors.a.outside_option,0.1,,0.4,,,,,,,,\n", "row 2, column q50: missing"),
    ("A,actors.a.outside_option,0.3,0.2,0.4,,,,,,,,\n", "row 2, column q50: 0.2 is not above q05 = 0.3"),
    ("A,actors.a.outside_option,,,,0.5,0.2,0.8,,,,,\n", "row 2, column mode: 0.2 is outside [min, max]"),
    ("A,actors.a.outside_option,0.1,0.2,1.2,,,,,,,,\n",
     "row 2, column q95: 1.2 is outside the allowed range of actors.a.outside_option: [0, 1]"),
    ("A,actors.a.outside_opton,0.1,0.2,0.4,,,,,,,,\n",
     "row 2, column key: unknown key 'actors.a.outside_opton'; did you mean 'actors.a.outside_option'?"),
    ("A,actors.a.clauses.x.idea,0.1,0.2,0.4,,,,,,,,\n", "did you mean 'actors.a.clauses.x.ideal'?"),
    ("A,agenda.caps.x,0.1,0.2,0.4,,,,,,,,\n", "row 2, column key: 'agenda.caps.x' is a cap"),
    ("A,actors.a.outside_option,0.1,0.2,0.4,,,,,,,,\nA,actors.a.outside_option,0.1,0.3,0.5,,,,,,,,\n",
     "row 3, column expert: expert 'A' already gave actors.a.outside_option on row 2"),
    ("A,actors.a.outside_option,0.1,0.2,0.4,,,,,,,,\nA,seed.s1,1,2,3,,,,,,,,\n",
     "row 3, column realisation: missing: a seed question needs its known true value"),
    ("A,actors.a.outside_option,0.1,zero,0.4,,,,,,,,\n", "row 2, column q50: 'zero' is not a number"),
    ("A,actors.a.outside_option,0.1,0.2,0.4,0.1,0.2,0.4,,,,,\n", "row 2, column min: a row gives q05, q50, q95 or min"),
    ("A,actors.a.outside_option,,,,,,,,,,,\n", "row 2, column q05: missing"),
    ("A,actors.a.outside_option,0.1,0.2,0.4,,,,0.15,,,,\n", "row 2, column lower: 0.15 is above q05 = 0.1"),
    ("A,actors.a.outside_option,0.1,0.2,0.4,,,,,,7,,\n", "row 2, column realisation: only seed questions"),
    ("A,actors.a.outside_option,0.1,0.2,0.4,,,,,,,,\nA,seed.s1,,,,1,2,3,,,5,,\n", "row 3, column min: a seed question takes q05"),
    ("A,actors.a.outside_option,0.1,0.2,0.4,,,,,,,,\nB,actors.a.outside_option,0.1,0.2,0.4,,,,,,,,\n"
     "A,seed.s1,1,2,3,,,,,,2.5,,\n", "row 4, column key: seed question seed.s1: expert 'B' has no row for it"),
    ("A,actors.a.outside_option,0.1,0.2,0.4,,,,,,,,\nB,actors.a.outside_option,0.1,0.2,0.4,,,,,,,,\n"
     "A,seed.s1,1,2,3,,,,,,2.5,,\nB,seed.s1,1,2,3,,,,,,2.7,,\n", "row 5, column realisation: 2.7 differs from 2.5 on row 4"),
    ("A,seed.s1,1,2,3,,,,,,2.5,,\n", "no row for a scenario quantity"),
    ("A,actors.a.outside_option,0.1,0.2,0.4,,,,,,,,,extra\n", "row 2: 14 cells but the header names 13 columns"),
]


@pytest.mark.parametrize("rows, message", BAD, ids=[m[:40] for _, m in BAD])
def test_each_bad_table_class_is_one_line_naming_file_row_and_column(tmp_path, capsys, rows, message):
    sc_path = tmp_path / "toy.toml"
    _toy(tmp_path)
    table = _table(tmp_path, rows)
    code = main(["elicit", str(table), "--scenario", str(sc_path), "--out", str(tmp_path / "overlay.toml")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "Traceback" not in err[0]
    assert err[0].startswith(f"negsim: error: {table}: ") and message in err[0]
    assert not (tmp_path / "overlay.toml").exists() and not (tmp_path / "sources.toml").exists()  # nothing written


@pytest.mark.parametrize("text, message", [
    ("expert,key,q05,q50,q95,realization\n", "row 1, column 'realization': unknown column 'realization'; did you mean "
                                              "'realisation'?"),
    ("key,q05,q50,q95\n", "row 1, column expert: missing from the header"),
    ("expert,key,q05,q05\n", "row 1, column q05: named twice"),
    ("# only a comment\n", "no header row"),
])
def test_a_bad_header_is_named(tmp_path, text, message):
    sc = _toy(tmp_path)
    (tmp_path / "h.csv").write_text(text)
    with pytest.raises(TableError, match=message.replace("(", r"\(").replace("?", r"\?")):
        read_table(tmp_path / "h.csv", sc)


def test_an_unreadable_table_is_named(tmp_path):
    sc = _toy(tmp_path)
    with pytest.raises(TableError, match="missing.csv: file not found"):
        read_table(tmp_path / "missing.csv", sc)
    (tmp_path / "latin1.csv").write_bytes(HEADER.encode() + "A,actors.a.outside_option,0.1,0.2,0.4,,,,,,,,caf\xe9\n".encode("latin-1"))
    with pytest.raises(TableError, match="not UTF-8"):
        read_table(tmp_path / "latin1.csv", sc)


# ------------------------------------------------------------------ the command, end to end

def test_elicit_writes_an_overlay_that_validates_with_elicitation_numbers(tmp_path, capsys):
    out = tmp_path / "elicited" / "overlay.toml"
    assert main(["elicit", str(FIXTURE), "--scenario", str(SCENARIO), "--out", str(out), "--date", "2026-12-10"]) == 0
    text = capsys.readouterr().out
    assert "Cooke's classical model" in text and "decision maker" in text and "pooled: mixture of 2" in text
    assert main(["validate", str(out), "--provenance"]) == 0
    # the overlay replaces two of the scenario's judgements with elicitations, and nothing else
    shipped = load_scenario(SCENARIO).provenance_counts()
    assert shipped["elicitation"] == 0
    assert (f"of its {sum(shipped.values())} numbers: record {shipped['record']}, literature {shipped['literature']}, "
            f"elicitation 2, judgement {shipped['judgement'] - 2}") in capsys.readouterr().out
    sc = load_scenario(out)
    russia = sc.actors[sc.actor_ids.index("russia")]
    assert russia.outside_option.kind == "mixture" and russia.deadline_days.kind == "mixture"
    assert dict(sc.provenance)["actors.russia.outside_option"] == "elicitation"
    assert "[sources.elicitation-invented]" in (out.parent / "sources.toml").read_text()
    # the weights are Cooke's: expert B (overconfident on every seed) gets none
    assert "B (row 7, weight 0.000)" in text


def test_equal_pool_and_a_named_kind(tmp_path, capsys):
    out = tmp_path / "overlay.toml"
    assert main(["elicit", str(FIXTURE), "--scenario", str(SCENARIO), "--out", str(out), "--pool", "equal",
                 "--kind", "uniform"]) == 0
    sc = load_scenario(out)
    oo = sc.actors[sc.actor_ids.index("russia")].outside_option
    assert oo.kind == "mixture" and oo.weights == pytest.approx((1 / 3,) * 3) and {c.kind for c in oo.components} == {"uniform"}


def test_rerunning_replaces_its_own_files_and_refuses_foreign_ones(tmp_path, capsys):
    out = tmp_path / "overlay.toml"
    args = ["elicit", str(FIXTURE), "--scenario", str(SCENARIO), "--out", str(out)]
    assert main(args) == 0 and main(args) == 0
    assert (tmp_path / "sources.toml").read_text().count("[sources.elicitation-invented]") == 1
    out.write_text("# my own scenario\n")
    assert main(args) == 2
    assert "exists and was not written by negsim elicit" in capsys.readouterr().err
    assert main(args + ["--force"]) == 0


def test_an_overlay_must_be_able_to_extend_its_scenario(tmp_path, capsys):
    _toy(tmp_path)
    (tmp_path / "other").mkdir()
    table = _table(tmp_path, "A,actors.a.outside_option,0.1,0.2,0.4,,,,,,,,\n")
    code = main(["elicit", str(table), "--scenario", str(tmp_path / "toy.toml"), "--out", str(tmp_path / "other" / "o.toml")])
    assert code == 2 and "a scenario may extend only files in its own folder" in capsys.readouterr().err
    assert main(["elicit", str(table), "--scenario", str(tmp_path / "toy.toml"), "--out", str(ROOT / "scenarios" / "x.toml")]) == 2
    assert "outside the shipped scenarios/ folder" in capsys.readouterr().err
    assert main(["elicit", str(table), "--scenario", str(tmp_path / "toy.toml"), "--out", str(tmp_path / "o.toml")]) == 0
    assert load_scenario(tmp_path / "o.toml").actors[0].outside_option.kind in KINDS


def test_the_template_names_every_column_and_its_examples_read(tmp_path):
    from analysis.elicitation_table import COLUMNS

    text = (ROOT / "scenarios" / "elicitation" / "template.csv").read_text()
    header = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert header == [",".join(COLUMNS)]  # nothing but comments and the header: no judgement ships
    explained = text.split("# Example rows")[0]
    for col in COLUMNS:  # each column's meaning is written in the comments
        assert re.search(rf"#   [a-z0-9,]*\b{col}\b", explained), col
    examples = [ln[2:] for ln in text.splitlines() if ln.startswith("# E1,")]
    filled = tmp_path / "filled.csv"
    filled.write_text(text + "\n".join(examples) + "\n")
    table = read_table(filled, load_scenario(SCENARIO))
    assert (len(table.targets), len(table.seeds)) == (2, 2)
    with pytest.raises(TableError, match="no row for a scenario quantity"):  # the empty template says what is missing
        read_table(ROOT / "scenarios" / "elicitation" / "template.csv", load_scenario(SCENARIO))


def test_an_overlay_the_loader_refuses_is_not_written(tmp_path, capsys):
    # a's ideal on x is 0.2; a red line 'never above' about 0.1 would exclude it: the loader refuses
    _toy(tmp_path)
    own = ('# the user\'s own catalogue\n[sources.mine]\ntitle = "t"\ndate = "2026"\nwhere = "w"\nkind = "judgement"\n'
           'summary = "s"\n')
    (tmp_path / "sources.toml").write_text(own)
    table = _table(tmp_path, "A,actors.a.clauses.x.red_line.above,0.05,0.1,0.15,,,,,,,,\n")
    code = main(["elicit", str(table), "--scenario", str(tmp_path / "toy.toml"), "--out", str(tmp_path / "o.toml")])
    err = capsys.readouterr().err
    assert code == 2 and "the overlay would not load, so nothing was written" in err and "o.toml" in err
    assert "negsim-check" not in err and not (tmp_path / "o.toml").exists()
    assert (tmp_path / "sources.toml").read_text() == own  # restored as it was
