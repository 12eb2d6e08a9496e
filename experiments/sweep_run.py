"""Running a sweep: executors (local processes or Dask), the results table and the sensitivity
indices.  Each finished task is checkpointed (experiments/checkpoint.py): started again with the
same command, a sweep skips the tasks whose checkpoints check out; started with a different sweep
into the same folder, it refuses rather than mixing results.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import sim
from experiments.procs import forkserver_context, quiet_worker
from storage.atomic import atomic_path, signals_deferred
from storage.resultsfile import DATA_SHA_KEY, DataDigest, META_SHA_KEY, StreamedTable, run_metadata

from .checkpoint import Checkpoint
from .overrides import fix
from .sweep import (
    FORMAT,
    SweepError,
    SweepSpec,
    Task,
    _prepare,
    evaluate,
    level_label,
    metric_names,
    n_points,
    problem,
    sample,
    tasks_for,
    validate,
)
from .sweep_keep import common_inputs, kept_metadata, runs_path, task_columns

META_KEY = b"negsim"


# ------------------------------------------------------------------ executors
class LocalExecutor:
    """Long-lived worker processes (forkserver, model preloaded); tasks come back as they finish."""

    def __init__(self, workers: int):
        self.workers = workers

    def run(self, tasks: list[Task]) -> Iterator[tuple[int, dict]]:
        if self.workers == 1 or len(tasks) == 1:
            yield from map(evaluate, tasks)
            return
        ctx = forkserver_context(["experiments.sweep"])
        pool = ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=quiet_worker)
        try:
            todo, running = iter(tasks), set()
            for t in itertools.islice(todo, 2 * self.workers):  # a bounded number in flight
                with signals_deferred():
                    running.add(pool.submit(evaluate, t))
            while running:
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for f in done:
                    yield f.result()
                    nxt = next(todo, None)
                    if nxt is not None:
                        with signals_deferred():
                            running.add(pool.submit(evaluate, nxt))
        finally:  # finished, interrupted or abandoned: stop the workers now, not at exit
            pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """The same tasks on a Dask distributed cluster (`--scheduler tcp://host:8786`)."""

    INSTALL = "pip install 'negsim[cluster]' (or: pip install 'dask[distributed]')"

    def __init__(self, address: str):
        self.address = address
        self.client = None

    def connect(self, timeout: str = "20s") -> "DaskExecutor":
        """Reach the scheduler now, before any work: a missing Dask or an address that does not
        answer is one line (SweepError) naming the install command or the address."""
        try:
            from dask.distributed import Client  # Dask: optional, for --scheduler only
        except ImportError:
            raise SweepError(f"--scheduler needs Dask's distributed scheduler, which is not installed here: "
                             f"{self.INSTALL}") from None
        try:
            self.client = Client(self.address, timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - OSError, TimeoutError, ValueError...: no scheduler answers there
            why = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
            raise SweepError(f"--scheduler {self.address!r}: no Dask scheduler answers at that address ({why}); start "
                             "one with `dask scheduler` and give its address, e.g. tcp://10.0.0.5:8786") from None
        return self

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    def run(self, tasks: list[Task]) -> Iterator[tuple[int, dict]]:
        from dask.distributed import as_completed  # Dask: optional, for --scheduler only

        mine = self.client is None
        if mine:
            self.connect()
        try:
            futures = self.client.map(evaluate, tasks, pure=False)
            for f in as_completed(futures):
                yield f.result()
        finally:
            if mine:
                self.close()


# ------------------------------------------------------------------ the whole sweep
def run_sweep(spec: SweepSpec, out: Path, executor, progress: Callable[[int], None] = lambda n: None,
              on_resume: Callable[[int, int], None] = lambda done, total: None, stage: Path | None = None,
              on_redo: Callable[[list[str]], None] = lambda names: None,
              ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Evaluate every point (resuming from checkpoints in OUT/checkpoint), write sweep.parquet
    and, for Sobol and Morris designs, indices.parquet (into `stage` if given, else OUT); return
    both tables."""
    comp, _ = validate(spec)
    design = sample(spec)
    fingerprint = spec.fingerprint()
    tasks = tasks_for(spec, design, comp, fingerprint)
    ck = Checkpoint(out, fingerprint)
    done = ck.open(tasks)
    if ck.redone:
        on_redo(ck.redone)
    already = sum(len(t.point_ids) for t in tasks if t.task_id in done)
    total = n_points(spec)
    if already:
        on_resume(already, total)
    progress(already)
    for task_id, metrics in executor.run([t for t in tasks if t.task_id not in done]):
        ck.save(task_id, metrics)
        progress(len(tasks[task_id].point_ids))
    parts = [ck.load(t.task_id) for t in tasks]
    names = metric_names(comp)
    chosen = [m for m in names if not spec.metrics or m in spec.metrics]
    combos = spec.combinations()
    table = pd.DataFrame({"point": np.arange(total)})
    for i, f in enumerate(spec.factors):  # structural choices: their level, combination by combination
        table[f.path] = np.repeat([level_label(c[i]) for c in combos], len(design))
    for j, p in enumerate(spec.params):
        table[p.path] = np.tile(design[:, j], len(combos))
    for m in chosen:
        for suffix in ("", "_low", "_high"):
            key = m + suffix
            if key in parts[0]:
                table[key] = np.concatenate([part[key] for part in parts])
    indices = None
    if spec.sampler in ("sobol", "morris") and spec.params:  # per combination of structural choices
        parts_idx = []
        for k, combo in enumerate(combos):
            sub = table.iloc[k * len(design):(k + 1) * len(design)].reset_index(drop=True)
            idx = sensitivity(spec, design, sub, chosen)
            idx.insert(0, "choices", ", ".join(f"{f.path}={level_label(v)}" for f, v in zip(spec.factors, combo)))
            parts_idx.append(idx)
        indices = pd.concat(parts_idx, ignore_index=True)
        if not spec.factors:
            indices = indices.drop(columns="choices")
    meta = sweep_metadata(spec, comp, total, fingerprint)
    dest = stage or out
    _write_table(dest / "sweep.parquet", table, meta)
    if spec.keep_runs:
        write_kept_runs(dest, spec, tasks, design, ck)
    if indices is not None:
        _write_table(dest / "indices.parquet", indices, {**meta, "format": FORMAT + "-indices"})
    if stage is None:
        ck.remove()  # with a stage, the caller removes the checkpoints once the tables are moved in
    return table, indices


def write_kept_runs(dest: Path, spec: SweepSpec, tasks: list[Task], design: np.ndarray, ck: Checkpoint) -> None:
    """runs.parquet: every run of every point, task by task from the checkpoints (experiments.sweep_keep)."""
    firsts = {t.key: t for t in reversed(tasks)}  # one task per combination of structural choices
    prepared = {key: _prepare(t) for key, t in firsts.items()}
    u = next(iter(prepared.values()))[0].plan.uniforms(spec.seed, 0, 1)
    inputs, left_out = common_inputs([fix(c.plan, tg, design[0]) for c, tg in prepared.values()], u)
    base = prepared[tasks[0].key][0].layout.scenario
    meta = kept_metadata({**run_metadata(base, spec.seed, 1, "batch"), "sweep_fingerprint": spec.fingerprint()},
                         spec, n_points(spec) * spec.runs, left_out)
    combos, n_numeric = spec.combinations(), len(design)
    writer = StreamedTable(runs_path(dest), meta, csv=False)
    try:
        for t in tasks:
            comp, _ = prepared[t.key]
            combo = combos[t.point_ids[0] // n_numeric]
            writer.write(task_columns(
                comp, ck.load(t.task_id), root_seed=spec.seed, scenario=base.name, point_ids=t.point_ids,
                runs=spec.runs, swept={p.path: t.design[:, j] for j, p in enumerate(spec.params)},
                choices={f.path: level_label(v) for f, v in zip(spec.factors, combo)}, inputs=inputs))
    except BaseException:
        writer.close(keep=False)
        raise
    writer.close(keep=True)


def sweep_metadata(spec: SweepSpec, comp, n_points: int, fingerprint: str) -> dict:
    sc = comp.layout.scenario
    return {"format": FORMAT, "sweep": json.loads(json.dumps(spec.__dict__, default=lambda o: o.__dict__)),
            "scenario": sc.name, "scenario_sha256": sc.sha256, "scenario_resolved": sc.resolved_document,
            "root_seed": spec.seed, "points": n_points, "runs_per_point": spec.runs,
            "negsim_version": sim.__version__, "fingerprint": fingerprint}


def _write_table(path: Path, df: pd.DataFrame, meta: dict) -> None:
    table = pa.Table.from_pandas(df, preserve_index=False)
    raw = json.dumps(meta).encode()
    digest = DataDigest()
    digest.update(table)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), META_KEY: raw,
                                           META_SHA_KEY: hashlib.sha256(raw).hexdigest().encode(),
                                           DATA_SHA_KEY: digest.hexdigest().encode()})
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, write_page_checksum=True)


def sensitivity(spec: SweepSpec, design: np.ndarray, table: pd.DataFrame, metrics: Iterable[str]) -> pd.DataFrame:
    """Sobol (S1, ST, optionally S2) or Morris (mu_star, sigma) indices per metric, from SALib,
    with the half-width of each 95% interval in `conf` (bootstrap, seeded by the sweep's seed)."""
    prob = problem(spec)
    rows = []
    for m in metrics:
        y = table[m].to_numpy(dtype=float)
        if np.ptp(y) == 0:
            # A constant output has no variance to apportion: the indices are undefined, not 0.
            kinds = ("S1", "ST") if spec.sampler == "sobol" else ("mu_star", "sigma")
            rows += [(m, name, k, np.nan, np.nan) for name in prob["names"] for k in kinds]
            continue
        if spec.sampler == "sobol":
            from SALib.analyze import sobol  # SALib (heavy): only the analysis asked for

            res = sobol.analyze(prob, y, calc_second_order=spec.second_order, seed=spec.seed)
            for j, name in enumerate(prob["names"]):
                rows.append((m, name, "S1", res["S1"][j], res["S1_conf"][j]))
                rows.append((m, name, "ST", res["ST"][j], res["ST_conf"][j]))
            if spec.second_order:
                for j, a in enumerate(prob["names"]):
                    for k in range(j + 1, len(prob["names"])):
                        rows.append((m, f"{a}|{prob['names'][k]}", "S2", res["S2"][j, k], res["S2_conf"][j, k]))
        else:
            from SALib.analyze import morris  # SALib (heavy): only the analysis asked for

            res = morris.analyze(prob, design, y, num_levels=spec.morris_levels, seed=spec.seed)
            for j, name in enumerate(prob["names"]):
                rows.append((m, name, "mu_star", res["mu_star"][j], res["mu_star_conf"][j]))
                rows.append((m, name, "sigma", res["sigma"][j], np.nan))
    return pd.DataFrame(rows, columns=["metric", "parameter", "index", "value", "conf"])
