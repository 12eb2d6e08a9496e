"""Issue 11, output side: no finished work lost, no mixing of runs in one folder, damaged or
malformed results files refused with one line, confined names and terminal text, resource limits
before any work, no orphan processes after a SIGKILL."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import experiments.sweep
from storage.resultsfile import META_KEY, ResultsFileError, read_runs
from negsim.cli import main
from storage import manifest, outdir, text
from tests.factory import pref, two_party, write

ROOT = Path(__file__).resolve().parent.parent
SCEN = ROOT / "scenarios"
EXCL = SCEN / "accession_excluded.toml"
FULL = SCEN / "full_agenda.toml"


def run(argv, capsys=None):
    rc = main([str(a) for a in argv])
    return rc, (capsys.readouterr() if capsys else None)


def one_line_error(err: str, *needles: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("negsim: error: ") and "Traceback" not in err
    for n in needles:
        assert n in lines[0], (n, lines[0])


def staging(folder: Path) -> list[Path]:
    return list(folder.glob(".staging-*"))


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    """One small run with a trace (module-wide, read-only)."""
    out = tmp_path_factory.mktemp("good") / "o"
    assert main(["run", str(EXCL), "-n", "120", "--seed", "3", "--trace", "--out", str(out), "--quiet"]) == 0
    return out


def toy(tmp_path: Path, name: str, file: str = "toy.toml") -> Path:
    doc = two_party({"x": pref(1.0), "y": pref(0.2)}, {"x": pref(0.0), "y": pref(0.8)})
    doc["meta"]["name"] = name
    return write(tmp_path, doc, file)


# ================================================================== 1. no finished work lost
@pytest.mark.parametrize("read_first_line", [True, False])
def test_closed_stdout_pipe_keeps_the_results(tmp_path, read_first_line):
    out = tmp_path / "o"
    p = subprocess.Popen([sys.executable, "-m", "negsim", "run", str(EXCL), "-n", "150", "--out", str(out), "--quiet"],
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if read_first_line:
        p.stdout.readline()  # like `| head -1`: closed after the heading, before the results
    p.stdout.close()  # else closed before even the heading is printed (like `| true`)
    err = p.stderr.read().decode()
    assert p.wait(60) in (0, 141) and "Traceback" not in err and err == ""
    m = outdir.read_manifest(out)
    assert {f["name"] for f in m["files"]} == {"runs.parquet", "outcomes.png"}
    assert len(read_runs(out / "runs.parquet")[0]) == 150 and not staging(out)


def test_results_are_staged_inside_out_and_moved_in_before_the_summary(tmp_path, monkeypatch, capsys):
    from analysis import plots

    seen = {}
    real = plots.save

    def spy(fig, path):
        seen["stage"] = Path(path).parent
        real(fig, path)

    printed, lines = [], []
    monkeypatch.setattr(plots, "save", spy)

    def spy_print(*a, **k):
        printed.append((out / "manifest.json").exists())
        lines.append(" ".join(map(str, a)))

    monkeypatch.setattr("builtins.print", spy_print)
    out = tmp_path / "o"
    assert main(["run", str(EXCL), "-n", "60", "--out", str(out), "--quiet"]) == 0
    assert seen["stage"].parent == out and seen["stage"].name.startswith(".staging-")  # same filesystem
    # the heading comes first, before any work (it says what runs, no result); every result line
    # is printed after the files were in place
    assert lines[0] == ("accession_excluded: 60 runs, seed 20211217, engine batch, 95% intervals (shares: Wilson; "
                        "median: order statistics)") and not printed[0]
    assert len(printed) > 5 and all(printed[1:])


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="needs a second filesystem (/dev/shm)")
def test_out_on_another_filesystem(tmp_path, monkeypatch):
    out = Path("/dev/shm") / f"negsim-test-{os.getpid()}"
    if os.stat("/dev/shm").st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("/dev/shm is on the same filesystem here")
    monkeypatch.chdir(tmp_path)  # the run starts on one filesystem and writes to another
    try:
        assert main(["run", str(EXCL), "-n", "40", "--out", str(out), "--quiet"]) == 0
        assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "outcomes.png", "runs.parquet"]
    finally:
        shutil.rmtree(out, ignore_errors=True)


def test_out_problems_are_found_before_any_work(tmp_path, monkeypatch, capsys):
    import negsim.batch_run as batch_run

    monkeypatch.setattr(batch_run, "simulate", lambda *a, **k: pytest.fail("work started"))
    f = tmp_path / "file"
    f.write_text("x")
    for out, needle in ((f, "names an existing file"), (f / "sub", "is a file, so the folder cannot be created")):
        rc, cap = run(["run", EXCL, "-n", "10", "--out", out], capsys)
        assert rc == 2
        one_line_error(cap.err, str(out), needle)
    monkeypatch.setattr(outdir.os, "access", lambda *a, **k: False)  # root may write anywhere: simulate
    rc, cap = run(["run", EXCL, "-n", "10", "--out", tmp_path / "ro" / "x"], capsys)
    assert rc == 2
    one_line_error(cap.err, "is not writable")
    assert f.read_text() == "x"


# ================================================================== 2. no mixing
def test_another_command_into_the_folder_is_refused_unless_force(tmp_path, capsys):
    out = tmp_path / "o"
    assert run(["run", EXCL, "-n", "80", "--trace", "--csv", "--out", out, "--quiet"])[0] == 0
    for argv, needle in ((["run", EXCL, "-n", "90"], "runs 80"), (["run", EXCL, "-n", "80", "--seed", "1"], "seed"),
                         (["run", FULL, "-n", "80"], "scenarios accession_excluded"),
                         (["compare", FULL, EXCL, "-n", "80"], "command run")):
        rc, cap = run(argv + ["--out", out, "--quiet"], capsys)
        assert rc == 2
        one_line_error(cap.err, "holds the output of a different command", needle, "--force")
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "outcomes.png", "runs.csv", "runs.parquet",
                                                     "trace.csv", "trace.parquet"]
    assert run(["compare", FULL, EXCL, "-n", "80", "--out", out, "--quiet", "--force"])[0] == 0
    assert sorted(p.name for p in out.iterdir()) == ["compare.png", "manifest.json", "runs_accession_excluded.parquet",
                                                     "runs_full_agenda.parquet"]
    capsys.readouterr()
    assert run(["report", out, "--out", tmp_path / "r.html"], capsys)[0] == 0
    m = outdir.read_manifest(out)
    assert m["identity"]["command"] == "compare" and m["identity"]["runs"] == 80
    assert [s["name"] for s in m["identity"]["scenarios"]] == ["full_agenda", "accession_excluded"]
    assert all(len(f["sha256"]) == 64 for f in m["files"]) and len(m["identity"]["code"]) == 16


def test_identical_rerun_replaces_negsims_old_files_and_keeps_the_users(tmp_path):
    out = tmp_path / "o"
    assert run(["run", EXCL, "-n", "70", "--trace", "--out", out, "--quiet"])[0] == 0
    (out / "report.html").write_text("my own report")  # not negsim's: its manifest does not list it
    assert run(["run", EXCL, "-n", "70", "--out", out, "--quiet"])[0] == 0
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "outcomes.png", "report.html", "runs.parquet"]
    assert (out / "report.html").read_text() == "my own report"


def test_folder_without_manifest_but_with_results_is_refused(tmp_path, good, capsys):
    out = tmp_path / "o"
    out.mkdir()
    shutil.copy(good / "runs.parquet", out / "runs.parquet")
    (out / "notes.txt").write_text("mine")
    rc, cap = run(["run", EXCL, "-n", "10", "--out", out], capsys)
    assert rc == 2
    one_line_error(cap.err, "without a manifest.json")
    rc, cap = run(["report", out], capsys)
    assert rc == 2
    one_line_error(cap.err, "no manifest.json")
    rc, cap = run(["run", EXCL, "-n", "10", "--out", out, "--force", "--quiet"], capsys)
    assert rc == 2  # no manifest records what negsim wrote there, so --force may remove nothing
    one_line_error(cap.err, "--force replaces only what negsim wrote", "notes.txt, runs.parquet", "Nothing was deleted")
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "runs.parquet"]


def test_report_and_plot_read_only_what_the_manifest_lists(tmp_path, good, capsys):
    out = tmp_path / "o"
    assert run(["run", EXCL, "-n", "100", "--seed", "8", "--out", out, "--quiet"])[0] == 0
    shutil.copy(good / "trace.parquet", out / "trace.parquet")  # stale: another seed's trace
    shutil.copy(good / "runs.parquet", out / "runs_other.parquet")
    rc, cap = run(["report", out, "--out", tmp_path / "r.html"], capsys)
    assert rc == 0 and "0 with a trace" in cap.out
    rc, cap = run(["plot", out, "--kind", "trajectories", "--out", tmp_path / "t.png"], capsys)
    assert rc == 2 and "no trace file" in cap.err
    rc, cap = run(["plot", out / "runs_other.parquet", "--kind", "outcomes", "--out", tmp_path / "x.png"], capsys)
    assert rc == 2
    one_line_error(cap.err, "runs_other.parquet", "not listed in its folder's manifest.json")


def test_a_trace_of_another_run_is_refused(tmp_path, good):
    from analysis.outcomes import load

    bare = tmp_path / "bare"
    bare.mkdir()
    assert run(["run", EXCL, "-n", "120", "--seed", "4", "--out", tmp_path / "o", "--quiet"])[0] == 0
    shutil.copy(tmp_path / "o" / "runs.parquet", bare / "runs.parquet")
    shutil.copy(good / "trace.parquet", bare / "trace.parquet")
    with pytest.raises(ResultsFileError, match=r"trace.parquet: metadata 'negsim': (root_seed: '3'|scenario_sha256).* says .*: a trace of another run"):
        load(bare / "runs.parquet", trace=True)


def _sweep_file(tmp_path: Path, sampler: str, points: int) -> Path:
    f = tmp_path / f"{sampler}.toml"
    f.write_text(f'[sweep]\nscenario = "{EXCL}"\nsampler = "{sampler}"\npoints = {points}\nruns = 40\nseed = 5\n'
                 '[parameters."actors.russia.outside_option"]\nlow = 0.05\nhigh = 0.6\n'
                 '[parameters."actors.russia.patience"]\nlow = 0.9\nhigh = 0.99\n')
    return f


def test_a_later_sweep_never_sits_beside_an_earlier_ones_indices(tmp_path, capsys):
    out = tmp_path / "sw"
    assert run(["sweep", _sweep_file(tmp_path, "sobol", 4), "--workers", "1", "--out", out, "--quiet"])[0] == 0
    assert (out / "indices.parquet").exists()
    assert run(["plot", out, "--kind", "sensitivity", "--out", tmp_path / "s.png"])[0] == 0
    lhs = _sweep_file(tmp_path, "lhs", 6)
    capsys.readouterr()
    rc, cap = run(["sweep", lhs, "--workers", "1", "--out", out, "--quiet"], capsys)
    assert rc == 2
    one_line_error(cap.err, "holds the output of a different command")
    assert run(["sweep", lhs, "--workers", "1", "--out", out, "--quiet", "--force"])[0] == 0
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "sweep.parquet"]
    capsys.readouterr()  # the sweep's own warnings (a 6-point design correlates its columns)
    rc, cap = run(["plot", out, "--kind", "sensitivity", "--out", tmp_path / "s.png"], capsys)
    assert rc == 2
    one_line_error(cap.err, "no indices.parquet listed in its manifest.json")
    assert run(["plot", out, "--kind", "lines", "--x", "actors.russia.patience", "--out", tmp_path / "l.png"])[0] == 0
    # the identical sweep again simply replaces it
    assert run(["sweep", lhs, "--workers", "1", "--out", out, "--quiet"])[0] == 0
    capsys.readouterr()
    # a sweep table moved out of its folder still carries its checksums
    bare = tmp_path / "bare.parquet"
    md = pq.ParquetFile(out / "sweep.parquet").metadata
    col = md.row_group(0).column(md.schema.to_arrow_schema().names.index("p_persist"))
    assert col.dictionary_page_offset is not None  # the values sit in the dictionary page, before the data page
    for where in (col.data_page_offset - 4, col.data_page_offset - 12):
        shutil.copy(out / "sweep.parquet", bare)
        _flip(bare, where)
        rc, cap = run(["plot", bare, "--kind", "lines", "--x", "actors.russia.patience", "--out", tmp_path / "b.png"],
                      capsys)
        assert rc == 2
        one_line_error(cap.err, "bare.parquet")


def test_resume_after_a_code_change_is_refused(tmp_path, monkeypatch, capsys):
    from experiments.sweep_file import load_sweep
    from experiments.sweep_run import LocalExecutor, run_sweep

    spec = load_sweep(_sweep_file(tmp_path, "lhs", 12))
    out = tmp_path / "sw"

    class Dies(LocalExecutor):  # killed after the first task
        def run(self, tasks):
            it = super().run(tasks)
            yield next(it)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(spec, out, Dies(1))
    assert list((out / "checkpoint").glob("task_*.npz"))
    monkeypatch.setattr(experiments.sweep, "code_fingerprint", lambda: "0123456789abcdef")  # the sources changed
    rc, cap = run(["sweep", tmp_path / "lhs.toml", "--workers", "1", "--out", out, "--quiet"], capsys)
    assert rc == 2
    one_line_error(cap.err, "checkpoints of a different sweep or code version")


# ================================================================== 3. damage detected
def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x10
    path.write_bytes(bytes(data))


def test_page_checksums_catch_a_flipped_data_page_bit(tmp_path, good):
    bare = tmp_path / "runs.parquet"  # no manifest here: only the page checksums can tell
    md = pq.ParquetFile(good / "runs.parquet").metadata
    names = md.schema.to_arrow_schema().names
    col = md.row_group(0).column(names.index("utility.russia"))
    assert md.row_group(0).column(0).statistics is not None
    caught = 0
    for k in range(6):  # several places in the data page of a float column
        shutil.copy(good / "runs.parquet", bare)
        _flip(bare, col.data_page_offset + col.total_compressed_size * (k + 2) // 9)
        with pytest.raises(ResultsFileError, match="runs.parquet: "):
            read_runs(bare)
        caught += 1
    assert caught == 6


def test_a_flipped_bit_in_a_manifest_folder_is_caught_by_its_checksum(tmp_path, good):
    out = tmp_path / "o"
    shutil.copytree(good, out)
    size = (out / "outcomes.png").stat().st_size
    _flip(out / "runs.parquet", 4)  # not even in a data page
    with pytest.raises(ResultsFileError, match="SHA-256 differs from its folder's manifest.json"):
        read_runs(out / "runs.parquet")
    assert size > 0


def _rewrite(src: Path, dst: Path, table=None, meta=...) -> Path:
    t = pq.read_table(src) if table is None else table
    if meta is not ...:
        t = t.replace_schema_metadata({META_KEY: meta if isinstance(meta, bytes) else json.dumps(meta).encode()})
    pq.write_table(t, dst)
    return dst


def _damaged(good: Path, d: Path) -> dict[str, tuple[Path, str]]:
    src = good / "runs.parquet"
    t = pq.read_table(src)
    meta = json.loads(t.schema.metadata[META_KEY])
    n = t.num_rows
    outcome = t.column_names.index("outcome")
    values = [c for c in t.column_names if c.startswith("value.")]
    cases = {
        "garbage metadata": (b"\x00garbage{", "not valid JSON"),
        "list metadata": ([1, 2], "a JSON list, expected a JSON object"),
        "no n_runs": ({k: v for k, v in meta.items() if k != "n_runs"}, "n_runs: missing"),
        "no scenario_resolved": ({k: v for k, v in meta.items() if k != "scenario_resolved"},
                                 "scenario_resolved: missing"),
        "zero n_runs": ({**meta, "n_runs": 0}, "n_runs: 0"),
    }
    out = {}
    for k, (m, msg) in cases.items():
        out[k] = (_rewrite(src, d / f"{k.replace(' ', '_')}.parquet", meta=m), msg)
    tables = {
        "no outcome": (t.drop_columns(["outcome"]), "column outcome: missing"),
        "no rounds": (t.drop_columns(["rounds"]), "column rounds: missing"),
        "no values": (t.drop_columns(values), "value.<clause>: missing"),
        "banana": (t.set_column(outcome, "outcome", pa.array(["banana"] * n)), "'banana' is not one of"),
        "outcome 7": (t.set_column(outcome, "outcome", pa.array([7] * n)), "column outcome: type int64"),
        "zero rows": (t.slice(0, 0), "no rows"),
        "duplicated": (pa.concat_tables([t.slice(0, n // 2), t.slice(0, n - n // 2)]), "duplicated run ids"),
    }
    for k, (tab, msg) in tables.items():
        m = {**meta, "n_runs": tab.num_rows} if k == "zero rows" else meta
        if k == "zero rows":
            msg = "n_runs: 0"  # the metadata agrees with the rows: refused either way
        out[k] = (_rewrite(src, d / f"{k.replace(' ', '_')}.parquet", table=tab, meta=m), msg)
    return out


def test_malformed_results_files_are_refused_with_one_line(tmp_path, good, capsys):
    cases = _damaged(good, tmp_path)
    for what, (path, msg) in cases.items():
        with pytest.raises(ResultsFileError, match=None) as e:
            read_runs(path)
        assert str(e.value).startswith(f"{path}: ") and msg in str(e.value), (what, str(e.value))
        for argv in (["report", path, "--out", tmp_path / "r.html"],
                     ["plot", path, "--kind", "outcomes", "--out", tmp_path / "p.png"],
                     ["plot", path, "--kind", "blocking", "--out", tmp_path / "p.png"]):
            rc, cap = run(argv, capsys)
            assert rc == 2, (what, argv)
            one_line_error(cap.err, str(path), msg)
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "p.png").exists()


def test_fuzzed_bit_flips_are_refused_or_harmless(tmp_path, good, capsys):
    """50 seeded single-bit flips anywhere in a results file with no manifest beside it: each is
    refused with one line naming the file, or leaves data and metadata exactly as written."""
    import random

    ref, ref_meta = read_runs(good / "runs.parquet")
    data = (good / "runs.parquet").read_bytes()
    rng = random.Random(11)
    tally = {"refused": 0, "harmless": 0}
    for i in range(50):
        b = bytearray(data)
        b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        f = tmp_path / f"f{i}" / "runs.parquet"
        f.parent.mkdir()
        f.write_bytes(bytes(b))
        try:
            got, meta = read_runs(f)
        except ResultsFileError as exc:
            assert str(exc).startswith(f"{f}: ") and "\n" not in str(exc)
            tally["refused"] += 1
            if tally["refused"] <= 6:  # and the commands say so in one line
                rc, cap = run(["plot", f, "--kind", "outcomes", "--out", tmp_path / "p.png"], capsys)
                assert rc == 2
                one_line_error(cap.err, str(f))
            continue
        assert got.equals(ref) and meta == ref_meta  # no silent change
        tally["harmless"] += 1
    assert tally["refused"] >= 25, tally


def test_malformed_sweep_tables_are_refused_with_one_line(tmp_path, capsys):
    bad = tmp_path / "t.parquet"
    pq.write_table(pa.table({"x": [1.0, 2.0]}).replace_schema_metadata({META_KEY: b"[1]"}), bad)
    rc, cap = run(["plot", bad, "--kind", "sensitivity", "--out", tmp_path / "s.png"], capsys)
    assert rc == 2
    one_line_error(cap.err, "t.parquet", "expected a JSON object")
    pq.write_table(pa.table({"x": [1.0, 2.0]}), bad)
    for kind in ("sensitivity", "map", "lines"):
        rc, cap = run(["plot", bad, "--kind", kind, "--out", tmp_path / "s.png"], capsys)
        assert rc == 2, kind
        one_line_error(cap.err, "t.parquet")


# ================================================================== 4. confinement of names and terminal
@pytest.mark.parametrize("name,expected", [
    ("../../x", "x"), ("/etc/passwd", "etc_passwd"), (".hidden", "hidden"), ("a/b", "a_b"), ("$x^2$", "x_2"),
    ("ok-name_1.2", "ok-name_1.2"), ("..", "scenario"), ("", "scenario"), ("\x1b[31mred", "31mred"),
])
def test_safe_name(name, expected):
    assert text.safe_name(name) == expected


def test_safe_name_is_bounded_and_keeps_long_names_apart():
    a, b = text.safe_name("x" * 50_000 + "a"), text.safe_name("x" * 50_000 + "b")
    assert len(a) <= 80 and len(b) <= 80 and a != b


def test_terminal_text_is_escaped():
    s = text.term_line("a\x1b[2J\x07b\u202ec\nd\x9b")
    assert s == "a\\x1b[2J\\x07b\\u202ec\\nd\\x9b" and all(ch.isprintable() for ch in s)


def named(monkeypatch, names: dict[str, str]) -> None:
    """Scenario names the loader may refuse (it checks meta.name): given here after loading, so
    the output side is tested whatever the loader accepts."""
    import dataclasses

    import sim.scenario as scenario
    from negsim.cli import COMMANDS

    for command in COMMANDS:  # every command's module, each holding the loader under its own name
        importlib.import_module(f"negsim.{command}")
    real = scenario.load_scenario

    def load(path, *a, **k):
        sc = real(path, *a, **k)
        return dataclasses.replace(sc, name=names.get(Path(path).name, sc.name))

    for module in list(sys.modules.values()):  # wherever a module imported the loader by name
        if getattr(module, "load_scenario", None) is real:
            monkeypatch.setattr(module, "load_scenario", load)


def test_scenario_name_cannot_write_outside_results_or_reach_the_terminal(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    scen = toy(tmp_path, "toy")
    named(monkeypatch, {"toy.toml": "../../\x1b[31mevil$x$/y"})
    rc, cap = run(["run", scen, "-n", "40", "--quiet"], capsys)
    assert rc == 0, cap.err
    assert "\x1b" not in cap.out + cap.err and "\\x1b[31mevil$x$/y" in cap.out
    (folder,) = (tmp_path / "results").iterdir()
    assert folder.name == "31mevil_x_y" and (folder / "runs.parquet").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results", "toy.toml"]


def test_the_loader_refuses_or_confines_such_a_name(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    rc, cap = run(["run", toy(tmp_path, "../../\x1b[31mevil"), "-n", "40", "--quiet"], capsys)
    assert "\x1b" not in cap.out + cap.err
    if rc == 2:
        one_line_error(cap.err, "meta.name")
    assert sorted(p.name for p in tmp_path.iterdir()) in (["results", "toy.toml"], ["toy.toml"])


def test_mathtext_and_slash_names_run_and_compare(tmp_path, monkeypatch, capsys):
    a, b = toy(tmp_path, "a", "a.toml"), toy(tmp_path, "b", "b.toml")
    named(monkeypatch, {"a.toml": "$\\frac{a}{$", "b.toml": "x/y $$ ^_"})
    rc, cap = run(["compare", a, b, "-n", "40", "--out", tmp_path / "c", "--quiet"], capsys)
    assert rc == 0, cap.err
    assert (tmp_path / "c" / "runs_frac_a.parquet").exists() and (tmp_path / "c" / "runs_x_y.parquet").exists()
    for kind in ("outcomes", "rounds", "incidence", "clauses", "blocking"):
        assert run(["plot", tmp_path / "c", "--kind", kind, "--out", tmp_path / f"{kind}.png"])[0] == 0, kind
    assert run(["report", tmp_path / "c", "--out", tmp_path / "r.html"])[0] == 0


def test_a_long_name_does_not_hang_the_run(tmp_path, monkeypatch, capsys):
    from analysis.plots import short

    assert short("n" * 1000) == "n" * 79 + "\u2026" and short("a\nb") == "a b" and short("$x$") == r"\$x\$"
    scen = toy(tmp_path, "toy")
    named(monkeypatch, {"toy.toml": "n" * 1_000_000})
    t0 = time.perf_counter()
    rc, cap = run(["run", scen, "-n", "40", "--out", tmp_path / "o", "--quiet"], capsys)
    assert rc == 0, cap.err[:500]
    assert time.perf_counter() - t0 < 10  # was over 300 s (matplotlib laid out the whole name)
    assert max(len(line) for line in cap.out.splitlines()) < 400


# ================================================================== 5. resource limits before work
@pytest.mark.parametrize("argv,needle", [
    (["-n", "1000000000"], "at most 20,000,000 runs per scenario"),
    (["--seed", str(2**63)], "[0, 2**63-1]"),
    (["--seed", "-1"], "[0, 2**63-1]"),
])
def test_limits_are_refused_before_work(argv, needle, tmp_path, monkeypatch, capsys):
    import negsim.batch_run as batch_run

    monkeypatch.setattr(batch_run, "simulate", lambda *a, **k: pytest.fail("work started"))
    for cmd in (["run", EXCL], ["compare", EXCL, FULL]):
        rc, cap = run(cmd + argv + ["--out", tmp_path / "o"], capsys)
        assert rc == 2
        one_line_error(cap.err, needle)
    assert not (tmp_path / "o").exists()


def test_largest_seed_runs(tmp_path):
    assert run(["run", EXCL, "-n", "30", "--seed", str(2**63 - 1), "--out", tmp_path / "o", "--quiet"])[0] == 0


def test_sweep_seed_is_checked_before_work(tmp_path, capsys):
    rc, cap = run(["sweep", _sweep_file(tmp_path, "lhs", 4), "--seed", str(2**64), "--out", tmp_path / "o"], capsys)
    assert rc == 2
    one_line_error(cap.err, "[0, 2**63-1]")


def test_too_many_workers_are_capped_with_a_warning(tmp_path, capsys):
    from experiments.runner import default_workers

    rc, cap = run(["run", EXCL, "-n", "30", "--workers", "512", "--out", tmp_path / "o", "--quiet"], capsys)
    assert rc == 0
    assert cap.err.strip() == (f"negsim: warning: --workers 512 is more than the {default_workers()} core(s) "
                               f"available; using {default_workers()}")


# ================================================================== 6. orphans
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_sigkill_leaves_no_worker_and_the_next_run_cleans_up(tmp_path):
    psutil = pytest.importorskip("psutil")
    out = tmp_path / "o"
    p = subprocess.Popen([sys.executable, "-m", "negsim", "run", str(EXCL), "-n", "5000000", "--workers", "2",
                          "--out", str(out), "--quiet"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parent = psutil.Process(p.pid)
    deadline = time.time() + 60
    while True:
        kids = parent.children(recursive=True)
        if len(kids) >= 3 and staging(out) and list(staging(out)[0].glob("*.partial")):
            break  # forkserver and two workers up, results being written
        assert p.poll() is None and time.time() < deadline
        time.sleep(0.1)
    time.sleep(0.5)
    kids = parent.children(recursive=True)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    gone, alive = psutil.wait_procs(kids, timeout=10)
    assert not alive, [(k.pid, k.name()) for k in alive]
    assert staging(out)  # the killed run's staging folder, with its partial files
    assert main(["run", str(EXCL), "-n", "50", "--out", str(out), "--quiet"]) == 0
    assert not staging(out) and (out / "runs.parquet").exists()


def test_a_live_runs_staging_folder_is_left_alone(tmp_path):
    live = tmp_path / ".staging-live"
    live.mkdir()
    (live / ".owner").write_text(f"{os.getpid()} {outdir._proc_start(os.getpid())}")
    dead = tmp_path / ".staging-dead"
    dead.mkdir()
    (dead / ".owner").write_text("999999999 1")
    assert outdir.clean_stale(tmp_path) == [dead] and live.exists()


def test_staging_folders_of_older_versions_are_cleaned(tmp_path):
    old = tmp_path / ".o.abcd1234"
    old.mkdir()
    (old / "runs.parquet.partial").write_bytes(b"x" * 100)
    mine = tmp_path / ".o.keep"
    mine.mkdir()
    (mine / "notes.txt").write_text("not negsim's")
    assert main(["run", str(EXCL), "-n", "20", "--out", str(tmp_path / "o"), "--quiet"]) == 0
    assert not old.exists() and mine.exists()


# ================================================================== 7. one atomic-write helper
def test_one_atomic_write_helper(tmp_path, monkeypatch):
    from analysis import report
    from storage.atomic import write_atomic

    write_atomic(tmp_path / "f", "old")

    def broken(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    for writer in (write_atomic, report.write_atomic):
        with pytest.raises(OSError, match="disk full"):
            writer(tmp_path / "f", "new")
    assert (tmp_path / "f").read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["f"]


def test_report_beside_the_results_never_replaces_a_users_report(tmp_path, capsys):
    out = tmp_path / "o"
    assert run(["run", EXCL, "-n", "40", "--out", out, "--quiet"])[0] == 0
    (out / "report.html").write_text("my own report")
    capsys.readouterr()
    rc, cap = run(["report", out], capsys)
    assert rc == 2
    one_line_error(cap.err, "report.html: exists and negsim did not write it", "give --out")
    assert (out / "report.html").read_text() == "my own report"
    (out / "report.html").unlink()
    assert run(["report", out], capsys)[0] == 0  # written by negsim, so recorded in the folder's manifest
    assert "report.html" in {f["name"] for f in outdir.read_manifest(out)["files"]}
    assert run(["run", EXCL, "-n", "40", "--seed", "2", "--out", out, "--quiet", "--force"])[0] == 0
    assert not (out / "report.html").exists()  # negsim's, so --force replaced it with the new output
