"""The answer per channel as a figure (`negsim channels`): B - A per channel in P(agreement by
the horizon) and P(walkout by day 69), and the breakeven level of the outside option in A and B."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .study import TALKS_ENDED_DAY

PANELS = (("agreement_by_horizon", "P(agreement by the horizon)"),
          (f"walkout_by_day_{TALKS_ENDED_DAY}", f"P(walkout by day {TALKS_ENDED_DAY})"))


def channel_figure(table: pd.DataFrame, title: str, breakeven_label: str) -> Figure:
    """One row per channel in every panel, in the table's order; paired 95% intervals."""
    names = list(dict.fromkeys(table["channel"]))
    y = np.arange(len(names))[::-1]
    fig = Figure(figsize=(11, 1.6 + 0.34 * len(names)), layout="constrained")
    axes = fig.subplots(1, 3, sharey=True)
    for ax, (metric, label) in zip(axes, PANELS):
        sub = table[table["metric"] == metric].set_index("channel").loc[names]
        d, lo, hi = (100 * sub[c].to_numpy(float) for c in ("difference", "low", "high"))
        ax.errorbar(d, y, xerr=[d - lo, hi - d], fmt="o", color="#0072B2", ms=4, capsize=2, gid=metric)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_xlabel(f"B - A, pp of {label}", fontsize=8)
    sub = table[table["metric"] == "breakeven"].set_index("channel").loc[names]
    ax = axes[2]
    ax.plot(sub["a"], y, "o", mfc="white", color="#555555", ms=5, label="A", gid="breakeven|a")
    ax.plot(sub["b"], y, "D", color="#D55E00", ms=4, label="B", gid="breakeven|b")
    ax.set_xlabel(breakeven_label, fontsize=8)
    ax.legend(fontsize=7, loc="lower right")
    axes[0].set_yticks(y, names, fontsize=8)
    fig.suptitle(title, fontsize=9, x=0.01, ha="left")
    return fig
