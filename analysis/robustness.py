"""An answer across structural variants: per-variant differences, the shipped model's sign and
how many variants share it, and a spread over the chosen variants.

The spread is not a probability over models: it is a mixture over the variants someone chose to
write down, weighted as the variants file says (`weight`, default 1).  Its centre is the
weighted mean of the variants' differences; its 95% range is the 2.5% and 97.5% quantiles of the
weighted mixture of each variant's sampling distribution of the difference (normal, with the
half-width of its interval / 1.96 as sd: paired where the runs share draws).  With no Monte Carlo
noise it spans the variants' own values; with one variant it is that variant's interval.

A variant in which an outcome never happens in either scenario (no walkout can fire, no package
can be signed) says nothing about the difference in that outcome: its 0 - 0 is construction,
not an answer, so it is reported apart and left out of the spread (`never_happens`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import optimize, stats

from .stats import Estimate


def pooled(values, lows, highs, weights=None) -> Estimate:
    """The pooled difference and its 95% mixture interval (module doc)."""
    v, lo, hi = (np.asarray(x, dtype=float) for x in (values, lows, highs))
    w = np.ones_like(v) if weights is None else np.asarray(weights, dtype=float)
    if len(v) == 0 or not np.isfinite(v).all() or (w <= 0).any():
        raise ValueError("pooling needs at least one variant, finite differences and positive weights")
    w = w / w.sum()
    sd = np.maximum((hi - lo) / (2 * 1.959963984540054), 0.0)

    def cdf(x: float) -> float:
        exact = np.where(sd > 0, 0.0, (v <= x).astype(float))
        smooth = np.where(sd > 0, stats.norm.cdf((x - v) / np.where(sd > 0, sd, 1.0)), 0.0)
        return float((w * (exact + smooth)).sum())

    span = (float((v - 6 * sd).min()) - 1e-9, float((v + 6 * sd).max()) + 1e-9)

    def quantile(q: float) -> float:
        if (sd == 0).all():  # a step function: the smallest value whose cumulative weight reaches q
            order = np.argsort(v)
            return float(v[order][np.searchsorted(np.cumsum(w[order]), q - 1e-12)])
        return float(optimize.brentq(lambda x: cdf(x) - q, *span, xtol=1e-10))

    return Estimate(float((w * v).sum()), quantile(0.025), quantile(0.975))


def sign_counts(values, lows, highs) -> dict[str, int]:
    """How many variants give a positive, negative or zero-straddling difference."""
    v, lo, hi = (np.asarray(x, dtype=float) for x in (values, lows, highs))
    return {"positive": int((v > 0).sum()), "negative": int((v < 0).sum()), "zero": int((v == 0).sum()),
            "above_zero": int((lo > 0).sum()), "below_zero": int((hi < 0).sum()), "variants": len(v)}


def forest(table: pd.DataFrame, metric: str, title: str) -> Figure:
    """One row per variant: the difference B - A with its interval (hollow: left out of the
    spread, see the module doc); the spread over the chosen variants last."""
    sub = table[table["metric"] == metric].reset_index(drop=True)
    inside = sub["in_spread"].to_numpy(bool) if "in_spread" in sub else np.ones(len(sub), bool)
    fig = Figure(figsize=(8.5, 1.4 + 0.32 * (len(sub) + 1)), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(sub))[::-1] + 1
    d, lo, hi = 100 * sub["difference"], 100 * sub["low"], 100 * sub["high"]
    for mask, face, gid in ((inside, "#0072B2", "variants"), (~inside, "white", "apart")):
        if mask.any():
            ax.errorbar(d[mask], y[mask], xerr=[(d - lo)[mask], (hi - d)[mask]], fmt="o", color="#0072B2", mfc=face,
                        ms=4, capsize=2, gid=f"{metric}|{gid}")
    labels = list(sub["variant"])
    if inside.any():
        s = sub[inside]
        p = pooled(s["difference"], s["low"], s["high"], s.get("weight"))
        ax.errorbar([100 * p.value], [0], xerr=[[100 * (p.value - p.low)], [100 * (p.high - p.value)]], fmt="D",
                    color="#D55E00", ms=6, capsize=3, gid=f"{metric}|pooled")
        if math.isfinite(p.value):
            ax.axvline(100 * p.value, color="#D55E00", lw=0.6, ls=":")
    ax.set_yticks(list(y) + [0], labels + ["spread over the chosen variants"], fontsize=8)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(f"B - A, percentage points of {metric.replace('_', ' ')} (hollow: apart, not in the spread)")
    ax.set_title(title, fontsize=9, loc="left")
    return fig


@dataclass(frozen=True)
class Never:
    """An outcome that no run of either scenario reached under a variant."""

    variant: str
    outcome: str  # "agreement" or "walkout"
    runs: int  # runs per scenario
    why: str  # the rule that forbids it (sim.diagnostics), or that no static check names one

    def line(self) -> str:
        return f"{self.variant}: no {self.outcome} in any of {self.runs:,} runs of either scenario; {self.why}"


def never_happens(variant: str, counts_a: dict, counts_b: dict, runs: int, forbidden_a: dict,
                  forbidden_b: dict) -> list[Never]:
    """The outcomes (agreement, walkout by the horizon) that no run of either scenario reached
    under a variant, each with why.  counts: runs ending each way by the horizon; forbidden: what
    sim.diagnostics.impossible says each variant scenario cannot produce, by construction."""
    out = []
    for outcome in ("agreement", "walkout"):
        if counts_a[outcome] or counts_b[outcome]:
            continue
        if outcome in forbidden_a and outcome in forbidden_b:
            said = list(dict.fromkeys((forbidden_a[outcome], forbidden_b[outcome])))
            why = "by construction (sim.diagnostics): " + "; ".join(said)
        else:
            why = ("no rule check (sim.diagnostics) forbids it before any run: it comes from how the variant's rules "
                   "play out (its reason says what it changes)")
        out.append(Never(variant, outcome, runs, why))
    return out


def excluded_metrics(nevers: list[Never]) -> set[str]:
    """Metric families a variant's nevers take out of the spread: no agreement takes agreement;
    no walkout takes walkout and talks persisting (100% in both)."""
    out = set()
    for n in nevers:
        out |= {"agreement"} if n.outcome == "agreement" else {"walkout", "persist"}
    return out


def shipped_sign(shipped: tuple[float, float, float], values, lows, highs) -> dict:
    """The sign of the shipped model's difference (value, low, high) and how many of the other
    variants share it: the same sign of the point estimate, and clear of zero on the same side."""
    v, lo, hi = (np.asarray(x, dtype=float) for x in (values, lows, highs))
    s = float(np.sign(shipped[0]))
    sign = "positive" if s > 0 else "negative" if s < 0 else "zero"
    clear = int((lo > 0).sum()) if s > 0 else int((hi < 0).sum()) if s < 0 else 0
    return {"sign": sign, "same": int((np.sign(v) == s).sum()), "clear": clear, "others": len(v),
            "shipped_clear": bool(shipped[1] > 0 or shipped[2] < 0)}
