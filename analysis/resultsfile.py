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


class RunsWriter:
    """Context manager: `write(batch)` appends row groups; the file appears only on success."""

    def __init__(self, path: Path, meta: dict[str, Any], csv: bool = False):
        self.path, self.meta, self.csv = Path(path), meta, csv
        self.partial = self.path.with_name(self.path.name + ".partial")
        self.csv_path = self.path.with_suffix(".csv")
        self._writer = self._csv = None
        self.rows = 0

    def __enter__(self) -> "RunsWriter":
        return self

    def write(self, batch: Batch) -> None:
        table = pa.table(batch_columns(batch, self.meta["scenario"]))
        if self._writer is None:
            schema = table.schema.with_metadata({META_KEY: json.dumps(self.meta).encode()})
            self._writer = pq.ParquetWriter(self.partial, schema)
            if self.csv:
                self._csv = pacsv.CSVWriter(str(self.csv_path) + ".partial", table.schema)
        self._writer.write_table(table.replace_schema_metadata(self._writer.schema.metadata))
        if self._csv is not None:
            self._csv.write_table(table)
        self.rows += len(batch)

    def __exit__(self, exc_type, exc, tb) -> None:
        for w in (self._writer, self._csv):
            if w is not None:
                w.close()
        csv_partial = Path(str(self.csv_path) + ".partial")
        if exc_type is None and self.rows == self.meta["n_runs"]:
            os.replace(self.partial, self.path)
            if self.csv:
                os.replace(csv_partial, self.csv_path)
        else:
            for f in (self.partial, csv_partial):
                f.unlink(missing_ok=True)


def read_metadata(path: str | Path) -> dict[str, Any]:
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
    if meta.get("format") != FORMAT:
        raise ResultsFileError(f"{path}: results format {meta.get('format')!r}; this version reads {FORMAT!r}")
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
