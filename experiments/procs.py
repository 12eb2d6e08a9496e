"""Worker processes die with their parent and stay quiet when it is interrupted.

- A SIGKILL of `negsim` leaves no orphans: on Linux each worker asks the kernel for SIGKILL when
  its parent (the forkserver) dies (prctl(PR_SET_PDEATHSIG)), and the forkserver does the same
  for the negsim process: this module comes first in the forkserver's preload list, before the
  slow imports, and acts on import only in the process started with NEGSIM_PARENT_PID in its
  environment (the forkserver), never in negsim itself.  If negsim is already gone by then, the
  forkserver exits at once: it would otherwise serve a worker request still queued on its socket,
  and that worker, holding the forkserver's "alive" pipe, would keep both waiting for ever.
- Ctrl-C reaches the whole process group, but only negsim handles it: the forkserver ignores
  SIGINT from its start, and so do the workers it forks (`quiet_worker` says so again), and the
  parent defers SIGINT and SIGTERM while it hands a task or a new worker its pickled data
  (storage.atomic.signals_deferred), so an interrupt never leaves a worker with half a message (a
  `_pickle.UnpicklingError` on the terminal).
- multiprocessing's resource tracker runs with its standard error on /dev/null: its only output is
  the warning about semaphores "leaked" when negsim is killed, which it cleans up itself.
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import signal
import sys
from multiprocessing import forkserver, resource_tracker

from storage.atomic import signals_deferred

PR_SET_PDEATHSIG = 1
ENV = "NEGSIM_PARENT_PID"


def die_with_parent() -> None:
    """Ask for SIGKILL when the parent process ends (Linux); exit now if it has already ended."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent or parent == 1:  # the parent died before the request took effect
        os._exit(1)


def quiet_worker() -> None:
    """A worker's initializer: die with the parent, leave Ctrl-C to it."""
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _quiet_resource_tracker() -> None:
    """Start multiprocessing's resource tracker with its standard error on /dev/null."""
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        resource_tracker.ensure_running()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def forkserver_context(preload: list[str]):
    """The forkserver multiprocessing context, its server started now with `preload` loaded and
    set to die with this process (the variable is visible to the forkserver only)."""
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload([__name__, *preload])  # bound to negsim before the slow imports
    os.environ[ENV] = str(os.getpid())
    try:
        with signals_deferred():
            _quiet_resource_tracker()
            # the forkserver inherits the mask: a Ctrl-C while it starts waits until _bind_forkserver
            # ignores it (multiprocessing starts its resource tracker the same way)
            mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            try:
                forkserver.ensure_running()
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    finally:
        os.environ.pop(ENV, None)
    return ctx


def _bind_forkserver() -> None:
    """In the forkserver (only it imports this module with ENV set): die with negsim, or exit now
    if negsim has already gone (killed while the forkserver started); leave Ctrl-C to negsim from
    the start, not only once the preload is loaded (a KeyboardInterrupt traceback from the
    forkserver otherwise reached the terminal), and so also in every worker it forks."""
    owner = os.environ.get(ENV)
    if owner is None:
        return
    if owner != str(os.getppid()):
        os._exit(1)
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked by forkserver_context


_bind_forkserver()
