"""The runs a sweep keeps (`--keep-runs`): one row per run of every point, in the format of a
`negsim run` table, so `negsim discover` can search a sweep's runs.

Each row holds what the run drew (`input.<key>`, as in a run table) and what the sweep set:
every swept number as `input.<path>` and every structural choice as `input.<path>` (its level,
as text), so discovery can find boxes in both.  A run is identified by its point and `mc_run`,
the Monte Carlo run whose uniforms it used (the same at every point: common random numbers);
`run` = point x runs per point + mc_run keeps ids unique.

A drawn input that exists only under some structural choices (a strategy parameter of one kind,
say) is left out: discovery needs every input in every row.  The metadata lists what was left out.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.engine import Batch, Compiled
from sim.params import DrawPlan, drawn_inputs
from storage.runtable import batch_columns

PREFIX = "run."  # keys of kept per-run arrays in a task's results (beside its per-point metrics)
_OUT = ("outcome", "rounds", "walkout_by", "walkout_rule", "shortfall", "agreed")


def kept_arrays(points: list[Batch], out: dict, utility: np.ndarray) -> dict[str, np.ndarray]:
    """A task's per-run arrays, flat over its points (point-major: `points`, one Batch per point,
    and `out`/`utility` joined over them).  The drawn inputs are the same at every point of a task
    (same plan slots, same uniforms), so they are kept once, from the first point."""
    kept = {PREFIX + k: np.asarray(out[k]) for k in _OUT}
    kept[PREFIX + "utility"] = utility
    kept[PREFIX + "outside_option"] = np.concatenate([b.outside_option for b in points])
    kept[PREFIX + "deadline"] = np.concatenate([b.deadline for b in points])
    for key, v in points[0].inputs.items():
        kept[PREFIX + "input." + key] = v
    return kept


def common_inputs(plans: list[DrawPlan], uniforms: np.ndarray) -> tuple[list[str], list[str]]:
    """The drawn inputs every combination of structural choices has, and those some lack."""
    keys = [set(drawn_inputs(p, uniforms[:1])) for p in plans]
    every = set.intersection(*keys)
    return sorted(every), sorted(set.union(*keys) - every)


def task_columns(comp: Compiled, arrays: dict[str, np.ndarray], *, root_seed: int, scenario: str,
                 point_ids: tuple[int, ...], runs: int, swept: dict[str, np.ndarray],
                 choices: dict[str, str], inputs: list[str]) -> dict[str, np.ndarray]:
    """A task's rows of the kept run table.  `swept`: each swept number, one value per point;
    `choices`: each structural choice's level (the same for the whole task)."""
    k = len(point_ids)
    point = np.repeat(np.asarray(point_ids, dtype=np.int64), runs)
    mc_run = np.tile(np.arange(runs, dtype=np.int64), k)
    b = Batch(layout=comp.layout, root_seed=root_seed, run=point * runs + mc_run,
              utility=arrays[PREFIX + "utility"], outside_option=arrays[PREFIX + "outside_option"],
              deadline=arrays[PREFIX + "deadline"],
              inputs={key: np.tile(arrays[PREFIX + "input." + key], k) for key in inputs},
              **{f: arrays[PREFIX + f] for f in _OUT})
    cols = {"point": point, "mc_run": mc_run, **batch_columns(b, scenario)}
    for path, values in swept.items():
        cols[f"input.{path}"] = np.repeat(np.asarray(values, dtype=float), runs)
    for path, level in choices.items():
        cols[f"input.{path}"] = np.full(k * runs, level, dtype=object)
    return cols


def kept_metadata(base: dict, spec, total_runs: int, left_out: list[str]) -> dict:
    """A run table's metadata (storage.resultsfile.run_metadata) for a sweep's kept runs."""
    return {**base, "n_runs": total_runs, "engine": "batch",
            "reproduce": f"negsim sweep {spec.origin if spec.origin != 'command line' else spec.scenario} "
                         "--keep-runs (see the sweep table's metadata for the full specification)",
            "sweep_runs_per_point": spec.runs, "inputs_left_out": left_out}


def runs_path(folder: Path) -> Path:
    return folder / "runs.parquet"
