"""Cross-check analysis/cooke.py against anduryl 1.2.2 (Cooke's classical model), by hand, outside CI.

anduryl is GPL-licensed and needs PyQt5, so it is never a dependency: install it in a venv of its
own (it needs pydantic 1 and numpy 1) and point ANDURYL_PYTHON at that venv's python:

    python3 -m venv /tmp/anduryl-venv
    /tmp/anduryl-venv/bin/pip install anduryl==1.2.2 "pydantic<2" "numpy<2" matplotlib
    ANDURYL_PYTHON=/tmp/anduryl-venv/bin/python .venv/bin/python scripts/crosscheck_cooke_anduryl.py \\
        [TABLE.csv [SCENARIO.toml]]

It feeds the table's seed questions to both (global weights, 10% overshoot, optimised alpha) and
prints each one's calibration and information per expert, alpha, and the decision maker's
quantiles and scores, with the largest difference.
"""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np

from analysis import cooke
from analysis.elicitation import expert_weights
from analysis.elicitation_table import read_table
from sim.scenario import load_scenario

ANDURYL = """
import json, os, sys
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from anduryl.core import calculate
from anduryl.core.main import Project
p = Project()
p.io.load_json(sys.argv[1])
dm, _, alpha = calculate.decision_maker(experts=p.experts, items=p.items, assessments=p.assessments,
                                        weight_type="global", alpha=None, overshoot=0.1, calpower=1.0)
p.calculate_decision_maker(weight_type="global", overshoot=0.1, exp_id="DM", alpha=None)
n = len(p.experts.ids) - 1
print(json.dumps({"calibration": list(p.experts.calibration[:n]), "information": list(p.experts.info_real[:n]),
                  "alpha": alpha, "dm_quantiles": dm[:, 1:-1].tolist(), "dm_calibration": p.experts.calibration[n],
                  "dm_information": p.experts.info_real[n]}))
"""


def main(table_path: str, scenario_path: str) -> None:
    table = read_table(table_path, load_scenario(scenario_path))
    seeds = list(dict.fromkeys(j.key for j in table.seeds))
    by = {(j.expert, j.key): j for j in table.seeds}
    first = table.experts[0]
    q = np.array([[by[e, s].stated for s in seeds] for e in table.experts])
    r = np.array([by[first, s].realisation for s in seeds])
    log = np.array([by[first, s].log for s in seeds])
    _, _, model = expert_weights(table, "cooke")
    ranges = cooke.scores(q, r, log)[2]
    ours = {"calibration": model.calibration.tolist(), "information": model.information.tolist(), "alpha": model.alpha,
            "dm_quantiles": cooke.pooled_quantiles(q, model.weights, ranges, log).tolist(),
            "dm_calibration": model.dm_calibration, "dm_information": model.dm_information}
    project = {"version": "1.2.1", "experts": {e: {"name": e} for e in table.experts},
               "items": {s: {"realization": float(r[i]), "scale": "log" if log[i] else "uni", "quantiles": [0.05, 0.5, 0.95]}
                         for i, s in enumerate(seeds)},
               "assessments": {e: {s: list(by[e, s].stated) for s in seeds} for e in table.experts}}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(project, f)
    out = subprocess.run([os.environ["ANDURYL_PYTHON"], "-c", ANDURYL, f.name], capture_output=True, text=True, check=True)
    theirs = json.loads(out.stdout.strip().splitlines()[-1])
    worst = 0.0
    for k in ours:
        a, b = np.asarray(ours[k], float), np.asarray(theirs[k], float)
        worst = max(worst, float(np.max(np.abs(a - b))))
        print(f"{k:<15} negsim {np.round(a, 6).tolist()}\n{'':<15} anduryl {np.round(b, 6).tolist()}")
    print(f"largest difference: {worst:.2e}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/elicitation_invented.csv",
         sys.argv[2] if len(sys.argv) > 2 else "scenarios/accession_excluded.toml")
