"""When two sets of runs share their draws, and the difference B - A that follows from it.

Every experiment runs its scenarios on common random numbers: run i takes row i of the root
seed's uniforms (sim/seeding.py), so run i of A and run i of B face the same draws, and their
difference is estimated far more tightly run by run (a paired interval) than as two independent
samples.  They share draws only if the root seed is the same, the runs are the same, and each
run needs as many random numbers in both (the same actors, clauses and meeting count; docs/model.md
section 6): otherwise the rows are cut from the stream at other places and nothing pairs, so the
difference gets the interval for independent samples and says why.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .metrics import hits
from .stats import PAIRED, UNPAIRED, Estimate, median_difference, paired_mean_difference, \
    paired_proportion_difference, proportion_difference


@dataclass(frozen=True, eq=False)
class Draws:
    """What fixes the random numbers behind a set of runs."""

    root_seed: int
    uniforms: int  # random numbers per run (DrawPlan.n_uniforms)
    runs: np.ndarray  # run ids, in table order


def draws_of(comp, root_seed: int, runs) -> Draws:
    """The draws behind runs `runs` of a compiled scenario (sim.engine.Compiled) under a root seed."""
    return Draws(int(root_seed), int(comp.plan.n_uniforms), np.asarray(runs, dtype=np.int64))


def not_paired_because(a: Draws, b: Draws) -> str | None:
    """None if run i of A and run i of B share their draws; else the reason, in words."""
    if a.root_seed != b.root_seed:
        return f"the root seeds differ ({a.root_seed} and {b.root_seed})"
    if a.uniforms != b.uniforms:
        return (f"each run needs {a.uniforms} random numbers in one and {b.uniforms} in the other (other actors, "
                "clauses or meetings, or a number drawn in one and fixed in the other), so the same run id draws "
                "other numbers")
    if len(a.runs) != len(b.runs) or not np.array_equal(np.sort(a.runs), np.sort(b.runs)):
        return "the two tables do not hold the same runs"
    return None


@dataclass(frozen=True)
class Difference:
    """B - A with its interval, the method that gave it, and why it is unpaired if it is."""

    estimate: Estimate
    method: str
    unpaired_because: str | None = None

    @property
    def paired(self) -> bool:
        return self.unpaired_because is None


class Pairing:
    """Differences B - A between two sets of runs: paired by run id when they share draws (after
    checking it), else as independent samples.  a_order/b_order put both tables in run order."""

    def __init__(self, a: Draws, b: Draws):
        self.because = not_paired_because(a, b)
        self.a_order, self.b_order = np.argsort(a.runs, kind="stable"), np.argsort(b.runs, kind="stable")

    @property
    def paired(self) -> bool:
        return self.because is None

    @property
    def method(self) -> str:
        return PAIRED if self.paired else UNPAIRED

    def note(self) -> str:
        """One line for the output: which interval, and why unpaired if it is."""
        if self.paired:
            return f"differences: {PAIRED}, run i against run i (the same draws)"
        return f"differences: {UNPAIRED}, not paired: {self.because}"

    def proportion(self, hits_a, hits_b) -> Difference:
        """B - A in the share of runs where a 0/1 outcome holds (arrays in table order)."""
        ha, hb = np.asarray(hits_a, bool), np.asarray(hits_b, bool)
        if self.paired:
            return Difference(paired_proportion_difference(ha[self.a_order], hb[self.b_order]), PAIRED)
        return Difference(proportion_difference(int(ha.sum()), ha.size, int(hb.sum()), hb.size), UNPAIRED,
                          self.because)

    def mean(self, values_a, values_b) -> Difference | None:
        """B - A in a mean over runs, paired; None when the runs do not pair (the caller's
        unpaired method, e.g. a bootstrap, applies)."""
        if not self.paired:
            return None
        va, vb = np.asarray(values_a, float), np.asarray(values_b, float)
        return Difference(paired_mean_difference(va[self.a_order], vb[self.b_order]),
                          "mean of per-run differences, normal interval (paired)")


def unpaired(reason: str) -> Pairing:
    """A Pairing that never pairs, for runs whose draws are not known to match."""
    p = Pairing(Draws(0, 0, np.zeros(0, np.int64)), Draws(0, 0, np.zeros(0, np.int64)))
    p.because = reason
    return p


def differences(a, b, names, seed: int, pairing: Pairing) -> dict[str, Difference]:
    """B - A for every share in `names` (analysis.metrics) by the horizon, and the median number
    of rounds (percentile bootstrap, seeded: a median does not pair run by run)."""
    oa, wa, ob, wb = (t[c].to_numpy() for t in (a, b) for c in ("outcome", "walkout_by"))
    out = {m: pairing.proportion(hits(m, oa, wa), hits(m, ob, wb)) for m in names}
    out["median rounds"] = Difference(median_difference(a["rounds"].to_numpy(), b["rounds"].to_numpy(), seed),
                                      "percentile bootstrap (999 resamples), unpaired")
    return out
