"""Scenario-discovery benchmark (run by hand; not a pass/fail test).

    .venv/bin/python benchmarks/bench_discovery.py              # 100,000 runs x 30 inputs
    .venv/bin/python benchmarks/bench_discovery.py --rows 20000 --repeats 5

Target (issue 13): the whole discovery on 100,000 runs x 30 inputs in under 10 s on the 2-core
machine.  The table is synthetic, uniform inputs with a noisy box (the outcome happens in 80% of
runs with x01 < 0.3 and x02 > 0.6 and in 10% elsewhere), so peeling runs its full course.  The
time is `discover` alone (median of the repeats, wall and CPU time: other work on the machine
stretches the first, not the second); the one-off import of the PRIM engine is timed separately,
as the first call in a fresh process pays it.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.discovery import _load_prim, describe, discover  # noqa: E402

SEED = 20211217


def table(rows: int, inputs: int, seed: int = SEED) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.random((rows, inputs)), columns=[f"input.x{i:02d}" for i in range(1, inputs + 1)])
    inside = (x["input.x01"] < 0.3).to_numpy() & (x["input.x02"] > 0.6).to_numpy()
    y = np.where(inside, rng.random(rows) < 0.8, rng.random(rows) < 0.1)
    return x, y


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--inputs", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    x, y = table(args.rows, args.inputs)

    t, c = time.perf_counter(), time.process_time()
    _load_prim()
    first_import, import_cpu = time.perf_counter() - t, time.process_time() - c

    times, cpu, found = [], [], None
    for _ in range(args.repeats):
        t, c = time.perf_counter(), time.process_time()
        found = discover(x, y)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    d = found
    print(f"discovery on {args.rows:,} runs x {args.inputs} inputs: median {statistics.median(times):.2f} s "
          f"of {args.repeats} repeats ({', '.join(f'{v:.2f}' for v in times)} s); CPU time median "
          f"{statistics.median(cpu):.2f} s ({', '.join(f'{v:.2f}' for v in cpu)} s; the work is one thread, "
          f"so this is close to the wall time on an idle machine); first import of the PRIM engine "
          f"{first_import:.2f} s (CPU {import_cpu:.2f} s)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = os.getloadavg()[0]
    print(f"trajectory {len(d.trajectory)} steps, chosen step {d.chosen_step}, pasting steps {d.pasting_steps}; "
          f"peak memory {peak:,.0f} MB; load average at the end {load:.1f} on {os.cpu_count()} cores")
    print(describe(d, "the outcome happens"))


if __name__ == "__main__":
    main()
