"""Sweeps: refused before work on bad input, identical wherever and however they run, resumable
after a SIGKILL, and the indices point at the parameters that matter."""

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.sweep import SweepError, SweepSpec, ParamRange, sample, validate
from experiments.sweep_file import load_sweep
from experiments.sweep_run import DaskExecutor, LocalExecutor, run_sweep
from experiments.runner import run
from sim.protocol import WALKOUT
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
EXCL = str(ROOT / "scenarios" / "accession_excluded.toml")


def small_spec(**kw) -> SweepSpec:
    base = dict(scenario=EXCL, sampler="lhs", points=12, runs=60, seed=3,
                params=(ParamRange("actors.russia.outside_option", 0.05, 0.6),
                        ParamRange("actors.us.clauses.us.2.salience", 0.0, 0.2)))
    base.update(kw)
    return SweepSpec(**base)


def test_shipped_headline_sweep_is_valid():
    spec = load_sweep(ROOT / "scenarios" / "sweep_headline.toml")
    assert spec.sampler == "sobol" and len(spec.params) == 8
    assert len(sample(spec)) == 256 * (2 * 8 + 2)


@pytest.mark.parametrize("change,needle", [
    (dict(params=(ParamRange("actors.russia.outside_opton", 0, 1),)),
     "'actors.russia.outside_opton': unknown path; did you mean 'actors.russia.outside_option'?"),
    (dict(params=(ParamRange("actors.rusia.patience", 0.5, 1),)), "did you mean 'actors.russia.patience'?"),
    (dict(params=(ParamRange("actors.russia.nonsense_key", 0.5, 1),)), "unknown drawn parameter 'nonsense_key'"),
    (dict(params=(ParamRange("actors.russia.outside_option", 0.2, 1.4),)), "outside its domain [0.0, 1.0]"),
    (dict(params=(ParamRange("agenda.caps.us.4a", 0, 0.5),)), "off the table"),
    (dict(sampler="sobol", points=100), "power of two"),
    (dict(runs=0), "runs must be a whole number >= 1"),
    (dict(sampler="latin"), "allowed: grid, lhs, sobol, morris"),
    (dict(metrics=("p_agree",)), "unknown metric"),
])
def test_bad_sweeps_are_refused_before_work(change, needle):
    with pytest.raises(SweepError) as exc:
        validate(small_spec(**change))
    assert needle in str(exc.value)


def test_sweep_file_unknown_key(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text(f'[sweep]\nscenario = "{EXCL}"\nsampler = "lhs"\nrunz = 5\n')
    with pytest.raises(SweepError, match="did you mean 'runs'"):
        load_sweep(f)


def test_fixing_an_already_fixed_parameter_reproduces_the_plain_batch(tmp_path):
    # US patience is 0.99 in the base calibration: a sweep point at 0.99 is the scenario itself,
    # and the sweep uses the same runs (common random numbers) as a plain batch.
    spec = small_spec(sampler="grid", points=1, runs=300, params=(ParamRange("actors.us.patience", 0.99, 0.99),))
    table, _ = run_sweep(spec, tmp_path, LocalExecutor(1))
    b = run(load_scenario(EXCL), 300, 3)
    assert table.loc[0, "p_persist"] == pytest.approx((b.outcome != WALKOUT).mean())
    assert table.loc[0, "median_rounds"] == np.median(b.rounds)


def test_same_results_for_one_or_two_workers_and_on_dask(tmp_path):
    from dask.distributed import LocalCluster

    spec = small_spec()
    one, _ = run_sweep(spec, tmp_path / "one", LocalExecutor(1))
    two, _ = run_sweep(replace(spec), tmp_path / "two", LocalExecutor(2))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        dask, _ = run_sweep(spec, tmp_path / "dask", DaskExecutor(cluster.scheduler_address))
    pd.testing.assert_frame_equal(one, two)
    pd.testing.assert_frame_equal(one, dask)
    assert not (tmp_path / "one" / "checkpoint").exists()  # cleaned up after success


def test_dask_workers_need_no_scenario_file(tmp_path, monkeypatch):
    """A task carries the resolved scenario, not a path: workers started in another folder give
    the same table even when the scenario's files are gone by the time the tasks run."""
    import shutil

    from dask.distributed import LocalCluster

    own = tmp_path / "scen"
    own.mkdir()
    for name in ("accession_excluded.toml", "base.toml"):
        shutil.copy(ROOT / "scenarios" / name, own / name)
    spec = small_spec(scenario=str(own / "accession_excluded.toml"))
    reference, _ = run_sweep(spec, tmp_path / "local", LocalExecutor(1))

    class FilesGoneFirst:
        def __init__(self, inner):
            self.inner = inner

        def run(self, tasks):
            shutil.rmtree(own)  # after the sweep was checked, before any task runs
            yield from self.inner.run(tasks)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                      local_directory=str(elsewhere)) as cluster:
        table, _ = run_sweep(spec, tmp_path / "dask", FilesGoneFirst(DaskExecutor(cluster.scheduler_address)))
    pd.testing.assert_frame_equal(reference, table)


def test_outside_option_drives_persistence_and_an_irrelevant_salience_does_not(tmp_path):
    spec = small_spec(sampler="morris", points=10, runs=150)
    _, idx = run_sweep(spec, tmp_path, LocalExecutor(1))
    mu = idx[(idx["metric"] == "p_persist") & (idx["index"] == "mu_star")].set_index("parameter")["value"]
    assert mu["actors.russia.outside_option"] > 0.3
    assert mu["actors.us.clauses.us.2.salience"] < 0.1 * mu["actors.russia.outside_option"]


def test_sigkill_midway_then_resume_gives_identical_results(tmp_path):
    sweep = tmp_path / "s.toml"
    sweep.write_text(
        f'[sweep]\nscenario = "{EXCL}"\nsampler = "lhs"\npoints = 60\nruns = 400\nseed = 11\n'
        '[parameters."actors.russia.outside_option"]\nlow = 0.05\nhigh = 0.6\n'
        '[parameters."actors.russia.deadline_days"]\nlow = 28\nhigh = 182\n')
    cmd = [sys.executable, "-m", "negsim", "sweep", str(sweep), "--workers", "1", "--quiet"]
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    proc = subprocess.Popen(cmd + ["--out", str(killed)], cwd=ROOT, stdout=subprocess.DEVNULL)
    deadline = time.time() + 120
    while len(list((killed / "checkpoint").glob("task_*.npz"))) < 2:
        assert proc.poll() is None, "the sweep finished before it could be killed"
        assert time.time() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (killed / "sweep.parquet").exists()
    resumed = subprocess.run(cmd + ["--out", str(killed)], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "resuming from" in resumed.stdout and "points already done" in resumed.stdout
    subprocess.run(cmd + ["--out", str(whole)], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    pd.testing.assert_frame_equal(pd.read_parquet(killed / "sweep.parquet"), pd.read_parquet(whole / "sweep.parquet"))


def test_a_different_sweep_will_not_mix_with_old_checkpoints(tmp_path):
    (tmp_path / "checkpoint").mkdir()
    (tmp_path / "checkpoint" / "manifest.json").write_text('{"fingerprint": "somethingelse"}')
    with pytest.raises(SweepError, match="checkpoints of a different sweep"):
        run_sweep(small_spec(), tmp_path, LocalExecutor(1))


@pytest.mark.parametrize("sampler,points", [("grid", 3), ("lhs", 7), ("sobol", 8), ("morris", 4)])
def test_design_size_formula_matches_the_samplers(sampler, points):
    from experiments.sweep import n_points

    for second in (False, True):
        spec = small_spec(sampler=sampler, points=points, second_order=second)
        assert n_points(spec) == len(sample(spec))


def test_a_numeric_range_is_a_drawn_parameter_even_misspelt():
    """--param PATH=LOW:HIGH is never taken for a structural choice, so a typo in a drawn path is
    reported as an unknown path with the whole path it was probably meant to be (issue 22)."""
    from experiments.sweep import Factor, parse_param_option

    assert parse_param_option("actors.russia.outsid_option=0:1") == ParamRange("actors.russia.outsid_option", 0.0, 1.0)
    assert isinstance(parse_param_option("protocol.round_days=3.5,7"), Factor)
    with pytest.raises(SweepError, match="did you mean 'actors.russia.outside_option'"):
        validate(small_spec(params=(parse_param_option("actors.russia.outsid_option=0:1"),)))
    with pytest.raises(SweepError, match="not drawn per run.*--param protocol.round_days=A,B"):
        validate(small_spec(params=(parse_param_option("protocol.round_days=3.5:14"),)))


def test_structural_choices_are_factors_crossed_with_the_numeric_design(tmp_path):
    from experiments.sweep import Factor, n_points, parse_param_option

    f = parse_param_option("protocol.proposer=all,rotation")
    w = parse_param_option('actors.russia.walkout=["outside_option"];["outside_option","impatience"]')
    assert f == Factor("protocol.proposer", ("all", "rotation"))
    assert w.levels == (["outside_option"], ["outside_option", "impatience"])
    spec = small_spec(points=4, runs=100, factors=(f,))
    assert n_points(spec) == 2 * 4
    table, _ = run_sweep(spec, tmp_path, LocalExecutor(1))
    assert len(table) == 8 and table["protocol.proposer"].tolist() == ["all"] * 4 + ["rotation"] * 4
    # the numeric design repeats in each combination, and each combination is its own scenario
    assert table["actors.russia.outside_option"].iloc[:4].tolist() == table["actors.russia.outside_option"].iloc[4:].tolist()
    from experiments.variants import apply

    rot = apply(load_scenario(EXCL), {"protocol.proposer": "rotation"})
    b = run(rot, 100, 3)  # first LHS point's outside option fixed: compare the share instead
    assert 0 <= table.loc[4, "p_persist"] <= 1 and np.isfinite(b.rounds).all()


def test_a_structural_level_that_makes_no_scenario_is_refused_before_any_run(tmp_path):
    from experiments.sweep import Factor

    spec = small_spec(factors=(Factor("protocol.proposer", ("all", "sideways")),))
    with pytest.raises(SweepError, match="protocol.proposer = sideways.*'sideways' is not allowed"):
        validate(spec)
    f = tmp_path / "s.toml"
    f.write_text(f'[sweep]\nscenario = "{EXCL}"\nsampler = "grid"\nruns = 10\n'
                 '[parameters."protocol.package"]\nlow = 0\nhigh = 1\n')
    with pytest.raises(SweepError, match="a structural choice is swept over `levels`"):
        load_sweep(f)


def test_sobol_indices_come_per_combination_of_structural_choices(tmp_path):
    from experiments.sweep import Factor

    spec = small_spec(sampler="sobol", points=8, runs=60, factors=(Factor("protocol.package", ("joint", "separate")),))
    table, idx = run_sweep(spec, tmp_path, LocalExecutor(1))
    assert set(idx["choices"]) == {"protocol.package=joint", "protocol.package=separate"}
    assert set(table["protocol.package"]) == {"joint", "separate"}


# ------------------------------------------------------------------ kept runs (--keep-runs)
def test_kept_runs_are_the_plain_batches_of_each_structural_choice(tmp_path):
    # Only a structural choice: each level's rows must be exactly the plain batch of that level's
    # scenario (same seed, same runs: common random numbers), in run order.
    from experiments.sweep import Factor
    from storage.resultsfile import read_runs
    from experiments.variants import apply

    spec = small_spec(params=(), sampler="grid", runs=150, keep_runs=True,
                      factors=(Factor("protocol.proposer", ("rotation", "random")),))
    table, _ = run_sweep(spec, tmp_path, LocalExecutor(1))
    runs, meta = read_runs(tmp_path / "runs.parquet")
    assert len(runs) == 2 * 150 and meta["n_runs"] == 300 and runs["run"].is_unique
    for point, level in enumerate(("rotation", "random")):
        rows = runs[runs["point"] == point]
        assert (rows["input.protocol.proposer"] == level).all()
        assert rows["mc_run"].tolist() == list(range(150))
        b = run(apply(load_scenario(EXCL), {"protocol.proposer": level}), 150, 3)
        assert rows["rounds"].tolist() == b.rounds.tolist()
        assert (rows["outcome"] == "walkout").tolist() == (b.outcome == WALKOUT).tolist()
        # the per-point share in sweep.parquet is the share of its rows
        assert table.loc[point, "p_persist"] == pytest.approx((rows["outcome"] != "walkout").mean())


def test_kept_runs_carry_the_swept_value_in_place_of_the_draw(tmp_path):
    from storage.resultsfile import read_runs

    spec = small_spec(points=5, runs=40, keep_runs=True)
    table, _ = run_sweep(spec, tmp_path, LocalExecutor(2))
    runs, _ = read_runs(tmp_path / "runs.parquet")
    assert len(runs) == 5 * 40
    per_point = runs.groupby("point")["input.actors.russia.outside_option"].agg(["min", "max"])
    assert (per_point["min"] == per_point["max"]).all()  # fixed at the point, not drawn
    assert per_point["min"].tolist() == table["actors.russia.outside_option"].tolist()
    # every other drawn input is the same run at every point (common random numbers)
    deadline = runs.pivot(index="mc_run", columns="point", values="input.actors.russia.deadline_days")
    assert (deadline.nunique(axis=1) == 1).all()


def test_discover_reads_a_sweeps_kept_runs(tmp_path):
    out = tmp_path / "sw"
    args = [sys.executable, "-m", "negsim", "sweep", EXCL, "--param", "actors.russia.outside_option=0.05:0.6",
            "--points", "6", "--runs", "50", "--keep-runs", "--workers", "1", "--quiet", "--out", str(out)]
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "runs.parquet" in done.stdout
    found = subprocess.run([sys.executable, "-m", "negsim", "discover", str(out / "runs.parquet"),
                            "--outcome", "walkout"], capture_output=True, text=True, cwd=ROOT)
    assert found.returncode == 0, found.stderr
    assert "outside option" in found.stdout


def test_keep_runs_must_be_a_boolean(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text(f'[sweep]\nscenario = "{EXCL}"\nsampler = "grid"\nruns = 10\nkeep_runs = "yes"\n'
                 '[parameters."actors.russia.outside_option"]\nlow = 0.1\nhigh = 0.5\n')
    with pytest.raises(SweepError, match=r"s.toml: sweep.keep_runs: must be true or false \(without quotes\), got text .yes."):
        load_sweep(f)


def test_level_differences_pair_points_by_design_row_by_hand():
    """Two levels over a 3-point design: per point b - a = 0.1, 0.2, 0.3, so the mean is 0.2 and the
    t interval is 0.2 +/- t(0.975, 2) * 0.1 / sqrt(3) = 0.2 +/- 0.2484."""
    import pandas as pd

    from analysis.sweep_levels import level_differences

    table = pd.DataFrame({"point": range(6), "protocol.package": ["a"] * 3 + ["b"] * 3,
                          "persist": [0.5, 0.4, 0.3, 0.6, 0.6, 0.6]})
    first, second = level_differences(table, "protocol.package", ["protocol.package"], "persist", 3)
    assert (first.level, first.mean, first.difference) == ("a", pytest.approx(0.4), None)
    assert second.level == "b" and second.pairs == 3
    assert second.difference.value == pytest.approx(0.2)
    assert second.difference.high - second.difference.value == pytest.approx(4.302653 * 0.1 / 3 ** 0.5, rel=1e-5)
