"""Shapley attribution of a change in an outcome to the demands (or edits) that make it up.

A *player* is a demand that can be conceded (or an edit between two scenario files); a
*coalition* is a set of players applied together.  The model is run once per coalition on the
same seeds (common random numbers), so every coalition yields one value per run, y_i(S), and
the Shapley value of player j is a fixed linear combination of those per-run values:

    phi_j,i = sum over S not containing j of  w(|S|) * (y_i(S u {j}) - y_i(S)),
    w(s)    = s! (n - s - 1)! / n!,
    phi_j   = mean over runs i of phi_j,i.

Because the combination is the same in every run, the per-run contributions sum to
y_i(all) - y_i(none) in every run (efficiency), and the values sum to
mean(y(all)) - mean(y(none)) to rounding.  The interval of phi_j is paired: the normal
approximation mean +- 1.96 * sd(phi_j,i) / sqrt(runs), from the run-level standard error of the
per-run contributions (runs are independent; coalitions within a run are not, and need not be).

Up to EXACT_MAX_PLAYERS players every coalition is run (`shapley_exact`); above that,
`shapley_sampled` estimates the values from random orderings of the players (Castro, Gomez &
Tejada 2009, "Polynomial calculation of the Shapley value based on sampling", Computers &
Operations Research 36:1726).

`differences_to_edits` and `apply_edits` split the difference between two parsed scenario
documents into individual edits, so a change between two files can be attributed to its edits
by the same Shapley machinery.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable, Hashable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from .stats import Z95, Estimate, paired_mean, run_se

EXACT_MAX_PLAYERS = 10  # 2**10 = 1,024 coalitions; above this use shapley_sampled
_RUN_BLOCK = 8192       # runs per block in shapley_contributions (bounds memory)

INTERVAL_NOTE = ("95% interval: normal approximation, value +- 1.96 x standard error; the standard "
                 "error is the run-level one of the paired per-run contributions (common random numbers)")
SAMPLED_NOTE = ("95% interval: normal approximation, value +- 1.96 x standard error; the standard error "
                "combines permutation-sampling error (spread of the per-permutation values) and Monte "
                "Carlo error (spread of the per-run values, paired), added in quadrature")


# ---------------------------------------------------------------- small helpers
def coalitions(players: Sequence[Hashable]) -> list[frozenset]:
    """Every subset of `players`, smallest first (2**n of them): the runs `shapley_exact` needs."""
    players = _check_players(players)
    return [frozenset(c) for k in range(len(players) + 1) for c in itertools.combinations(players, k)]


def shapley_weights(n: int) -> np.ndarray:
    """w(s) = s! (n - s - 1)! / n! for s = 0 .. n - 1: the weight of the marginal contribution to a
    coalition of size s (computed exactly, then rounded once)."""
    if n < 1:
        raise ValueError("need at least one player")
    return np.array([float(Fraction(math.factorial(s) * math.factorial(n - s - 1), math.factorial(n)))
                     for s in range(n)])


def _check_players(players: Sequence[Hashable]) -> tuple:
    players = tuple(players)
    if len(set(players)) != len(players):
        raise ValueError(f"players must be distinct, got {list(players)}")
    return players


def _runs_array(values: Any, what: str, n_runs: int | None) -> np.ndarray:
    y = np.asarray(values, dtype=float)
    if y.ndim == 0:
        y = y.reshape(1)
    if y.ndim != 1:
        raise ValueError(f"{what}: expected one value per run (1-d), got shape {y.shape}")
    if n_runs is not None and len(y) != n_runs:
        raise ValueError(f"{what}: {len(y)} runs, expected {n_runs} (every coalition on the same seeds)")
    if len(y) == 0:
        raise ValueError(f"{what}: no runs")
    return y


# ---------------------------------------------------------------- exact Shapley values
def shapley_contributions(players: Sequence[Hashable],
                          outcomes: Mapping[frozenset, np.ndarray]) -> np.ndarray:
    """Per-run Shapley contributions phi[j, i] of player j in run i, from the per-run outcomes of
    every coalition (`outcomes[frozenset(S)]`, one value per run, same seeds for all S).

    Row sums equal y_i(all) - y_i(none) to rounding.  A player whose addition never changes any
    outcome gets exactly 0 in every run (all its marginal differences are exactly 0)."""
    players = _check_players(players)
    n = len(players)
    if n == 0:
        raise ValueError("need at least one player")
    masks = np.arange(2 ** n)
    missing = []
    rows = []
    n_runs = None
    for m in masks:
        key = frozenset(p for k, p in enumerate(players) if m >> k & 1)
        if key not in outcomes:
            missing.append(sorted(map(str, key)))
            continue
        y = _runs_array(outcomes[key], f"coalition {sorted(map(str, key))}", n_runs)
        n_runs = len(y)
        rows.append(y)
    if missing:
        shown = ", ".join(str(c) for c in missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise ValueError(f"outcomes lack {len(missing)} of the {2 ** n} coalitions: {shown}")
    y = np.stack(rows)  # (2**n, runs), row = bitmask of the coalition
    size = np.array([bin(m).count("1") for m in masks])
    w = shapley_weights(n)
    phi = np.empty((n, n_runs))
    for j in range(n):
        bit = 1 << j
        without = masks[(masks & bit) == 0]
        wj = w[size[without]][:, None]
        for lo in range(0, n_runs, _RUN_BLOCK):
            blk = slice(lo, lo + _RUN_BLOCK)
            # Sum over coalitions along axis 0: the same order of operations in every run, so
            # identical marginal differences give bit-identical contributions.
            phi[j, blk] = (wj * (y[without | bit, blk] - y[without, blk])).sum(axis=0)
    return phi


def shapley_exact(players: Sequence[Hashable], outcomes: Mapping[frozenset, np.ndarray],
                  order: str = "abs") -> pd.DataFrame:
    """Exact Shapley values over every coalition (2**n of them; up to EXACT_MAX_PLAYERS players in
    `negsim explain`), with paired 95% intervals.  Returns the ranked table of `ranked_table`; its
    values sum to mean(y(all)) - mean(y(none)) to rounding."""
    players = _check_players(players)
    phi = shapley_contributions(players, outcomes)
    total = paired_mean(np.asarray(outcomes[frozenset(players)], float) - np.asarray(outcomes[frozenset()], float))
    return ranked_table(players, phi, order=order, total=total,
                        attrs={"method": "exact", "n_coalitions": 2 ** len(players), "interval": INTERVAL_NOTE})


# ---------------------------------------------------------------- sampled Shapley values
def shapley_sampled(players: Sequence[Hashable], value_fn: Callable[[frozenset], np.ndarray],
                    n_permutations: int, rng: np.random.Generator, order: str = "abs",
                    cache: MutableMapping[frozenset, np.ndarray] | None = None) -> pd.DataFrame:
    """Permutation-sampling estimate of the Shapley values (Castro, Gomez & Tejada 2009), for more
    players than can be run exhaustively.

    Each of `n_permutations` random orderings of the players (drawn from `rng`) adds the players one
    by one; a player's marginal contribution is y(before + player) - y(before), per run.  The
    estimate is the mean over orderings and runs.  `value_fn(coalition)` returns the per-run values
    of a coalition (same seeds for every coalition); it is called lazily, at most once per distinct
    coalition (results kept in `cache`, a dict unless one is passed; pass the same dict to reuse
    runs across calls).

    Efficiency holds exactly per ordering (the marginal contributions telescope), so the values sum
    to mean(y(all)) - mean(y(none)) to rounding.

    Standard error: the per-ordering, per-run contributions form a crossed design (orderings x
    runs), so the error has two parts, added in quadrature: permutation-sampling error
    (sd over orderings of the run-averaged contribution / sqrt(orderings), column `se_permutation`)
    and Monte Carlo error (sd over runs of the ordering-averaged contribution / sqrt(runs), paired,
    column `se_runs`).  The sum counts the small ordering x run interaction twice, so it errs
    slightly on the wide side.  The spread over orderings alone would miss the Monte Carlo error,
    because every ordering reuses the same runs.  With one run the Monte Carlo part is unknown
    (NaN)."""
    players = _check_players(players)
    n = len(players)
    if n == 0:
        raise ValueError("need at least one player")
    if n_permutations < 1:
        raise ValueError("n_permutations must be at least 1")
    cache = {} if cache is None else cache
    n_runs: int | None = None
    calls = 0

    def value(coalition: frozenset) -> np.ndarray:
        nonlocal n_runs, calls
        if coalition not in cache:
            calls += 1
            cache[coalition] = _runs_array(value_fn(coalition), f"value_fn({sorted(map(str, coalition))})", n_runs)
        y = cache[coalition]
        if n_runs is None:
            n_runs = len(y)
        elif len(y) != n_runs:
            raise ValueError(f"coalition {sorted(map(str, coalition))}: {len(y)} runs, expected {n_runs}")
        return y

    y_none = value(frozenset())
    run_sum = np.zeros((n, len(y_none)))    # per-run contributions summed over orderings
    perm_means = np.empty((n_permutations, n))  # run-averaged contribution per ordering
    for p in range(n_permutations):
        before, y_before = frozenset(), y_none
        for k in rng.permutation(n):
            after = before | {players[k]}
            y_after = value(after)
            d = y_after - y_before
            run_sum[k] += d
            perm_means[p, k] = d.mean()
            before, y_before = after, y_after
    per_run = run_sum / n_permutations
    if n_permutations > 1:
        se_perm = perm_means.std(axis=0, ddof=1) / math.sqrt(n_permutations)
    else:
        se_perm = np.full(n, math.nan)
    total = paired_mean(value(frozenset(players)) - y_none)
    return ranked_table(players, per_run, order=order, total=total, extra_se=se_perm,
                        attrs={"method": "permutation sampling (Castro, Gomez & Tejada 2009)",
                               "n_permutations": int(n_permutations), "n_coalitions": calls,
                               "interval": SAMPLED_NOTE})


def shapley(players: Sequence[Hashable], value_fn: Callable[[frozenset], np.ndarray], *,
            rng: np.random.Generator | None = None, n_permutations: int = 200,
            max_exact: int = EXACT_MAX_PLAYERS, order: str = "abs") -> pd.DataFrame:
    """Exact values for up to `max_exact` players (every coalition, smallest first), otherwise the
    permutation-sampling estimate with `n_permutations` orderings drawn from `rng`."""
    players = _check_players(players)
    if len(players) <= max_exact:
        return shapley_exact(players, {c: value_fn(c) for c in coalitions(players)}, order=order)
    if rng is None:
        raise ValueError(f"{len(players)} players > {max_exact}: the sampled estimator needs an rng")
    return shapley_sampled(players, value_fn, n_permutations, rng, order=order)


# ---------------------------------------------------------------- ranked table
def ranked_table(players: Sequence[Hashable], per_run: np.ndarray, *, order: str = "abs",
                 total: Estimate | None = None, extra_se: np.ndarray | None = None,
                 attrs: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Ranked table from per-run contributions `per_run[j, i]` (player j, run i).

    Columns: rank, player, value (mean over runs), se, low, high (paired 95% normal-approximation
    interval), share (value / sum of values: the share of the total change; NaN when the total is
    0; with values of both signs shares can fall outside [0, 1]).  With `extra_se` (per player, an
    independent error such as permutation sampling) `se` adds it in quadrature to the run-level
    error, and the two parts appear as se_permutation and se_runs.

    order: "abs" (largest |value| first), "desc" (largest first) or "asc" (smallest first); ties
    keep the players' order.  df.attrs holds JSON-ready metadata: n_runs, total and its interval
    (y(all) - y(none) when given, else the sum of the values), plus `attrs`."""
    players = _check_players(players)
    per_run = np.atleast_2d(np.asarray(per_run, dtype=float))
    if per_run.shape[0] != len(players):
        raise ValueError(f"per_run has {per_run.shape[0]} rows for {len(players)} players")
    n_runs = per_run.shape[1]
    value = per_run.mean(axis=1)
    se_runs = np.array([run_se(row) for row in per_run])
    se = se_runs if extra_se is None else np.sqrt(se_runs ** 2 + np.asarray(extra_se, float) ** 2)
    s = float(value.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        share = value / s if s != 0 else np.full(len(players), math.nan)
    df = pd.DataFrame({"player": list(players), "value": value, "se": se,
                       "low": value - Z95 * se, "high": value + Z95 * se, "share": share})
    if extra_se is not None:
        df["se_permutation"] = np.asarray(extra_se, float)
        df["se_runs"] = se_runs
    keys = {"abs": -np.abs(value), "desc": -value, "asc": value}
    if order not in keys:
        raise ValueError(f"order must be one of {', '.join(keys)}, got {order!r}")
    df = df.iloc[np.argsort(keys[order], kind="stable")].reset_index(drop=True)
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    total = total if total is not None else Estimate(s, math.nan, math.nan)
    df.attrs = {"n_runs": int(n_runs), "n_players": len(players), "total": float(total.value),
                "total_low": float(total.low), "total_high": float(total.high), **(attrs or {})}
    return df


# ---------------------------------------------------------------- edits between two scenarios
class _Missing:
    """Marks a key absent on one side of an edit."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<absent>"

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        return (_Missing, ())


MISSING = _Missing()
SOURCE_KEY = "source"
DEFAULT_SKIP: tuple[tuple[str, ...], ...] = (("meta",),)  # name/description: not the model


@dataclass(frozen=True, eq=False)
class Edit:
    """One difference between two scenario documents: the value at `path` goes from `old` to `new`
    (MISSING when the key is absent on that side)."""

    path: tuple[str, ...]
    old: Any
    new: Any

    @property
    def kind(self) -> str:
        return "add" if self.old is MISSING else "remove" if self.new is MISSING else "change"

    @property
    def label(self) -> str:
        """Dotted key as in TOML, quoting parts that are not bare keys: actors.us.clauses."us.7"."""
        parts = (str(p) for p in self.path)
        return ".".join(p if p.replace("_", "").replace("-", "").isalnum() else f'"{p}"' for p in parts)

    def __str__(self) -> str:
        return f"{self.label}: {_show(self.old)} -> {_show(self.new)}"


def _show(v: Any) -> str:
    return "(absent)" if v is MISSING else repr(strip_sources(v))


def strip_sources(v: Any) -> Any:
    """A copy of `v` with every `source` key removed, at any depth."""
    if isinstance(v, dict):
        return {k: strip_sources(x) for k, x in v.items() if k != SOURCE_KEY}
    if isinstance(v, list):
        return [strip_sources(x) for x in v]
    return v


def _is_atomic_table(v: Any) -> bool:
    """A distribution table {dist = ..., ...} or fixed {value = N}: one parameter, one edit."""
    return isinstance(v, dict) and ("dist" in v or "value" in v)


def differences_to_edits(a_doc: dict, b_doc: dict,
                         skip: Iterable[tuple[str, ...]] = DEFAULT_SKIP) -> list[Edit]:
    """The individual edits that turn scenario document `a_doc` into `b_doc` (parsed TOML, e.g.
    Scenario.resolved_document), in document order.

    One edit per leaf key whose value differs, per key or table present on one side only, and per
    distribution table ({dist = ...} or {value = N}) that differs as a whole.  Other tables are
    compared key by key.  Lists are values (agenda.off is one edit).  `source` keys, at any depth,
    are never edits and are ignored when comparing; paths in `skip` (default: the `meta` table,
    which names and describes the file) are left out."""
    skip = {tuple(s) for s in skip}
    return _diff(a_doc, b_doc, (), skip)


def _diff(a: dict, b: dict, path: tuple[str, ...], skip: set) -> list[Edit]:
    edits = []
    for key in list(a) + [k for k in b if k not in a]:
        p = path + (key,)
        if key == SOURCE_KEY or p in skip:
            continue
        va, vb = a.get(key, MISSING), b.get(key, MISSING)
        if va is MISSING or vb is MISSING:
            edits.append(Edit(p, copy.deepcopy(va), copy.deepcopy(vb)))
        elif (isinstance(va, dict) and isinstance(vb, dict)
              and not _is_atomic_table(va) and not _is_atomic_table(vb)):
            edits += _diff(va, vb, p, skip)
        elif strip_sources(va) != strip_sources(vb):
            edits.append(Edit(p, copy.deepcopy(va), copy.deepcopy(vb)))
    return edits


def apply_edits(a_doc: dict, edits: Iterable[Edit]) -> dict:
    """A copy of `a_doc` with `edits` (any subset of `differences_to_edits(a_doc, b_doc)`) applied.
    Edits touch disjoint keys, so they commute.  Raises ValueError if an edit does not fit
    `a_doc` (its old value is not there) or two edits overlap."""
    doc = copy.deepcopy(a_doc)
    edits = list(edits)
    paths = [e.path for e in edits]
    for i, p in enumerate(paths):
        for q in paths[i + 1:]:
            if p[:len(q)] == q or q[:len(p)] == p:
                raise ValueError(f"edits overlap: {'.'.join(p)} and {'.'.join(q)}")
    for e in edits:
        table = doc
        for part in e.path[:-1]:
            table = table.get(part) if isinstance(table, dict) else None
        key = e.path[-1]
        if not isinstance(table, dict):
            raise ValueError(f"edit {e.label}: no table {'.'.join(e.path[:-1])} in the document")
        current = table.get(key, MISSING)
        if (current is MISSING) != (e.old is MISSING) or strip_sources(current) != strip_sources(e.old):
            raise ValueError(f"edit {e.label} does not apply: expected {_show(e.old)}, found {_show(current)}")
        if e.new is MISSING:
            del table[key]
        else:
            table[key] = copy.deepcopy(e.new)
    return doc
