"""The Python API (negsim.api) and the machine-readable summaries (run/compare --json)."""

import importlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

import negsim
from negsim.cli import main

SCEN = Path(__file__).resolve().parent.parent / "scenarios"


def test_api_names_stay_functions_after_the_command_modules_load():
    for command in ("robust", "explain", "sweep"):  # the command modules of the API's names
        importlib.import_module(f"negsim.{command}")
    for name in ("run", "compare", "sweep", "robust", "explain"):
        assert callable(getattr(negsim, name)) and getattr(negsim, name).__module__ == "negsim.api"


def test_run_returns_the_run_table_the_command_writes(tmp_path, capsys):
    runs = negsim.run(SCEN / "accession_excluded.toml", runs=60, seed=3)
    assert main(["run", str(SCEN / "accession_excluded.toml"), "-n", "60", "--seed", "3", "--out", str(tmp_path / "r"),
                 "--quiet", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    written = pd.read_parquet(tmp_path / "r" / "runs.parquet")
    assert runs["outcome"].astype(str).tolist() == written["outcome"].astype(str).tolist()
    assert doc["command"] == "run" and doc["runs"] == 60 and doc["seed"] == 3 and doc["horizon_day"] == 364
    assert doc["shares"]["agreement"]["value"] == (runs["outcome"] == "agreement").mean()
    assert set(doc["shares"]) >= {"agreement", "talks persist", "walkout", "walkout by russia", "ongoing"}
    assert "runs.parquet" in doc["files"] and doc["median_rounds"]["low"] <= doc["median_rounds"]["value"]


def test_compare_json_holds_the_paired_differences_and_the_answer(tmp_path, capsys):
    args = [str(SCEN / "full_agenda.toml"), str(SCEN / "accession_excluded.toml"), "-n", "80", "--seed", "5"]
    assert main(["compare", *args, "--out", str(tmp_path / "c"), "--quiet", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    table = negsim.compare(args[:2], runs=80, seed=5)
    assert doc["scenarios"] == ["full_agenda", "accession_excluded"] and len(doc["differences"]) == len(table)
    first = doc["differences"][0]
    assert first["paired"] is True and first["unpaired_because"] == "" and "paired data" in first["method"]
    assert first["difference"] == table.iloc[0]["difference"]
    [ans] = doc["answers"]
    assert ans["text"].startswith("Answer (by day 364, the horizon)") and "By construction" in ans["why"]


def test_sweep_robust_and_explain_return_tables(tmp_path):
    s = negsim.sweep(SCEN / "accession_excluded.toml", ["actors.russia.outside_option=0.1:0.5"], sampler="grid",
                     points=2, runs=20, seed=1)
    assert len(s) == 2 and {"actors.russia.outside_option", "p_persist", "p_persist_low"} <= set(s.columns)
    v = tmp_path / "v.toml"
    v.write_text('[variants.shipped]\nset = {}\nreason = "as shipped"\nsource = "judgement [negsim-calibration]: t"\n')
    r = negsim.robust(SCEN / "full_agenda.toml", SCEN / "accession_excluded.toml", variants=v, runs=30, seed=1)
    assert set(r["variant"]) == {"shipped"} and r["paired"].all() and len(r) == 9
    e = negsim.explain(SCEN / "full_agenda.toml", SCEN / "accession_excluded.toml", runs=30, seed=1)
    assert set(e["player"]) == {"agenda.off"} and np.allclose(e["shapley"], e["alone"])
