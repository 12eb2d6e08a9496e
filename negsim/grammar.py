"""What each command takes: its arguments, their defaults and limits, and its description, one
function per command (named after it), apart from what the command does.

Light (no numpy, no model, no command's implementation): `negsim COMMAND --help` and a usage
error answer from this module alone.  A command's function and its default output folder are set
as `Later("negsim.run:cmd_run")`, a reference its module is imported through only when it is
called, i.e. when the command runs.  The numbers the help quotes come from light modules too
(analysis.study, experiments.chunks) or are defined here, once, and imported by the commands.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

from analysis.study import (DEFAULT_RUNS, DEFAULT_SEED, REPLIES_DAY, RUSSIA_REPLY_DAY, SWEEP_POINT_RUNS,
                            TALKS_ENDED_DAY)
from experiments.chunks import DEFAULT_CHUNK, MIN_PARALLEL_RUNS
from explorer import defaults as explorer_defaults

from .common import days_arg, folder_arg

NOT_TUNED = ("Not a fit: no number in any scenario was tuned to these outcomes; the record is a reference "
             "pattern the model is put next to, and one history is a single draw from whatever process produced it.")
DISCOVER_OUTCOMES = {"agreement": "a deal forms", "walkout": "a party walks out", "persist": "the talks persist"}
PLOT_RUN_KINDS = {
    "outcomes": "outcome shares with 95% intervals",
    "incidence": "cumulative incidence of agreement and walkout, and share still talking, over days",
    "rounds": "histogram of rounds played, by outcome",
    "clauses": "heatmap: clause by agreed value, with the parties' ideal points",
    "trajectories": "parties' positions over rounds (median, 50% and 90% bands); needs --trace output",
    "concessions": "how far each party conceded on each clause",
    "blocking": "who walked out, by which rule, and the demand on which it stood furthest short (a description)",
}
PLOT_SWEEP_KINDS = {
    "map": "sweep table: 2-D map of --metric over --x and --y, with contours",
    "lines": "sweep table: --metric against --x with its band",
    "sensitivity": "sensitivity-index table: bars with 95% intervals for --metric",
}
SOLVE_MAX_DRAWS = 100_000  # about 100 minutes at 6 s per 100 draws
SWEEP_MAX_HOURS = 1.0  # a longer design needs --yes


class Later:
    """A function named 'module:function', imported when it is first called."""

    def __init__(self, ref: str):
        self.ref = ref

    def resolve(self):
        module, _, name = self.ref.partition(":")
        return getattr(importlib.import_module(module), name)

    def __call__(self, *args, **kwargs):
        return self.resolve()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Later({self.ref!r})"


def _implemented_in(p, module: str, function: str, default_out: bool = False) -> None:
    """The command runs `module.function(args)`; with default_out, `module.default_out(args)` names
    its output folder when --out is not given."""
    p.set_defaults(func=Later(f"{module}:{function}"))
    if default_out:
        p.set_defaults(default_out=Later(f"{module}:default_out"))


def _batch_options(sp: argparse.ArgumentParser) -> None:
    """What `run` and `compare` take besides their scenarios."""
    sp.add_argument("-n", "--runs", type=int, default=DEFAULT_RUNS, help=f"Monte Carlo runs per scenario (default {DEFAULT_RUNS:,})")
    sp.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"root seed (default {DEFAULT_SEED})")
    sp.add_argument("--out", type=folder_arg, help="output folder for the per-run table(s), figure and manifest "
                    "(default results/<scenario name>/, or results/<A>_vs_<B>/ for compare)")
    sp.add_argument("--engine", choices=("batch", "mesa"), default="batch",
                    help="batch: all runs at once through the array rules (default); mesa: one Mesa model per run (slow)")
    sp.add_argument("--workers", type=int, default=None,
                    help=f"worker processes (default: all cores; batches under {MIN_PARALLEL_RUNS:,} runs use one "
                    "process, since starting workers costs more than they save)")
    sp.add_argument("--chunk-size", type=int, default=None, help=f"runs per task (default {DEFAULT_CHUNK})")
    sp.add_argument("--csv", action="store_true", help="also write the per-run table as CSV")
    sp.add_argument("--trace", action="store_true",
                    help="also write trace*.parquet: every actor's aspiration, position and best offer per round")
    sp.add_argument("--quiet", action="store_true", help="no progress bar")
    sp.add_argument("--json", action="store_true",
                    help="print one JSON summary instead of the text (keys: README, 'Machine-readable output')")
    sp.add_argument("--force", action="store_true",
                    help="use --out even if it holds another command's results (clears negsim's files there first)")


def _study_options(p, runs: int, what: str, out_default: str) -> None:
    """The options every study command shares: runs, seed, output folder, --force, --quiet."""
    p.add_argument("-n", "--runs", type=int, default=runs, help=f"runs per {what} (default {runs:,})")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"root seed (default {DEFAULT_SEED})")
    p.add_argument("--out", type=folder_arg, help=f"output folder (default {out_default})")
    p.add_argument("--force", action="store_true", help="reuse --out even if it holds another command's results")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(p) -> None:
    p.add_argument("scenario", type=Path)
    _batch_options(p)
    _implemented_in(p, "negsim.run", "cmd_run", default_out=True)


def compare(p) -> None:
    p.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO",
                   help="A B [C ...]: differences are taken against A (the first)")
    _batch_options(p)
    p.add_argument("--models", default="abm", metavar="abm,bdm",
                   help="model families: abm (the agent-based model, default) and bdm (Bueno de Mesquita's "
                   "expected-utility model on the same draws: its answer is added side by side, docs/model.md section 8)")
    _implemented_in(p, "negsim.compare", "cmd_compare", default_out=True)


def solve(p) -> None:
    p.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO")
    p.add_argument("--compare-runs", type=int, default=0, metavar="N",
                   help="also simulate N runs per scenario and compare the agreements with the Nash package")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED,
                   help=f"root seed for --compare-runs (default {DEFAULT_SEED})")
    p.add_argument("--out", type=folder_arg, help="folder for the comparison figure and table "
                   "(default results/solve_<scenario>[_vs_<scenario>...])")
    p.add_argument("--force", action="store_true", help="use --out even if it holds another command's results")
    p.add_argument("--draws", type=int, default=200, metavar="N",
                   help="also test the zone of agreement in the first N drawn calibrations (runs 0..N-1 of --seed): "
                   "the share with a zone on day 0, the day it closes as outside options grow and the Nash "
                   f"package's spread (default 200; the Nash package takes about 0.35 s of CPU a draw, so 75 s to 3 minutes "
                   f"per scenario on a 2-core machine, with a progress bar; 1 to {SOLVE_MAX_DRAWS:,}; --no-draws skips, "
                   "about 3 s)")
    p.add_argument("--no-draws", dest="draws", action="store_const", const=None, help="skip the drawn calibrations")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _implemented_in(p, "negsim.solve", "cmd_solve", default_out=True)


def backtest(p) -> None:
    p.description = ("Run each scenario (and each variant of a variants file, if given) and put "
                     f"its shares of agreement, walkout and talks still going by day {REPLIES_DAY} (the written "
                     f"replies), {RUSSIA_REPLY_DAY} (Russia's reply) and {TALKS_ENDED_DAY} (the invasion) next to "
                     "what happened. " + NOT_TUNED)
    p.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO")
    p.add_argument("--variants", type=Path, help="a variants file (e.g. scenarios/variants.toml for structural "
                   "variants, scenarios/history_whatif.toml for 'what if the replies had gone further'), applied "
                   "to every scenario")
    _study_options(p, 10_000, "scenario and variant", "results/backtest_<scenarios>[_<variants file>]")
    _implemented_in(p, "negsim.backtest", "cmd_backtest", default_out=True)


def robust(p) -> None:
    p.description = ("Run A and B under each variant of a variants file on the same seeds; write "
                     "robustness.parquet and a forest plot; print whether the sign of B - A holds across variants.")
    p.add_argument("a", type=Path, metavar="A")
    p.add_argument("b", type=Path, metavar="B")
    p.add_argument("--variants", type=Path, help="variants file (default: scenarios/variants.toml)")
    _study_options(p, 10_000, "scenario and variant", "results/robust_<A>_vs_<B>[_<variants file>]")
    _implemented_in(p, "negsim.robust", "cmd_robust", default_out=True)


def channels(p) -> None:
    p.description = ("Run A and B under each of the agenda's channels alone and all together on the "
                     "same seeds; print B - A per channel with paired 95% intervals and the breakeven level of the "
                     "outside option; write channels.parquet and channels.png (docs/model.md, sections 3.11, 5.6).")
    p.add_argument("a", type=Path, metavar="A")
    p.add_argument("b", type=Path, metavar="B")
    _study_options(p, 10_000, "scenario and channel", "results/channels_<A>_vs_<B>")
    _implemented_in(p, "negsim.channels", "cmd_channels", default_out=True)


def discover(p) -> None:
    p.description = ("Find the box of drawn inputs where an outcome concentrates (PRIM with peeling "
                     "and pasting, EMA workbench), from a runs file of `negsim run` or `compare`, or a sweep's runs.parquet (`sweep --keep-runs`). Writes "
                     "discovery_<outcome>.csv (trajectory), box_<outcome>.csv and two figures beside it.")
    p.add_argument("results", type=Path, metavar="RESULTS", help="a runs file (runs.parquet or runs_<scenario>.parquet, or a sweep's runs.parquet from --keep-runs)")
    p.add_argument("--outcome", required=True, choices=list(DISCOVER_OUTCOMES))
    p.add_argument("--by-day", type=days_arg, metavar="D",
                   help="count the outcome only if it happened by day D (days after 17 Dec 2021; default: the horizon)")
    p.add_argument("--out", type=folder_arg, help="folder for the tables and figures (default: beside RESULTS)")
    _implemented_in(p, "negsim.discover", "cmd_discover")


def explain(p) -> None:
    p.description = ("With one scenario: play every coalition of its concedable demands on the same "
                     "runs and attribute P(agreement) and P(walkout), by day 69 and by the horizon, to each demand "
                     "(conceded alone, with a paired 95% interval, and its exact Shapley value). With two: "
                     "attribute the difference B - A to the individual edits between them. Writes explain.parquet "
                     "and explain.png.")
    p.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO", help="one scenario, or two (A B)")
    _study_options(p, 2000, "coalition", "results/explain_<name> (two scenarios: explain_<A>_vs_<B>)")
    _implemented_in(p, "negsim.explain", "cmd_explain", default_out=True)


def explore(p) -> None:
    p.add_argument("scenario", type=Path, nargs="?", default=None, metavar="SCENARIO",
                   help="scenario to start from (default scenarios/accession_excluded.toml)")
    p.add_argument("--port", type=int, default=explorer_defaults.PORT,
                   help=f"port on 127.0.0.1 (default {explorer_defaults.PORT}; 0 picks a free one)")
    p.add_argument("-n", "--runs", type=int, default=explorer_defaults.RUNS,
                   help=f"runs behind the distribution pane (default {explorer_defaults.RUNS:,})")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"root seed (default {DEFAULT_SEED})")
    _implemented_in(p, "negsim.explore", "cmd_explore")


def sweep(p) -> None:
    p.add_argument("file", type=Path, metavar="SWEEP_OR_SCENARIO",
                   help="a sweep file ([sweep] table), or a scenario file with --param options")
    p.add_argument("--param", action="append", default=[], metavar="PATH=LOW:HIGH|PATH=A,B",
                   help="parameter to vary, e.g. actors.russia.outside_option=0.1:0.6, or a structural choice over "
                   "its levels, e.g. protocol.proposer=rotation,random (repeatable)")
    p.add_argument("--sampler", choices=("grid", "lhs", "sobol", "morris"), help="default lhs")
    p.add_argument("--points", type=int, help="grid: levels per parameter; lhs: points; sobol: base N (power of 2); "
                   "morris: trajectories")
    p.add_argument("--runs", type=int, help=f"Monte Carlo runs per point (default {SWEEP_POINT_RUNS})")
    p.add_argument("--seed", type=int, help=f"root seed (default {DEFAULT_SEED})")
    p.add_argument("--out", type=folder_arg, help="output folder (default results/sweep_<sweep file name>, or with "
                   "--param results/sweep_<scenario>_<the last part of each path>)")
    p.add_argument("--workers", type=int, help="local worker processes (default: all cores)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run the tasks on a Dask cluster, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--keep-runs", action="store_true", default=None,
                   help="also write runs.parquet, one row per run of every point with its drawn and swept inputs "
                   "(for `negsim discover`); a sweep file may say keep_runs = true")
    p.add_argument("--yes", action="store_true", help=f"run a design even if it would take more than "
                   f"{SWEEP_MAX_HOURS:g} hour at the rate measured here (without it, such a design is refused with "
                   "the estimate)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--force", action="store_true",
                   help="use --out even if it holds another command's results or checkpoints (clears them first)")
    _implemented_in(p, "negsim.sweep", "cmd_sweep", default_out=True)


def plot(p) -> None:
    kinds = "; ".join(f"{k}: {v}" for k, v in {**PLOT_RUN_KINDS, **PLOT_SWEEP_KINDS}.items())
    p.description = f"Draw one figure. Kinds: {kinds}."
    p.add_argument("results", type=Path, nargs="+", metavar="RESULTS",
                   help="runs file(s) or folder(s) (several scenarios share one figure); for map/lines/"
                   "sensitivity, one sweep table (.parquet or .csv)")
    p.add_argument("--kind", required=True, choices=list(PLOT_RUN_KINDS) + list(PLOT_SWEEP_KINDS), metavar="KIND",
                   help="one of: " + ", ".join(list(PLOT_RUN_KINDS) + list(PLOT_SWEEP_KINDS)))
    p.add_argument("--out", type=folder_arg, required=True, help="output file: .png, .svg or .pdf")
    p.add_argument("--x", help="sweep parameter on the x axis (dotted path, e.g. actors.russia.outside_option)")
    p.add_argument("--y", help="sweep parameter on the y axis (map)")
    p.add_argument("--metric", help="sweep metric (default p_persist, or the first the table holds)")
    p.add_argument("--value", choices=("position", "aspiration", "best_offer"), default="position",
                   help="trajectories: what to follow over rounds (default position)")
    p.add_argument("--by-actor", action="store_true", help="incidence: split walkouts by who walked out")
    _implemented_in(p, "negsim.plot", "cmd_plot")


def report(r) -> None:
    r.description = ("Write one HTML file with the question, each scenario's assumptions and provenance, the tables "
                     "and the figures embedded; it opens from disk with no server and no network. Differences are "
                     "taken between the first two scenarios (B - A = second - first).")
    r.add_argument("results", type=Path, nargs="+", metavar="RESULTS",
                   help="runs files or folders, one per scenario (e.g. the two files of a compare, A first)")
    r.add_argument("--out", type=folder_arg, help="output HTML file (default: report.html beside the first results file)")
    r.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"bootstrap seed (default {DEFAULT_SEED})")
    r.add_argument("--explain", type=Path, metavar="FOLDER",
                   help="a `negsim explain` output folder: adds the section 'What would change the outcome'")
    r.add_argument("--channels", type=Path, metavar="FOLDER",
                   help="a `negsim channels` output folder: adds the section 'The answer per channel of the agenda'")
    r.add_argument("--sweep", type=Path, metavar="DIR", help="a Sobol sweep's folder (or its indices.parquet): the "
                   "answer's provenance shares are weighted by its total-order indices, and its top inputs reweighted")
    r.add_argument("--prior-from", type=Path, metavar="OVERLAY.toml",
                   help="an elicited overlay (negsim elicit): the headline reweighted to its priors, side by side")
    _implemented_in(r, "negsim.report", "cmd_report")


def elicit(p) -> None:
    p.description = ("Fit one distribution per expert per scenario quantity from the table's 5/50/95% "
                     "quantiles (or min/mode/max), pool the experts (an equal-weight linear pool, or Cooke's classical "
                     "model when the table has seed questions) and write a scenario overlay that extends --scenario, "
                     "every number of provenance class elicitation, citing a sources.toml entry written beside it. "
                     "The table's columns: scenarios/elicitation/template.csv; the protocol: docs/model.md.")
    p.add_argument("table", type=Path, metavar="TABLE", help="the elicitation table (CSV, UTF-8)")
    p.add_argument("--scenario", type=Path, required=True, metavar="S", help="the scenario the overlay extends")
    p.add_argument("--out", type=Path, required=True, metavar="OVERLAY.toml",
                   help="the overlay to write (a sources.toml beside it gets the table's entry)")
    p.add_argument("--kind", metavar="KIND", help="fit this kind for every judgement (triangular, beta, truncnormal or "
                   "uniform; default: the best fit of each)")
    p.add_argument("--pool", choices=("equal", "cooke"), help="how to pool (default: cooke with seed questions, else equal)")
    p.add_argument("--alpha", type=float, help="Cooke's calibration cut-off (default: the one that maximises the "
                   "decision maker's score)")
    p.add_argument("--name", help="the overlay's scenario name (default: <S's name>-elicited)")
    p.add_argument("--date", help="the elicitation's date for the catalogue entry, YYYY-MM-DD (default: today)")
    p.add_argument("--force", action="store_true", help="overwrite OVERLAY.toml even if negsim elicit did not write it")
    _implemented_in(p, "negsim.elicit", "cmd_elicit")


def reweight(p) -> None:
    p.description = ("Reweight the runs of `negsim run` or `compare` to another prior for one or more drawn "
                     "inputs (input.<key> columns): each run's weight is the new density over the old one at what it "
                     "drew. Prints P(agreement) and P(walkout) by day 69 and by the horizon under both priors, with "
                     "95% intervals (Monte Carlo noise only) and the effective sample size. Refuses a prior that "
                     "reaches where the old one never drew.")
    p.add_argument("runs", type=Path, nargs="+", metavar="RUNS", help="runs file(s) or output folder(s) of run/compare")
    p.add_argument("--prior", action="append", default=[], metavar="KEY=DIST",
                   help="a new prior, e.g. actors.russia.outside_option=uniform(0.1, 0.5); DIST: uniform (over the old "
                   "support), uniform(low, high), triangular(low, mode, high), truncnormal(mean, sd, low, high), "
                   "beta(a, b[, low, high]); repeat for more keys")
    p.add_argument("--prior-from", type=Path, metavar="OVERLAY.toml",
                   help="take the new priors from a scenario (e.g. an elicited overlay) that differs from the runs' "
                   "scenario only in the priors of drawn inputs")
    _implemented_in(p, "negsim.reweight", "cmd_reweight")


def validate(v) -> None:
    v.description = ("Check scenario and sweep files against the field table (docs/fields.md): "
                     "every key, range, distribution and source. Prints one line per file: OK with what the "
                     "scenario holds, or the file, the key and what is allowed. Exit status 2 if any file fails.")
    v.add_argument("scenarios", type=Path, nargs="+", metavar="FILE")
    v.add_argument("--provenance", action="store_true",
                   help="also count each scenario's numbers by provenance class (record, literature, elicitation, "
                   "judgement; docs/sources.md)")
    _implemented_in(v, "negsim.validate", "cmd_validate")
