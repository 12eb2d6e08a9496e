"""The named tuples of arrays the compiled functions take ("bundles"; docs/model.md, section 3.10),
and how they are compiled.

Numba passes named tuples natively.  Each is a module attribute named like its type, so that
Numba's on-disk cache finds the types again.  A helper call that LLVM does not inline passes
every field of every bundle it takes (about 8 words an array), so a bundle holds what its
helpers read rather than everything of its kind: a bundle of everything cost half the speed.
The batch-wide bundles (KernelRules, KernelParams, KernelState, KernelTrace) are built in
`protocol.py`; `rounds.play_rounds` cuts them into these.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

NEG_INF = -np.inf
FAST = {"reassoc", "contract", "arcp", "nsz"}  # not "nnan"/"ninf": -inf marks "no offer yet"
TOLERANCE = 1e-12  # a package worth its aspiration up to rounding is acceptable
# Helpers work in place on arrays they are handed and allocate nothing, so they are compiled
# without reference counting (`_nrt=False`): with it, binding each array argument costs two
# atomic operations per call, which measured as half the kernel's time.  Only `play_rounds`
# allocates (its scratch buffers, once per call).
helper = njit(cache=True, error_model="numpy", fastmath=FAST, _nrt=False)
# A step of a meeting, or a function of preferences run several times a package (prefs.py):
# compiled into its caller (Numba inlines it before LLVM sees it), so splitting a meeting into
# readable steps costs no call and no argument passing.
step = njit(cache=True, error_model="numpy", fastmath=FAST, inline="always")
compiled = njit(cache=True, error_model="numpy", fastmath=FAST)

# ---------------------------------------------------------------- per call: rules and scratch
Actors = namedtuple("Actors", [  # each actor's rules, and the calendar
    "required",  # (A,) bool: at the table
    "order",  # the parties at the table in protocol order (who proposes first, whose walkout is checked first)
    "strategy",  # (A,) strategy code (schema.STRATEGIES)
    "reacts",  # (A,) bool: its strategy reads the others' concessions
    "rules",  # (A, max rules) walkout rule codes in the actor's order, 0 = none
    "memory",  # (A,) days of offers over which impatience measures the others' pace
    "prior_days",  # (A,) weight of its expected pace, in days of observed offers
    "days",  # (H,) the day of each meeting (days after 17 Dec 2021)
    "demand_of",  # (C,) each clause's demand (layout.demands)
    "shift",  # (H, A) what dated events have added to each outside option by each meeting
])
Instruments = namedtuple("Instruments", [
    "member",  # (I, C) clause belongs to instrument
    "signs",  # (I, A) actor must accept instrument
    "live",  # (I,) instrument has a clause on the table
])
Plans = namedtuple("Plans", [  # each actor's constants as a proposer in this run (rounds.setup_run)
    "low", "high",  # (A, C) package bounds: red lines within the agenda
    "base_loss",  # (A, C) effective loss at its best package
    "weight",  # (A, A, C) its estimate of the others' saliences
    "total",  # (A, C) sum of weight over the others
    "order",  # (A, C) linkage order of clauses
])
OfferWork = namedtuple("OfferWork", [  # the offer under construction (all (C,))
    "fixed",  # bool: clause held at a given value (an agreed instrument, an ally's position)
    "fixed_values",  # that value
    "x",  # the offer
    "x0", "target", "base", "cost", "tmp",
])
VoteWork = namedtuple("VoteWork", [  # scratch for the votes per instrument
    "fixed",  # (C,) as in OfferWork
    "z", "values_before",  # (C,)
    "loss", "uz",  # (A,)
    "yes",  # (A,) bool
])

# ---------------------------------------------------------------- per run: views into the batch
Prefs = namedtuple("Prefs", [  # what utilities are computed from
    "mixing",  # (A, A) effective utility of i = sum_k mixing[i, k] u_k (the same in every run)
    "salience", "ideal",  # (A, C)
    "reference",  # (A, C + 1) channels.reference: per clause the distance from the ideal to the reference
    # point, and in the last column lambda - 1, the extra weight of a shortfall beyond it (0: none)
])
RedLines = namedtuple("RedLines", ["below", "above"])  # (A, C): values outside are never acceptable
RunView = namedtuple("RunView", [  # what strategies and walkout rules read, with Received
    "outside_option",  # (A,) utility of walking out on day 0
    "growth",  # (A,) its change per 7 days
    "patience",  # (A,) discount factor per 7 days
    "deadline",  # (A,) days
    "best_possible",  # (A,) utility of its best package on the agenda
    "status_quo",  # (A,) utility of the package at 0: what it has while talks go on
    "pace_prior",  # (A,) the pace of concession it expects before seeing any, utility per 7 days
    "strategy_params",  # (A, K) each actor's strategy parameter row, columns schema.STRATEGY_PARAMS
])
Received = namedtuple("Received", [  # the offers each actor has received
    "best_offer",  # (A,) best utility offered by the others so far (-inf if none)
    "first_from", "best_from",  # (A receiver, A proposer) utility of the proposer's first and best offers
    "package",  # (A, C) the best offer's package
    "history",  # (A, H + 1) best_offer before round t, at index t
])
Proposers = namedtuple("Proposers", [  # what each actor proposes from
    "required",  # (A,) bool: at the table
    "offer_rule",  # (A,) offer rule code (schema.OFFER_RULES)
    "best_package",  # (A, C)
    "belief",  # (A observer, A observed, C) estimated positions
    "budget",  # what the positions of a package may sum to (offer rule divide), or infinity
])
Start = namedtuple("Start", [  # what a run starts from
    "allies",  # (A, A, C) bool: a's offers on clause c keep to j's red lines (itself included)
    "pairs",  # (P, 2) observer, observed: the pairs of parties at the table that hold beliefs
    "upper",  # (C,) highest value per clause
    "belief_position", "belief_salience",  # (P, C) initial beliefs
])
Epochs = namedtuple("Epochs", [  # red lines, caps and best packages before and after dated changes (events.py)
    "above", "below",  # (R, A, C) epoch 0
    "upper",  # (R, C)
    "best_package",  # (R, A, C)
    "best_possible",  # (R, A)
    "later_above", "later_below",  # (R, E - 1, A, C) epochs 1..E-1
    "later_upper",  # (R, E - 1, C)
    "later_best_package",  # (R, E - 1, A, C)
    "later_best_possible",  # (R, E - 1, A)
])
Locks = namedtuple("Locks", [  # separate packages
    "locked",  # (I,) instrument agreed
    "locked_values",  # (C,)
    "accepts",  # (A,) the latest round's answers
])

# ---------------------------------------------------------------- per actor and meeting: scalars
Look = namedtuple("Look", [  # one actor's situation on a meeting day: what strategies and walkout rules see
    "day",  # days after 17 Dec 2021
    "best_possible", "reservation",  # utility of its best package on the agenda; outside option that day
    "deadline",  # day by which it wants a result
    "patience",  # discount factor per 7 days
    "held",  # what it has by staying: the best of the status quo and any offer it could sign now
    "held_earlier",  # the same, `span` days before (the status quo before the talks)
    "span",  # days between the two (up to its memory): the window the pace is observed over
    "elapsed",  # days since the first meeting: how much the observed pace weighs against the expected
    "pace_prior",  # expected pace, utility per 7 days, and its weight in days of observation
    "prior_days",
    "conceded_to_me",  # largest rise, first to best offer, of any single other party (0 for rules)
    "proposing",  # it proposes now (strategies whose ask depends on the role read it)
    "interval",  # days to the next meeting (the time a refusal costs)
])


def elementwise(fn, otype, *args) -> np.ndarray:
    """A compiled scalar function applied with numpy broadcasting (tests and diagnostics apply
    the strategies and rules to arrays this way).  Compiled code may evaluate both sides of a
    branch, so floating-point flags raised by values it then discards (say b / rate with
    rate = 0) are silenced."""
    with np.errstate(all="ignore"):
        return np.vectorize(fn, otypes=[otype])(*args)
