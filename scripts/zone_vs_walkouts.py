"""Where simulation and theory part (docs/model.md, section 4): on the same draws, is a run's
zone of agreement still open on the day it ends in a walkout, and which rule fired?

    .venv/bin/python scripts/zone_vs_walkouts.py [N_RUNS]
"""

import sys

import numpy as np

from analysis.theory_draws import zones_against_runs, zones_over_draws
from sim.codes import IMPATIENCE
from experiments.runner import run
from sim.engine import Compiled
from sim.protocol import AGREEMENT, WALKOUT
from sim.scenario import load_scenario
from analysis.study import DEFAULT_SEED


def main(n: int) -> None:
    for name in ("full_agenda", "accession_excluded"):
        sc = load_scenario(f"scenarios/{name}.toml")
        b = run(sc, n, DEFAULT_SEED)
        z = zones_over_draws(sc, n, DEFAULT_SEED)
        day = Compiled.from_scenario(sc).layout.days[np.maximum(b.rounds, 1) - 1]
        outcome = np.where(b.outcome == AGREEMENT, "agreement", np.where(b.outcome == WALKOUT, "walkout", "ongoing"))
        c = zones_against_runs(z, outcome, day)
        impatience = (b.walkout_rule[b.outcome == WALKOUT] == IMPATIENCE).sum()
        print(f"{name}, runs 0-{n - 1} of seed {DEFAULT_SEED}: {c['walkouts']} walkouts; {c['walkouts_zone_open']} "
              f"with the run's zone still open that day, {c['walkouts_no_zone']} with no zone on day 0, "
              f"{c['walkouts_zone_closed']} after it closed; {impatience} by the impatience rule")

if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
