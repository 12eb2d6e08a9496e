"""Offer rules: how a proposer turns what it asks for into a package.

Each rule is one compiled function of the proposer q, the utility it may give up
(`give` = its best possible - its aspiration) and the bundles; it writes the package to ow.x.
`build_offer` dispatches on the rule's code, its position in `schema.OFFER_RULES`.  Clauses with
ow.fixed[c] (an instrument agreed in an earlier round, or an ally's latest position on an
instrument q does not sign) stay at ow.fixed_values[c] under linkage and uniform.
"""

from __future__ import annotations

from ..schema import OFFER_RULES, code
from .bundles import helper, step
from .prefs import mixed_loss

LINKAGE, UNIFORM, DIVIDE = (code(OFFER_RULES, name) for name in ("linkage", "uniform", "divide"))


@step
def toward_target(q, give, pf, pp, plan, ow):
    """What linkage and uniform share.  From q's best package x0 toward y, its estimate of where
    the others stand (the salience-weighted mean of its beliefs about them, within its own
    bounds), moving clause c all the way costs q cost_c = loss(y_c) - loss(x0_c) >= 0 of utility
    (into ow.cost).  Fixed clauses already cost what they cost: that is charged to `give`.
    Returns what q may still spend."""
    required, best_package, belief = pp.required, pp.best_package, pp.belief
    base_loss, weight, total, low, high = plan.base_loss, plan.weight, plan.total, plan.low, plan.high
    fixed, fixed_values, x0, target, base, cost, tmp = ow.fixed, ow.fixed_values, ow.x0, ow.target, ow.base, ow.cost, ow.tmp
    n_a, n_c = pf.mixing.shape[0], ow.x.shape[0]
    for c in range(n_c):  # target accumulates the salience-weighted beliefs first
        target[c] = 0.0
    for j in range(n_a):
        if not required[j] or j == q:  # only the other parties at the table carry weight
            continue
        for c in range(n_c):
            target[c] += weight[q, j, c] * belief[q, j, c]
    any_fixed = False
    for c in range(n_c):
        base[c] = base_loss[q, c]
        if fixed[c]:
            x0[c] = fixed_values[c]
            target[c] = x0[c]
            any_fixed = True
            continue
        x0[c] = best_package[q, c]
        y = target[c] / total[q, c] if total[q, c] > 0 else x0[c]
        target[c] = min(max(y, low[q, c]), high[q, c])
    if any_fixed:
        mixed_loss(pf, q, x0, tmp)
        for c in range(n_c):
            give -= tmp[c] - base[c]
            base[c] = tmp[c]
    mixed_loss(pf, q, target, tmp)
    for c in range(n_c):
        cost[c] = max(tmp[c] - base[c], 0.0)
    return max(give, 0.0)


@step
def linkage(q, give, pf, pp, plan, ow):
    """Issue linkage (Sebenius 1983; Stokman's exchange model): concede first where q cares
    little and the others care much (ascending own salience / others' estimated salience), each
    clause fully until the budget is spent: a fractional-knapsack order that buys the most of
    the others' utility per unit of its own."""
    budget = toward_target(q, give, pf, pp, plan, ow)
    x, x0, target, cost, order = ow.x, ow.x0, ow.target, ow.cost, plan.order
    spent = 0.0
    for k in range(x.shape[0]):
        c = order[q, k]
        f = 1.0 if cost[c] <= 0 else min(max((budget - spent) / cost[c], 0.0), 1.0)
        x[c] = x0[c] + f * (target[c] - x0[c])
        spent += cost[c]


@step
def uniform(q, give, pf, pp, plan, ow):
    """The same fraction of the way on every clause."""
    budget = toward_target(q, give, pf, pp, plan, ow)
    x, x0, target, cost = ow.x, ow.x0, ow.target, ow.cost
    total_cost = 0.0
    for c in range(x.shape[0]):
        total_cost += cost[c]
    f = min(budget / total_cost, 1.0) if total_cost > 0 else 1.0
    for c in range(x.shape[0]):
        x[c] = x0[c] + f * (target[c] - x0[c])


@step
def divide(q, give, pf, pp, plan, ow):
    """A budget to share (protocol.budget): on the clauses it cares about, q moves from its best
    package toward its lowest bound, the same fraction of the way on each, until it has given up
    `give` of utility; what is left of the budget goes in equal parts to the other clauses it may
    raise (each within its bounds).  Beliefs play no part."""
    x, x0, target, base, tmp = ow.x, ow.x0, ow.target, ow.base, ow.tmp
    n_a, n_c = pf.mixing.shape[0], x.shape[0]
    own_total, n_other = 0.0, 0
    for c in range(n_c):
        w = 0.0
        for k in range(n_a):
            w += pf.mixing[q, k] * pf.salience[k, c]
        mine = w > 0.0
        x0[c] = pp.best_package[q, c] if mine else 0.0
        target[c] = plan.low[q, c] if mine else 0.0
        ow.cost[c] = 1.0 if mine else 0.0  # marks its own clauses
        n_other += (not mine) and plan.high[q, c] > 0.0
    mixed_loss(pf, q, x0, base)
    mixed_loss(pf, q, target, tmp)
    total = 0.0
    for c in range(n_c):
        total += max(tmp[c] - base[c], 0.0)
    f = min(max(give, 0.0) / total, 1.0) if total > 0 else 1.0
    for c in range(n_c):
        if ow.cost[c] > 0.0:
            x[c] = x0[c] + f * (target[c] - x0[c])
            own_total += x[c]
    rest = max(pp.budget - own_total, 0.0)
    for c in range(n_c):
        if ow.cost[c] == 0.0:
            x[c] = min(rest / n_other, plan.high[q, c]) if n_other > 0 and plan.high[q, c] > 0.0 else 0.0


@helper
def build_offer(q, give, pf, pp, plan, ow):
    """Proposer q's package into ow.x, by its offer rule (pp.offer_rule[q])."""
    rule = pp.offer_rule[q]
    if rule == DIVIDE:
        divide(q, give, pf, pp, plan, ow)
    elif rule == UNIFORM:
        uniform(q, give, pf, pp, plan, ow)
    else:
        linkage(q, give, pf, pp, plan, ow)


# what `build_offer` reaches, by code (tests check it against schema.OFFER_RULES)
FUNCTIONS = {LINKAGE: linkage, UNIFORM: uniform, DIVIDE: divide}
