"""Fuzzed sweep files, command-line abuses, security probes, damaged results files and data-loss
probes (issue 25, item 6): fixed-seed samples of tests/fuzz_commands.py, run in this process
(negsim.cli.main), so they stay fast; scripts/fuzz_campaign.py runs the slow campaign with real
processes, kills and thousands of cases.  Every case ends in one clear line or a correct result:
never a traceback, a silent accept, a read outside the confined folders or a user's file lost."""

from __future__ import annotations

import dataclasses
import json
import shutil
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from experiments.sweep import SweepError
from experiments.sweep_file import load_sweep
from negsim.cli import main
from tests import fuzz_commands as fc
from tests import fuzz_runner as fr

SEED = 20261206
ROOT = Path(__file__).resolve().parent.parent


class InProcess(fr.Fixtures):
    """Fixtures made by negsim.cli.main in this process (no interpreter start-up per command)."""

    def negsim(self, argv, cwd, timeout=600) -> int:
        assert main(argv) == 0, argv
        return 0


@pytest.fixture(scope="module")
def fx(tmp_path_factory) -> InProcess:
    f = InProcess(tmp_path_factory.mktemp("fuzz"), ROOT, explain=False)
    f.prepare()
    _fake_explain(f.dir / "explain")
    return f


def _fake_explain(folder: Path) -> None:
    """An explain folder as `negsim explain` writes it (a small table, its manifest), made without
    playing every coalition."""
    from sim.scenario import load_scenario
    from storage.manifest import identity
    from storage.outdir import Output

    sc = load_scenario(ROOT / "scenarios" / "accession_excluded.toml")
    table = pd.DataFrame({"metric": ["p_agreement"], "player": ["accession"], **{k: [0.0] for k in (
        "alone", "alone_low", "alone_high", "shapley", "shapley_low", "shapley_high")}})
    with Output(folder, identity("explain", [sc], 1, 30)) as o:
        table.to_parquet(o.stage / "explain.parquet", index=False)
        o.commit()


def run_case(fx: InProcess, c: fc.Case, capsys) -> tuple[str, str]:
    d = fr.materialize(fx, c)
    argv = [fr.fill(a, d, fx.root) for a in c.argv]
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse's own refusals
        rc = exc.code
    cap = capsys.readouterr()
    return fr.classify_command(c, rc, cap.out.encode(), cap.err.encode(), d)


def _one_line(msg: str, *needles: str) -> None:
    msg = msg.removesuffix("\n")
    assert "\n" not in msg and len(msg) < 600 and "Traceback" not in msg, msg
    for n in needles:
        assert n in msg, (n, msg)


# ------------------------------------------------------------------ sweep files
@pytest.mark.parametrize("index", range(48))
def test_fuzzed_sweep_files_are_refused_in_one_line_naming_file_and_key(fx, index):
    c = fc.case(SEED, "sweep", index, index)
    d = fr.materialize(fx, c)
    try:
        load_sweep(d / "sweep.toml")
    except SweepError as exc:
        assert c.verdict != "accept", (c.note, str(exc))
        _one_line(str(exc), str(d / "sweep.toml"))
        assert fc.CANARY not in str(exc)
    else:
        # a design too big to run in an hour loads; the command refuses it (test_a_design_over_an_hour)
        assert c.verdict != "refuse" or c.sub == "size", c.note


@pytest.mark.parametrize("text,needles", [
    ("scenario = 5", ("sweep.scenario", "must be text in quotes, got a number")),
    ('scenario = "/etc/passwd"', ("sweep.scenario", "is not allowed")),
    ('scenario = "../outside/outside.toml"', ("sweep.scenario", "leads outside the folders a file may name")),
    ('scenario = "base.toml/"', ("sweep.scenario", "not the name of a .toml file")),
    ("levels = 3", ("sweep.levels", "only the morris sampler reads it")),
    ('second_order = "no"', ("sweep.second_order", "must be true or false (without quotes), got text 'no'")),
    ("points = 1" + "0" * 400, ("sweep.points", "is out of range; allowed: [1, 10,000,000]")),
    ("runs = 2.5", ("sweep.runs", "must be a whole number")),
    ("sampeler = 'grid'", ("sweep.sampeler", "did you mean 'sampler'")),
])
def test_sweep_file_values_get_the_scenario_loaders_messages(tmp_path, text, needles):
    (tmp_path / "outside").mkdir()
    shutil.copy(ROOT / "scenarios" / "base.toml", tmp_path / "outside" / "outside.toml")
    folder = tmp_path / "here"
    folder.mkdir()
    for f in (ROOT / "scenarios").glob("*.toml"):
        shutil.copy(f, folder / f.name)
    body = fc.sweep_toml(fc.SWEEP_BASE).decode()
    key = text.split(" =")[0]
    body = "\n".join(ln for ln in body.splitlines() if not ln.startswith(f'"{key}"')).replace("[sweep]", f"[sweep]\n{text}")
    (folder / "s.toml").write_text(body)
    with pytest.raises(SweepError) as exc:
        load_sweep(folder / "s.toml")
    _one_line(str(exc.value), f"{folder / 's.toml'}: ", *needles)


def test_a_drawn_parameters_levels_must_be_numbers(tmp_path):
    f = tmp_path / "s.toml"
    shutil.copy(ROOT / "scenarios" / "accession_excluded.toml", tmp_path)
    shutil.copy(ROOT / "scenarios" / "base.toml", tmp_path)
    f.write_text(fc.sweep_toml(fc.SWEEP_BASE, {"actors.russia.outside_option": {"levels": ["a", "b"]}}).decode())
    with pytest.raises(SweepError, match=r"levels: a drawn parameter's levels are numbers in its range, got 'a'"):
        load_sweep(f)
    f.write_text("parameters = [1, 2]\n" + fc.sweep_toml(fc.SWEEP_BASE, {}).decode())
    with pytest.raises(SweepError, match="parameters: must be a table, got a list"):
        load_sweep(f)


def test_a_design_over_an_hour_is_refused_with_its_estimate_unless_yes(tmp_path, monkeypatch, capsys):
    import importlib

    command = importlib.import_module("negsim.sweep")  # the module; negsim.sweep is the API's function
    monkeypatch.setattr(command, "measured_rate", lambda comp, seed, runs=400: 1000.0)
    argv = ["sweep", str(ROOT / "scenarios" / "base.toml"), "--param", "actors.russia.outside_option=0.1:0.5",
            "--points", "100000", "--runs", "100", "--workers", "1", "--out", str(tmp_path / "w")]
    assert main(argv) == 2
    # 100,000 points x 100 runs = 10,000,000 runs at 1,000 runs/s on one worker: 10,000 s = 2.8 hours
    _one_line(capsys.readouterr().err, "10,000,000 runs, about 2.8 hours at the 1,000 runs/s", "need --yes")
    assert not (tmp_path / "w").exists()


# ------------------------------------------------------------------ command-line abuses
SLOW_OR_SPECIAL = {"report-ok", "plot-ok", "discover-folder", "backtest-no-record", "sweep-scheduler-unreachable",
                   "sweep-scheduler-no-dask", "sweep-scheduler-garbage", "validate-stdout-full", "run-stdout-full",
                   "robust-variants-missing", "robust-variants-scenario", "explore-port-bad", "explore-port-negative",
                   "sweep-points-huge", "solve-seed-negative", "solve-out-empty", "report-twice"}


@pytest.mark.parametrize("index", [i for i, c in enumerate(fc.CLI_CASES) if c[0] not in SLOW_OR_SPECIAL])
def test_command_line_abuses_are_refused_in_one_line(fx, index, capsys):
    c = fc.case(SEED, "cli", index, 1000 + index)
    cat, detail = run_case(fx, c, capsys)
    assert cat in ("ok-refused", "ok-accepted") and (cat == "ok-refused") == (c.verdict == "refuse"), (c.note, detail)


def test_a_missing_dask_names_the_install_command(monkeypatch, tmp_path, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # `import dask.distributed` now fails
    assert main(["sweep", str(ROOT / "scenarios" / "base.toml"), "--param", "actors.russia.outside_option=0.1:0.5",
                 "--points", "2", "--runs", "10", "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "w")]) == 2
    _one_line(capsys.readouterr().err, "--scheduler needs Dask", "pip install 'negsim[cluster]'")


def test_an_unreachable_scheduler_is_named(tmp_path):
    from experiments.sweep_run import DaskExecutor

    with pytest.raises(SweepError) as exc:
        DaskExecutor("tcp://127.0.0.1:9").connect(timeout="0.5s")
    _one_line(str(exc.value), "--scheduler 'tcp://127.0.0.1:9': no Dask scheduler answers at that address")


# ------------------------------------------------------------------ security probes
@pytest.mark.parametrize("index", range(22))
def test_paths_a_file_names_are_confined(fx, index, capsys):
    c = fc.case(SEED, "security", index, 2000 + index)
    cat, detail = run_case(fx, c, capsys)
    assert cat == "ok-refused", (c.note, cat, detail)


# ------------------------------------------------------------------ damaged results files
@pytest.mark.parametrize("index", range(40))
def test_damaged_results_files_are_refused_or_read_unchanged(fx, index):
    from analysis.outcomes import load
    from negsim.inputs import runs_files

    c = fc.case(SEED, "damaged", index, 3000 + index)
    d = fr.materialize(fx, c)
    try:
        got = [load(f, trace=None) for f in runs_files([d / "run1"])]
    except ValueError as exc:
        _one_line(str(exc))
        assert fc.CANARY not in str(exc)
        return
    assert c.verdict != "refuse", (c.note, "read without complaint")
    clean = load(fx.dir / "run1" / "runs.parquet", trace=None)
    pd.testing.assert_frame_equal(got[0].runs, clean.runs)  # read, then exactly the undamaged data


@pytest.mark.parametrize("command", ["plot", "discover"])
def test_a_swapped_trace_does_not_change_what_never_reads_a_trace(fx, command, capsys):
    """plot (but for trajectories) and discover read the runs file alone: with run2's trace in
    run1's folder they write exactly what the undamaged folder gives (report, which reads the
    trace, refuses it: test_damaged_results_files_are_refused_or_read_unchanged)."""
    index = next(i for i in range(400) if fc.case(SEED, "damaged", i, 0).sub == "trace-swap"
                 and fc.case(SEED, "damaged", i, 0).argv[0] == command)
    damaged = fc.case(SEED, "damaged", index, 3950)
    clean = dataclasses.replace(damaged, id=3951, damage=())
    got = []
    for c in (damaged, clean):
        cat, detail = run_case(fx, c, capsys)
        assert cat == "ok-accepted", (c.note, cat, detail)
        d = fx.root / "cases" / f"c{c.id:05d}"
        got.append((d / c.same_as).read_bytes().replace(str(d).encode(), b"<case>"))
    assert damaged.verdict == "either" and got[0] == got[1]


def test_labels_with_control_characters_are_refused(fx):
    from analysis.outcomes import load

    for text in ("\x1b[2J\x1b]0;pwned\x07", "\u202eevil"):
        c = fc.Case(3900, "damaged", "labels", "refuse", "", fixtures=("scenarios", "run1"),
                    damage=(("run1/runs.parquet", "labels", text),))
        d = fr.materialize(fx, c)
        with pytest.raises(ValueError, match="column walkout_by: .* holds control or format characters") as exc:
            load(d / "run1" / "runs.parquet")
        assert "\x1b" not in str(exc.value) and "\u202e" not in str(exc.value)


# ------------------------------------------------------------------ data loss
@pytest.mark.parametrize("index", [0, 1, 2, 3, 4])
def test_force_removes_only_what_a_manifest_records(fx, index, capsys):
    c = fc.case(SEED, "dataloss", index, 4000 + index)
    cat, detail = run_case(fx, c, capsys)
    assert cat in ("ok-refused", "ok-accepted") and not (c.verdict == "refuse" and cat != "ok-refused"), (c.note, detail)
    if c.verdict == "refuse":
        assert "Nothing was deleted" in detail and all(u.split("/")[1] in detail for u in c.user_files), detail


def test_a_second_command_into_a_folder_in_use_is_refused(tmp_path, capsys):
    from storage.outdir import folder_lock

    out = tmp_path / "o"
    out.mkdir()
    with folder_lock(out):  # another negsim command writing there now
        assert main(["run", str(ROOT / "scenarios" / "accession_excluded.toml"), "-n", "20", "--out", str(out)]) == 2
    _one_line(capsys.readouterr().err, "another negsim command", "is writing there now")
    assert list(out.iterdir()) == []
    assert main(["run", str(ROOT / "scenarios" / "accession_excluded.toml"), "-n", "20", "--out", str(out),
                 "--quiet"]) == 0  # the lock went with the first command


def test_a_manifest_naming_a_file_outside_its_folder_is_refused(fx, tmp_path):
    from storage.manifest import OutputError, manifest_runs

    folder = tmp_path / "run1"
    shutil.copytree(fx.dir / "run1", folder)
    m = json.loads((folder / "manifest.json").read_text())
    for bad in ("../run2/runs.parquet", "/etc/passwd", "sub/runs.parquet", ".."):
        m["runs"] = [bad]
        m["files"][0]["name"] = bad
        (folder / "manifest.json").write_text(json.dumps(m))
        with pytest.raises(OutputError) as exc:
            manifest_runs(folder)
        _one_line(str(exc.value), "a manifest names files inside its own folder")


# ------------------------------------------------------------------ the campaign's own checks
def test_a_rerun_is_compared_value_by_value_with_nan_equal_to_nan(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    def write(name, values, meta=b"run"):
        t = pa.table({"value.form": pa.array(values, pa.float64()), "outcome": ["walkout", "agreement", "walkout"]})
        pq.write_table(t.replace_schema_metadata({"negsim": meta}), tmp_path / name)
        return tmp_path / name

    nan = float("nan")
    a = write("a.parquet", [nan, 0.25, nan])
    assert fr._same_tables(a, a)  # a file with NaN equals itself (pyarrow's equals says it does not)
    assert fr._same_tables(a, write("meta.parquet", [nan, 0.25, nan], b"other"))  # the file's metadata aside
    assert not fr._same_tables(a, write("value.parquet", [nan, 0.5, nan]))
    assert not fr._same_tables(a, write("moved.parquet", [0.25, nan, nan]))
    assert not fr._same_tables(a, write("null.parquet", [None, 0.25, nan]))  # a missing value is not a NaN
    assert not fr._same_tables(a, tmp_path / "missing.parquet")


def test_the_checkpoint_probes_sweep_has_more_tasks_than_the_driver_waits_for():
    from experiments.sweep import RUNS_PER_TASK

    c = fc.case(SEED, "dataloss", 7, 4007)
    assert c.driver == "checkpoint"
    sweep = tomllib.loads(c.files["sweep.toml"].decode())["sweep"]
    per_task = max(1, RUNS_PER_TASK // sweep["runs"])  # points a task carries (experiments.sweep.tasks_for)
    tasks = -(-sweep["points"] // per_task)
    assert tasks > 3, tasks  # the driver kills the sweep once 3 task files exist, then tampers with two


@pytest.mark.parametrize("script,category", [("sleep 30 & exit 0", "orphan"), ("sleep 30", "hang"), ("exit 0", None)])
def test_a_signalled_command_that_ends_but_leaves_processes_is_an_orphan_not_a_hang(script, category):
    # the background sleep keeps the pipes open after sh has ended: the campaign's sweep-KILL-1.0
    p = subprocess.Popen(["sh", "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)
    _, failed = fr.after_signal(p, signal.SIGKILL, wait=1.0)
    assert (failed[0] if failed else None) == category, failed


def test_commands_get_ctrl_c_at_its_default_however_the_campaign_was_started():
    # the campaign started with SIGINT ignored (in the background of a script), as its kill cases once were
    child = "import signal; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)"
    campaign = ("import subprocess, sys; from tests import fuzz_runner as fr; fr.sigint_as_at_a_terminal(); "
                f"print(subprocess.run([sys.executable, '-c', {child!r}], capture_output=True, text=True).stdout)")
    p = subprocess.run([sys.executable, "-c", campaign], cwd=ROOT, capture_output=True, text=True,
                       preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert p.stdout.strip() == "True", p.stderr
