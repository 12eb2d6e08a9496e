"""Per-run tables: from batches to pandas."""

from __future__ import annotations

import pandas as pd

from sim.engine import Batch
from storage.runtable import OUTCOMES, batch_columns


def runs_frame(batches: list[Batch], scenario_name: str) -> pd.DataFrame:
    frames = [pd.DataFrame(batch_columns(b, scenario_name)) for b in batches]
    df = pd.concat(frames, ignore_index=True)
    df["outcome"] = pd.Categorical(df["outcome"], categories=list(OUTCOMES))
    return df
