"""Theory across draws: the zone of agreement (analysis.theory) tested in each drawn calibration,
on day 0 and at each meeting as outside options grow, and set against how the same runs ended."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.codes import Outcome
from sim.engine import Compiled, params_for_runs

from .theory import Problem, nash, zone_of_agreement


@dataclass(frozen=True, eq=False)
class DrawnZones:
    """The zone of agreement over drawn calibrations (runs 0..n-1 of a root seed)."""

    exists: np.ndarray  # (n,) a zone exists on day 0
    close_day: np.ndarray  # (n,) first meeting day without a zone as outside options grow
    #                        (NaN: it lasts to the last meeting, or there was none on day 0)
    last_meeting_day: float
    nash: np.ndarray | None = None  # (n, C) the Nash package of each draw with a zone on day 0 (NaN rows
    #                                 without one); None unless asked for
    clauses: tuple[str, ...] = ()
    uniforms: int = 0  # random numbers per run: two scenarios share their draws only if this agrees

    def nash_spread(self) -> dict[str, tuple[float, float, float]]:
        """Per clause, the Nash package's median and 5th and 95th percentiles over the draws with a
        zone on day 0 (empty if it was not computed or no draw has a zone)."""
        if self.nash is None or not self.exists.any():
            return {}
        q = np.percentile(self.nash[self.exists], [50, 5, 95], axis=0)
        return {c: (float(q[0, j]), float(q[1, j]), float(q[2, j])) for j, c in enumerate(self.clauses)}

    def share_closed_by(self, day: float) -> float:
        """Of the draws with a zone on day 0, the share whose zone has closed by `day` (NaN if none has one)."""
        closes = self.close_day[self.exists]
        return float((closes <= day).mean()) if closes.size else float("nan")


def _run_problem(lay, p, r: int, day: float) -> Problem:
    return Problem(actors=lay.actors, clauses=lay.clauses, ideal=p.ideal[r], salience=p.salience[r],
                   mixing=lay.mixing, below=p.below[r], above=p.above[r], upper=p.upper[r],
                   required=lay.required, disagreement=p.reservation(day, lay.shift_on(day))[r])


def _closing_day(lay, p, r: int) -> float:
    """First meeting day on which run r's zone is gone, NaN if it lasts to the last meeting.
    Bisection over the meetings: valid because, with growth >= 0, outside options only rise and a
    zone that is gone stays gone; with a falling outside option every meeting is checked."""
    days = lay.days
    if (p.outside_option_growth[r] < 0).any():
        gone = [d for d in days if not zone_of_agreement(_run_problem(lay, p, r, d)).exists]
        return float(gone[0]) if gone else np.nan
    if zone_of_agreement(_run_problem(lay, p, r, days[-1])).exists:
        return np.nan
    lo, hi = 0, len(days) - 1  # zone at days[lo], none at days[hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if zone_of_agreement(_run_problem(lay, p, r, days[mid])).exists:
            lo = mid
        else:
            hi = mid
    return float(days[hi])


def zones_over_draws(scenario, n_draws: int, root_seed: int, with_nash: bool = False,
                     progress=lambda k: None) -> DrawnZones:
    """Does a zone of agreement exist on day 0 in each drawn calibration (the runs' own draws,
    no belief errors), and on which meeting day does it close as outside options grow?  With
    `with_nash`, also each draw's Nash package on day 0.  Measured on 2 cores (CPU time, median
    of 3): the zone tests take about 0.02 s a draw, a Nash package 0.3-0.5 s.  `progress(k)` is
    called as each draw is done."""
    comp = Compiled.from_scenario(scenario)
    lay = comp.layout
    p = params_for_runs(comp, root_seed, 0, n_draws)
    problems = [_run_problem(lay, p, r, 0.0) for r in range(n_draws)]
    zones = [zone_of_agreement(pr) for pr in problems]
    exists = np.array([z.exists for z in zones])
    close = np.full(n_draws, np.nan)
    packages = np.full((n_draws, lay.n_clauses), np.nan) if with_nash else None
    for r in range(n_draws):
        if exists[r]:
            close[r] = _closing_day(lay, p, r)
            s = nash(problems[r], zones[r]) if with_nash else None
            if s is not None:
                packages[r] = s.package
        progress(1)
    return DrawnZones(exists, close, float(lay.days[-1]), packages, lay.clauses, comp.plan.n_uniforms)


def reconcile(za: DrawnZones, zb: DrawnZones, outcome_a, outcome_b) -> dict[str, float]:
    """Where the difference in deals between two scenarios run on the same draws comes from,
    measured draw by draw: B - A in the share of draws ending in a deal, split by whether each
    scenario had a zone of agreement on day 0.  'zone' terms: draws where one scenario has a zone
    and the other none (what theory sees); 'dynamics': draws where both have one, or neither
    (the same possibilities, different bargaining).  Shares of all n draws; they add up to the
    difference.  Only meaningful on the same draws (the same root seed and random numbers per run)."""
    if za.uniforms != zb.uniforms:
        raise ValueError(f"not the same draws: {za.uniforms} and {zb.uniforms} random numbers per run")
    da = np.asarray(outcome_a).astype(str) == Outcome.AGREEMENT
    db = np.asarray(outcome_b).astype(str) == Outcome.AGREEMENT
    n = len(da)
    diff = db.astype(float) - da.astype(float)
    both, neither = za.exists & zb.exists, ~za.exists & ~zb.exists
    return {"draws": n, "zone_a": float(za.exists.mean()), "zone_b": float(zb.exists.mean()),
            "difference": float(diff.sum() / n),
            "from_zone": float(diff[za.exists != zb.exists].sum() / n),
            "from_dynamics_with_zone": float(diff[both].sum() / n),
            "from_dynamics_without_zone": float(diff[neither].sum() / n)}


def zones_against_runs(z: DrawnZones, outcome, day) -> dict[str, int]:
    """Simulated endings of the same draws set against their zones: deals with and without a zone
    on day 0, and walkouts while the run's zone was still open, with no zone, or after it closed.
    outcome: each run's ending ('agreement', 'walkout', 'ongoing'); day: the day it ended."""
    outcome, day = np.asarray(outcome).astype(str), np.asarray(day, dtype=float)
    deal, walk, zone = outcome == Outcome.AGREEMENT, outcome == Outcome.WALKOUT, z.exists
    still_open = zone & (np.isnan(z.close_day) | (day < z.close_day))
    return {"draws": len(zone), "with_zone": int(zone.sum()), "deals_with_zone": int((deal & zone).sum()),
            "deals_without_zone": int((deal & ~zone).sum()), "walkouts": int(walk.sum()),
            "walkouts_zone_open": int((walk & still_open).sum()), "walkouts_no_zone": int((walk & ~zone).sum()),
            "walkouts_zone_closed": int((walk & zone & ~still_open).sum())}
