"""The bargaining rules (docs/model.md, section 1.3), compiled with Numba: the one copy of the
model's dynamics, which both drivers call (the batch driver once per chunk, every run round after
round; the Mesa driver once per step, one run and one round).

    bundles     the named tuples of arrays the compiled functions take, and their compile options
    prefs       one run's preferences: utilities, red lines, votes
    strategies  one compiled function per concession strategy, and their dispatch `aspiration`
    rules       one compiled function per walkout rule, and their dispatch `walkout_fires`
    offers      one compiled function per offer rule, and their dispatch `build_offer`
    rounds      a meeting in steps (ask, propose, vote, hold, learn, walk out) and `play_rounds`

Why compiled: a round touches every actor's preferences over every clause several times, and
numpy can only do that in separate passes over memory with a temporary each; a loop over runs,
each run's arrays hot in cache, does it in one pass (benchmarks/bench_batch.py measures it).
Every run is computed on its own, with the same scalar operations in the same order whatever
batch it sits in, so results are bit-identical across chunk sizes, worker counts and drivers on
a given machine.  Adding a strategy, rule or offer rule: docs/model.md, section 3.10.
"""

from . import cache  # noqa: F401  (first: keys Numba's on-disk cache by every source compiled here)
from .bundles import Look, elementwise  # noqa: F401
from .offers import build_offer  # noqa: F401
from .rounds import play_rounds  # noqa: F401
from .rules import best_wait_value, pace, walkout_fires  # noqa: F401
from .strategies import aspiration, faratin_alpha  # noqa: F401
