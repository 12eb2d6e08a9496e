"""From scenario to expected-utility games and from the forecast to the mission's question
(sim/bdm/issues.py, sim/bdm/verdict.py); the paired interval the comparison uses is tested in
tests/test_paired.py."""

from __future__ import annotations

import numpy as np
import pytest

from sim.bdm.issues import Options, build_games, forecast, stakes
from sim.bdm.verdict import Reason, judge
from sim.engine import Compiled, params_for_runs
from sim.scenario import load_scenario
from tests.factory import TEST_SOURCE, actor, load, pref


def three_party_doc() -> dict:
    """Russia-like r (ideal 1), a western w (ideal 0, red line 0.5 on x) and a stakeholder u away
    from the table that cares only about y; demand d = x + y."""
    return {
        "meta": {"name": "three"},
        "protocol": {"round_days": 7, "horizon_days": 70, "source": TEST_SOURCE},
        "instruments": {"deal": {"signatories": ["r", "w"]}},
        "clauses": {c: {"instruments": ["deal"]} for c in ("x", "y", "z")},
        "demands": {"d": {"clauses": ["x", "y"], "source": TEST_SOURCE}},
        "actors": {
            "r": actor({"x": pref(1.0, 2.0), "y": pref(1.0, 1.0), "z": pref(1.0, 1.0)}, outside_option=0.3,
                       capability=2.0),
            "w": actor({"x": pref(0.0, 1.0, above=0.5), "y": pref(0.2, 3.0), "z": pref(0.0, 1.0)}, outside_option=0.1),
            "u": actor({"y": pref(0.0, 1.0)}, capability=0.5),
        },
    }


@pytest.fixture
def three(tmp_path):
    comp = Compiled.from_scenario(load(tmp_path, three_party_doc()))
    return comp.layout, params_for_runs(comp, 7, 0, 3)


def test_games_take_the_drawn_inputs_and_relative_salience(three):
    lay, p = three
    games, members = build_games(lay, p, Options())
    assert members.shape == (3, 3) and members.trace() == 3
    # run-major: game g = run * 3 + clause; actors r, w, u
    np.testing.assert_array_equal(stakes(lay), [[1, 1, 1], [1, 1, 1], [0, 1, 0]])
    np.testing.assert_array_equal(games.part[:3], [[1, 1, 0], [1, 1, 1], [1, 1, 0]])
    np.testing.assert_allclose(games.position[:3, :2], p.ideal[0].T[:, :2])
    # r's saliences 2, 1, 1 relative to its top clause: 1, 0.5, 0.5; w's 1, 3, 1: 1/3, 1, 1/3
    np.testing.assert_allclose(games.salience[:3, 0], [1.0, 0.5, 0.5])
    np.testing.assert_allclose(games.salience[:3, 1], [1 / 3, 1.0, 1 / 3])
    np.testing.assert_allclose(games.capability, [2.0, 1.0, 0.5])


def test_only_the_table_takes_part_when_asked(three):
    lay, p = three
    games, _ = build_games(lay, p, Options(participants="table"))
    assert not games.part[:, 2].any()


def test_a_demand_is_one_issue(three):
    lay, p = three
    games, members = build_games(lay, p, Options(issues="demands"))
    assert members.shape == (2, 3)  # d = {x, y}, then z alone
    # w on d: salience-weighted mean of 0 (weight 1) and 0.2 (weight 3) = 0.15; salience 1 + 3 = 4,
    # its top issue, so 1; on z 1/4. r on d: 1 with salience 3, top, so 1; on z 1/3.
    np.testing.assert_allclose(games.position[0, :2], [1.0, 0.15])
    np.testing.assert_allclose(games.salience[:2, 0], [1.0, 1 / 3])
    np.testing.assert_allclose(games.salience[:2, 1], [1.0, 0.25])
    fc = forecast(lay, p, Options(issues="demands"))
    np.testing.assert_array_equal(fc.forecast[:, 0], fc.forecast[:, 1])  # both clauses of d


def test_the_agenda_shapes_the_package(tmp_path):
    doc = three_party_doc()
    doc["agenda"] = {"off": ["z"], "caps": {"x": 0.2}, "source": TEST_SOURCE}
    comp = Compiled.from_scenario(load(tmp_path, doc))
    p = params_for_runs(comp, 7, 0, 3)
    fc = forecast(comp.layout, p)
    np.testing.assert_array_equal(fc.package[:, 2], 0.0)
    np.testing.assert_array_equal(fc.package[:, 0], np.minimum(fc.forecast[:, 0], 0.2))
    np.testing.assert_array_equal(fc.package[:, 1], fc.forecast[:, 1])


def test_verdicts_by_hand(three):
    """Effective utilities (u weighs on nobody): r: 1 - (2|x - 1| + |y - 1| + |z - 1|) / 4;
    w: 1 - (|x| + 3|y - 0.2| + |z|) / 5. Outside options 0.3 and 0.1; w's red line on x at 0.5."""
    lay, p = three
    packages = np.array([
        [0.5, 0.2, 0.0],  # r: 1 - (1 + 0.8 + 1)/4 = 0.3 >= 0.3; w: 1 - (0.5 + 0)/5 = 0.9: compatible
        [0.6, 0.2, 1.0],  # x = 0.6 crosses w's red line (0.5); r: 1 - (0.8 + 0.8)/4 = 0.6, w: 1 - 1.6/5 = 0.68
        [0.4, 0.2, 0.0],  # r: 1 - (1.2 + 0.8 + 1)/4 = 0.25 < 0.3, most costly x (1.2); w: 1 - 0.4/5 = 0.92
    ])
    v = judge(lay, p, packages)
    assert list(v.compatible) == [True, False, False]
    assert v.reason[1] == Reason.RED_LINE and lay.actors[v.party[1]] == "w" and lay.clauses[v.clause[1]] == "x"
    assert v.reason[2] == Reason.OUTSIDE_OPTION and lay.actors[v.party[2]] == "r" and lay.clauses[v.clause[2]] == "x"
    np.testing.assert_allclose(v.utility[:, :2], [[0.3, 0.9], [0.6, 0.68], [0.25, 0.92]])
    assert v.labels(lay) == ["", "w: red line on x", "r: outside option, most costly clause x"]


def test_a_party_away_from_the_table_has_no_say(three):
    lay, p = three
    v = judge(lay, p, np.array([[0.5, 0.2, 0.0]] * 3))
    assert v.compatible.all()  # u (ideal 0 on y, not at the table) would lose, but is not asked


def test_both_families_share_each_runs_draws():
    """The model reads the very ideals and saliences the agent-based model draws for a run, so
    the same run of two scenarios with the same actors and clauses has the same inputs."""
    a = Compiled.from_scenario(load_scenario("scenarios/full_agenda.toml"))
    b = Compiled.from_scenario(load_scenario("scenarios/accession_excluded.toml"))
    pa, pb = params_for_runs(a, 11, 0, 50), params_for_runs(b, 11, 0, 50)
    ga, _ = build_games(a.layout, pa, Options())
    gb, _ = build_games(b.layout, pb, Options())
    np.testing.assert_array_equal(ga.position, gb.position)
    np.testing.assert_array_equal(ga.salience, gb.salience)
    np.testing.assert_array_equal(ga.position.reshape(50, -1, 4)[:, :, 0], pa.ideal[:, 0, :])


def test_run_table_columns(three):
    from sim.bdm import answer, columns

    lay, p = three
    fc, v = answer(lay, p)
    cols = columns(lay, p, fc, v)
    assert set(cols) == {"bdm.compatible", "bdm.reason", "bdm.party", "bdm.clause", "bdm.settled",
                         "bdm.within_red_lines", "bdm.value.x", "bdm.value.y", "bdm.value.z"}
    assert all(len(c) == 3 for c in cols.values())
    labels = {"": Reason.COMPATIBLE, "red line": Reason.RED_LINE, "outside option": Reason.OUTSIDE_OPTION}
    assert [labels[r] for r in cols["bdm.reason"]] == list(v.reason)
    assert list(cols["bdm.party"]) == [lay.actors[a] if a >= 0 else "" for a in v.party]
    np.testing.assert_array_equal(cols["bdm.value.x"], fc.package[:, 0])
