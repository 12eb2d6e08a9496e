"""A scenario's dated events (scenario.Event) as arrays over its meetings: what the rules read.

Caps and red lines change what may be offered and accepted, so they cut the talks into epochs:
epoch 0 runs until the first day a cap or red-line event takes effect, epoch 1 until the next
such day, and so on; a meeting belongs to the epoch of its day.  Each epoch's caps and red
lines are cumulative (an event holds until a later one on the same clause replaces it).
Outside-option shifts add up over the meetings on or after their days.  Offers are tabled at
the meeting on their day, in the order the scenario lists them.

Nothing here is random: per-run quantities that depend on an epoch (red lines clipped to the
run's ideal, each actor's best package) are drawn in params.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .scenario import Scenario


@dataclass(frozen=True, eq=False)
class EventArrays:
    change_days: np.ndarray  # (E - 1,) days on which a cap or red line changes, increasing
    epoch_of: np.ndarray  # (H,) each meeting's epoch
    caps: np.ndarray  # (E, C) the cap an event set, NaN: the agenda's (or a sweep's)
    above: np.ndarray  # (E, A, C) red_line.above an event set, NaN: the drawn one
    below: np.ndarray  # (E, A, C)
    shift: np.ndarray  # (H, A) added to each actor's outside option at each meeting
    offer_by: np.ndarray  # (H, K) who tables an offer at each meeting, -1 padded (K >= 1)
    offer_package: np.ndarray  # (H, K, C) the package tabled
    offer_given: np.ndarray  # (H, K) bool: a package was given (else the party tables its own offer)
    offer_with: np.ndarray  # (H, K, A) bool: the offer's co-sponsors (they accept it within their red lines)

    @property
    def n_epochs(self) -> int:
        return self.caps.shape[0]


def event_arrays(sc: Scenario, days: np.ndarray, actors: tuple[str, ...], clauses: tuple[str, ...]) -> EventArrays:
    a_ix, c_ix = {a: i for i, a in enumerate(actors)}, {c: i for i, c in enumerate(clauses)}
    h, n_a, n_c = len(days), len(actors), len(clauses)
    changing = [e for e in sc.events if e.kind in ("cap", "red_line")]
    change_days = np.unique([e.day for e in changing]) if changing else np.zeros(0)
    n_e = len(change_days) + 1
    caps, above, below = np.full((n_e, n_c), np.nan), np.full((n_e, n_a, n_c), np.nan), np.full((n_e, n_a, n_c), np.nan)
    for k in range(1, n_e):
        caps[k], above[k], below[k] = caps[k - 1], above[k - 1], below[k - 1]
        for e in changing:
            if e.day != change_days[k - 1]:
                continue
            c = c_ix[e.clause]
            if e.kind == "cap":
                caps[k, c] = e.cap
            else:
                if e.above is not None:
                    above[k, a_ix[e.actor], c] = e.above
                if e.below is not None:
                    below[k, a_ix[e.actor], c] = e.below
    shift = np.zeros((h, n_a))
    for e in sc.events:
        if e.kind == "outside_option":
            shift[days >= e.day - 1e-9, a_ix[e.actor]] += e.shift
    offers = [e for e in sc.events if e.kind == "offer"]
    per_meeting = [[e for e in offers if abs(e.day - d) < 1e-9] for d in days]
    k_max = max([len(x) for x in per_meeting] + [1])
    offer_by = np.full((h, k_max), -1, dtype=np.int64)
    offer_package = np.zeros((h, k_max, n_c))
    offer_given = np.zeros((h, k_max), dtype=bool)
    offer_with = np.zeros((h, k_max, n_a), dtype=bool)
    for t, here in enumerate(per_meeting):
        for k, e in enumerate(here):
            offer_by[t, k] = a_ix[e.actor]
            for other in e.with_:
                offer_with[t, k, a_ix[other]] = True
            if e.package is not None:
                offer_given[t, k] = True
                for cid, v in e.package:
                    offer_package[t, k, c_ix[cid]] = v
    epoch_of = np.searchsorted(change_days, days + 1e-9, side="right").astype(np.int64)
    return EventArrays(change_days, epoch_of, caps, above, below, shift, offer_by, offer_package, offer_given,
                       offer_with)
