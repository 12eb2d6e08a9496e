"""The answer to the study's question in words, written once: `compare`, `./study` and the report
print this sentence.  It names its horizon, the interval's method (paired or not) and, when no
package anyone could sign changes between the scenarios, says so next to the number
(analysis.signable)."""

from __future__ import annotations

from dataclasses import dataclass

from .metrics import PERSIST, hits
from .pairing import Difference, Pairing
from .stats import Estimate, proportion


@dataclass(frozen=True)
class Answer:
    a: str
    b: str
    horizon: float
    persist: tuple[Estimate, Estimate, Difference]  # A, B, B - A by the horizon
    agreement: tuple[Estimate, Estimate, Difference]
    why: str | None = None  # a line from analysis.signable, if the difference is forced by construction

    def text(self) -> str:
        (pa, pb, dp), (ga, gb, dg) = self.persist, self.agreement
        d = dp.estimate
        direction = "more" if d.low > 0 else "less" if d.high < 0 else "neither more nor less"
        how = "paired: the same runs in both" if dp.paired else f"unpaired: {dp.unpaired_because}"
        out = (f"Answer (by day {self.horizon:g}, the horizon): with {self.b}, the talks persist (no party at the "
               f"table walks out) in {pb.fmt()} of runs against {pa.fmt()} with {self.a}: {direction} often "
               f"({signed(d)}, {how}). A deal forms in {gb.fmt()} against {ga.fmt()} ({signed(dg.estimate)}). "
               "Intervals cover Monte Carlo noise only, not other structural choices of the model.")
        return out + (f"\nWhy: {self.why}" if self.why else "")


def signed(e: Estimate) -> str:
    """A difference of shares in percentage points: '+0.4 pp [-0.9, +1.7]'."""
    return e.fmt(signed=True).replace("%", " pp", 1)


def answer(a: str, b: str, runs_a, runs_b, pairing: Pairing, horizon: float, why: str | None = None) -> Answer:
    """The answer for two run tables (columns outcome, walkout_by, days), B against A."""
    def three(name: str):
        ha = hits(name, runs_a["outcome"].to_numpy(), days=runs_a["days"].to_numpy(), day=horizon)
        hb = hits(name, runs_b["outcome"].to_numpy(), days=runs_b["days"].to_numpy(), day=horizon)
        return proportion(int(ha.sum()), ha.size), proportion(int(hb.sum()), hb.size), pairing.proportion(ha, hb)

    return Answer(a, b, horizon, three(PERSIST), three("agreement"), why)
