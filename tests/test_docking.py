"""Docking: the simulator against bargaining theory's closed forms (issue 15, item 5)."""

import numpy as np
import pytest

from analysis.solutions import rubinstein_share
from experiments.runner import run
from sim.protocol import AGREEMENT
from tests.factory import TEST_SOURCE, load, pref, two_party


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
    b = run(rubinstein_game(tmp_path, d1, d2), 5, 1)
    assert (b.outcome == AGREEMENT).all() and (b.rounds == 1).all()  # agreement in round 1
    share = (1 - d2) / (1 - d1 * d2)
    assert share == pytest.approx(rubinstein_share(d1, d2), abs=1e-15)  # the closed form, two ways
    assert np.abs(b.agreed[:, 0] - share).max() < 1e-9


def test_the_equilibrium_strategy_asks_its_share_as_proposer_and_its_discounted_share_as_responder():
    from sim.kernel.strategies import equilibrium
    from tests.parts import look, row

    theta = row(partner_patience=0.8)  # partner's weekly discount factor 0.8
    proposer = look(patience=0.9, best_possible=1.0, reservation=0.0)._replace(proposing=True, interval=7.0)
    responder = proposer._replace(proposing=False)
    assert equilibrium(proposer, theta) == pytest.approx(0.2 / 0.28)  # (1 - 0.8) / (1 - 0.72) = 0.714
    assert equilibrium(responder, theta) == pytest.approx(0.9 * 0.2 / 0.28)


def zone_game(tmp_path):
    """Two parties, two clauses, complete information, linear concession, no walkout rule:
    ideals, saliences, red lines and outside options drawn per run."""
    def u(lo, hi):
        return {"dist": "uniform", "low": lo, "high": hi}

    a = {"x": pref(u(0.6, 1.0), u(0.3, 1.0), below=u(0.0, 0.3)), "y": pref(u(0.0, 0.4), u(0.3, 1.0))}
    b = {"x": pref(u(0.0, 0.4), u(0.3, 1.0), above=u(0.7, 1.0)), "y": pref(u(0.6, 1.0), u(0.3, 1.0), below=u(0.0, 0.3))}
    doc = two_party(a, b, clauses=("x", "y"), horizon=40)
    for me in ("a", "b"):
        doc["actors"][me].update(outside_option=u(0.2, 0.9), walkout=[], belief_noise=0.0,
                                 strategy={"kind": "time_dependent", "beta": 1.0})
    return load(tmp_path, doc)


def test_with_complete_information_every_agreement_lies_in_the_zone_of_agreement(tmp_path):
    from analysis.theory import Problem, zone_of_agreement
    from sim.engine import Compiled, params_for_runs

    sc = zone_game(tmp_path)
    comp = Compiled.from_scenario(sc)
    n = 400
    b = run(sc, n, 7, chunk=n)
    p = params_for_runs(comp, 7, 0, n)
    lay = comp.layout
    agreed = b.outcome == AGREEMENT
    assert 0.2 * n < agreed.sum() < 0.95 * n  # both kinds of run occur: the test is not vacuous
    no_zone = 0
    for r in range(n):
        pr = Problem(actors=lay.actors, clauses=lay.clauses, ideal=p.ideal[r], salience=p.salience[r],
                     mixing=lay.mixing, below=p.below[r], above=p.above[r], upper=lay.upper,
                     required=lay.required, disagreement=p.outside_option[r])
        zone = zone_of_agreement(pr)
        no_zone += not zone.exists
        if not agreed[r]:
            continue
        x = b.agreed[r]
        assert zone.exists, (r, zone.verdict)
        assert np.all(x >= zone.low - 1e-9) and np.all(x <= zone.high + 1e-9), r  # red lines and agenda
        assert np.all(pr.utilities(x) >= pr.disagreement - 1e-9), r  # each at least its outside option
    assert no_zone > 0.05 * n  # runs without a zone occur, and none of them agreed


def baron_ferejohn_game(tmp_path, n: int, delta: float):
    """n parties divide a pie of 1 (clause s_i is party i's share; each cares only for its own,
    linearly), one joint package that all must accept, a proposer drawn each week with equal
    chance, complete information, no walkout rule, outside options 0."""
    ids = [f"p{i}" for i in range(n)]
    actors = {}
    for i, a in enumerate(ids):
        prefs = {f"s{j}": pref(1.0 if j == i else 0.0, 1.0 if j == i else 0.0) for j in range(n)}
        actors[a] = {"outside_option": 0.0, "deadline_days": 70, "patience": delta, "walkout": [],
                     "belief_noise": 0.0, "offer": "divide", "clauses": prefs, "source": TEST_SOURCE,
                     "strategy": {"kind": "baron_ferejohn", "parties": n}}
    doc = {"meta": {"name": f"bf{n}"},
           "protocol": {"round_days": 7, "horizon_days": 70, "proposer": "random", "budget": 1.0,
                        "source": TEST_SOURCE},
           "instruments": {"pie": {"signatories": ids}},
           "clauses": {f"s{j}": {"instruments": ["pie"]} for j in range(n)},
           "actors": actors}
    return load(tmp_path, doc, f"bf{n}.toml")


@pytest.mark.parametrize("n", [2, 3, 4, 5, 7])
@pytest.mark.parametrize("delta", [0.9, 0.6])
def test_random_recognition_under_unanimity_gives_baron_ferejohns_split(tmp_path, n, delta):
    from analysis.solutions import baron_ferejohn_proposer_share

    b = run(baron_ferejohn_game(tmp_path, n, delta), 40, 3)
    assert (b.outcome == AGREEMENT).all() and (b.rounds == 1).all()  # agreed at the first meeting
    proposer_share = 1 - (n - 1) * delta / n
    assert proposer_share == pytest.approx(baron_ferejohn_proposer_share(n, delta, "unanimity"), abs=1e-15)
    shares = np.sort(b.agreed, axis=1)
    assert np.abs(shares[:, -1] - proposer_share).max() < 1e-9  # the first-round proposer's share
    assert np.abs(shares[:, :-1] - delta / n).max() < 1e-9  # each other party its continuation value
    assert np.abs(b.agreed.sum(axis=1) - 1.0).max() < 1e-9  # the whole pie, no more
    # the proposer is whoever random recognition drew: over 40 runs more than one party proposes
    assert len(set(np.argmax(b.agreed, axis=1))) > 1


def test_a_budget_needs_the_divide_rule_and_the_divide_rule_a_budget(tmp_path):
    from sim.scenario import ScenarioError

    doc = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",), budget=1.0)
    with pytest.raises(ScenarioError, match=r"actors\.a\.offer: with protocol\.budget every party"):
        load(tmp_path, doc)
    doc = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",))
    doc["actors"]["a"]["offer"] = "divide"
    with pytest.raises(ScenarioError, match=r"actors\.a\.offer: offer = \"divide\" shares a budget"):
        load(tmp_path, doc, "d.toml")


def test_the_baron_ferejohn_strategy_by_hand():
    from sim.kernel.strategies import baron_ferejohn
    from tests.parts import look, row

    proposer = look(patience=0.9, best_possible=1.0, reservation=0.0)._replace(proposing=True, interval=7.0)
    theta = row(parties=3.0)
    assert baron_ferejohn(proposer, theta) == pytest.approx(1 - 2 * 0.9 / 3)  # 0.4
    assert baron_ferejohn(proposer._replace(proposing=False), theta) == pytest.approx(0.9 / 3)  # 0.3
    # two meeting intervals a fortnight apart: delta = 0.9 ** 2
    assert baron_ferejohn(proposer._replace(proposing=False, interval=14.0), theta) == pytest.approx(0.81 / 3)
