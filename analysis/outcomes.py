"""What the runs agreed on, who gave ground, and what blocked agreement.

Inputs are a per-run table and its metadata (`storage.resultsfile.read_runs`).  Preferences come
from the scenario the metadata stores (`meta["scenario_resolved"]`), rebuilt through the one
loader (`scenario_of`); a number drawn from a distribution is summarised by its central value
(`Param.central`: uniform midpoint, triangular mode, truncnormal mean clipped to its bounds,
beta a/(a+b) rescaled), which is what `sim.params.central_params` uses too.  The run table does not hold the per-run draws of ideal
points, saliences and red lines, so everything measured against them here is measured against
the central calibration and says so.

Conventions
- Agreed values are read only from runs that ended in agreement (they are NaN otherwise).
- Concession of actor a on clause c in an agreement: |agreed_c - ideal_a,c|.  Its signed version
  `toward_others` is positive when the agreed value lies on the other parties' side of a's ideal
  (a gave ground), negative when it lies beyond a's ideal away from them (a gained); "the other
  parties' side" is the direction of the mean central ideal of the other parties at the table
  that hold a preference on c.
- Blocking: the run table names, for each walkout, who left (walkout_by), by which rule
  (walkout_rule) and the clause with the largest salience-weighted shortfall from the walker's
  ideal in the best offer it received (shortfall; sim/kernel/rounds.py walk_out).  What kept that clause
  short of the walker's ideal is derived here from the scenario: the agenda (the clause off the
  table or capped), else the red lines of the other parties at the table that lie between the
  status quo side and the walker's ideal (central values), else no red line (the others' offers
  traded it away for other clauses).  Runs still talking at the horizon have no blocking record:
  nobody walked out, so nothing is attributed to them.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from sim import schema
from sim.codes import Outcome
from sim.distributions import DIST_FIELDS, Fixed
from sim.scenario import scenario_from_document
from storage.manifest import verify_listed
from storage.resultsfile import read_runs, read_trace
from storage.text import plural, term_line

from . import stats
from .metrics import share_names
from .pairing import differences

# ------------------------------------------------------------------ one scenario's results


@dataclass
class Result:
    """One scenario's results: the per-run table, its metadata and (if written) its trace."""

    runs: pd.DataFrame
    meta: dict
    trace: pd.DataFrame | None = None
    path: str = ""

    @property
    def name(self) -> str:
        return str(self.meta.get("scenario", "scenario"))

    @property
    def n(self) -> int:
        return len(self.runs)

    @property
    def protocol(self) -> dict:
        return (self.meta.get("scenario_resolved") or {}).get("protocol", {})

    @property
    def horizon(self) -> int:
        """Meetings up to the horizon, as the run counted them (the stored scenario, rebuilt)."""
        return scenario_of(self.meta).protocol.horizon

    @property
    def round_days(self) -> float:
        return float(self.protocol.get("round_days", 7))

    @property
    def calendar(self):
        """The day of every meeting, as the run held them (Protocol.calendar)."""
        return scenario_of(self.meta).protocol.calendar()

    @property
    def listed_meetings(self) -> bool:
        """The scenario lists meeting days (a calendar of record) instead of a fixed interval."""
        return bool(scenario_of(self.meta).protocol.meeting_days)

    @property
    def label(self) -> str:
        """'<scenario> (<n> runs)', for titles."""
        return f"{self.name} ({plural(self.n, 'run')})"


def trace_path(runs_path: str | Path) -> Path:
    """Where `negsim run/compare --trace` puts the trace of a runs file: runs_X.parquet ->
    trace_X.parquet, runs.parquet -> trace.parquet (same folder)."""
    p = Path(runs_path)
    if not p.name.startswith("runs"):
        raise ValueError(f"{p}: a runs file is named runs.parquet or runs_<scenario>.parquet")
    return p.with_name("trace" + p.name[len("runs"):])


def load(path: str | Path, trace: bool | None = None) -> Result:
    """Read a runs file (and its trace: trace=True requires it, None reads it if present,
    False skips it).  Truncated, damaged, foreign or malformed files raise ResultsFileError (a
    ValueError).  In a folder with a manifest, only the files it lists are read: a trace left
    there by another command is never picked up, and a trace must match its runs file's
    scenario, seed and number of runs."""
    runs, meta = read_runs(path)
    tr = None
    if trace is not False:
        tp = trace_path(path)
        if tp.exists() and verify_listed(tp, required=False):
            tr, _ = read_trace(tp, runs_meta=meta)
        elif trace:
            raise ValueError(f"{term_line(path)}: no trace file beside it ({term_line(tp.name)}); rerun with --trace")
    return Result(runs, meta, tr, str(path))


# ------------------------------------------------------------------ scenario document helpers


def scenario_of(meta: Mapping):
    """The scenario a results file was run with, rebuilt from the merged document it stores
    through the one loader (sim.scenario), so it reads exactly as the run read it."""
    return _scenario(json.dumps(meta["scenario_resolved"]), str(meta.get("scenario", "scenario")))


@functools.lru_cache(maxsize=16)
def _scenario(document: str, name: str):
    return scenario_from_document(json.loads(document), f"{name} (stored in the results file)")


def describe(value: Any) -> str:
    """A scenario number as text: '0.3', 'triangular(0.1, 0.3, 0.5)', 'uniform(0.5, 0.6)'; lists
    and other values as written."""
    if value is None:
        return ""
    if isinstance(value, Fixed):
        return f"{value.value:g}"
    if getattr(value, "kind", None) == "mixture":
        return f"mixture({', '.join(f'{w:.3g} {describe(c)}' for w, c in zip(value.weights, value.components))})"
    if hasattr(value, "kind") and value.kind in DIST_FIELDS:
        return f"{value.kind}({', '.join(f'{getattr(value, k):g}' for k in DIST_FIELDS[value.kind])})"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(describe(v) for v in value)
    return str(value)


def clauses_of(runs: pd.DataFrame) -> list[str]:
    """Clause ids in the run table's (layout) order."""
    return [c.removeprefix("value.") for c in runs.columns if c.startswith("value.")]


def actors_of(runs: pd.DataFrame) -> list[str]:
    """Every actor of the scenario, in the run table's (layout) order."""
    return [c.removeprefix("utility.") for c in runs.columns if c.startswith("utility.")]


def table_actors(runs: pd.DataFrame) -> list[str]:
    """Actors at the table (required parties): the run table holds their outside-option draws."""
    return [c.removeprefix("outside_option.") for c in runs.columns if c.startswith("outside_option.")]


def agenda(meta: Mapping) -> dict[str, float]:
    """Upper bound each clause may take under the scenario's agenda: 0 off the table, the cap if
    capped, 1 otherwise."""
    sc = scenario_of(meta)
    return {c: sc.agenda.upper(c) for c in sc.clause_ids}


def agenda_label(upper: float) -> str:
    return "off" if upper <= 0 else "open" if upper >= 1 else f"capped at {upper:g}"


PREFERENCE_COLUMNS = ["actor", "clause", "ideal", "salience", "red_line_above", "red_line_below",
                      "ideal_text", "salience_text", "red_line_text", "source"]


def preferences(meta: Mapping) -> pd.DataFrame:
    """One row per (actor, clause) the scenario gives a preference: central ideal, salience and
    red lines (NaN when none; a distribution's central value, `Param.central`), each as written
    (`*_text`), and the source that covers it."""
    sc = scenario_of(meta)
    sources = dict(sc.sources)
    rows = []
    demands = {d.id: d for d in sc.demands}
    for a in sc.actors:
        shared = {c: (did, s, len(demands[did].clauses)) for did, s in a.demand_saliences for c in demands[did].clauses}
        for c, p in a.prefs:
            lines = [f"{k} {describe(v)}" for k, v in (("above", p.above), ("below", p.below)) if v is not None]
            if p.salience is None:  # its share of a demand salience
                did, s, n = shared[c]
                salience, salience_text = s.central() / n, f"{describe(s)} / {n} (demand {did})"
            else:
                salience, salience_text = p.salience.central(), describe(p.salience)
            rows.append({
                "actor": a.id, "clause": c, "ideal": p.ideal.central(), "salience": salience,
                "red_line_above": p.above.central() if p.above is not None else math.nan,
                "red_line_below": p.below.central() if p.below is not None else math.nan,
                "ideal_text": describe(p.ideal), "salience_text": salience_text, "red_line_text": "; ".join(lines),
                "source": sources.get(f"actors.{a.id}.clauses.{c}", sources.get(f"actors.{a.id}", "")),
            })
    return pd.DataFrame(rows, columns=PREFERENCE_COLUMNS)


def actor_settings(meta: Mapping) -> pd.DataFrame:
    """One row per actor: the scenario's actor-level assumptions as the run read them, and their source."""
    sc = scenario_of(meta)
    sources = dict(sc.sources)
    rows = []
    for a in sc.actors:
        row = {"actor": a.id, "name": a.name}
        for f in schema.drawn_fields("actors.*"):
            holder = a.strategy if f.parent == "actors.*.strategy" else a
            row[f.path.removeprefix("actors.*.")] = describe(getattr(holder, f.key))
        row["strategy"] = a.strategy.kind
        row.update(offer=a.offer, walkout=describe(a.walkout), pace_memory_days=describe(a.pace_memory_days),
                   consent_clauses=describe(a.consent_clauses),
                   weighs_on=", ".join(f"{k} {w:g}" for k, w in a.weighs_on), bloc=a.bloc or "")
        row["source"] = sources.get(f"actors.{a.id}", "")
        rows.append(row)
    return pd.DataFrame(rows)


def ideals(meta: Mapping, clauses: Sequence[str], actors: Sequence[str]) -> pd.DataFrame:
    """Central ideal points, actor x clause (NaN where the actor holds no preference)."""
    prefs = preferences(meta)
    wide = prefs.pivot(index="actor", columns="clause", values="ideal") if len(prefs) else pd.DataFrame()
    return wide.reindex(index=list(actors), columns=list(clauses))


# ------------------------------------------------------------------ outcomes


def endings(runs: pd.DataFrame) -> pd.DataFrame:
    """How the talks ended: agreement, each (walker, rule) pair, still talking at the horizon;
    count, share of runs and its Wilson 95% interval."""
    n = len(runs)
    o = runs["outcome"].astype(str)
    keys = [("agreement", o == Outcome.AGREEMENT)]
    w = runs[o == Outcome.WALKOUT]
    pairs = w.groupby([w["walkout_by"].astype(str), w["walkout_rule"].astype(str)], observed=True).size()
    for (who, rule), _ in pairs.sort_values(ascending=False).items():
        mask = (o == Outcome.WALKOUT) & (runs["walkout_by"].astype(str) == who) & (runs["walkout_rule"].astype(str) == rule)
        keys.append((f"walkout by {who} ({rule.replace('_', ' ')})", mask))
    keys.append(("still talking at the horizon", o == Outcome.ONGOING))
    rows = []
    for label, mask in keys:
        k = int(mask.sum())
        e = stats.proportion(k, n)
        rows.append({"ending": label, "runs": k, "share": e.value, "low": e.low, "high": e.high})
    return pd.DataFrame(rows)


def clause_values(runs: pd.DataFrame, meta: Mapping) -> pd.DataFrame:
    """Per clause, over the runs that ended in agreement: the agenda, the number of agreements,
    the median agreed value with its 95% interval (order statistics), the quartiles, the mean,
    and the share of agreements at the status quo (value 0)."""
    upper = agenda(meta)
    agreed = runs[runs["outcome"].astype(str) == Outcome.AGREEMENT]
    rows = []
    for c in clauses_of(runs):
        v = agreed[f"value.{c}"].dropna().to_numpy(dtype=float)
        med = stats.median(v)
        rows.append({
            "clause": c, "agenda": agenda_label(upper.get(c, 1.0)), "agreements": len(v),
            "median": med.value, "median_low": med.low, "median_high": med.high,
            "q25": float(np.quantile(v, 0.25)) if len(v) else math.nan,
            "q75": float(np.quantile(v, 0.75)) if len(v) else math.nan,
            "mean": float(v.mean()) if len(v) else math.nan,
            "at_status_quo": float((v <= 1e-9).mean()) if len(v) else math.nan,
        })
    return pd.DataFrame(rows)


def clause_distribution(runs: pd.DataFrame, bins: int = 10, clauses: Sequence[str] | None = None) -> pd.DataFrame:
    """Clause x agreed-value bin: the share of agreements whose value of the clause falls in the
    bin.  `bins` equal bins over [0, 1] (the last one closed); the columns are the bin centres
    and `attrs` holds the edges and the number of agreements."""
    clauses = list(clauses) if clauses is not None else clauses_of(runs)
    edges = np.arange(bins + 1) / bins  # k / bins is exactly the decimal edge (0.6, not 0.6000000000000001)
    agreed = runs[runs["outcome"].astype(str) == Outcome.AGREEMENT]
    n = len(agreed)
    data = np.zeros((len(clauses), bins))
    for i, c in enumerate(clauses):
        v = agreed[f"value.{c}"].dropna().to_numpy(dtype=float)
        if len(v):
            counts, _ = np.histogram(np.clip(v, 0, 1), bins=edges)
            data[i] = counts / len(v)
    out = pd.DataFrame(data, index=pd.Index(clauses, name="clause"),
                       columns=np.round((edges[:-1] + edges[1:]) / 2, 6))
    out.attrs["edges"] = edges
    out.attrs["agreements"] = n
    return out


def concessions(runs: pd.DataFrame, meta: Mapping, actors: Sequence[str] | None = None) -> pd.DataFrame:
    """Per (actor, clause), over agreements: how far the agreed value lies from the actor's
    central ideal.  Columns: actor, clause, ideal, agreements, median concession with its 95%
    interval, quartiles, mean, the median signed concession `toward_others` (see the module
    doc), and the share of agreements in which the actor gave no ground (agreed value at its
    ideal or beyond it away from the others).  One extra row per actor, clause "all (weighted)",
    is the salience-weighted sum over its clauses (central saliences normalised to 1).  Clauses
    off the table are left out of both: nobody conceded them, the agenda held them at 0."""
    actors = list(actors) if actors is not None else table_actors(runs)
    clauses = clauses_of(runs)
    prefs = preferences(meta)
    prefs = prefs[prefs["clause"].isin(clauses)]
    agreed = runs[runs["outcome"].astype(str) == Outcome.AGREEMENT]
    upper = agenda(meta)
    at_table = table_actors(runs)
    rows = []
    for a in actors:
        mine = prefs[prefs["actor"] == a].set_index("clause")
        if mine.empty:
            continue
        sal = mine["salience"].fillna(0.0)
        sal = sal / sal.sum() if sal.sum() > 0 else sal
        weighted = np.zeros(len(agreed))
        for c in [c for c in clauses if c in mine.index and upper.get(c, 1.0) > 0]:
            p = float(mine.at[c, "ideal"])
            x = agreed[f"value.{c}"].to_numpy(dtype=float)
            others = prefs[(prefs["clause"] == c) & (prefs["actor"] != a) & prefs["actor"].isin(at_table)]
            target = float(others["ideal"].mean()) if len(others) else math.nan
            direction = 0.0 if math.isnan(target) or target == p else math.copysign(1.0, target - p)
            gap = np.abs(x - p)
            weighted += float(sal.get(c, 0.0)) * gap
            rows.append(_concession_row(a, c, p, gap, (x - p) * direction if direction else gap,
                                        direction, agenda_label(upper.get(c, 1.0))))
        rows.append(_concession_row(a, "all (weighted)", math.nan, weighted, weighted, 0.0, ""))
    return pd.DataFrame(rows)


def _concession_row(actor, clause, ideal, gap, signed, direction, agenda_status) -> dict:
    med = stats.median(gap)
    n = len(gap)
    return {
        "actor": actor, "clause": clause, "agenda": agenda_status, "ideal": ideal, "agreements": n,
        "median": med.value, "median_low": med.low, "median_high": med.high,
        "q25": float(np.quantile(gap, 0.25)) if n else math.nan,
        "q75": float(np.quantile(gap, 0.75)) if n else math.nan,
        "mean": float(gap.mean()) if n else math.nan,
        "toward_others": float(np.median(signed)) if n else math.nan,
        "no_ground_given": float((signed <= 1e-9).mean()) if n and direction else math.nan,
    }


def constraint(meta: Mapping, clause: str, walker: str, others: Sequence[str]) -> str:
    """What kept `clause` short of `walker`'s ideal, from the scenario (central values): the
    agenda, else the other parties' red lines between the status quo side and the ideal."""
    return _constraint_parts(meta, clause, walker, others)[2]


def _constraint_parts(meta: Mapping, clause: str, walker: str, others: Sequence[str]) -> tuple[str, tuple, str]:
    """(kind, actors, detail) of `constraint`: the kind in a few words ("off the table", "red
    lines"), the actors whose red lines are in the way, and the detail with each red line's value."""
    upper = agenda(meta).get(clause, 1.0)
    prefs = preferences(meta)
    mine = prefs[(prefs["actor"] == walker) & (prefs["clause"] == clause)]
    if mine.empty:
        return "walker has no preference", (), "walker has no preference on it"
    p = float(mine["ideal"].iloc[0])
    if p > upper + 1e-9:
        if upper <= 0:
            return "off the table", (), "agenda: off the table (held at 0)"
        return f"capped at {upper:g}", (), f"agenda: capped at {upper:g}"
    rl = prefs[(prefs["clause"] == clause) & prefs["actor"].isin([o for o in others if o != walker])]
    hits = []
    for _, r in rl.iterrows():
        if not math.isnan(r["red_line_above"]) and r["red_line_above"] < p - 1e-9:
            hits.append((r["red_line_above"], r["actor"], f"{r['actor']} (above {r['red_line_above']:.2g})"))
        if not math.isnan(r["red_line_below"]) and r["red_line_below"] > p + 1e-9:
            hits.append((-r["red_line_below"], r["actor"], f"{r['actor']} (below {r['red_line_below']:.2g})"))
    if not hits:
        return "no red line in the way", (), "no red line in the way (traded off)"
    hits.sort()
    return "red lines", tuple(a for _, a, _ in hits), "red line of " + ", ".join(h for _, _, h in hits)


def demand_clauses(meta: Mapping, demand: str) -> list[str]:
    """The clauses of a demand (a clause id names a demand of its own)."""
    for d in scenario_of(meta).demands:
        if d.id == demand:
            return list(d.clauses)
    return [demand]


def _demand_agenda(upper: Mapping[str, float], clauses: Sequence[str]) -> str:
    return ", ".join(dict.fromkeys(agenda_label(upper.get(c, 1.0)) for c in clauses))


def _demand_constraint(meta: Mapping, clauses: Sequence[str], walker: str, others: Sequence[str]) -> str:
    if len(clauses) == 1:
        return constraint(meta, clauses[0], walker, others)
    return "; ".join(f"{c}: {constraint(meta, c, walker, others)}" for c in clauses)


def _demand_held_by(meta: Mapping, clauses: Sequence[str], walker: str, others: Sequence[str]) -> str:
    """What kept a demand's clauses short, in a few words: each kind once, red lines with the
    actors that hold them on any of the clauses ("red lines of us, nato; off the table")."""
    kinds: dict[str, dict] = {}
    for c in clauses:
        kind, actors, _ = _constraint_parts(meta, c, walker, others)
        kinds.setdefault(kind, {}).update(dict.fromkeys(actors))
    return "; ".join(f"{k} of {', '.join(a)}" if a else k for k, a in kinds.items())


def blocking(runs: pd.DataFrame, meta: Mapping) -> pd.DataFrame:
    """What blocked agreement, one row per (walker, rule, blocking clause) among walkouts, most
    frequent first: runs, share of walkouts, share of all runs with its Wilson interval, the
    clause's agenda status, and what kept the clause short of the walker's ideal (`constraint`,
    and in a few words `held_by`).
    A last row counts the runs still talking at the horizon, which have no blocking record."""
    n = len(runs)
    o = runs["outcome"].astype(str)
    w = runs[o == Outcome.WALKOUT]
    at_table = table_actors(runs)
    upper = agenda(meta)
    rows = []
    if len(w):
        g = w.groupby([w["walkout_by"].astype(str), w["walkout_rule"].astype(str), w["shortfall"].astype(str)],
                      observed=True).size().sort_values(ascending=False, kind="stable")
        for (who, rule, clause), k in g.items():
            e = stats.proportion(int(k), n)
            rows.append({"walkout_by": who, "rule": rule, "clause": clause, "runs": int(k),
                         "share_of_walkouts": k / len(w), "share": e.value, "low": e.low, "high": e.high,
                         "agenda": _demand_agenda(upper, demand_clauses(meta, clause)) if clause else "",
                         "constraint": _demand_constraint(meta, demand_clauses(meta, clause), who, at_table)
                         if clause else "",
                         "held_by": _demand_held_by(meta, demand_clauses(meta, clause), who, at_table) if clause else ""})
    k = int((o == Outcome.ONGOING).sum())
    e = stats.proportion(k, n)
    rows.append({"walkout_by": "", "rule": "", "clause": "", "runs": k, "share_of_walkouts": math.nan,
                 "share": e.value, "low": e.low, "high": e.high, "agenda": "",
                 "constraint": "still talking at the horizon: nobody walked out", "held_by": ""})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ trajectories


def trajectories(trace: pd.DataFrame, value: str = "position", min_runs: int = 1) -> pd.DataFrame:
    """Per (actor, round): the number of runs contributing, the median of `value` and its 25/75%
    and 5/95% quantiles across runs (the 50% and 90% bands).  Only runs still talking in a round
    contribute to it (a run that ended is not carried forward), and rows with a NaN value (an
    actor not at the table, or before its first offer) are left out.  Rounds with fewer than
    `min_runs` runs are dropped."""
    if value not in ("position", "aspiration", "best_offer"):
        raise ValueError(f"value must be position, aspiration or best_offer, got {value!r}")
    t = trace[["actor", "round", value]].dropna()
    g = t.groupby(["actor", "round"], sort=True)[value]
    out = g.quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    out.columns = ["q05", "q25", "median", "q75", "q95"]
    out.insert(0, "runs", g.size())
    out = out.reset_index()
    order = {a: i for i, a in enumerate(dict.fromkeys(trace["actor"].astype(str)))}
    out = out.sort_values(["actor", "round"], key=lambda s: s.map(order) if s.name == "actor" else s)
    return out[out["runs"] >= min_runs].reset_index(drop=True)


# ------------------------------------------------------------------ differences between scenarios


def bootstrap_difference(a, b, statistic: str = "median", seed: int = 0, resamples: int = 999) -> stats.Estimate:
    """statistic(b) - statistic(a) with a percentile bootstrap 95% interval (seeded); NaN when
    either sample is empty."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) == 0 or len(b) == 0:
        return stats.Estimate(math.nan, math.nan, math.nan)
    if statistic == "median":
        return stats.median_difference(a, b, seed)
    if statistic != "mean":
        raise ValueError(f"statistic must be 'mean' or 'median', got {statistic!r}")
    from scipy import stats as sps  # heavy (about a second to import): only the bootstrap needs it

    res = sps.bootstrap((b, a), lambda x, y, axis: np.mean(x, axis=axis) - np.mean(y, axis=axis),
                        n_resamples=resamples, method="percentile", rng=np.random.default_rng(seed), batch=100)
    return stats.Estimate(float(b.mean() - a.mean()), float(res.confidence_interval.low),
                          float(res.confidence_interval.high))


def scenario_differences(a: pd.DataFrame, b: pd.DataFrame, seed: int, pairing) -> pd.DataFrame:
    """B - A: every outcome share and each table actor's mean final utility (paired over runs
    when `pairing` (analysis.pairing.Pairing) says the runs share draws; else Newcombe's interval
    for independent samples and a bootstrap), the median rounds (bootstrap), and each clause's
    median agreed value among agreements (bootstrap: the agreements differ between A and B).
    Columns: metric, a, b, difference, low, high, kind, method."""
    actors = list(dict.fromkeys(table_actors(a) + table_actors(b)))
    rows = []
    names = share_names(actors)
    diff = differences(a, b, names, seed, pairing)
    sa, sb = stats.summarise(a, actors), stats.summarise(b, actors)
    for m, d in diff.items():
        kind = "rounds" if m.startswith("median") else "share"
        rows.append({"metric": m, "a": sa[m].value, "b": sb[m].value, "difference": d.estimate.value,
                     "low": d.estimate.low, "high": d.estimate.high, "kind": kind, "method": d.method})
    for actor in actors:
        col = f"utility.{actor}"
        if col in a and col in b:
            paired = pairing.mean(a[col], b[col])
            d = paired.estimate if paired else bootstrap_difference(a[col], b[col], "mean", seed)
            rows.append({"metric": f"mean utility of {actor}", "a": float(a[col].mean()), "b": float(b[col].mean()),
                         "difference": d.value, "low": d.low, "high": d.high, "kind": "utility",
                         "method": paired.method if paired else "percentile bootstrap (999 resamples), unpaired"})
    aa, ab = a[a["outcome"].astype(str) == Outcome.AGREEMENT], b[b["outcome"].astype(str) == Outcome.AGREEMENT]
    for c in [c for c in clauses_of(a) if c in clauses_of(b)]:
        va, vb = aa[f"value.{c}"].dropna(), ab[f"value.{c}"].dropna()
        d = bootstrap_difference(va, vb, "median", seed)
        rows.append({"metric": f"median agreed {c}", "a": float(va.median()) if len(va) else math.nan,
                     "b": float(vb.median()) if len(vb) else math.nan, "difference": d.value, "low": d.low,
                     "high": d.high, "kind": "clause", "method": "bootstrap"})
    return pd.DataFrame(rows)
