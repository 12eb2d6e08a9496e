"""Two scenarios under structural variants (`negsim robust`, `negsim.api.robust`): each variant of a
variants file applied to both (experiments.variants), both run on the same seeds, and per variant,
day and metric the shares of A and B and B - A, paired when the variant's runs share draws
(analysis.pairing).  A variant in which an outcome never happens in either scenario is set apart
(analysis.robustness.never_happens) and left out of that outcome's spread."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from analysis import stats
from analysis.metrics import PERSIST, hits
from analysis.pairing import Draws, Pairing
from analysis.robustness import Never, excluded_metrics, never_happens
from analysis.study import HALF_YEAR_DAY, TALKS_ENDED_DAY
from sim.diagnostics import impossible
from sim.engine import Compiled

from .runner import batches
from .variants import Variant, apply

WHAT = ("agreement", "walkout", "persist")  # metric families, named in the table as <what>_by_<day>


@dataclass(frozen=True)
class Robustness:
    table: pd.DataFrame  # one row per variant, day and metric (columns: see _variant_rows)
    shipped: str  # the variant with no changes: the shipped model
    nevers: list[Never]  # outcomes no run reached in either scenario under a variant
    unpaired: list[str]  # variants whose runs did not share draws, with why


def ended(played) -> tuple[np.ndarray, np.ndarray]:
    """Outcome codes and end days of a scenario's runs (its Batches, in run order)."""
    return (np.concatenate([b.outcome for b in played]), np.concatenate([b.layout.end_day(b.rounds) for b in played]))


def variant_rows(v: Variant, horizon: float, ends_a, ends_b, pairing: Pairing, n: int) -> list[dict]:
    """Per day and metric: A, B (Wilson) and B - A (paired when the runs pair)."""
    rows = []
    for day, day_label in ((TALKS_ENDED_DAY, f"day_{TALKS_ENDED_DAY}"), (HALF_YEAR_DAY, f"day_{HALF_YEAR_DAY}"),
                           (horizon, "horizon")):
        for what in WHAT:
            name = PERSIST if what == "persist" else what
            ha, hb = (hits(name, o, days=d, day=day) for o, d in (ends_a, ends_b))
            ea, eb = stats.proportion(int(ha.sum()), n), stats.proportion(int(hb.sum()), n)
            d = pairing.proportion(ha, hb)
            rows.append({"variant": v.name, "weight": v.weight, "reason": v.reason, "day": float(day),
                         "metric": f"{what}_by_{day_label}", "a": ea.value, "a_low": ea.low,
                         "a_high": ea.high, "b": eb.value, "b_low": eb.low, "b_high": eb.high,
                         "difference": d.estimate.value, "low": d.estimate.low, "high": d.estimate.high,
                         "paired": d.paired, "method": d.method})
    return rows


def robustness(sa, sb, variants, runs: int, seed: int, progress: Callable[[int], None] = lambda n: None) -> Robustness:
    """A and B under every variant (module doc).  Without a variant that changes nothing, the
    scenarios as shipped are added as the reference ('as shipped', weight 0: not in the spread)."""
    variants = tuple(variants)
    shipped = next((v.name for v in variants if not v.changes), None)
    if shipped is None:
        variants = (Variant("as shipped", (), "the scenarios as shipped (added: the variants file has no empty "
                                               "variant)", "", 0.0),) + variants
        shipped = "as shipped"
    rows, nevers, unpaired = [], [], []
    for v in variants:
        va, vb = apply(sa, v.changes, v.name), apply(sb, v.changes, v.name)
        ends = []
        for sc in (va, vb):
            ends.append(ended(list(batches(sc, runs, seed))))
            progress(runs)
        pairing = Pairing(*(Draws(seed, Compiled.from_scenario(sc).plan.n_uniforms, np.arange(runs)) for sc in (va, vb)))
        if not pairing.paired:
            unpaired.append(f"{v.name} ({pairing.because})")
        rows += variant_rows(v, max(va.protocol.horizon_days, vb.protocol.horizon_days), ends[0], ends[1], pairing,
                              runs)
        counts = [{m: int(hits(m, o).sum()) for m in ("agreement", "walkout")} for o, _ in ends]
        if not all(c["agreement"] for c in counts) or not all(c["walkout"] for c in counts):
            nevers += never_happens(v.name, counts[0], counts[1], runs, impossible(va), impossible(vb))
    table = pd.DataFrame(rows)
    apart = {}
    for nv in nevers:
        apart.setdefault(nv.variant, set()).update(excluded_metrics([nv]))
    table["in_spread"] = [(r.variant != shipped or r.weight > 0) and r.metric.split("_by_")[0] not in apart.get(r.variant, ())
                          for r in table.itertuples()]
    return Robustness(table, shipped, nevers, unpaired)
