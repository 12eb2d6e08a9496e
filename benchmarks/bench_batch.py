"""Batch-driver benchmark (run by hand; not a pass/fail test).

    .venv/bin/python benchmarks/bench_batch.py            # everything, about a minute
    .venv/bin/python benchmarks/bench_batch.py --quick    # skip the 1,000,000-run stream

All figures come from the headline scenario (accession_excluded, 53 meetings to day 364) with the
same root seed, and each is the median of several repeats, so the ratios are against baselines
measured in the same run on the same machine.  Runs per second are wall-clock; the kernel
against its floor is CPU time (see kernel_floor).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from experiments.runner import batches, default_workers  # noqa: E402
from sim.engine import Compiled, params_for_runs  # noqa: E402
from sim.preferences import utilities  # noqa: E402
from sim.protocol import init_state, play_rounds  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

SCENARIO = ROOT / "scenarios" / "accession_excluded.toml"
SEED = 20211217


def median_time(fn, repeats: int, clock=time.perf_counter) -> float:
    times = []
    for _ in range(repeats):
        t = clock()
        fn()
        times.append(clock() - t)
    return statistics.median(times)


def process_tree_rss(root: int) -> int:
    """Resident memory, in bytes, of a process and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def stream_million(workers: int) -> tuple[float, float, float]:
    """1,000,000 runs streamed to Parquet by `negsim run`: seconds, peak summed RSS of negsim and
    its workers (MiB, sampled every 0.1 s), file size (MiB)."""
    with tempfile.TemporaryDirectory() as d:
        cmd = [sys.executable, "-m", "negsim", "run", str(SCENARIO), "-n", "1000000", "--seed", str(SEED),
               "--workers", str(workers), "--out", d, "--quiet"]
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, cwd=ROOT)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, process_tree_rss(proc.pid))
            time.sleep(0.1)
        elapsed = time.perf_counter() - t
        if proc.returncode:
            raise SystemExit(f"negsim run failed ({proc.returncode})")
        size = (Path(d) / "runs.parquet").stat().st_size / 2**20
    return elapsed, peak / 2**20, size


def cold_workers(n: int, repeats: int) -> tuple[float, float, float]:
    """`negsim run -n N --workers 1` against `--workers 2` as a user starts them, each a fresh
    process (so the second starts its own forkserver, cold), alternated; and the forkserver's
    warm-up alone (`python -c "import experiments.warm"`: numpy, scipy, Numba, the kernel loaded
    from Numba's cache, one run played).  Median seconds of each, wall-clock."""
    times = {1: [], 2: [], "warm-up": []}
    with tempfile.TemporaryDirectory() as d:
        for _ in range(repeats):
            for w in (1, 2):
                cmd = [sys.executable, "-m", "negsim", "run", str(SCENARIO), "-n", str(n), "--seed", str(SEED),
                       "--workers", str(w), "--out", d, "--quiet", "--force"]
                t = time.perf_counter()
                subprocess.run(cmd, stdout=subprocess.DEVNULL, cwd=ROOT, check=True)
                times[w].append(time.perf_counter() - t)
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", "import experiments.warm"], cwd=ROOT, check=True)
            times["warm-up"].append(time.perf_counter() - t)
    return statistics.median(times[1]), statistics.median(times[2]), statistics.median(times["warm-up"])


def kernel_floor(comp, repeats: int) -> tuple[float, float, int]:
    """The kernel's cost per package voted on, against the floor: one utility evaluation of every
    actor for one package, vectorised over 2,048 runs (numpy).  Returns (kernel seconds per
    package, floor seconds per run-package, packages voted on).  Both are single-threaded and
    CPU-bound, so both are timed in CPU time: another process on the machine then changes the
    ratio little (wall-clock time on a shared machine does)."""
    lay = comp.layout
    p = params_for_runs(comp, SEED, 0, 2048)
    x = p.best_package[:, 0].copy()
    t_floor_call = median_time(lambda: utilities(x, p.ideal, p.salience, lay.mixing), 200, time.process_time)

    def play_all():
        s = init_state(lay, p)
        play_rounds(lay, p, s, lay.horizon)
        return s

    t_play = median_time(play_all, 3 * repeats, time.process_time)
    packages = int(play_all().packages.sum())
    return t_play / packages, t_floor_call / 2048, packages


def kernel_split(sc, repeats: int) -> tuple[float, float, float, float]:
    """Where the kernel's time goes, in CPU seconds: per meeting played (every actor's ask, the
    walkout rules, the meeting's bookkeeping) and per package voted on (the proposer's offer, every
    actor's answer, what each holds and learns).  The same 2,048 runs are played as shipped (every
    party at the table tables a package at each meeting) and with one proposer a meeting in turn,
    and time = meetings x m + packages x p is solved for m and p from the two.  It assumes a
    meeting and a package cost the same under both protocols (the runs differ in length, not in
    what a step does).  Returns (m, p, packages per meeting as shipped, ratio of the two runs'
    packages per meeting)."""
    # Here, not at the top: each worker process re-runs this script's top level (multiprocessing
    # starts it as __mp_main__), and would import what only these measurements need.
    from experiments.variants import apply

    plays, counts = [], []
    for proposer in ("all", "rotation"):
        comp = Compiled.from_scenario(apply(sc, {"protocol.proposer": proposer}))
        lay, p = comp.layout, params_for_runs(comp, SEED, 0, 2048)

        def play_all(lay=lay, p=p):
            s = init_state(lay, p)
            play_rounds(lay, p, s, lay.horizon)
            return s

        s = play_all()
        plays.append(play_all)
        counts.append((int(s.rounds.sum()), int(s.packages.sum())))
    times = [[], []]
    for _ in range(3 * repeats):  # alternated, so both see the same machine load
        for k, play_all in enumerate(plays):
            t = time.process_time()
            play_all()
            times[k].append(time.process_time() - t)
    rows = [(statistics.median(times[k]), *counts[k]) for k in range(2)]
    (t1, m1, p1), (t2, m2, p2) = rows
    det = m1 * p2 - m2 * p1
    per_meeting, per_package = (t1 * p2 - t2 * p1) / det, (m1 * t2 - m2 * t1) / det
    return per_meeting, per_package, p1 / m1, (p1 / m1) / (p2 / m2)


def channels_cost(sc, n: int, repeats: int) -> tuple[float, float]:
    """CPU seconds for n runs with every channel of the agenda off and with all on (the `all`
    row of experiments.channels.CHANNELS), alternated so both see the same machine load."""
    from experiments.channels import CHANNELS, defaults  # not at the top: see kernel_split
    from experiments.variants import apply  # the same

    off, on = apply(sc, defaults()), apply(sc, defaults() + CHANNELS[-1].changes)
    drain = lambda s: sum(len(b) for b in batches(s, n, SEED, workers=1))  # noqa: E731
    times = {id(off): [], id(on): []}
    for s in (off, on):
        drain(s)  # compile
    for _ in range(repeats):
        for s in (off, on):
            t = time.process_time()
            drain(s)
            times[id(s)].append(time.process_time() - t)
    return statistics.median(times[id(off)]), statistics.median(times[id(on)])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip the 1,000,000-run stream")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    # Processes started from here (the forkserver, negsim commands) keep compiled bytecode, as a
    # user's do; with PYTHONDONTWRITEBYTECODE each would compile every module from source.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sc = load_scenario(SCENARIO)
    comp = Compiled.from_scenario(sc)
    lay = comp.layout
    n = 10_000
    workers = default_workers()
    print(f"scenario {sc.name}, horizon {lay.horizon} meetings, root seed {SEED}, {workers} cores, "
          f"median of {args.repeats} repeats (wall-clock time)\n")

    drain = lambda it: sum(len(b) for b in it)  # noqa: E731
    t_one = median_time(lambda: drain(batches(sc, n, SEED, workers=1)), args.repeats)
    t_all = median_time(lambda: drain(batches(sc, n, SEED, workers=workers, min_parallel_runs=0)), args.repeats)
    n_big = 100_000
    t_one_big = median_time(lambda: drain(batches(sc, n_big, SEED, workers=1)), 3)
    t_all_big = median_time(lambda: drain(batches(sc, n_big, SEED, workers=workers, min_parallel_runs=0)), 3)
    cpu_parent = time.process_time()
    drain(batches(sc, n_big, SEED, workers=workers, min_parallel_runs=0))
    cpu_parent = time.process_time() - cpu_parent
    t_cold_one, t_cold_all, t_warm_up = cold_workers(n_big, 3)
    n_mesa = 200
    t_mesa = median_time(lambda: drain(batches(sc, n_mesa, SEED, engine="mesa")), 3)
    per_package, floor, packages = kernel_floor(comp, args.repeats)
    per_meeting_split, per_package_split, packages_per_meeting, _ = kernel_split(sc, args.repeats)
    t_off, t_on = channels_cost(sc, n, args.repeats)

    rate = lambda k, t: k / t  # noqa: E731
    print(f"batch driver, 1 worker:       {n:>9,} runs in {t_one:6.3f} s  -> {rate(n, t_one):>10,.0f} runs/s")
    print(f"batch driver, {workers} workers:      {n:>9,} runs in {t_all:6.3f} s  -> {rate(n, t_all):>10,.0f} runs/s")
    print(f"batch driver, 1 worker:       {n_big:>9,} runs in {t_one_big:6.3f} s  -> {rate(n_big, t_one_big):>10,.0f} runs/s")
    print(f"batch driver, {workers} workers:      {n_big:>9,} runs in {t_all_big:6.3f} s  -> {rate(n_big, t_all_big):>10,.0f} runs/s")
    print(f"Mesa driver:                  {n_mesa:>9,} runs in {t_mesa:6.3f} s  -> {rate(n_mesa, t_mesa):>10,.0f} runs/s")
    print(f"kernel on 2,048 runs: {packages:,} packages voted on, {1e6 * per_package:.2f} us each; "
          f"floor (utilities of every actor for one package, numpy over 2,048 runs): {1e6 * floor:.2f} us per run\n")
    print("ratios")
    print(f"  batch (1 worker) / Mesa, runs per second:          {rate(n, t_one) / rate(n_mesa, t_mesa):8.0f}x   (target >= 100x)")
    print(f"  {workers} workers / 1 worker, {n:,} runs:             {t_one / t_all:8.2f}x")
    print(f"  {workers} workers / 1 worker, {n_big:,} runs:           {t_one_big / t_all_big:8.2f}x   (look into it under 1.5x; "
          f"warm: this process's forkserver already started; the parent's CPU {cpu_parent:.2f} s)")
    print(f"  negsim run -n {n_big:,}, --workers {workers} / --workers 1:  {t_cold_one / t_cold_all:8.2f}x   (cold, as a user "
          f"runs it: {t_cold_one:.2f} s against {t_cold_all:.2f} s; the forkserver's warm-up alone {t_warm_up:.2f} s)")
    print(f"  cost per package voted on / floor per package:     {per_package / floor:8.2f}x   (target <= 3x, aim 2x)")
    print(f"    of which per meeting (asks, walkout rules; {packages_per_meeting:.2f} packages a meeting as shipped): "
          f"{per_meeting_split / packages_per_meeting / floor:.2f}x; per package (offer, answers, hold, learn): "
          f"{per_package_split / floor:.2f}x   (kernel_split: as shipped against one proposer a meeting)")
    print(f"  10,000 runs on 1 core: {t_one:.3f} s   (target < 0.5 s)")
    print(f"  every channel on / every channel off, {n:,} runs, 1 core (CPU): {t_on / t_off:8.2f}x   (target <= 1.3x)")

    if not args.quick:
        elapsed, peak, size = stream_million(workers)
        print(f"  1,000,000 runs streamed to Parquet with {workers} workers: {elapsed:.1f} s; peak resident memory of "
              f"negsim and its workers together {peak:.0f} MiB (target < 1024); file {size:.0f} MiB")


if __name__ == "__main__":
    main()
