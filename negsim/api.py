"""negsim from Python: the commands' results as pandas DataFrames.

Every function takes scenario files (paths, or scenarios already loaded with
`sim.scenario.load_scenario`), a number of runs per scenario and a root seed, runs the model in
this process through the one runner (experiments.runner; `workers` processes for `run` and
`compare`), writes nothing, and returns a DataFrame.  The same seed gives the same runs as the command line.

- `run(scenario)`: one row per run, the columns of a run table (`negsim run`'s runs.parquet:
  run, seed, outcome, rounds, days, walkout_by, ..., value.<clause>, utility.<actor>, input.<key>).
- `compare(scenarios)`: each scenario against the first: one row per scenario B, share and day
  (analysis.comparison.COLUMNS), with B - A paired when the runs share draws.
- `sweep(scenario, params)`: one row per point of the design (`negsim sweep`'s sweep.parquet).
- `robust(a, b)`: one row per variant, day and metric (`negsim robust`'s robustness.parquet).
- `explain(scenario)` or `explain(a, b)`: one row per metric and demand or edit, its effect alone
  and its Shapley value (`negsim explain`'s explain.parquet).

A worked example (200 runs each, a few seconds):

>>> import negsim
>>> runs = negsim.run("scenarios/accession_excluded.toml", runs=200, seed=7)
>>> len(runs), runs["run"].tolist()[:3]
(200, [0, 1, 2])
>>> set(runs["outcome"]) <= {"agreement", "ongoing", "walkout"}
True
>>> table = negsim.compare(["scenarios/full_agenda.toml", "scenarios/accession_excluded.toml"], runs=200, seed=7)
>>> row = table[(table["metric"] == "agreement") & table["by_horizon"]].iloc[0]
>>> row["b"], bool(row["paired"]), bool(row["low"] <= row["difference"] <= row["high"])
('accession_excluded', True, True)
>>> bool(row["share_b"] == (runs["outcome"] == "agreement").mean())   # the same seed, the same runs
True
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import pandas as pd

from analysis.comparison import comparison_table
from analysis.metrics import share_names
from analysis.pairing import Draws, Pairing
from analysis.study import DEFAULT_RUNS, DEFAULT_SEED, HALF_YEAR_DAY, TALKS_ENDED_DAY
from experiments.explain import explain as attribute
from experiments.robust import robustness
from experiments.runner import batches
from experiments.sweep import Factor, SweepSpec, parse_param_option, validate
from experiments.sweep_file import load_sweep
from experiments.sweep_run import LocalExecutor, run_sweep
from experiments.variants import check, load_variants
from sim.engine import Compiled
from sim.scenario import SHIPPED, Scenario, load_scenario
from storage.runtable import batch_columns


def _scenario(s) -> Scenario:
    return s if isinstance(s, Scenario) else load_scenario(Path(s))


def run(scenario, runs: int = DEFAULT_RUNS, seed: int = DEFAULT_SEED, workers: int = 1) -> pd.DataFrame:
    """One row per run of `scenario` (module doc)."""
    sc = _scenario(scenario)
    parts = [pd.DataFrame(batch_columns(b, sc.name)) for b in batches(sc, runs, seed, workers=workers)]
    return pd.concat(parts, ignore_index=True)


def compare(scenarios, runs: int = DEFAULT_RUNS, seed: int = DEFAULT_SEED, workers: int = 1,
            days=(TALKS_ENDED_DAY, HALF_YEAR_DAY)) -> pd.DataFrame:
    """Each scenario against the first (module doc): every share by the horizon, and agreement,
    walkout and talks persisting by each of `days` and the horizon."""
    scs = [_scenario(s) for s in scenarios]
    if len(scs) < 2:
        raise ValueError("compare needs two or more scenarios (differences are taken against the first)")
    tables = [run(sc, runs, seed, workers) for sc in scs]
    draws = [Draws(seed, Compiled.from_scenario(sc).plan.n_uniforms, t["run"].to_numpy()) for sc, t in zip(scs, tables)]
    pairings = [Pairing(draws[0], d) for d in draws]
    layouts = [Compiled.from_scenario(sc).layout for sc in scs]
    actors = list(dict.fromkeys(a for lay in layouts for a, r in zip(lay.actors, lay.required) if r))
    horizon = max(sc.protocol.horizon_days for sc in scs)
    return comparison_table([sc.name for sc in scs], tables, pairings, share_names(actors),
                            tuple(days) + (horizon,), horizon)


def sweep(scenario, params=(), sampler: str = "lhs", points: int | None = None, runs: int = 200,
          seed: int = DEFAULT_SEED, workers: int = 1) -> pd.DataFrame:
    """One row per point of a sweep: `scenario` is a sweep file, or a scenario file with `params`
    as the command line takes them ("actors.russia.outside_option=0.1:0.6", "protocol.proposer=rotation,random")."""
    if params:
        parsed = [parse_param_option(t) for t in params]
        spec = SweepSpec(scenario=str(scenario), params=tuple(p for p in parsed if not isinstance(p, Factor)),
                         factors=tuple(p for p in parsed if isinstance(p, Factor)))
        spec = replace(spec, sampler=sampler, runs=runs, seed=seed, **({"points": points} if points else {}))
    else:
        spec = replace(load_sweep(scenario), runs=runs, seed=seed, **({"points": points} if points else {}))
    validate(spec)
    with tempfile.TemporaryDirectory(prefix="negsim-sweep-") as tmp:
        table, _ = run_sweep(spec, Path(tmp), LocalExecutor(workers))
    return table


def robust(a, b, variants=None, runs: int = DEFAULT_RUNS, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """A and B under every variant of a variants file (default scenarios/variants.toml): one row
    per variant, day and metric, B - A paired per variant; `in_spread` is false where an outcome
    never happens in either scenario under the variant."""
    vfile = Path(variants) if variants else SHIPPED / "variants.toml"
    sa, sb = _scenario(a), _scenario(b)
    vs = load_variants(vfile)
    check(vs, [sa, sb], vfile)
    return robustness(sa, sb, vs, runs, seed).table


def explain(scenario, b=None, runs: int = 2000, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Each concedable demand of `scenario` (or each edit from `scenario` to `b`): its effect alone
    and its Shapley value per metric, one row per metric and player."""
    scs = [_scenario(scenario)] + ([_scenario(b)] if b is not None else [])
    return attribute(scs, runs, seed).table


__all__ = ["run", "compare", "sweep", "robust", "explain"]
