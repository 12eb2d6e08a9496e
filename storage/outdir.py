"""Output folders: one folder belongs to one command, scenario set, seed, run count and code version.

- `check_folder` finds --out problems (an existing file, not writable, a parent that cannot be
  created) before any work, with one line.
- `Output` is the one way a command writes its results: it takes the folder's lock (a second
  command writing to the same folder is refused, naming the first one's process), refuses a
  folder that holds another command's output (unless force), and refuses, naming them, files
  that no negsim command wrote if it would have to replace them (or, with force, if they are
  there at all: force only ever removes what a manifest records).  It stages new files in
  OUT/.staging-<pid>-<random>/ (same filesystem, so moving them in is a rename), and `commit`
  moves them in, removes the previous manifest's files that the new output does not replace, and
  writes OUT/manifest.json last (storage.manifest), with SIGINT and SIGTERM held off meanwhile.
- `write_into` writes single files (a report, a figure, discovery tables) under the folder's
  lock and records them in the folder's manifest if it has one.
- `clean_stale` removes the staging folders of killed commands.

Standard library only.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import glob
import os
import secrets
import shutil
import time
from pathlib import Path
from typing import Any, Iterator

from sim import __version__

from .atomic import atomic_path, signals_deferred
from .manifest import (MANIFEST, MANIFEST_FORMAT, OutputError, entry, negsim_name, read_manifest, record, sha256_file,
                       write_manifest)
from .text import term_line

STAGING_PREFIX = ".staging-"
OWNER = ".owner"
CHECKPOINT = "checkpoint"  # a sweep's checkpoint folder (experiments.sweep_run)
COMMITTED: list[Path] = []  # folders this process has committed, for the message after an interrupt


# ------------------------------------------------------------------ identity
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


def _proc_start(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def _owner(stage: Path) -> int | None:
    """The pid of the live command that owns a staging folder, or None if it is gone."""
    try:
        pid_s, _, start = (stage / OWNER).read_text().strip().partition(" ")
        pid = int(pid_s)
    except (OSError, ValueError):  # no owner yet: a command starting now, or one killed as it started
        try:
            return -1 if time.time() - stage.stat().st_mtime < 60 else None
        except OSError:
            return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid if not start or not _proc_start(pid) or _proc_start(pid) == start else None


def clean_stale(folder: Path) -> list[Path]:
    """Remove staging folders of commands that were killed (owner process gone); return them."""
    removed = []
    if not Path(folder).is_dir():
        return removed
    for d in Path(folder).glob(STAGING_PREFIX + "*"):
        if d.is_dir() and _owner(d) is None:
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
            if d.is_dir() and all(f.is_file() and negsim_name(f.name.removesuffix(".partial")) for f in d.iterdir()):
                shutil.rmtree(d, ignore_errors=True)
                removed.append(d)
        except OSError:
            pass
    return removed


@contextlib.contextmanager
def folder_lock(folder: Path, what: str = "--out") -> Iterator[None]:
    """Hold the folder's lock (flock on the folder itself, released when the process ends, even
    by SIGKILL); a folder another negsim command holds is refused with one line."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise OutputError(f"{what} {term_line(folder)}: cannot open the folder ({exc.strerror})") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pids = sorted({p for d in folder.glob(STAGING_PREFIX + "*") if (p := _owner(d)) and p > 0})
            who = f" (pid {', '.join(map(str, pids))})" if pids else ""
            raise OutputError(f"{what} {term_line(folder)}: another negsim command{who} is writing there now; "
                              "wait for it to finish, or use another folder") from None
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _ours(folder: Path, p: Path, recorded: set[str]) -> bool:
    """Whether an entry of an output folder is negsim's: a file its manifest records, the
    manifest, a staging folder, an atomic write's temporary file, a sweep's checkpoint folder,
    or a folder that is itself a negsim output folder (it has its own manifest)."""
    name = p.name
    if name in recorded or name == MANIFEST or (name.startswith(".") and name.endswith(".partial")):
        return True
    if p.is_dir() and not p.is_symlink():
        if name.startswith(STAGING_PREFIX):
            return True
        if name == CHECKPOINT:
            return all(f.name == MANIFEST or (f.name.startswith("task_") and f.suffix == ".npz")
                       or f.name.endswith(".partial") for f in p.iterdir())
        try:
            return read_manifest(p) is not None
        except OutputError:
            return False
    return False


def _listing(paths: list[str]) -> str:
    shown = ", ".join(term_line(p, 80) for p in paths[:5])
    return shown + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")


class Output:
    """Context manager for one command's output folder (see the module docstring)."""

    def __init__(self, out: str | Path, ident: dict[str, Any], force: bool = False):
        self.out, self.ident, self.force = Path(out), ident, force
        self.stage: Path | None = None
        self.created = False
        self.committed: dict | None = None
        self.previous: dict | None = None
        self._lock: contextlib.ExitStack | None = None

    def __enter__(self) -> "Output":
        out = self.out
        check_folder(out)
        self.created = not out.exists()
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"--out {term_line(out)}: cannot create it ({exc.strerror or exc})") from None
        self._lock = contextlib.ExitStack()
        try:
            self._lock.enter_context(folder_lock(out))
            self._check_contents()
            clean_stale(out)
            clean_legacy(out)
            if self.force:
                shutil.rmtree(out / CHECKPOINT, ignore_errors=True)  # another sweep's: negsim's own (_ours)
            self.stage = out / f"{STAGING_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
            self.stage.mkdir()
            (self.stage / OWNER).write_text(f"{os.getpid()} {_proc_start(os.getpid())}")
        except OSError as exc:
            self._cleanup()
            raise OutputError(f"--out {term_line(out)}: cannot write there ({exc.strerror or exc})") from None
        except BaseException:
            self._cleanup()
            raise
        return self

    def _check_contents(self) -> None:
        """Refuse a folder this command may not write into (see the module docstring)."""
        out = self.out
        try:
            old = read_manifest(out)
        except OutputError as exc:
            if not self.force:
                raise OutputError(f"{exc}; use another --out, or --force to replace it") from None
            old = None
        if old is not None and not self.force and not _same(old.get("identity", {}), self.ident):
            raise OutputError(f"--out {term_line(out)}: holds the output of a different command (there: "
                              f"{_difference(old.get('identity', {}), self.ident)}; see its {MANIFEST}); "
                              "use another --out, or --force to replace it")
        recorded = {f["name"] for f in old["files"]} if old else set()
        changed = [f["name"] for f in (old or {}).get("files", [])
                   if (out / f["name"]).is_file() and sha256_file(out / f["name"]) != f.get("sha256")]
        others = sorted(p.name for p in out.iterdir() if not _ours(out, p, recorded))
        if self.force and (others or changed):
            raise OutputError(f"--out {term_line(out)}: --force replaces only what negsim wrote there (what its "
                              f"{MANIFEST} lists), and it also holds {_listing(others + changed)}"
                              + (" (changed since negsim wrote them)" if changed and not others else "")
                              + "; move them away or use another --out. Nothing was deleted")
        clash = changed + ([n for n in others if negsim_name(n)] if old is None else [])
        if clash:
            why = "changed since negsim wrote them" if changed else f"negsim files without a {MANIFEST}"
            raise OutputError(f"--out {term_line(out)}: holds {_listing(clash)} ({why}: another command's, an older "
                              "version's or your own); move them away or use another --out")
        self.previous = old

    def commit(self, runs: list[str] = (), **extra: Any) -> dict:
        """Move the staged files in (replacing the folder's previous negsim files) and write the
        manifest last.  `runs` names the runs files in order (A before B for a compare).
        SIGINT and SIGTERM wait until the manifest is written."""
        with signals_deferred():
            return self._commit(runs, extra)

    def _commit(self, runs, extra) -> dict:
        staged = sorted((p for p in self.stage.iterdir() if p.is_file() and p.name != OWNER), key=lambda p: p.name)
        recorded = {f["name"] for f in (self.previous or {}).get("files", [])}
        clash = [p.name for p in staged if p.name not in recorded and (self.out / p.name).exists()]
        if clash:  # a file of that name appeared that negsim did not write: never replace it
            raise OutputError(f"--out {term_line(self.out)}: holds {_listing(clash)}, which negsim did not write and "
                              "this command would replace; move them away or use another --out")
        files = [entry(p) for p in staged]
        names = {p.name for p in staged}
        (self.out / MANIFEST).unlink(missing_ok=True)  # from here until the end, no manifest: nothing is read
        for f in (self.previous or {}).get("files", []):
            if f["name"] not in names:
                (self.out / f["name"]).unlink(missing_ok=True)
        for p in staged:
            os.replace(p, self.out / p.name)
        manifest = {"format": MANIFEST_FORMAT, "negsim_version": __version__, "identity": self.ident,
                    "runs": list(runs), "files": files, **extra}
        write_manifest(self.out, manifest)
        self.committed = manifest
        COMMITTED.append(self.out)
        return manifest

    def _cleanup(self) -> None:
        if self.stage is not None:
            shutil.rmtree(self.stage, ignore_errors=True)
        if self.created and self.committed is None:
            try:
                self.out.rmdir()  # only if empty: we made it and nothing was committed
            except OSError:
                pass
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __exit__(self, exc_type, exc, tb) -> None:
        full = isinstance(exc, OSError) and disk_full(exc) and self.stage is not None
        message = self._disk_full_message(exc) if full else ""
        self._cleanup()
        if full:
            raise OutputError(message) from None

    def _disk_full_message(self, exc: OSError) -> str:
        """Which file, how much the command had written and how much space is left."""
        files = [p for p in self.stage.rglob("*") if p.is_file() and p.name != OWNER]
        newest = max(files, key=lambda p: p.stat().st_mtime, default=None)
        name = Path(exc.filename).name if exc.filename else newest.name if newest else "the results"
        name = name.lstrip(".").rsplit(".", 2)[0] if name.endswith(".partial") else name  # .runs.parquet.x1y2.partial
        staged = sum(p.stat().st_size for p in files) + getattr(exc, "written", 0)
        needed = f" (about {_size(exc.needed)} needed in all)" if getattr(exc, "needed", 0) else ""
        return (f"--out {term_line(self.out)}: the disk is full: writing {term_line(name, 120)} failed after "
                f"{_size(staged)}{needed}; {_size(shutil.disk_usage(self.out).free)} are free there once the partial "
                "files are removed; nothing was written: free some space or use another --out")


# ------------------------------------------------------------------ single files into a folder
def write_into(path: str | Path, data: bytes | str, *, by: str, explicit: bool = True) -> None:
    """Write one file atomically.  In a negsim output folder (one with a manifest) it is written
    under the folder's lock and recorded in the manifest, so --force knows negsim wrote it; a file
    there that negsim did not write is replaced only if the user named it (`explicit`)."""
    path = Path(path)
    folder = path.parent
    check_folder(folder)
    if path.is_dir():
        raise OutputError(f"{term_line(path)}: is a folder; give a file name")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{term_line(folder)}: cannot create it ({exc.strerror or exc})") from None
    with folder_lock(folder, "writing into"):
        m = check_target(path, explicit)
        raw = data.encode("utf-8") if isinstance(data, str) else data
        try:
            with atomic_path(path) as tmp:
                with open(tmp, "wb") as f:
                    f.write(raw)
        except OSError as exc:
            if not disk_full(exc):
                raise
            raise OutputError(f"{term_line(path)}: the disk is full: the file needs {_size(len(raw))} and "
                              f"{_size(shutil.disk_usage(folder).free)} are free there; nothing was written") from None
        if m is not None and path.name != MANIFEST:
            record(folder, [path.name], by)


def check_target(path: Path, explicit: bool) -> dict | None:
    """Refuse to replace a file negsim did not write (its folder's manifest does not list it)
    unless the user named it; the folder's manifest, if any.  Called before the work too, so
    a refusal costs nothing."""
    m = read_manifest(path.parent)
    if m is not None and path.exists() and not explicit and path.name not in {f["name"] for f in m["files"]}:
        raise OutputError(f"{term_line(path)}: exists and negsim did not write it (its folder's {MANIFEST} does "
                          "not list it); give --out to choose where to write")
    return m


def disk_full(exc: BaseException) -> bool:
    return getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT)


def _size(n: int) -> str:
    return f"{n / 1e6:,.1f} MB" if n >= 100_000 else f"{n:,} bytes"
