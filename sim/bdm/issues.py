"""A scenario's runs as expected-utility games: one game per run and issue.

An issue is a clause (the default) or a demand (its clauses as one issue). Each actor's position
and salience on it are its drawn ideal and salience of the run (`params.RunParams`, drawn
through the scenario's `DrawPlan`, so the model shares each run's random numbers with the
agent-based model); its capability is the scenario's `actors.*.capability`. docs/model.md,
section 8.5, gives the reasons for each mapping.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..layout import Layout
from ..params import RunParams
from .challenge import Games, Play, Readings, play

ISSUES = ("clauses", "demands")
PARTICIPANTS = ("stakeholders", "table")


@dataclass(frozen=True)
class Options:
    """issues: "clauses" (a clause is an issue) or "demands" (a demand's clauses are one issue,
    all forecast at one value). participants: "stakeholders" (every actor with preferences on
    the issue, at the table or not, as the model forecasts the influence of every stakeholder)
    or "table" (only the parties at the table). max_rounds: the round cap (docs/model.md, 8.4)."""

    issues: str = "clauses"
    participants: str = "stakeholders"
    readings: Readings = field(default_factory=Readings)
    max_rounds: int = 20

    def __post_init__(self):
        if self.issues not in ISSUES:
            raise ValueError(f"issues must be one of {', '.join(ISSUES)}, got {self.issues!r}")
        if self.participants not in PARTICIPANTS:
            raise ValueError(f"participants must be one of {', '.join(PARTICIPANTS)}, got {self.participants!r}")
        if not 1 <= self.max_rounds <= 1000:
            raise ValueError(f"max_rounds must be in [1, 1000], got {self.max_rounds!r}")


@dataclass(frozen=True, eq=False)
class Forecast:
    """The model's forecast for every run."""

    forecast: np.ndarray  # (R, C) each clause's forecast (its issue's median voter position)
    package: np.ndarray  # (R, C) the forecast under the agenda: off the table 0, capped at the cap
    rounds: np.ndarray  # (R, I) rounds played per issue
    converged: np.ndarray  # (R, I) bool: positions stable before the round cap
    members: np.ndarray  # (I, C) bool: the clauses of each issue


def stakes(lay: Layout) -> np.ndarray:
    """(A, C) bool: the actor has preferences on the clause (the scenario gives it an entry)."""
    sc = lay.scenario
    return np.array([[a.pref(c) is not None for c in lay.clauses] for a in sc.actors])


def issue_members(lay: Layout, issues: str) -> np.ndarray:
    """(I, C) bool: which clauses make up each issue."""
    if issues == "clauses":
        return np.eye(lay.n_clauses, dtype=bool)
    return np.arange(len(lay.demands))[:, None] == lay.demand_of[None, :]


def build_games(lay: Layout, p: RunParams, options: Options) -> tuple[Games, np.ndarray]:
    """The (R x I) games, flattened run-major (game g = run * I + issue), and the (I, C) members.

    On an issue an actor's salience is the sum of its saliences on the issue's clauses, taken
    relative to its most salient issue (its top issue has 1: the model reads salience as the
    probability of resisting a challenge, so it must lie in [0, 1]); its position is the
    salience-weighted mean of its ideals there (the plain mean if it gives them no weight)."""
    members = issue_members(lay, options.issues)
    m = members.astype(float)
    has = stakes(lay).astype(float)  # (A, C)
    part = (has @ m.T) > 0  # (A, I)
    if options.participants == "table":
        part &= lay.required[:, None]
    weight = p.salience * has  # (R, A, C)
    sal = np.einsum("rac,ic->rai", weight, m)
    pos_w = np.einsum("rac,ic->rai", weight * p.ideal, m)
    pos_n = np.einsum("rac,ic->rai", has * p.ideal, m)
    count = has @ m.T
    position = np.where(sal > 0, pos_w / np.where(sal > 0, sal, 1.0),
                        pos_n / np.where(count > 0, count, 1.0)[None])
    sal = np.where(part[None], sal, 0.0)
    top = sal.max(axis=2, keepdims=True)
    sal = np.divide(sal, top, out=np.zeros_like(sal), where=top > 0)
    r, a, i = sal.shape
    capability = np.array([actor.capability for actor in lay.scenario.actors], dtype=float)

    def flat(v):  # (R, A, I) -> (R * I, A)
        return np.ascontiguousarray(np.moveaxis(v, 2, 1).reshape(r * i, a))

    games = Games(position=flat(position), capability=capability, salience=flat(sal),
                  part=flat(np.broadcast_to(part[None], (r, a, i))))
    return games, members


def forecast(lay: Layout, p: RunParams, options: Options = Options()) -> Forecast:
    """Play every run's games; the forecast package lies on the agenda (clauses off the table at
    0, caps applied): the model forecasts what the actors would settle on, the agenda says what
    the package may hold."""
    games, members = build_games(lay, p, options)
    outcome: Play = play(games, options.readings, options.max_rounds)
    r, i = p.n_runs, members.shape[0]
    by_issue = outcome.forecast.reshape(r, i)
    issue_of = np.argmax(members, axis=0)  # (C,) every clause is in exactly one issue
    per_clause = by_issue[:, issue_of]
    return Forecast(forecast=per_clause, package=np.minimum(per_clause, p.upper),
                    rounds=outcome.rounds.reshape(r, i), converged=outcome.converged.reshape(r, i),
                    members=members)
