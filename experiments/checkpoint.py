"""A sweep's checkpoints: each finished task's metrics in OUT/checkpoint/task_NNNNN.npz (written
under a temporary name, then renamed), beside a manifest holding the sweep's fingerprint.

Each file carries what it is: the sweep's fingerprint, its task id, the ids of its points and a
SHA-256 over its arrays.  A rerun trusts nothing it has not checked: a file whose record does not
match the task its name claims (swapped, copied from another task or sweep), whose digest differs
(damaged) or that cannot be read at all (truncated by a crash) is removed and its task computed
again.  Checkpoints of a different sweep or code version are refused, not mixed in.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path
from typing import Iterable

import numpy as np

from storage.atomic import atomic_path, write_atomic

from .sweep import SweepError

RECORD = "__checkpoint__"  # the entry of a task file that says what it is (JSON text, no pickle)


def digest(metrics: dict[str, np.ndarray]) -> str:
    """SHA-256 over every array: its name, dtype, shape and bytes, in name order."""
    h = hashlib.sha256()
    for k in sorted(metrics):
        a = np.ascontiguousarray(metrics[k])
        h.update(f"{k}\0{a.dtype.str}\0{a.shape}\0".encode())
        h.update(a.tobytes())
    return h.hexdigest()


class Checkpoint:
    def __init__(self, out: Path, fingerprint: str):
        self.dir = Path(out) / "checkpoint"
        self.fingerprint = fingerprint
        self.points: dict[int, tuple[int, ...]] = {}  # task id -> its point ids
        self.redone: list[str] = []  # files found untrustworthy on reopening

    def path(self, task_id: int) -> Path:
        return self.dir / f"task_{task_id:05d}.npz"

    def open(self, tasks: Iterable) -> set[int]:
        """Create or reopen the checkpoint folder for these tasks; the ids of the tasks whose
        checkpoint is present and checked."""
        self.points = {t.task_id: tuple(t.point_ids) for t in tasks}
        manifest = self.dir / "manifest.json"
        if manifest.exists():
            try:
                found = json.loads(manifest.read_text()).get("fingerprint")
            except (OSError, ValueError, AttributeError):
                raise SweepError(f"{manifest}: not a readable checkpoint manifest; use another --out, or --force "
                                 "to start over") from None
            if found != self.fingerprint:
                raise SweepError(f"{self.dir}: holds checkpoints of a different sweep or code version "
                                      f"(fingerprint {found}, this one {self.fingerprint}); use another --out, or "
                                      "--force to start over")
        else:
            self.dir.mkdir(parents=True, exist_ok=True)
            write_atomic(manifest, json.dumps({"fingerprint": self.fingerprint}))
        done = set()
        for f in sorted(self.dir.glob("task_*.npz")):
            task_id = _task_id(f)
            if task_id is not None and self._read(f, task_id) is not None:
                done.add(task_id)
            else:
                self.redone.append(f.name)
                f.unlink(missing_ok=True)  # half-written, damaged, swapped or foreign: computed again
        return done

    def save(self, task_id: int, metrics: dict[str, np.ndarray]) -> None:
        record = {"fingerprint": self.fingerprint, "task": task_id, "points": list(self.points[task_id]),
                  "sha256": digest(metrics)}
        with atomic_path(self.path(task_id)) as tmp, open(tmp, "wb") as f:
            np.savez(f, **metrics, **{RECORD: np.array(json.dumps(record))})

    def load(self, task_id: int) -> dict[str, np.ndarray]:
        metrics = self._read(self.path(task_id), task_id)
        if metrics is None:
            raise SweepError(f"{self.path(task_id)}: changed while the sweep ran (damaged or replaced); "
                                  "run the sweep again")
        return metrics

    def _read(self, path: Path, task_id: int) -> dict[str, np.ndarray] | None:
        """The task's metrics if the file is exactly what this task wrote, else None."""
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
            record = json.loads(str(arrays.pop(RECORD)))
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, TypeError):
            return None
        ok = (isinstance(record, dict) and record.get("fingerprint") == self.fingerprint
              and record.get("task") == task_id and tuple(record.get("points") or ()) == self.points.get(task_id)
              and record.get("sha256") == digest(arrays))
        return arrays if ok else None

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def _task_id(path: Path) -> int | None:
    try:
        return int(path.stem.split("_", 1)[1])
    except (IndexError, ValueError):
        return None
