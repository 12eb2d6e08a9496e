"""What the command modules share: the usage error, and the checks of numbers asked for on the
command line.  Light (no numpy): it is imported at start-up."""

from __future__ import annotations

import os
import sys

MAX_SEED = 2**63 - 1  # the seed is stored as a signed 64-bit integer in the results files
# Ceiling on -n per scenario: the summary frame kept in memory takes ~210 MiB per million runs
# (measured), so 20 million runs need ~4.1 GiB; beyond that, split the work over seeds.
MAX_RUNS = 20_000_000
MIB_PER_MILLION_RUNS = 210


class UsageError(Exception):
    """A problem with what the user asked for; printed as one line."""


def check_seed(seed: int, option: str = "--seed") -> None:
    if not 0 <= seed <= MAX_SEED:
        raise UsageError(f"{option}: must be an integer in [0, 2**63-1], got {seed}")


def check_workers(workers: int | None) -> int | None:
    """At least 1; above the core count, a one-line warning and the core count."""
    if workers is None:
        return None
    if workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}")
    from experiments.runner import default_workers

    cores = default_workers()
    if workers > cores:
        print(f"negsim: warning: --workers {workers} is more than the {cores} core(s) available; using {cores}",
              file=sys.stderr)
        return cores
    return workers


def results_folder(command: str, *names: str):
    """The default output folder of a command: results/<command>_<name>_<name>..., so two commands,
    or one command on other inputs, never share a folder by default (a folder belongs to one
    command and identity; storage/outdir.py refuses another)."""
    from pathlib import Path

    from storage.outdir import safe_name

    return Path("results") / safe_name("_".join([command, *(safe_name(n, 60) for n in names if n)]), 160)


def say_first(line: str) -> None:
    """A heading printed before the work starts (it holds no result, so nothing is lost if the
    pipe it goes to is already closed: then the rest of stdout is silenced and the work goes on)."""
    try:
        print(line, flush=True)
    except BrokenPipeError:
        silence_stdout()


def silence_stdout() -> None:
    """After a closed pipe: send what is left of stdout to /dev/null so exiting prints nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        sys.stdout = open(os.devnull, "w")


def study_options(p, runs: int, what: str, out_default: str) -> None:
    """The options every study command shares: runs, seed, output folder, --force, --quiet."""
    from pathlib import Path

    from analysis.study import DEFAULT_SEED

    p.add_argument("-n", "--runs", type=int, default=runs, help=f"runs per {what} (default {runs:,})")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"root seed (default {DEFAULT_SEED})")
    p.add_argument("--out", type=Path, help=f"output folder (default {out_default})")
    p.add_argument("--force", action="store_true", help="reuse --out even if it holds another command's results")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
