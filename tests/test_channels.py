"""The agenda's channels (sim/channels.py, docs/model.md 3.11): each one's direction on small cases
computed by hand, the switches' checks, and that every channel off leaves the model as it was."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.channels import CHANNELS
from experiments.runner import batches
from experiments.variants import apply
from sim.codes import ONGOING, WALKOUT
from sim.engine import Compiled
from sim.params import draw_params
from sim.preferences import utilities
from sim.scenario import ScenarioError, load_scenario
from tests.factory import TEST_SOURCE, actor, load, pref, two_party, with_changes

SCEN = "scenarios"


def russia_and_west(**russia) -> dict:
    """Russia (a) wants 1 on x (accession) and y, salience 1/2 each; the West (b) has red lines at
    0 on x and 0.5 on y.  Its best package inside them, (0, 0.5), is worth 1 - 1/2 - 1/4 = 1/4 to
    Russia, below its outside option 0.3: knowing the lines, Russia leaves at once."""
    a = actor({"x": pref(1.0, 0.5), "y": pref(1.0, 0.5)}, outside_option=0.3, deadline=30, **russia)
    b = actor({"x": pref(0.0, 0.5, above=0.0), "y": pref(0.0, 0.5, above=0.5)}, outside_option=0.0, deadline=30)
    doc = two_party({}, {}, horizon=20)
    doc["actors"] = {"a": a, "b": b}
    doc["channels"] = {"party": "a", "source": TEST_SOURCE}
    return doc


def first(sc):
    comp = Compiled.from_scenario(sc)
    return draw_params(comp.plan, comp.plan.uniforms(1, 0, 1)), comp.plan.layout


def play(sc, runs=1):
    b = list(batches(sc, runs, 1))[0]
    return b.outcome, b.layout.end_day(b.rounds)


# ---------------------------------------------------------------- reference point
def test_agenda_reference_by_hand(tmp_path):
    """Ideal 1 on x and y, saliences 1/2, y off the table, loss aversion 2, reference = agenda:
    y's reference is 0, so its shortfall is no loss; x's reference is its ideal.  The worst package
    (0, 0) loses 1/2 + 1/2 plain and 2 x 1/2 + 1/2 = 3/2 with the reference, so the scale is 2/3;
    the package (1/2, 0): (2 x 1/2 x 1/2 + 1/2 x 1) x 2/3 = 2/3 lost, utility 1/3."""
    doc = with_changes(russia_and_west(loss_aversion=2.0), **{"agenda.off": ["y"], "channels.reference": "agenda"})
    p, lay = first(load(tmp_path, doc))
    assert p.reference_scale[0, 0] == pytest.approx(2 / 3)
    assert p.reference_gap[0, 0].tolist() == [0.0, 1.0]
    u = utilities(np.array([[0.5, 0.0]]), p.ideal, p.salience, lay.mixing, p.loss_aversion, p.reference_gap,
                  p.reference_scale)
    assert u[0, 0] == pytest.approx(1 / 3)
    assert p.status_quo[0, 0] == pytest.approx(0.0)  # the worst package keeps its utility: 1 - 1 = 0


@settings(deadline=None, max_examples=30)
@given(lam=st.floats(1.0, 5.0), x=st.floats(0.0, 1.0), y=st.floats(0.0, 1.0))
def test_drafts_reference_rescales_nothing(tmp_path_factory, lam, x, y):
    """With every shortfall a loss (reference = the drafts, the ideal) loss aversion multiplies the
    whole loss, and the scale that keeps the worst package where it was divides it back out."""
    tmp = tmp_path_factory.mktemp("drafts")
    doc = with_changes(russia_and_west(loss_aversion=lam), **{"channels.reference": "drafts"})
    p, lay = first(load(tmp, doc))
    pkg = np.array([[x, y]])
    with_ref = utilities(pkg, p.ideal, p.salience, lay.mixing, p.loss_aversion, p.reference_gap, p.reference_scale)
    plain = utilities(pkg, p.ideal, p.salience, lay.mixing)
    assert with_ref[0, 0] == pytest.approx(plain[0, 0], abs=1e-12)


# ---------------------------------------------------------------- weight, face, linkage
def test_weight_renormalise_and_move_by_hand(tmp_path):
    """Saliences 1/2 on x and y, x off the table.  loss: x keeps 1/2 (a standing loss);
    renormalise: x gets 0 and y all of it; move to the demand holding y: the same here."""
    base = with_changes(russia_and_west(), **{"agenda.off": ["x"]})
    base["demands"] = {"rest": {"name": "rest", "clauses": ["y"], "source": TEST_SOURCE}}
    base["actors"]["a"]["excluded_to"] = "rest"
    for mode, expected in (("loss", [0.5, 0.5]), ("renormalise", [0.0, 1.0]), ("move", [0.0, 1.0])):
        p, _ = first(load(tmp_path, with_changes(base, **{"channels.weight": mode}), f"{mode}.toml"))
        assert p.salience[0, 0].tolist() == pytest.approx(expected), mode


def test_face_moves_the_outside_option_only_when_a_demand_is_off(tmp_path):
    doc = with_changes(russia_and_west(face=-0.1), **{"channels.face": "on"})
    on_table, _ = first(load(tmp_path, doc, "on.toml"))
    off, _ = first(load(tmp_path, with_changes(doc, **{"agenda.off": ["x"]}), "off.toml"))
    assert on_table.outside_option[0, 0] == pytest.approx(0.3)
    assert off.outside_option[0, 0] == pytest.approx(0.2)


def test_linkage_relaxes_the_named_lines_only_when_the_trigger_is_off(tmp_path):
    doc = russia_and_west()
    doc["actors"]["b"]["relax_when_off"] = ["x"]
    doc["actors"]["b"]["clauses"]["y"]["red_line"]["relax"] = 0.2
    doc = with_changes(doc, **{"channels.linkage": "on"})
    on_table, _ = first(load(tmp_path, doc, "on.toml"))
    off, _ = first(load(tmp_path, with_changes(doc, **{"agenda.off": ["x"]}), "off.toml"))
    assert on_table.above[0, 1, 1] == pytest.approx(0.5)
    assert off.above[0, 1, 1] == pytest.approx(0.7)


# ---------------------------------------------------------------- information
def test_information_brings_the_walkout_forward_when_accession_is_off(tmp_path):
    """Knowing the lines, Russia leaves at the first meeting in both agendas (best 1/4 < 0.3).
    Believing the West might give everything (share 1), it stays until refusals teach it: with x
    on the table its belief on both clauses must fall (best = (b_x + b_y)/2 < 0.3), with x off
    only on y (best = b_y / 2 < 0.3, the agenda settles x at 0), so it leaves earlier."""
    doc = russia_and_west(red_line_belief=1.0)
    knows = with_changes(doc, **{"actors.a.red_line_belief": 0.0, "channels.information": "on"})
    hopes = with_changes(doc, **{"channels.information": "on"})
    for d, name in ((knows, "knows"), (hopes, "hopes")):
        for off in ([], ["x"]):
            sc = load(tmp_path, with_changes(d, **{"agenda.off": off}), f"{name}{len(off)}.toml")
            outcome, day = play(sc)
            assert outcome[0] == WALKOUT, (name, off)
            if name == "knows":
                assert day[0] == 0.0, off
    full = play(load(tmp_path, hopes, "h_full.toml"))[1][0]
    excl = play(load(tmp_path, with_changes(hopes, **{"agenda.off": ["x"]}), "h_excl.toml"))[1][0]
    assert 0 < excl < full


def test_a_party_that_knows_the_lines_learns_nothing_from_a_refusal(tmp_path):
    doc = with_changes(russia_and_west(red_line_belief=0.0), **{"channels.information": "on"})
    p, _ = first(load(tmp_path, doc))
    assert p.line_learning[0] == 0.0
    assert p.line_belief[0, 1].tolist() == pytest.approx([0.0, 0.5])  # the true lines


# ---------------------------------------------------------------- the status quo
def test_talks_persist_when_the_status_quo_beats_walking_out(tmp_path):
    """No deal is possible (the West concedes nothing: red lines at 0 on both clauses) and Russia
    knows it (information on, share 0: its best package is worth 0).  With its status quo 0.4
    above its outside option 0.3 and no growth, walking out is a threat it does not carry out: the
    talks are still on at the horizon.  With the status quo at its default (0 here) it leaves."""
    doc = with_changes(russia_and_west(status_quo=0.4, red_line_belief=0.0), **{"channels.information": "on"})
    doc["actors"]["b"]["clauses"]["y"]["red_line"]["above"] = 0.0
    doc["actors"]["a"]["clauses"]["y"] = pref(1.0, 0.5, below=0.5)  # and Russia signs nothing below 0.5 on y
    outcome, _ = play(load(tmp_path, doc, "sq.toml"))
    assert outcome[0] == ONGOING
    del doc["actors"]["a"]["status_quo"]
    outcome, _ = play(load(tmp_path, doc, "nosq.toml"))
    assert outcome[0] == WALKOUT


# ---------------------------------------------------------------- switches
@pytest.mark.parametrize("switch,value,needs", [("information", "on", "red_line_belief"),
                                                ("reference", "agenda", "loss_aversion"), ("face", "on", "face"),
                                                ("weight", "move", "excluded_to"), ("linkage", "on", "relax_when_off")])
def test_a_switch_on_without_its_inputs_is_refused(tmp_path, switch, value, needs):
    doc = with_changes(russia_and_west(), **{f"channels.{switch}": value})
    with pytest.raises(ScenarioError, match=needs):
        load(tmp_path, doc)


def test_channel_inputs_cannot_matter_while_their_switches_are_off():
    """The shipped scenarios carry every channel's inputs with the switches off: other priors for
    them leave every run as it was."""
    sc = load_scenario(f"{SCEN}/accession_excluded.toml")
    bare = apply(sc, {"actors.russia.red_line_belief": {"dist": "uniform", "low": 0.5, "high": 0.6},
                      "actors.russia.face": {"dist": "uniform", "low": 0.9, "high": 1.0},
                      "actors.russia.loss_aversion": {"dist": "uniform", "low": 5.0, "high": 9.0}})
    for x, y in zip(batches(sc, 300, 7), batches(bare, 300, 7)):
        assert np.array_equal(x.outcome, y.outcome) and np.array_equal(x.rounds, y.rounds)


def test_the_channels_table_covers_every_switch_and_mode():
    from sim import schema

    named = {(k.split(".")[1], v) for ch in CHANNELS for k, v in ch.changes}
    for key in ("information", "reference", "face", "weight", "linkage"):
        f = schema.field(f"channels.{key}")
        assert {(key, c) for c in f.choices if c != f.default} <= named, key


# ---------------------------------------------------------------- the command and the report
def test_negsim_channels_writes_its_table_figure_and_report_section(tmp_path, capsys):
    from negsim.cli import main

    out = tmp_path / "ch"
    assert main(["channels", f"{SCEN}/full_agenda.toml", f"{SCEN}/accession_excluded.toml", "-n", "300",
                 "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    table = __import__("pandas").read_parquet(out / "channels.parquet")
    assert list(dict.fromkeys(table["channel"])) == [c.name for c in CHANNELS]
    for name in table["channel"].unique():
        assert f"  {name}" in printed  # one line per channel
        sub = table[table["channel"] == name]
        assert {"agreement_by_horizon", "walkout_by_day_69", "walkout_by_day_182", "walkout_by_horizon",
                "breakeven"} <= set(sub["metric"])
        assert sub[sub["metric"] != "breakeven"]["paired"].all()
    assert (out / "channels.png").exists()
    # with every channel off, 'none' is the shipped comparison: same draws, same answer
    runs = tmp_path / "runs"
    assert main(["compare", f"{SCEN}/full_agenda.toml", f"{SCEN}/accession_excluded.toml", "-n", "300",
                 "--out", str(runs), "--quiet"]) == 0
    capsys.readouterr()
    pd = __import__("pandas")
    none = table[(table["channel"] == "none") & (table["metric"] == "agreement_by_horizon")].iloc[0]
    for col, name in (("a", "full_agenda"), ("b", "accession_excluded")):
        shares = pd.read_parquet(runs / f"runs_{name}.parquet")["outcome"].astype(str)
        assert none[col] == pytest.approx((shares == "agreement").mean(), abs=1e-12)
    assert main(["report", str(runs / "runs_full_agenda.parquet"), str(runs / "runs_accession_excluded.parquet"),
                 "--channels", str(out), "--out", str(runs / "report.html")]) == 0
    html = (runs / "report.html").read_text()
    assert "The answer per channel of the agenda" in html and "weight: renormalise" in html
    # a folder another command wrote is refused in one line
    assert main(["report", str(runs / "runs_full_agenda.parquet"), "--channels", str(runs),
                 "--out", str(runs / "r2.html")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not written by negsim channels" in err[0]


def test_the_breakeven_yardstick_is_the_best_package_inside_every_line(tmp_path):
    """russia_and_west: inside the West's lines (x <= 0, y <= 0.5) Russia's best package is
    (0, 0.5), worth 1 - 1/2 - 1/4 = 1/4; its outside option 0.3 is 1.2 times that."""
    from experiments.channels import best_inside_all_lines, outside_option_share

    sc = load(tmp_path, russia_and_west())
    p, lay = first(sc)
    assert best_inside_all_lines(p, lay, 0)[0] == pytest.approx(0.25)
    assert outside_option_share(sc, "a", 1, 1)[0] == pytest.approx(1.2)
