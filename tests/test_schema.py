"""The one field table (sim/schema.py): the loader, the sweep paths, the draws and the field
reference all follow it; registries and schema agree."""

from pathlib import Path

import numpy as np
import pytest

from sim import schema
from sim.engine import Compiled
from experiments.overrides import fix, resolve
from sim.params import draw_params
from sim.scenario import ScenarioError, load_scenario
from tests.factory import TEST_SOURCE, load, pref, two_party

ROOT = Path(__file__).resolve().parent.parent


def test_field_reference_is_current():
    assert (ROOT / "docs" / "fields.md").read_text() == schema.reference(), \
        "run: python -m sim.schema > docs/fields.md"


def test_every_field_path_has_its_parent_table():
    for f in schema.FIELDS:
        assert f.parent == "" or schema.BY_PATH[f.parent].kind == "table", f.path


@pytest.mark.parametrize("kind", list(schema.STRATEGIES))
def test_every_strategy_kind_can_be_named_and_reaches_the_kernel(tmp_path, kind):
    from sim.protocol import kernel_rules

    doc = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",))
    doc["actors"]["a"]["strategy"] = {"kind": kind}
    comp = Compiled.from_scenario(load(tmp_path, doc))
    assert comp.layout.strategies[0].name == kind
    assert kernel_rules(comp.layout).strategy[0] == schema.code(schema.STRATEGIES, kind)


@pytest.mark.parametrize("rule", list(schema.WALKOUT_RULES))
def test_every_walkout_rule_can_be_named_and_reaches_the_kernel(tmp_path, rule):
    from sim.protocol import kernel_rules

    doc = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",))
    doc["actors"]["a"]["walkout"] = [rule]
    comp = Compiled.from_scenario(load(tmp_path, doc))
    assert kernel_rules(comp.layout).rules[0, 0] == schema.code(schema.WALKOUT_RULES, rule)
    assert schema.choices(schema.field("actors.*.walkout")) == tuple(schema.WALKOUT_RULES)


def test_every_drawn_field_is_a_sweep_path_with_its_schema_range(tmp_path):
    doc = two_party({"x": pref(0.5, above=0.9, below=0.1), "y": pref(1.0), "z": pref(1.0)}, {"x": pref(0.0)},
                    clauses=("x", "y", "z"))
    doc["demands"] = {"dz": {"clauses": ["z"], "source": TEST_SOURCE}}
    del doc["actors"]["a"]["clauses"]["z"]["salience"]
    doc["actors"]["a"]["demands"] = {"dz": {"salience": 1.0, "source": TEST_SOURCE}}
    comp = Compiled.from_scenario(load(tmp_path, doc))
    lay = comp.layout
    u = np.full((1, comp.plan.n_uniforms), 0.5)
    for f in schema.FIELDS:
        if not f.drawn:
            continue
        path = f.path.replace("actors.*", "actors.a", 1).replace("clauses.*", "clauses.x", 1).replace("demands.*", "demands.dz")
        tg = resolve(path, lay.actors, lay.clauses, demands=lay.demands)
        assert (tg.low, tg.high) == (f.low, f.high), path
        if f.stream == 1 and f.key != "status_quo":
            continue  # a channel's input: it acts only with its channel on (tests/test_channels.py, each by hand)
        value = min(max(0.5, f.low), f.high)
        if f.key == "above":
            value = 0.7
        p = draw_params(fix(comp.plan, [tg], [value]), u)
        if f.key == "deadline_days":  # held as RunParams.deadline, in days like every time quantity
            got = p.deadline[0, 0]
        elif f.parent == "actors.*.strategy":  # a column of the actor's strategy parameter row
            got = p.strategy_params[0, 0, schema.STRATEGY_PARAMS.index(f.key)]
        elif tg.field == "demand_salience":  # z's whole demand: 0.5 against x's and y's 1 each
            got, value = p.salience[0, 0, 2], 0.5 / 2.5
        else:
            got = getattr(p, f.key)[0, 0] if tg.clause is None else getattr(p, f.key)[0, 0, 0]
        if f.key == "salience" and tg.field != "demand_salience":  # normalised: 0.5 against y's and z's 1
            value = 0.5 / 2.5
        assert got == pytest.approx(value), path


def test_a_value_past_a_fields_range_is_refused_naming_the_key(tmp_path):
    for path, bad in (("protocol.round_days", 0), ("protocol.belief_update", 1.5), ("actors.a.patience", 0)):
        doc = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",))
        t = doc
        *head, last = path.split(".")
        for h in head:
            t = t[h]
        t[last] = bad
        with pytest.raises(ScenarioError, match=rf"toy\.toml: {path}: {bad} is out of range; allowed"):
            load(tmp_path, doc)


def test_a_parameter_the_strategy_does_not_use_is_refused(tmp_path):
    doc = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",))
    doc["actors"]["a"]["strategy"] = {"kind": "time_dependent", "gamma": 2.0}
    with pytest.raises(ScenarioError, match="actors.a.strategy.gamma: the time_dependent strategy does not use gamma"):
        load(tmp_path, doc)


def test_shipped_scenarios_carry_provenance_for_every_number():
    from sim.scenario import scenario_files

    for f in scenario_files(ROOT / "scenarios"):
        sc = load_scenario(f)
        counts = sc.provenance_counts()
        assert sum(counts.values()) == len(sc.provenance) > 0
        assert set(counts) == {"record", "literature", "elicitation", "judgement"}


NEW_ROW_SCRIPT = """
import sys
from sim import schema
rows = (schema.Field("actors.*.toy_weight", "number", "a toy key", "share", 0.25, 0.0, 1.0),
        schema.Field("protocol.toy_channels", "ids", "a toy list of actors", ids="actor"))
schema.FIELDS = schema.FIELDS + rows
schema.BY_PATH.update({r.path: r for r in rows})
from sim.scenario import ScenarioError, load_scenario
sc = load_scenario(sys.argv[1])
print(sc.actors[0].toy_weight, sc.actors[1].toy_weight, sc.protocol.toy_channels)
try:
    load_scenario(sys.argv[2])
except ScenarioError as exc:
    print(exc)
"""


def test_a_new_scenario_key_is_one_schema_row(tmp_path):
    """Actor and Protocol are generated from the schema's rows: a row added to the table (and
    nothing else) is checked by the loader, filled with its default and carried as an attribute."""
    import subprocess
    import sys

    from tests.factory import write

    doc = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",), toy_channels=["b"])
    doc["actors"]["a"]["toy_weight"] = 0.75
    good = write(tmp_path, doc)
    doc["actors"]["a"]["toy_weight"] = 2
    bad = write(tmp_path, doc, "bad.toml")
    out = subprocess.run([sys.executable, "-c", NEW_ROW_SCRIPT, str(good), str(bad)], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.splitlines()
    assert out[0] == "0.75 0.25 ('b',)"  # a's value, b's default, the list as a tuple
    assert out[1] == f"{bad}: actors.a.toy_weight: 2 is out of range; allowed: [0, 1]"


def test_actor_and_protocol_attributes_are_the_schema_leaves():
    import dataclasses

    from sim.scenario_types import Actor, Protocol

    for cls, pattern, own in ((Actor, "actors.*", ["id", "prefs", "strategy", "demand_saliences"]),
                              (Protocol, "protocol", ["horizon"])):
        assert [f.name for f in dataclasses.fields(cls)] == own + [f.key for f in schema.leaves(pattern)]
