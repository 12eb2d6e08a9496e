"""What a scenario cannot produce, by construction: said before any run, so that nobody reads an
impossibility as a finding ("every walkout is Russia's" when nobody else could ever leave).

The checks read the rules and the calibration's draws, not simulated runs: a parameter draw of
N_DRAWS runs (no rounds played) gives each actor's value of the status quo (its utility of the
package at 0 on every clause, what it has while talks go on), its best package on the agenda
and its outside option over the horizon.  A statement "in every draw" is over those draws.
"""

from __future__ import annotations

import numpy as np

from .layout import Layout, build_layout
from .params import draw_params, draw_plan
from .preferences import utilities
from .scenario import Scenario
from .seeding import run_uniforms

N_DRAWS = 2000
_SEED = 1  # the draws only bound what is possible; any fixed seed does


def _fmt_share(k: int, n: int) -> str:
    return "every one" if k == n else f"{k:,}" if k else "none"


def diagnose(sc: Scenario, n_draws: int = N_DRAWS) -> list[str]:
    """Plain sentences, one per structural fact worth knowing before reading results."""
    lay = build_layout(sc)
    plan = draw_plan(lay)
    p = draw_params(plan, run_uniforms(_SEED, 0, n_draws, plan.n_uniforms))
    out = _away_from_table(sc, lay) + _agenda(sc)
    status_quo = utilities(np.zeros((n_draws, lay.n_clauses)), p.ideal, p.salience, lay.mixing)
    # highest outside option over the meetings: with linear growth, the first or the last
    # meeting's; dated shifts add steps, so then every meeting is looked at
    o_max = np.maximum(p.reservation(lay.days[0], lay.events.shift[0]), p.reservation(lay.days[-1], lay.events.shift[-1]))
    if lay.events.shift.any():
        for t, day in enumerate(lay.days):
            np.maximum(o_max, p.reservation(day, lay.events.shift[t]), out=o_max)
    for a, actor in enumerate(sc.actors):
        if lay.required[a]:
            out += _walkouts(actor, a, lay, p, status_quo[:, a], o_max[:, a], n_draws)
    out += [_holdout_line(a, n_draws) for a in _holders(lay, p, status_quo)]
    out += _room(sc, lay, p, n_draws)
    return out


def status_quo_holders(sc: Scenario, n_draws: int = 200) -> tuple[str, ...]:
    """Parties at the table whose best package is the status quo in every draw: no package is
    worth more to them than no deal, and they hold a vote on every package."""
    lay = build_layout(sc)
    plan = draw_plan(lay)
    p = draw_params(plan, run_uniforms(_SEED, 0, n_draws, plan.n_uniforms))
    status_quo = utilities(np.zeros((n_draws, lay.n_clauses)), p.ideal, p.salience, lay.mixing)
    return _holders(lay, p, status_quo)


def _holders(lay: Layout, p, status_quo) -> tuple[str, ...]:
    return tuple(a for k, a in enumerate(lay.actors)
                 if lay.required[k] and np.all(status_quo[:, k] >= p.best_possible[:, k] - 1e-9))


def _holdout_line(actor: str, n: int) -> str:
    return (f"{actor} gains from no package: the status quo is its best package in every one of {n:,} draws, so it "
            "votes for a package that moves a clause it weighs only once its aspiration has come down to that "
            "package's worth, and no other party holds an offer until every party has voted for it (docs/model.md "
            "3.5-3.7)")


def _away_from_table(sc: Scenario, lay: Layout) -> list[str]:
    lines = []
    for a, actor in enumerate(sc.actors):
        if lay.required[a]:
            continue
        weigh = ", ".join(f"{other} ({w:g})" for other, w in actor.weighs_on if w > 0)
        lines.append(f"{actor.id} is not at the table: it neither proposes, votes nor walks out"
                     + (f"; its preferences weigh inside {weigh}" if weigh else ""))
    return lines


def _agenda(sc: Scenario) -> list[str]:
    lines = []
    off = [c for c in sc.clause_ids if c in sc.agenda.off]
    if off:
        lines.append(f"{', '.join(off)} {'is' if len(off) == 1 else 'are'} off the table: held at 0 (status quo) "
                     "in every package")
    for c, cap in sc.agenda.caps:
        lines.append(f"{c} cannot be agreed above {cap:g} (capped)")
    return lines


def _walkouts(actor, a: int, lay: Layout, p, status_quo, o_max, n: int) -> list[str]:
    rules = set(actor.walkout)
    if not rules:
        return [f"{actor.id} can never walk out: it has no walkout rule"]
    can = np.zeros(n, dtype=bool)
    if "outside_option" in rules:  # leaves when nothing on the agenda beats walking away
        can |= p.best_possible[:, a] < o_max
    if "impatience" in rules:  # leaves only while neither what it holds nor the status quo beats walking away
        can |= status_quo < o_max
    first = p.best_possible[:, a] < p.reservation(0)[:, a]
    lines = []
    if not can.any():
        lines.append(f"{actor.id} can never walk out: its outside option (at most {o_max.max():.2f} over the horizon) "
                     f"is below its value of the status quo (at least {status_quo.min():.2f}) and of its best package "
                     f"on the table (at least {p.best_possible[:, a].min():.2f}) in every one of {n:,} draws")
    elif first.all():
        lines.append(f"{actor.id} walks out at the first meeting in every one of {n:,} draws: its best package on "
                     f"the table (at most {p.best_possible[:, a].max():.2f}) is worth less than its outside option")
    elif not can.all():
        lines.append(f"{actor.id} can walk out in {_fmt_share(int(can.sum()), n)} of {n:,} draws; in the others its "
                     "outside option never beats the status quo or its best package")
    if can.any() and {"outside_option", "impatience"} <= rules:
        # the outside-option rule is checked first but needs the whole agenda to be worth less than leaving
        fires = p.best_possible[:, a] < o_max
        if not fires.all():
            lines.append(f"{actor.id}'s outside-option rule can fire by the last meeting in "
                         f"{_fmt_share(int(fires.sum()), n)} of {n:,} draws (its best package on the table beats its "
                         f"outside option in the others); any other walkout of {actor.id} is by impatience")
    return lines


def _room(sc: Scenario, lay: Layout, p, n: int) -> list[str]:
    """Clauses where the red lines of the parties at the table leave no common value."""
    req = lay.required
    low = p.below[:, req].max(axis=1)  # (R, C)
    high = np.minimum(p.above[:, req].min(axis=1), p.upper)
    empty = low > high + 1e-12
    lines = []
    for c, cid in enumerate(lay.clauses):
        k = int(empty[:, c].sum())
        if k:
            lines.append(f"no agreement can form in {_fmt_share(k, n)} of {n:,} draws: on {cid} the red lines of the "
                         "parties at the table leave no common value")
    return lines
