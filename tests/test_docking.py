"""Docking: the simulator against bargaining theory's closed forms (issue 15, item 5)."""

import numpy as np
import pytest

from analysis.solutions import rubinstein_share
from sim.engine import simulate
from sim.protocol import AGREEMENT
from tests.factory import load, pref, two_party


def rubinstein_game(tmp_path, d1: float, d2: float):
    """Two parties split one clause (a wants 1, b wants 0, linear utility, outside options 0),
    alternating offers a week apart, a first, each knowing the other's weekly discount factor."""
    doc = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",), horizon=30, proposer="rotation")
    for me, mine, theirs in (("a", d1, d2), ("b", d2, d1)):
        doc["actors"][me].update(patience=mine, walkout=[], belief_noise=0.0,
                                 strategy={"kind": "equilibrium", "partner_patience": theirs})
    return load(tmp_path, doc)


@pytest.mark.parametrize("d1, d2", [(0.9, 0.8), (0.95, 0.95), (0.5, 0.9), (0.99, 0.6), (0.8, 0.99)])
def test_alternating_offers_agree_at_once_on_rubinsteins_split(tmp_path, d1, d2):
    b = simulate(rubinstein_game(tmp_path, d1, d2), 5, root_seed=1)[0]
    assert (b.outcome == AGREEMENT).all() and (b.rounds == 1).all()  # agreement in round 1
    share = (1 - d2) / (1 - d1 * d2)
    assert share == pytest.approx(rubinstein_share(d1, d2), abs=1e-15)  # the closed form, two ways
    assert np.abs(b.agreed[:, 0] - share).max() < 1e-9


def test_the_equilibrium_strategy_asks_its_share_as_proposer_and_its_discounted_share_as_responder():
    from sim import kernel
    from tests.test_kernel import look

    theta = np.array([1.0, 0.0, 1.0, 0.8])  # partner's weekly discount factor 0.8
    proposer = look(patience=0.9, best_possible=1.0, reservation=0.0)._replace(proposing=True, interval=7.0)
    responder = proposer._replace(proposing=False)
    assert kernel.equilibrium(proposer, theta) == pytest.approx(0.2 / 0.28)  # (1 - 0.8) / (1 - 0.72) = 0.714
    assert kernel.equilibrium(responder, theta) == pytest.approx(0.9 * 0.2 / 0.28)
