"""How the runner cuts a batch into work: runs per task, and the smallest batch worth worker
processes.  Light (no numpy, no model): the command line's help quotes both."""

DEFAULT_CHUNK = 2048  # runs per task: a few tens of milliseconds of work, small results to send back
# The first pool in a process costs the forkserver's warm-up (it imports Numba, loads the kernel
# and plays a run: 0.9 s to 1.4 s measured on a shared 2-core machine), later ones about 0.1 s;
# one process plays about 30,000 runs a second, so two workers on two idle cores pay off from
# about 2 x warm-up x runs per second (docs/architecture.md, Speed; benchmarks/bench_batch.py).
MIN_PARALLEL_RUNS = 50_000
