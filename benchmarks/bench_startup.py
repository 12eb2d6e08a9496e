"""Start-up benchmark: how soon a command says something (run by hand; not a pass/fail test).

    .venv/bin/python benchmarks/bench_startup.py             # 5 repeats of each command
    .venv/bin/python benchmarks/bench_startup.py --repeats 9

Goal (issue 22): `negsim run scenarios/accession_excluded.toml -n 1000` prints its first line
within 2 s of a warm start (the kernel compiled and cached, the files in the page cache).  Each
command runs in a fresh process, as a user starts it; the figures are medians of several
repeats, wall-clock, next to a baseline measured in the same run (Python importing numpy), and
the CPU time of the whole command (less sensitive to other jobs on a shared machine).
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
PYTHON = sys.executable
RUN = ["-m", "negsim", "run", "scenarios/accession_excluded.toml", "-n", "1000", "--quiet", "--force"]


def timed(argv: list[str]) -> tuple[float, float, float]:
    """(seconds to the first line of stdout, seconds to exit, CPU seconds of the process)."""
    t0 = time.perf_counter()
    before = os.times()
    p = subprocess.Popen([PYTHON, *argv], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    first = None
    for _ in p.stdout:
        if first is None:
            first = time.perf_counter() - t0
    p.wait()
    total = time.perf_counter() - t0
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return first if first is not None else total, total, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        commands = {
            "python -c 'import numpy' (baseline)": ["-c", "import numpy; print('ok')"],
            "negsim --help": ["-m", "negsim", "--help"],
            "negsim run ... -n 1000": RUN + ["--out", str(Path(tmp) / "run")],
        }
        timed(commands["negsim run ... -n 1000"])  # warm: the kernel cache and the files
        results = {name: [timed(argv) for _ in range(args.repeats)] for name, argv in commands.items()}
    base = statistics.median(r[1] for r in results["python -c 'import numpy' (baseline)"])
    print(f"median of {args.repeats} fresh processes each; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")
    for name, rs in results.items():
        first, total, cpu = (statistics.median(r[k] for r in rs) for k in range(3))
        print(f"  {name:<40} first line {first:5.2f} s ({first / base:4.1f} x baseline)   exit {total:5.2f} s   "
              f"CPU {cpu:5.2f} s")


if __name__ == "__main__":
    main()
