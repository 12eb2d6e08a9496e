"""Figures of outcome distributions (matplotlib, Agg backend, colour-blind-safe palette)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .stats import Estimate  # noqa: E402

# Okabe & Ito (2008), distinguishable under the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
OUTCOME_COLOURS = {"agreement": "#009E73", "walkout": "#D55E00", "ongoing": "#56B4E9"}


def outcome_bars(ax, summaries: dict[str, dict[str, Estimate]], metrics: list[str]) -> None:
    """Grouped bars: one group per metric, one bar per scenario, 95% intervals as error bars."""
    n = len(summaries)
    width = 0.8 / n
    x = np.arange(len(metrics))
    for k, (name, summary) in enumerate(summaries.items()):
        vals = np.array([summary[m].value for m in metrics]) * 100
        lo = vals - np.array([summary[m].low for m in metrics]) * 100
        hi = np.array([summary[m].high for m in metrics]) * 100 - vals
        ax.bar(x + (k - (n - 1) / 2) * width, vals, width, yerr=[lo, hi], capsize=3,
               color=PALETTE[k % len(PALETTE)], label=name)
    ax.set_xticks(x, [m.replace("walkout by ", "walkout:\n") for m in metrics], fontsize=8)
    ax.set_ylabel("share of runs (%), 95% interval")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=8)
    ax.set_title("Outcome shares")


def cumulative_incidence(runs: pd.DataFrame, outcome: str, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Share of runs that ended in `outcome` by the end of each round 0..horizon.  Every run is
    followed to its end or the horizon, so there is no censoring before the horizon."""
    rounds = runs.loc[runs["outcome"] == outcome, "rounds"].to_numpy()
    t = np.arange(horizon + 1)
    counts = np.bincount(rounds, minlength=horizon + 1)[: horizon + 1]
    return t, np.cumsum(counts) / max(len(runs), 1)


def talks_over_time(ax, runs_by_name: dict[str, pd.DataFrame], horizon: int, round_days: float) -> None:
    """Cumulative incidence of agreement (solid) and walkout (dashed) over the calendar."""
    for k, (name, runs) in enumerate(runs_by_name.items()):
        colour = PALETTE[k % len(PALETTE)]
        for outcome, style in (("agreement", "-"), ("walkout", "--")):
            t, share = cumulative_incidence(runs, outcome, horizon)
            ax.step(t * round_days, share * 100, where="post", linestyle=style, color=colour,
                    label=f"{name}: {outcome}")
    ax.set_xlabel("days since the drafts were published (2021-12-17)")
    ax.set_ylabel("runs ended so far (%)")
    ax.set_ylim(0, 100)
    ax.set_title("How the talks ended, over time")
    ax.legend(fontsize=7)


def rounds_histogram(ax, runs: pd.DataFrame, horizon: int, name: str) -> None:
    bins = np.arange(0.5, horizon + 1.5)
    data = [runs.loc[runs["outcome"] == o, "rounds"].to_numpy() for o in OUTCOME_COLOURS]
    ax.hist(data, bins=bins, stacked=True, color=list(OUTCOME_COLOURS.values()), label=list(OUTCOME_COLOURS))
    ax.set_xlabel("rounds played")
    ax.set_ylabel("runs")
    ax.set_title(f"Length of the talks: {name}")
    ax.legend(fontsize=8)


def run_figure(name: str, runs: pd.DataFrame, summary: dict[str, Estimate], metrics: list[str],
               horizon: int) -> Figure:
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
    outcome_bars(a1, {name: summary}, metrics)
    rounds_histogram(a2, runs, horizon, name)
    fig.suptitle(f"{name}: {len(runs):,} runs")
    return fig


def compare_figure(runs_by_name: dict[str, pd.DataFrame], summaries: dict[str, dict[str, Estimate]],
                   metrics: list[str], horizon: int, round_days: float) -> Figure:
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(13, 4.8), layout="constrained")
    outcome_bars(a1, summaries, metrics)
    talks_over_time(a2, runs_by_name, horizon, round_days)
    n = ", ".join(f"{k} ({len(v):,} runs)" for k, v in runs_by_name.items())
    fig.suptitle(f"{n}")
    return fig


def save(fig: Figure, path) -> None:
    fig.savefig(path, dpi=120)
    plt.close(fig)
