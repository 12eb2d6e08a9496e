"""Bad scenario files are refused with one clear message: the file, the key, what is allowed."""

import pytest

from sim.scenario import ScenarioError, load_scenario
from tests.factory import load, pref, two_party, write

GOOD = two_party({"x": pref(1.0), "y": pref(1.0)}, {"x": pref(0.0), "y": pref(0.0)})


def error_of(tmp_path, doc) -> str:
    with pytest.raises(ScenarioError) as exc:
        load(tmp_path, doc)
    return str(exc.value)


def test_good_document_loads(tmp_path):
    sc = load(tmp_path, GOOD)
    assert sc.actor_ids == ("a", "b") and sc.clause_ids == ("x", "y")


def test_unknown_key_suggests_the_closest(tmp_path):
    doc = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",))
    doc["actors"]["a"]["outside_optoin"] = 0.2
    msg = error_of(tmp_path, doc)
    assert "toy.toml" in msg and "actors.a.outside_optoin" in msg and "did you mean 'outside_option'" in msg


def test_value_out_of_range(tmp_path):
    doc = two_party({"x": pref(1.3)}, {"x": pref(0.0)}, clauses=("x",))
    msg = error_of(tmp_path, doc)
    assert "actors.a.clauses.x.ideal" in msg and "[0, 1]" in msg


def test_distribution_support_out_of_range(tmp_path):
    doc = two_party({"x": pref({"dist": "uniform", "low": 0.5, "high": 1.5})}, {"x": pref(0.0)}, clauses=("x",))
    assert "support [0.5, 1.5] is out of range" in error_of(tmp_path, doc)


def test_unknown_actor_in_signatories(tmp_path):
    doc = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",))
    doc["instruments"]["deal"]["signatories"] = ["a", "bb"]
    msg = error_of(tmp_path, doc)
    assert "instruments.deal.signatories" in msg and "unknown actor or bloc 'bb'" in msg and "did you mean 'b'" in msg


def test_unknown_clause_in_preferences_and_agenda(tmp_path):
    doc = two_party({"x": pref(1.0), "z": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",))
    assert "unknown clause 'z'" in error_of(tmp_path, doc)
    doc = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",))
    doc["agenda"] = {"off": ["us.4a"]}
    assert "agenda.off" in error_of(tmp_path, doc)


def test_red_line_that_excludes_the_ideal(tmp_path):
    doc = two_party({"x": pref(0.8, above=0.5)}, {"x": pref(0.0)}, clauses=("x",))
    msg = error_of(tmp_path, doc)
    assert "actors.a.clauses.x.red_line.above" in msg and "excludes the actor's own ideal" in msg


def test_negative_salience(tmp_path):
    doc = two_party({"x": pref(1.0, -0.2)}, {"x": pref(0.0)}, clauses=("x",))
    msg = error_of(tmp_path, doc)
    assert "actors.a.clauses.x.salience" in msg and "-0.2 is out of range; allowed: [0, 100]" in msg


def test_not_toml(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[actors\nname = 'x'")
    with pytest.raises(ScenarioError, match=r"broken\.toml: not valid TOML"):
        load_scenario(path)


def test_missing_source(tmp_path):
    doc = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",))
    del doc["actors"]["a"]["source"]
    msg = error_of(tmp_path, doc)
    assert "actors.a.outside_option" in msg and "without saying where it comes from" in msg


def test_unknown_choice_suggests(tmp_path):
    doc = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",), proposer="rotaton")
    assert "did you mean 'rotation'" in error_of(tmp_path, doc)


def test_error_names_the_file_that_set_the_key(tmp_path):
    base = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",))
    base["actors"]["a"]["deadline_days"] = -3
    write(tmp_path, base, "base.toml")
    child = tmp_path / "child.toml"
    child.write_text('extends = "base.toml"\n[meta]\nname = "child"\n')
    with pytest.raises(ScenarioError, match=r"base\.toml \(via child\.toml\): actors\.a\.deadline_days"):
        load_scenario(child)


def test_extends_merges_and_remove_drops(tmp_path):
    write(tmp_path, two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",)), "base.toml")
    child = tmp_path / "child.toml"
    child.write_text('extends = "base.toml"\n[meta]\nname = "child"\n[actors.a]\noutside_option = 0.4\n'
                     'source = "judgement [negsim-calibration]: test"\n')
    sc = load_scenario(child)
    assert sc.name == "child" and sc.actors[0].outside_option.value == 0.4 and sc.actors[0].deadline_days.value == 70
    circular = tmp_path / "loop.toml"
    circular.write_text('extends = "loop.toml"\n')
    with pytest.raises(ScenarioError, match="circular"):
        load_scenario(circular)


def test_every_shipped_scenario_is_valid_and_sourced():
    from pathlib import Path

    from sim.layout import build_layout

    from sim.scenario import scenario_files

    files = scenario_files(Path(__file__).parent.parent / "scenarios")
    assert len(files) >= 5
    for f in files:
        sc = load_scenario(f)
        build_layout(sc)
        assert all(src for _, src in sc.sources)
        assert len(sc.clauses) == 18 and {"us.4a", "nato.6", "form"} <= set(sc.clause_ids)


def test_a_derived_file_must_source_the_numbers_it_changes(tmp_path):
    write(tmp_path, two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",)), "base.toml")
    child = tmp_path / "child.toml"
    child.write_text('extends = "base.toml"\n[meta]\nname = "child"\n[actors.a]\noutside_option = 0.4\n')
    with pytest.raises(ScenarioError, match=r"child\.toml: actors\.a\.outside_option: this file sets a number "
                       "without saying where it comes from"):
        load_scenario(child)


def test_a_plain_number_may_carry_its_own_source(tmp_path):
    """{ value = N, source = "..." } sets a number that is not drawn (capability) with its own
    provenance; a derived file replaces it whole; a wrong key or a missing value gets one line."""
    doc = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",))
    doc["actors"]["a"]["capability"] = {"value": 2.5, "source": "literature [negsim-calibration]: a test"}
    write(tmp_path, doc, "base.toml")
    sc = load_scenario(tmp_path / "base.toml")
    assert sc.actors[0].capability == 2.5 and sc.actors[1].capability == 1.0
    assert dict(sc.provenance)["actors.a.capability"] == "literature"
    child = tmp_path / "child.toml"
    child.write_text('extends = "base.toml"\n[meta]\nname = "child"\n[actors.a]\n'
                     'capability = { value = 0.5, source = "judgement [negsim-calibration]: smaller" }\n')
    assert load_scenario(child).actors[0].capability == 0.5
    doc["actors"]["a"]["capability"] = {"value": 2.5, "sorce": "judgement [negsim-calibration]: typo"}
    assert "actors.a.capability.sorce" in error_of(tmp_path, doc) and "did you mean 'source'" in error_of(tmp_path, doc)
    doc["actors"]["a"]["capability"] = {"source": "judgement [negsim-calibration]: no value"}
    assert "actors.a.capability: a table here needs value = N" in error_of(tmp_path, doc)
    doc["actors"]["a"]["capability"] = {"value": -1.0}
    assert "actors.a.capability.value: -1.0 is out of range" in error_of(tmp_path, doc)
