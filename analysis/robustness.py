"""An answer across structural variants: per-variant differences and one pooled answer whose
interval covers the spread between variants as well as Monte Carlo noise.

Pooling: the pooled difference is the weighted mean of the variants' differences; its 95%
interval is the 2.5% and 97.5% quantiles of the mixture, weighted as the variants are, of each
variant's sampling distribution of the difference (normal, with the half-width of its Newcombe
interval / 1.96 as sd).  With no Monte Carlo noise it spans the variants' own values; with one
variant it is that variant's interval.
"""

from __future__ import annotations

import math

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
    """One row per variant: the difference B - A with its interval; the pooled answer last."""
    sub = table[table["metric"] == metric].reset_index(drop=True)
    fig = Figure(figsize=(8.5, 1.4 + 0.32 * (len(sub) + 1)), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(sub))[::-1] + 1
    d, lo, hi = 100 * sub["difference"], 100 * sub["low"], 100 * sub["high"]
    ax.errorbar(d, y, xerr=[d - lo, hi - d], fmt="o", color="#0072B2", ms=4, capsize=2, gid=f"{metric}|variants")
    p = pooled(sub["difference"], sub["low"], sub["high"], sub.get("weight"))
    ax.errorbar([100 * p.value], [0], xerr=[[100 * (p.value - p.low)], [100 * (p.high - p.value)]], fmt="D",
                color="#D55E00", ms=6, capsize=3, gid=f"{metric}|pooled")
    ax.set_yticks(list(y) + [0], list(sub["variant"]) + ["pooled (spread + noise)"], fontsize=8)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(f"B - A, percentage points of {metric.replace('_', ' ')}")
    ax.set_title(title, fontsize=9, loc="left")
    if math.isfinite(p.value):
        ax.axvline(100 * p.value, color="#D55E00", lw=0.6, ls=":")
    return fig
