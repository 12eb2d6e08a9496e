"""The expected-utility model (sim/bdm/challenge.py): the published example, a hand-computed
case, the offer rules and properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sim.bdm.challenge import (CAPITULATION, COMPROMISE, LOST_CONFRONTATION, NO_OFFER, Games, Readings,
                               basic_utilities, challenge_eu, mean_position, median_position, offers, play,
                               prevail_probability, risk_exponents)

# ------------------------------------------------------------------ the published example
# Bueno de Mesquita (1994, p. 78): the date (years) by which emission standards apply to
# medium-sized cars, as Table 1 of Scholz, Calbert & Smith (2011) gives it: capability,
# position, salience (0-100, read as a probability in [0, 1]).
EC = {
    "Netherlands": (0.08, 4, 80), "Belgium": (0.08, 7, 40), "Luxembourg": (0.03, 4, 20),
    "Germany": (0.16, 4, 80), "France": (0.16, 10, 60), "Italy": (0.16, 10, 60), "UK": (0.16, 10, 90),
    "Ireland": (0.05, 7, 10), "Denmark": (0.05, 4, 100), "Greece": (0.08, 7, 70),
}
NAMES = list(EC)
# Table 2 of the replication: the median and the mean voter position after rounds 1-8
# (to one decimal), with Q = 1.
TABLE2_MEDIAN = [8.4, 9.9, 9.9, 9.9, 9.9, 7.4, 8.8, 9.6]
TABLE2_MEAN = [7.4, 7.5, 7.6, 7.3, 7.3, 7.4, 7.5, 7.6]
REPORTED = 0.1  # one unit of the last digit reported: the table does not say how it rounded


def ec_games() -> Games:
    c, x, s = (np.array([EC[n][k] for n in NAMES], float) for k in range(3))
    return Games(position=x[None], capability=c, salience=s[None] / 100, part=np.ones((1, len(NAMES)), bool))


@pytest.fixture(scope="module")
def ec_path():
    out = play(ec_games(), Readings(), max_rounds=8, keep_path=True)
    return out.median_path[0], out.mean_path[0]


def test_ec_starting_point():
    # c x s weights: at 4: 6.4 + 0.6 + 12.8 + 5.0 = 24.8; at 7: 3.2 + 0.5 + 5.6 = 9.3;
    # at 10: 9.6 + 9.6 + 14.4 = 33.6; total 67.7. Mean (4 x 24.8 + 7 x 9.3 + 10 x 33.6) / 67.7
    # = 500.3 / 67.7 = 7.39; the median: 24.8 < 67.7 / 2 <= 24.8 + 9.3, so 7.
    g = ec_games()
    assert mean_position(g.position, g.weights())[0] == pytest.approx(500.3 / 67.7)
    assert median_position(g.position, g.weights())[0] == 7.0


def test_ec_belgium_perspective_matches_bueno_de_mesquitas_figure():
    """Bueno de Mesquita's (1994, p. 91) figure of Belgium's view, reproduced by the replication (which
    reports 100% agreement of quadrants): x = Belgium's expected utility of challenging each
    actor, y = that actor's of challenging Belgium as Belgium sees it. Read off the printed plot
    (to about +-0.05): Denmark -0.83, the UK -0.65, Germany and the Netherlands -0.47, France and
    Italy about -0.1, Luxembourg +0.6, every y about 0.25; Ireland and Greece, at Belgium's
    position, at the origin."""
    g = ec_games()
    x = g.position[0][:, None]
    dist = np.abs(x[:, None, :] - x[None, :, :]) / 6.0
    w, s = g.weights().T, g.salience.T
    neutral = challenge_eu(basic_utilities(dist, 1.0), prevail_probability(dist, w, None, "all_pairs"), s[None], None, 1.0)
    r = risk_exponents(neutral)
    prob = prevail_probability(dist, w, r, "all_pairs")
    b = NAMES.index("Belgium")
    utils = basic_utilities(dist, r[b, 0])  # everything as Belgium sees it
    own = challenge_eu(utils, prob, s[None], None, 1.0)[b, :, 0]
    other = challenge_eu(utils, np.swapaxes(prob, 0, 1), s[:, None], None, 1.0)[b, :, 0]
    read = {"Denmark": -0.83, "UK": -0.65, "Germany": -0.47, "Netherlands": -0.47, "France": -0.1,
            "Italy": -0.1, "Luxembourg": 0.6}
    for name, value in read.items():
        k = NAMES.index(name)
        assert own[k] == pytest.approx(value, abs=0.05), name
        assert other[k] == pytest.approx(0.25, abs=0.05), name
    for name in ("Ireland", "Greece"):
        assert own[NAMES.index(name)] == pytest.approx(0.0, abs=1e-12)
        assert other[NAMES.index(name)] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("rnd", [1, 3, 4, 5, 6, 7, 8])
def test_ec_table2_median(ec_path, rnd):
    assert abs(ec_path[0][rnd] - TABLE2_MEDIAN[rnd - 1]) <= REPORTED


@pytest.mark.xfail(strict=True, reason="not reproduced: round 2 gives 9.61 against the 9.9 reported "
                   "(docs/model.md, section 8.6)")
def test_ec_table2_median_round_2(ec_path):
    assert abs(ec_path[0][2] - TABLE2_MEDIAN[1]) <= REPORTED


@pytest.mark.parametrize("rnd", range(1, 9))
def test_ec_table2_mean(ec_path, rnd):
    assert abs(ec_path[1][rnd] - TABLE2_MEAN[rnd - 1]) <= REPORTED


def test_ec_text_selection_agrees_for_three_rounds_then_parts():
    """The selection order as written (section 6.2) and the program's give the same rounds 1-3;
    from round 4 on only the program's gives Table 2's fall of the mean to 7.3."""
    text = play(ec_games(), Readings(selection="text"), max_rounds=8, keep_path=True)
    prog = play(ec_games(), Readings(), max_rounds=8, keep_path=True)
    np.testing.assert_allclose(text.median_path[0, :4], prog.median_path[0, :4])
    assert abs(text.mean_path[0, 4] - TABLE2_MEAN[3]) > REPORTED


def test_ec_printed_share_probability_keeps_the_median_at_7():
    """eq. 31 as printed (P_ij + P_ji = 1) leaves the median at 7 in every round, against the
    replication's own Table 2 (and puts every actor in Belgium's figure in the upper right)."""
    out = play(ec_games(), Readings(probability="share"), max_rounds=8, keep_path=True)
    assert (out.median_path[0] == 7.0).all()


# ------------------------------------------------------------------ a case by hand
def test_three_actors_one_issue_by_hand():
    """Actors 1, 2, 3 at 0, 0, 1 (range 1), capability 1, salience 1, 0.5, 0.5.

    Votes for 3 over 1 (v_k = c_k s_k (d_k1 - d_k3)): k = 1: 1 x (0 - 1) = -1; k = 2: 0.5 x (0 - 1)
    = -0.5; k = 3: 0.5 x (1 - 0) = 0.5. Support 0.5, |votes| 2. The same for 3 over 2; 1 and 2
    (at the same place) get no votes. All pairs: 4 ordered pairs x 2 = 8, so P_31 = P_32 = 0.5/8
    = 1/16 and P_13 = P_23 = 1.5/8 = 3/16.
    At r = 1, U_s = 2d, U_f = -2d, U_sq = 0; with d = 1 a challenge of j is worth
    E = 2 - 4 s_j (1 - P): E(1->3) = E(2->3) = 2 - 2 x 13/16 = 0.375; E(3->1) = 2 - 4 x 15/16 = -1.75;
    E(3->2) = 2 - 2 x 15/16 = 0.125; E(1->2) = E(2->1) = 0.
    Threats (sum of the others' E against i): -1.75, 0.125, 0.75; max 0.75, min -1.75, so
    R = (2 t - 0.75 + 1.75) / 2.5 = -1, 0.5, 1 and r = (1 - R/3)/(1 + R/3) = 2, 5/7, 1/2.
    With d in {0, 1} the exponents change no vote and U_s = 2, U_f = -2, so with r an actor sees
    E = -4 s_j (1 - P) + 4 x 0.5^r:
      1 (4 x 0.5^2 = 1): own(1->3) = -1.625 + 1 = -0.625, 3's challenge of 1 -3.75 + 1 = -2.75:
        both negative, 1 stays;
      2 (4 x 0.5^(5/7) = 2.43803): own(2->3) = -1.625 + 2.43803 = 0.81303 > 3's 0.56303 > 0: 2
        wins a confrontation and stays;
      3 (4 x 0.5^0.5 = 2.82843): own(3->2) = -1.875 + 2.82843 = 0.95343 < 2's challenge of 3,
        -1.625 + 2.82843 = 1.20343: 3 loses a confrontation and moves to 0 (against 1 it would
        compromise: own -0.92157, 1's 1.20343; a lost confrontation comes first).
    Round 2 moves nobody: 2 rounds, converged, forecast 0."""
    x = np.array([[0.0], [0.0], [1.0]])
    dist = np.abs(x[:, None, :] - x[None, :, :])
    w = np.array([[1.0], [0.5], [0.5]])
    prob = prevail_probability(dist, w, np.ones_like(x), "all_pairs")[..., 0]
    np.testing.assert_allclose(prob, [[0, 0, 3 / 16], [0, 0, 3 / 16], [1 / 16, 1 / 16, 0]])
    neutral = challenge_eu(basic_utilities(dist, 1.0), prob[..., None], w[None], None, 1.0)
    np.testing.assert_allclose(neutral[..., 0], [[0, 0, 0.375], [0, 0, 0.375], [-1.75, 0.125, 0]], atol=1e-12)
    r = risk_exponents(neutral)[:, 0]
    np.testing.assert_allclose(r, [2.0, 5 / 7, 0.5])
    own = challenge_eu(basic_utilities(dist, r[:, None, None]), prob[..., None], w[None], None, 1.0)[..., 0]
    assert own[1, 2] == pytest.approx(-1.625 + 4 * 0.5 ** (5 / 7))
    assert own[2, 1] == pytest.approx(-1.875 + 4 * 0.5 ** 0.5)
    out = play(Games(position=x.T, capability=np.ones(3), salience=w.T, part=np.ones((1, 3), bool)), Readings(),
               max_rounds=10)
    np.testing.assert_array_equal(out.position, [[0.0, 0.0, 0.0]])
    assert out.rounds[0] == 2 and out.converged[0] and out.forecast[0] == 0.0


def test_offers_in_each_region_of_the_figure():
    """Mover 0 at 0, the other at 1; a = mover's own EU, b = the other's as the mover sees it."""
    cases = [  # (a, b, kind, target)
        (0.2, 0.5, LOST_CONFRONTATION, 1.0),  # b > a > 0
        (0.5, 0.2, NO_OFFER, 0.0),  # a > b > 0: the mover wins
        (-0.2, 0.8, COMPROMISE, 0.25),  # b > |a|: moves |a/b| = 1/4 of the way (eq. 36)
        (-0.8, 0.2, CAPITULATION, 1.0),  # |a| > b
        (0.3, -0.1, NO_OFFER, 0.0),  # the other gives in
        (-0.3, -0.1, NO_OFFER, 0.0),  # status quo
    ]
    x = np.array([[0.0], [1.0]])
    for a, b, kind, target in cases:
        own = np.array([[0.0, a], [0.0, 0.0]])[..., None]
        other = np.array([[0.0, b], [0.0, 0.0]])[..., None]
        k, t = offers(x, np.abs(x[:, None, :] - x[None, :, :]), own, other)
        assert k[0, 1, 0] == kind, (a, b)
        if kind != NO_OFFER:
            assert t[0, 1, 0] == pytest.approx(target), (a, b)


# ------------------------------------------------------------------ properties
@st.composite
def games(draw, max_actors: int = 5):
    n = draw(st.integers(2, max_actors))
    grid = st.sampled_from([0.0, 0.1, 0.25, 0.3, 0.5, 0.7, 0.8, 1.0])
    pos = draw(st.one_of(st.lists(grid, min_size=n, max_size=n),
                         st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
    cap = draw(st.lists(st.floats(0.1, 5.0), min_size=n, max_size=n))
    sal = draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n))
    return Games(position=np.array([pos]), capability=np.array(cap), salience=np.array([sal]),
                 part=np.ones((1, n), bool))


READINGS = st.builds(Readings, probability=st.sampled_from(["all_pairs", "share"]),
                     selection=st.sampled_from(["program", "text"]))


@settings(max_examples=150, deadline=None)
@given(games(), READINGS)
def test_positions_stay_within_the_ideals(g, readings):
    out = play(g, readings, max_rounds=15)
    lo, hi = g.position.min(), g.position.max()
    assert (out.position >= lo - 1e-12).all() and (out.position <= hi + 1e-12).all()
    assert lo - 1e-12 <= out.forecast[0] <= hi + 1e-12


@settings(max_examples=100, deadline=None)
@given(games(), READINGS, st.floats(0.0, 1.0))
def test_nobody_moves_when_all_positions_are_equal(g, readings, at):
    same = Games(position=np.full_like(g.position, at), capability=g.capability, salience=g.salience, part=g.part)
    out = play(same, readings, max_rounds=5)
    assert (out.position == at).all() and out.rounds[0] == 1 and out.converged[0]


@settings(max_examples=150, deadline=None)
@given(games(), READINGS, st.randoms(use_true_random=False))
def test_relabelling_actors_relabels_the_results(g, readings, rnd):
    """Under the replication program's reading (selection = "program") an actor takes, among
    offers that tie, the first in actor order, as that program does: relabelling may then change
    the result, by construction.  So the property holds for the text's reading, and for the
    program's wherever no two actors start at the same position (Hypothesis found tied starts
    where it failed: 6 rounds against 7)."""
    if readings.selection == "program":
        assume(len(set(g.position[0].tolist())) == g.position.shape[1])
    order = list(range(g.position.shape[1]))
    rnd.shuffle(order)
    moved = Games(position=g.position[:, order], capability=g.capability[order], salience=g.salience[:, order],
                  part=g.part[:, order])
    a, b = play(g, readings, max_rounds=10), play(moved, readings, max_rounds=10)
    np.testing.assert_allclose(b.position, a.position[:, order], atol=1e-9)
    assert b.rounds[0] == a.rounds[0]


@settings(max_examples=150, deadline=None)
@given(games(), READINGS, st.sampled_from([0.25, 0.5, 2.0, 8.0]))
def test_a_common_capability_factor_changes_nothing(g, readings, factor):
    # Capability enters only the votes, as a ratio (eqs. 30-31) and the median's weights; a
    # power of two scales every product exactly, so the runs are identical, not just close.  Not
    # for a product near the smallest doubles, where scaling rounds (Hypothesis found a salience
    # of 5e-324: capability x salience x 0.25 underflows to 0), so saliences that small are out.
    assume(((g.salience == 0) | (g.salience > 1e-290)).all())
    scaled = Games(position=g.position, capability=g.capability * factor, salience=g.salience, part=g.part)
    a, b = play(g, readings, max_rounds=10), play(scaled, readings, max_rounds=10)
    np.testing.assert_array_equal(a.position, b.position)
    np.testing.assert_array_equal(a.forecast, b.forecast)


@settings(max_examples=60, deadline=None)
@given(games(max_actors=4), READINGS, st.integers(0, 3))
def test_an_actor_out_of_the_game_changes_nothing(g, readings, where):
    """A stakeholder with no preference on an issue does not take part: adding it, wherever it
    stands, leaves the others' game as it was."""
    n = g.position.shape[1]
    k = min(where, n)
    extra = Games(position=np.insert(g.position, k, 0.123, axis=1), capability=np.insert(g.capability, k, 3.0),
                  salience=np.insert(g.salience, k, 0.9, axis=1), part=np.insert(g.part, k, False, axis=1))
    a, b = play(g, readings, max_rounds=10), play(extra, readings, max_rounds=10)
    np.testing.assert_allclose(np.delete(b.position, k, axis=1), a.position, atol=1e-12)
    assert b.position[0, k] == 0.123 and b.forecast[0] == pytest.approx(a.forecast[0])
