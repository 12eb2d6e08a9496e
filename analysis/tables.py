"""Per-run tables: from batches to pandas, and to disk without half-written output."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd

from sim.engine import Batch
from sim.results import OUTCOMES, batch_columns


def runs_frame(batches: list[Batch], scenario_name: str) -> pd.DataFrame:
    frames = [pd.DataFrame(batch_columns(b, scenario_name)) for b in batches]
    df = pd.concat(frames, ignore_index=True)
    df["outcome"] = pd.Categorical(df["outcome"], categories=list(OUTCOMES))
    return df


@contextmanager
def staged_output(out_dir: str | Path) -> Iterator[Path]:
    """Write into a scratch folder beside `out_dir`; move the files in only if the block
    succeeds, so a failure leaves `out_dir` as it was."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        yield stage
        out_dir.mkdir(exist_ok=True)
        for f in sorted(stage.iterdir()):
            os.replace(f, out_dir / f.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
