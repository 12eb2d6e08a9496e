"""A batch's outcomes as named columns (one entry per run), ready for any table library."""

from __future__ import annotations

import numpy as np

from sim.engine import Batch
from sim.protocol import OUTCOME_NAMES
from sim.schema import RULE_NAMES

OUTCOMES = tuple(OUTCOME_NAMES[k] for k in sorted(OUTCOME_NAMES))
MAX_SEED = 2**63 - 1  # the seed column is int64 (Parquet has no unsigned 64-bit logical type everywhere)


def _names(codes: np.ndarray, names: tuple[str, ...] | dict[int, str]) -> np.ndarray:
    """Names for integer codes (-1 or an unknown code -> ""), vectorised."""
    lookup = dict(enumerate(names)) if isinstance(names, tuple) else names
    table = np.array([""] + [lookup.get(k, "") for k in range(max(lookup) + 1)], dtype=object)
    return table[np.asarray(codes, dtype=np.int64) + 1]


def batch_columns(b: Batch, scenario_name: str) -> dict[str, np.ndarray]:
    """run, seed (the root seed: (seed, run) identifies a run), scenario, outcome, rounds, days, walkout_by, walkout_rule, shortfall,
    value.<clause> (agreed value, NaN without agreement), utility.<actor> (final utility), and
    the run's draws that condition the answer most: outside_option.<actor>, deadline.<actor>."""
    lay = b.layout
    if not 0 <= b.root_seed <= MAX_SEED:
        raise ValueError(f"seed {b.root_seed} outside [0, 2**63-1]")
    cols: dict[str, np.ndarray] = {
        "run": b.run.astype(np.int64),
        "seed": np.full(len(b), b.root_seed, dtype=np.int64),
        "scenario": np.full(len(b), scenario_name, dtype=object),
        "outcome": _names(b.outcome, OUTCOMES),
        "rounds": b.rounds.astype(np.int32),
        "days": lay.end_day(b.rounds),  # the day of the last meeting held
        "walkout_by": _names(b.walkout_by, lay.actors),
        "walkout_rule": _names(b.walkout_rule, RULE_NAMES),
        "shortfall": _names(b.shortfall, lay.demands),
    }
    for j, c in enumerate(lay.clauses):
        cols[f"value.{c}"] = b.agreed[:, j]
    for j, a in enumerate(lay.actors):
        cols[f"utility.{a}"] = b.utility[:, j]
    for j, a in enumerate(lay.actors):
        if lay.required[j]:
            cols[f"outside_option.{a}"] = b.outside_option[:, j]
            cols[f"deadline_days.{a}"] = b.deadline[:, j]
    for key, values in (b.inputs or {}).items():  # every drawn parameter, for scenario discovery
        cols[f"input.{key}"] = values
    return cols
