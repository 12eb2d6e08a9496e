"""What bargaining theory predicts for a scenario: continuous solution concepts on its clause space.

`analysis.solutions` holds the solution concepts on a *finite* set of outcomes.  This module
applies them to the continuous package space of a scenario, x in [0, 1]^C, at its *central
calibration* (every parameter at its central value, `sim.params.central_params`), with the
model's own utilities (`sim.preferences`): u_k(x) = 1 - sum_c s_kc |x_c - p_kc| and the
effective utility U_i(x) = sum_k M_ik u_k(x).

Conventions (also stated in docs/model.md's sense; keep them in sync with `negsim solve`):

* **Who counts.**  Only the parties at the table (`layout.required`: signatories of a live
  instrument and holders of consent over a clause on the table) vote, so only their red lines and
  outside options constrain a deal and only their utilities enter the Nash product and the
  Kalai-Smorodinsky (KS) ratio.  An actor that is not at the table still counts through the
  mixing matrix (e.g. Ukraine's preferences weigh 20% in the US's and NATO's utilities).
* **Packages.**  One joint package over every clause (the base protocol, `package = "joint"`).
  A package is *feasible* if every clause lies in
  [max over parties of `below`, min over parties of `above` and the agenda's upper bound]
  (the "box"); a clause off the table is held at 0.
* **Disagreement point.**  d_i = party i's outside option at round 0 (`outside_option`, its
  growth ignored), the value of walking away when talks open.
* **Zone of agreement.**  The feasible packages with U_i(x) >= d_i for every party (weak
  inequality: in the simulator a party accepts an offer worth at least its reservation value).
  It exists if the maximin slack max_x min_i (U_i(x) - d_i) over the box is >= -TOL.
* **Tolerance.**  TOL = 1e-9 in utility units for every feasibility test; a party whose best
  utility in the zone exceeds d_i by less than ACTIVE_TOL = 1e-7 gains nothing from any deal,
  is held at d_i and is left out of the Nash product and the KS minimum (as in
  `analysis.solutions.kalai_smorodinsky_point`).
* **Computation.**  U_i is concave and piecewise linear, so its hypograph is a polyhedron:
  with auxiliary e_kc >= |x_c - p_kc|, every constraint "U_i >= v" and every linear objective in
  the U_i is a linear programme (scipy's HiGHS).  KS: the ideal point (one LP per party), then
  the largest equal share t of every party's possible gain, then (second LP, t held) the largest
  sum of normalised gains, so the point is Pareto-optimal.  Nash: maximise sum_i log(U_i - d_i)
  (concave) with SLSQP from several starts, then sharpened by Newton steps on the face of the
  piecewise-linear utilities it found (and, if still needed, scipy's trust-constr).  The result
  carries a certificate: the Frank-Wolfe gap max_{y in zone} sum_i (U_i(y) - U_i(x)) /
  (U_i(x) - d_i), an LP, which bounds how far the log Nash product is below its maximum (up to
  the LP's feasibility tolerance, 1e-10, divided by the smallest gain).  A clause no party's
  utility depends on is set to the low end of its box (closest to the status quo).
* **Baseline forecast** (Bueno de Mesquita): per clause, the mean and median of the parties'
  ideal points weighted by capability x salience (saliences normalised per actor, as in the
  model), over the parties at the table only.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize

from analysis.stats import median
from sim.codes import Outcome
from sim.engine import Compiled
from sim.params import central_params
from sim.preferences import best_packages
from sim.scenario import load_scenario

from .solutions import weighted_mean, weighted_median

__all__ = [
    "TOL",
    "ACTIVE_TOL",
    "Problem",
    "Zone",
    "Solution",
    "Theory",
    "ScenarioTheory",
    "feasible_box",
    "zone_of_agreement",
    "kalai_smorodinsky",
    "nash",
    "solve",
    "problem_from_scenario",
    "baseline_forecast",
    "solve_scenario",
    "agreement_distances",
    "distance_summary",
    "clause_comparison",
]

TOL = 1e-9
ACTIVE_TOL = 1e-7
# HiGHS's default feasibility tolerances (1e-7) are coarser than TOL; tighten them.
_LP_OPTIONS = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}


# --------------------------------------------------------------------------- the problem
@dataclass(frozen=True, eq=False)
class Problem:
    """A bargaining problem on the clause space (one calibration, no leading run axis).

    ideal, salience, below, above: (A, C); mixing: (A, A); upper: (C,) agenda bound;
    required: (A,) bool, parties at the table; disagreement: (A,) d_i.
    """

    actors: tuple[str, ...]
    clauses: tuple[str, ...]
    ideal: np.ndarray
    salience: np.ndarray
    mixing: np.ndarray
    below: np.ndarray
    above: np.ndarray
    upper: np.ndarray
    required: np.ndarray
    disagreement: np.ndarray

    def __post_init__(self) -> None:
        a, c = len(self.actors), len(self.clauses)
        want = {"ideal": (a, c), "salience": (a, c), "mixing": (a, a), "below": (a, c),
                "above": (a, c), "upper": (c,), "required": (a,), "disagreement": (a,)}
        for name, shape in want.items():
            v = np.asarray(getattr(self, name), dtype=bool if name == "required" else float)
            if v.shape != shape:
                raise ValueError(f"Problem.{name} must have shape {shape}; got {v.shape}")
            if name != "required" and not np.all(np.isfinite(v)):
                raise ValueError(f"Problem.{name} must be finite")
            object.__setattr__(self, name, v)
        if not self.required.any():
            raise ValueError("Problem: no party is at the table (required is all False)")
        if (self.salience < 0).any() or (self.mixing < 0).any():
            raise ValueError("Problem: saliences and mixing weights must be non-negative")

    @property
    def parties(self) -> np.ndarray:
        """Indices of the parties at the table."""
        return np.flatnonzero(self.required)

    def utilities(self, x) -> np.ndarray:
        """Effective utility of package(s) x, (C,) or (n, C) -> (A,) or (n, A)."""
        x = np.asarray(x, dtype=float)
        xs = np.atleast_2d(x)
        loss = np.einsum("kc,nkc->nk", self.salience, np.abs(xs[:, None, :] - self.ideal[None]))
        u = 1.0 - loss @ self.mixing.T
        return u[0] if x.ndim == 1 else u


def feasible_box(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) per clause: the parties' red lines intersected with [0, agenda bound].
    low > high on a clause means the red lines (or a red line and the agenda) clash there."""
    req = problem.required
    low = np.maximum(problem.below[req].max(axis=0), 0.0)
    high = np.minimum(np.minimum(problem.above[req].min(axis=0), problem.upper), 1.0)
    return low, high


# --------------------------------------------------------------------------- results
@dataclass(frozen=True, eq=False)
class Zone:
    """Whether a zone of agreement exists and, if not, what closes it.

    slack: max over the box of min_i (U_i - d_i) over parties at the table (nan if the box is
    empty).  best_alone[i]: party i's best utility in the box (its red lines, the others' and
    the agenda).  best_in_zone[i]: its best utility in the zone (the KS ideal point).  Entries
    for actors not at the table are nan.  blocking_actors: the parties whose constraints bind
    (largest first); shortfall: the clause that closes the zone.
    """

    exists: bool
    verdict: str
    low: np.ndarray
    high: np.ndarray
    slack: float
    best_alone: np.ndarray
    best_in_zone: np.ndarray
    blocking_actors: tuple[str, ...] = ()
    shortfall: str | None = None

    @property
    def blocking_actor(self) -> str | None:
        return self.blocking_actors[0] if self.blocking_actors else None


@dataclass(frozen=True, eq=False)
class Solution:
    """A package chosen by a solution concept, with every actor's utility there.

    gap: for Nash, the certified bound on the log-Nash-product shortfall (0 = exact); for KS,
    0 (exact up to the LP solver's tolerance).
    """

    concept: str
    package: np.ndarray  # (C,)
    utility: np.ndarray  # (A,) effective utility of every actor
    gain: np.ndarray  # (A,) utility - disagreement value
    gap: float = 0.0


@dataclass(frozen=True, eq=False)
class Theory:
    problem: Problem
    zone: Zone
    nash: Solution | None
    ks: Solution | None


# --------------------------------------------------------------------------- linear programmes
class _Program:
    """The polyhedral description of the parties' utilities over the box.

    Variables z = (x (C), e (P)) with one e per (actor k, clause c) pair that some party's
    effective utility weighs; e_p >= |x_c - p_kc|, so 1 - W_i . e <= U_i(x), with equality when
    e is tight.  Any constraint U_i >= v or objective increasing in the U_i is exact.
    """

    def __init__(self, pr: Problem, low: np.ndarray, high: np.ndarray):
        self.pr, self.low, self.high = pr, low, high
        weights = pr.mixing[:, :, None] * pr.salience[None, :, :]  # (i, k, c)
        used = (weights[pr.required] > 0).any(axis=0)
        self.pk, self.pc = np.nonzero(used)
        c, p = len(pr.clauses), len(self.pk)
        self.n_c, self.n_p = c, p
        self.W = weights[:, self.pk, self.pc]  # (A, P)
        rows = np.arange(p)
        a = np.zeros((2 * p, c + p))
        a[rows, self.pc] = 1.0
        a[rows, c + rows] = -1.0
        a[p + rows, self.pc] = -1.0
        a[p + rows, c + rows] = -1.0
        target = pr.ideal[self.pk, self.pc]
        self.A_abs, self.b_abs = a, np.concatenate([target, -target])
        self.bounds = [(lo, hi) for lo, hi in zip(low, high)] + [(0.0, 1.0)] * p
        self.idle = ~np.isin(np.arange(c), self.pc)  # clauses no party's utility depends on

    @property
    def n(self) -> int:
        return self.n_c + self.n_p

    def utility_rows(self, idx) -> np.ndarray:
        """Rows W_i on the e block, so that U_i = 1 - row . z when e is tight."""
        rows = np.zeros((len(idx), self.n))
        rows[:, self.n_c:] = self.W[idx]
        return rows

    def zone_rows(self, d: np.ndarray, idx, relax: float = TOL) -> tuple[np.ndarray, np.ndarray]:
        """W_i . e <= 1 - d_i + relax, i.e. U_i >= d_i, for the parties idx."""
        return self.utility_rows(idx), 1.0 - d[idx] + relax

    def tight(self, x: np.ndarray) -> np.ndarray:
        """z with x in the box (idle clauses at their low end) and e = |x - p| exactly."""
        x = np.clip(np.where(self.idle, self.low, x), self.low, self.high)
        return np.concatenate([x, np.abs(x[self.pc] - self.pr.ideal[self.pk, self.pc])])

    def solve(self, cost, a_ub, b_ub, extra_bounds=()):
        """Minimise cost . z s.t. A_abs z <= b_abs, a_ub z <= b_ub; None if infeasible."""
        k = len(extra_bounds)
        a_abs = np.hstack([self.A_abs, np.zeros((self.A_abs.shape[0], k))]) if k else self.A_abs
        a = np.vstack([a_abs, a_ub]) if len(a_ub) else a_abs
        b = np.concatenate([self.b_abs, b_ub]) if len(a_ub) else self.b_abs
        res = optimize.linprog(cost, A_ub=a, b_ub=b, bounds=self.bounds + list(extra_bounds), method="highs",
                               options=_LP_OPTIONS)
        if res.status == 2:
            return None
        if res.status != 0:
            raise RuntimeError(f"linear programme failed: {res.message}")
        return res


def _clash_message(pr: Problem, c: int, low: np.ndarray, high: np.ndarray) -> tuple[str, tuple[str, ...]]:
    req = pr.parties
    lo_by = [pr.actors[i] for i in req if pr.below[i, c] >= low[c] - TOL]
    hi_by = [pr.actors[i] for i in req if pr.above[i, c] <= high[c] + TOL]
    what_hi = " and ".join(f"{a}'s red line (never above {high[c]:.2f})" for a in hi_by)
    if pr.upper[c] <= high[c] + TOL:
        agenda = "the agenda (off the table)" if pr.upper[c] == 0 else f"the agenda (capped at {pr.upper[c]:.2f})"
        what_hi = f"{what_hi} and {agenda}" if what_hi else agenda
    what_lo = " and ".join(f"{a}'s red line (never below {low[c]:.2f})" for a in lo_by)
    return (f"no zone of agreement: on clause {pr.clauses[c]}, {what_lo} clashes with {what_hi}",
            tuple(lo_by + hi_by))


def _bound_owner(pr: Problem, c: int, value: float, high: bool) -> str:
    """Who sets the box's bound on clause c: 'the agenda' or '<actor>'s red line'."""
    if high and pr.upper[c] <= value + TOL and pr.upper[c] < 1.0:
        return "the agenda (off the table)" if pr.upper[c] == 0 else f"the agenda (cap {pr.upper[c]:.2f})"
    bound = pr.above if high else pr.below
    who = [pr.actors[i] for i in pr.parties if abs(bound[i, c] - value) <= TOL]
    return " and ".join(f"{a}'s red line" for a in who) or "the [0, 1] scale"


def _single_party_block(pr: Problem, i: int, low, high, best_alone) -> tuple[str, str]:
    """Party i cannot reach d_i even alone in the box: name the clause whose restriction costs it
    most (box-best versus best on the whole [0, 1] scale), or, if the box costs it nothing, the
    clause furthest (salience-weighted) from its ideal."""
    x_box = best_packages(pr.ideal[None], pr.salience[None], pr.mixing, low[None, None], high[None, None])[0, i]
    x_free = best_packages(pr.ideal[None], pr.salience[None], pr.mixing,
                           np.zeros((1, 1, len(low))), np.ones((1, 1, len(low))))[0, i]
    w = pr.mixing[i][:, None] * pr.salience  # (k, c)
    loss_box = (w * np.abs(x_box[None] - pr.ideal)).sum(axis=0)
    loss_free = (w * np.abs(x_free[None] - pr.ideal)).sum(axis=0)
    cost = loss_box - loss_free
    d = pr.disagreement[i]
    if cost.max() > TOL:
        c = int(np.argmax(cost))
        side = x_box[c] >= x_free[c]
        why = (f"held {'at or above' if side else 'at or below'} {x_box[c]:.2f} by "
               f"{_bound_owner(pr, c, x_box[c], high=not side)}, which costs it {cost[c]:.3f}")
        head = (f"no zone of agreement: {pr.actors[i]}'s outside option ({d:.3f}) beats the best package "
                f"the red lines and the agenda allow it ({best_alone:.3f})")
        return f"{head}; the clause that closes it: {pr.clauses[c]} ({why})", pr.clauses[c]
    c = int(np.argmax(loss_box))
    return (f"no zone of agreement: {pr.actors[i]}'s outside option ({d:.3f}) beats even its ideal package "
            f"({best_alone:.3f}); its largest loss is on {pr.clauses[c]}", pr.clauses[c])


def zone_of_agreement(problem: Problem) -> Zone:
    """Test whether a zone of agreement exists (see the module's conventions)."""
    pr = problem
    low, high = feasible_box(pr)
    nan_a = np.full(len(pr.actors), np.nan)
    clash = np.flatnonzero(low > high + TOL)
    if clash.size:
        c = int(clash[np.argmax((low - high)[clash])])
        verdict, who = _clash_message(pr, c, low, high)
        return Zone(False, verdict, low, high, np.nan, nan_a, nan_a, who, pr.clauses[c])
    high = np.maximum(high, low)

    # Each party alone: its best package in the box (closed form: clipped weighted medians).
    x_best = best_packages(pr.ideal[None], pr.salience[None], pr.mixing, low[None, None], high[None, None])[0]
    best_alone = nan_a.copy()
    for i in pr.parties:
        best_alone[i] = pr.utilities(x_best[i])[i]
    short = [(pr.disagreement[i] - best_alone[i], i) for i in pr.parties if best_alone[i] < pr.disagreement[i] - TOL]

    # All parties at once: maximin slack, with duals saying whose constraints bind.
    prog = _Program(pr, low, high)
    req = pr.parties
    a_ub, b_ub = prog.zone_rows(pr.disagreement, req, relax=0.0)
    a_ub = np.hstack([a_ub, np.ones((len(req), 1))])  # W_i e + t <= 1 - d_i
    cost = np.zeros(prog.n + 1)
    cost[-1] = -1.0
    res = prog.solve(cost, a_ub, b_ub, extra_bounds=[(None, None)])
    slack = -float(res.fun)
    duals = -res.ineqlin.marginals[-len(req):]

    if short:
        _, i = max(short)
        verdict, clause = _single_party_block(pr, i, low, high, best_alone[i])
        others = tuple(pr.actors[j] for _, j in sorted(short, reverse=True))
        return Zone(False, verdict, low, high, slack, best_alone, nan_a, others, clause)

    if slack < -TOL:
        order = np.argsort(-duals, kind="stable")
        binding = tuple(pr.actors[req[j]] for j in order if duals[j] > 1e-9)
        # Decompose the dual bound by clause: sum_i lambda_i * loss_ic at the maximin package.
        x = res.x[:prog.n_c]
        lam = np.zeros(len(pr.actors))
        lam[req] = duals
        w = np.einsum("i,ik,kc->kc", lam, pr.mixing, pr.salience)
        per_clause = (w * np.abs(x[None] - pr.ideal)).sum(axis=0)
        c = int(np.argmax(per_clause))
        verdict = (f"no zone of agreement: each party can reach its outside option alone, but not all at once "
                   f"(at best the worst-off falls {-slack:.3f} short); the binding parties: {', '.join(binding)}; "
                   f"the clause that closes it: {pr.clauses[c]} (the largest part, {per_clause[c]:.3f}, of "
                   f"their weighted loss at the best compromise)")
        return Zone(False, verdict, low, high, slack, best_alone, nan_a, binding, pr.clauses[c])

    # The zone exists: each party's best utility in it (the KS ideal point), one LP each.
    best_in_zone = nan_a.copy()
    za, zb = prog.zone_rows(pr.disagreement, req)
    for i in req:
        r = prog.solve(prog.utility_rows([i])[0], za, zb)
        if r is None:  # the zone is a single point up to tolerance
            best_in_zone[i] = pr.disagreement[i]
        else:
            best_in_zone[i] = 1.0 - float(r.fun)
    degenerate = " (degenerate: no party gains anything over its outside option)" if slack <= ACTIVE_TOL and \
        all(best_in_zone[i] - pr.disagreement[i] <= ACTIVE_TOL for i in req) else ""
    verdict = (f"a zone of agreement exists{degenerate}: some packages respect every red line and the agenda "
               f"and give every party at the table at least its outside option (maximin slack {slack:.3f})")
    return Zone(True, verdict, low, high, slack, best_alone, best_in_zone)


def _solution(pr: Problem, concept: str, prog: _Program, x: np.ndarray, gap: float = 0.0) -> Solution:
    z = prog.tight(x)
    x = z[:prog.n_c]
    u = pr.utilities(x)
    return Solution(concept, x, u, u - pr.disagreement, gap)


def _active(pr: Problem, zone: Zone) -> tuple[np.ndarray, np.ndarray]:
    req = pr.parties
    span = zone.best_in_zone[req] - pr.disagreement[req]
    return req[span > ACTIVE_TOL], req[span <= ACTIVE_TOL]


def kalai_smorodinsky(problem: Problem, zone: Zone | None = None) -> Solution | None:
    """The KS package: the zone's Pareto point with the largest equal share of every party's
    possible gain (ideal_i - d_i); ties broken by the largest sum of normalised gains.
    None if there is no zone of agreement."""
    pr = problem
    zone = zone or zone_of_agreement(pr)
    if not zone.exists:
        return None
    prog = _Program(pr, zone.low, zone.high)
    active, pinned = _active(pr, zone)
    d = pr.disagreement
    pa, pb = prog.zone_rows(d, pinned)
    if active.size == 0:
        r = prog.solve(np.zeros(prog.n), pa, pb)
        return _solution(pr, "Kalai-Smorodinsky", prog, r.x[:prog.n_c])
    span = zone.best_in_zone[active] - d[active]
    # Stage 1: max t s.t. U_i - d_i >= t span_i.
    a1 = np.vstack([np.hstack([prog.utility_rows(active), span[:, None]]),
                    np.hstack([pa, np.zeros((len(pinned), 1))])])
    b1 = np.concatenate([1.0 - d[active], pb])
    cost = np.zeros(prog.n + 1)
    cost[-1] = -1.0
    r1 = prog.solve(cost, a1, b1, extra_bounds=[(None, None)])
    t = -float(r1.fun)
    # Stage 2: hold t (less a tolerance), maximise the sum of normalised gains.
    floor = 1.0 - d[active] - (t - TOL) * span
    a2 = np.vstack([prog.utility_rows(active), pa])
    b2 = np.concatenate([floor, pb])
    r2 = prog.solve((prog.utility_rows(active) / span[:, None]).sum(axis=0), a2, b2)
    x = (r2 if r2 is not None else r1).x[:prog.n_c]
    return _solution(pr, "Kalai-Smorodinsky", prog, x)


def _log_gain(g: np.ndarray, eps: float) -> np.ndarray:
    """log(g), continued below eps by its second-order Taylor expansion (finite everywhere)."""
    safe = np.maximum(g, eps)
    below = g - eps
    return np.where(g >= eps, np.log(safe), np.log(eps) + below / eps - below**2 / (2 * eps**2))


def _nash_gap(prog: _Program, pr: Problem, active, pinned, gains) -> float:
    """Frank-Wolfe gap at a point with gains g: max_{y in zone} sum_i (g_i(y) - g_i) / g_i."""
    d = pr.disagreement
    za, zb = prog.zone_rows(d, np.concatenate([active, pinned]))
    r = prog.solve((prog.utility_rows(active) / gains[:, None]).sum(axis=0), za, zb)
    if r is None:
        return np.nan
    value = float(np.sum((1.0 - d[active]) / gains)) - float(r.fun)
    return max(value - active.size, 0.0)


def _polish_on_face(pr: Problem, prog: _Program, active, pinned, x: np.ndarray, snap: float):
    """Newton's method for the Nash product on the face of the piecewise-linear utilities that x
    lies on: clauses within `snap` of a kink (some p_kc that matters) or of a bound of the box are
    held there; on the other clauses every U_i is affine, and sum_i log(U_i - d_i) is maximised
    by Newton steps that never leave the linear piece.  Returns the polished package, or None if
    the optimum is not on that face (a step would cross a kink or a bound)."""
    pr_kinks = [np.sort(pr.ideal[prog.pk[prog.pc == c], c]) for c in range(prog.n_c)]
    x = np.array(x, dtype=float)
    free = ~prog.idle.copy()
    for c in np.flatnonzero(free):
        targets = np.concatenate([pr_kinks[c], [prog.low[c], prog.high[c]]])
        near = np.abs(targets - x[c])
        if near.min() <= snap:
            x[c] = targets[int(np.argmin(near))]
            free[c] = False
    if not free.any():
        return x
    d = pr.disagreement[active]
    w = pr.mixing[active][:, :, None] * pr.salience[None]  # (i, k, c)

    def slopes(xc):  # dU_i/dx_c on the current piece, (i, free clauses)
        sign = np.sign(xc[None, :] - pr.ideal[:, free])  # (k, free)
        return -(w[:, :, free] * sign[None]).sum(axis=1)

    slope = slopes(x[free])
    lo_c, hi_c = prog.low[free], prog.high[free]
    # The piece: between the nearest kinks (or bounds) on either side of each free clause.
    piece_lo, piece_hi = lo_c.copy(), hi_c.copy()
    for j, c in enumerate(np.flatnonzero(free)):
        k = pr_kinks[c]
        piece_lo[j] = max(lo_c[j], k[k < x[c]].max(initial=-np.inf))
        piece_hi[j] = min(hi_c[j], k[k > x[c]].min(initial=np.inf))
    y = x[free].copy()
    for _ in range(100):
        g = pr.utilities(_put(x, free, y))[active] - d
        if (g <= 0).any():
            return None
        grad = slope.T @ (1.0 / g)
        hess = -(slope.T / g**2) @ slope
        step = np.linalg.lstsq(hess, -grad, rcond=1e-12)[0]
        t = 1.0
        for _ in range(60):  # backtrack until gains stay positive and the log-sum rises
            y_new = y + t * step
            g_new = pr.utilities(_put(x, free, y_new))[active] - d
            if (g_new > 0).all() and np.log(g_new).sum() >= np.log(g).sum() - 1e-15:
                break
            t *= 0.5
        else:
            return None
        if (y_new < piece_lo - 1e-12).any() or (y_new > piece_hi + 1e-12).any():
            return None
        done = np.abs(y_new - y).max() < 1e-15
        y = y_new
        if done:
            break
    return _put(x, free, y)


def _put(x: np.ndarray, mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    out = x.copy()
    out[mask] = values
    return out


def nash(problem: Problem, zone: Zone | None = None, ks: Solution | None = None) -> Solution | None:
    """The continuous Nash bargaining package: maximises prod_i (U_i(x) - d_i) over the zone.
    None if there is no zone of agreement.  Solution.gap certifies optimality (see module).
    `ks` (the KS package, a starting point) is computed if not given."""
    pr = problem
    zone = zone or zone_of_agreement(pr)
    if not zone.exists:
        return None
    prog = _Program(pr, zone.low, zone.high)
    active, pinned = _active(pr, zone)
    ks = ks or kalai_smorodinsky(pr, zone)
    if active.size == 0:
        return Solution("Nash", ks.package, ks.utility, ks.gain, 0.0)
    d = pr.disagreement
    wa, ca = prog.W[active], 1.0 - d[active]
    eps = 1e-12
    nc = prog.n_c

    def f(z):
        return -float(_log_gain(ca - wa @ z[nc:], eps).sum())

    def grad(z):
        g = np.maximum(ca - wa @ z[nc:], eps)
        out = np.zeros_like(z)
        out[nc:] = (wa / g[:, None]).sum(axis=0)
        return out

    pa, pb = prog.zone_rows(d, pinned)
    a_in = np.vstack([prog.A_abs, pa, prog.utility_rows(active)])
    b_in = np.concatenate([prog.b_abs, pb, ca])
    cons = [{"type": "ineq", "fun": lambda z: b_in - a_in @ z, "jac": lambda z: -a_in}]

    starts = [ks.package]
    # The midpoint of every party's best package in the zone: a second, different start.
    mids = []
    za, zb = prog.zone_rows(d, np.concatenate([active, pinned]))
    for i in active:
        r = prog.solve(prog.utility_rows([i])[0], za, zb)
        if r is not None:
            mids.append(r.x[:nc])
    if mids:
        starts.append(0.5 * ks.package + 0.5 * np.mean(mids, axis=0))

    best = None
    for x0 in starts:
        z0 = prog.tight(x0)
        res = optimize.minimize(f, z0, jac=grad, bounds=prog.bounds, constraints=cons, method="SLSQP",
                                options={"maxiter": 1000, "ftol": 1e-15})
        cand = _solution(pr, "Nash", prog, res.x[:nc])
        g = cand.gain[active]
        if (g <= 0).any() or (cand.gain[pinned] < -TOL).any():
            continue
        score = float(np.log(g).sum())
        if best is None or score > best[0] + 1e-12:
            best = (score, cand)
        if _nash_gap(prog, pr, active, pinned, g) < 1e-10:
            break
    if best is None:  # fall back on the KS package, which lies in the zone
        cand = _solution(pr, "Nash", prog, ks.package)
        best = (float(np.log(np.maximum(cand.gain[active], eps)).sum()), cand)
    score, cand = best
    gap = _nash_gap(prog, pr, active, pinned, cand.gain[active])
    for snap in (1e-7, 1e-5):  # sharpen SLSQP's answer on the face it found
        if gap <= 1e-12:
            break
        x = _polish_on_face(pr, prog, active, pinned, cand.package, snap)
        if x is None:
            continue
        polished = _solution(pr, "Nash", prog, x)
        g = polished.gain[active]
        if (g > 0).all() and (polished.gain[pinned] >= -TOL).all() and np.log(g).sum() >= score - 1e-12:
            new_gap = _nash_gap(prog, pr, active, pinned, g)
            if new_gap < gap:
                cand, gap, score = polished, new_gap, max(score, float(np.log(g).sum()))
    if gap > 1e-9:
        # SLSQP can stall a little short when some gain is small (the log is steep there):
        # polish with the interior-point trust-region method and its exact Hessian.
        def hess(z):
            g = np.maximum(ca - wa @ z[nc:], eps)
            h = np.zeros((len(z), len(z)))
            h[nc:, nc:] = (wa.T / g**2) @ wa
            return h

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = optimize.minimize(f, prog.tight(cand.package), jac=grad, hess=hess, method="trust-constr",
                                    bounds=optimize.Bounds(*np.array(prog.bounds, dtype=float).T),
                                    constraints=[optimize.LinearConstraint(a_in, -np.inf, b_in)],
                                    options={"gtol": 1e-13, "xtol": 1e-14, "maxiter": 3000})
        polished = _solution(pr, "Nash", prog, res.x[:nc])
        g = polished.gain[active]
        if (g > 0).all() and (polished.gain[pinned] >= -TOL).all() and np.log(g).sum() >= score - 1e-12:
            new_gap = _nash_gap(prog, pr, active, pinned, g)
            if new_gap < gap:
                cand, gap = polished, new_gap
    return Solution("Nash", cand.package, cand.utility, cand.gain, gap)


def solve(problem: Problem) -> Theory:
    """Zone of agreement, Nash and KS packages of a problem."""
    zone = zone_of_agreement(problem)
    ks = kalai_smorodinsky(problem, zone)
    return Theory(problem, zone, nash(problem, zone, ks), ks)


# --------------------------------------------------------------------------- scenarios
def baseline_forecast(ideal, salience, capability, required) -> tuple[np.ndarray, np.ndarray]:
    """Per clause, the (mean, median) of the ideal points of the parties at the table, weighted by
    capability x salience (Bueno de Mesquita).  ideal, salience: (A, C); capability, required:
    (A,).  A clause no party at the table cares about gets nan."""
    ideal = np.asarray(ideal, float)
    w = np.asarray(capability, float)[:, None] * np.asarray(salience, float)
    req = np.asarray(required, bool)
    pos, wt = ideal[req].T, w[req].T  # (C, parties)
    mean = np.full(ideal.shape[1], np.nan)
    median = np.full(ideal.shape[1], np.nan)
    ok = wt.sum(axis=1) > 0
    if ok.any():
        mean[ok] = weighted_mean(pos[ok], wt[ok])
        median[ok] = weighted_median(pos[ok], wt[ok])
    return mean, median


@dataclass(frozen=True, eq=False)
class ScenarioTheory:
    """Theory for one scenario at its central calibration."""

    name: str
    path: str
    theory: Theory
    on_table: np.ndarray  # (C,) bool: clause not taken off the agenda
    capability: np.ndarray  # (A,)
    best_on_agenda: np.ndarray  # (A,) U_max: best utility with the actor's own red lines and the agenda
    baseline_mean: np.ndarray  # (C,)
    baseline_median: np.ndarray  # (C,)
    has_pref: np.ndarray  # (A, C) bool: the actor states a preference on the clause

    problem = property(lambda self: self.theory.problem)
    zone = property(lambda self: self.theory.zone)
    nash = property(lambda self: self.theory.nash)
    ks = property(lambda self: self.theory.ks)

    @property
    def negotiable(self) -> tuple[str, ...]:
        """Clauses on the table whose allowed interval (red lines and agenda) has positive width:
        the ones a deal can move, compared between simulation and theory.  Without a zone
        (an empty box), every clause on the table."""
        z = self.zone
        free = self.on_table & (z.high > z.low + TOL) if np.all(z.low <= z.high + TOL) else self.on_table
        return tuple(c for c, f in zip(self.problem.clauses, free) if f)

    def package(self, concept: str = "nash") -> dict[str, float]:
        """{clause: value} of the Nash ('nash') or KS ('ks') package; empty without a zone."""
        sol = {"nash": self.nash, "ks": self.ks}[concept]
        return {} if sol is None else dict(zip(self.problem.clauses, map(float, sol.package)))


def problem_from_scenario(sc):
    """(Problem, Compiled, RunParams) at the scenario's central calibration."""
    comp = Compiled.from_scenario(sc)
    lay = comp.layout
    p = central_params(comp.plan)
    pr = Problem(actors=lay.actors, clauses=lay.clauses, ideal=p.ideal[0], salience=p.salience[0],
                 mixing=lay.mixing, below=p.below[0], above=p.above[0], upper=lay.upper,
                 required=lay.required, disagreement=p.outside_option[0])
    return pr, comp, p


def solve_scenario(scenario) -> ScenarioTheory:
    """Theory for a scenario (a path or a loaded `Scenario`) at its central calibration."""
    sc = load_scenario(scenario) if isinstance(scenario, (str, Path)) else scenario
    pr, comp, p = problem_from_scenario(sc)
    capability = np.array([a.capability for a in sc.actors], dtype=float)
    mean, median = baseline_forecast(pr.ideal, pr.salience, capability, pr.required)
    has_pref = np.array([[a.pref(c) is not None for c in pr.clauses] for a in sc.actors])
    return ScenarioTheory(
        name=sc.name, path=str(sc.path), theory=solve(pr),
        on_table=np.array([sc.on_table(c) for c in pr.clauses]), capability=capability,
        best_on_agenda=p.best_possible[0], baseline_mean=mean, baseline_median=median, has_pref=has_pref,
    )


# --------------------------------------------------------------------------- simulation vs theory
def _package_series(package, clauses):
    pkg = pd.Series(dict(package) if isinstance(package, Mapping) else package, dtype=float)
    clauses = list(pkg.index if clauses is None else clauses)
    missing = [c for c in clauses if c not in pkg.index]
    if missing:
        raise ValueError(f"the package has no value for clause(s) {', '.join(missing)}")
    return pkg[clauses], clauses


def agreement_distances(runs, package: Mapping[str, float], clauses: Sequence[str] | None = None):
    """Per run that ended in agreement: how far the agreed package is from `package`.

    runs: per-run table with "outcome" and "value.<clause>".  clauses: those to compare (e.g. the
    clauses on the table; default every clause of `package`).  Returns a DataFrame indexed like
    `runs` (agreement rows only) with "distance" (mean absolute difference over the clauses),
    "max_abs" (largest) and "diff.<clause>" (agreed - package)."""
    pkg, clauses = _package_series(package, clauses)
    if not clauses:
        raise ValueError("no clauses to compare")
    cols = [f"value.{c}" for c in clauses]
    missing = [c for c in ["outcome", *cols] if c not in runs.columns]
    if missing:
        raise ValueError(f"the per-run table lacks column(s) {', '.join(missing)}")
    agreed = runs.loc[runs["outcome"].astype(str) == Outcome.AGREEMENT, cols].to_numpy(dtype=float)
    diff = agreed - pkg.to_numpy()[None, :]
    out = pd.DataFrame({f"diff.{c}": diff[:, j] for j, c in enumerate(clauses)},
                       index=runs.index[runs["outcome"].astype(str) == Outcome.AGREEMENT])
    out.insert(0, "max_abs", np.abs(diff).max(axis=1) if len(diff) else np.zeros(0))
    out.insert(0, "distance", np.abs(diff).mean(axis=1) if len(diff) else np.zeros(0))
    if "run" in runs.columns:
        out.insert(0, "run", runs.loc[out.index, "run"].to_numpy())
    return out


def distance_summary(runs, package: Mapping[str, float], clauses: Sequence[str] | None = None) -> dict:
    """Summary of `agreement_distances`: runs, agreements, and the median distance with its
    distribution-free 95% interval (order statistics; nan without agreements)."""
    dist = agreement_distances(runs, package, clauses)
    est = median(dist["distance"].to_numpy())
    return {"runs": int(len(runs)), "agreements": int(len(dist)), "median": est.value,
            "low": est.low, "high": est.high,
            "mean": float(dist["distance"].mean()) if len(dist) else np.nan}


def clause_comparison(runs, packages: Mapping[str, Mapping[str, float]], clauses: Sequence[str] | None = None):
    """Per-clause table: each theory package's value (columns named by `packages`' keys), and
    the simulated agreed values' median and quartiles, plus the median |agreed - Nash| when a
    'Nash' package is given.  A last row "mean |diff|" carries the median per-run distance."""
    first = next(iter(packages.values()))
    _, clauses = _package_series(first, clauses)
    agree = runs["outcome"].astype(str) == Outcome.AGREEMENT
    rows = {}
    for c in clauses:
        v = runs.loc[agree, f"value.{c}"].to_numpy(dtype=float)
        row = {name: float(pkg[c]) for name, pkg in packages.items()}
        row.update({"agreed 25%": np.nanquantile(v, 0.25) if len(v) else np.nan,
                    "agreed median": np.nanmedian(v) if len(v) else np.nan,
                    "agreed 75%": np.nanquantile(v, 0.75) if len(v) else np.nan})
        if "Nash" in packages:
            row["median |agreed - Nash|"] = float(np.median(np.abs(v - packages["Nash"][c]))) if len(v) else np.nan
        rows[c] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    if "Nash" in packages:
        s = distance_summary(runs, packages["Nash"], clauses)
        table.loc["mean |diff|"] = np.nan
        table.loc["mean |diff|", "median |agreed - Nash|"] = s["median"]
    return table
