"""The manifest of an output folder (manifest.json): what negsim wrote there.

The command that owns the folder writes it last (storage.outdir.Output.commit): the command's
identity (scenarios with their SHA-256, seed, runs, code fingerprint), the runs files in order,
and every file with its SHA-256 and size.  `report`, `plot` and `discover` add the files they
write into such a folder (`record`), so `--force` can tell negsim's files from anyone else's.
Readers take exactly the files a manifest lists, by plain names inside its own folder: a name
with a path separator, `..`, an absolute path, or a listed link that leads out of the folder is
refused with one line.

Standard library only.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import json
from pathlib import Path
from typing import Any, Iterable

from .atomic import write_atomic
from .text import term_line, unsafe

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "negsim-output/1"
MAX_MANIFEST_BYTES = 16 << 20
# Every file a negsim command writes into an output folder: a folder holding one of these that
# no manifest lists holds another command's (or an older version's) output.
NEGSIM_PATTERNS = ("runs.parquet", "runs.csv", "trace.parquet", "trace.csv", "runs_*.parquet", "runs_*.csv",
                   "trace_*.parquet", "trace_*.csv", "outcomes.png", "compare.png", "sweep.parquet",
                   "indices.parquet", "report.html", MANIFEST, "explain.parquet", "explain.png", "robustness.parquet",
                   "forest_*.png", "backtest.parquet", "theory_vs_runs.png", "theory_*.csv", "discovery_*.csv",
                   "box_*.csv", "discovery_*.png")


class OutputError(ValueError):
    """An output folder or manifest that cannot be used as asked; one line naming it."""


def negsim_name(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pat) for pat in NEGSIM_PATTERNS)


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 (16 hex digits) of the source of the sim and analysis packages: every .py file's
    relative path and bytes, in sorted order.  Computed once per process (~1 ms)."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for pkg in ("sim", "analysis"):
        for f in sorted((root / pkg).rglob("*.py")):
            h.update(f.relative_to(root).as_posix().encode() + b"\0")
            h.update(f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def identity(command: str, scenarios: Iterable, seed: int, runs: int, **extra: Any) -> dict[str, Any]:
    """What an output folder belongs to: the command, the scenarios (name and SHA-256 of their
    files), the seed, the runs, the code fingerprint (and e.g. a sweep's own fingerprint)."""
    return {"command": command,
            "scenarios": [{"name": sc.name, "path": str(sc.path), "sha256": sc.sha256} for sc in scenarios],
            "seed": seed, "runs": runs, "code": code_fingerprint(), **extra}


def plain_name(name: Any) -> bool:
    """A file name inside the folder itself: no separator, not '.' or '..', no control characters."""
    return (isinstance(name, str) and 0 < len(name) <= 255 and name not in (".", "..")
            and not any(c in name for c in "/\\") and not any(unsafe(c) and c != " " for c in name))


def read_manifest(folder: str | Path) -> dict | None:
    """The folder's manifest, None if it has none; a damaged one, or one naming a file outside
    its folder, is an OutputError."""
    p = Path(folder) / MANIFEST
    if not p.exists() and not p.is_symlink():
        return None
    where = term_line(p)
    try:
        if not p.is_file() or p.is_symlink() or p.stat().st_size > MAX_MANIFEST_BYTES:
            raise OutputError(f"{where}: not a negsim manifest (a manifest is a regular file of at most "
                              f"{MAX_MANIFEST_BYTES >> 20} MiB)")
        m = json.loads(p.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        if isinstance(exc, OutputError):
            raise
        raise OutputError(f"{where}: not a readable negsim manifest ({term_line(getattr(exc, 'strerror', None) or exc, 200)})") from None
    if not isinstance(m, dict) or m.get("format") != MANIFEST_FORMAT or not isinstance(m.get("files"), list) \
            or not all(isinstance(f, dict) and isinstance(f.get("name"), str) for f in m["files"]) \
            or not isinstance(m.get("identity"), dict) or not isinstance(m.get("runs", []), list) \
            or not all(isinstance(x, dict) for x in m["identity"].get("scenarios", [])):
        raise OutputError(f"{where}: not a negsim manifest (expected format {MANIFEST_FORMAT!r} with a "
                          "list of files)")
    for name in [f["name"] for f in m["files"]] + list(m.get("runs", [])):
        if not plain_name(name):
            raise OutputError(f"{where}: lists {term_line(name, 120)!r}; a manifest names files inside its own "
                              "folder (no path separators, no '..', no absolute paths)")
    return m


def listed(folder: str | Path, name: str) -> Path:
    """The path of a file a manifest lists, refused if it is a link leading out of the folder."""
    folder = Path(folder)
    path = folder / name
    if path.is_symlink() and not path.resolve().is_relative_to(folder.resolve()):
        raise OutputError(f"{term_line(path)}: a link that leads outside its folder; a manifest's files are "
                          "inside the folder")
    return path


def manifest_runs(folder: str | Path) -> list[Path]:
    """The runs files a folder's manifest lists, in the order they were written."""
    m = read_manifest(folder)
    if m is None:
        raise OutputError(f"{term_line(folder)}: no {MANIFEST} (not a complete negsim output folder; "
                          "give the runs file itself or run the command again)")
    names = {f["name"] for f in m["files"]}
    runs = [n for n in m.get("runs", []) if n in names]
    if not runs:
        raise OutputError(f"{term_line(folder)}: its {MANIFEST} lists no runs file (a sweep folder? give the "
                          "sweep.parquet file itself)")
    return [listed(folder, n) for n in runs]


def verify_listed(path: str | Path, required: bool = True) -> bool:
    """If `path`'s folder has a manifest: True when the manifest lists the file and its bytes
    match the listed SHA-256; a listed file with other bytes is refused; an unlisted file raises
    (required) or gives False.  Without a manifest: True."""
    path = Path(path)
    m = read_manifest(path.parent)
    if m is None:
        return True
    entry = next((f for f in m["files"] if f["name"] == path.name), None)
    if entry is None:
        if not negsim_name(path.name):
            return True  # not a file negsim writes there (e.g. the user's own table): not governed
        if required:
            raise OutputError(f"{term_line(path)}: not listed in its folder's {MANIFEST} (a stale file "
                              "from another command?)")
        return False
    listed(path.parent, path.name)
    if not path.exists():
        raise OutputError(f"{term_line(path)}: listed in its folder's {MANIFEST} but missing")
    if sha256_file(path) != entry.get("sha256"):
        raise OutputError(f"{term_line(path)}: SHA-256 differs from its folder's {MANIFEST}: the file "
                          "was damaged or replaced")
    return True


def entry(path: Path, by: str | None = None) -> dict[str, Any]:
    e = {"name": path.name, "sha256": sha256_file(path), "bytes": path.stat().st_size}
    return {**e, "by": by} if by else e


def write_manifest(folder: str | Path, manifest: dict) -> None:
    write_atomic(Path(folder) / MANIFEST, json.dumps(manifest, indent=1))


def record(folder: str | Path, names: Iterable[str], by: str) -> None:
    """Add files just written into a folder to its manifest (the caller holds the folder's lock)."""
    m = read_manifest(folder)
    if m is None:
        return
    names = list(names)
    m["files"] = [f for f in m["files"] if f["name"] not in names] + [entry(Path(folder) / n, by) for n in names]
    write_manifest(folder, m)
