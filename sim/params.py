"""Per-run parameters, drawn from the scenario's distributions.

Randomness: each run owns a fixed row of uniforms derived from the root seed alone (see
`seeding.py`); every random quantity of the run (calibration draws, initial belief errors,
random recognition) is a fixed column of that row.  So a run's numbers do not depend on which other runs share its batch,
the chunk size or the worker count, and the Mesa driver reproduces a batch run exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
from scipy import special

from .seeding import run_uniforms

from . import channels, schema
from .distributions import Fixed, Param
from .layout import Layout
from .preferences import best_packages, normalise_salience, utilities

# The drawn fields, in the schema's order (which fixes each one's column of a run's uniforms);
# a field's slot name is its last key ("red_line.above" -> "above", "strategy.beta" -> "beta").
_CLAUSE_FIELDS = tuple(f.key for f in schema.drawn_fields("actors.*.clauses.*"))
_ACTOR_FIELDS = tuple(f.key for f in schema.drawn_fields("actors.*"))
_STRATEGY_FIELDS = frozenset(schema.STRATEGY_PARAMS)
# Drawn on a second stream of uniforms (schema Field.stream): the agenda's channels and the value of
# the status quo, absent from a scenario unless it sets them (NaN then)
_STREAM_1 = frozenset(f.key for f in schema.FIELDS if f.drawn and f.stream == 1)


@dataclass(frozen=True, eq=False)
class Slot:
    field: str
    actor: int
    clause: int | None
    param: Param
    col: int | None = None  # uniform column, fixed by the scenario's own distributions


@dataclass(frozen=True, eq=False)
class DrawPlan:
    """Which uniform column feeds which parameter; the same for every run of a scenario.

    Columns belong to the scenario's distributions, not to the values in force: fixing a
    parameter (a sweep point) leaves every other draw of a run unchanged (common random numbers).
    """

    layout: Layout
    slots: tuple[Slot, ...]
    n_param_uniforms: int
    upper: np.ndarray  # (C,) highest value per clause: the agenda, or a sweep's caps
    n_extra_uniforms: int = 0  # columns of the second stream (schema Field.stream = 1)

    @cached_property
    def n_uniforms(self) -> int:
        """Columns of a run's first row: the drawn parameters, the belief errors (2 A A C), random
        recognition (one per meeting) and each actor's deadline phase (A).  The second stream's
        columns follow them in the matrix `uniforms` returns."""
        a, c, h = self.layout.n_actors, self.layout.n_clauses, self.layout.horizon
        return self.n_param_uniforms + 2 * a * a * c + h + a

    def uniforms(self, root_seed: int, start: int, stop: int) -> np.ndarray:
        """(stop - start, n_uniforms + n_extra_uniforms): runs' rows of both streams."""
        return run_uniforms(root_seed, start, stop, self.n_uniforms, self.n_extra_uniforms)

    def with_values(self, values: dict[tuple[str, int, int | None], float], caps: dict[int, float]) -> "DrawPlan":
        """The plan with some parameters fixed: values keyed by (field, actor, clause or None),
        caps by clause index."""
        slots, todo = [], dict(values)
        for s in self.slots:
            key = (s.field, s.actor, s.clause)
            slots.append(replace(s, param=Fixed(todo.pop(key))) if key in todo else s)
        slots += [Slot(f, a, c, Fixed(v)) for (f, a, c), v in todo.items()]
        upper = self.upper.copy()
        for c, v in caps.items():
            upper[c] = v
        return replace(self, slots=tuple(slots), upper=upper)


def draw_plan(layout: Layout) -> DrawPlan:
    sc = layout.scenario
    slots: list[Slot] = []
    for ai, actor in enumerate(sc.actors):
        for ci, cid in enumerate(layout.clauses):
            pref = actor.pref(cid)
            if pref is None:
                continue
            for name in _CLAUSE_FIELDS:
                p = getattr(pref, name)
                if p is not None:
                    slots.append(Slot(name, ai, ci, p))
        slots += [Slot("demand_salience", ai, layout.demands.index(did), param) for did, param in actor.demand_saliences]
        holders = ((name, getattr(actor.strategy if name in _STRATEGY_FIELDS else actor, name)) for name in _ACTOR_FIELDS)
        slots += [Slot(name, ai, None, param) for name, param in holders if param is not None]
    # Columns go to the drawn slots in an order fixed by ids, not by where the file lists actors
    # and clauses: reordering a file changes no run's numbers.  Second-stream fields are counted
    # apart and placed after the first row (DrawPlan.uniforms).
    cols, count = {}, [0, 0]
    for i in sorted(range(len(slots)), key=lambda i: _canonical(layout, slots[i])):
        if slots[i].param.needs_uniform:
            stream = int(slots[i].field in _STREAM_1)
            cols[i], count[stream] = (stream, count[stream]), count[stream] + 1
    plan = DrawPlan(layout, tuple(slots), count[0], layout.upper.copy(), count[1])
    first = plan.n_uniforms
    numbered = [replace(s, col=cols[i][1] + (first if cols[i][0] else 0)) if i in cols else s
                for i, s in enumerate(slots)]
    return replace(plan, slots=tuple(numbered))


_FIELD_RANK = {name: k for k, name in enumerate(("demand_salience", *_CLAUSE_FIELDS, *_ACTOR_FIELDS))}


def _canonical(layout: Layout, s: Slot) -> tuple:
    """A slot's place in the run's row of uniforms: by actor id, then demand or clause id, then field."""
    if s.field == "demand_salience":
        where = ("demand", layout.demands[s.clause])
    else:
        where = ("clause", layout.clauses[s.clause]) if s.clause is not None else ("", "")
    return layout.actors[s.actor], where, _FIELD_RANK[s.field]


def id_ranks(ids: tuple[str, ...]) -> np.ndarray:
    """Each id's position among the ids sorted: where its uniforms sit in a run's row."""
    order = sorted(range(len(ids)), key=lambda i: ids[i])
    ranks = np.empty(len(ids), dtype=np.intp)
    ranks[order] = np.arange(len(ids))
    return ranks


@dataclass(frozen=True, eq=False)
class RunParams:
    """Everything random about a batch of R runs, plus derived per-run constants."""

    ideal: np.ndarray  # (R, A, C)
    salience: np.ndarray  # (R, A, C), each actor's row sums to 1
    above: np.ndarray  # (R, A, C) values above are never acceptable
    below: np.ndarray  # (R, A, C) values below are never acceptable
    outside_option: np.ndarray  # (R, A) on day 0
    outside_option_growth: np.ndarray  # (R, A) per 7 days
    patience: np.ndarray  # (R, A) discount factor per 7 days
    deadline: np.ndarray  # (R, A) days after 17 Dec 2021
    strategy_params: np.ndarray  # (R, A, K) each actor's strategy parameters, columns schema.STRATEGY_PARAMS
    belief_noise: np.ndarray
    breakdown: np.ndarray  # (R, A) utility when another party walks out; NaN: its outside option then
    pace_prior: np.ndarray  # (R, A) impatience rule's expected pace, utility per 7 days
    status_quo: np.ndarray  # (R, A) its value of the status quo: what talking gives (its utility of the package at 0, unless drawn)
    reference: np.ndarray  # (R, A, C + 2) channels.reference: distance from the ideal to the reference point per
    # clause, then loss aversion - 1, the extra weight of a shortfall beyond it (0: none), then the scale m
    line_belief: np.ndarray  # (R, A, C) channels.information: the party's first beliefs about each other's red line (above)
    line_learning: np.ndarray  # (R,) how far a refusal moves those beliefs (channels.py)
    belief_position: np.ndarray  # (R, P, C) initial estimate of positions, per pair of parties at
    belief_salience: np.ndarray  # (R, P, C) the table (observer, observed: Layout.belief_pairs)
    recognition_u: np.ndarray  # (R, H) uniforms for random recognition
    upper: np.ndarray  # (R, C) highest value per clause in any package (0 = off the table)
    best_package: np.ndarray  # (R, A, C) each actor's best package on the agenda
    best_possible: np.ndarray  # (R, A) its utility
    # The same five after each dated change of caps or red lines (events.py: epochs 1..E-1;
    # an axis of length 0 when the scenario has none)
    later_above: np.ndarray  # (R, E - 1, A, C)
    later_below: np.ndarray  # (R, E - 1, A, C)
    later_upper: np.ndarray  # (R, E - 1, C)
    later_best_package: np.ndarray  # (R, E - 1, A, C)
    later_best_possible: np.ndarray  # (R, E - 1, A)

    @property
    def loss_aversion(self) -> np.ndarray:
        """(R, A) channels.reference: how much a shortfall beyond the reference point weighs (1: none)."""
        return self.reference[..., -2] + 1.0

    @property
    def reference_gap(self) -> np.ndarray:
        """(R, A, C) distance from the ideal to the reference point."""
        return self.reference[..., :-2]

    @property
    def reference_scale(self) -> np.ndarray:
        """(R, A) the loss-averse party's utility scale (channels.reference)."""
        return self.reference[..., -1]

    @property
    def n_runs(self) -> int:
        return self.ideal.shape[0]

    def reservation(self, day, shift=0.0) -> np.ndarray:
        """(R, A) outside option on `day` (a number, or (R, 1) days per run), plus the shift dated
        events have added by then (Layout.shift_on), kept in [0, 1] (kernel.reservation)."""
        return np.clip(self.outside_option + self.outside_option_growth * day / 7.0 + shift, 0.0, 1.0)


def _input_path(lay: Layout, s: Slot) -> str:
    """The scenario key a slot draws, ids filled in: what a run table's input.<key> column holds."""
    actor = lay.actors[s.actor]
    if s.field == "demand_salience":
        return f"actors.{actor}.demands.{lay.demands[s.clause]}.salience"
    pattern = "actors.*.clauses.*" if s.clause is not None else "actors.*"
    suffix = next(f.path.removeprefix(pattern + ".") for f in schema.drawn_fields(pattern) if f.key == s.field)
    if s.clause is None:
        return f"actors.{actor}.{suffix}"
    return f"actors.{actor}.clauses.{lay.clauses[s.clause]}.{suffix}"


def drawn_params(plan: DrawPlan) -> dict[str, Param]:
    """The distribution of every parameter a run draws, keyed by its scenario key (the run
    table's input.<key> column): what importance reweighting divides by (analysis/reweight.py)."""
    return {_input_path(plan.layout, s): s.param for s in plan.slots if s.param.needs_uniform}


def drawn_inputs(plan: DrawPlan, uniforms: np.ndarray) -> dict[str, np.ndarray]:
    """Every parameter a run draws from a distribution, as written in the scenario (before
    saliences are normalised), keyed by its scenario key: what scenario discovery conditions on."""
    lay = plan.layout
    return {_input_path(lay, s): s.param.from_uniform(uniforms[:, s.col]) for s in plan.slots if s.param.needs_uniform}


def central_params(plan: DrawPlan) -> RunParams:
    """One run at the central calibration: every parameter at its central value (the mode of a
    triangular, the mean of a uniform or beta, ...), beliefs without error."""
    u = np.full((1, plan.n_uniforms), 0.5)
    return draw_params(plan, u, central=True)


def draw_params(plan: DrawPlan, uniforms: np.ndarray, central: bool = False) -> RunParams:
    lay = plan.layout
    r, a, c = uniforms.shape[0], lay.n_actors, lay.n_clauses
    clause = {"ideal": np.zeros((r, a, c)), "salience": np.zeros((r, a, c)),
              "above": np.ones((r, a, c)), "below": np.zeros((r, a, c)), "relax": np.zeros((r, a, c))}
    actor = {name: np.zeros((r, a)) for name in _ACTOR_FIELDS if name not in _STREAM_1}
    actor["breakdown"][:] = np.nan  # unless a scenario gives one
    extra = {name: np.full((r, a), np.nan) for name in _ACTOR_FIELDS if name in _STREAM_1}  # NaN: not given
    for s in plan.slots:
        if s.param.needs_uniform and not central:
            v = s.param.from_uniform(uniforms[:, s.col])
        else:
            v = s.param.central()
        if s.field == "demand_salience":  # each clause of the demand gets an equal share (s.clause: the demand)
            members = np.flatnonzero(lay.demand_of == s.clause)
            clause["salience"][:, s.actor, members] = (v / len(members))[..., None] if np.ndim(v) else v / len(members)
        elif s.clause is None:
            (extra if s.field in _STREAM_1 else actor)[s.field][:, s.actor] = v
        else:
            clause[s.field][:, s.actor, s.clause] = v

    a_rank, c_rank = id_ranks(lay.actors), id_ranks(lay.clauses)
    phase_col = plan.n_param_uniforms + 2 * a * a * c + lay.horizon  # after the beliefs and recognition
    phased = lay.scenario.protocol.deadline_phase == "uniform" and not central
    phase = uniforms[:, phase_col + a_rank] if phased else np.full((r, a), 0.5)
    actor["deadline"] = deadline_in_force(actor.pop("deadline_days"), phase, lay.round_days)
    # one row of strategy parameters per actor, in the kernel's column order
    actor["strategy_params"] = np.stack([actor.pop(name) for name in schema.STRATEGY_PARAMS], axis=-1)

    # the agenda's channels (channels.py): each leaves the draws as they are when off
    salience = normalise_salience(channels.reweigh(lay, clause["salience"], plan.upper))
    clause["above"] = channels.relax_red_lines(lay, clause["above"], clause["relax"], plan.upper)
    actor["outside_option"] = actor["outside_option"] + channels.face_shift(lay, clause["ideal"], extra["face"], plan.upper)
    lam, gap, scale = channels.reference(lay, clause["ideal"], salience, extra["loss_aversion"], plan.upper)
    ev = lay.events
    epochs = [_epoch(lay, clause, salience, np.where(np.isnan(ev.caps[e]), plan.upper, ev.caps[e]),
                     ev.above[e], ev.below[e], (lam, gap, scale)) for e in range(ev.n_epochs)]
    above, below, upper, x0, best_possible = epochs[0]
    later = [np.stack([ep[k] for ep in epochs[1:]], axis=1) if len(epochs) > 1
             else np.zeros((r, 0) + epochs[0][k].shape[1:]) for k in range(5)]
    status_quo = utilities(np.zeros((r, c)), clause["ideal"], salience, lay.mixing, lam, gap, scale)
    status_quo = np.where(np.isnan(extra["status_quo"]), status_quo, extra["status_quo"])  # drawn where given
    line_belief = channels.line_beliefs(lay, clause["ideal"], above, extra["red_line_belief"])
    line_learning = channels.line_learning(lay, extra["red_line_belief"])

    # Beliefs only matter between parties at the table (they propose and learn); other pairs
    # keep their uniforms unused, so the layout of a run's uniforms never depends on the agenda.
    # Observer i's estimate of j's ideal is p_jc + noise_i z, clipped to [0, 1], and of j's
    # salience s_jc exp(noise_i z'), with z, z' standard normal.
    col = plan.n_param_uniforms
    n_b = a * a * c
    observer, observed = np.nonzero(lay.belief_pairs)
    noise = actor["belief_noise"][:, observer, None] * (not central)  # (R, P, 1)
    # columns col + kind * n_b + (observer * a + observed) * c + clause, kind 0 = position, 1 = salience,
    # actors and clauses by their ids' ranks
    cols = col + (np.arange(2)[:, None, None] * n_b + (a_rank[observer] * a + a_rank[observed])[None, :, None] * c
                  + c_rank[None, None, :])
    z = special.ndtri(uniforms.take(cols.ravel(), axis=1)).reshape(r, 2, len(observer), c)
    belief_position = np.clip(clause["ideal"][:, observed] + noise * z[:, 0], 0.0, 1.0)
    belief_salience = salience[:, observed] * np.exp(noise * z[:, 1])
    recognition_u = uniforms[:, col + 2 * n_b:col + 2 * n_b + lay.horizon]

    return RunParams(
        ideal=clause["ideal"], salience=salience, above=above, below=below,
        belief_position=belief_position, belief_salience=belief_salience,
        recognition_u=recognition_u, upper=upper, best_package=x0, best_possible=best_possible, status_quo=status_quo,
        reference=np.concatenate([gap, (lam - 1.0)[..., None], scale[..., None]], axis=-1), line_belief=line_belief,
        line_learning=line_learning,
        later_above=later[0], later_below=later[1], later_upper=later[2], later_best_package=later[3],
        later_best_possible=later[4], **actor,
    )


def deadline_in_force(deadline: np.ndarray, phase: np.ndarray, interval: float) -> np.ndarray:
    """The deadline the rules read: the drawn day, placed within a meeting interval by the run's
    phase (uniform): deadline + (phase - 1/2) interval.  The talks only act on meeting days, so
    which meeting an actor's last concession or walkout falls on is not knowable to the day;
    without the phase, moving a deadline one day past a meeting day moved P(agreement) by about
    1 pp and by 0.1 pp a day in between (docs/model.md, section 3.3).  The central calibration
    (phase 1/2) keeps the drawn day, as does protocol.deadline_phase = "none".  Never before day 0."""
    return np.maximum(deadline + (phase - 0.5) * interval, 0.0)


def offer_bounds(allies: np.ndarray, above: np.ndarray, below: np.ndarray, upper: np.ndarray):
    """(R, A, C) each actor's bounds on what it offers: the red lines of every actor whose lines
    its offers keep to (Layout.allies: itself and, under protocol.red_lines = "allies", its allies
    who vote on the clause), within the agenda (upper, (R, C)); the lower bound never above the
    upper.  The kernel's rounds.setup_run computes the same per run."""
    high = np.minimum(np.where(allies[None], above[:, None, :, :], np.inf).min(axis=2), upper[:, None, :])
    low = np.minimum(np.where(allies[None], below[:, None, :, :], 0.0).max(axis=2), high)
    return high, low


def _epoch(lay: Layout, clause: dict, salience: np.ndarray, upper: np.ndarray, above_set: np.ndarray,
           below_set: np.ndarray, reference: tuple) -> tuple[np.ndarray, ...]:
    """One epoch's red lines, caps and best packages: the drawn red lines unless an event set
    one (NaN: none did), each kept on its side of the run's ideal.  Draws of a red line may not
    cross the ideal's draw; validation guarantees the supports do not, so the clipping only
    guards against rounding at a shared boundary."""
    r, a = salience.shape[0], salience.shape[1]
    ideal = clause["ideal"]
    above = np.maximum(np.where(np.isnan(above_set), clause["above"], above_set), ideal)
    below = np.minimum(np.where(np.isnan(below_set), clause["below"], below_set), ideal)
    above, below = np.where(lay.vetoes, above, 1.0), np.where(lay.vetoes, below, 0.0)  # lines that bind no vote
    upper = np.broadcast_to(upper, (r, upper.shape[-1])).copy()
    high, low = offer_bounds(lay.allies, above, below, upper)
    x0 = best_packages(ideal, salience, lay.mixing, low, high)
    best_possible = np.stack([utilities(x0[:, i, :], ideal, salience, lay.mixing, *reference)[:, i] for i in range(a)],
                             axis=1)
    return above, below, upper, x0, best_possible
