"""Fixtures for the compiled parts (strategies, walkout rules), built from the schema's registries
and field table: a new strategy or parameter needs no edit here."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from sim import schema
from sim.kernel import aspiration, walkout_fires
from sim.kernel.bundles import Look

STRATEGY_NAMES = tuple(schema.STRATEGIES)
RULE_NAMES = tuple(schema.WALKOUT_RULES)
LOOK_DEFAULTS = dict(day=5.0, best_possible=0.9, reservation=0.3, deadline=10.0, patience=1.0, held=0.0,
                     held_earlier=0.0, span=0.0, elapsed=5.0, pace_prior=0.0, prior_days=0.0, conceded_to_me=0.0,
                     proposing=False, interval=7.0)
assert set(LOOK_DEFAULTS) == set(Look._fields), "a field was added to Look: give it a default here"


def look(**kw) -> Look:
    """One actor's situation, every field at a plain default unless given."""
    values = {**LOOK_DEFAULTS, **kw}
    return Look(*(float(values[k]) if k != "proposing" else bool(values[k]) for k in Look._fields))


def row(**kw) -> np.ndarray:
    """An actor's strategy parameter row (columns schema.STRATEGY_PARAMS), each at its schema
    default unless given."""
    unknown = set(kw) - set(schema.STRATEGY_PARAMS)
    assert not unknown, f"not strategy parameters: {unknown}"
    return np.array([float(kw.get(k, schema.field(f"actors.*.strategy.{k}").default)) for k in schema.STRATEGY_PARAMS])


def ask(name: str, lk: Look, theta: np.ndarray) -> float:
    """What strategy `name` asks for, through the kernel's dispatch."""
    return aspiration(schema.code(schema.STRATEGIES, name), lk, theta)


def fires(name: str, lk: Look) -> bool:
    """Whether walkout rule `name` fires, through the kernel's dispatch."""
    return walkout_fires(schema.code(schema.WALKOUT_RULES, name), lk)


unit = st.floats(0.0, 1.0)


@st.composite
def looks(draw, **fixed) -> Look:
    """Any situation an actor can be in, including never having been offered anything it could
    sign (then what it holds is its status quo, which may be below or above its outside option)."""
    best_possible = draw(unit)
    held = min(draw(unit), best_possible)
    drawn = dict(day=float(draw(st.integers(0, 400))), best_possible=best_possible, reservation=draw(unit),
                 deadline=draw(st.floats(1.0, 300.0)), patience=draw(st.floats(0.5, 1.0)), held=held,
                 held_earlier=held - draw(st.floats(0.0, 0.3)), span=draw(st.floats(0.0, 42.0)),
                 elapsed=draw(st.floats(0.0, 400.0)), pace_prior=draw(st.floats(0.0, 0.2)),
                 prior_days=draw(st.floats(0.0, 60.0)), conceded_to_me=draw(unit), proposing=draw(st.booleans()),
                 interval=draw(st.floats(1.0, 30.0)))
    return look(**{**drawn, **fixed})


@st.composite
def rows(draw) -> np.ndarray:
    """A strategy parameter row, each column anywhere in its schema range (capped at 10 for the
    wide ones: a shape parameter of 100 behaves as one of 10)."""
    values = {}
    for k in schema.STRATEGY_PARAMS:
        f = schema.field(f"actors.*.strategy.{k}")
        values[k] = draw(st.floats(f.low, min(f.high, 10.0)))
    return row(**values)
