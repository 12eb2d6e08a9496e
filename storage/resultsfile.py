"""Per-run results on disk: Parquet written chunk by chunk, with what it takes to reproduce it.

The file's schema metadata holds the scenario (its name, the SHA-256 of its files and the merged
document), the root seed, the number of runs and the package version.  The file is written
under a temporary name (storage.atomic) and renamed only when complete, so a file with the final
name is never half-written.  Every data page carries a CRC-32 (Parquet page checksums), verified
on reading, and a file whose folder has a manifest must match the SHA-256 listed there.  On
reading, a file is refused with one line naming it and what is wrong: truncated, foreign, a
flipped bit, metadata that is not a JSON object or lacks a required key, a missing column, an
unknown outcome label, zero rows or duplicated run ids.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

import sim
from sim.engine import Batch
from sim.scenario import Scenario
from storage.atomic import atomic_path
from storage.manifest import OutputError, read_manifest, verify_listed
from storage.runtable import OUTCOMES, batch_columns
from storage.text import printable, term_line

FORMAT = "negsim-runs/1"
TRACE_FORMAT = "negsim-trace/1"
META_KEY = b"negsim"
META_SHA_KEY = b"negsim_sha256"  # SHA-256 of the negsim metadata (JSON bytes)
DATA_SHA_KEY = b"negsim_data_sha256"  # SHA-256 over every column's values (DataDigest), written at close
REQUIRED_META = {"format": str, "scenario": str, "scenario_resolved": dict, "n_runs": int, "root_seed": int}
RUNS_COLUMNS = ("run", "outcome", "rounds", "walkout_by", "walkout_rule", "shortfall")
TRACE_COLUMNS = ("run", "round", "actor")
WRITE_OPTIONS = {"write_page_checksum": True}


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


class DataDigest:
    """SHA-256 over a table's data, the same however it is chunked: per column, the values (fixed
    width: their bytes; strings: lengths and bytes) and the null mask, each as one stream."""

    def __init__(self):
        self.streams: dict[str, list] = {}

    def update(self, table: pa.Table) -> None:
        for name, col in zip(table.column_names, table.columns):
            hs = self.streams.setdefault(name, [hashlib.sha256() for _ in range(3)])
            for chunk in col.chunks:
                _feed(hs, chunk)

    def hexdigest(self) -> str:
        h = hashlib.sha256()
        for name in sorted(self.streams):
            h.update(name.encode() + b"\0" + b"".join(x.digest() for x in self.streams[name]))
        return h.hexdigest()


def _feed(hs: list, chunk: pa.Array) -> None:
    if pa.types.is_dictionary(chunk.type):
        chunk = chunk.dictionary_decode()
    hs[2].update(np.asarray(chunk.is_null().to_numpy(zero_copy_only=False), dtype=bool).tobytes())
    if chunk.null_count:
        chunk = pc.fill_null(chunk, "" if pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type) else 0)
    t = chunk.type
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t):
        wide = pa.types.is_large_string(t) or pa.types.is_large_binary(t)
        _, off_buf, data_buf = chunk.buffers()
        offs = np.frombuffer(off_buf, dtype=np.int64 if wide else np.int32)[chunk.offset:chunk.offset + len(chunk) + 1]
        hs[0].update(np.diff(offs).astype(np.int64).tobytes())
        if data_buf is not None and len(offs):
            hs[1].update(memoryview(data_buf)[int(offs[0]):int(offs[-1])])
    else:
        hs[0].update(np.ascontiguousarray(chunk.to_numpy(zero_copy_only=False)).tobytes())


class StreamedTable:
    """One Parquet (and optionally CSV) file written chunk by chunk under a temporary name."""

    def __init__(self, path: Path, meta: dict[str, Any], csv: bool):
        self.path, self.meta, self.csv = path, meta, csv
        self.csv_path = path.with_suffix(".csv")
        self._pq = self._csv = None
        self._files = ExitStack()
        self._tmps: list[Path] = []  # the files being written, under their temporary names
        self._digest = DataDigest()

    def write(self, cols: dict[str, np.ndarray]) -> None:
        try:
            self._write(pa.table(cols))
        except OSError as exc:  # e.g. a full disk: which file, and how far it got
            if exc.errno is not None and exc.filename is None:
                exc.filename = str(self.path)
            exc.written = sum(t.stat().st_size for t in self._tmps if t.exists())
            raise

    def _write(self, table: pa.Table) -> None:
        if self._pq is None:
            raw = json.dumps(self.meta).encode()
            schema = table.schema.with_metadata({META_KEY: raw, META_SHA_KEY: hashlib.sha256(raw).hexdigest().encode()})
            self._tmps.append(self._files.enter_context(atomic_path(self.path)))
            self._pq = pq.ParquetWriter(self._tmps[-1], schema, **WRITE_OPTIONS)
            if self.csv:
                self._tmps.append(self._files.enter_context(atomic_path(self.csv_path)))
                self._csv = pacsv.CSVWriter(str(self._tmps[-1]), table.schema)
        self._pq.write_table(table.replace_schema_metadata(self._pq.schema.metadata))
        self._digest.update(table)
        if self._csv is not None:
            self._csv.write_table(table)

    def close(self, keep: bool) -> None:
        if keep and self._pq is not None:
            self._pq.add_key_value_metadata({DATA_SHA_KEY: self._digest.hexdigest()})
        for w in (self._pq, self._csv):
            if w is not None:
                w.close()
        if keep:
            self._files.close()  # rename into place
        else:
            self._files.__exit__(RuntimeError, RuntimeError("not kept"), None)  # delete


class RunsWriter:
    """Context manager: `write(batch)` appends row groups to the per-run table (and to the
    per-round trace if the batches carry one); files appear only when every run is written."""

    def __init__(self, path: Path, meta: dict[str, Any], csv: bool = False):
        path = Path(path)
        self.meta = meta
        self.runs = StreamedTable(path, meta, csv)
        self.trace = StreamedTable(path.with_name(path.stem.replace("runs", "trace", 1) + path.suffix),
                                    {**meta, "format": TRACE_FORMAT}, csv)
        self.rows = 0

    def __enter__(self) -> "RunsWriter":
        return self

    def write(self, batch: Batch, extra: dict[str, Any] | None = None) -> None:
        """Append the batch's runs; `extra` adds columns for the same runs (another model
        family's answer, e.g.), the same columns in every batch."""
        try:
            self.runs.write({**batch_columns(batch, self.meta["scenario"]), **(extra or {})})
            if batch.trace is not None:
                self.trace.write(trace_columns(batch))
        except OSError as exc:  # a full disk: from the bytes per run so far, what the whole would need
            if self.rows and getattr(exc, "written", 0):
                exc.needed = int(exc.written / self.rows * self.meta["n_runs"])
            raise
        self.rows += len(batch)

    def __exit__(self, exc_type, exc, tb) -> None:
        keep = exc_type is None and self.rows == self.meta["n_runs"]
        self.runs.close(keep)
        self.trace.close(keep)


def _fail(path, what: str) -> ResultsFileError:
    return ResultsFileError(f"{term_line(path)}: {what}")


def read_metadata(path: str | Path, fmt: str = FORMAT) -> dict[str, Any]:
    """The file's negsim metadata, checked: a JSON object with the expected format and the keys
    a reader needs (scenario, scenario_resolved, n_runs >= 1, root_seed)."""
    path = Path(path)
    if not path.exists():
        raise _fail(path, "file not found")
    if not path.is_file():
        raise _fail(path, "not a file")
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        raise _fail(path, f"not a readable Parquet file (truncated or not a results file: {term_line(exc, 200)})") from None
    raw = (schema.metadata or {}).get(META_KEY)
    if raw is None:
        raise _fail(path, f"a Parquet file, but not a negsim results file (no '{META_KEY.decode()}' metadata)")
    sha = (schema.metadata or {}).get(META_SHA_KEY)
    if sha is not None and hashlib.sha256(raw).hexdigest().encode() != sha:
        raise _fail(path, "metadata 'negsim': its SHA-256 differs from the one written with it: damaged")
    try:
        meta = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise _fail(path, "metadata 'negsim': not valid JSON") from None
    if not isinstance(meta, dict):
        raise _fail(path, f"metadata 'negsim': a JSON {type(meta).__name__}, expected a JSON object")
    if meta.get("format") != fmt:
        raise _fail(path, f"file format {term_line(meta.get('format'), 80)!r}, expected {fmt!r}")
    if isinstance(meta.get("scenario"), str) and not printable(meta["scenario"]):
        raise _fail(path, f"metadata 'negsim': scenario: {term_line(meta['scenario'], 80)!r} holds control or format "
                    "characters; a scenario name is letters, digits, '.', '_' or '-'")
    for key, kind in REQUIRED_META.items():
        v = meta.get(key)
        if key not in meta:
            raise _fail(path, f"metadata 'negsim': {key}: missing (required)")
        if not isinstance(v, kind) or isinstance(v, bool):
            raise _fail(path, f"metadata 'negsim': {key}: expected a JSON {_JSON_NAMES[kind]}, got {type(v).__name__}")
    if meta["n_runs"] < 1:
        raise _fail(path, f"metadata 'negsim': n_runs: {meta['n_runs']}, expected at least 1")
    return meta


_JSON_NAMES = {str: "string", dict: "object", int: "integer"}


def _read(path: Path, columns: list[str] | None = None) -> pa.Table:
    try:
        verify_listed(path)  # a file in an output folder must be the one its manifest lists
    except OutputError as exc:
        raise ResultsFileError(str(exc)) from None
    try:
        table = pq.read_table(path, columns=columns, page_checksum_verification=True)
        want = (pq.read_metadata(path).metadata or {}).get(DATA_SHA_KEY)
    except (pa.ArrowException, OSError) as exc:
        raise _fail(path, f"unreadable: damaged data ({term_line(exc, 200)})") from None
    if want is not None and columns is None:
        d = DataDigest()
        d.update(table)
        if d.hexdigest().encode() != want:
            raise _fail(path, "data checksum (negsim_data_sha256) does not match the data: damaged")
    return table


def _check_columns(path: Path, table: pa.Table, required: tuple[str, ...], values: bool) -> None:
    names = table.column_names
    missing = [c for c in required if c not in names]
    if missing:
        raise _fail(path, f"column {missing[0]}: missing (required: {', '.join(required)}"
                    f"{', value.<clause>' if values else ''})")
    if values and not any(c.startswith("value.") for c in names):
        raise _fail(path, "columns value.<clause>: missing (required: one per clause)")
    if table.num_rows == 0:
        raise _fail(path, "no rows")


def _check_runs(path: Path, table: pa.Table, meta: dict[str, Any]) -> None:
    _check_columns(path, table, RUNS_COLUMNS, values=True)
    if table.num_rows != meta["n_runs"]:
        raise _fail(path, f"holds {table.num_rows} runs but its metadata says {meta['n_runs']}: truncated?")
    outcome = table["outcome"]
    if not pa.types.is_string(outcome.type) and not pa.types.is_large_string(outcome.type) \
            and not pa.types.is_dictionary(outcome.type):
        raise _fail(path, f"column outcome: type {outcome.type}, expected the labels {', '.join(OUTCOMES)}")
    labels = pc.unique(outcome.cast(pa.string()) if pa.types.is_dictionary(outcome.type) else outcome).to_pylist()
    bad = [x for x in labels if x not in OUTCOMES]
    if bad:
        raise _fail(path, f"column outcome: {term_line(bad[0], 80)!r} is not one of {', '.join(OUTCOMES)}")
    for col in ("run", "rounds"):
        if not pa.types.is_integer(table[col].type):
            raise _fail(path, f"column {col}: type {table[col].type}, expected integers")
        if table[col].null_count:
            raise _fail(path, f"column {col}: {table[col].null_count} missing values")
    if pc.min(table["rounds"]).as_py() < 0:
        raise _fail(path, "column rounds: negative values")
    if pc.count_distinct(table["run"]).as_py() != table.num_rows:
        raise _fail(path, "column run: duplicated run ids (each run appears once)")
    _check_labels(path, table)


def _check_labels(path: Path, table: pa.Table) -> None:
    """Text columns hold ids and labels (what a scenario file allows): control or format
    characters (an escape sequence, a right-to-left override) are refused, never passed on to a
    terminal, a figure or a report."""
    for name in table.column_names:
        col = table[name]
        if pa.types.is_dictionary(col.type):
            col = col.cast(pa.string())
        if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            continue
        bad = next((v for v in pc.unique(col).to_pylist() if v is not None and not printable(v)), None)
        if bad is not None:
            raise _fail(path, f"column {term_line(name, 80)}: {term_line(bad, 80)!r} holds control or format "
                        "characters; its labels are ids and names from a scenario file")


def read_runs(path: str | Path, columns: list[str] | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The per-run table and its metadata; refuses truncated, damaged, foreign and malformed files."""
    path = Path(path)
    meta = read_metadata(path)
    table = _read(path)
    _check_runs(path, table, meta)
    _check_against_manifest(path, meta)
    if columns is not None:
        missing = [c for c in columns if c not in table.column_names]
        if missing:
            raise _fail(path, f"column {term_line(missing[0], 80)}: missing")
        table = table.select(list(dict.fromkeys(columns)))
    return table.to_pandas(), meta


def _check_against_manifest(path: Path, meta: dict[str, Any]) -> None:
    """A runs file in a run or compare folder must be of the run its manifest records: same seed,
    run count and scenario (a file swapped in from another run, its checksum updated, is refused)."""
    try:
        m = read_manifest(path.parent)
    except OutputError as exc:
        raise ResultsFileError(str(exc)) from None
    ident = (m or {}).get("identity", {})
    if ident.get("command") not in ("run", "compare"):
        return
    shas = [s.get("sha256") for s in ident.get("scenarios", [])]
    for what, mine, theirs in (("seed", meta["root_seed"], ident.get("seed")), ("runs", meta["n_runs"], ident.get("runs")),
                               ("scenario", meta.get("scenario_sha256"), None)):
        if (what != "scenario" and mine != theirs) or (what == "scenario" and mine not in shas):
            told = f"{what} {term_line(theirs, 40)}" if what != "scenario" else "other scenarios (by SHA-256)"
            raise _fail(path, f"is of a run with {what} {term_line(mine, 70)}, but its folder's manifest.json records "
                        f"{told}: a file from another run")


def read_trace(path: str | Path, runs_meta: dict[str, Any] | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The per-round trace table (run, round, actor, aspiration, position, best_offer); with
    `runs_meta`, refused unless it comes from the same scenario, seed and number of runs."""
    path = Path(path)
    meta = read_metadata(path, TRACE_FORMAT)
    if runs_meta is not None:
        for key in ("scenario_sha256", "root_seed", "n_runs", "scenario"):
            if meta.get(key) != runs_meta.get(key):
                raise _fail(path, f"metadata 'negsim': {key}: {term_line(meta.get(key), 80)!r}, but the runs "
                            f"file beside it says {term_line(runs_meta.get(key), 80)!r}: a trace of another run")
    table = _read(path)
    _check_columns(path, table, TRACE_COLUMNS, values=False)
    _check_labels(path, table)
    return table.to_pandas(), meta
