"""What `plot`, `report` and `reweight` read: results files (a folder through its manifest.json,
exactly the runs files the command that owns it wrote, A before B; a trace beside its runs file
only if the manifest lists it) and sweep or sensitivity tables (Parquet or CSV), checked."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analysis.outcomes import load
from storage.manifest import manifest_runs, verify_listed
from storage.resultsfile import DATA_SHA_KEY, META_SHA_KEY, DataDigest
from storage.text import printable, term_line


def runs_files(paths: list[Path]) -> list[Path]:
    """Expand folders through their manifest: runs.parquet, or the runs_*.parquet of a compare in
    the order they were written (A before B)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(manifest_runs(p))
        elif not p.exists():
            raise ValueError(f"{term_line(p)}: file not found")
        else:
            out.append(p)
    return out


def load_results(paths: list[Path], trace: bool | None):
    """The results files (analysis.outcomes.Result) of the paths, one scenario each."""
    results = []
    for f in runs_files(paths):
        try:
            results.append(load(f, trace=trace))
        except ValueError as exc:
            msg = str(exc)
            if "expected 'negsim-runs" in msg:
                msg += " (for a sweep table use --kind map, lines or sensitivity)"
            raise ValueError(msg) from None
    names = [r.name for r in results]
    if len(set(names)) != len(names):
        raise ValueError(f"the same scenario appears twice among {term_line(', '.join(map(str, paths)))}")
    return results


def read_table(path: Path):
    """A sweep or sensitivity table (Parquet or CSV) and the negsim metadata it carries, if any."""
    if not path.exists():
        raise ValueError(f"{term_line(path)}: file not found")
    if not path.is_file():
        raise ValueError(f"{term_line(path)}: not a file (give the sweep table itself, e.g. sweep.parquet)")
    verify_listed(path)  # in an output folder, only the files its manifest lists (unchanged)
    meta = {}
    try:
        if path.suffix.lower() == ".csv":
            table = pd.read_csv(path)
        else:
            t = pq.read_table(path, page_checksum_verification=True)
            kv = t.schema.metadata or {}
            raw = kv.get(b"negsim")
            if raw is not None and kv.get(META_SHA_KEY, hashlib.sha256(raw).hexdigest().encode()) != \
                    hashlib.sha256(raw).hexdigest().encode():
                raise ValueError("metadata 'negsim': its SHA-256 differs from the one written with it: damaged")
            if kv.get(DATA_SHA_KEY) is not None:
                d = DataDigest()
                d.update(t)
                if d.hexdigest().encode() != kv[DATA_SHA_KEY]:
                    raise ValueError("data checksum (negsim_data_sha256) does not match the data: damaged")
            meta = json.loads(raw) if raw else {}
            table = t.to_pandas()
    except (OSError, ValueError, UnicodeDecodeError, pa.ArrowException) as exc:
        raise ValueError(f"{term_line(path)}: not a readable table ({term_line(exc, 200)})") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{term_line(path)}: metadata 'negsim': a JSON {type(meta).__name__}, expected a JSON object")
    if len(table) == 0:
        raise ValueError(f"{term_line(path)}: no rows")
    texts = [str(c) for c in table.columns] + [v for c in table.columns if table[c].dtype == object
                                                for v in table[c].dropna().unique() if isinstance(v, str)]
    bad = next((t for t in texts if not printable(t)), None)
    if bad is not None:  # labels go into figures: an escape sequence would reach the terminal through warnings
        raise ValueError(f"{term_line(path)}: {term_line(bad, 80)!r} holds control or format characters; a sweep "
                         "table's names and labels are scenario keys and ids")
    return table, meta
