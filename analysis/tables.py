"""Per-run tables: from batches to pandas, and to disk without half-written output."""

from __future__ import annotations

import os
import secrets
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd

from sim.engine import Batch
from storage.outdir import OWNER, STAGING_PREFIX, check_folder, clean_stale
from storage.runtable import OUTCOMES, batch_columns


def runs_frame(batches: list[Batch], scenario_name: str) -> pd.DataFrame:
    frames = [pd.DataFrame(batch_columns(b, scenario_name)) for b in batches]
    df = pd.concat(frames, ignore_index=True)
    df["outcome"] = pd.Categorical(df["outcome"], categories=list(OUTCOMES))
    return df


@contextmanager
def staged_output(out_dir: str | Path) -> Iterator[Path]:
    """Write into a staging folder inside `out_dir` (same filesystem, so moving in is a rename);
    move the files in only if the block succeeds, so a failure leaves `out_dir` as it was.
    (Commands that own their folder use storage.outdir.Output, which also writes a manifest.)"""
    out_dir = Path(out_dir)
    check_folder(out_dir)
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    clean_stale(out_dir)
    stage = out_dir / f"{STAGING_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    try:
        stage.mkdir()
        (stage / OWNER).write_text(str(os.getpid()))
        yield stage
        for f in sorted(stage.iterdir()):
            if f.name != OWNER:
                os.replace(f, out_dir / f.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if created:
            try:
                out_dir.rmdir()  # only if nothing was moved in
            except OSError:
                pass
