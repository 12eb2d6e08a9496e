"""Batch path: identical results for any worker count and chunk size; results files that say
how to reproduce them and refuse to be misread."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from storage.resultsfile import ResultsFileError, read_metadata, read_runs
from negsim.cli import main
from experiments.runner import batches
from sim.scenario import load_scenario
from tests.test_cli import SCEN

FIELDS = ("run", "outcome", "rounds", "walkout_by", "walkout_rule", "shortfall", "agreed", "utility")


def _collect(batches):
    bs = list(batches)
    return {f: np.concatenate([getattr(b, f) for b in bs]) for f in FIELDS}


def test_identical_for_one_or_two_workers_and_any_chunk_size():
    sc = load_scenario(SCEN / "accession_excluded.toml")
    ref = _collect(batches(sc, 1500, 77, chunk=1500, workers=1))
    for chunk, workers in ((300, 2), (701, 2), (256, 1)):
        got = _collect(batches(sc, 1500, 77, chunk=chunk, workers=workers, min_parallel_runs=0))
        for f in FIELDS:
            assert np.array_equal(ref[f], got[f], equal_nan=True), (f, chunk, workers)


def test_mesa_engine_gives_the_batch_engines_table(tmp_path):
    for engine in ("batch", "mesa"):
        assert main(["run", str(SCEN / "ukraine_veto.toml"), "-n", "12", "--seed", "5", "--engine", engine,
                     "--out", str(tmp_path / engine), "--quiet"]) == 0
    a, _ = read_runs(tmp_path / "batch" / "runs.parquet")
    b, meta = read_runs(tmp_path / "mesa" / "runs.parquet")
    assert meta["engine"] == "mesa"
    pd.testing.assert_frame_equal(a, b)


def test_results_file_carries_what_reproduces_it(tmp_path):
    assert main(["run", str(SCEN / "accession_excluded.toml"), "-n", "3000", "--seed", "8", "--workers", "2",
                 "--chunk-size", "1000", "--csv", "--out", str(tmp_path), "--quiet"]) == 0
    meta = read_metadata(tmp_path / "runs.parquet")
    assert meta["root_seed"] == 8 and meta["n_runs"] == 3000 and meta["scenario"] == "accession_excluded"
    assert len(meta["scenario_sha256"]) == 64
    assert meta["scenario_resolved"]["agenda"]["off"] == ["us.4a", "nato.6"]
    assert pq.ParquetFile(tmp_path / "runs.parquet").num_row_groups == 3  # streamed chunk by chunk
    runs, _ = read_runs(tmp_path / "runs.parquet")
    csv = pd.read_csv(tmp_path / "runs.csv")
    assert len(csv) == 3000 and (csv["rounds"].to_numpy() == runs["rounds"].to_numpy()).all()
    assert not list(tmp_path.glob("*.partial"))


def test_truncated_foreign_and_missing_files_are_refused(tmp_path):
    main(["run", str(SCEN / "accession_excluded.toml"), "-n", "200", "--out", str(tmp_path), "--quiet"])
    good = (tmp_path / "runs.parquet").read_bytes()
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(good[: len(good) // 2])
    with pytest.raises(ResultsFileError, match="cut.parquet: not a readable Parquet file"):
        read_runs(cut)
    foreign = tmp_path / "foreign.parquet"
    pq.write_table(pa.table({"x": [1, 2]}), foreign)
    with pytest.raises(ResultsFileError, match="not a negsim results file"):
        read_runs(foreign)
    with pytest.raises(ResultsFileError, match="file not found"):
        read_runs(tmp_path / "nope.parquet")


def test_trace_records_every_round_played(tmp_path):
    from storage.resultsfile import read_trace

    main(["run", str(SCEN / "accession_excluded.toml"), "-n", "500", "--trace", "--out", str(tmp_path), "--quiet"])
    runs, _ = read_runs(tmp_path / "runs.parquet")
    trace, meta = read_trace(tmp_path / "trace.parquet")
    assert meta["format"] == "negsim-trace/1"
    per_run = trace.groupby("run")["round"].max()
    assert (per_run.to_numpy() == runs["rounds"].to_numpy()).all()
    russia = trace[trace["actor"] == "russia"]
    # Russia proposes first, from its best package on the agenda (16 clauses at 1, two held at 0),
    # less what it concedes over the first week (its curve's mean over days 0-7: with beta at most
    # 1 and a deadline of at least 42 days, at most (7 / 42) / 2 of its way, about 8%)
    first = russia.loc[russia["round"] == 1, "position"]
    assert (first <= 1.0).all() and (first >= 0.9).all() and first.median() > 0.99
    assert trace.loc[trace["actor"] == "ukraine", "aspiration"].isna().all()  # not at the table
    # with a constant outside option an aspiration never rises (time-dependent NATO, responsive
    # US); Russia's may, once it sits on its growing outside option
    diffs = trace[trace["actor"].isin(["nato", "us"])].sort_values(["run", "actor", "round"]).groupby(
        ["run", "actor"])["aspiration"].diff().dropna()
    assert (diffs <= 1e-12).all()
