"""The state of R runs (arrays with a leading run axis) and the call into the compiled kernel that
both drivers make (`play_rounds`).  What happens at a meeting is `sim/kernel/rounds.py`
(docs/model.md, section 1.3)."""

from __future__ import annotations

import weakref
from collections import namedtuple
from dataclasses import dataclass, fields

import numpy as np

from . import channels, kernel
from .codes import AGREEMENT, ONGOING, OUTCOME_NAMES, WALKOUT  # noqa: F401  (re-exported)
from .layout import Layout
from .params import RunParams
from .preferences import utilities

# What the kernel reads and writes, as named tuples of arrays (Numba passes them natively).
KernelRules = namedtuple("KernelRules", [
    "mixing", "required", "rotation",
    "recognition_cum", "recognition_ids",  # random recognition (both empty under rotation)
    "strategy",  # (A,) strategy code (schema.STRATEGIES)
    "reacts",  # (A,) bool: its strategy reads the others' concessions (Part.reacts_to_others)
    "role_aware",  # (A,) bool: its strategy asks differently as proposer (Part.role_aware)
    "rules",  # (A, max rules) walkout rule codes in the actor's order, 0 = none
    "offer_rule",  # (A,) offer rule code (schema.OFFER_RULES)
    "joint", "belief_update", "member", "signs", "live",
    "budget",  # protocol.budget, or infinity
    "every_party",  # bool: every party at the table proposes at every meeting (protocol.proposer = "all")
    "memory",  # (A,) days of offers over which impatience measures the others' pace
    "prior_days",  # (A,) weight of the expected pace, in days of observation
    "days",  # (H,) day of each meeting (days after 17 Dec 2021)
    "demand_of",  # (C,) each clause's demand
    "carrier",  # (A, C) the ally whose latest position a proposer tables on the clause, or -1
    "allies",  # (A, A, C) bool: a's offers on clause c keep to j's red lines (itself included)
    "believer",  # channels.information: the party that holds beliefs about the others' red lines, or -1
    "on_table",  # (C,) for the trace's mean position
    "pairs",  # (P, 2) observer, observed: the pairs of parties at the table that hold beliefs
    "shift",  # (H, A) what dated events have added to each outside option by each meeting
    "epoch_of",  # (H,) each meeting's epoch of caps and red lines (events.py)
    "offer_by",  # (H, K) who tables a dated offer at each meeting, -1 padded
    "offer_package",  # (H, K, C) its package
    "offer_given",  # (H, K) bool: a package was given (else the party tables its own offer)
    "offer_with",  # (H, K, A) bool: co-sponsors of each dated offer (they accept it within their red lines)
])
KernelTrace = namedtuple("KernelTrace", ["on", "aspiration", "best_offer", "position"])  # (R, H, A)


@dataclass(eq=False)
class State:
    """Mutable state of R runs.  All arrays lead with the run axis."""

    t: int
    outcome: np.ndarray  # (R,) int8
    rounds: np.ndarray  # (R,) rounds played
    packages: np.ndarray  # (R,) packages put to the vote (a meeting may see several)
    walkout_by: np.ndarray  # (R,) actor index or -1
    walkout_rule: np.ndarray  # (R,) rule code or 0
    shortfall: np.ndarray  # (R,) walkouts: the demand on which what the walker held fell furthest short, or -1
    agreed: np.ndarray  # (R, C) agreed package (NaN unless agreement)
    locked: np.ndarray  # (R, I) instrument agreed (separate packages)
    locked_values: np.ndarray  # (R, C)
    belief_position: np.ndarray  # (R, A observer, A observed, C)
    best_offer: np.ndarray  # (R, A) best utility offered to each actor by others so far
    first_from: np.ndarray  # (R, A receiver, A proposer) utility of the proposer's first offer
    best_from: np.ndarray  # (R, A receiver, A proposer) utility of the proposer's best offer
    best_offer_package: np.ndarray  # (R, A, C)
    last_offer: np.ndarray  # (R, A, C) each party's latest offer (its best package before its first)
    best_offer_history: np.ndarray  # (R, A, H + 1): best_offer before round t, at index t
    offer: np.ndarray  # (R, C) the latest round's package
    offer_utility: np.ndarray  # (R, A) its effective utility to each actor
    proposer: np.ndarray  # (R,) the latest round's proposer
    accepts: np.ndarray  # (R, A) the latest round's answers
    aspiration: np.ndarray  # (R, A) the latest round's aspirations
    line_belief: np.ndarray  # (R, A, C) channels.information: the believer's beliefs about each one's red lines
    line_floor: np.ndarray  # (R, A, C) the most each has tabled or voted for on a clause (its line admits it)

    def kernel_view(self):
        """The arrays as the kernel's named tuple (same memory: the kernel writes into them)."""
        return KernelState(**{f.name: getattr(self, f.name) for f in fields(self) if f.name != "t"})


def init_state(lay: Layout, p: RunParams) -> State:
    r, a, c, i = p.n_runs, lay.n_actors, lay.n_clauses, len(lay.instruments)
    return State(
        t=0,
        outcome=np.zeros(r, dtype=np.int8),
        rounds=np.zeros(r, dtype=np.int32),
        packages=np.zeros(r, dtype=np.int64),
        walkout_by=np.full(r, -1, dtype=np.int16),
        walkout_rule=np.zeros(r, dtype=np.int8),
        shortfall=np.full(r, -1, dtype=np.int16),
        agreed=np.full((r, c), np.nan),
        locked=np.zeros((r, i), dtype=bool),
        locked_values=np.zeros((r, c)),
        belief_position=np.empty((r, a, a, c)),  # set by the kernel at round 0
        best_offer=np.full((r, a), -np.inf),
        first_from=np.full((r, a, a), -np.inf),
        best_from=np.full((r, a, a), -np.inf),
        best_offer_package=np.zeros((r, a, c)),
        last_offer=np.zeros((r, a, c)),
        best_offer_history=np.full((r, a, lay.horizon + 1), -np.inf),
        offer=np.zeros((r, c)),
        offer_utility=np.full((r, a), np.nan),
        proposer=np.full(r, -1, dtype=np.intp),
        accepts=np.zeros((r, a), dtype=bool),
        aspiration=np.zeros((r, a)),
        line_belief=np.ones((r, a, c)),
        line_floor=np.zeros((r, a, c)),
    )


# Named like their module attribute, so that Numba's on-disk cache can find the types again.
KernelState = namedtuple("KernelState", [f.name for f in fields(State) if f.name != "t"])
_RULES: "weakref.WeakKeyDictionary[Layout, KernelRules]" = weakref.WeakKeyDictionary()


def kernel_rules(lay: Layout) -> KernelRules:
    """The layout as the kernel reads it (built once per layout)."""
    if lay not in _RULES:
        rec = lay.recognition
        ids = np.flatnonzero(rec > 0) if rec is not None else np.zeros(0, dtype=np.intp)
        cum = np.cumsum(rec[ids]) if rec is not None else np.zeros(0)
        if len(cum):
            cum[-1] = 1.0  # rounding must not leave a sliver of [0, 1) to nobody
        i64 = np.int64  # fixed dtypes too, so one compiled kernel serves every scenario
        _RULES[lay] = KernelRules(
            mixing=_c_order(lay.mixing, float), required=_c_order(lay.required, bool),
            rotation=_c_order(lay.rotation, i64), recognition_cum=_c_order(cum, float),
            recognition_ids=_c_order(ids, i64), strategy=_c_order(lay.strategy_codes, i64),
            reacts=_c_order([st.reacts_to_others for st in lay.strategies], bool),
            role_aware=_c_order([st.role_aware for st in lay.strategies], bool),
            rules=_c_order(lay.walkout_rules, i64), offer_rule=_c_order(lay.offer_rules, i64),
            memory=_c_order(lay.memory, float), budget=float(lay.budget),
            prior_days=_c_order(lay.prior_days, float), days=_c_order(lay.days, float),
            demand_of=_c_order(lay.demand_of, i64), carrier=_c_order(lay.carrier, i64),
            allies=_c_order(lay.allies, bool), believer=int(channels.believer(lay)),
            joint=bool(lay.joint), every_party=bool(lay.scenario.protocol.proposer == "all"),
            belief_update=float(lay.belief_update), member=_c_order(lay.member, bool),
            signs=_c_order(lay.signs, bool), live=_c_order(lay.live, bool),
            on_table=_c_order([lay.scenario.on_table(c) for c in lay.clauses], bool),
            pairs=_c_order(np.argwhere(lay.belief_pairs), i64),
            shift=_c_order(lay.events.shift, float), epoch_of=_c_order(lay.events.epoch_of, i64),
            offer_by=_c_order(lay.events.offer_by, i64), offer_package=_c_order(lay.events.offer_package, float),
            offer_given=_c_order(lay.events.offer_given, bool), offer_with=_c_order(lay.events.offer_with, bool),
        )
    return _RULES[lay]


# RunParams' fields; each actor's strategy parameters are one row per actor (strategy_params,
# columns schema.STRATEGY_PARAMS): the strategy functions read their parameters from that row.
KernelParams = namedtuple("KernelParams", [f.name for f in fields(RunParams)])


def kernel_params(p: RunParams) -> KernelParams:
    """The run parameters as the kernel reads them.  C order throughout: each memory layout
    would be a separate compilation."""
    return KernelParams(**{f.name: _c_order(getattr(p, f.name), float if f.name == "strategy_params" else None)
                           for f in fields(p)})


def _c_order(a, dtype=None) -> np.ndarray:
    """C-ordered and writeable: Numba compiles a separate kernel for each memory layout and for
    read-only arrays (a compile takes about 10 s)."""
    return np.require(a, dtype=dtype, requirements="CW")


def new_trace(lay: Layout, n_runs: int) -> dict[str, np.ndarray]:
    """Empty per-round series (see engine.TRACE_FIELDS), NaN until a round is played."""
    return {k: np.full((n_runs, lay.horizon, lay.n_actors), np.nan) for k in KernelTrace._fields[1:]}


_NO_TRACE = KernelTrace(False, np.zeros((0, 0, 0)), np.zeros((0, 0, 0)), np.zeros((0, 0, 0)))


def play_rounds(lay: Layout, p: RunParams, s: State, t_stop: int,
                trace: dict[str, np.ndarray] | None = None) -> None:
    """Advance every run still going up to round t_stop (exclusive), in place; with a trace
    (from `new_trace`), record each round's aspirations, best offers and mean positions."""
    t_stop = min(int(t_stop), lay.horizon)
    tr = _NO_TRACE if trace is None else KernelTrace(True, trace["aspiration"], trace["best_offer"], trace["position"])
    kernel.play_rounds(kernel_rules(lay), kernel_params(p), s.kernel_view(), tr, t_stop)
    s.t = max(s.t, t_stop)


def play_round(lay: Layout, p: RunParams, s: State) -> None:
    """Advance every active run by one round (all runs of a State share the round number)."""
    play_rounds(lay, p, s, s.t + 1)


def final_utilities(lay: Layout, p: RunParams, s: State) -> np.ndarray:
    """(R, A): what each actor ends with.  Agreement: its utility of the agreed package.  Its own
    walkout: its outside option on the last meeting's day.  Another's walkout: its breakdown
    value (its outside option then, unless the scenario gives one).  Still talking at the
    horizon: the status quo, its utility of the package at 0 (docs/model.md, 3.7)."""
    agreed = s.outcome == AGREEMENT
    u = utilities(np.where(agreed[:, None], s.agreed, 0.0), p.ideal, p.salience, lay.mixing, p.loss_aversion,
                  p.reference_gap, p.reference_scale)
    last = lay.last_meeting(s.rounds)
    own = p.reservation(lay.days[last][:, None], lay.events.shift[last])
    walker = s.walkout_by[:, None] == np.arange(lay.n_actors)[None, :]
    after_walkout = np.where(walker, own, np.where(np.isnan(p.breakdown), own, p.breakdown))
    return np.where(agreed[:, None], u, np.where((s.outcome == WALKOUT)[:, None], after_walkout, p.status_quo))
