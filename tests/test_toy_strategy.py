"""The checklist of docs/model.md 3.10, followed: a strategy with one new parameter is a row of
the schema's strategy registry, a row of its field table and one compiled function with its
branch in the dispatch.  That is two source files (sim/schema.py, sim/kernel/strategies.py); the
field reference docs/fields.md is then regenerated (`python -m sim.schema`), and this test makes
the fourth file.  Nothing else changes: the explorer's sliders, the loader's checks, the draws and
the shared test fixtures all come from the schema and the registries.  The edits are made to a
copy of the project in a temporary folder; there the new strategy works end to end (a scenario
file names it and sets its parameter, the loader checks it, the draws carry it, the compiled
kernel plays it, the explorer shows its slider), and the schema tests, the explorer's settings
test and the whole contract and kernel tests pass with no edit."""

from __future__ import annotations

import filecmp
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("sim", "storage", "analysis", "experiments", "explorer", "tests", "scenarios", "docs")

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
    from explorer.settings import STRATEGY_SLIDERS
    print("flat" in STRATEGIES, "delta" in STRATEGY_SLIDERS, *trace["aspiration"][:, 0, 0])
""")


def test_a_strategy_with_one_parameter_takes_four_files(tmp_path):
    for folder in COPIED:
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    _apply(tmp_path)
    reference = subprocess.run([sys.executable, "-m", "sim.schema"], capture_output=True, text=True, cwd=tmp_path,
                               timeout=300)
    assert reference.returncode == 0, reference.stderr[-2000:]
    (tmp_path / "docs" / "fields.md").write_text(reference.stdout)
    changed = sorted(f.relative_to(ROOT).as_posix() for folder in COPIED for f in (ROOT / folder).rglob("*")
                     if f.is_file() and "__pycache__" not in f.parts
                     and not filecmp.cmp(f, tmp_path / f.relative_to(ROOT), shallow=False))
    assert changed == ["docs/fields.md", "sim/kernel/strategies.py", "sim/schema.py"]  # and this test: four
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
    assert words[:2] == ["True", "True"]  # the registry has it, and the explorer shows its slider
    assert [float(x) for x in words[2:]] == pytest.approx([0.4] * 4, abs=1e-12)
    # the shared tests, unedited, now cover "flat" too, and pass
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA",
                            "tests/test_schema.py", "tests/test_explorer.py::test_the_settings_are_the_schemas",
                            "tests/test_contracts.py", "tests/test_kernel.py"],
                           capture_output=True, text=True, cwd=tmp_path, timeout=1800)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert "TestStrategyContract::test_aspiration_between_reservation_and_best_possible[flat]" in tests.stdout
