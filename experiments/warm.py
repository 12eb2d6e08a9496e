"""Imported by the worker pool's forkserver (see runner.py): plays one run of a shipped
scenario, so the compiled kernel is loaded from Numba's cache once, in the forkserver, and every
worker forked from it starts with the kernel in memory instead of loading it itself."""

import sys
from pathlib import Path

from sim.engine import Compiled, play_runs
from sim.scenario import load_scenario


def _warm() -> None:
    scenario = Path(__file__).resolve().parent.parent / "scenarios" / "base.toml"
    if not scenario.is_file():  # not a source checkout: each worker loads the kernel itself
        return
    try:
        play_runs(Compiled.from_scenario(load_scenario(scenario)).plan, 0, 0, 1)
    except Exception as exc:  # noqa: BLE001  (the forkserver must live; the workers will fail loudly)
        print(f"negsim: could not preload the kernel in the worker pool ({exc})", file=sys.stderr)


_warm()
