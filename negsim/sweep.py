"""`negsim sweep`: vary assumptions of a scenario and see which ones drive the answer."""

from __future__ import annotations

import contextlib
import shutil
import sys
import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy import stats
from tqdm import tqdm

from analysis.sweep_levels import level_differences
from experiments.runner import default_workers, measured_rate
from experiments.sweep import Factor, SweepError, SweepSpec, design_warnings, n_points, parse_param_option, validate
from experiments.sweep_file import load_sweep
from experiments.sweep_run import DaskExecutor, LocalExecutor, run_sweep
from sim.scenario import file_kind, load_scenario
from storage.manifest import identity
from storage.outdir import Output
from storage.text import plural, term_line

from .common import (UsageError, check_seed, check_workers, results_folder, say,
                     silence_stdout as _silence_stdout)
from .grammar import SWEEP_MAX_HOURS

HEADLINE_METRIC = "p_persist"
SURELY_FAST_RUNS = 2_000_000  # below this many runs no design takes an hour (the kernel plays >1,000 runs/s)


def default_out(args) -> Path:
    """A sweep file: results/sweep_<its name>; a scenario with --param: results/sweep_<scenario>_<the
    last part of each swept path> (two sweeps of one scenario over other parameters stay apart)."""
    if not args.param:
        return results_folder("sweep", args.file.stem.removeprefix("sweep_"))

    leaves = [t.partition("=")[0].strip().rsplit(".", 1)[-1] for t in args.param]
    return results_folder("sweep", load_scenario(args.file).name, *leaves)


def _spec(args):
    if args.param:
        if file_kind(args.file) == "sweep":
            raise SweepError(f"{args.file}: a sweep file lists its parameters; --param is for scenario files")
        parsed = [parse_param_option(t) for t in args.param]
        spec = SweepSpec(scenario=str(args.file), params=tuple(p for p in parsed if not isinstance(p, Factor)),
                         factors=tuple(p for p in parsed if isinstance(p, Factor)))
    elif file_kind(args.file) == "scenario" and _readable_toml(args.file):
        raise SweepError(f"{args.file}: not a sweep file (no [sweep] table); to sweep a scenario file, give "
                         "parameters with --param PATH=LOW:HIGH")
    else:
        spec = load_sweep(args.file)  # also says what is wrong with a file that is not readable TOML
    given = {k: getattr(args, k) for k in ("sampler", "points", "runs", "seed", "keep_runs")
             if getattr(args, k) is not None}
    return replace(spec, **given)  # cmd_sweep validates it


def _readable_toml(path: Path) -> bool:
    try:
        return path.is_file() and isinstance(tomllib.loads(path.read_text("utf-8")), dict)
    except (OSError, ValueError, RecursionError):
        return False


def _check_size(spec, comp, workers: int, yes: bool) -> None:
    """Refuse, unless --yes, a design that would take more than SWEEP_MAX_HOURS at the rate measured on
    this machine (a few hundred runs of the scenario, timed before any work)."""
    total = n_points(spec) * spec.runs
    if yes or total <= SURELY_FAST_RUNS:
        return
    rate = measured_rate(comp, spec.seed)
    hours = total / (rate * workers) / 3600
    if hours > SWEEP_MAX_HOURS:
        raise UsageError(f"the design is {n_points(spec):,} points x {spec.runs:,} runs = {total:,} runs, about "
                         f"{_duration(hours)} at the {rate:,.0f} runs/s measured here on each of {workers} worker(s); "
                         f"designs of more than {SWEEP_MAX_HOURS:g} hour need --yes (or fewer points or runs)")


def _duration(hours: float) -> str:
    if hours < 48:
        return f"{hours:,.1f} hours"
    return f"{hours / 24:,.0f} days" if hours < 24 * 730 else f"{hours / 24 / 365:,.0f} years"


def _say(text: str) -> None:
    """Print a progress line; a closed stdout pipe does not stop the work (results come first)."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        _silence_stdout()


def cmd_sweep(args) -> int:
    spec = _spec(args)
    check_seed(spec.seed, "--seed" if args.seed is not None else f"{term_line(args.file)}: sweep.seed")
    workers = check_workers(args.workers, default_workers()) or default_workers()
    comp, _ = validate(spec)
    sc = comp.layout.scenario
    _check_size(spec, comp, workers, args.yes)
    name = term_line(sc.name, 200)
    out = args.out or default_out(args)
    points = n_points(spec)
    executor = DaskExecutor(args.scheduler).connect() if args.scheduler else LocalExecutor(workers)
    where = f"Dask cluster {term_line(args.scheduler)}" if args.scheduler else f"{executor.workers} local worker(s)"
    ident = identity("sweep", [sc], spec.seed, spec.runs, sweep=spec.fingerprint())
    with contextlib.closing(executor) if args.scheduler else contextlib.nullcontext(), \
            Output(out, ident, force=args.force) as o:
        for warning in design_warnings(spec, sc):  # once the folder is known to be usable
            print(term_line(f"negsim: warning: {warning}", 2000), file=sys.stderr)
        _say(f"sweep of {name}: {spec.sampler}, {plural(len(spec.params), 'parameter')}, "
             f"{plural(len(spec.factors), 'structural choice')}, {plural(points, 'point')} x {plural(spec.runs, 'run')} "
             f"= {plural(points * spec.runs, 'run')}, seed {spec.seed}, on {where}")
        show = not args.quiet and sys.stderr.isatty()
        with tqdm(total=points, unit="point", disable=not show, leave=False, mininterval=0.5) as bar:
            table, indices = run_sweep(spec, out, executor, bar.update, stage=o.stage, on_resume=lambda done, total: _say(
                f"resuming from {term_line(out)}/checkpoint: {done:,} of {total:,} points already done"),
                on_redo=lambda names: say(f"negsim: warning: {len(names)} checkpoint file(s) in {term_line(out)}/checkpoint "
                                          "did not check out (damaged, truncated or not this sweep's); computing them "
                                          f"again: {term_line(', '.join(names[:5]), 300)}"))
        o.commit()
        shutil.rmtree(out / "checkpoint", ignore_errors=True)  # the tables are in place: checkpoints done
    _report(spec, table, indices)
    shown = term_line(out)
    print(f"wrote {shown}/sweep.parquet (one row per point)" + (f", {shown}/indices.parquet" if indices is not None else "")
          + (f", {shown}/runs.parquet (one row per run; `negsim discover {shown}/runs.parquet --outcome agreement`)"
             if spec.keep_runs else "") + f" and {shown}/manifest.json")
    return 0


def _horizon_words(spec) -> str:
    """The horizon the headline probability is read at: the scenario's, unless the sweep varies it."""
    if any(p.path == "protocol.horizon_days" for p in (*spec.params, *spec.factors)):
        return "each point's horizon"
    return f"day {load_scenario(spec.scenario).protocol.horizon_days:g}, the scenario's horizon"


def _report(spec, table, indices) -> None:
    m = HEADLINE_METRIC
    print(f"\nP(talks persist to {_horizon_words(spec)}) across the sweep: min {table[m].min():.1%}, median {table[m].median():.1%}, "
          f"max {table[m].max():.1%}")
    factors = [f.path for f in spec.factors]
    n_design = len(table) // max(len(spec.combinations()), 1)
    for f in spec.factors:  # structural choices: level by level, each against the first on the same points
        levels = level_differences(table, f.path, factors, m, n_design)
        words = [f"{levels[0].level} {levels[0].mean:.1%}"]
        words += [f"{x.level} {x.mean:.1%} ({x.difference.fmt(signed=True).replace('%', ' pp', 1)} against "
                  f"{levels[0].level})" for x in levels[1:]]
        print(term_line(f"  by {f.path}: " + ", ".join(words), 2000))
    if spec.factors:
        print(term_line("  (differences between levels: the mean of per-point differences, each point's runs on the "
                        "same draws under both levels; 95% t interval across the design's points, so it covers the "
                        "design's spread and Monte Carlo noise)", 2000))
    if indices is not None and "choices" in indices:
        indices = indices[indices["choices"] == indices["choices"].iloc[0]]
        print(term_line(f"(indices below: {indices['choices'].iloc[0]}; indices.parquet has every combination)",
                        2000))
    if indices is not None:
        kind = ("ST", "S1") if spec.sampler == "sobol" else ("mu_star", "sigma")
        sub = indices[indices["metric"] == m]
        main = sub[sub["index"] == kind[0]].set_index("parameter")
        other = sub[sub["index"] == kind[1]].set_index("parameter")
        print(f"What drives P(talks persist) ({'Sobol total and first-order' if spec.sampler == 'sobol' else 'Morris'} "
              "indices, 95% intervals):")
        for p in main.sort_values("value", ascending=False).index:
            a, b = main.loc[p], other.loc[p]
            second = f"{kind[1]} {b['value']:.3f}" + (f" +/- {b['conf']:.3f}" if b["conf"] == b["conf"] else "")
            print(f"  {term_line(p, 200):<42} {kind[0]} {a['value']:.3f} +/- {a['conf']:.3f}   {second}")
    else:
        print("Rank correlation of each parameter with P(talks persist) (Spearman, 95% interval by Fisher z):")
        n = len(table)
        if not spec.params:
            return
        for p in spec.params:
            if table[p.path].nunique() < 2 or table[m].nunique() < 2:
                what = "the parameter" if table[p.path].nunique() < 2 else "P(talks persist)"
                print(f"  {term_line(p.path, 200):<42} rho undefined: {what} does not vary across the sweep")
                continue
            rho = stats.spearmanr(table[p.path], table[m]).statistic
            half = 1.96 / np.sqrt(max(n - 3, 1))
            lo, hi = np.tanh(np.arctanh(np.clip(rho, -0.999999, 0.999999)) + np.array([-half, half]))
            print(f"  {term_line(p.path, 200):<42} rho {rho:+.2f} [{lo:+.2f}, {hi:+.2f}]")
