"""Batch-driver benchmark (run by hand; not a pass/fail test).

    .venv/bin/python benchmarks/bench_batch.py            # everything, about a minute
    .venv/bin/python benchmarks/bench_batch.py --quick    # skip the 1,000,000-run stream

All figures come from one process on the headline scenario (accession_excluded, 52-round
horizon) with the same root seed, and each is the median of several repeats, so the ratios are
against baselines measured in the same run on the same machine.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.engine import Compiled, params_for_runs, play  # noqa: E402
from experiments.runner import batches, default_workers  # noqa: E402
from sim.preferences import utilities  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

SCENARIO = ROOT / "scenarios" / "accession_excluded.toml"
SEED = 20211217


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip the 1,000,000-run stream")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    sc = load_scenario(SCENARIO)
    comp = Compiled.from_scenario(sc)
    lay = comp.layout
    n = 10_000
    workers = default_workers()
    print(f"scenario {sc.name}, horizon {lay.horizon} rounds, root seed {SEED}, {workers} cores, "
          f"median of {args.repeats} repeats\n")

    drain = lambda it: sum(len(b) for b in it)  # noqa: E731
    t_one = median_time(lambda: drain(batches(sc, n, SEED, workers=1)), args.repeats)
    t_all = median_time(lambda: drain(batches(sc, n, SEED, workers=workers, min_parallel_runs=0)), args.repeats)
    n_big = 100_000
    t_one_big = median_time(lambda: drain(batches(sc, n_big, SEED, workers=1)), 3)
    t_all_big = median_time(lambda: drain(batches(sc, n_big, SEED, workers=workers, min_parallel_runs=0)), 3)
    n_mesa = 200
    t_mesa = median_time(lambda: drain(batches(sc, n_mesa, SEED, engine="mesa")), 3)

    # Floor kernel: one utility evaluation of every actor over the same (R, A, C) arrays, once
    # per round the batch driver actually plays (its run-rounds), on the same 2048-run chunks.
    p = params_for_runs(comp, SEED, 0, 2048)
    x = p.best_package[:, 0].copy()
    t_floor_call = median_time(lambda: utilities(x, p.ideal, p.salience, lay.mixing), 50)
    t_play = median_time(lambda: play(lay, p), args.repeats)
    out, _, _ = play(lay, p)
    run_rounds = int(out["rounds"].sum())
    floor_per_run_round = t_floor_call / 2048
    play_per_run_round = t_play / run_rounds

    rate = lambda k, t: k / t  # noqa: E731
    print(f"batch driver, 1 worker:       {n:>9,} runs in {t_one:6.3f} s  -> {rate(n, t_one):>10,.0f} runs/s")
    print(f"batch driver, {workers} workers:      {n:>9,} runs in {t_all:6.3f} s  -> {rate(n, t_all):>10,.0f} runs/s")
    print(f"batch driver, 1 worker:       {n_big:>9,} runs in {t_one_big:6.3f} s  -> {rate(n_big, t_one_big):>10,.0f} runs/s")
    print(f"batch driver, {workers} workers:      {n_big:>9,} runs in {t_all_big:6.3f} s  -> {rate(n_big, t_all_big):>10,.0f} runs/s")
    print(f"Mesa driver:                  {n_mesa:>9,} runs in {t_mesa:6.3f} s  -> {rate(n_mesa, t_mesa):>10,.0f} runs/s")
    print(f"floor kernel (utilities of all actors, 2048 runs): {1e6 * t_floor_call:.0f} us per call")
    print(f"play() on 2048 runs: {1e3 * t_play:.1f} ms for {run_rounds:,} run-rounds "
          f"(mean {run_rounds / 2048:.1f} rounds per run)\n")
    print("ratios")
    print(f"  batch (1 worker) / Mesa, runs per second:         {rate(n, t_one) / rate(n_mesa, t_mesa):8.0f}x   (target >= 100x)")
    print(f"  {workers} workers / 1 worker, {n:,} runs:            {t_one / t_all:8.2f}x")
    print(f"  {workers} workers / 1 worker, {n_big:,} runs:          {t_one_big / t_all_big:8.2f}x")
    print(f"  per run-round cost / floor kernel per run-round: {play_per_run_round / floor_per_run_round:8.1f}x   (target <= 3x)")
    print(f"  10,000 runs on 1 core: {t_one:.3f} s   (target < 0.5 s)")

    if not args.quick:
        with tempfile.TemporaryDirectory() as d:
            cmd = [sys.executable, "-m", "negsim", "run", str(SCENARIO), "-n", "1000000", "--seed", str(SEED),
                   "--out", d, "--quiet"]
            t = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
            elapsed = time.perf_counter() - t
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            size = (Path(d) / "runs.parquet").stat().st_size / 2**20
        print(f"  1,000,000 runs streamed to Parquet with {workers} workers: {elapsed:.1f} s (target < 60 s); "
              f"peak RSS of the largest process {peak:.0f} MiB (target < 1024); file {size:.0f} MiB")


if __name__ == "__main__":
    main()
