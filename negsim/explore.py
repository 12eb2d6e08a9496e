"""`negsim explore [SCENARIO] [--port P]`: an interactive explorer in the browser (Solara, with Mesa's model controller).

The page itself is the package `explorer`; its server (solara, Mesa's visualisation) loads only
once the 'explore' extra is found installed.
"""

from __future__ import annotations

import importlib.util
import socket
import sys
import time
from pathlib import Path

from explorer.settings import DEFAULT_SCENARIO
from sim.scenario import file_kind, load_scenario

from .common import UsageError


def cmd_explore(args) -> int:
    started = time.perf_counter()
    root = Path(__file__).resolve().parent.parent
    missing = [m for m in ("solara", "altair", "networkx") if importlib.util.find_spec(m) is None]
    if missing:
        pip = Path(sys.executable).with_name("pip")  # this interpreter's own pip (.venv/bin/pip after ./study)
        raise UsageError(f"the explorer needs {', '.join(missing)}: install the extra once with "
                         f"{pip if pip.exists() else 'pip'} install -e '{root}[explore]'")
    if not 1 <= args.runs <= 1_000_000:
        raise UsageError(f"--runs must lie in [1, 1000000], got {args.runs}")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must lie in [0, 65535], got {args.port}")
    scenario = args.scenario or DEFAULT_SCENARIO
    if not Path(scenario).is_file():
        raise UsageError(f"{scenario}: file not found")
    kind = file_kind(scenario)
    if kind != "scenario":
        raise UsageError(f"{scenario}: is a {'sweep file' if kind == 'sweep' else 'source catalogue'}; "
                         "explore takes a scenario file")
    load_scenario(scenario)  # a ScenarioError (ValueError) is printed as one line
    if args.port:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", args.port))
            except OSError:
                raise UsageError(f"port {args.port} on 127.0.0.1 is in use; pick another with --port "
                                 "(0 picks a free one)") from None
    from explorer.server import serve  # solara and Mesa's visualisation: the optional 'explore' extra

    return serve(Path(scenario), port=args.port, runs=args.runs, seed=args.seed, started=started)
