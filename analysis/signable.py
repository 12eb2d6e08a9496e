"""Is a difference between two scenarios forced by construction?  The packages anyone could sign.

A package can be agreed only if it lies inside the agenda (each clause at most its cap, 0 when
off the table) and inside the red lines of every party at the table.  Per draw that set is a box,
clause by clause: from the highest red line below to the lowest red line above or the cap.  If,
in every draw of the runs compared, the box is the same in A and B (or empty in both), then no
package anyone could sign changes between them: whatever differs in the runs comes from how the
parties bargain (what they table, expect and walk out over), not from what can be agreed.  The
headline is such a case: the US's and NATO's red lines already hold accession at 0, so taking it
off the table changes no box.

The check reads the draws through sim (the runs' own draws, by root seed and run), so it holds
only between scenarios on the same draws (analysis.pairing) with the same actors and clauses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine import Compiled, params_for_runs

TOL = 1e-12
CHECK_DRAWS = 2000  # draws looked at (runs 0..n-1); about 0.1 s per scenario


@dataclass(frozen=True)
class SameBoxes:
    """The verdict: in every one of `draws` draws, the signable packages are the same in A and B."""

    draws: int
    changed: tuple[str, ...]  # clauses whose agenda differs between A and B
    held_by: dict[str, tuple[float, tuple[str, ...]]]  # per changed clause: the tighter agenda's cap, and the
    #                                                     parties whose red lines hold it there in every draw
    empty: int  # draws where no package at all can be signed (in both)

    def line(self, a: str, b: str) -> str:
        """One line of why, for the output next to the number."""
        held = [f"{c} at {cap:g} ({', '.join(who)})" for c, (cap, who) in self.held_by.items() if who]
        lead = (f"{', '.join(self.changed)} differ on the agenda, but the red lines of the parties at the table "
                f"already hold {', '.join(held)}, so " if held else
                f"{', '.join(self.changed)} differ on the agenda, but " if self.changed else "")
        none = f" (in {self.empty:,} of them no package can be signed at all)" if self.empty else ""
        return (f"By construction: {lead}in every one of {self.draws:,} draws the packages every party at the table "
                f"could sign are the same with {a} and with {b}{none}; what differs comes from the bargaining "
                "(what is tabled, expected and walked out over), not from what can be agreed.")


def _boxes(p, required: np.ndarray, above, below, upper) -> tuple[np.ndarray, np.ndarray]:
    low = below[:, required].max(axis=1)
    high = np.minimum(above[:, required].min(axis=1), upper)
    return low, high


def _epochs(p, required):
    """(low, high) per epoch of dated events: the first, then each later one."""
    out = [_boxes(p, required, p.above, p.below, p.upper)]
    for e in range(p.later_above.shape[1]):
        out.append(_boxes(p, required, p.later_above[:, e], p.later_below[:, e], p.later_upper[:, e]))
    return out


def same_signable_packages(sc_a, sc_b, root_seed: int, n_draws: int = CHECK_DRAWS) -> SameBoxes | None:
    """SameBoxes if, in each of the first `n_draws` draws under `root_seed`, the packages every
    party at the table could sign are the same in scenario A and B; None if they differ in some
    draw, or the two do not share draws (other actors, clauses or random numbers per run)."""
    ca, cb = Compiled.from_scenario(sc_a), Compiled.from_scenario(sc_b)
    la, lb = ca.layout, cb.layout
    if (la.actors, la.clauses) != (lb.actors, lb.clauses) or ca.plan.n_uniforms != cb.plan.n_uniforms \
            or not np.array_equal(la.required, lb.required):
        return None
    pa, pb = params_for_runs(ca, root_seed, 0, n_draws), params_for_runs(cb, root_seed, 0, n_draws)
    ea, eb = _epochs(pa, la.required), _epochs(pb, lb.required)
    if len(ea) != len(eb):
        return None
    empty_all = np.zeros(n_draws, bool)
    for (lo_a, hi_a), (lo_b, hi_b) in zip(ea, eb):
        empty_a, empty_b = (lo_a > hi_a + TOL).any(axis=1), (lo_b > hi_b + TOL).any(axis=1)
        same = (np.abs(lo_a - lo_b) <= TOL) & (np.abs(hi_a - hi_b) <= TOL)
        if not np.array_equal(empty_a, empty_b) or not (same.all(axis=1) | empty_a).all():
            return None
        empty_all |= empty_a
    changed = tuple(c for j, c in enumerate(la.clauses) if abs(ca.plan.upper[j] - cb.plan.upper[j]) > TOL)
    held = {}
    for c in changed:
        j = la.clauses.index(c)
        cap = min(ca.plan.upper[j], cb.plan.upper[j])  # what the tighter agenda allows
        p, lay = (pa, la) if ca.plan.upper[j] > cb.plan.upper[j] else (pb, lb)
        binding = [a for k, a in enumerate(lay.actors) if lay.required[k] and (p.above[:, k, j] <= cap + TOL).all()]
        held[c] = (float(cap), tuple(binding))
    return SameBoxes(n_draws, changed, held, int(empty_all.sum()))
