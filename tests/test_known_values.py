"""Known values: closed forms and hand-worked cases the model must reproduce."""

import numpy as np
import pytest

from experiments.runner import run
from sim import kernel
from sim.kernel import elementwise
from sim.kernel.rules import OUTSIDE_OPTION
from sim.protocol import AGREEMENT, WALKOUT
from tests.factory import actor, load, pref, two_party, with_changes


def faratin_alpha(*args):
    """The kernel's Faratin alpha, broadcast over arrays."""
    return elementwise(kernel.faratin_alpha, float, *args)


def _best_wait_value(*args):
    """The kernel's best value of waiting, broadcast over arrays."""
    return elementwise(kernel.best_wait_value, float, *args)


# ---------------------------------------------------------------- Faratin, Sierra & Jennings (1998)
@pytest.mark.parametrize("kappa", [0.0, 0.2, 0.7])
@pytest.mark.parametrize("beta", [0.2, 1.0, 5.0])
def test_faratin_alpha_starts_at_kappa_and_ends_at_one(kappa, beta):
    assert faratin_alpha(0, 10, beta, kappa) == pytest.approx(kappa)
    assert faratin_alpha(10, 10, beta, kappa) == pytest.approx(1.0)
    assert faratin_alpha(25, 10, beta, kappa) == pytest.approx(1.0)  # clipped after the deadline


def test_faratin_alpha_is_linear_when_beta_is_one():
    t = np.arange(11)
    # kappa + (1 - kappa) t / T by hand, kappa = 0.2, T = 10
    assert np.allclose(faratin_alpha(t, 10, 1.0, 0.2), 0.2 + 0.08 * t)


def test_boulware_holds_out_and_conceder_gives_way():
    # halfway to the deadline: (1/2)^(1/0.5) = 0.25 for Boulware, (1/2)^(1/2) = 0.707 for Conceder
    assert faratin_alpha(5, 10, 0.5, 0.0) == pytest.approx(0.25)
    assert faratin_alpha(5, 10, 2.0, 0.0) == pytest.approx(np.sqrt(0.5))


# ---------------------------------------------------------------- bargaining outcomes by hand
def test_agreement_in_round_one_when_all_ideal_points_coincide(tmp_path):
    same = {"x": pref(0.7, 2.0), "y": pref(0.2, 1.0)}
    sc = load(tmp_path, two_party(same, dict(same)))
    b = run(sc, 50, 3)
    assert (b.outcome == AGREEMENT).all()
    assert (b.rounds == 1).all()
    assert np.allclose(b.agreed, [0.7, 0.2])
    assert np.allclose(b.utility, 1.0)


def test_no_agreement_when_red_lines_leave_no_common_package(tmp_path):
    # a never accepts x below 0.6; b never accepts x above 0.4: the win-sets do not overlap.
    doc = two_party({"x": pref(1.0, below=0.6), "y": pref(1.0, 0.5)},
                    {"x": pref(0.0, above=0.4), "y": pref(0.0, 0.5)}, horizon=40)
    b = run(load(tmp_path, doc), 300, 11)
    assert not (b.outcome == AGREEMENT).any()


def test_immediate_walkout_when_outside_option_beats_the_table(tmp_path):
    # x is off the table (held at 0), so a's best package on the table gives it 1 - 0.8 = 0.2.
    doc = two_party({"x": pref(1.0, 0.8), "y": pref(1.0, 0.2)}, {"x": pref(0.0), "y": pref(0.0)})
    doc["actors"]["a"]["outside_option"] = 0.3
    doc["agenda"] = {"off": ["x"]}
    b = run(load(tmp_path, doc), 40, 5)
    assert (b.outcome == WALKOUT).all()
    assert (b.rounds == 1).all()
    assert (b.walkout_by == 0).all()
    assert (b.walkout_rule == OUTSIDE_OPTION).all()
    assert (b.shortfall == 0).all()  # it walked out over x, the clause held off the table


def test_removing_the_clause_that_carried_the_trade_lowers_p_agreement(tmp_path):
    # Logroll (Sebenius 1983): a cares about x, b about y; (x=1, y=0) gives both about 0.8.
    # With x off the table a can get at most its small y weight, below its outside option.
    a = {"x": pref(1.0, {"dist": "uniform", "low": 0.7, "high": 0.9}), "y": pref(1.0, 0.2)}
    b = {"x": pref(0.0, 0.2), "y": pref(0.0, {"dist": "uniform", "low": 0.7, "high": 0.9})}
    doc = two_party(a, b, horizon=30)
    for who in ("a", "b"):
        doc["actors"][who]["outside_option"] = {"dist": "uniform", "low": 0.3, "high": 0.6}
    with_trade = run(load(tmp_path, doc, "trade.toml"), 400, 2)
    without = run(load(tmp_path, with_changes(doc, **{"agenda.off": ["x"]}), "no_trade.toml"), 400, 2)
    p_with = (with_trade.outcome == AGREEMENT).mean()
    p_without = (without.outcome == AGREEMENT).mean()
    assert p_with > 0.9
    assert p_without < p_with - 0.5


def test_a_deal_inside_the_bargaining_range_is_found(tmp_path):
    # One clause, linear utilities, a wants 1 and b wants 0, both with outside option 0.3:
    # the acceptable deals are x in [0.3, 0.7] (Fearon's range [p - c_A, p + c_B] in this frame).
    doc = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",), horizon=30)
    for who in ("a", "b"):
        doc["actors"][who]["outside_option"] = 0.3
    b = run(load(tmp_path, doc), 100, 9)
    assert (b.outcome == AGREEMENT).all()
    assert ((b.agreed[:, 0] >= 0.3 - 1e-9) & (b.agreed[:, 0] <= 0.7 + 1e-9)).all()


def test_symmetric_linear_conceders_agree_where_the_interval_mean_says(tmp_path):
    # Both concede linearly to the same deadline, day 70 (outside options 0, deadline phase off).
    # At the meeting of day 7t (0-based t) each concedes the mean of t'/70 over the week its offer
    # stands, [7t, 7t + 7]: (7t + 3.5)/70 = t/10 + 0.05, and asks 0.95 - t/10.  a proposes at even
    # t (x = its ask, worth 1 - x to b), b at odd t (x = 1 - its ask = t/10 + 0.05, worth that to a).
    # At t = 4 a offers x = 0.55, worth 0.45 < b's ask 0.55; at t = 5 b offers x = 0.55, worth 0.55
    # >= a's ask 0.45: agreement in round 6 at 0.55 (the pointwise curve gave 0.5: the proposer
    # concedes half a week further).
    doc = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",), horizon=30, deadline_phase="none")
    for who in ("a", "b"):
        doc["actors"][who]["strategy"] = {"kind": "time_dependent", "beta": 1.0}
        doc["actors"][who]["deadline_days"] = 70
    b = run(load(tmp_path, doc), 5, 1)
    assert (b.outcome == AGREEMENT).all()
    assert np.allclose(b.agreed[:, 0], 0.55)
    assert (b.rounds == 6).all()


def test_value_of_waiting_matches_brute_force():
    rng = np.random.default_rng(0)
    b, r = rng.uniform(0, 1, 200), rng.uniform(0, 0.1, 200)
    d, h = rng.uniform(0.8, 1.0, 200), rng.integers(0, 30, 200).astype(float)
    brute = np.array([max(d[i] ** k * (b[i] + r[i] * k) for k in range(int(h[i]) + 1)) for i in range(200)])
    assert np.allclose(_best_wait_value(b, r, d, h), brute)


def test_value_of_waiting_by_hand_with_whole_rounds():
    # no discount, best offer 0.3 rising 0.1 a round, 5 rounds (an integer) left: 0.3 + 0.5 = 0.8;
    # discount 0.9: 0.9^k (0.3 + 0.1 k) peaks at k = 5 (0.9^5 * 0.8 = 0.4724).
    assert _best_wait_value(0.3, 0.1, 1.0, 5) == pytest.approx(0.8)
    assert _best_wait_value(np.array([0.3]), np.array([0.1]), np.array([0.9]), np.array([5]))[0] == pytest.approx(0.9**5 * 0.8)


def test_weighs_on_mixes_utilities(tmp_path):
    # c does not sit at the table but weighs 0.5 on b: b's effective utility of x is
    # 0.5 (1 - |x - 0|) + 0.5 (1 - |x - 1|) = 0.5 for every x in [0, 1].
    doc = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",))
    doc["actors"]["c"] = actor({"x": pref(1.0)}, weighs_on={"b": 0.5})
    from sim.engine import Compiled, params_for_runs
    from sim.preferences import utilities

    comp = Compiled.from_scenario(load(tmp_path, doc))
    p = params_for_runs(comp, 0, 0, 1)
    for x in (0.0, 0.3, 1.0):
        u = utilities(np.array([[x]]), p.ideal, p.salience, comp.layout.mixing)[0]
        assert u[1] == pytest.approx(0.5)
        assert u[0] == pytest.approx(x)
    assert not comp.layout.required[2]
