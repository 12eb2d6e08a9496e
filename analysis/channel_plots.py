"""The answer per channel as a figure (`negsim channels`): B - A per channel in P(agreement by
the horizon) and P(walkout by day 69), and the breakeven level of the outside option in A and B."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .report_html import esc, figure_html, table
from .study import HALF_YEAR_DAY, TALKS_ENDED_DAY

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


HEADING = "<h2 id='channels'>The answer per channel of the agenda</h2>"


def report_section(channels: pd.DataFrame, label: str) -> str:
    """'The answer per channel of the agenda' (`negsim channels`): the figure and one row per
    channel, B - A with paired 95% intervals and the breakeven in A and B."""
    metrics = [("agreement_by_horizon", "agreement by the horizon"),
               (f"walkout_by_day_{TALKS_ENDED_DAY}", f"walkout by day {TALKS_ENDED_DAY}"),
               (f"walkout_by_day_{HALF_YEAR_DAY}", f"walkout by day {HALF_YEAR_DAY}"), ("walkout_by_horizon", "walkout by the horizon")]

    def diff(row) -> str:
        return f"{100 * row['difference']:+.1f} [{100 * row['low']:+.1f}, {100 * row['high']:+.1f}]"

    rows = []
    for name in dict.fromkeys(channels["channel"]):
        sub = channels[channels["channel"] == name].set_index("metric")
        be = sub.loc["breakeven"]
        located = be["a"] == be["a"] and be["b"] == be["b"]
        rows.append([name] + [diff(sub.loc[m]) for m, _ in metrics]
                    + [f"{be['a']:.3f} -> {be['b']:.3f} ({be['difference']:+.3f} [{be['low']:+.3f}, {be['high']:+.3f}])"
                       if located else "not located within the drawn range"])
    head = ["channel"] + [f"B - A, pp: {t}" for _, t in metrics] + ["breakeven A -> B (B - A)"]
    note = ("<p class='note'>" + esc(label) + ": both scenarios run under each channel alone and all together on "
            "the same draws (common random numbers). Intervals: Newcombe's method for paired data, Monte Carlo noise "
            "only. Breakeven: the level of the party's outside option on day 0, as a share of the worth of its best "
            "package inside the others' red lines (the first scenario, every channel off), at which P(agreement by "
            "the horizon) is 50%; logistic fit over the runs, paired bootstrap interval. docs/model.md, sections "
            "3.11 and 5.6, gives each channel's mechanism and why it moves the answer as it does.</p>")
    fig = channel_figure(channels, "B - A per channel; paired 95% intervals (Monte Carlo noise only)",
                         "breakeven outside option (share of best package)")
    return "".join([HEADING, note, figure_html(fig, "B - A per channel and the breakeven outside option",
                                               "Each channel alone and all together; left: agreement by the horizon, "
                                               "middle: walkout by day 69, right: breakeven in A (hollow) and B."),
                    table(head, rows, [False] + [True] * 5)])
