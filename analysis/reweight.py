"""The answer under another prior, from runs already made: importance reweighting.

A run table keeps every input the run drew (`input.<key>` columns, sim/params.drawn_inputs),
and the results file stores the scenario, so the old density of each draw is known.  Each key is
drawn from its own uniform, independently of every other random number of the run, so a run's
outcome is a fixed function of its draws and changing the prior of keys K reweights the runs by

    w_r = prod_{k in K} new_k(x_rk) / old_k(x_rk).

The answer is the self-normalised estimate p = sum w_r y_r / sum w_r (Owen 2013, *Monte Carlo
theory, methods and examples*, ch. 9).  Its 95% interval is Wilson's score interval at the
effective size n* = p (1 - p) / v that the delta-method variance v = sum w_r^2 (y_r - p)^2 /
(sum w_r)^2 implies (Owen eq. 9.9); with equal weights n* = n and it is the plain Wilson
interval of every other share negsim prints.  Kish's effective sample size (sum w)^2 / sum w^2
says how many runs the reweighted answer rests on.  It covers Monte Carlo noise only.

Reweighting cannot put weight where no run drew: a new prior with mass where the old density is
0 is refused, naming the key and both supports.  Where the old density falls to 0 at an end of
its support but the new one's does not (a triangular reweighted to a uniform), the weights are
unbounded near that end; when they grow fast enough their variance is infinite (the estimate stays
consistent, but the interval can understate the error), and `weight_warnings` says so.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from sim import schema
from sim.codes import Outcome
from sim.distributions import DIST_FIELDS, Param, Uniform, make_param
from sim.layout import build_layout
from sim.params import draw_plan, drawn_params

from .stats import Estimate, wilson
from .study import TALKS_ENDED_DAY

SMALL_ESS = 1000  # below this many effective runs a share's interval is wider than about +-3 pp


class ReweightError(ValueError):
    """A reweighting that cannot be done; the message says why, in one line."""


# ------------------------------------------------------------------ priors

def positive_intervals(p: Param) -> list[tuple[float, float]]:
    """Where `p` has positive density: its support, or for a mixture the union of its components'."""
    parts = sorted(c.support() for c in getattr(p, "components", (p,)))
    merged = [list(parts[0])]
    for lo, hi in parts[1:]:
        if lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [(lo, hi) for lo, hi in merged]


def _fmt_intervals(parts) -> str:
    return " u ".join(f"[{lo:g}, {hi:g}]" for lo, hi in parts)


def check_support(key: str, new: Param, old: Param) -> None:
    """Refuse a new prior with mass where the old one has none."""
    have = positive_intervals(old)
    for lo, hi in positive_intervals(new):
        if not any(a <= lo and hi <= b for a, b in have):
            raise ReweightError(f"{key}: the new prior's support {_fmt_intervals(positive_intervals(new))} reaches "
                                f"outside the old one's {_fmt_intervals(have)}; no run drew there, so reweighting cannot "
                                "answer for it: run the scenario with the new prior instead")


def weight_warnings(key: str, new: Param, old: Param) -> list[str]:
    """Weights of infinite variance: E_old[w^2] = integral new^2 / old diverges at an end of the
    old support where the old density falls to 0 like e^b and the new one like e^a with 2a - b <= -1
    (e: the distance from the end; a triangular to a uniform: a = 0, b = 1).  The exponents are
    read off each density between 1e-6 and 1e-9 of the support's width from the end."""
    for lo, hi in positive_intervals(old):
        for end, inward in ((lo, 1.0), (hi, -1.0)):
            x = end + inward * (hi - lo) * np.array([1e-6, 1e-9])
            n, o = new.pdf(x), old.pdf(x)
            if n[0] <= 0 or n[1] <= 0:
                continue  # the new density vanishes near this end faster than any power
            a = math.log(n[1] / n[0]) / math.log(1e-3)
            b = math.log(o[1] / o[0]) / math.log(1e-3) if o[0] > 0 and o[1] > 0 else math.inf
            if 2 * a - b <= -0.95:
                return [f"{key}: near {end:g} the old prior's density falls faster than the new one's, so the weights "
                        "have infinite variance there and the interval may understate the error; a rerun with the new "
                        "prior is the safer answer"]
    return []


PRIOR_PATTERN = re.compile(r"\s*([A-Za-z0-9_.\-\"]+)\s*=\s*([a-z]+)\s*(?:\(([^()]*)\))?\s*")


def parse_prior(text: str, old: Mapping[str, Param]) -> tuple[str, Param]:
    """'KEY=DIST': DIST is uniform (over the old prior's support), uniform(low, high),
    triangular(low, mode, high), truncnormal(mean, sd, low, high) or beta(a, b[, low, high]).
    Nothing in it is evaluated: numbers are read as numbers."""
    m = PRIOR_PATTERN.fullmatch(text)
    kinds = [k for k in DIST_FIELDS if k != "mixture"]
    if not m:
        raise ReweightError(f"--prior {text!r}: write KEY=DIST, e.g. actors.russia.outside_option=uniform(0.1, 0.5); "
                            f"DIST one of {', '.join(kinds)} (uniform alone: over the old prior's support)")
    key, kind, args = m.group(1), m.group(2), m.group(3)
    if key not in old:
        raise ReweightError(f"--prior {key}: not an input these runs drew from a distribution{schema.closest(key, old)} "
                            "(a fixed number cannot be reweighted: run the scenario instead)")
    if kind not in kinds:
        raise ReweightError(f"--prior {key}: {schema.not_allowed(kind, kinds)}")
    if args is None:
        if kind != "uniform":
            raise ReweightError(f"--prior {key}: {kind} needs its numbers, e.g. {kind}({', '.join(DIST_FIELDS[kind])})")
        return key, Uniform(*old[key].support())
    try:
        nums = [float(x) for x in args.split(",")] if args.strip() else []
    except ValueError:
        raise ReweightError(f"--prior {key}: {kind}({args}) holds something that is not a number") from None
    names = DIST_FIELDS[kind]
    if not (len(names) - (2 if kind == "beta" else 0) <= len(nums) <= len(names)) or not all(map(math.isfinite, nums)):
        raise ReweightError(f"--prior {key}: {kind} takes {', '.join(names)}" + (" (low, high optional)" if kind == "beta" else "")
                            + f"; got {len(nums)} finite numbers")
    try:
        return key, make_param(kind, dict(zip(names, nums)))
    except ValueError as exc:
        raise ReweightError(f"--prior {key}: {exc}") from None


# ------------------------------------------------------------------ the old priors, and another scenario's

def drawn_priors(scenario) -> dict[str, Param]:
    """Every input the scenario's runs draw, keyed as the run table's input.<key> columns."""
    return drawn_params(draw_plan(build_layout(scenario)))


def _fixed_structure(scenario) -> tuple[dict, dict]:
    """Everything a run does not draw: the layout's slots with their fixed values (a drawn slot
    as 'drawn'), and the scenario document without drawn fields, sources and meta."""
    plan = draw_plan(build_layout(scenario))
    slots = {(s.field, s.actor, s.clause): ("drawn" if s.param.needs_uniform else s.param) for s in plan.slots}
    return slots, _without_drawn(scenario.resolved_document, "")


def _without_drawn(doc: dict, pattern: str) -> dict:
    kids = schema.children(pattern)
    out = {}
    for k, v in doc.items():
        f = kids.get(k) or kids.get("*")
        if pattern == "" and k == "meta" or (f is not None and f.kind in ("drawn", "source")):
            continue
        out[k] = _without_drawn(v, f.path) if f is not None and f.kind == "table" and isinstance(v, dict) else v
    return out


def _first_difference(a, b, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            if a.get(k) != b.get(k):
                return _first_difference(a.get(k), b.get(k), f"{path}.{k}" if path else k)
    return path or "(the document)"


def priors_from_scenario(new_scenario, old_scenario, label: str) -> dict[str, Param]:
    """The drawn inputs whose prior `new_scenario` changes, refusing any other difference."""
    new_slots, new_doc = _fixed_structure(new_scenario)
    old_slots, old_doc = _fixed_structure(old_scenario)
    if new_doc != old_doc:
        raise ReweightError(f"{label} changes {_first_difference(old_doc, new_doc)}, not only priors of drawn inputs; "
                            "reweighting can change priors only: run that scenario instead")
    if new_slots != old_slots:
        key = next(k for k in {**old_slots, **new_slots} if old_slots.get(k) != new_slots.get(k))
        raise ReweightError(f"{label} fixes, adds or removes a drawn input (slot {key[0]} of actor {key[1]}), not only "
                            "its prior; reweighting needs the same inputs drawn: run that scenario instead")
    new, old = drawn_priors(new_scenario), drawn_priors(old_scenario)
    return {k: p for k, p in new.items() if p != old[k]}


# ------------------------------------------------------------------ weights and estimates

def importance_weights(inputs: Mapping[str, np.ndarray], new: Mapping[str, Param], old: Mapping[str, Param]) -> np.ndarray:
    """w_r = prod_k new_k(x_rk) / old_k(x_rk) over the reweighted keys."""
    w = None
    for key, p in new.items():
        x = np.asarray(inputs[key], dtype=float)
        ratio = p.pdf(x) / old[key].pdf(x)
        w = ratio if w is None else w * ratio
    if w is None:
        raise ReweightError("no prior to reweight to: give --prior KEY=DIST or --prior-from OVERLAY.toml")
    if not np.all(np.isfinite(w)):  # a draw where the old density is 0 (an end of its support)
        bad = int(np.sum(~np.isfinite(w)))
        raise ReweightError(f"{bad} runs drew where the old density is 0; their weights are undefined")
    return w


def kish_ess(w: np.ndarray) -> float:
    """Kish's effective sample size (sum w)^2 / sum w^2."""
    return float(w.sum() ** 2 / np.sum(w * w)) if np.any(w > 0) else 0.0


def weighted_share(y: np.ndarray, w: np.ndarray) -> Estimate:
    """Self-normalised share sum w y / sum w with Wilson's interval at the delta-method effective size."""
    y = np.asarray(y, dtype=float)
    total = w.sum()
    if total <= 0:
        return Estimate(math.nan, math.nan, math.nan)
    p = float(np.sum(w * y) / total)
    v = float(np.sum(w * w * (y - p) ** 2) / total ** 2)
    n_eff = p * (1 - p) / v if v > 0 else kish_ess(w)
    low, high = wilson(p * n_eff, n_eff)
    return Estimate(p, float(low), float(high))


def answer_metrics(horizon_days: float) -> dict[str, tuple[str, float]]:
    """The headline shares: label -> (outcome, by day)."""
    days = (TALKS_ENDED_DAY, horizon_days)
    return {f"P(agreement by day {d:g})": (Outcome.AGREEMENT, d) for d in days} | \
           {f"P(walkout by day {d:g})": (Outcome.WALKOUT, d) for d in days}


def answer(runs: pd.DataFrame, w: np.ndarray | None, horizon_days: float) -> dict[str, Estimate]:
    """The headline shares under weights w (None: the runs as drawn, equal weights)."""
    weights = np.ones(len(runs)) if w is None else w
    o, d = runs["outcome"].astype(str).to_numpy(), runs["days"].to_numpy()
    return {label: weighted_share((o == outcome) & (d <= day), weights)
            for label, (outcome, day) in answer_metrics(horizon_days).items()}


@dataclass(frozen=True)
class Reweighted:
    priors: dict[str, Param]  # the new prior of each reweighted key
    weights: np.ndarray
    shares: dict[str, Estimate]
    warnings: tuple[str, ...]

    @property
    def ess(self) -> float:
        return kish_ess(self.weights)

    @property
    def largest_share(self) -> float:
        """The largest single run's share of the total weight."""
        return float(self.weights.max() / self.weights.sum())


def reweight(runs: pd.DataFrame, old: Mapping[str, Param], new: Mapping[str, Param], horizon_days: float) -> Reweighted:
    """The headline under the new priors, refusing what reweighting cannot answer."""
    missing = [k for k in new if f"input.{k}" not in runs.columns]
    if missing:
        raise ReweightError(f"{missing[0]}: the run table has no input.{missing[0]} column (runs written before "
                            "negsim kept every drawn input, or more than the first runs of a large batch): rerun")
    warnings = []
    for key, p in new.items():
        check_support(key, p, old[key])
        warnings += weight_warnings(key, p, old[key])
    w = importance_weights({k: runs[f"input.{k}"].to_numpy() for k in new}, new, old)
    result = Reweighted(dict(new), w, answer(runs, w, horizon_days), ())
    if result.ess < SMALL_ESS:
        warnings.append(f"the reweighted answer rests on an effective {result.ess:,.0f} of {len(runs):,} runs (Kish); "
                        f"its intervals are wide, and a rerun with the new prior is the better answer")
    return Reweighted(result.priors, w, result.shares, tuple(warnings))
