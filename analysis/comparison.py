"""Scenarios against the first, as one long table: every share by the horizon and the shares of
agreement, walkout and talks persisting by given days, each with B - A (paired when the runs share
draws, analysis.pairing).  `negsim compare` prints it, `--json` writes it, `negsim.api.compare`
returns it."""

from __future__ import annotations

import pandas as pd

from .metrics import PERSIST, hits
from .stats import proportion

OVER_TIME = ("agreement", "walkout", PERSIST)

COLUMNS = {
    "a": "the first scenario (A)", "b": "the scenario set against it (B)",
    "metric": "the share (analysis.metrics: agreement, talks persist, walkout, walkout by <actor>, ongoing)",
    "day": "by which day (days after 17 Dec 2021); the horizon's day for shares by the horizon",
    "by_horizon": "true: the share by the horizon",
    "share_a": "share in A", "share_a_low": "Wilson 95% bound", "share_a_high": "Wilson 95% bound",
    "share_b": "share in B", "share_b_low": "Wilson 95% bound", "share_b_high": "Wilson 95% bound",
    "difference": "B - A", "low": "95% bound of B - A", "high": "95% bound of B - A",
    "method": "the interval of B - A", "paired": "true: run i of A against run i of B (the same draws)",
    "unpaired_because": "why not paired (empty when paired)",
}


def comparison_table(names, runs, pairings, metrics, days, horizon: float) -> pd.DataFrame:
    """names, runs (tables with outcome, walkout_by, days), pairings (pairings[k]: the first
    against scenario k; pairings[0] unused); metrics: shares by the horizon; days: the days for
    agreement, walkout and talks persisting over time.  One row per B, metric and day (COLUMNS)."""
    rows = []
    for k in range(1, len(runs)):
        a, b, pairing = runs[0], runs[k], pairings[k]
        cols = [(t["outcome"].to_numpy(), t["walkout_by"].to_numpy(), t["days"].to_numpy()) for t in (a, b)]
        todo = [(m, None) for m in metrics] + [(m, d) for m in OVER_TIME for d in days]
        for metric, day in todo:
            ha, hb = (hits(metric, o, w, d, day) for o, w, d in cols)
            ea, eb = proportion(int(ha.sum()), ha.size), proportion(int(hb.sum()), hb.size)
            diff = pairing.proportion(ha, hb)
            rows.append({"a": names[0], "b": names[k], "metric": metric, "day": float(horizon if day is None else day),
                         "by_horizon": day is None, "share_a": ea.value, "share_a_low": ea.low, "share_a_high": ea.high,
                         "share_b": eb.value, "share_b_low": eb.low, "share_b_high": eb.high,
                         "difference": diff.estimate.value, "low": diff.estimate.low, "high": diff.estimate.high,
                         "method": diff.method, "paired": diff.paired, "unpaired_because": diff.unpaired_because or ""})
    return pd.DataFrame(rows, columns=list(COLUMNS))
