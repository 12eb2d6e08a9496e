"""Parameter sweeps: which assumptions drive the answer.

A sweep fixes some parameters of a base scenario at sampled points (grid, Latin hypercube,
Sobol or Morris designs, all from SALib except the grid) and runs the same R Monte Carlo runs
at every point: run i at every point uses run i's uniforms (common random numbers), so two
points differ only by the parameters swept.  Points are evaluated in coarse tasks (many points
at once through one vectorised batch), checkpointed to disk as they finish, and resumed without
recomputation after a crash.  Tasks run in local processes or on a Dask cluster; the results do
not depend on where or in what order they ran.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import math
import tomllib
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import stats

import sim
from analysis.metrics import PERSIST, hits
from analysis.stats import wilson
from analysis.study import DEFAULT_SEED, SWEEP_POINT_RUNS
from sim import schema
from sim.diagnostics import inert_inputs
from sim.engine import Compiled
from sim.scenario import ScenarioError, load_scenario, scenario_from_document
from storage.manifest import code_fingerprint

from .overrides import Target, fix, resolve
from .runner import play_chunk
from .sweep_keep import kept_arrays
from .variants import apply

SAMPLERS = ("grid", "lhs", "sobol", "morris")
MAX_KEPT_RUNS = 5_000_000  # --keep-runs: about 160 bytes a run on disk, so at most about 1 GB
FORMAT = "negsim-sweep/1"
RUNS_PER_TASK = 4096  # a task carries about a second of work: Dask costs ~ms per task


class SweepError(ValueError):
    """A sweep that cannot run: says which file or option, which key, and what is allowed."""


@dataclass(frozen=True)
class ParamRange:
    path: str
    low: float
    high: float
    levels: tuple[float, ...] = ()  # grid only: explicit levels


@dataclass(frozen=True)
class Factor:
    """A structural choice swept over its levels (any scenario key that is not drawn per run, e.g.
    protocol.proposer, actors.russia.walkout, protocol.round_days): every level is applied
    through the loader (experiments/variants.py) and crossed with the numeric design."""

    path: str
    levels: tuple  # values as a scenario file would hold them (text, numbers, lists)


def level_label(value) -> str:
    """A factor level as a table cell: text as is, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


@dataclass(frozen=True)
class SweepSpec:
    scenario: str  # path of the base scenario
    params: tuple[ParamRange, ...]
    sampler: str = "lhs"
    points: int = 64  # grid: levels per parameter; lhs: points; sobol: base N; morris: trajectories
    runs: int = SWEEP_POINT_RUNS
    seed: int = DEFAULT_SEED
    metrics: tuple[str, ...] = ()  # () = all
    second_order: bool = False  # Sobol S2 indices (N * (2D + 2) points instead of N * (D + 2))
    morris_levels: int = 4
    origin: str = "command line"
    factors: tuple[Factor, ...] = ()  # structural choices, crossed with the numeric design
    keep_runs: bool = False  # also write runs.parquet: one row per run of every point (for discovery)

    def combinations(self) -> list[tuple]:
        """Every combination of the factors' levels (one empty combination without factors)."""
        return list(itertools.product(*(f.levels for f in self.factors)))

    def fingerprint(self) -> str:
        """Identifies the sweep's results: the spec, the base scenario's files, the version and
        the code (a hash of the sim and analysis sources, storage.manifest.code_fingerprint)."""
        sc = load_scenario(self.scenario)
        body = json.dumps({**asdict(self), "origin": "", "scenario_sha256": sc.sha256, "version": sim.__version__,
                           "code": code_fingerprint()}, sort_keys=True)
        return hashlib.sha256(body.encode()).hexdigest()[:16]


# ------------------------------------------------------------------ reading a sweep (sweep_file.py reads files)
def drawn_path(path: str) -> bool:
    """A path a sweep fixes per run (a drawn field or an agenda cap), as opposed to a structural
    choice; decided by the schema pattern it follows, whatever the ids."""
    parts = path.split(".")
    if parts[:2] == ["agenda", "caps"]:
        return True
    last = parts[-1]
    return parts[0] == "actors" and any(f.key == last for f in schema.FIELDS if f.drawn)


def _level(text: str):
    """A --param level: a TOML value if it reads as one (a number, true/false, [a list]), else text."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except (tomllib.TOMLDecodeError, ValueError):
        return text.strip()


def _numeric_range(text: str) -> bool:
    low, colon, high = text.partition(":")
    try:
        float(low), float(high)
    except ValueError:
        return False
    return bool(colon)


def parse_param_option(text: str) -> ParamRange | Factor:
    """--param PATH=LOW:HIGH (a drawn parameter) or --param PATH=A,B,... (a structural choice;
    levels split at ';' if any, else at ',')."""
    path, eq, rng = text.partition("=")
    if eq and not drawn_path(path.strip()) and not _numeric_range(rng):  # a range is for a drawn parameter, even misspelt
        parts = rng.split(";") if ";" in rng else rng.split(",")
        levels = tuple(_level(x) for x in parts if x.strip())
        if not levels:
            raise SweepError(f"--param {text!r}: expected PATH=A,B,..., e.g. protocol.proposer=rotation,random")
        return Factor(path.strip(), levels)
    low, colon, high = rng.partition(":")
    try:
        if not (eq and colon) or not all(math.isfinite(float(x)) for x in (low, high)):
            raise ValueError
        return ParamRange(path.strip(), float(low), float(high))
    except ValueError:
        raise SweepError(f"--param {text!r}: expected PATH=LOW:HIGH with two finite numbers, e.g. "
                         "actors.russia.outside_option=0.1:0.6") from None


def validate(spec: SweepSpec) -> tuple[Compiled, list[Target]]:
    """Refuse a sweep before any work: unknown paths, ranges outside a parameter's domain,
    point counts a sampler cannot use, zero runs."""
    where = spec.origin
    if spec.sampler not in SAMPLERS:
        close = difflib.get_close_matches(str(spec.sampler), SAMPLERS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise SweepError(f"{where}: sampler {spec.sampler!r} is not known{hint}; allowed: {', '.join(SAMPLERS)}")
    for name, v, lo in (("runs", spec.runs, 1), ("points", spec.points, 1), ("seed", spec.seed, 0)):
        if isinstance(v, bool) or not isinstance(v, int) or v < lo:
            raise SweepError(f"{where}: {name} must be a whole number >= {lo}, got {v!r}")
    if spec.sampler == "sobol" and spec.points & (spec.points - 1):
        raise SweepError(f"{where}: the Sobol sampler needs points = a power of two (its base N), got {spec.points}; "
                         f"try {2 ** round(math.log2(spec.points))}")
    if not isinstance(spec.keep_runs, bool):
        raise SweepError(f"{where}: keep_runs must be true or false, got {spec.keep_runs!r}")
    if spec.keep_runs and n_points(spec) * spec.runs > MAX_KEPT_RUNS:
        raise SweepError(f"{where}: keep_runs: {n_points(spec) * spec.runs:,} runs (points x runs) is above the "
                         f"{MAX_KEPT_RUNS:,} a kept run table may hold; use fewer points or runs")
    if spec.sampler == "morris" and spec.morris_levels < 2:
        raise SweepError(f"{where}: Morris needs levels >= 2")
    if not spec.params and not spec.factors:
        raise SweepError(f"{where}: no parameters to sweep (add [parameters.\"PATH\"] tables or --param PATH=LOW:HIGH)")
    try:
        sc = load_scenario(spec.scenario)
    except ScenarioError as exc:
        raise SweepError(str(exc)) from None
    if len({f.path for f in spec.factors}) < len(spec.factors):
        raise SweepError(f"{where}: a structural choice is listed twice")
    for combo in spec.combinations():  # every level, and every combination, must make a scenario
        try:
            apply(sc, dict(zip((f.path for f in spec.factors), combo)), "sweep point")
        except ScenarioError as exc:
            raise SweepError(f"{where}: structural choice {', '.join(f.path for f in spec.factors)} = "
                             f"{', '.join(level_label(v) for v in combo)}: {exc}") from None
    comp = Compiled.from_scenario(sc)
    targets = []
    for pr in spec.params:
        try:
            tg = resolve(pr.path, comp.layout.actors, comp.layout.clauses, sc.agenda.off, comp.layout.demands)
        except ValueError as exc:
            raise SweepError(f"{where}: {exc}") from None
        if not pr.low <= pr.high:
            raise SweepError(f"{where}: parameter {pr.path!r}: low {pr.low} is above high {pr.high}")
        if spec.sampler != "grid" and pr.low == pr.high:
            raise SweepError(f"{where}: parameter {pr.path!r}: low equals high; a sampler needs a range")
        for v in (pr.low, pr.high, *pr.levels):
            if not tg.low <= v <= tg.high:
                raise SweepError(f"{where}: parameter {pr.path!r}: {v} is outside its domain [{tg.low}, {tg.high}]")
        targets.append(tg)
    if len({t.path for t in targets}) < len(targets):
        raise SweepError(f"{where}: a parameter is listed twice")
    bad = set(spec.metrics) - set(metric_names(comp))
    if bad:
        raise SweepError(f"{where}: unknown metric(s) {', '.join(sorted(bad))}; allowed: {', '.join(metric_names(comp))}")
    return comp, targets


# ------------------------------------------------------------------ design
def problem(spec: SweepSpec) -> dict:
    return {"num_vars": len(spec.params), "names": [p.path for p in spec.params],
            "bounds": [[p.low, p.high] for p in spec.params]}


def n_points(spec: SweepSpec) -> int:
    """Size of the design, without building it (SALib's formulas), times the combinations of the
    structural choices."""
    return _numeric_points(spec) * math.prod(len(f.levels) for f in spec.factors)


def _numeric_points(spec: SweepSpec) -> int:
    d = len(spec.params)
    if d == 0:
        return 1
    if spec.sampler == "grid":
        return math.prod(len(p.levels) or spec.points for p in spec.params)
    if spec.sampler == "sobol":
        return spec.points * (2 * d + 2 if spec.second_order else d + 2)
    if spec.sampler == "morris":
        return spec.points * (d + 1)
    return spec.points


def sample(spec: SweepSpec) -> np.ndarray:
    """The numeric design: (points, parameters); one empty point without numeric parameters.
    Each combination of structural choices runs the whole of it."""
    if not spec.params:
        return np.zeros((1, 0))
    prob = problem(spec)
    if spec.sampler == "grid":
        axes = [p.levels or tuple(np.linspace(p.low, p.high, spec.points)) for p in spec.params]
        return np.array(list(itertools.product(*axes)), dtype=float)
    if spec.sampler == "lhs":
        from SALib.sample import latin  # SALib (heavy): only the design asked for

        return latin.sample(prob, spec.points, seed=spec.seed)
    if spec.sampler == "sobol":
        from SALib.sample import sobol  # SALib (heavy): only the design asked for

        return sobol.sample(prob, spec.points, calc_second_order=spec.second_order, seed=spec.seed)
    from SALib.sample import morris  # SALib (heavy): only the design asked for

    return morris.sample(prob, spec.points, num_levels=spec.morris_levels, seed=spec.seed)


# ------------------------------------------------------------------ evaluating points
def metric_names(comp: Compiled) -> list[str]:
    lay = comp.layout
    at = [a for a, r in zip(lay.actors, lay.required) if r]
    return (["p_agreement", "p_walkout", "p_ongoing", "p_persist"] + [f"p_walkout_{a}" for a in at]
            + ["median_rounds"] + [f"mean_utility_{a}" for a in at])


_compiled_cache: dict[str, tuple[Compiled, list[Target]]] = {}  # per process (local or Dask worker)


@dataclass(frozen=True)
class Task:
    """A coarse piece of a sweep, self-contained: it carries the scenario as the merged document
    (not a path), so a worker on another machine or in another folder needs no files."""

    task_id: int
    spec: SweepSpec
    point_ids: tuple[int, ...]
    design: np.ndarray = field(repr=False)  # (k, D) rows of the design
    scenario: str = field(default="", repr=False)  # the resolved scenario document, JSON
    key: str = ""  # the sweep's fingerprint (computed where the sweep was started)


def _prepare(task: Task) -> tuple[Compiled, list[Target]]:
    """The compiled scenario and the swept targets, built once per worker from the task."""
    if task.key not in _compiled_cache:
        sc = scenario_from_document(json.loads(task.scenario), f"sweep {task.key}")
        comp = Compiled.from_scenario(sc)
        lay = comp.layout
        _compiled_cache[task.key] = comp, [resolve(p.path, lay.actors, lay.clauses, sc.agenda.off, lay.demands)
                                           for p in task.spec.params]
    return _compiled_cache[task.key]


def evaluate(task: Task) -> tuple[int, dict[str, np.ndarray]]:
    """Metrics of the task's points: the same R runs at every point (common random numbers)."""
    comp, targets = _prepare(task)
    r = task.spec.runs
    plans = [fix(comp.plan, targets, row) for row in task.design]
    runs = play_chunk(plans, task.spec.seed, 0, r)
    out = {f: np.concatenate([getattr(b, f) for b in runs]) for f in ("outcome", "rounds", "walkout_by",
                                                                      "walkout_rule", "shortfall", "agreed")}
    utility = np.concatenate([b.utility for b in runs])
    metrics = point_metrics(comp, out, utility, len(task.design), r)
    if task.spec.keep_runs:
        metrics.update(kept_arrays(runs, out, utility))
    return task.task_id, metrics


def point_metrics(comp: Compiled, out: dict, utility: np.ndarray, k: int, r: int) -> dict[str, np.ndarray]:
    """Per point (k points of r runs each, in order): shares with Wilson intervals, the median
    number of rounds, mean final utilities with normal 95% intervals."""
    lay = comp.layout
    outcome = out["outcome"].reshape(k, r)
    walker = out["walkout_by"].reshape(k, r)
    names = {"p_agreement": "agreement", "p_walkout": "walkout", "p_ongoing": "ongoing", "p_persist": PERSIST}
    names.update({f"p_walkout_{a}": f"walkout by {a}" for a, req in zip(lay.actors, lay.required) if req})
    counts = {key: hits(m, outcome, walker, actors=lay.actors).sum(1) for key, m in names.items()}
    res: dict[str, np.ndarray] = {}
    for name, c in counts.items():
        res[name] = c / r
        res[f"{name}_low"], res[f"{name}_high"] = wilson(c, r)
    res["median_rounds"] = np.median(out["rounds"].reshape(k, r), axis=1)
    util = utility.reshape(k, r, lay.n_actors)
    for i, a in enumerate(lay.actors):
        if lay.required[i]:
            m, se = util[:, :, i].mean(1), util[:, :, i].std(1, ddof=1) / math.sqrt(r) if r > 1 else 0.0
            res[f"mean_utility_{a}"] = m
            res[f"mean_utility_{a}_low"], res[f"mean_utility_{a}_high"] = m - 1.96 * se, m + 1.96 * se
    return res


def tasks_for(spec: SweepSpec, design: np.ndarray, comp: Compiled, key: str) -> list[Task]:
    """Tasks over every combination of structural choices (each with its own scenario document)
    times the numeric design; point ids run combination by combination."""
    per = max(1, RUNS_PER_TASK // spec.runs)
    sc, tasks = comp.layout.scenario, []
    for k, combo in enumerate(spec.combinations()):
        doc = apply(sc, dict(zip((f.path for f in spec.factors), combo)), "sweep point").resolved if combo else sc.resolved
        for a in range(0, len(design), per):
            ids = tuple(k * len(design) + i for i in range(a, min(a + per, len(design))))
            tasks.append(Task(len(tasks), spec, ids, design[a:a + per], doc, f"{key}:{k}"))
    return tasks


# ------------------------------------------------------------------ what to warn about before a sweep
CONFOUNDED = 0.3  # |Spearman rho| between two design columns above which their rank correlations mislead


def design_warnings(spec: SweepSpec, sc) -> list[str]:
    """Warnings before a sweep runs: a swept input that cannot change any outcome by construction
    (its index or correlation will be zero whatever the model does; sim.diagnostics), and two
    numeric design columns correlated above CONFOUNDED, so that each one's rank correlation with
    the outcome carries the other's (a 16-point Latin hypercube gave an inert input rho -0.47
    this way).  Sobol and Morris designs are read through their indices, which do not suffer this."""
    inert = {i.path: i.reason for i in inert_inputs(sc)}
    out = [f"{p.path} cannot change how or when the talks end or what is agreed ({inert[p.path]}): sweeping it "
           "shows zero effect by construction" for p in (*spec.params, *spec.factors) if p.path in inert]
    if spec.sampler in ("grid", "lhs") and len(spec.params) > 1:
        ranks = stats.rankdata(sample(spec), axis=0)
        rho = np.corrcoef(ranks, rowvar=False)  # Spearman's rho: Pearson's on the ranks
        for i in range(len(spec.params)):
            for j in range(i + 1, len(spec.params)):
                if abs(rho[i, j]) > CONFOUNDED:
                    out.append(f"{spec.params[i].path} and {spec.params[j].path} are correlated in this design "
                               f"(Spearman rho {rho[i, j]:+.2f}): each one's rank correlation with the outcome carries "
                               "the other's; use more points or a Sobol design")
    return out
