"""What `negsim run` and `negsim compare` share before any work: the checks of the numbers asked
for (their options: negsim/grammar.py) and the default output folder.  It loads the scenario
loader and the runner's checks (numpy), but no pandas and no Numba: `run` prints its heading
before those load."""

from __future__ import annotations

from pathlib import Path

from experiments.runner import default_workers
from sim.scenario import load_scenario
from storage.text import safe_name

from .common import MAX_RUNS, MIB_PER_MILLION_RUNS, UsageError, check_seed, check_workers


def default_out(paths) -> Path:
    """run: results/<scenario name>; compare: results/<A>_vs_<B>[_vs_<C>...]."""
    return Path("results") / safe_name("_vs_".join(safe_name(load_scenario(p).name) for p in paths), 160)


def check_args(args) -> None:
    """Everything about the numbers asked for, checked before any work."""
    if args.runs < 1:
        raise UsageError(f"-n/--runs must be at least 1, got {args.runs}")
    if args.runs > MAX_RUNS:
        raise UsageError(f"-n/--runs: at most {MAX_RUNS:,} runs per scenario, got {args.runs:,} (the summary kept "
                         f"in memory takes ~{MIB_PER_MILLION_RUNS} MiB per million runs, "
                         f"~{args.runs / 1e6 * MIB_PER_MILLION_RUNS / 1024:,.1f} GiB here); split the work over seeds")
    check_seed(args.seed)
    args.workers = check_workers(args.workers, default_workers())
    if args.trace and args.engine == "mesa":
        raise UsageError("--trace needs the batch engine (the Mesa driver keeps its DataCollector instead)")
    if args.chunk_size is not None and args.chunk_size < 1:
        raise UsageError(f"--chunk-size must be at least 1, got {args.chunk_size}")
