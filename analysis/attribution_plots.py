"""The figure of `negsim explain`: Shapley values per player, one panel per metric.

The panels share one y-axis, so the players are put in one order for all of them (by the first
panel's Shapley value): a bar's label is always the label of its own value.  Each bar carries a
`gid` "<metric>|<player>" so a test can read it back against the table.
"""

from __future__ import annotations

from typing import Sequence

import pandas as pd
from matplotlib.figure import Figure

PANELS = ("agreement_by_horizon", "walkout_by_horizon")


def shapley_figure(result: pd.DataFrame, title: str, metrics: Sequence[str] = PANELS) -> Figure:
    """Horizontal bars of each player's Shapley value (percentage points) with its 95% interval,
    one panel per metric; `result` has the columns of `negsim explain`'s explain.parquet."""
    metrics = [m for m in metrics if (result["metric"] == m).any()]
    first = result[result["metric"] == metrics[0]].set_index("player")
    order = list(first["shapley"].sort_values(kind="stable").index)  # smallest at the bottom
    order += [p for p in dict.fromkeys(result["player"]) if p not in order]
    fig = Figure(figsize=(11, 1.2 + 0.7 * len(order)), layout="constrained")
    axes = fig.subplots(1, len(metrics), sharey=True, squeeze=False)[0]
    y = list(range(len(order)))
    for ax, m in zip(axes, metrics):
        sub = result[result["metric"] == m].set_index("player").reindex(order)
        v = 100 * sub["shapley"].to_numpy(float)
        err = [v - 100 * sub["shapley_low"].to_numpy(float), 100 * sub["shapley_high"].to_numpy(float) - v]
        bars = ax.barh(y, v, xerr=err, color="#0072B2")
        for bar, player in zip(bars, order):
            bar.set_gid(f"{m}|{player}")
        ax.axvline(0, color="black", lw=0.8)
        ax.set_xlabel(f"Shapley value, pp of {sub['label'].dropna().iloc[0]}")
    axes[0].set_yticks(y, [str(p) for p in order], fontsize=8)
    fig.suptitle(title, fontsize=9)
    return fig
