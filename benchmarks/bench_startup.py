"""Start-up benchmark: how soon a command says something (run by hand; not a pass/fail test).

    .venv/bin/python benchmarks/bench_startup.py             # 5 repeats of each command
    .venv/bin/python benchmarks/bench_startup.py --repeats 9
    .venv/bin/python benchmarks/bench_startup.py --against ../main   # the same commands in another checkout

Goals: `negsim --help` and `negsim validate` answer in well under a second (issue 26), and so
does `negsim COMMAND --help` for every command, about as fast as `negsim --help` (it reads the
commands' grammar, negsim/grammar.py, and imports no command's implementation); `negsim run
scenarios/accession_excluded.toml -n 1000` prints its first line within 2 s of a warm start
(issue 22; the kernel compiled and cached, the files in the page cache).  Each command runs in a
fresh process, as a user starts it; the figures are medians of several repeats, wall-clock, next
to a baseline measured in the same run (Python importing numpy), and the CPU time of the whole
command (less sensitive to other jobs on a shared machine).  --against DIR runs the same
commands, interleaved, in another checkout (same interpreter: `python -m negsim` imports the
checkout it starts in), for before/after ratios from one run.  Python may keep compiled bytecode
(__pycache__), as it does for a user: an environment with PYTHONDONTWRITEBYTECODE set would
compile every module from source at every start and time the compiler instead.
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
sys.path.insert(0, str(ROOT))  # this checkout's command list, whatever the current folder
from negsim.cli import COMMANDS  # light: the command line's table, no command loaded

RUN = ["-m", "negsim", "run", "scenarios/accession_excluded.toml", "-n", "1000", "--quiet", "--force"]
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(argv: list[str], cwd: Path = ROOT) -> tuple[float, float, float]:
    """(seconds to the first line of stdout, seconds to exit, CPU seconds of the process)."""
    t0 = time.perf_counter()
    before = os.times()
    p = subprocess.Popen([PYTHON, *argv], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                         env=ENV)
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
    ap.add_argument("--against", type=Path, metavar="DIR", help="another checkout to time the same commands in")
    args = ap.parse_args()
    roots = {"": ROOT} | ({f" [{args.against.resolve().name}]": args.against.resolve()} if args.against else {})
    with tempfile.TemporaryDirectory() as tmp:
        commands = {
            "negsim --help": ["-m", "negsim", "--help"],
            "negsim validate accession_excluded": ["-m", "negsim", "validate", "scenarios/accession_excluded.toml"],
            "negsim run ... -n 1000": RUN + ["--out", str(Path(tmp) / "run")],
        }
        commands |= {f"negsim {name} --help": ["-m", "negsim", name, "--help"] for name in COMMANDS}
        runs = {"python -c 'import numpy' (baseline)": (["-c", "import numpy; print('ok')"], ROOT)}
        runs |= {name + tag: (argv, root) for name, argv in commands.items() for tag, root in roots.items()}
        for root in roots.values():  # warm: the kernel cache, the bytecode and the files
            for argv in commands.values():
                timed(argv, root)
        results = {name: [] for name in runs}
        for _ in range(args.repeats):  # interleaved, so a change of load falls on every command alike
            for name, (argv, root) in runs.items():
                results[name].append(timed(argv, root))
    base = statistics.median(r[1] for r in results["python -c 'import numpy' (baseline)"])
    print(f"median of {args.repeats} fresh processes each; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")
    for name, rs in results.items():
        first, total, cpu = (statistics.median(r[k] for r in rs) for k in range(3))
        print(f"  {name:<48} first line {first:5.2f} s ({first / base:4.1f} x baseline)   exit {total:5.2f} s "
              f"({total / base:4.1f} x)   CPU {cpu:5.2f} s")


if __name__ == "__main__":
    main()
