"""Scenario discovery (analysis.discovery, EMA workbench's PRIM): a synthetic table whose outcome
is 1 exactly inside a known box, where PRIM must find that box; plain words; bad input; plots."""

import ast
import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.discovery import describe, discover
from analysis import discovery_plots

ROOT = Path(__file__).resolve().parent.parent

# The known box: x1 < 0.3 and x2 > 0.6; x3..x10 are noise.  With uniform inputs and the default
# peel/paste alpha of 0.05, the last peel moves a bound by about 0.05 x the box's width along
# it (0.015 for x1), so recovered bounds must lie within TOL of the true ones.
TOL = 0.02
N = 4000


def known_box(seed: int = 0, n: int = N) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.random((n, 10)), columns=[f"input.x{i}" for i in range(1, 11)])
    y = ((x["input.x1"] < 0.3) & (x["input.x2"] > 0.6)).to_numpy()
    return x, y


@pytest.fixture(scope="module")
def found():
    x, y = known_box()
    return x, y, discover(x, y, labels={"input.x1": "Russia's military alternative is worth {}",
                                        "input.x2": "Russia's deadline"})


def test_prim_recovers_the_known_box(found):
    x, y, d = found
    assert d.found
    assert sorted(d.restricted) == ["input.x1", "input.x2"]  # the 8 noise inputs stay unrestricted
    box = d.box.set_index("input")
    assert box.loc["input.x1", "upper"] == pytest.approx(0.3, abs=TOL)
    assert math.isnan(box.loc["input.x1", "lower"])  # only the side that matters is restricted
    assert box.loc["input.x2", "lower"] == pytest.approx(0.6, abs=TOL)
    assert math.isnan(box.loc["input.x2", "upper"])
    assert (box["qp"] < 1e-6).all()
    assert box.loc["input.x1", "full_lower"] == pytest.approx(x["input.x1"].min())
    assert box.loc["input.x2", "full_upper"] == pytest.approx(x["input.x2"].max())


def test_coverage_density_and_mass_match_hand_computed_values(found):
    x, y, d = found
    # The true box holds every case and nothing else: coverage 1, density 1, mass = base rate.
    assert d.coverage == pytest.approx(1.0, abs=0.03)
    assert d.density == pytest.approx(1.0, abs=0.03)
    assert d.mass == pytest.approx(y.mean(), abs=0.005)
    # And the reported numbers are the counts inside the reported bounds.
    box = d.box.set_index("input")
    inside = (x["input.x1"] <= box.loc["input.x1", "upper"]) & (x["input.x2"] >= box.loc["input.x2", "lower"])
    assert d.n_in_box == inside.sum() and d.n_cases_in_box == y[inside].sum()
    assert (d.coverage, d.density, d.mass) == pytest.approx(
        (y[inside].sum() / y.sum(), y[inside].mean(), inside.mean()))
    assert np.array_equal(d.in_box(x), inside.to_numpy())
    # Dropping either restriction lets non-cases in: density falls, coverage cannot fall.
    assert (d.box["density_without"] < d.density - 0.3).all()
    assert (d.box["coverage_without"] >= d.coverage).all()


def test_peeling_trajectory_table(found):
    x, y, d = found
    t = d.trajectory
    assert list(t.columns[:8]) == ["step", "phase", "coverage", "density", "mass", "n", "k", "restricted"]
    first = t.iloc[0]
    assert (first["phase"], first["coverage"], first["mass"], first["restricted"]) == ("start", 1.0, 1.0, 0)
    assert first["density"] == pytest.approx(y.mean())
    assert ((t["k"] / t["n"]) == t["density"]).all() and ((t["k"] / y.sum()) == t["coverage"]).all()
    peel = t["phase"] == "peel"
    assert (np.diff(t["mass"])[peel.to_numpy()[1:]] < 0).all()
    assert t.loc[t["phase"] != "paste", "restricted"].is_monotonic_increasing
    chosen = t.loc[t["step"] == d.chosen_step].iloc[0]
    assert chosen["candidate"] and chosen["qp_max"] <= 0.05
    assert chosen["f1"] == t.loc[t["candidate"], "f1"].max()  # the stated rule
    assert "F1" in d.rule and "quasi-p <= 0.05" in d.rule


def test_results_are_deterministic(found):
    x, y, d = found
    again = discover(x, y, labels=d.labels)
    pd.testing.assert_frame_equal(d.trajectory, again.trajectory)
    pd.testing.assert_frame_equal(d.box, again.box)


def test_describe_names_the_inputs_with_their_direction(found):
    x, y, d = found
    text = describe(d, "a deal forms", cases="deals", units={"input.x2": "days"})
    assert text.startswith("a deal forms in ")
    assert "Russia's military alternative is worth under 0.3" in text
    assert "Russia's deadline is over 0.6 days" in text
    assert f"these runs hold {100 * d.coverage:.0f}% of all deals" in text
    assert f"(runs in the box: {100 * d.mass:.0f}% of all" in text
    # Without labels: the column names without 'input.', and the default noun for the cases.
    plain = describe(discover(x, y), "the talks end in a deal")
    assert "x1 is under 0.3" in plain and "x2 is over 0.6" in plain
    assert "of all runs where the talks end in a deal" in plain


def test_categorical_and_integer_inputs():
    rng = np.random.default_rng(3)
    n = 4000
    x = pd.DataFrame(rng.random((n, 4)), columns=[f"input.x{i}" for i in range(1, 5)])
    x["input.protocol.window"] = rng.integers(0, 6, n)
    x["input.protocol.proposer"] = rng.choice(["rotation", "random", "fixed"], n)
    y = ((x["input.x1"] < 0.4) & (x["input.protocol.window"] >= 2)
         & (x["input.protocol.proposer"] != "random")).to_numpy()
    d = discover(x, y)
    box = d.box.set_index("input")
    assert set(d.restricted) == {"input.x1", "input.protocol.window", "input.protocol.proposer"}
    assert box.loc["input.protocol.proposer", "values"] == ("fixed", "rotation")
    assert box.loc["input.protocol.proposer", "kind"] == "categorical"
    assert 1 < box.loc["input.protocol.window", "lower"] <= 2
    assert d.density > 0.95 and d.coverage > 0.95
    text = describe(d, "a deal forms")
    assert "protocol.proposer is fixed or rotation" in text
    assert "protocol.window is at least 2" in text


def test_the_chosen_step_is_pasted():
    # A noisy box (70% inside, 20% outside) and a coarse peel: PRIM's pasting phase widens the
    # chosen step (density rule at coverage >= 0.3) by one step, raising density and mass.
    rng = np.random.default_rng(7)
    n = 3000
    x = pd.DataFrame(rng.random((n, 5)), columns=[f"input.x{i}" for i in range(1, 6)])
    x["input.k"] = rng.integers(0, 4, n)
    y = rng.random(n) < np.where((x["input.x1"] < 0.4) & (x["input.x2"] > 0.3), 0.7, 0.2)
    d = discover(x, y, rule="density", min_coverage=0.3, peel_alpha=0.1)
    start = d.trajectory.loc[d.trajectory["step"] == d.chosen_step].iloc[0]
    assert d.pasting_steps >= 1
    assert d.density > start["density"] and d.mass > start["mass"] and d.coverage > start["coverage"]
    inside = d.in_box(x)
    assert (d.n_in_box, d.n_cases_in_box) == (inside.sum(), y[inside].sum())
    assert set(d.restricted) <= {"input.x1", "input.x2"} and "input.x1" in d.restricted


def test_any_column_name_is_searched():
    # EMA's PRIM drops a column named "scenario" on its own; discover hands it other names.
    x, y = known_box(n=2000)
    d = discover(x.rename(columns={"input.x1": "scenario"}), y)
    assert sorted(d.restricted) == ["input.x2", "scenario"]


def test_nothing_found_is_said_plainly():
    x, y = known_box(n=1000)
    d = discover(x, y, qp_max=1e-300)
    assert not d.found and d.box.empty and (d.coverage, d.mass) == (1.0, 1.0)
    assert describe(d, "a deal forms").startswith("no box of the drawn inputs was found")


def _bad(**change):
    x, y = known_box(n=200)
    return {"inputs": x.assign(outcome=y), "outcome": "outcome", **change}


def _with_nan():
    x, y = known_box(n=200)
    x.loc[5, "input.x1"] = np.nan
    return x.assign(outcome=y)


@pytest.mark.parametrize("args, message", [
    (_bad(outcome="agreement"), "outcome column 'agreement' is not in the table"),
    (_bad(outcome=np.zeros(200, bool)), "is False in all 200 runs; discovery needs runs with and without it"),
    (_bad(inputs=pd.DataFrame({"outcome": [True, False]})), "no input columns to search"),
    (_bad(inputs=_with_nan()), r"input column 'input.x1' is missing \(NaN\) in 1 of 200 runs"),
    (_bad(outcome=np.ones(150, bool)), "outcome has 150 values but the table has 200 runs"),
    (_bad(outcome=np.linspace(0, 1, 200)), r"must be True/False \(or 1/0\) per run"),
    (_bad(inputs=pd.DataFrame({"input.a": np.ones(200), "outcome": np.arange(200) % 2 == 0})),
     "none of the 1 input columns varies"),
    (_bad(outcome=pd.array([True, None] * 100, dtype="boolean")), "outcome 'outcome' is missing in 100 runs"),
    (_bad(rule="knee"), "rule must be one of f1, density"),
])
def test_bad_input_gets_one_clear_line(args, message):
    with pytest.raises(ValueError, match=message) as err:
        discover(**args)
    assert "\n" not in str(err.value)


def test_plots_show_the_trajectory_and_the_box(found):
    x, y, d = found
    fig = discovery_plots.trajectory_figure(d)
    ax = fig.axes[0]
    by_gid = {c.get_gid(): c for c in ax.collections}
    steps = by_gid["trajectory|steps"].get_offsets()
    assert np.allclose(steps, d.trajectory[["coverage", "density"]].to_numpy())
    assert np.allclose(by_gid["trajectory|chosen"].get_offsets()[0], [d.coverage, d.density])
    assert np.allclose(by_gid["trajectory|steps"].get_array(), d.trajectory["restricted"])
    fig2 = discovery_plots.box_figure(d)
    ax2 = fig2.axes[0]
    bars = {p.get_gid(): p for p in ax2.patches}
    x1 = bars["box|range|input.x1"]
    box = d.box.set_index("input")
    span = box.loc["input.x1", "full_upper"] - box.loc["input.x1", "full_lower"]
    assert x1.get_x() == pytest.approx(0.0)
    assert x1.get_width() == pytest.approx((box.loc["input.x1", "upper"] - box.loc["input.x1", "full_lower"]) / span)
    names = {"input.x1": "Russia's military alternative is worth", "input.x2": "Russia's deadline"}
    assert [t.get_text() for t in ax2.get_yticklabels()] == [names[c] for c in d.restricted]
    for f in (fig, fig2):
        buf = io.BytesIO()
        f.savefig(buf, format="png")
        assert buf.getvalue()[:4] == b"\x89PNG"


def test_importing_the_modules_selects_no_backend_and_loads_no_engine():
    # Read from the source: in this test process other modules have long imported pyplot.
    for name in ("discovery.py", "discovery_plots.py"):
        tree = ast.parse((ROOT / "analysis" / name).read_text())
        top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        modules = [a.name for n in top if isinstance(n, ast.Import) for a in n.names]
        modules += [n.module or "" for n in top if isinstance(n, ast.ImportFrom)]
        assert not [m for m in modules if "pyplot" in m or "ema_workbench" in m], name
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
        assert not [c for c in calls if c.func.attr == "use"], name
