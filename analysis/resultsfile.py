"""Per-run results on disk: Parquet written chunk by chunk, with what it takes to reproduce it.

The file's schema metadata holds the scenario (its name, the SHA-256 of its files and the merged
document), the root seed, the number of runs and the package version.  The file is written as
`NAME.partial` and renamed only when complete, so a file with the final name is never
half-written; a truncated or foreign file is refused with a clear message on reading.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

import sim
from sim.engine import Batch
from sim.results import batch_columns
from sim.scenario import Scenario

FORMAT = "negsim-runs/1"
TRACE_FORMAT = "negsim-trace/1"
META_KEY = b"negsim"


class ResultsFileError(ValueError):
    """A results file that cannot be used; the message names the file and what is wrong."""


def run_metadata(sc: Scenario, root_seed: int, n_runs: int, engine: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "scenario": sc.name,
        "scenario_path": sc.path,
        "scenario_sha256": sc.sha256,
        "scenario_resolved": sc.resolved_document,
        "root_seed": root_seed,
        "n_runs": n_runs,
        "engine": engine,
        "negsim_version": sim.__version__,
        "numpy_version": np.__version__,
        "reproduce": f"negsim run {sc.path} -n {n_runs} --seed {root_seed} --engine {engine}",
    }


def trace_columns(b: Batch) -> dict[str, np.ndarray]:
    """A batch's per-round trace in long form: one row per run, round played and actor."""
    n, h, a = b.trace["aspiration"].shape
    played = np.arange(h)[None, :] < b.rounds[:, None]  # (n, H)
    r_i, t_i = np.nonzero(played)
    cols = {"run": np.repeat(b.run[r_i], a), "round": np.repeat(t_i + 1, a).astype(np.int32),
            "actor": np.tile(np.array(b.layout.actors, dtype=object), len(r_i))}
    for k, v in b.trace.items():
        cols[k] = v[r_i, t_i].ravel()
    return cols


class _StreamedTable:
    """One Parquet (and optionally CSV) file written chunk by chunk under a .partial name."""

    def __init__(self, path: Path, meta: dict[str, Any], csv: bool):
        self.path, self.meta, self.csv = path, meta, csv
        self.partial = path.with_name(path.name + ".partial")
        self.csv_path = path.with_suffix(".csv")
        self.csv_partial = Path(str(self.csv_path) + ".partial")
        self._pq = self._csv = None

    def write(self, cols: dict[str, np.ndarray]) -> None:
        table = pa.table(cols)
        if self._pq is None:
            schema = table.schema.with_metadata({META_KEY: json.dumps(self.meta).encode()})
            self._pq = pq.ParquetWriter(self.partial, schema)
            if self.csv:
                self._csv = pacsv.CSVWriter(str(self.csv_partial), table.schema)
        self._pq.write_table(table.replace_schema_metadata(self._pq.schema.metadata))
        if self._csv is not None:
            self._csv.write_table(table)

    def close(self, keep: bool) -> None:
        for w in (self._pq, self._csv):
            if w is not None:
                w.close()
        if keep and self._pq is not None:
            os.replace(self.partial, self.path)
            if self.csv:
                os.replace(self.csv_partial, self.csv_path)
        else:
            self.partial.unlink(missing_ok=True)
            self.csv_partial.unlink(missing_ok=True)


class RunsWriter:
    """Context manager: `write(batch)` appends row groups to the per-run table (and to the
    per-round trace if the batches carry one); files appear only when every run is written."""

    def __init__(self, path: Path, meta: dict[str, Any], csv: bool = False):
        path = Path(path)
        self.meta = meta
        self.runs = _StreamedTable(path, meta, csv)
        self.trace = _StreamedTable(path.with_name(path.stem.replace("runs", "trace", 1) + path.suffix),
                                    {**meta, "format": TRACE_FORMAT}, csv)
        self.rows = 0

    def __enter__(self) -> "RunsWriter":
        return self

    def write(self, batch: Batch) -> None:
        self.runs.write(batch_columns(batch, self.meta["scenario"]))
        if batch.trace is not None:
            self.trace.write(trace_columns(batch))
        self.rows += len(batch)

    def __exit__(self, exc_type, exc, tb) -> None:
        keep = exc_type is None and self.rows == self.meta["n_runs"]
        self.runs.close(keep)
        self.trace.close(keep)


def read_metadata(path: str | Path, fmt: str = FORMAT) -> dict[str, Any]:
    path = Path(path)
    if not path.exists():
        raise ResultsFileError(f"{path}: file not found")
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ResultsFileError(f"{path}: not a readable Parquet file (truncated or not a results file: {exc})") from None
    raw = (schema.metadata or {}).get(META_KEY)
    if raw is None:
        raise ResultsFileError(f"{path}: a Parquet file, but not a negsim results file (no '{META_KEY.decode()}' metadata)")
    meta = json.loads(raw)
    if meta.get("format") != fmt:
        raise ResultsFileError(f"{path}: file format {meta.get('format')!r}, expected {fmt!r}")
    return meta


def read_runs(path: str | Path, columns: list[str] | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The per-run table and its metadata; refuses truncated and foreign files."""
    meta = read_metadata(path)
    try:
        table = pq.read_table(path, columns=columns)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ResultsFileError(f"{path}: unreadable ({exc})") from None
    if table.num_rows != meta["n_runs"]:
        raise ResultsFileError(f"{path}: holds {table.num_rows} runs but its metadata says {meta['n_runs']}: truncated?")
    return table.to_pandas(), meta


def read_trace(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The per-round trace table (run, round, actor, aspiration, position, best_offer)."""
    meta = read_metadata(path, TRACE_FORMAT)
    try:
        return pq.read_table(path).to_pandas(), meta
    except (pa.ArrowInvalid, OSError) as exc:
        raise ResultsFileError(f"{path}: unreadable ({exc})") from None
