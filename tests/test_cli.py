"""The command line: answers, files written, and one-line errors with nothing half written."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from negsim.cli import main
from tests.factory import pref, two_party, write

ROOT = Path(__file__).resolve().parent.parent
SCEN = ROOT / "scenarios"


def test_validate_ok(capsys):
    assert main(["validate", str(SCEN / "accession_excluded.toml")]) == 0
    out = capsys.readouterr().out
    assert "OK" in out and "16 on the table" in out and "3 at the table: russia, us, nato" in out


def test_validate_bad_file_is_one_line_naming_file_and_key(tmp_path):
    doc = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",))
    doc["actors"]["a"]["patiense"] = 0.9
    bad = write(tmp_path, doc, "typo.toml")
    res = subprocess.run([sys.executable, "-m", "negsim", "validate", str(bad)], capture_output=True, text=True)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr
    assert "typo.toml" in lines[0] and "actors.a.patiense" in lines[0] and "did you mean 'patience'" in lines[0]


def test_run_writes_table_and_figure(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(SCEN / "accession_excluded.toml"), "-n", "300", "--seed", "4", "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "P(agreement)" in text and "P(walkout by russia)" in text and "median rounds" in text
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 300 and runs["run"].tolist() == list(range(300))
    assert set(runs["outcome"].astype(str)) <= {"agreement", "walkout", "ongoing"}
    assert (runs.loc[runs["outcome"] == "agreement", ["value.us.4a", "value.nato.6"]] == 0).all().all()
    assert (out / "outcomes.png").stat().st_size > 10_000


def test_run_is_reproducible_from_the_seed(tmp_path):
    for d in ("a", "b"):
        main(["run", str(SCEN / "full_agenda.toml"), "-n", "200", "--seed", "9", "--out", str(tmp_path / d), "--quiet"])
    a, b = (pd.read_parquet(tmp_path / d / "runs.parquet") for d in ("a", "b"))
    pd.testing.assert_frame_equal(a, b)


def test_compare_prints_the_answer(tmp_path, capsys):
    args = ["compare", str(SCEN / "full_agenda.toml"), str(SCEN / "accession_excluded.toml"),
            "-n", "400", "--out", str(tmp_path / "cmp"), "--quiet"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "difference (B - A)" in text and text.count("pp [") >= 5 and "Answer (by day 364, the horizon):" in text
    for day in (69, 182, 364):  # every horizon-based share names its day
        assert f"P(agreement by day {day})" in text and f"P(walkout by day {day})" in text
    assert "(a description, not a cause)" in text
    assert "Under what conditions, in accession_excluded (PRIM" in text and "russia's outside option" in text
    assert {p.name for p in (tmp_path / "cmp").iterdir()} == {
        "runs_full_agenda.parquet", "runs_accession_excluded.parquet", "compare.png", "manifest.json"}


def test_bad_scenario_leaves_no_output_folder(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("this is = = not toml")
    out = tmp_path / "out"
    assert main(["run", str(bad), "--out", str(out)]) == 2
    assert "bad.toml: not valid TOML" in capsys.readouterr().err
    assert not out.exists()


def test_failure_while_writing_leaves_nothing_half_written(tmp_path, monkeypatch, capsys):
    from analysis import plots

    def broken(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(plots, "save", broken)
    out = tmp_path / "out"
    assert main(["run", str(SCEN / "accession_excluded.toml"), "-n", "50", "--out", str(out), "--quiet"]) == 2
    assert "disk full" in capsys.readouterr().err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no staging folder left behind either


@pytest.mark.parametrize("argv,needle", [
    (["run", "nope.toml"], "nope.toml: file not found"),
    (["run", str(SCEN / "base.toml"), "-n", "0"], "-n/--runs must be at least 1"),
    (["compare", str(SCEN / "base.toml"), str(SCEN / "base.toml"), "-n", "5"], "compare needs scenarios with different names"),
])
def test_usage_errors(argv, needle, capsys):
    assert main(argv) == 2
    assert needle in capsys.readouterr().err


def test_discover_names_the_inputs_where_deals_concentrate(tmp_path, capsys):
    assert main(["run", str(SCEN / "accession_excluded.toml"), "-n", "3000", "--out", str(tmp_path), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["discover", str(tmp_path / "runs.parquet"), "--outcome", "agreement", "--by-day", "182"]) == 0
    text = capsys.readouterr().out
    # Russia's outside option drives the answer (Sobol ST 0.88): a deal concentrates where it is low
    assert "agreement by day 182" in text and "russia's outside option" in text and "is under" in text
    assert (tmp_path / "box_agreement_by_day_182.csv").exists()


def test_compare_takes_three_scenarios_each_against_the_first(tmp_path, capsys):
    args = ["compare", str(SCEN / "full_agenda.toml"), str(SCEN / "accession_excluded.toml"),
            str(SCEN / "accession_moratorium.toml"), "-n", "300", "--out", str(tmp_path / "c3"), "--quiet"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert text.count("difference (B - A)") == 2 and text.count("Answer (by day 364") == 2
    assert "with accession_moratorium" in text and "against" in text
    assert {p.name for p in (tmp_path / "c3").glob("runs_*.parquet")} == {
        "runs_full_agenda.parquet", "runs_accession_excluded.parquet", "runs_accession_moratorium.parquet"}
    assert main(["compare", str(SCEN / "full_agenda.toml")]) == 2  # one scenario is refused


def test_small_cli_messages_say_what_they_mean(tmp_path, capsys):
    from analysis.stats import share_words
    from experiments.chunks import MIN_PARALLEL_RUNS
    from negsim.cli import build_parser

    sub = next(a for a in build_parser("run")._actions if a.dest == "command")
    help_text = " ".join(sub.choices["run"].format_help().split())
    assert f"batches under {MIN_PARALLEL_RUNS:,} runs use one process" in help_text  # the threshold the code uses
    assert share_words(0.001) == "<1%" and share_words(0.999) == ">99%" and share_words(0.8) == "80%"
    assert main(["run", str(SCEN / "acession_excluded.toml")]) == 2
    assert "did you mean 'accession_excluded.toml'" in capsys.readouterr().err


def test_every_command_runs_its_own_module_and_names_its_folder_there():
    """The grammar (negsim/grammar.py) names each command's function and default folder as
    'module:function', imported only when the command runs: every name must exist."""
    from negsim.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name, parser in sub.choices.items():
        for key, function in (("func", f"cmd_{name}"), ("default_out", "default_out")):
            ref = parser.get_default(key)
            if ref is not None or key == "func":
                target = ref.resolve()
                assert (target.__module__, target.__name__) == (f"negsim.{name}", function), (name, key)


def test_compare_asks_the_study_question_only_when_accession_leaves_the_table(tmp_path, capsys):
    assert main(["compare", str(SCEN / "full_agenda.toml"), str(SCEN / "accession_moratorium.toml"), "-n", "50",
                 "--out", str(tmp_path / "m"), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("How do accession_moratorium differ from full_agenda?")


def test_a_median_interval_of_one_value_is_explained(capsys):
    from analysis.stats import Estimate
    from negsim.batch_run import median_note as _median_note

    _median_note([Estimate(9.0, 8.0, 10.0)])
    assert capsys.readouterr().out == ""
    _median_note([Estimate(9.0, 8.0, 10.0), Estimate(11.0, 11.0, 11.0)])
    assert "not certainty" in capsys.readouterr().out
