"""What the report computes from the scenarios' draws, before any HTML is written: whether the
first two results files share their draws (analysis.pairing), whether no package anyone could
sign changes between them (analysis.signable), and the zones of agreement of the first runs'
draws (analysis.theory_draws).  Rendering (analysis.report) only reads this."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from sim.engine import Compiled

from . import outcomes as oc
from .pairing import Draws, Pairing, unpaired
from .signable import same_signable_packages
from .theory_draws import zones_over_draws

THEORY_DRAWS = 200  # draws the report tests for a zone of agreement (about 2 s per 100)


@dataclass(frozen=True)
class Drawn:
    """One results file's first k runs set against the zones of their own draws."""

    zones: object  # analysis.theory_draws.DrawnZones
    outcome: np.ndarray  # the same runs' endings, in run order
    days: np.ndarray
    root_seed: int


@dataclass(frozen=True)
class ReportData:
    pairing: Pairing | None = None  # between the first two results files
    why: str | None = None  # analysis.signable's line, when no signable package changes between them
    drawn: dict[str, Drawn] = field(default_factory=dict)  # by scenario name


def draws_of_result(r: oc.Result) -> Draws:
    """The draws behind a results file: its root seed, its runs, and the random numbers each run
    needed under the scenario it stores."""
    comp = Compiled.from_scenario(oc.scenario_of(r.meta))
    return Draws(int(r.meta["root_seed"]), int(comp.plan.n_uniforms), r.runs["run"].to_numpy())


def pairing_of(a: oc.Result, b: oc.Result) -> Pairing:
    if "root_seed" not in a.meta or "root_seed" not in b.meta or "run" not in a.runs or "run" not in b.runs:
        return unpaired("a results file does not say which runs it holds")
    return Pairing(draws_of_result(a), draws_of_result(b))


def _drawn(r: oc.Result) -> Drawn | None:
    runs = r.runs.sort_values("run")
    k = min(THEORY_DRAWS, int((runs["run"].to_numpy() == np.arange(len(runs))).cumprod().sum()))
    if k == 0:
        return None
    z = zones_over_draws(oc.scenario_of(r.meta), k, int(r.meta["root_seed"]))
    head = runs.iloc[:k]
    return Drawn(z, head["outcome"].astype(str).to_numpy(), head["days"].to_numpy(dtype=float), int(r.meta["root_seed"]))


def prepare(results: Sequence[oc.Result], theory: bool = True) -> ReportData:
    """Everything the report reads from the scenarios' draws (module doc)."""
    pairing = why = None
    if len(results) > 1:
        a, b = results[0], results[1]
        pairing = pairing_of(a, b)
        if pairing.paired:
            same = same_signable_packages(oc.scenario_of(a.meta), oc.scenario_of(b.meta), int(a.meta["root_seed"]))
            why = same.line(a.name, b.name) if same else None
    drawn = {}
    if theory:
        for r in results:
            d = _drawn(r)
            if d is not None:
                drawn[r.name] = d
    return ReportData(pairing, why, drawn)
