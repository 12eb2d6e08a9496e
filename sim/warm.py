"""Imported by the worker pool's forkserver (see parallel.py): plays one run of a shipped
scenario, so the compiled kernel is loaded from Numba's cache once, in the forkserver, and every
worker forked from it starts with the kernel in memory instead of loading it itself."""

from pathlib import Path


def _warm() -> None:
    try:
        from .engine import simulate
        from .scenario import load_scenario

        simulate(load_scenario(Path(__file__).resolve().parent.parent / "scenarios" / "base.toml"), 1)
    except Exception:  # noqa: BLE001  (a cold worker is slower, never wrong; the forkserver must live)
        pass


_warm()
