"""Figures for scenario discovery (analysis.discovery): the peeling trajectory and the chosen box.

Built on `matplotlib.figure.Figure` directly, not pyplot: importing this module selects no
backend and keeps no global figure state; `Figure.savefig` writes PNG/PDF/SVG as usual.  As in
analysis.plots, the axes functions draw one `Discovery` on one Axes and tag every data artist
with a `gid` ("trajectory|steps", "trajectory|chosen", "trajectory|start", "box|full|<input>",
"box|range|<input>"), so tests can read the numbers back; the figure functions add titles.
Colours: cividis for the number of restricted inputs, Okabe & Ito blue for the box.
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import BoundaryNorm
from matplotlib.figure import Figure

from storage.text import plural

from .discovery import Discovery, _default_label

CMAP = "cividis"
BOX_COLOUR = "#0072B2"
FULL_COLOUR = "#BBBBBB"
MARK_COLOUR = "#D55E00"


def _fmt(v: float, span: float) -> str:
    """v to three significant digits of the input's full range (0.00001 on a 0-1 range is 0)."""
    decimals = max(0, 2 - math.floor(math.log10(span))) if span > 0 else 3
    return np.format_float_positional(round(v, decimals), trim="-")


def _label(labels: Mapping[str, str], column: str) -> str:
    """The input's meaning for an axis: a '{}' placeholder (see analysis.discovery.describe)
    is dropped."""
    return " ".join(labels.get(column, _default_label(column)).replace("{}", " ").split())


def _qp(v: float) -> str:
    if math.isnan(v):
        return ""
    return "qp < 0.001" if v < 0.001 else f"qp = {v:.3f}"


# ====================================================================== axes functions


def trajectory(ax, discovery: Discovery):
    """Coverage (x) against density (y) of every step of the peeling trajectory, coloured by the
    number of restricted inputs; the chosen step is ringed and the chosen box (after pasting)
    starred.  Returns the scatter (for a colour bar)."""
    t = discovery.trajectory
    res = t["restricted"].to_numpy()
    top = max(int(res.max()), 1)
    norm = BoundaryNorm(np.arange(-0.5, top + 1.5), colormaps[CMAP].N)
    sc = ax.scatter(t["coverage"], t["density"], c=res, cmap=CMAP, norm=norm, s=18,
                    edgecolors="none", gid="trajectory|steps", zorder=2)
    ax.plot(t["coverage"], t["density"], color="#888888", lw=0.6, zorder=1)
    ax.axhline(discovery.base_rate, color="#888888", ls=":", lw=1)
    ax.annotate("rate over all runs", (0.01, discovery.base_rate), xycoords=("axes fraction", "data"),
                xytext=(0, 3), textcoords="offset points", fontsize=7, color="#555555")
    if discovery.found:
        s = t.loc[t["step"] == discovery.chosen_step].iloc[0]
        ax.scatter([s["coverage"]], [s["density"]], s=110, facecolors="none", edgecolors=MARK_COLOUR,
                   linewidths=1.5, gid="trajectory|start", zorder=3,
                   label=f"chosen step {discovery.chosen_step}")
        ax.scatter([discovery.coverage], [discovery.density], marker="*", s=160, color=MARK_COLOUR,
                   edgecolors="black", linewidths=0.5, gid="trajectory|chosen", zorder=4,
                   label=(f"chosen box: coverage {discovery.coverage:.0%}, density {discovery.density:.0%}"
                          + (f" ({discovery.pasting_steps} pasting steps)" if discovery.pasting_steps else "")))
        ax.legend(loc="lower left", fontsize=7, frameon=False)
    ax.set_xlabel("coverage: share of the outcome's runs inside the box")
    ax.set_ylabel("density: share of the box's runs with the outcome")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    return sc


def box_limits(ax, discovery: Discovery, labels: Mapping[str, str] | None = None) -> None:
    """One row per restricted input of the chosen box: its full range (grey) and the box's range
    (blue), both scaled to the full range; numbers at the ends, quasi-p-values on the right.
    Categorical inputs show one cell per level, the kept levels blue."""
    labels = {**discovery.labels, **(labels or {})}
    rows = discovery.box.to_dict("records")
    n = len(rows)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.6, max(n, 1) - 0.4)
    ax.invert_yaxis()
    ax.set_xticks([])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    if not rows:
        ax.text(0.5, 0, "no box found", ha="center", va="center")
        ax.set_yticks([])
        return
    for i, r in enumerate(rows):
        c = r["input"]
        if r["kind"] == "categorical":
            levels = list(r["all_values"])
            w = 1 / len(levels)
            kept = [lv in r["values"] for lv in levels]
            ax.barh([i] * len(levels), [w] * len(levels), left=np.arange(len(levels)) * w, height=0.5,
                    color=FULL_COLOUR, edgecolor="white", gid=f"box|full|{c}")
            ax.barh([i] * sum(kept), [w] * sum(kept), left=[k * w for k, on in enumerate(kept) if on],
                    height=0.5, color=BOX_COLOUR, edgecolor="white", gid=f"box|range|{c}")
            for k, lv in enumerate(levels):
                ax.text((k + 0.5) * w, i, lv, ha="center", va="center", fontsize=7,
                        color="white" if kept[k] else "black")
        else:
            flo, fhi = r["full_lower"], r["full_upper"]
            span = fhi - flo
            lo = flo if math.isnan(r["lower"]) else r["lower"]
            hi = fhi if math.isnan(r["upper"]) else r["upper"]
            a, b = (lo - flo) / span, (hi - flo) / span
            ax.barh([i], [1.0], left=[0.0], height=0.5, color=FULL_COLOUR, gid=f"box|full|{c}")
            ax.barh([i], [b - a], left=[a], height=0.5, color=BOX_COLOUR, gid=f"box|range|{c}")
            ax.text(0, i + 0.38, _fmt(flo, span), ha="left", va="center", fontsize=7, color="#555555")
            ax.text(1, i + 0.38, _fmt(fhi, span), ha="right", va="center", fontsize=7, color="#555555")
            integer = c in discovery.integer_inputs  # whole numbers: the first / last kept value
            if not math.isnan(r["lower"]):
                text = f"\u2265 {math.ceil(lo)}" if integer else _fmt(lo, span)
                ax.text(a, i - 0.38, text, ha="center", va="center", fontsize=7, color=BOX_COLOUR)
            if not math.isnan(r["upper"]):
                text = f"\u2264 {math.floor(hi)}" if integer else _fmt(hi, span)
                ax.text(b, i - 0.38, text, ha="center", va="center", fontsize=7, color=BOX_COLOUR)
        ax.text(1.03, i, _qp(r["qp"]), ha="left", va="center", fontsize=7, transform=ax.get_yaxis_transform())
    ax.set_yticks(range(n), [_label(labels, r["input"]) for r in rows], fontsize=8)
    ax.set_xlabel("range over all runs (grey) and inside the box (blue)", fontsize=8)


# ====================================================================== figures


def trajectory_figure(discovery: Discovery, title: str | None = None) -> Figure:
    """The peeling trajectory with a colour bar for the number of restricted inputs."""
    fig = Figure(figsize=(6.4, 4.8), layout="constrained")
    ax = fig.subplots()
    sc = trajectory(ax, discovery)
    bar = fig.colorbar(sc, ax=ax, label="restricted inputs")
    top = int(discovery.trajectory["restricted"].max())
    bar.set_ticks(range(0, top + 1, max(1, math.ceil((top + 1) / 10))))
    outcome = discovery.settings.get("outcome", "outcome")
    fig.suptitle(title or f"PRIM peeling trajectory: {outcome} ({plural(discovery.n_runs, 'run')})", fontsize=10)
    return fig


def box_figure(discovery: Discovery, labels: Mapping[str, str] | None = None, title: str | None = None) -> Figure:
    """The chosen box, one row per restricted input."""
    n = max(len(discovery.box), 1)
    fig = Figure(figsize=(7.0, 1.0 + 0.6 * n), layout="constrained")
    ax = fig.subplots()
    box_limits(ax, discovery, labels)
    outcome = discovery.settings.get("outcome", "outcome")
    head = title or (f"Box for {outcome}: coverage {discovery.coverage:.0%}, density {discovery.density:.0%}, "
                     f"mass {discovery.mass:.0%} (rate over all runs {discovery.base_rate:.0%})")
    fig.suptitle(head, fontsize=10)
    return fig
