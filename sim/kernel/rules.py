"""Walkout rules: when staying at the table is worth less than the outside option.

Each rule is one compiled function of the actor's situation after a meeting (a `Look`),
returning whether it leaves; `walkout_fires` dispatches on the rule's code, its position in
`schema.WALKOUT_RULES`.  Contract (tests/test_contracts.py): no rule makes an actor walk out
while what it holds (the status quo, or an offer it could sign) and its best package both beat
its outside option.
"""

from __future__ import annotations

import math

import numpy as np

from ..schema import WALKOUT_RULES, code
from .bundles import compiled, helper

OUTSIDE_OPTION, IMPATIENCE = code(WALKOUT_RULES, "outside_option"), code(WALKOUT_RULES, "impatience")


@compiled
def best_wait_value(b, rate, delta, horizon):
    """max over integer k in [0, horizon] of delta^k (b + rate k): the continuous maximiser is
    k* = -1/ln(delta) - b/rate (log-concave for rate > 0), so the integer one is floor or ceil of
    k*, clipped, or the horizon."""
    horizon = float(horizon)
    log_d = math.log(min(delta, 1.0 - 1e-12))
    k_star = -1.0 / log_d - b / rate if rate > 0 else 0.0
    best = b
    for k in (np.floor(k_star), np.ceil(k_star), horizon):
        k = min(max(k, 0.0), horizon)
        best = max(best, math.exp(k * log_d) * (b + rate * k))
    return best


@helper
def outside_option_fires(lk):
    """Even the best package the agenda allows, and what it holds (the status quo, or an offer it
    could sign), are worth less than walking away (Binmore, Shaked & Sutton: an outside option
    binds only when it beats the deal).  A party whose status quo beats its outside option does not
    carry out a threat to walk (channels: a drawn status quo, docs/model.md 3.7)."""
    return max(lk.best_possible, lk.held) < lk.reservation


@helper
def pace(lk):
    """The others' pace of concession toward the actor, utility per day: the rise of what it
    holds over its memory window, blended with its expected pace, the two weighted by the days
    the talks have run and prior_days (so the first meetings lean on the expectation and later
    ones on what was seen, whatever the window: the window only says how recent 'seen' is)."""
    observed = max(lk.held - lk.held_earlier, 0.0) / lk.span if lk.span > 0 else 0.0
    weight = lk.elapsed + lk.prior_days
    return (lk.elapsed * observed + lk.prior_days * lk.pace_prior / 7.0) / weight if weight > 0 else 0.0


@helper
def impatience_fires(lk):
    """Waiting for the others' concessions, at their pace and discounted, cannot reach the
    outside option before the deadline (Russia's fear of talks 'drowned in a swamp'): waiting k
    days is worth delta^k (b + r k), b what it holds, r the pace, delta the daily discount
    factor, k up to its deadline; capped at its best package."""
    held, reservation = lk.held, lk.reservation
    if held >= reservation and lk.best_possible >= reservation:
        return False  # staying is worth at least walking away now (k = 0): no need to look further
    daily = math.exp(math.log(min(lk.patience, 1.0 - 1e-12)) / 7.0)  # discount factor per day
    value = best_wait_value(held, pace(lk), daily, max(lk.deadline - lk.day, 0.0))
    return min(value, lk.best_possible) < reservation


@helper
def walkout_fires(code, lk):
    """Does walkout rule `code` make the actor leave after the meeting on day lk.day?"""
    if code == OUTSIDE_OPTION:
        return outside_option_fires(lk)
    if code == IMPATIENCE:
        return impatience_fires(lk)
    return False  # the loader only accepts registered rules


# what `walkout_fires` reaches, by code (tests check it against schema.WALKOUT_RULES)
FUNCTIONS = {OUTSIDE_OPTION: outside_option_fires, IMPATIENCE: impatience_fires}
