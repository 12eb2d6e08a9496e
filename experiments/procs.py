"""Worker processes die with their parent: a SIGKILL of `negsim` leaves no orphans.

On Linux each worker asks the kernel for SIGKILL when its parent (the forkserver) dies
(prctl(PR_SET_PDEATHSIG)), and the forkserver does the same for the negsim process: this module
is in the forkserver's preload list and acts on import only in a direct child of the process
that set NEGSIM_PARENT_PID (the forkserver), never in negsim itself.  Elsewhere it does nothing.
"""

from __future__ import annotations

import os
import signal
import sys

PR_SET_PDEATHSIG = 1
ENV = "NEGSIM_PARENT_PID"


def die_with_parent() -> None:
    """Ask for SIGKILL when the parent process ends (Linux); exit now if it has already ended."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent or parent == 1:  # the parent died before the request took effect
        os._exit(1)


def forkserver_context(preload: list[str]):
    """The forkserver multiprocessing context, its server started now with `preload` loaded and
    set to die with this process (the variable is visible to the forkserver only)."""
    import multiprocessing as mp
    from multiprocessing import forkserver

    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload([*preload, __name__])
    os.environ[ENV] = str(os.getpid())
    try:
        forkserver.ensure_running()
    finally:
        os.environ.pop(ENV, None)
    return ctx


if os.environ.get(ENV) == str(os.getppid()):  # imported in the forkserver (a direct child of negsim)
    die_with_parent()
