"""The checklist of docs/model.md 3.10, followed: a strategy with one new parameter is a row of
the schema's strategy registry, a row of its field table and one compiled function with its
branch in the dispatch: two source files, and this test makes three.  It then works end to end
(a scenario file names it and sets its parameter, the loader checks it, the draws carry it, the
compiled kernel plays it), and the shared contract and kernel tests cover it with no edit.  The
edits are made to a copy of the packages in a temporary folder."""

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
# package, at every meeting.  Each edit: (file, anchor, text put after the anchor, or "before").
EDITS = [
    ("sim/schema.py", ")\nWALKOUT_RULES = _registry(",
     '    Part("flat", "the outside option plus a share delta of the way to the best package", ("delta",)),\n',
     "before"),
    ("sim/schema.py", '    Field("actors.*.strategy.source", "source", SOURCE_DOC),\n',
     '    Field("actors.*.strategy.delta", "drawn", "flat: share of the way from the outside option to the best '
     'package", "share", 0.5, 0.0, 1.0),\n', "before"),
    ("sim/kernel/strategies.py", 'PARTNER, PARTIES = STRATEGY_PARAMS.index("partner_patience"), STRATEGY_PARAMS.index("parties")\n',
     'FLAT, DELTA = code(STRATEGIES, "flat"), STRATEGY_PARAMS.index("delta")\n'),
    ("sim/kernel/strategies.py", "@helper\ndef aspiration(",
     "@helper\ndef flat(lk, theta):\n"
     "    return max(lk.reservation, lk.reservation + theta[DELTA] * (lk.best_possible - lk.reservation))\n\n\n",
     "before"),
    ("sim/kernel/strategies.py", "        return baron_ferejohn(lk, theta)\n",
     "    if code == FLAT:\n        return flat(lk, theta)\n"),
    ("sim/kernel/strategies.py", "BARON_FEREJOHN: baron_ferejohn", ", FLAT: flat"),
]


def _apply(root: Path) -> None:
    for name, anchor, text, *where in EDITS:
        path = root / name
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
    from sim.schema import STRATEGIES

    sc = load_scenario(sys.argv[2])
    comp = Compiled.from_scenario(sc)
    p = params_for_runs(comp, 1, 0, 4)
    out, utility, trace = play(comp.layout, p, trace=True)
    print("flat" in STRATEGIES, *trace["aspiration"][:, 0, 0])
""")


def test_a_strategy_with_one_parameter_takes_three_files(tmp_path):
    for package in ("sim", "storage", "analysis", "experiments", "tests"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    _apply(tmp_path)
    changed = [f.relative_to(ROOT).as_posix() for f in sorted((ROOT / "sim").rglob("*.py"))
               if not filecmp.cmp(f, tmp_path / f.relative_to(ROOT), shallow=False)]
    assert changed == ["sim/kernel/strategies.py", "sim/schema.py"]
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
    # the shared contract and kernel tests, unedited, now cover "flat" too, and pass
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_contracts.py",
                            "tests/test_kernel.py", "-k", "flat or registries or dispatch or wider_row", "-rA"],
                           capture_output=True, text=True, cwd=tmp_path, timeout=900)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert "TestStrategyContract::test_aspiration_between_reservation_and_best_possible[flat]" in tests.stdout
