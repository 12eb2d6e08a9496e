"""Output folders: one folder belongs to one command, scenario set, seed, run count and code version.

- `check_folder` finds --out problems (an existing file, not writable, a parent that cannot be
  created) before any work, with one line.
- `Output` is the life of one command's output: it refuses a folder that holds another command's
  files (unless force, which clears negsim's files first), cleans staging folders left by killed
  runs, stages new files in OUT/.staging-<pid>-<random>/ (same filesystem, so moving them in is a
  rename), and on `commit` removes the previous files, moves the new ones in and writes
  OUT/manifest.json last: the command, scenarios with their SHA-256, seed, runs, the code
  fingerprint and every file written with its SHA-256.
- `manifest_files` / `verify_listed`: readers take exactly the files a manifest lists and refuse
  a file whose bytes differ from the manifest's checksum.
- `safe_name` turns a scenario name into a file name; `term` escapes text for the terminal.

Standard library only.
"""

from __future__ import annotations

import fnmatch
import functools
import glob
import hashlib
import json
import os
import re
import secrets
import shutil
import time
import unicodedata
from pathlib import Path
from typing import Any, Iterable

from .atomic import write_atomic

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "negsim-output/1"
STAGING_PREFIX = ".staging-"
OWNER = ".owner"
# Every file a negsim command writes into an output folder (and `report`'s default report.html).
NEGSIM_PATTERNS = ("runs.parquet", "runs.csv", "trace.parquet", "trace.csv", "runs_*.parquet", "runs_*.csv",
                   "trace_*.parquet", "trace_*.csv", "outcomes.png", "compare.png", "sweep.parquet",
                   "indices.parquet", "report.html", MANIFEST, "*.partial")
NAME_LIMIT = 80


class OutputError(ValueError):
    """An output folder that cannot be used as asked; one line naming the folder."""


# ------------------------------------------------------------------ text
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str, limit: int = NAME_LIMIT) -> str:
    """A file-name-safe form of a scenario name: only [A-Za-z0-9._-], no leading dot or dash,
    at most `limit` characters (a long name keeps a short hash of the whole so names stay apart)."""
    s = _SAFE.sub("_", str(name)).lstrip("._-").rstrip("_-") or "scenario"
    if len(s) > limit:
        digest = hashlib.sha256(str(name).encode("utf-8", "surrogatepass")).hexdigest()[:8]
        s = f"{s[:limit - 9]}-{digest}"
    return s


def term(text: Any, limit: int | None = 2000) -> str:
    """Text made safe to print: control characters, escape sequences, bidi and other format
    characters are shown as \\xNN / \\uNNNN; longer than `limit` characters, it is cut with '...'."""
    s = str(text)
    if limit is not None and len(s) > limit:
        s = s[:limit] + f"...[{len(s) - limit:,} more characters]"
    out = []
    for ch in s:
        if ch in "\n\t" or unicodedata.category(ch)[0] not in "CZ" or ch == " ":
            out.append(ch)
        else:
            cp = ord(ch)
            out.append(f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}" if cp < 0x10000 else f"\\U{cp:08x}")
    return "".join(out)


def term_line(text: Any, limit: int | None = 2000) -> str:
    """`term` for one line: newlines are escaped too."""
    return term(text, limit).replace("\n", "\\n").replace("\t", "\\t")


def plural(n: int, word: str, many: str | None = None) -> str:
    """A count with its noun in the right number: '1 run', '2,000 runs', '1 entry', '3 entries'
    (`many`: the plural when it is not word + 's')."""
    return f"{n:,} {word if n == 1 else many or word + 's'}"


# ------------------------------------------------------------------ fingerprints
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


def _same(a: dict, b: dict) -> bool:
    def key(d):
        return {**d, "scenarios": [{"name": s.get("name"), "sha256": s.get("sha256")} for s in d.get("scenarios", [])]}

    return key(a) == key(b)


def _difference(old: dict, new: dict) -> str:
    for k, what in (("command", "command"), ("scenarios", "scenarios"), ("seed", "seed"), ("runs", "runs"),
                    ("sweep", "sweep fingerprint"), ("code", "code version")):
        o, n = old.get(k), new.get(k)
        if k == "scenarios":
            o = [(s.get("name"), s.get("sha256")) for s in o or []]
            n = [(s.get("name"), s.get("sha256")) for s in n or []]
            if o != n:
                return f"scenarios {', '.join(term_line(x[0], 80) for x in o) or '?'} (by SHA-256)"
        elif o != n:
            return f"{what} {term_line(o, 80)}"
    return "other settings"


# ------------------------------------------------------------------ the folder
def check_folder(out: Path) -> None:
    """Refuse --out before any work if it names a file, or if it (or the nearest existing parent,
    when it must be created) is not a writable folder."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {term_line(out)}: names an existing file; give a folder")
    probe = out
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise OutputError(f"--out {term_line(out)}: {term_line(probe)} is a file, so the folder cannot be created")
    if probe.exists() and not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(f"--out {term_line(out)}: {term_line(probe)} is not writable")


def read_manifest(folder: Path) -> dict | None:
    """The folder's manifest, None if it has none; a damaged one is an OutputError."""
    p = Path(folder) / MANIFEST
    if not p.exists():
        return None
    try:
        m = json.loads(p.read_text())
    except (OSError, ValueError) as exc:
        raise OutputError(f"{term_line(p)}: not a readable negsim manifest ({term_line(exc, 200)})") from None
    if not isinstance(m, dict) or m.get("format") != MANIFEST_FORMAT or not isinstance(m.get("files"), list) \
            or not all(isinstance(f, dict) and isinstance(f.get("name"), str) for f in m["files"]) \
            or not isinstance(m.get("identity"), dict) or not isinstance(m.get("runs", []), list) \
            or not all(isinstance(x, dict) for x in m["identity"].get("scenarios", [])):
        raise OutputError(f"{term_line(p)}: not a negsim manifest (expected format {MANIFEST_FORMAT!r} with a "
                          "list of files)")
    return m


def negsim_entries(folder: Path) -> list[Path]:
    """negsim's files in `folder` (not the checkpoint folder nor staging folders)."""
    if not folder.is_dir():
        return []
    return [p for p in folder.iterdir() if p.is_file() and any(fnmatch.fnmatchcase(p.name, pat) for pat in NEGSIM_PATTERNS)]


def _proc_start(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def _owner_alive(stage: Path) -> bool:
    try:
        pid_s, _, start = (stage / OWNER).read_text().strip().partition(" ")
        pid = int(pid_s)
    except (OSError, ValueError):  # no owner yet: a run that is starting now, or one killed as it started
        try:
            return time.time() - stage.stat().st_mtime < 60
        except OSError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not start or not _proc_start(pid) or _proc_start(pid) == start


def clean_stale(folder: Path) -> list[Path]:
    """Remove staging folders of runs that were killed (owner process gone); return them."""
    removed = []
    if not Path(folder).is_dir():
        return removed
    for d in Path(folder).glob(STAGING_PREFIX + "*"):
        if d.is_dir() and not _owner_alive(d):
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
    return removed


def clean_legacy(out: Path) -> list[Path]:
    """Remove the hidden staging folders older versions left beside `out` when killed
    (.NAME.XXXXXXXX holding only negsim files, e.g. runs.parquet.partial)."""
    removed = []
    parent = Path(out).parent
    if not parent.is_dir():
        return removed
    for d in parent.glob(f".{glob.escape(Path(out).name)}.*"):
        try:
            if d.is_dir() and all(f.is_file() and any(fnmatch.fnmatchcase(f.name, p) for p in NEGSIM_PATTERNS)
                                  for f in d.iterdir()):
                shutil.rmtree(d, ignore_errors=True)
                removed.append(d)
        except OSError:
            pass
    return removed


def clear(folder: Path) -> None:
    """--force: remove negsim's files, its checkpoint folder and dead staging folders."""
    for p in negsim_entries(folder):
        p.unlink(missing_ok=True)
    shutil.rmtree(Path(folder) / "checkpoint", ignore_errors=True)
    clean_stale(folder)


class Output:
    """Context manager for one command's output folder (see the module docstring)."""

    def __init__(self, out: str | Path, ident: dict[str, Any], force: bool = False):
        self.out, self.ident, self.force = Path(out), ident, force
        self.stage: Path | None = None
        self.created = False
        self.committed: dict | None = None

    def __enter__(self) -> "Output":
        out = self.out
        check_folder(out)
        try:
            old = read_manifest(out)
        except OutputError:
            if not self.force:
                raise
            old = None
        if not self.force:
            if old is not None and not _same(old.get("identity", {}), self.ident):
                raise OutputError(f"--out {term_line(out)}: holds the output of a different command (there: "
                                  f"{_difference(old.get('identity', {}), self.ident)}; see its {MANIFEST}); "
                                  "use another --out, or --force to clear it")
            if old is None and negsim_entries(out):
                raise OutputError(f"--out {term_line(out)}: holds negsim files without a {MANIFEST} "
                                  "(another command's, or an older version's); use another --out, or --force to clear it")
        self.created = not out.exists()
        try:
            out.mkdir(parents=True, exist_ok=True)
            if self.force:
                clear(out)
            clean_stale(out)
            clean_legacy(out)
            self.stage = out / f"{STAGING_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
            self.stage.mkdir()
            (self.stage / OWNER).write_text(f"{os.getpid()} {_proc_start(os.getpid())}")
        except OSError as exc:
            self._cleanup()
            raise OutputError(f"--out {term_line(out)}: cannot write there ({exc.strerror or exc})") from None
        return self

    def commit(self, runs: list[str] = (), **extra: Any) -> dict:
        """Move the staged files in (replacing the folder's previous negsim files) and write the
        manifest last.  `runs` names the runs files in order (A before B for a compare)."""
        staged = sorted((p for p in self.stage.iterdir() if p.is_file() and p.name != OWNER),
                        key=lambda p: p.name)
        files = [{"name": p.name, "sha256": sha256_file(p), "bytes": p.stat().st_size} for p in staged]
        names = {p.name for p in staged}
        (self.out / MANIFEST).unlink(missing_ok=True)  # from here until the end, no manifest: nothing is read
        for p in negsim_entries(self.out):
            if p.name not in names:
                p.unlink(missing_ok=True)
        for p in staged:
            os.replace(p, self.out / p.name)
        from sim import __version__
        manifest = {"format": MANIFEST_FORMAT, "negsim_version": __version__, "identity": self.ident,
                    "runs": list(runs), "files": files, **extra}
        write_atomic(self.out / MANIFEST, json.dumps(manifest, indent=1))
        self.committed = manifest
        return manifest

    def _cleanup(self) -> None:
        if self.stage is not None:
            shutil.rmtree(self.stage, ignore_errors=True)
        if self.created and self.committed is None:
            try:
                self.out.rmdir()  # only if empty: we made it and nothing was committed
            except OSError:
                pass

    def __exit__(self, exc_type, exc, tb) -> None:
        self._cleanup()


# ------------------------------------------------------------------ reading
def manifest_runs(folder: Path) -> list[Path]:
    """The runs files a folder's manifest lists, in the order they were written."""
    m = read_manifest(folder)
    if m is None:
        raise OutputError(f"{term_line(folder)}: no {MANIFEST} (not a complete negsim output folder; "
                          "give the runs file itself or run the command again)")
    listed = {f["name"] for f in m["files"]}
    runs = [n for n in m.get("runs", []) if isinstance(n, str) and n in listed]
    if not runs:
        raise OutputError(f"{term_line(folder)}: its {MANIFEST} lists no runs file (a sweep folder? give the "
                          "sweep.parquet file itself)")
    return [Path(folder) / n for n in runs]


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
        if not any(fnmatch.fnmatchcase(path.name, pat) for pat in NEGSIM_PATTERNS):
            return True  # not a file negsim writes there (e.g. the user's own table): not governed
        if required:
            raise OutputError(f"{term_line(path)}: not listed in its folder's {MANIFEST} (a stale file "
                              "from another command?)")
        return False
    if not path.exists():
        raise OutputError(f"{term_line(path)}: listed in its folder's {MANIFEST} but missing")
    if sha256_file(path) != entry.get("sha256"):
        raise OutputError(f"{term_line(path)}: SHA-256 differs from its folder's {MANIFEST}: the file "
                          "was damaged or replaced")
    return True
