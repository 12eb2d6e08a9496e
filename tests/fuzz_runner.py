"""Running the command-level fuzz cases of tests/fuzz_commands.py and classifying them.

Each case gets a folder under ROOT/cases (copies of prepared fixtures, then the case's own files,
links and damage) and runs `python -m negsim ...` there, with the checkout under test first on
the import path (so an old checkout can be measured with the same cases).  Drivers:
    command     one command; its exit code, terminal text, files and the user's files are checked
    concurrent  two runs with different seeds into one folder at once
    kill        a long command signalled at a moment; then the same command again, whose result
                must equal an uninterrupted run's
    checkpoint  a sweep killed, its checkpoint files swapped, truncated or duplicated, resumed
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa

from tests.fuzz_commands import CANARY, CATEGORIES, USER_TEXT, Case, Outcome

BLOCKER = '''import os, sys
_blocked = set(filter(None, os.environ.get("NEGSIM_FUZZ_BLOCK", "").split(",")))
class _Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in _blocked:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, _Block())
'''
_CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]")
_RAW_EXCEPTION = re.compile(r"^(?!negsim)[\w.]*(Error|Exception|Interrupt)\b.*:", re.M)


class Fixtures:
    """Prepared once per campaign: the scenarios, two finished run folders (seeds 1 and 2), an
    explain folder, and an `outside` folder (canary text) no command may read."""

    def __init__(self, root: Path, target: Path, python: str = sys.executable, explain: bool = True):
        self.root, self.target, self.python, self.explain = root, target, python, explain
        self.dir = root / "fixtures"
        self.refs: dict[str, object] = {}

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NEGSIM_", "PYTHON"))}
        path = [str(self.target)]
        if extra and extra.get("NEGSIM_FUZZ_BLOCK"):
            path.insert(0, str(self.root / "block"))
        env.update(PYTHONPATH=os.pathsep.join(path), PYTHONHASHSEED="0", COLUMNS="200", **(extra or {}))
        return env

    def negsim(self, argv: list[str], cwd: Path, timeout: float = 600) -> int:
        """Run a command to make a fixture (a subprocess of the target; tests override this)."""
        p = subprocess.run([self.python, "-m", "negsim", *argv], cwd=cwd, env=self.env(), capture_output=True,
                           timeout=timeout)
        if p.returncode != 0:
            raise RuntimeError(f"fixture failed: {p.stderr.decode(errors='replace')[-2000:]}")
        return p.returncode

    def prepare(self, log: Callable[[str], None] = lambda s: None) -> None:
        if (self.dir / "ready").exists():
            return
        shutil.rmtree(self.dir, ignore_errors=True)
        scen = self.dir / "scenarios"
        scen.mkdir(parents=True)
        for f in (self.target / "scenarios").glob("*.toml"):
            shutil.copy(f, scen / f.name)
        (self.root / "block").mkdir(exist_ok=True)
        (self.root / "block" / "sitecustomize.py").write_text(BLOCKER)
        for name, seed in (("run1", 1), ("run2", 2)):
            log(f"fixture {name}: negsim run -n 300 --seed {seed} --trace")
            self.negsim(["run", str(scen / "accession_excluded.toml"), "-n", "300", "--seed", str(seed), "--trace",
                         "--out", str(self.dir / name), "--quiet"], self.dir)
        if self.explain:
            log("fixture explain: negsim explain -n 30")
            self.negsim(["explain", str(scen / "accession_excluded.toml"), "-n", "30", "--out",
                         str(self.dir / "explain"), "--quiet"], self.dir)
        out = self.root / "outside"
        out.mkdir(exist_ok=True)
        base = (scen / "accession_excluded.toml").read_text()
        (out / "outside.toml").write_text(base.replace('name = "accession_excluded"', f'name = "{CANARY}"'))
        for f in ("base.toml", "full_agenda.toml", "sources.toml"):
            shutil.copy(scen / f, out / f)
        shutil.copy(self.dir / "run2" / "runs.parquet", out / "runs.parquet")
        if self.explain:
            shutil.copy(self.dir / "explain" / "explain.parquet", out / "explain.parquet")
        (out / "secret.txt").write_text(CANARY + "\n")
        (self.dir / "ready").write_text("ok")


# ------------------------------------------------------------------ materialising a case
def fill(text: str, case_dir: Path, root: Path) -> str:
    return text.replace("{case}", str(case_dir)).replace("{root}", str(root))


def materialize(fx: Fixtures, c: Case) -> Path:
    d = fx.root / "cases" / f"c{c.id:05d}"
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    for name in c.fixtures:
        if name == "scenarios":
            for f in (fx.dir / "scenarios").iterdir():
                shutil.copy(f, d / f.name)
        else:
            shutil.copytree(fx.dir / name, d / name)
    for rel, data in c.files.items():
        if rel == "@manifest":
            _edit_manifest(d / "run1", "path", fill(data.decode(), d, fx.root))
            continue
        if rel == "@explain-manifest":
            _edit_manifest(d / "explain", "explain-path", fill(data.decode(), d, fx.root))
            continue
        p = d / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data.replace(b"{root}", str(fx.root).encode()))
    for rel, dest in c.symlinks:
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(fill(dest, d, fx.root), d / rel)
    for target, how, arg in c.damage:
        damage(fx, d, target, how, arg)
    return d


def _edit_manifest(folder: Path, how: str, arg) -> None:
    p = folder / "manifest.json"
    m = json.loads(p.read_text())
    if how == "path":  # the manifest names another file as its runs file (listed, with that file's checksum)
        entry = next(f for f in m["files"] if f["name"] == "runs.parquet")
        entry["name"] = arg
        m["runs"] = [arg]
    elif how == "explain-path":
        entry = next(f for f in m["files"] if f["name"] == "explain.parquet")
        entry["name"] = arg
        (folder / "explain.parquet").unlink()
    elif how == "json":
        p.write_text(arg)
        return
    elif how == "entry":
        if arg == "drop-runs":
            m.pop("runs", None)
        elif arg == "runs-unlisted":
            m["runs"] = ["other.parquet"]
        elif arg == "name-int":
            m["files"][0]["name"] = 5
        else:
            m["files"] = {}
    elif how == "sha":
        next(f for f in m["files"] if f["name"] == "runs.parquet")["sha256"] = arg
    p.write_text(json.dumps(m))


def _resha(folder: Path, name: str) -> None:
    import hashlib

    p = folder / "manifest.json"
    m = json.loads(p.read_text())
    for f in m["files"]:
        if f["name"] == name:
            f["sha256"] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
            f["bytes"] = (folder / name).stat().st_size
    p.write_text(json.dumps(m, indent=1))


def forge_labels(path: Path, text: str) -> None:
    """Rewrite a runs file with `text` before every walkout label, its data checksum recomputed:
    a file whose checksums all hold and whose labels carry control characters."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from storage import resultsfile as rf

    t = pq.read_table(path)
    labels = t.column("walkout_by").cast(pa.string()).to_pylist()
    t = t.set_column(t.schema.get_field_index("walkout_by"), "walkout_by",
                     pa.array([text + v if v else v for v in labels]).dictionary_encode())
    digest = rf.DataDigest()
    digest.update(t)
    pq.write_table(t.replace_schema_metadata({**t.schema.metadata, rf.DATA_SHA_KEY: digest.hexdigest().encode()}), path)


def damage(fx: Fixtures, d: Path, target: str, how: str, arg) -> None:
    p = d / target
    if how.startswith("manifest-"):
        _edit_manifest(p.parent, how.removeprefix("manifest-"), fill(arg, d, fx.root) if isinstance(arg, str) else arg)
        return
    data = bytearray(p.read_bytes())
    if how == "truncate":
        data = data[:int(len(data) * arg)]
    elif how == "flip":
        for r in arg:
            i = min(int(len(data) * r), len(data) - 1)
            data[i] ^= 0xFF
    elif how == "zero":
        i = int(len(data) * arg)
        data[i:i + 4096] = bytes(len(data[i:i + 4096]))
    elif how == "append":
        data += bytes((i * 37) % 256 for i in range(arg))
    elif how == "empty":
        data = bytearray()
    elif how in ("swap", "swap-listed"):
        data = bytearray((d / "run2" / "runs.parquet").read_bytes())
    elif how == "trace-swap":
        data = bytearray((d / "run2" / "trace.parquet").read_bytes())
    elif how == "metadata":
        key = b'"root_seed": 1'
        if key in data:
            data = data.replace(key, b'"root_seed": 7', 1)
        else:
            data[len(data) // 2] ^= 0x01
    elif how.startswith("labels"):
        forge_labels(p, arg)
        _resha(p.parent, p.name)
        return
    p.write_bytes(bytes(data))
    if how == "swap-listed":
        _resha(p.parent, p.name)


# ------------------------------------------------------------------ classifying
def terminal(out: bytes, err: bytes) -> list[str]:
    problems = []
    if _CONTROL.search(out + err):
        problems.append("control characters on the terminal")
    if CANARY.encode() in out + err:
        problems.append("printed text of a file outside the folders it may read")
    return problems


def _lines(err: bytes) -> list[str]:
    return [ln for ln in err.decode("utf-8", "replace").splitlines() if ln.strip()]


def classify_command(c: Case, rc: int | None, out: bytes, err: bytes, d: Path) -> tuple[str, str]:
    text = err.decode("utf-8", "replace")
    lines = _lines(err)
    if rc is None:
        return "hang", f"no answer within {c.timeout:g} s"
    term = terminal(out, err)
    if any("outside" in t for t in term):
        return "read-outside", term[-1]
    if "Traceback (most recent call last)" in text or (rc < 0 and rc != -signal.SIGPIPE):
        last = lines[-1] if lines else f"killed by signal {-rc}"
        return "traceback", last[:300]
    raw = _RAW_EXCEPTION.search(text)
    if raw:
        return "traceback", raw.group(0)[:300]
    lost = [u for u in c.user_files if not (d / u).is_file() or (d / u).read_bytes() != USER_TEXT]
    if lost:
        return "deleted-user-file", f"gone or changed: {', '.join(lost)}"
    if term:
        return "bad-message", term[0] + ": " + (lines[-1] if lines else "")[:200]
    if rc == 0:
        if c.verdict == "refuse":
            cat = "read-outside" if c.outside else "silent-accept"
            return cat, "exit 0" + (f"; stdout: {out.decode('utf-8', 'replace').strip().splitlines()[-1][:160]}"
                                    if out.strip() else "")
        return "ok-accepted", ""
    # a refusal: one line, negsim's, in words
    mine = [ln for ln in lines if not ln.startswith("negsim: warning:")]
    usage = len(mine) >= 2 and mine[0].startswith("usage:") and ": error:" in mine[-1]  # argparse (old versions)
    if not (len(mine) == 1 and re.match(r"negsim( \w+)?: ", mine[0])) and not usage:
        return "bad-message", f"{len(mine)} lines: " + " | ".join(mine)[:300]
    if "[Errno" in mine[-1]:
        return "bad-message", f"raw errno wording: {mine[-1][:200]}"
    if c.verdict == "accept":
        return "wrongly-refused", mine[-1][:300]
    return "ok-refused", mine[-1][:300]


def run_command(fx: Fixtures, c: Case, d: Path) -> tuple[int | None, bytes, bytes]:
    argv = [fill(a, d, fx.root) for a in c.argv]
    env = fx.env(c.env)
    stdout = open("/dev/full", "wb") if c.stdout == "devfull" or c.extra.get("stdout_full") else subprocess.PIPE
    try:
        p = subprocess.Popen([fx.python, "-m", "negsim", *argv], cwd=d, env=env, stdout=stdout,
                             stderr=subprocess.PIPE, start_new_session=True)
        try:
            out, err = p.communicate(timeout=c.timeout)
            return p.returncode, out or b"", err
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            return None, b"", b""
    finally:
        if stdout is not subprocess.PIPE:
            stdout.close()


def drive_command(fx: Fixtures, c: Case, d: Path) -> tuple[str, str]:
    rc, out, err = run_command(fx, c, d)
    cat, detail = classify_command(c, rc, out, err, d)
    if cat == "ok-accepted" and c.same_as:
        ref = reference(fx, c)
        got = (d / c.same_as).read_bytes() if (d / c.same_as).exists() else b""
        if ref is not None and _normalise(got, d) != _normalise(ref[0], ref[1]):
            return "silent-accept", f"accepted a damaged file and wrote a {c.same_as} that differs from the undamaged one"
    return cat, detail


def _normalise(data: bytes, d: Path) -> bytes:
    return data.replace(str(d).encode(), b"<case>")


def reference(fx: Fixtures, c: Case):
    """The output the same command writes from undamaged fixtures (cached per command)."""
    key = "ref:" + " ".join(c.argv)
    if key not in fx.refs:
        clean = Case(-1, c.cls, "reference", "accept", "", c.argv, fixtures=c.fixtures)
        clean.id = 90000 + len(fx.refs)
        d = materialize(fx, clean)
        rc, _, _ = run_command(fx, clean, d)
        fx.refs[key] = ((d / c.same_as).read_bytes(), d) if rc == 0 and (d / c.same_as).exists() else None
    return fx.refs[key]


def drive_concurrent(fx: Fixtures, c: Case, d: Path) -> tuple[str, str]:
    argv = [fill(a, d, fx.root) for a in c.argv]
    procs = [subprocess.Popen([fx.python, "-m", "negsim", *argv, "--seed", str(s)], cwd=d, env=fx.env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for s in (1, 2)]
    res = [(p, *p.communicate(timeout=c.timeout)) for p in procs]
    for p, out, err in res:
        cat, detail = classify_command(Case(c.id, c.cls, c.sub, "either", c.note), p.returncode, out, err, d)
        if cat not in ("ok-refused", "ok-accepted"):
            return cat, detail
    ok = [i for i, (p, _, _) in enumerate(res) if p.returncode == 0]
    if len(ok) == 2:
        return "lost-result", "both commands reported success; the folder holds one result"
    if len(ok) == 1:
        got = _seed_of(d / "o")
        if got != ok[0] + 1:
            return "lost-result", f"the successful run (seed {ok[0] + 1}) is not what the folder holds (seed {got})"
        return "ok-refused", _lines(res[1 - ok[0]][2])[-1][:300]
    return "ok-refused", "both refused"


def _seed_of(folder: Path):
    try:
        m = json.loads((folder / "manifest.json").read_text())
        return m["identity"]["seed"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _table(path: Path):
    import pyarrow.parquet as pq

    t = pq.read_table(path)
    return t.replace_schema_metadata(None)


def _same_tables(a: Path, b: Path) -> bool:
    """Same columns, types and values, where NaN equals NaN: pyarrow's `equals` takes NaN as
    unequal to itself, and a runs file holds NaN (the value.* columns of a run without an
    agreement), so it would differ from itself."""
    try:
        ta, tb = _table(a), _table(b)
    except Exception:  # noqa: BLE001 - a damaged table differs
        return False
    return ta.schema == tb.schema and ta.num_rows == tb.num_rows and all(
        _same_column(ta.column(name), tb.column(name)) for name in ta.column_names)


def _same_column(x: pa.ChunkedArray, y: pa.ChunkedArray) -> bool:
    if not pa.types.is_floating(x.type):
        return x.equals(y)
    return x.is_null().equals(y.is_null()) and np.array_equal(x.to_numpy(), y.to_numpy(), equal_nan=True)


def _reference_table(fx: Fixtures, c: Case, name: str) -> Path:
    key = "table:" + " ".join(c.argv) + json.dumps(c.files.get("sweep.toml", b"").decode())
    if key not in fx.refs:
        clean = Case(90500 + len(fx.refs), c.cls, "reference", "accept", "", c.argv, c.files, timeout=c.timeout)
        d = materialize(fx, clean)
        rc, _, err = run_command(fx, clean, d)
        if rc != 0:
            raise RuntimeError(f"reference run failed: {err.decode(errors='replace')[-500:]}")
        fx.refs[key] = d / "o" / name if (d / "o").exists() else d / "w" / name
    return fx.refs[key]


def _tree(pid: int):
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def after_signal(p: subprocess.Popen, sig: signal.Signals, wait: float = 120) -> tuple[bytes, tuple[str, str] | None]:
    """The signalled command's standard error, or a failure: it is still running after `wait`
    seconds (a hang), or it ended but processes of its session outlived it and hold its output
    open (orphans).  Either way its whole session is killed."""
    try:
        return p.communicate(timeout=wait)[1], None
    except subprocess.TimeoutExpired:
        ended = p.poll() is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)  # the session's group: the command and everything it started
        p.communicate()
        if ended:
            return b"", ("orphan", f"the command ended on {sig.name}, but processes it started outlived it by "
                                   f"{wait:g} s, holding its output open")
        return b"", ("hang", f"still running {wait:g} s after {sig.name}")


def drive_kill(fx: Fixtures, c: Case, d: Path) -> tuple[str, str]:
    import psutil

    name, _, group = c.extra["signal"].partition("-")
    sig = getattr(signal, "SIG" + name)  # "-group": to the whole process group, as Ctrl-C at a terminal
    when = c.extra["when"]
    name = "runs.parquet" if c.extra["what"] == "run" else "sweep.parquet"
    ref = _reference_table(fx, c, name)
    argv = [fill(a, d, fx.root) for a in c.argv]
    out = d / "o"
    p = subprocess.Popen([fx.python, "-m", "negsim", *argv], cwd=d, env=fx.env(), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + c.timeout
    kids = []
    while p.poll() is None and time.monotonic() < deadline:
        ready = (out / name).exists() if when == "commit" else any(out.glob(".staging-*")) if out.exists() else False
        if ready:
            break
        kids = _tree(p.pid) or kids
        time.sleep(0.001 if when == "commit" else 0.02)
    if p.poll() is None and when != "commit":
        end = time.monotonic() + float(when)
        while time.monotonic() < end and p.poll() is None:
            kids = _tree(p.pid) or kids
            time.sleep(0.05)
    kids = _tree(p.pid) or kids
    if p.poll() is None:
        (os.killpg if group else os.kill)(p.pid, sig)
    err, failed = after_signal(p, sig)
    if failed:
        return failed
    _, alive = psutil.wait_procs(kids, timeout=15)
    alive = [k for k in alive if k.is_running() and k.status() != psutil.STATUS_ZOMBIE]
    if alive:
        for k in alive:
            k.kill()
        return "orphan", f"{len(alive)} process(es) outlived the command"
    text = err.decode("utf-8", "replace")
    lines = _lines(err)
    if "Traceback" in text or "UnpicklingError" in text or _RAW_EXCEPTION.search(text):
        return "traceback", (lines[-1] if lines else "")[:300]
    if "resource_tracker" in text or "leaked" in text:
        return "bad-message", "multiprocessing resource_tracker warning"
    if terminal(b"", err):
        return "bad-message", terminal(b"", err)[0]
    if sig != signal.SIGKILL and len(lines) > 1:
        return "bad-message", f"{len(lines)} lines: " + " | ".join(lines)[:300]
    complete = (out / "manifest.json").exists()
    if complete and any("nothing was written" in ln for ln in lines):
        return "bad-message", "says nothing was written, but the results are complete on disk"
    rc, _, err2 = run_command(fx, Case(c.id, c.cls, c.sub, "accept", "", c.argv, timeout=c.timeout), d)
    if rc != 0:
        return "lost-result", "the rerun failed: " + (_lines(err2)[-1] if _lines(err2) else f"exit {rc}")[:250]
    if not _same_tables(out / name, ref):
        return "lost-result", f"the rerun's {name} differs from an uninterrupted run's"
    return "ok-accepted", f"exit {p.returncode}; {lines[-1] if lines else 'no message'}"[:300]


def drive_checkpoint(fx: Fixtures, c: Case, d: Path) -> tuple[str, str]:
    ref = _reference_table(fx, c, "sweep.parquet")
    argv = [fill(a, d, fx.root) for a in c.argv]
    ck = d / "w" / "checkpoint"
    p = subprocess.Popen([fx.python, "-m", "negsim", *argv], cwd=d, env=fx.env(), stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + c.timeout
    while p.poll() is None and time.monotonic() < deadline and len(list(ck.glob("task_*.npz"))) < 3:
        time.sleep(0.01)
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    tasks = sorted(ck.glob("task_*.npz"))
    if len(tasks) < 2:
        return "ok-accepted", "the sweep finished before it could be killed (no case)"
    how = c.extra["how"]
    if how == "swap":
        tmp = tasks[0].with_suffix(".tmp")
        tasks[0].rename(tmp)
        tasks[1].rename(tasks[0])
        tmp.rename(tasks[1])
    elif how == "truncate":
        data = tasks[0].read_bytes()
        tasks[0].write_bytes(data[:len(data) // 2])
    else:
        shutil.copy(tasks[0], tasks[1])
    rc, out, err = run_command(fx, Case(c.id, c.cls, c.sub, "either", "", c.argv, timeout=c.timeout), d)
    cat, detail = classify_command(Case(c.id, c.cls, c.sub, "either", ""), rc, out, err, d)
    if cat not in ("ok-accepted", "ok-refused"):
        return cat, detail
    if rc == 0 and not _same_tables(d / "w" / "sweep.parquet", ref):
        return "lost-result", "resumed from tampered checkpoints: sweep.parquet differs from an uninterrupted sweep"
    return cat, detail


DRIVERS = {"command": drive_command, "concurrent": drive_concurrent, "kill": drive_kill, "checkpoint": drive_checkpoint}


def run_case(fx: Fixtures, c: Case, keep: bool = False) -> Outcome:
    t0 = time.monotonic()
    d = materialize(fx, c)
    try:
        cat, detail = DRIVERS[c.driver](fx, c, d)
    except Exception as exc:  # noqa: BLE001 - the harness itself failed: say so, do not hide it
        cat, detail = "hang", f"harness error: {type(exc).__name__}: {exc}"
    o = Outcome(c, cat, detail, time.monotonic() - t0)
    if not (keep and o.failed):
        shutil.rmtree(d, ignore_errors=True)
    return o


def sigint_as_at_a_terminal() -> None:
    """Let the commands start with Ctrl-C's default action.  Started in the background of a script,
    the campaign ignores SIGINT (bash does that to a background job without job control) and exec
    keeps it ignored, so negsim ignored every SIGINT the kill cases sent (exit 0); a handler, unlike
    SIG_IGN, is reset to the default by exec."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def run(fx: Fixtures, cases: list[Case], jobs: int = 2, keep: bool = False,
        progress: Callable[[int, int], None] = lambda done, total: None) -> list[Outcome]:
    """Every case; kills and concurrent cases one at a time (timing), the rest `jobs` at once."""
    sigint_as_at_a_terminal()
    serial = [c for c in cases if c.driver in ("kill", "concurrent", "checkpoint")]
    parallel = [c for c in cases if c not in serial]
    done: dict[int, Outcome] = {}

    def one(c: Case) -> None:
        done[c.id] = run_case(fx, c, keep)
        progress(len(done), len(cases))

    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(one, parallel))
    for c in serial:
        one(c)
    return [done[c.id] for c in cases]


def scratch() -> "tempfile.TemporaryDirectory[str]":
    return tempfile.TemporaryDirectory(prefix="negsim-campaign-")


def table(outcomes: list[Outcome], key: Callable[[Outcome], str], title: str) -> str:
    rows: dict[str, dict[str, int]] = {}
    for o in outcomes:
        r = rows.setdefault(key(o), dict.fromkeys(CATEGORIES, 0))
        r[o.category] += 1
    short = {c: c.replace("deleted-user-file", "deleted").replace("wrongly-refused", "wrong-ref") for c in CATEGORIES}
    w = max([len(title)] + [len(k) for k in rows]) + 2
    head = f"{title:<{w}}{'n':>6}" + "".join(f"{short[c]:>14}" for c in CATEGORIES)
    lines = [head, "-" * len(head)]
    total = dict.fromkeys(CATEGORIES, 0)
    for k in sorted(rows):
        lines.append(f"{k:<{w}}{sum(rows[k].values()):>6}" + "".join(f"{rows[k][c]:>14}" for c in CATEGORIES))
        for c in CATEGORIES:
            total[c] += rows[k][c]
    lines.append(f"{'TOTAL':<{w}}{sum(total.values()):>6}" + "".join(f"{total[c]:>14}" for c in CATEGORIES))
    return "\n".join(lines)
