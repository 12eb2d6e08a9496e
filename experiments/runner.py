"""The one way to run the model: a scenario (or a draw plan), a number of runs and a root seed in;
batches of runs out, in run order.  Every command, experiment and benchmark runs the model here.

    batches(source, runs, seed)             stream Batches of runs 0..runs-1
    run(source, runs, seed)                 the same, as one Batch
    paired(sources, runs, seed)             several plans on the same runs (common random
                                            numbers), chunk by chunk: a list of Batches each
    play_chunk(plans, seed, start, stop)    the unit of work: runs [start, stop) under each plan

`source` is a `Scenario`, a `Compiled` scenario or a `DrawPlan` (a scenario with some draws
fixed: a sweep point, a conceded demand).  Where the work happens is a keyword: `workers` (local
processes, forked from a forkserver that has loaded the compiled kernel), `client` (a Dask
client), or neither (this process); `engine="mesa"` plays the same runs through the Mesa driver
(one model per run; slow, for cross-checks).  A run's result depends only on the root seed and
its index (sim/seeding.py), so chunking, workers and engine change the speed, never the numbers.
"""

from __future__ import annotations

import os
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import Iterator, Sequence

from sim.engine import Batch, Compiled, play_runs
from sim.params import DrawPlan
from sim.scenario import Scenario
from storage.atomic import signals_deferred

from .chunks import DEFAULT_CHUNK, MIN_PARALLEL_RUNS
from .procs import forkserver_context, quiet_worker

IN_FLIGHT = 3  # chunks queued per worker: enough to keep it busy, few enough to keep memory flat
ENGINES = ("batch", "mesa")

Source = Scenario | Compiled | DrawPlan


def plan_of(source: Source) -> DrawPlan:
    """The draw plan of a scenario, compiled scenario or plan."""
    if isinstance(source, DrawPlan):
        return source
    if isinstance(source, Compiled):
        return source.plan
    if isinstance(source, Scenario):
        return Compiled.from_scenario(source).plan
    raise TypeError(f"cannot run a {type(source).__name__}: give a Scenario, a Compiled scenario or a DrawPlan")


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def play_chunk(plans: Sequence[DrawPlan], root_seed: int, start: int, stop: int, trace: bool = False,
               engine: str = "batch") -> list[Batch]:
    """Runs [start, stop) under each plan, on the same rows of uniforms (drawn once per size)."""
    if engine == "mesa":
        return [_mesa_runs(plan, root_seed, start, stop) for plan in plans]
    rows: dict[tuple[int, int], object] = {}
    out = []
    for plan in plans:
        width = (plan.n_uniforms, plan.n_extra_uniforms)
        if width not in rows:
            rows[width] = plan.uniforms(root_seed, start, stop)
        out.append(play_runs(plan, root_seed, start, stop, trace, rows[width]))
    return out


def _mesa_runs(plan: DrawPlan, root_seed: int, start: int, stop: int) -> Batch:
    # Mesa (with pandas and its visualisation) for the second driver only; importing it also
    # resets the multiprocessing start method, so never at start-up.
    from sim.model import simulate_mesa

    return simulate_mesa(plan, root_seed, start, stop)


def paired(sources: Sequence[Source], runs: int, seed: int, *, workers: int = 1, client=None, trace: bool = False,
           chunk: int = DEFAULT_CHUNK, engine: str = "batch",
           min_parallel_runs: int = MIN_PARALLEL_RUNS) -> Iterator[list[Batch]]:
    """Runs 0..runs-1 under every source, chunk by chunk in run order: one Batch per source.
    Worker processes start only for at least `min_parallel_runs` runs in all (runs x sources)."""
    _check(runs, chunk, workers, engine)
    plans = [plan_of(s) for s in sources]
    spans = [(a, min(a + chunk, runs)) for a in range(0, runs, chunk)]
    if client is not None:
        yield from _on_dask(client, plans, seed, spans, trace, engine)
    elif workers == 1 or len(spans) == 1 or runs * len(plans) < min_parallel_runs or engine == "mesa":
        for a, b in spans:
            yield play_chunk(plans, seed, a, b, trace, engine)
    else:
        yield from _in_processes(plans, seed, spans, trace, min(workers, len(spans)))


def batches(source: Source, runs: int, seed: int, **how) -> Iterator[Batch]:
    """Runs 0..runs-1 of one source, as Batches in run order (keywords as for `paired`)."""
    for (b,) in paired([source], runs, seed, **how):
        yield b


def run(source: Source, runs: int, seed: int, **how) -> Batch:
    """Runs 0..runs-1 of one source as one Batch (keywords as for `paired`)."""
    return Batch.concat(list(batches(source, runs, seed, **how)))


def measured_rate(source: Source, seed: int, runs: int = 400) -> float:
    """Runs per second in this process, timed on `runs` runs of `source` (after a few to load the
    compiled kernel): what a design's duration is estimated from."""
    plan = plan_of(source)
    play_chunk([plan], seed, 0, 8)
    start = time.perf_counter()
    play_chunk([plan], seed, 0, runs)
    return runs / max(time.perf_counter() - start, 1e-9)


def _check(runs: int, chunk: int, workers: int, engine: str) -> None:
    if runs < 1:
        raise ValueError(f"the number of runs must be at least 1, got {runs}")
    if chunk < 1 or workers < 1:
        raise ValueError("chunk size and worker count must be at least 1")
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")


# ---------------------------------------------------------------- local worker processes
_worker_plans: list[DrawPlan] = []  # one copy per worker process, sent once at start


def _init_worker(plans: list[DrawPlan]) -> None:
    global _worker_plans
    quiet_worker()  # dies with negsim (and so with the forkserver); leaves Ctrl-C to negsim
    _worker_plans = plans


def _worker_chunk(task: tuple[int, int, int, bool]) -> list[dict]:
    root, start, stop, trace = task
    return [_without_layout(b) for b in play_chunk(_worker_plans, root, start, stop, trace)]


def _without_layout(b: Batch) -> dict:
    return {k: v for k, v in b.__dict__.items() if k != "layout"}  # the parent has the layout


def _in_processes(plans, seed, spans, trace, workers) -> Iterator[list[Batch]]:
    ctx = forkserver_context(["experiments.warm"])  # workers start with the kernel loaded
    pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(plans,))
    try:
        pending: deque = deque()
        for a, b in spans:  # a bounded number of chunks in flight: memory stays flat
            with signals_deferred():  # a task (or a new worker) is never sent half-way
                pending.append(pool.submit(_worker_chunk, (seed, a, b, trace)))
            if len(pending) >= IN_FLIGHT * workers:
                yield _rebuild(plans, pending.popleft().result())
        while pending:
            yield _rebuild(plans, pending.popleft().result())
    finally:  # finished, interrupted or abandoned: stop the workers now, not at exit
        pool.shutdown(wait=True, cancel_futures=True)


def _rebuild(plans, parts: list[dict]) -> list[Batch]:
    return [Batch(layout=plan.layout, **part) for plan, part in zip(plans, parts)]


# ---------------------------------------------------------------- a Dask cluster
def _on_dask(client, plans, seed, spans, trace, engine) -> Iterator[list[Batch]]:
    """Chunks as Dask tasks; the plans are sent to the workers once.  Each worker needs this
    project installed (README: running on a cluster)."""
    shared = client.scatter(plans, broadcast=True)
    pending: deque = deque()
    limit = IN_FLIGHT * max(1, len(client.scheduler_info().get("workers", {})))
    for a, b in spans:
        pending.append(client.submit(play_chunk, shared, seed, a, b, trace, engine, pure=False))
        if len(pending) >= limit:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
