"""What the command modules share: the usage error, and the checks of numbers asked for on the
command line.  Light (no numpy, no model): negsim.cli imports it at start-up."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import sys
import threading
from pathlib import Path

from storage.outdir import COMMITTED, disk_full
from storage.text import safe_name, term_line

MAX_SEED = 2**63 - 1  # the seed is stored as a signed 64-bit integer in the results files
# Ceiling on -n per scenario: the summary frame kept in memory takes ~210 MiB per million runs
# (measured), so 20 million runs need ~4.1 GiB; beyond that, split the work over seeds.
MAX_RUNS = 20_000_000
MIB_PER_MILLION_RUNS = 210
MAX_DAY = 36_500  # the schema's longest horizon (protocol.horizon_days)


class UsageError(Exception):
    """A problem with what the user asked for; printed as one line."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C, so that the same cleanup runs."""


@contextlib.contextmanager
def terminate_as_interrupt():
    """SIGTERM ends a command like Ctrl-C (staging removed, workers stopped, one line)."""
    def handler(signum, frame):
        raise Terminated()

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def interrupted(exc: BaseException) -> str:
    """The line after Ctrl-C or SIGTERM: what is on disk."""
    what = "terminated" if isinstance(exc, Terminated) else "interrupted"
    if COMMITTED:
        done = ", ".join(term_line(f"{p}/") for p in COMMITTED)
        return f"negsim: {what} after the results were written: {done} complete (its manifest.json lists every file)"
    return f"negsim: {what}; nothing was written (the output folder is as it was)"


class StdoutError(OSError):
    """Standard output cannot be written (a full disk, /dev/full): the results are on disk."""


class GuardedStdout:
    """sys.stdout for one command: a write error other than a closed pipe (a full device) is kept
    in `failed` and the rest of the output is silenced, so the work goes on and the command ends
    with one line about it; a closed pipe is raised as before."""

    def __init__(self, stream):
        self._stream = stream
        self.failed: StdoutError | None = None

    def _guard(self, call, *args):
        if self.failed is not None:
            return None
        try:
            return call(*args)
        except BrokenPipeError:
            raise
        except OSError as exc:
            self.failed = StdoutError(exc.errno, exc.strerror)
            silence_stdout()
            return None

    def write(self, text: str) -> int:
        self._guard(self._stream.write, text)
        return len(text)

    def flush(self) -> None:
        self._guard(self._stream.flush)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def error_text(exc: BaseException) -> str:
    """An error in words: an OSError as 'FILE: what went wrong', never '[Errno N] ...'."""
    if isinstance(exc, StdoutError):
        return (f"cannot write to standard output ({(exc.strerror or 'write error').lower()}); the work went on and "
                "its files were written, but what it would have printed is lost")
    if not isinstance(exc, OSError) or not exc.strerror:
        return term_line(exc)
    what = "the disk is full (no space left on the device)" if disk_full(exc) else exc.strerror.lower()
    return term_line(f"{exc.filename}: {what}" if exc.filename else what)


def say(line: str) -> None:
    """One line on standard error, even if it is closed."""
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def check_seed(seed: int, option: str = "--seed") -> None:
    if not 0 <= seed <= MAX_SEED:
        raise UsageError(f"{option}: must be an integer in [0, 2**63-1], got {seed}")


def folder_arg(text: str) -> Path:
    """An --out value: a path, not an empty string (which would mean the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must name a folder or file, got an empty string (use . for the current "
                                         "folder)")
    return Path(text)


def days_arg(text: str) -> float:
    """A day after 17 Dec 2021: a finite number in [0, MAX_DAY]."""
    try:
        day = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of days, got {text!r}") from None
    if not (math.isfinite(day) and 0 <= day <= MAX_DAY):
        raise argparse.ArgumentTypeError(f"must be a day in [0, {MAX_DAY:,}], got {text}")
    return day


def check_workers(workers: int | None, cores: int) -> int | None:
    """At least 1; above the core count (experiments.runner.default_workers), a one-line warning
    and the core count."""
    if workers is None:
        return None
    if workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}")
    if workers > cores:
        print(f"negsim: warning: --workers {workers} is more than the {cores} core(s) available; using {cores}",
              file=sys.stderr)
        return cores
    return workers


def results_folder(command: str, *names: str):
    """The default output folder of a command: results/<command>_<name>_<name>..., so two commands,
    or one command on other inputs, never share a folder by default (a folder belongs to one
    command and identity; storage/outdir.py refuses another)."""
    return Path("results") / safe_name("_".join([command, *(safe_name(n, 60) for n in names if n)]), 160)


def say_first(line: str) -> None:
    """A heading printed before the work starts (it holds no result, so nothing is lost if the
    pipe it goes to is already closed: then the rest of stdout is silenced and the work goes on)."""
    try:
        print(line, flush=True)
    except BrokenPipeError:
        silence_stdout()


def silence_stdout() -> None:
    """After a closed pipe: send what is left of stdout to /dev/null so exiting prints nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        sys.stdout = open(os.devnull, "w")
