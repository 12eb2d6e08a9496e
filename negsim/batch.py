"""What `negsim run` and `negsim compare` take: their options, and the checks of the numbers
asked for, made before any work.  Light (no pandas, no Numba): `run` prints its heading first."""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis.study import DEFAULT_RUNS, DEFAULT_SEED
from experiments.runner import MIN_PARALLEL_RUNS, default_workers
from sim.scenario import load_scenario
from storage.text import safe_name

from .common import MAX_RUNS, MIB_PER_MILLION_RUNS, UsageError, check_seed, check_workers, folder_arg


def options(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("-n", "--runs", type=int, default=DEFAULT_RUNS, help=f"Monte Carlo runs per scenario (default {DEFAULT_RUNS:,})")
    sp.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"root seed (default {DEFAULT_SEED})")
    sp.add_argument("--out", type=folder_arg, help="output folder for the per-run table(s), figure and manifest "
                    "(default results/<scenario name>/, or results/<A>_vs_<B>/ for compare)")
    sp.add_argument("--engine", choices=("batch", "mesa"), default="batch",
                    help="batch: all runs at once through the array rules (default); mesa: one Mesa model per run (slow)")
    sp.add_argument("--workers", type=int, default=None,
                    help=f"worker processes (default: all cores; batches under {MIN_PARALLEL_RUNS:,} runs use one "
                    "process, since starting workers costs more than they save)")
    sp.add_argument("--chunk-size", type=int, default=None, help="runs per task (default 2048)")
    sp.add_argument("--csv", action="store_true", help="also write the per-run table as CSV")
    sp.add_argument("--trace", action="store_true",
                    help="also write trace*.parquet: every actor's aspiration, position and best offer per round")
    sp.add_argument("--quiet", action="store_true", help="no progress bar")
    sp.add_argument("--json", action="store_true",
                    help="print one JSON summary instead of the text (keys: README, 'Machine-readable output')")
    sp.add_argument("--force", action="store_true",
                    help="use --out even if it holds another command's results (clears negsim's files there first)")


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
