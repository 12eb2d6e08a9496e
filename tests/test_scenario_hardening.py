"""Malformed, hostile or ambiguous scenario files get one clear line (file, key, what is
allowed), never a traceback, a hang or a silent accept (issue 11, the loader's side)."""

import time

import pytest
import tomli_w

from sim.distributions import Beta, Fixed
from sim.scenario import MAX_EXTENDS, ScenarioError, load_scenario
from tests.factory import TEST_SOURCE, pref, two_party, write

GOOD = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",))


def refused(path, *fragments):
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    msg = str(exc.value)
    assert "\n" not in msg and len(msg) < 600, msg
    for f in fragments:
        assert f in msg, msg
    return msg


def text_file(tmp_path, text, name="s.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def good_text():
    return tomli_w.dumps(GOOD)


@pytest.mark.parametrize("snippet, fragments", [
    ("protocol = 5\n", ["protocol: must be a table"]),
    ('agenda = "x"\n', ["agenda: must be a table"]),
    ('actors = []\n', ["actors: must be a table"]),
])
def test_a_section_that_is_not_a_table(tmp_path, snippet, fragments):
    refused(text_file(tmp_path, snippet), *fragments)


def test_a_toml_date_in_free_text(tmp_path):
    doc = dict(GOOD, meta={"name": "toy", "description": "x"})
    text = tomli_w.dumps(doc).replace('description = "x"', "description = 2022-01-26")
    refused(text_file(tmp_path, text), "meta.description", "date", "quotes")


def test_deep_nesting_and_deep_dotted_keys(tmp_path):
    refused(text_file(tmp_path, "x = " + "[" * 2000 + "]" * 2000 + "\n"), "s.toml")
    refused(text_file(tmp_path, ".".join(f"k{i}" for i in range(1500)) + " = 1\n"), "nested more deeply", "at most 9")


def test_huge_integers(tmp_path):
    text = good_text().replace("outside_option = 0.0", "outside_option = " + "9" * 500, 1)
    refused(text_file(tmp_path, text), "actors.a.outside_option", "out of range")
    text = good_text().replace("outside_option = 0.0", "outside_option = " + "9" * 5000, 1)
    refused(text_file(tmp_path, text), "outside_option", "an integer of 5,000 digits")


def test_extends_stays_inside_the_scenario_folders(tmp_path):
    inner = tmp_path / "inner"
    inner.mkdir()
    write(tmp_path, GOOD, "outside.toml")
    for target in ("/dev/zero", "/etc/passwd", "../outside.toml", "/proc/self/environ", str(tmp_path / "outside.toml")):
        p = text_file(inner, f'extends = "{target}"\n')
        refused(p, "extends", "is not allowed")
    (inner / "dir.toml").mkdir()
    refused(text_file(inner, 'extends = "dir.toml"\n'), "not a regular file")
    refused(text_file(inner, 'extends = "missing.toml"\n'), "missing.toml (via s.toml): file not found")


def test_a_scenario_anywhere_extends_a_shipped_one_by_name(tmp_path):
    # a user's own folder outside the repository: the bare name falls back to the shipped scenarios/
    own = text_file(tmp_path, 'extends = "accession_excluded.toml"\n[meta]\nname = "mine"\n', "mine.toml")
    sc = load_scenario(own)
    assert sc.name == "mine" and sc.agenda.off == {"us.4a", "nato.6"}
    # a file of that name beside the scenario comes first
    write(tmp_path, GOOD, "accession_excluded.toml")
    assert load_scenario(own).actor_ids == ("a", "b")
    # a path (not a bare name) is never looked up in the shipped folder, and nothing outside is read
    inner = tmp_path / "inner"
    inner.mkdir()
    refused(text_file(inner, 'extends = "sub/base.toml"\n'), "file not found")
    refused(text_file(inner, 'extends = "../../base.toml"\n'), "is not allowed")


def test_a_misspelt_extends_says_where_it_looked(tmp_path):
    msg = refused(text_file(tmp_path, 'extends = "acession_excluded.toml"\n'), "file not found",
                  "did you mean 'accession_excluded.toml'?", "shipped scenarios/", "base.toml")
    assert msg.count("accession_excluded.toml") == 2  # the suggestion and the listing


def test_the_first_file_must_be_a_regular_file():
    from pathlib import Path

    refused(Path("/dev/zero"), "not a regular file")


def test_a_long_extends_chain(tmp_path):
    write(tmp_path, GOOD, "f0.toml")
    for i in range(1, MAX_EXTENDS + 3):
        text_file(tmp_path, f'extends = "f{i - 1}.toml"\n', f"f{i}.toml")
    refused(tmp_path / f"f{MAX_EXTENDS + 2}.toml", "longer than")


def test_distribution_fields_of_another_kind_and_value_with_dist(tmp_path):
    doc = two_party({"x": pref({"dist": "uniform", "low": 0.2, "high": 0.4, "mode": 0.3})}, {"x": pref(0.0)},
                    clauses=("x",))
    refused(write(tmp_path, doc), "actors.a.clauses.x.ideal.mode", "unknown key 'mode'")
    doc = two_party({"x": pref({"value": 0.3, "dist": "uniform", "low": 0.2, "high": 0.4})}, {"x": pref(0.0)},
                    clauses=("x",))
    refused(write(tmp_path, doc), "actors.a.clauses.x.ideal", "'value' fixes the number")


def test_a_missing_salience_is_refused_not_zero(tmp_path):
    doc = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",))
    del doc["actors"]["a"]["clauses"]["x"]["salience"]
    refused(write(tmp_path, doc), "actors.a.clauses.x.salience", "required key is missing")


def test_a_derived_distribution_replaces_the_parents_whole(tmp_path):
    base = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",))
    base["actors"]["a"]["outside_option"] = {"dist": "triangular", "low": 0.1, "mode": 0.3, "high": 0.5}
    write(tmp_path, base, "base.toml")
    child = text_file(tmp_path, 'extends = "base.toml"\n[actors.a]\noutside_option = { dist = "beta", a = 2, b = 2 }\n'
                      f'source = "{TEST_SOURCE}"\n', "child.toml")
    assert load_scenario(child).actors[0].outside_option == Beta(2.0, 2.0, 0.0, 1.0)
    child.write_text(f'extends = "base.toml"\n[actors.a]\noutside_option = {{ value = 0.45 }}\nsource = "{TEST_SOURCE}"\n')
    sc = load_scenario(child)
    assert sc.actors[0].outside_option == Fixed(0.45)
    assert sc.resolved_document["actors"]["a"]["outside_option"] == {"value": 0.45}  # what runs is what is listed


def test_remove_addresses_quoted_dotted_ids_and_blames_the_right_file(tmp_path):
    base = two_party({"us.1": pref(1.0), "y": pref(1.0)}, {"us.1": pref(0.0)}, clauses=("us.1", "y"))
    write(tmp_path, base, "base.toml")
    child = text_file(tmp_path, 'extends = "base.toml"\nremove = [\'actors.a.clauses."us.1"\']\n', "child.toml")
    sc = load_scenario(child)
    assert sc.actors[0].pref("us.1") is None and sc.actors[0].pref("y") is not None
    child.write_text('extends = "base.toml"\nremove = ["actors.a.clauses.us.1"]\n')
    refused(child, "child.toml", "remove", "quote ids that contain dots")


@pytest.mark.parametrize("name", ["../../x", "a/b", "$x$", "bad\x1b[31mname", "x" * 200])
def test_names_that_would_reach_paths_or_terminals(tmp_path, name):
    doc = dict(GOOD, meta={"name": name})
    refused(write(tmp_path, doc), "meta.name", "is not allowed")


def test_a_one_megabyte_name_is_refused_at_once(tmp_path):
    doc = dict(GOOD, meta={"name": "n" * 900_000})
    start = time.perf_counter()
    refused(write(tmp_path, doc), "meta.name")
    assert time.perf_counter() - start < 5


def test_control_characters_in_text(tmp_path):
    doc = dict(GOOD, meta={"name": "toy", "description": "bell\x07 and escape\x1b[2J"})
    refused(write(tmp_path, doc), "meta.description", "control characters")


def test_a_source_that_does_not_follow_the_grammar(tmp_path):
    doc = two_party({"x": pref(1.0)}, {"x": pref(0.0)}, clauses=("x",))
    doc["actors"]["a"]["source"] = "assumption: whatever"
    refused(write(tmp_path, doc), "actors.a.source", "<class> [<id>, ...]: <note>")
    doc["actors"]["a"]["source"] = "record [no-such-document]: the text"
    refused(write(tmp_path, doc), "actors.a.source", "unknown source id 'no-such-document'")


def test_a_huge_integer_inside_a_distribution(tmp_path):
    doc = two_party({"x": pref({"dist": "uniform", "low": 0, "high": 10 ** 3000})}, {"x": pref(0.0)}, clauses=("x",))
    refused(write(tmp_path, doc), "actors.a.clauses.x.ideal", "must be a finite number")
