"""Issue 25, item 4: interrupts, kills, full disks and tampered checkpoints end in one line, with
nothing half-written, no orphan and no finished result lost or trusted blindly."""

from __future__ import annotations

import errno
import glob
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from negsim.cli import main
from storage import outdir

ROOT = Path(__file__).resolve().parent.parent
EXCL = ROOT / "scenarios" / "accession_excluded.toml"


def _one_line(err: str, *needles: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for n in needles:
        assert n in lines[0], (n, lines[0])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
@pytest.mark.parametrize("sig,rc,word", [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")])
def test_a_signal_while_workers_run_gives_one_line_and_leaves_nothing(tmp_path, sig, rc, word):
    psutil = pytest.importorskip("psutil")
    out = tmp_path / "o"
    p = subprocess.Popen([sys.executable, "-m", "negsim", "run", str(EXCL), "-n", "400000", "--workers", "2",
                          "--out", str(out), "--quiet"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while not (glob.glob(str(out / ".staging-*")) and len(psutil.Process(p.pid).children(recursive=True)) >= 3):
        assert p.poll() is None and time.time() < deadline, p.stderr.read().decode()
        time.sleep(0.05)
    kids = psutil.Process(p.pid).children(recursive=True)
    time.sleep(0.5)
    os.kill(p.pid, sig)
    _, err = p.communicate(timeout=120)
    assert p.returncode == rc
    _one_line(err.decode(), f"negsim: {word}; nothing was written")  # no UnpicklingError from a worker
    assert "resource_tracker" not in err.decode()
    _, alive = psutil.wait_procs(kids, timeout=15)
    assert not [k for k in alive if k.status() != psutil.STATUS_ZOMBIE]
    assert not out.exists()  # the folder it made is gone with its staging folder


# negsim's part: start the forkserver (with a slow preload) and ask it for a worker
PARENT = """
import sys, time
sys.path[:0] = [{root!r}, {slow!r}]
from experiments.procs import forkserver_context
ctx = forkserver_context(["slow_preload"])
print("starting a worker", flush=True)
try:
    ctx.Process(target=time.sleep, args=(60,)).start()
except KeyboardInterrupt:
    print("interrupted", file=sys.stderr)
    sys.exit(130)
"""


def _parent_waiting_for_its_forkserver(tmp_path: Path, stderr) -> subprocess.Popen:
    """PARENT in its own session, 1 s into its forkserver's 4 s preload (the slow imports of a real one)."""
    (tmp_path / "slow_preload.py").write_text("import time\ntime.sleep(4)\n")
    p = subprocess.Popen([sys.executable, "-c", PARENT.format(root=str(ROOT), slow=str(tmp_path))], cwd=tmp_path,
                         stdout=subprocess.PIPE, stderr=stderr, start_new_session=True)
    assert p.stdout.readline() == b"starting a worker\n"
    time.sleep(1.0)
    return p


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_a_sigkill_while_the_forkserver_loads_leaves_no_process(tmp_path):
    """negsim killed while its forkserver is still importing (sweep-KILL-1.0 of the campaign): the
    forkserver must not go on to serve the worker request queued on its socket; that worker held
    the forkserver's "alive" pipe, so worker, forkserver and resource tracker lived on for ever."""
    psutil = pytest.importorskip("psutil")
    p = _parent_waiting_for_its_forkserver(tmp_path, subprocess.DEVNULL)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()

    def session() -> list:  # every process of the killed command's session (workers, forkserver, tracker)
        procs = []
        for q in psutil.process_iter():
            try:
                if os.getsid(q.pid) == p.pid and q.status() != psutil.STATUS_ZOMBIE:
                    procs.append(q)
            except (OSError, psutil.Error):
                pass
        return procs

    deadline = time.time() + 12  # the preload ends at 4 s; an orphaned worker would sleep 60 s
    while (left := session()) and time.time() < deadline:
        time.sleep(0.2)
    survivors = [f"{q.pid} {q.name()}" for q in left]
    for q in left:
        q.kill()
    assert not survivors


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_ctrl_c_while_the_forkserver_loads_prints_only_negsims_line(tmp_path):
    """Ctrl-C reaches the whole process group; the forkserver used to take it in the middle of its
    preload and print a KeyboardInterrupt traceback (the campaign's run-INT-group-1.0)."""
    p = _parent_waiting_for_its_forkserver(tmp_path, subprocess.PIPE)
    os.killpg(p.pid, signal.SIGINT)
    _, err = p.communicate(timeout=60)  # the forkserver holds the pipe until it has gone too
    assert (p.returncode, err.decode()) == (130, "interrupted\n")


def test_an_interrupt_during_the_commit_waits_for_the_manifest(tmp_path, monkeypatch, capsys):
    real = outdir.Output._commit

    def commit_interrupted(self, runs, extra):  # Ctrl-C arrives as the results move in
        os.kill(os.getpid(), signal.SIGINT)
        return real(self, runs, extra)

    monkeypatch.setattr(outdir.Output, "_commit", commit_interrupted)
    out = tmp_path / "o"
    assert main(["run", str(EXCL), "-n", "40", "--out", str(out), "--quiet"]) == 130
    _one_line(capsys.readouterr().err, "interrupted after the results were written", f"{out}/ complete")
    m = outdir.read_manifest(out)
    assert {f["name"] for f in m["files"]} == {"runs.parquet", "outcomes.png"}


def test_a_full_disk_names_the_file_and_the_space(tmp_path, monkeypatch, capsys):
    import pyarrow.parquet as pq

    calls = []

    def full_at_the_third_chunk(self, table, *a, **k):  # 3 chunks of 20 runs fit, then the disk is full
        calls.append(len(table))
        if len(calls) > 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, table, *a, **k)

    real = pq.ParquetWriter.write_table
    monkeypatch.setattr(pq.ParquetWriter, "write_table", full_at_the_third_chunk)
    out = tmp_path / "o"
    assert main(["run", str(EXCL), "-n", "200", "--chunk-size", "20", "--out", str(out), "--quiet"]) == 2
    # from the bytes of the first 60 runs, the 200 runs need about 200/60 of them
    _one_line(capsys.readouterr().err, f"--out {out}: the disk is full: writing runs.parquet failed after",
              "needed in all", "free there", "nothing was written")
    assert not out.exists()


def test_a_full_disk_writing_a_single_file_says_how_much_it_needed(tmp_path, monkeypatch):
    from storage import atomic

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", full)
    with pytest.raises(outdir.OutputError) as exc:
        outdir.write_into(tmp_path / "r.html", "x" * 250_000, by="report")
    _one_line(str(exc.value), "r.html: the disk is full: the file needs 0.2 MB", "nothing was written")
    assert list(tmp_path.iterdir()) == []


def test_stdout_on_a_full_device_is_one_line(tmp_path):
    with open("/dev/full", "wb") as full:
        p = subprocess.run([sys.executable, "-m", "negsim", "validate", str(EXCL)], cwd=ROOT, stdout=full,
                           stderr=subprocess.PIPE)
    assert p.returncode == 2
    _one_line(p.stderr.decode(), "negsim: error: cannot write to standard output (no space left on device)")


# ------------------------------------------------------------------ checkpoints
def _tasks(n: int):
    from types import SimpleNamespace

    return [SimpleNamespace(task_id=i, point_ids=(2 * i, 2 * i + 1)) for i in range(n)]


def _saved(tmp_path, n=3):
    from experiments.checkpoint import Checkpoint

    ck = Checkpoint(tmp_path, "f" * 16)
    ck.open(_tasks(n))
    for i in range(n):
        ck.save(i, {"p_persist": np.array([0.1 * i, 0.2 * i])})
    return ck


def test_checkpoints_that_check_out_are_resumed(tmp_path):
    from experiments.checkpoint import Checkpoint

    _saved(tmp_path)
    ck = Checkpoint(tmp_path, "f" * 16)
    assert ck.open(_tasks(3)) == {0, 1, 2} and not ck.redone
    assert ck.load(2)["p_persist"].tolist() == [0.2, 0.4]


@pytest.mark.parametrize("tamper", ["swap", "truncate", "copy", "other-sweep"])
def test_swapped_truncated_or_foreign_checkpoints_are_recomputed_not_trusted(tmp_path, tamper):
    from experiments.checkpoint import Checkpoint

    ck = _saved(tmp_path)
    a, b = ck.path(0), ck.path(1)
    if tamper == "swap":  # task 0's metrics under task 1's name and the other way round
        a.rename(tmp_path / "t")
        b.rename(a)
        (tmp_path / "t").rename(b)
    elif tamper == "truncate":  # a crash half-way through a write (no zipfile.BadZipFile escapes)
        a.write_bytes(a.read_bytes()[:200])
    elif tamper == "copy":
        b.write_bytes(a.read_bytes())
    else:  # the same task of another sweep
        other = Checkpoint(tmp_path / "x", "e" * 16)
        other.open(_tasks(3))
        other.save(0, {"p_persist": np.array([9.0, 9.0])})
        a.write_bytes(other.path(0).read_bytes())
    again = Checkpoint(tmp_path, "f" * 16)
    done = again.open(_tasks(3))
    want = {"swap": {2}, "truncate": {1, 2}, "copy": {0, 2}, "other-sweep": {1, 2}}[tamper]
    assert done == want and len(again.redone) == 3 - len(want)
