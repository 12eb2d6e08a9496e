"""From the expected-utility forecast to the mission's question: is the forecast package a deal
every party at the table could sign?

Deal-compatible: the package (each clause's forecast; clauses off the table at 0, caps applied)
crosses no red line of any party at the table, and gives each of them at least its outside
option on day 0 (its drawn outside option before any growth: the forecast is a settlement
without a date). Otherwise the verdict names the first party, in scenario order, that could not
sign, why (a red line, checked before the outside option) and the clause: the red line crossed
furthest, or for the outside option the clause that costs the party most.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from ..layout import Layout
from ..params import RunParams
from ..preferences import utilities

TOLERANCE = 1e-12  # as the vote in the agent-based model: a package worth its target within rounding


class Reason(IntEnum):
    COMPATIBLE = 0
    RED_LINE = 1
    OUTSIDE_OPTION = 2


@dataclass(frozen=True, eq=False)
class Verdict:
    compatible: np.ndarray  # (R,) bool
    reason: np.ndarray  # (R,) Reason
    party: np.ndarray  # (R,) actor index of the first party that could not sign, -1 if none
    clause: np.ndarray  # (R,) clause index behind it, -1 if none
    utility: np.ndarray  # (R, A) each actor's effective utility of the package

    def __len__(self) -> int:
        return len(self.compatible)

    def labels(self, lay: Layout) -> list[str]:
        """Per run: "" if compatible, else e.g. "us: red line on us.5b"."""
        what = {Reason.RED_LINE: "red line on", Reason.OUTSIDE_OPTION: "outside option, most costly clause"}
        return ["" if r == Reason.COMPATIBLE else f"{lay.actors[a]}: {what[Reason(r)]} {lay.clauses[c]}"
                for r, a, c in zip(self.reason, self.party, self.clause)]


def judge(lay: Layout, p: RunParams, package: np.ndarray) -> Verdict:
    """The verdict on an (R, C) package for every run."""
    r_n = package.shape[0]
    x = package[:, None, :]
    over = np.maximum(x - p.above, 0.0) + np.maximum(p.below - x, 0.0)  # (R, A, C) how far past a red line
    crossed = over > TOLERANCE
    u = utilities(package, p.ideal, p.salience, lay.mixing, p.loss_aversion, p.reference_gap, p.reference_scale)
    short = u < p.outside_option - TOLERANCE
    # what each clause costs each actor in effective utility (the mixing's weighted losses)
    loss = np.einsum("ak,rkc->rac", lay.mixing, p.salience * np.abs(x - p.ideal))

    reason = np.full(r_n, Reason.COMPATIBLE, dtype=np.int8)
    party = np.full(r_n, -1, dtype=np.int64)
    clause = np.full(r_n, -1, dtype=np.int64)
    for a in np.flatnonzero(lay.required)[::-1]:  # the first party in scenario order has the last word
        red = crossed[:, a].any(axis=1)
        out = short[:, a] & ~red
        reason = np.where(red, Reason.RED_LINE, np.where(out, Reason.OUTSIDE_OPTION, reason))
        party = np.where(red | out, a, party)
        clause = np.where(red, np.argmax(over[:, a], axis=1), np.where(out, np.argmax(loss[:, a], axis=1), clause))
    return Verdict(compatible=reason == Reason.COMPATIBLE, reason=reason, party=party, clause=clause, utility=u)


def within_red_lines(lay: Layout, p: RunParams, package: np.ndarray) -> np.ndarray:
    """(R, C) the package with each clause held inside the interval the red lines of the parties
    at the table leave: a diagnostic (the model itself knows no red lines), to tell a forecast
    that overshoots a red line from one that gives a party too little."""
    table = lay.required
    return np.clip(package, p.below[:, table].max(axis=1), p.above[:, table].min(axis=1))
