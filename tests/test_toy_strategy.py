"""The checklist of docs/model.md 3.10, followed: a strategy with one new parameter touches four
files (codes.py, kernel.py, strategies.py, schema.py) and then works end to end: a scenario
file names it and sets its parameter, the loader checks it, the draws carry it and the compiled
kernel plays it.  The edits are made to a copy of the package in a temporary folder."""

from __future__ import annotations

import filecmp
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The toy strategy "flat": ask the reservation value plus a share delta of the way to the best
# package, at every meeting.  Each edit: (file, anchor, text put after the anchor).
EDITS = [
    ("codes.py", "TIME_DEPENDENT, RESPONSIVE, EQUILIBRIUM = 1, 2, 3  # concession strategies (strategies.py)\n",
     "FLAT = 5\n"),
    ("codes.py", 'STRATEGY_PARAMS = ("beta", "kappa", "gamma", "partner_patience", "parties"', ', "delta"'),
    ("kernel.py", "TIME_DEPENDENT, RESPONSIVE, EQUILIBRIUM = 1, 2, 3\n", "FLAT = 5\n"),
    ("kernel.py", "BETA, KAPPA, GAMMA, PARTNER, PARTIES = 0, 1, 2, 3, 4", "; DELTA = 5"),
    ("kernel.py", 'if tuple(codes.STRATEGY_PARAMS) != ("beta", "kappa", "gamma", "partner_patience", "parties"',
     ', "delta"'),
    ("kernel.py", "    if code == EQUILIBRIUM:\n        return equilibrium(lk, theta)\n",
     "    if code == FLAT:\n        return flat(lk, theta)\n"),
    ("kernel.py", "                      EQUILIBRIUM: equilibrium", ", FLAT: flat"),
    ("kernel.py", "STRATEGY_FUNCTIONS = {",
     "@_helper\ndef flat(lk, theta):\n    return lk.reservation + theta[DELTA] * (lk.best_possible - lk.reservation)\n\n\n",
     "before"),
    ("strategies.py", "from .codes import BARON_FEREJOHN, EQUILIBRIUM, RESPONSIVE, STRATEGY_PARAMS, TIME_DEPENDENT",
     "\nfrom .codes import FLAT"),
    ("strategies.py", "    parties: np.ndarray\n", "    delta: np.ndarray\n"),
    ("strategies.py", "STRATEGIES: dict[str, type] = {cls.name: cls for cls in (TimeDependent, Responsive, Equilibrium",
     ", Flat"),
    ("strategies.py", "STRATEGIES: dict[str, type]",
     'class Flat:\n    name = "flat"\n    code = FLAT\n    classifier = {"reacts_to_others": False, "parameters": ("delta",)}\n\n'
     "    def aspiration(self, view):\n        return _aspirations(self.code, view)\n\n\n", "before"),
    ("schema.py", '    Field("actors.*.strategy.source", "source", SOURCE_DOC),\n',
     '    Field("actors.*.strategy.delta", "drawn", "flat: share of the way from the outside option to the best '
     'package", "share", 0.5, 0.0, 1.0),\n', "before"),
]


def _apply(package: Path) -> None:
    for name, anchor, text, *where in EDITS:
        path = package / name
        src = path.read_text()
        assert src.count(anchor) == 1, f"{name}: the checklist's anchor moved: {anchor!r}"
        src = src.replace(anchor, text + anchor if where == ["before"] else anchor + text)
        path.write_text(src)


SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    import sim
    assert sim.__file__.startswith(sys.argv[1]), sim.__file__
    from sim.engine import Compiled, params_for_runs, play
    from sim.scenario import load_scenario
    from sim.strategies import STRATEGIES

    sc = load_scenario(sys.argv[2])
    comp = Compiled.from_scenario(sc)
    p = params_for_runs(comp, 1, 0, 4)
    out, utility, trace = play(comp.layout, p, trace=True)
    print("flat" in STRATEGIES, *trace["aspiration"][:, 0, 0])
""")


def test_a_strategy_with_one_parameter_takes_four_files(tmp_path):
    shutil.copytree(ROOT / "sim", tmp_path / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    _apply(tmp_path / "sim")
    changed = [f for f in sorted((ROOT / "sim").glob("*.py"))
               if not filecmp.cmp(f, tmp_path / "sim" / f.name, shallow=False)]
    assert [f.name for f in changed] == ["codes.py", "kernel.py", "schema.py", "strategies.py"]
    # a: outside option 0.2, best package worth 1 (its ideal is reachable), delta 0.25: it asks
    # 0.2 + 0.25 (1 - 0.2) = 0.4 at the first meeting, whatever the run
    scenario = tmp_path / "scenarios" / "toy_flat.toml"
    scenario.write_text(textwrap.dedent("""
        [meta]
        name = "toy_flat"
        [protocol]
        round_days = 7
        horizon_days = 70
        source = "judgement [negsim-calibration]: a test fixture"
        [instruments.deal]
        signatories = ["a", "b"]
        [clauses.x]
        instruments = ["deal"]
        [actors.a]
        outside_option = 0.2
        deadline_days = 70
        strategy = { kind = "flat", delta = 0.25 }
        clauses = { x = { ideal = 1.0, salience = 1.0 } }
        source = "judgement [negsim-calibration]: a test fixture"
        [actors.b]
        outside_option = 0.1
        deadline_days = 70
        clauses = { x = { ideal = 0.0, salience = 1.0 } }
        source = "judgement [negsim-calibration]: a test fixture"
    """))
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path), str(scenario)], capture_output=True,
                          text=True, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    words = done.stdout.split()
    assert words[0] == "True"
    assert [float(x) for x in words[1:]] == pytest.approx([0.4] * 4, abs=1e-12)
