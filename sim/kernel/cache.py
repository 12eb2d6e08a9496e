"""Numba's on-disk cache, keyed by every source the kernel compiles from.

Numba checks a cached function only against its own file's time stamp, so a change to a function
it calls in another file, or to a constant it reads from `schema.py` (the codes of strategies and
rules, the columns of a strategy's parameter row), would go unnoticed and leave stale machine
code.  So the cache lives in a folder named by a digest of all those files: any edit opens a new
folder (one compile, about 10-20 s), and older folders are removed.  NUMBA_CACHE_DIR, if set,
is the parent of these folders.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numba

_KERNEL = Path(__file__).resolve().parent
SOURCES = (*sorted(_KERNEL.glob("*.py")), _KERNEL.parent / "schema.py", _KERNEL.parent / "codes.py",
           _KERNEL.parent / "distributions.py")  # schema.py imports distributions.py
PREFIX = "kernel-"


def digest() -> str:
    h = hashlib.sha256()
    for path in SOURCES:
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _use_keyed_folder() -> None:
    parent = Path(os.environ.get("NUMBA_CACHE_DIR") or _KERNEL / "__pycache__")
    folder = parent / f"{PREFIX}{digest()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in parent.glob(PREFIX + "*"):
            if old != folder:
                shutil.rmtree(old, ignore_errors=True)
    except OSError:  # a read-only install: Numba then compiles in memory, every process anew
        return
    numba.config.CACHE_DIR = str(folder)


_use_keyed_folder()
