"""One root seed, one child seed per run.

Run i's seed is drawn from `SeedSequence(root, spawn_key=(i,))`, exactly the i-th child that
`SeedSequence(root).spawn(n)` would give, so any range of runs can be seeded on its own
(chunks, worker processes) and still match a single-process batch bit for bit.
"""

from __future__ import annotations

import numpy as np


def run_seeds(root: int, start: int, stop: int) -> np.ndarray:
    """uint64 seeds of runs start..stop-1 under the given root seed."""
    if root < 0:
        raise ValueError(f"the root seed must be a non-negative integer, got {root}")
    return np.array(
        [np.random.SeedSequence(root, spawn_key=(i,)).generate_state(1, np.uint64)[0] for i in range(start, stop)],
        dtype=np.uint64,
    )
