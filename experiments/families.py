"""Which model families a comparison runs, and the expected-utility model's answer for the runs
the agent-based model plays: the same draw plan, root seed and run numbers, so both families
answer on the same draws (docs/model.md, section 8)."""

from __future__ import annotations

import numpy as np

from sim.bdm import Options, answer, columns
from sim.engine import params_for_runs

from .runner import Source, plan_of

MODELS = ("abm", "bdm")  # the agent-based model; Bueno de Mesquita's expected-utility model


def parse_models(text: str) -> tuple[str, ...]:
    """'abm,bdm' -> ('abm', 'bdm'); the agent-based model always runs (it is what the results
    files hold), so 'bdm' alone means both."""
    names = [m.strip() for m in text.split(",") if m.strip()]
    bad = [m for m in names if m not in MODELS]
    if bad or not names:
        raise ValueError(f"--models takes a comma-separated list of {', '.join(MODELS)} "
                         f"(abm: the agent-based model, bdm: the expected-utility model), got {text!r}")
    return tuple(m for m in MODELS if m in names or m == "abm")


def bdm_columns(source: Source, seed: int, runs: np.ndarray, options: Options = Options()) -> dict[str, np.ndarray]:
    """The expected-utility model's run-table columns (`sim.bdm.columns`) for a contiguous range
    of runs, drawn exactly as the agent-based model draws them."""
    runs = np.asarray(runs)
    if not len(runs) or (np.diff(runs) != 1).any():
        raise ValueError("bdm_columns needs a contiguous, non-empty range of runs")
    plan = plan_of(source)
    p = params_for_runs(plan, seed, int(runs[0]), int(runs[-1]) + 1)
    fc, v = answer(plan.layout, p, options)
    return columns(plan.layout, p, fc, v)
