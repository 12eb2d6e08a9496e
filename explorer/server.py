"""Serve the explorer page on 127.0.0.1 (Solara's server, run in this process by uvicorn).

Before it listens, the page's module is imported and one run plus the first distribution are
computed, so the compiled kernel is in memory and the first page comes up at once.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
import warnings
from pathlib import Path

import uvicorn

from analysis.study import DEFAULT_SEED

from .app import ENV_RUNS, ENV_SCENARIO, ENV_SEED, initial_settings
from .defaults import PORT, RUNS
from .distribution import baseline, distribution
from .model import ExplorerModel

HOST = "127.0.0.1"


def free_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def serve(scenario: Path, port: int = PORT, runs: int = RUNS, seed: int = DEFAULT_SEED, quiet: bool = False,
          started: float | None = None) -> int:
    """Serve until Ctrl+C.  `started`: time.perf_counter() when the command began (for the message)."""
    t0 = time.perf_counter() if started is None else started
    scenario = Path(scenario).resolve()
    os.environ[ENV_SCENARIO] = str(scenario)
    os.environ[ENV_SEED] = str(seed)
    os.environ[ENV_RUNS] = str(runs)
    os.environ["SOLARA_APP"] = "explorer.app:Page"
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")  # no calls home
    port = free_port() if port == 0 else port
    os.environ["SERVER_NAME"], os.environ["SERVER_PORT"] = HOST, str(port)

    s = initial_settings()
    m = ExplorerModel(settings=s)  # loads the kernel (compiled once, cached on disk)
    m.step()
    distribution(m.scenario, s.runs, s.seed)
    baseline(str(scenario), os.path.getmtime(scenario), s.runs, s.seed)

    # Solara notes once that a cookie falls back to SameSite=Lax over plain http: expected on 127.0.0.1.
    warnings.filterwarnings("ignore", message=r"Cookies with samesite=none require https")

    config = uvicorn.Config("solara.server.starlette:app", host=HOST, port=port, log_level="warning",
                            access_log=False)
    server = uvicorn.Server(config)
    url = f"http://{HOST}:{port}/"

    def announce() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started and not quiet:
            print(f"negsim explore: {scenario.name} at {url} (ready in {time.perf_counter() - t0:.1f} s; "
                  "Ctrl+C stops it)", flush=True)

    threading.Thread(target=announce, daemon=True).start()
    server.run()
    return 0 if server.started else 2


if __name__ == "__main__":  # python -m explorer.server [SCENARIO] [PORT]
    args = sys.argv[1:]
    raise SystemExit(serve(Path(args[0]) if args else Path(__file__).resolve().parent.parent / "scenarios" /
                           "accession_excluded.toml", int(args[1]) if len(args) > 1 else PORT))
