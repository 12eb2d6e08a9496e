"""Fixing the quantities a sweep's dotted paths name (sim/paths.py resolves the paths) on a
DrawPlan: a sweep point is the plan with those parameters fixed."""

from __future__ import annotations

from sim.params import DrawPlan
from sim.paths import Target, resolve  # noqa: F401 (sweeps import both from here)


def fix(plan: DrawPlan, targets: list[Target], values) -> DrawPlan:
    """The plan with each target fixed at the matching value."""
    slot_values, caps = {}, {}
    for tg, v in zip(targets, values):
        if not tg.low <= float(v) <= tg.high:
            raise ValueError(f"parameter {tg.path!r}: {v} is out of range; allowed: [{tg.low:g}, {tg.high:g}]")
        if tg.field == "cap":
            caps[tg.clause] = float(v)
        else:
            slot_values[(tg.field, tg.actor, tg.clause)] = float(v)
    return plan.with_values(slot_values, caps)
