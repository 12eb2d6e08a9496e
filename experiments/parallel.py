"""Chunks of runs over worker processes, yielded in run order.

Each chunk is a coarse task (thousands of runs) because a process task costs milliseconds of
overhead.  Workers are long-lived, forked from a forkserver that has already loaded the
compiled kernel (warm.py), and each compiles the scenario once.  A run's result depends only
on the root seed and its index (see seeding.py), so the worker count and chunk size change the
speed, never the numbers.
"""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import Iterator

from sim.engine import Batch, Compiled, simulate_range
from .procs import die_with_parent, forkserver_context
from sim.scenario import Scenario

DEFAULT_CHUNK = 2048  # runs per task: a few tens of milliseconds of work, small results to send back
# The first pool in a process costs about 0.9 s (the forkserver imports Numba and loads the
# kernel), later ones about 0.1 s; one process plays ~35,000 runs a second, so two workers only
# pay off from about 50,000 runs (benchmarks/bench_batch.py measures both).
MIN_PARALLEL_RUNS = 50_000

_worker_compiled: Compiled | None = None  # one per worker process


def _init_worker(sc: Scenario) -> None:
    global _worker_compiled
    die_with_parent()  # a SIGKILL of negsim (and so of the forkserver) takes the workers along
    _worker_compiled = Compiled.from_scenario(sc)


def _run_chunk(task: tuple[int, int, int, bool]) -> dict:
    root, start, stop, trace = task
    b = simulate_range(_worker_compiled, root, start, stop, trace)
    return {k: v for k, v in b.__dict__.items() if k != "layout"}  # the parent has the layout


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def iter_batches(sc: Scenario, n_runs: int, root_seed: int, chunk_size: int = DEFAULT_CHUNK,
                 workers: int = 1, trace: bool = False, min_parallel_runs: int = MIN_PARALLEL_RUNS) -> Iterator[Batch]:
    """Batches of runs 0..n_runs-1 in order, computed in `workers` processes (in this one when
    there are fewer than `min_parallel_runs` runs)."""
    if n_runs < 1:
        raise ValueError(f"the number of runs must be at least 1, got {n_runs}")
    if chunk_size < 1 or workers < 1:
        raise ValueError("chunk size and worker count must be at least 1")
    comp = Compiled.from_scenario(sc)
    tasks = [(root_seed, a, min(a + chunk_size, n_runs), trace) for a in range(0, n_runs, chunk_size)]
    if workers == 1 or len(tasks) == 1 or n_runs < min_parallel_runs:
        for root, a, b, tr in tasks:
            yield simulate_range(comp, root, a, b, tr)
        return
    ctx = forkserver_context(["experiments.warm"])  # workers start with the kernel loaded
    with ProcessPoolExecutor(min(workers, len(tasks)), mp_context=ctx, initializer=_init_worker,
                             initargs=(sc,)) as pool:
        pending: deque = deque()
        todo = iter(tasks)
        for task in todo:  # keep a bounded number of chunks in flight: memory stays flat
            pending.append(pool.submit(_run_chunk, task))
            if len(pending) >= 3 * workers:
                yield Batch(layout=comp.layout, **pending.popleft().result())
        while pending:
            yield Batch(layout=comp.layout, **pending.popleft().result())
