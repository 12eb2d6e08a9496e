"""What a scenario cannot produce, by construction: said before any run, so that nobody reads an
impossibility as a finding ("every walkout is Russia's" when nobody else could ever leave).

The checks read the rules and the calibration's draws, not simulated runs: a parameter draw of
N_DRAWS runs (no rounds played) gives each actor's value of the status quo (its utility of the
package at 0 on every clause, what it has while talks go on), its best package on the agenda
and its outside option over the horizon.  A statement "in every draw" is over those draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import schema
from .layout import Layout, build_layout
from .params import draw_params, draw_plan
from .scenario import Scenario

N_DRAWS = 2000
_SEED = 1  # the draws only bound what is possible; any fixed seed does


def _fmt_share(k: int, n: int) -> str:
    return "every one" if k == n else f"{k:,}" if k else "none"


@dataclass(frozen=True)
class _Draws:
    """A parameter draw of n runs (no rounds played), and what the checks read from it."""

    lay: Layout
    p: object  # RunParams
    status_quo: np.ndarray  # (n, A) utility of the package at 0
    o_max: np.ndarray  # (n, A) highest outside option over the meetings
    n: int


def _draws(sc: Scenario, n_draws: int) -> _Draws:
    lay = build_layout(sc)
    plan = draw_plan(lay)
    p = draw_params(plan, plan.uniforms(_SEED, 0, n_draws))
    status_quo = p.status_quo  # its value of the status quo (drawn, or its utility of the package at 0)
    # highest outside option over the meetings: with linear growth, the first or the last
    # meeting's; dated shifts add steps, so then every meeting is looked at
    o_max = np.maximum(p.reservation(lay.days[0], lay.events.shift[0]), p.reservation(lay.days[-1], lay.events.shift[-1]))
    if lay.events.shift.any():
        for t, day in enumerate(lay.days):
            np.maximum(o_max, p.reservation(day, lay.events.shift[t]), out=o_max)
    return _Draws(lay, p, status_quo, o_max, n_draws)


def diagnose(sc: Scenario, n_draws: int = N_DRAWS) -> list[str]:
    """Plain sentences, one per structural fact worth knowing before reading results."""
    d = _draws(sc, n_draws)
    out = _away_from_table(sc, d.lay) + _agenda(sc)
    for a, actor in enumerate(sc.actors):
        if d.lay.required[a]:
            out += _walkouts(actor, a, d.lay, d.p, d.status_quo[:, a], d.o_max[:, a], n_draws)
            out += _late_concession(actor, a, d)
    out += [_holdout_line(a, n_draws) for a in _holders(d.lay, d.p, d.status_quo)]
    out += _room(sc, d.lay, d.p, n_draws)
    return out + describe_inert(inert_inputs(sc, d))


def describe_inert(inert: list["Inert"]) -> list[str]:
    """One sentence per reason: which inputs cannot change how or when the talks end or what is
    agreed, and why."""
    by_reason: dict[str, list[str]] = {}
    for i in inert:
        by_reason.setdefault(i.reason, []).append(i.path)
    return [f"{', '.join(paths)} cannot change how or when the talks end or what is agreed: {reason}"
            for reason, paths in by_reason.items()]


def status_quo_holders(sc: Scenario, n_draws: int = 200) -> tuple[str, ...]:
    """Parties at the table whose best package is the status quo in every draw: no package is
    worth more to them than no deal, and they hold a vote on every package."""
    d = _draws(sc, n_draws)
    return _holders(d.lay, d.p, d.status_quo)


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


def _can_walk(actor, a: int, p, status_quo, o_max) -> np.ndarray:
    """(n,) draws in which some walkout rule of the actor can fire at some meeting."""
    rules = set(actor.walkout)
    can = np.zeros(len(status_quo), dtype=bool)
    if "outside_option" in rules:  # leaves when nothing on the agenda beats walking away
        can |= p.best_possible[:, a] < o_max
    if "impatience" in rules:  # leaves only while neither what it holds nor the status quo beats walking away
        can |= status_quo < o_max
    return can


def _walkouts(actor, a: int, lay: Layout, p, status_quo, o_max, n: int) -> list[str]:
    rules = set(actor.walkout)
    if not rules:
        return [f"{actor.id} can never walk out: it has no walkout rule"]
    can = _can_walk(actor, a, p, status_quo, o_max)
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


LATE_DAYS = 14  # "late": the last two weeks before a deadline
LATE_SHARE = 0.3  # said when the median draw makes at least this share of its concession that late


def _late_concession(actor, a: int, d: _Draws) -> list[str]:
    """A party that can walk out and concedes on the clock mostly near its deadline (Boulware):
    deals wait for its ask to come down, so their timing follows its drawn deadline."""
    if actor.strategy.kind not in ("time_dependent", "responsive") or not _can_walk(
            actor, a, d.p, d.status_quo[:, a], d.o_max[:, a]).any():
        return []
    beta = d.p.strategy_params[:, a, schema.STRATEGY_PARAMS.index("beta")]
    deadline = np.maximum(d.p.deadline[:, a], LATE_DAYS)
    late = 1.0 - ((deadline - LATE_DAYS) / deadline) ** (1.0 / beta)  # share of alpha's way in the last 14 days
    if np.median(late) < LATE_SHARE:
        return []
    return [f"{actor.id} makes a median {np.median(late):.0%} of its concession in the last {LATE_DAYS} days before "
            f"its deadline (its {actor.strategy.kind} strategy has beta at most {beta.max():.2g}): deals wait for its "
            "ask to come down, so when they form mostly reads back its drawn deadline, not a finding about the talks"]


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


# ------------------------------------------------------------------ inputs that cannot matter
@dataclass(frozen=True)
class Inert:
    """A scenario input that cannot change how or when the talks end, or what is agreed."""

    path: str  # its scenario key, ids filled in
    reason: str


# What reads each actor-level number (the kernel's strategies and rules, docs/model.md 3.3-3.7):
_WALKOUT_ONLY = ("pace_prior", "pace_prior_days", "pace_memory_days")  # the impatience rule's inputs
_OUTCOME_FREE = ("breakdown",)  # only its final utility after another's walkout
_READ_BY_STRATEGY = {"patience": ("equilibrium", "baron_ferejohn"), "deadline_days": ("time_dependent", "responsive")}


def inert_inputs(sc: Scenario, draws: _Draws | None = None, n_draws: int = N_DRAWS) -> list[Inert]:
    """Every input of the scenario that cannot change any outcome by construction: the numbers of
    an actor away from the table (and its preferences too if they weigh on nobody), the walkout
    inputs of an actor that can never walk out, numbers only the other model family reads, and
    red lines that bind no vote or no value the agenda allows."""
    d = draws or _draws(sc, n_draws)
    lay, out = d.lay, []
    for a, actor in enumerate(sc.actors):
        numbers = _actor_numbers(actor)
        if not lay.required[a]:
            weighs = any(w > 0 for _, w in actor.weighs_on)
            reason = "away from the table" + ("" if weighs else " and weighing on no one")
            out += [Inert(p, reason) for p in numbers if weighs is False or not _is_preference(p)]
            continue
        out.append(Inert(f"actors.{actor.id}.capability", "read only by the expected-utility model and the "
                                                           "baseline forecast"))
        if not _can_walk(actor, a, d.p, d.status_quo[:, a], d.o_max[:, a]).any():
            kind = actor.strategy.kind
            for p in numbers:
                key = p.split(".")[-1]
                walk_only = key in _WALKOUT_ONLY or (key in _READ_BY_STRATEGY and kind not in _READ_BY_STRATEGY[key])
                if walk_only:
                    out.append(Inert(p, f"read only by walkout rules that can never fire for {actor.id}, not by its {kind} strategy"))
        out += [Inert(p, "a value after another party's walkout, which no outcome reads") for p in numbers
                if p.split(".")[-1] in _OUTCOME_FREE]
        out += _idle_red_lines(sc, lay, a, actor)
    return out + _idle_channel_inputs(sc)


# The channel each stream-1 input belongs to (schema channels.*, docs/model.md 3.11), and the
# switch values under which the channel does not read it.
_CHANNEL_OF = {"red_line_belief": ("information", ("off",)), "loss_aversion": ("reference", ("none",)),
               "face": ("face", ("off",)), "relax": ("linkage", ("off",))}


def _idle_channel_inputs(sc: Scenario) -> list[Inert]:
    """A channel's inputs while its switch is off, or given to an actor who is not the
    channels' party (only `party` holds beliefs, a reference point and face)."""
    out = []
    for actor in sc.actors:
        for p in _actor_numbers(actor):
            key = p.split(".")[-1]
            if key not in _CHANNEL_OF:
                continue
            channel, idle = _CHANNEL_OF[key]
            mode = getattr(sc.channels, channel)
            if mode in idle:
                out.append(Inert(p, f"read only by channels.{channel}, which is {mode}"))
            elif key != "relax" and actor.id != sc.channels.party:
                out.append(Inert(p, f"read only for channels.party ({sc.channels.party}) by channels.{channel}"))
    return out


def _actor_numbers(actor) -> list[str]:
    """Scenario keys of every number the actor states (drawn or fixed), ids filled in."""
    base = f"actors.{actor.id}"
    paths = [f"{base}.{f.key}" for f in schema.FIELDS
             if f.parent == "actors.*" and f.kind in ("drawn", "number") and getattr(actor, f.key, None) is not None]
    reads = schema.STRATEGIES[actor.strategy.kind][1].parameters  # the loader refuses any other
    paths += [f"{base}.strategy.{k}" for k in schema.STRATEGY_PARAMS if k in reads]
    for cid, pref in actor.prefs:
        for f in schema.drawn_fields("actors.*.clauses.*"):
            if getattr(pref, f.key, None) is not None:
                paths.append(f"{base}.clauses.{cid}.{f.path.removeprefix('actors.*.clauses.*.')}")
    paths += [f"{base}.demands.{did}.salience" for did, _ in actor.demand_saliences]
    return [p for p in paths if not p.endswith(".capability")]


def _is_preference(path: str) -> bool:
    return ".clauses." in path and (path.endswith(".ideal") or path.endswith(".salience")) or ".demands." in path


def _idle_red_lines(sc: Scenario, lay: Layout, a: int, actor) -> list[Inert]:
    out = []
    for cid, pref in actor.prefs:
        c = lay.clauses.index(cid)
        base = f"actors.{actor.id}.clauses.{cid}.red_line"
        if not lay.vetoes[a, c]:
            out += [Inert(f"{base}.{side}", "its red lines bind only its own instruments (protocol.red_lines = "
                                            "\"signed\")") for side in ("above", "below") if getattr(pref, side) is not None]
        elif pref.above is not None and pref.above.support()[0] >= lay.upper[c]:
            held = "off the table (held at 0)" if lay.upper[c] == 0 else f"capped at {lay.upper[c]:g}"
            out.append(Inert(f"{base}.above", f"{cid} is {held}, and the line is never below that"))
    return out


def impossible(sc: Scenario, n_draws: int = N_DRAWS) -> dict[str, str]:
    """Outcomes the scenario cannot produce in any of `n_draws` draws, each with the sentence of
    `diagnose` that says why: 'walkout' when no party at the table can ever walk out,
    'agreement' when on some clause the red lines leave no common value in every draw."""
    lines = diagnose(sc, n_draws)
    lay = build_layout(sc)
    at_table = [a.id for a, r in zip(sc.actors, lay.required) if r]
    never = [line for line in lines if any(line.startswith(f"{a} can never walk out") for a in at_table)]
    out = {}
    if at_table and len(never) == len(at_table):
        out["walkout"] = "; ".join(never)
    room = [line for line in lines if line.startswith("no agreement can form in every one")]
    if room:
        out["agreement"] = room[0]
    return out
