"""From an elicitation table to a scenario overlay: fit each expert, pool the experts, write TOML.

- Fit: one distribution of a scenario kind per expert per quantity (elicitation_fit.py).
- Pool: a linear pool, sum_e w_e F_e, of the experts' fitted distributions.  The weights are
  equal, or, when the table has seed questions, the global weights of Cooke's classical model
  (cooke.py).  An expert who did not judge a quantity is left out of its pool and the others'
  weights renormalised.  Note the one departure from Cooke's own decision maker: the pool mixes
  the experts' *fitted* distributions (so it is a scenario distribution), where Cooke mixes their
  minimum-information densities; the weights are his.
- Represent: a pool of several experts is written as a `mixture` distribution (weights and the
  experts' distributions as components; sim/distributions.py), drawn by its own quantile
  function from one uniform like every other kind, so nothing of the pool's shape (two camps
  of experts, say) is lost to a refit; a pool of one expert is that expert's distribution.
- Write: an overlay that `extends` the scenario and sets each quantity, every number with
  provenance class `elicitation` citing the table's catalogue entry, plus that entry.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np

from sim.distributions import DIST_FIELDS, Mixture, Param, Triangular

from . import cooke
from .elicitation_fit import PROBS, Fit, fit_best
from .elicitation_table import Judgement, Table

METHODS = ("equal", "cooke")


@dataclass(frozen=True)
class ExpertFit:
    judgement: Judgement
    fit: Fit  # the chosen one
    tried: tuple[Fit, ...]  # every kind tried, for the report


@dataclass(frozen=True)
class PooledKey:
    """One scenario quantity: each expert's fit, their weights in its pool, the pooled distribution."""

    fits: tuple[ExpertFit, ...]
    weights: tuple[float, ...]  # aligned with fits; renormalised over the experts who judged it
    param: Param

    @property
    def target(self):
        return self.fits[0].judgement.target

    @property
    def path(self) -> str:
        return self.target.path

    @property
    def quantiles(self) -> np.ndarray:
        return self.param.from_uniform(PROBS)


@dataclass(frozen=True)
class Elicitation:
    table: Table
    method: str  # "equal" or "cooke"
    weights: dict[str, float]  # per expert, before renormalising per quantity
    model: cooke.ClassicalModel | None  # Cooke's scores, when seeds weighted the experts
    keys: tuple[PooledKey, ...]


def expert_weights(table: Table, method: str | None = None, alpha: float | None = None
                   ) -> tuple[str, dict[str, float], cooke.ClassicalModel | None]:
    """The pool's method (default: Cooke's with seed questions, equal without), each expert's
    weight and Cooke's model if used."""
    method = method or ("cooke" if table.seeds else "equal")
    if method not in METHODS:
        raise ValueError(f"unknown pooling method {method!r}; allowed: {', '.join(METHODS)}")
    if method == "equal":
        return method, {e: 1.0 / len(table.experts) for e in table.experts}, None
    if not table.seeds:
        raise ValueError(f"{table.path}: Cooke's classical model needs seed questions (rows with key seed.<name> "
                         "and a realisation); without them use the equal-weight pool")
    seeds = list(dict.fromkeys(j.key for j in table.seeds))
    by = {(j.expert, j.key): j for j in table.seeds}
    q = np.array([[by[e, s].stated for s in seeds] for e in table.experts])
    r = np.array([by[table.experts[0], s].realisation for s in seeds])
    log = np.array([by[table.experts[0], s].log for s in seeds])
    model = cooke.classical_model(q, r, alpha, log)
    return method, dict(zip(table.experts, model.weights.tolist())), model


def pool(params: list[Param], weights: list[float]) -> Param:
    """The linear pool sum w_k F_k over components of positive weight: one component is itself."""
    kept = [(w, p) for w, p in zip(weights, params) if w > 0]
    total = sum(w for w, _ in kept)
    if len(kept) == 1:
        return kept[0][1]
    return Mixture(tuple(float(f"{w / total:.10g}") for w, _ in kept), tuple(p for _, p in kept))


def elicit(table: Table, kind: str | None = None, method: str | None = None, alpha: float | None = None) -> Elicitation:
    """Fit every judgement, weight the experts and pool each quantity."""
    method, weights, model = expert_weights(table, method, alpha)
    by_key: dict[tuple, list[Judgement]] = {}
    for j in table.targets:
        by_key.setdefault(j.target.key, []).append(j)
    keys = []
    for judgements in by_key.values():
        fits = []
        for j in judgements:
            exact = Triangular(*j.stated) if j.form == "min-mode-max" else None
            best, tried = fit_best(j.points, j.low, j.high, kind, exact)
            fits.append(ExpertFit(j, best, tried))
        raw = [weights[f.judgement.expert] for f in fits]
        if sum(raw) <= 0:
            names = ", ".join(f.judgement.expert for f in fits)
            raise ValueError(f"{table.path}: {judgements[0].key}: every expert who judged it ({names}) has weight 0 "
                             "under Cooke's model; lower --alpha or pool with equal weights")
        w = tuple(x / sum(raw) for x in raw)
        keys.append(PooledKey(tuple(fits), w, pool([f.fit.param for f in fits], list(w))))
    return Elicitation(table, method, weights, model, tuple(keys))


# ------------------------------------------------------------------ writing the overlay

OVERLAY_MARK = "# Written by negsim elicit"  # an overlay's first line: rewriting it needs no --force


def source_id(table_name: str) -> str:
    """The catalogue id of a table: 'elicitation-' + its file stem in lowercase letters, digits and '-'."""
    stem = re.sub(r"[^a-z0-9]+", "-", table_name.rsplit(".", 1)[0].lower()).strip("-")
    stem = stem.removeprefix("elicitation").strip("-")[:48].strip("-") or "table"
    return f"elicitation-{stem}"


def method_text(el: Elicitation) -> str:
    if el.model is None:
        return "an equal-weight linear pool"
    m = el.model
    how = "chosen to maximise the decision maker's score" if m.alpha_optimised else "fixed"
    seeds = len({j.key for j in el.table.seeds})
    return (f"a linear pool with the global weights of Cooke's classical model ({seeds} seed questions, cut-off "
            f"alpha = {m.alpha:.3g}, {how})")


def _toml_key(parts) -> str:
    return ".".join(p if re.fullmatch(r"[A-Za-z0-9_-]+", p) else json.dumps(p) for p in parts)


def _num(x: float) -> str:
    return repr(float(x))


def _inline(p: Param) -> str:
    fields = ", ".join(f"{k} = {_num(getattr(p, k))}" for k in DIST_FIELDS[p.kind])
    return f'{{ dist = "{p.kind}", {fields} }}'


def _distribution_lines(k: PooledKey) -> list[str]:
    p = k.param
    if p.kind != "mixture":
        expert = next(f.judgement.expert for f, w in zip(k.fits, k.weights) if w > 0)
        return [f'dist = "{p.kind}"  # expert {expert}'] + [f"{f} = {_num(getattr(p, f))}" for f in DIST_FIELDS[p.kind]]
    experts = [f.judgement.expert for f, w in zip(k.fits, k.weights) if w > 0]
    lines = ['dist = "mixture"', "weights = [" + ", ".join(_num(w) for w in p.weights) + "]", "components = ["]
    lines += [f"    {_inline(c)},  # expert {e}" for c, e in zip(p.components, experts)]
    return lines + ["]"]


def overlay_text(el: Elicitation, extends: str, name: str, sid: str, table_label: str) -> str:
    """The overlay scenario: extends `extends` (a path relative to the overlay) and sets each
    pooled quantity, each citing the catalogue entry `sid`."""
    t = el.table
    lines = [f"{OVERLAY_MARK} from {table_label} (SHA-256 {t.sha256[:16]}...): rerun it rather than edit by hand.",
             f"# {len(t.experts)} experts ({', '.join(t.experts)}), {len(el.keys)} quantities, pooled by {method_text(el)}.",
             "# Every number below is an elicitation; `negsim validate --provenance` counts them.",
             f"extends = {json.dumps(extends)}", "", "[meta]", f"name = {json.dumps(name)}",
             f"description = {json.dumps(f'{len(el.keys)} quantities from the expert elicitation {table_label}')}"]
    for k in el.keys:
        rows = ", ".join(str(f.judgement.row) for f in k.fits)
        src = (f"elicitation [{sid}]: {len(k.fits)} experts' judgements ({table_label} rows {rows}), fitted and pooled "
               f"by {method_text(el)}")
        lines += ["", f"[{_toml_key(k.target.key)}]", *_distribution_lines(k), f"source = {json.dumps(src[:1900])}"]
    return "\n".join(lines) + "\n"


def catalogue_entry(el: Elicitation, sid: str, table_label: str, date: str) -> str:
    """The [sources.<sid>] table for the overlay's sources.toml (between markers, so a rerun
    replaces it and leaves the rest of the file alone)."""
    t = el.table
    weights = ", ".join(f"{e} {w:.3g}" for e, w in el.weights.items())
    summary = (f"Judgements of {len(t.experts)} experts on {len(el.keys)} scenario quantities "
               f"({', '.join(k.path for k in el.keys)}), fitted per expert and pooled by {method_text(el)}; "
               f"expert weights {weights}.")
    return "\n".join([
        f"# >>> negsim elicit: {sid} (rewritten when negsim elicit runs again on this table)",
        f"[sources.{sid}]",
        f"title = {json.dumps(f'Expert elicitation table {table_label}')}",
        f"date = {json.dumps(date)}",
        f"where = {json.dumps(f'{table_label}, beside or near the overlay that cites it (SHA-256 {t.sha256})')}",
        'kind = "elicitation"',
        f"summary = {json.dumps(summary[:1900])}",
        f"# <<< negsim elicit: {sid}",
    ]) + "\n"


def with_entry(catalogue: str, sid: str, entry: str) -> str:
    """`catalogue` (a sources.toml's text, or '') with the marked block of `sid` replaced or added."""
    pattern = re.compile(rf"# >>> negsim elicit: {re.escape(sid)} .*?# <<< negsim elicit: {re.escape(sid)}\n", re.S)
    if pattern.search(catalogue):
        return pattern.sub(lambda _: entry, catalogue, count=1)
    head = catalogue if not catalogue or catalogue.endswith("\n") else catalogue + "\n"
    return head + ("\n" if head else "# Source catalogue beside an elicited overlay (docs/sources.md, 'elicitation').\n\n") + entry
