"""Demands: named groups of clauses, with saliences set per demand and shared by a stated rule
(equal shares), so that how an article was split into clauses does not decide the answer."""

import numpy as np
import pytest

from sim.engine import Compiled
from sim.params import draw_params
from sim.scenario import ScenarioError
from tests.factory import TEST_SOURCE, load, pref, two_party


def doc_with_demand(**russia_demands):
    doc = two_party({"x": pref(1.0), "y": pref(1.0), "z": pref(1.0, 2.0)}, {"x": pref(0.0)}, clauses=("x", "y", "z"))
    doc["demands"] = {"pair": {"clauses": ["x", "y"], "source": TEST_SOURCE}}
    for c in ("x", "y"):
        del doc["actors"]["a"]["clauses"][c]["salience"]
    doc["actors"]["a"]["demands"] = {"pair": {"salience": 2.0, "source": TEST_SOURCE, **russia_demands}}
    return doc


def test_a_demand_salience_is_shared_equally_by_its_clauses(tmp_path):
    comp = Compiled.from_scenario(load(tmp_path, doc_with_demand()))
    p = draw_params(comp.plan, np.full((1, comp.plan.n_uniforms), 0.5))
    # demand "pair" 2.0 -> x 1.0 and y 1.0; z 2.0 on its own; normalised over 4: 0.25, 0.25, 0.5
    assert p.salience[0, 0].tolist() == pytest.approx([0.25, 0.25, 0.5])
    assert comp.layout.demands == ("pair", "z") and comp.layout.demand_of.tolist() == [0, 0, 1]


def test_salience_per_clause_and_per_demand_is_refused(tmp_path):
    doc = doc_with_demand()
    doc["actors"]["a"]["clauses"]["x"]["salience"] = 1.0
    with pytest.raises(ScenarioError, match="actors.a.clauses.x.salience: a demand salience of this actor already covers"):
        load(tmp_path, doc)


def test_a_clause_in_two_demands_is_refused(tmp_path):
    doc = doc_with_demand()
    doc["demands"]["other"] = {"clauses": ["y", "z"], "source": TEST_SOURCE}
    with pytest.raises(ScenarioError, match="demands.other.clauses: clause 'y' is already in demand 'pair'"):
        load(tmp_path, doc)


def test_shipped_demands_group_the_split_articles():
    from pathlib import Path

    from sim.scenario import load_scenario

    sc = load_scenario(Path(__file__).resolve().parent.parent / "scenarios" / "base.toml")
    groups = {d.id: set(d.clauses) for d in sc.demands if len(d.clauses) > 1}
    assert groups == {"accession": {"us.4a", "nato.6"}, "missiles": {"us.6", "nato.5"},
                      "indivisibility": {"us.1", "nato.1"}, "former_ussr": {"us.4b", "nato.7a"}}
    assert sum(len(d.clauses) for d in sc.demands) == len(sc.clauses)
