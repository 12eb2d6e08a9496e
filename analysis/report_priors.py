"""The report's account of the priors: where the numbers behind the answer come from, and how
much the headline owes to the priors of its drawn inputs (analysis/reweight.py).

- Provenance shares: the share of the scenario's numbers of each class (record, literature,
  elicitation, judgement; sim/scenario.py) among the inputs that drive the answer, weighted by
  a sweep's Sobol total-order indices when one is given (each swept parameter counts with its
  index, a negative estimate as 0), otherwise by count, and the sentence says which.
- The headline side by side under the prior the runs drew from, a uniform prior over the same
  support, and an elicited overlay (the numbers its provenance marks as elicitation), reweighting
  the same runs; the keys reweighted are the overlay's, or without one the three inputs a sweep
  ranks first, or else the one input whose uniform prior moves the answer most.
- One input at a time: the inputs whose uniform prior moves P(agreement by the horizon) most.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sim.distributions import Uniform
from sim.scenario import PROVENANCE_CLASSES

from . import outcomes as oc
from . import reweight as rw
from .report_html import esc, est, table

SWEEP_METRIC = "p_persist"  # the answer's metric: the talks persist (no party at the table walks out)
TOP_SWEPT = 3
ONE_AT_A_TIME = 8
NOT_SET = "schema default"  # a swept parameter the scenario leaves at the schema's default


@dataclass(frozen=True)
class PriorInputs:
    """What the report was given besides the runs: an elicited overlay and a sweep's indices."""

    overlay: object | None = None  # sim.scenario.Scenario
    overlay_label: str = ""
    indices: pd.DataFrame | None = None  # a sweep's indices.parquet
    sweep_label: str = ""


# ------------------------------------------------------------------ provenance in the answer

def provenance_shares(scenario, indices: pd.DataFrame | None = None, metric: str = SWEEP_METRIC
                      ) -> tuple[dict[str, float], str]:
    """Share of each provenance class among the inputs that drive the answer, and how it was weighed."""
    if indices is not None:
        st = indices[(indices["metric"] == metric) & (indices["index"] == "ST")]
        weights = st.set_index("parameter")["value"].clip(lower=0).fillna(0.0)
        if len(weights) and weights.sum() > 0:
            cls = dict(scenario.provenance)
            shares = dict.fromkeys(PROVENANCE_CLASSES, 0.0)
            for param, w in weights.items():
                c = cls.get(param, NOT_SET)
                shares[c] = shares.get(c, 0.0) + w / weights.sum()
            return shares, (f"weighted by the Sobol total-order indices of P(talks persist) over the sweep's "
                            f"{len(weights)} parameters")
    counts = scenario.provenance_counts()
    total = sum(counts.values())
    return ({c: n / total for c, n in counts.items()} if total else {},
            f"by count of its {total} numbers, not weighted by influence; `negsim report --sweep DIR` weights them "
            "by a sweep's total-order indices")


def provenance_sentence(scenario, indices: pd.DataFrame | None = None) -> str:
    shares, how = provenance_shares(scenario, indices)
    order = [c for c in PROVENANCE_CLASSES if c in shares] + sorted(c for c in shares if c not in PROVENANCE_CLASSES)
    parts = ", ".join(f"{c} {100 * shares[c]:.0f}%" for c in order)
    return f"Where the inputs behind {scenario.name}'s answer come from ({how}): {parts}."


# ------------------------------------------------------------------ the prior's weight on the answer

def elicited_priors(overlay) -> dict:
    """The overlay's drawn inputs whose numbers it marks as elicitation."""
    cls = dict(overlay.provenance)
    return {k: p for k, p in rw.drawn_priors(overlay).items() if cls.get(k) == "elicitation"}


def _try(runs, old, new, horizon):
    try:
        return rw.reweight(runs, old, new, horizon), ""
    except rw.ReweightError as exc:
        return None, str(exc)


def one_at_a_time(r: oc.Result, old: dict, horizon: float) -> list[tuple[str, float, rw.Reweighted]]:
    """(key, change in P(agreement by the horizon), result) for each input reweighted alone to a
    uniform prior on its support, largest change first."""
    label = f"P(agreement by day {horizon:g})"
    base = rw.answer(r.runs, None, horizon)[label].value
    out = []
    for key, p in old.items():
        if p.kind == "uniform" or f"input.{key}" not in r.runs.columns:
            continue
        res, _ = _try(r.runs, old, {key: Uniform(*p.support())}, horizon)
        if res is not None:
            out.append((key, res.shares[label].value - base, res))
    return sorted(out, key=lambda x: -abs(x[1]))


def _keys(r: oc.Result, old: dict, given: PriorInputs, ranked) -> tuple[list[str], str]:
    if given.overlay is not None:
        keys = [k for k in elicited_priors(given.overlay) if k in old]
        return keys, f"the inputs {given.overlay_label} elicits"
    if given.indices is not None:
        st = given.indices[(given.indices["metric"] == SWEEP_METRIC) & (given.indices["index"] == "ST")]
        keys = [k for k in st.sort_values("value", ascending=False)["parameter"] if k in old][:TOP_SWEPT]
        if keys:
            return keys, f"the {len(keys)} drawn inputs the sweep ranks first by total-order index"
    return ([ranked[0][0]], "the input whose uniform prior moves P(agreement) most, alone") if ranked else ([], "")


def _side_by_side(r: oc.Result, old: dict, given: PriorInputs, ranked, horizon: float) -> str:
    keys, why = _keys(r, old, given, ranked)
    if not keys:
        return "<p class='note'>No drawn input to reweight in this scenario.</p>"
    cols = [("prior as run", rw.answer(r.runs, None, horizon), None, "")]
    res, err = _try(r.runs, old, {k: Uniform(*old[k].support()) for k in keys}, horizon)
    cols.append(("uniform on the same support", res.shares if res else None, res, err))
    if given.overlay is not None:
        res, err = _try(r.runs, old, {k: p for k, p in elicited_priors(given.overlay).items() if k in keys}, horizon)
        cols.append((f"elicited ({given.overlay_label})", res.shares if res else None, res, err))
    rows = [[label] + [est(s[label].value, s[label].low, s[label].high) if s else "not estimable" for _, s, _, _ in cols]
            for label in rw.answer_metrics(horizon)]
    rows.append(["effective runs (Kish)"] + [f"{len(r.runs):,}" if i == 0 else (f"{x.ess:,.0f}" if x else "-")
                                             for i, (_, _, x, _) in enumerate(cols)])
    notes = [f"{name}: {err}" for name, _, _, err in cols if err]
    notes += [f"{name}: {w}" for name, _, x, _ in cols if x for w in x.warnings]
    return (f"<p>Reweighted: {esc(why)}: {esc(', '.join(keys))}.</p>"
            + table(["", *(c[0] for c in cols)], rows, [False] + [True] * len(cols))
            + "".join(f"<p class='note'>{esc(n)}</p>" for n in notes))


def prior_section(results, given: PriorInputs) -> str:
    """The section 'How much the answer owes to the priors', one block per scenario."""
    parts = ["<h2 id='priors'>How much the answer owes to the priors</h2>",
             "<p class='note'>" + esc(
                 "The same runs reweighted to other priors for some drawn inputs (importance weights: new density over "
                 "old at what each run drew; negsim reweight). Intervals are Wilson's at the effective size of the "
                 "delta-method variance and cover Monte Carlo noise only. A prior that reaches where no run drew "
                 "cannot be reweighted to; rerun the scenario for it. From a triangular to a uniform prior the "
                 "weights grow without bound near the support's ends, so those intervals may be too narrow.") + "</p>"]
    for r in results:
        sc = oc.scenario_of(r.meta)
        horizon = sc.protocol.horizon_days
        old = rw.drawn_priors(sc)
        ranked = one_at_a_time(r, old, horizon)
        parts.append(f"<h3>{esc(r.name)}</h3>")
        parts.append(_side_by_side(r, old, given, ranked, horizon))
        label = f"P(agreement by day {horizon:g})"
        rows = [[k, oc.describe(old[k]), est(x.shares[label].value, x.shares[label].low, x.shares[label].high),
                 f"{100 * d:+.1f} pp", f"{x.ess:,.0f}"] for k, d, x in ranked[:ONE_AT_A_TIME]]
        if rows:
            parts.append(f"<p>One input at a time, uniform on its prior's support (the {len(rows)} of "
                         f"{len(ranked)} non-uniform drawn inputs that move {esc(label)} most; a change inside its "
                         "interval's width is noise, and a sweep ranks inputs better):</p>")
            parts.append(table(["input", "prior as run", f"{label}, uniform prior", "change", "effective runs"], rows,
                               [False, False, True, True, True]))
    return "".join(parts)
