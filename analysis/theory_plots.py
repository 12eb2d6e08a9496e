"""Figures comparing simulated agreements with the theory packages (matplotlib Figure objects,
no pyplot state or backend switch).

Colours are Okabe & Ito's colour-blind-safe palette; the Nash package is a black diamond and
the Kalai-Smorodinsky package an orange cross, so they differ in shape as well as colour.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from sim.codes import Outcome
from storage.text import plural

from .plots import new_figure
from .theory import ScenarioTheory, agreement_distances

BLUE, ORANGE, GREEN, BLACK, SKY = "#0072B2", "#E69F00", "#009E73", "#000000", "#56B4E9"


def _distance_panel(ax, st: ScenarioTheory, runs) -> None:
    clauses = list(st.negotiable)
    n_agree = int((runs["outcome"].astype(str) == Outcome.AGREEMENT).sum())
    if st.nash is None or n_agree == 0 or not clauses:
        why = "no zone of agreement: no Nash package" if st.nash is None else "no agreements in these runs"
        ax.text(0.5, 0.5, why, ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    d_nash = agreement_distances(runs, st.package("nash"), clauses)["distance"].to_numpy()
    d_ks = agreement_distances(runs, st.package("ks"), clauses)["distance"].to_numpy()
    top = max(d_nash.max(), d_ks.max(), 1e-3)
    bins = np.linspace(0.0, top * 1.05, 31)
    ax.hist(d_nash, bins=bins, color=BLUE, alpha=0.75, label="to the Nash package")
    ax.hist(d_ks, bins=bins, histtype="step", color=ORANGE, linewidth=1.6, label="to the KS package")
    med = float(np.median(d_nash))
    ax.axvline(med, color=BLACK, linestyle="--", linewidth=1, label=f"median to Nash: {med:.3f}")
    ax.set_xlabel(f"mean |agreed value - theory value| over the {len(clauses)} negotiable clauses")
    ax.set_ylabel(f"agreements (of {n_agree:,})")
    ax.set_title("Distance of each simulated agreement from theory", fontsize=10)
    ax.legend(fontsize=8)


def _clause_panel(ax, st: ScenarioTheory, runs) -> None:
    clauses = list(st.negotiable)
    agree = runs["outcome"].astype(str) == Outcome.AGREEMENT
    data = [runs.loc[agree, f"value.{c}"].dropna().to_numpy(dtype=float) for c in clauses]
    pos = np.arange(len(clauses))
    if agree.any() and clauses:
        bp = ax.boxplot(data, positions=pos, widths=0.6, whis=(5, 95), showfliers=False, patch_artist=True)
        for box in bp["boxes"]:
            box.set(facecolor=SKY, alpha=0.6, edgecolor=BLUE)
        for med in bp["medians"]:
            med.set(color=BLUE, linewidth=1.5)
    if st.nash is not None:
        nash, ks = st.package("nash"), st.package("ks")
        ax.scatter(pos, [nash[c] for c in clauses], marker="D", s=30, color=BLACK, zorder=3, label="Nash package")
        ax.scatter(pos, [ks[c] for c in clauses], marker="x", s=40, color=ORANGE, zorder=4, label="KS package")
    idx = [st.problem.clauses.index(c) for c in clauses]
    ax.scatter(pos, st.baseline_median[idx], marker="_", s=120, color=GREEN, zorder=2,
               label="baseline (weighted median)")
    ax.set_xticks(pos, clauses, rotation=60, ha="right", fontsize=8)
    ax.set_ylim(-0.03, 1.2)  # headroom for the legend above the unit scale
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel("clause value (0 = status quo, 1 = as drafted)")
    ax.set_xlabel("clause (boxes: simulated agreed values, 25-75%, whiskers 5-95%)")
    ax.set_title("Agreed values per clause against theory", fontsize=10)
    ax.legend(fontsize=7, loc="upper center", ncol=3)


def comparison_figure(items: Sequence[tuple[ScenarioTheory, object]]) -> Figure:
    """One row per scenario: distances of simulated agreements from the Nash (and KS) package,
    and the agreed values per clause with the theory packages marked.  items: (theory, runs)."""
    items = list(items)
    if not items:
        raise ValueError("comparison_figure needs at least one (theory, runs) pair")
    fig, axes = new_figure(len(items), 2, figsize=(14, 4.8 * len(items)), layout="constrained",
                             squeeze=False, gridspec_kw={"width_ratios": [1, 1.6]})
    for (st, runs), (a1, a2) in zip(items, axes):
        _distance_panel(a1, st, runs)
        _clause_panel(a2, st, runs)
        n_agree = int((runs["outcome"].astype(str) == Outcome.AGREEMENT).sum())
        a1.annotate(f"{st.name}: {plural(len(runs), 'run')}, {plural(n_agree, 'agreement')}", xy=(0, 1.12),
                    xycoords="axes fraction", fontsize=11, fontweight="bold")
    names = ", ".join(f"{st.name} ({plural(len(runs), 'run')})" for st, runs in items)
    fig.suptitle(f"Simulated agreements vs the Nash bargaining package at the central calibration: {names}",
                 fontsize=11)
    return fig


def save(fig: Figure, path) -> None:
    fig.savefig(path, dpi=120)
