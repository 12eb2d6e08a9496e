"""Dated events and meeting calendars: known values worked out by hand, equivalences that must
hold (an event on the first meeting's day is the same as the static setting), and one clear
line for every bad event."""

from __future__ import annotations

import math

import numpy as np
import pytest

from experiments.runner import run
from sim.protocol import AGREEMENT, WALKOUT
from sim.scenario import ScenarioError

from .factory import TEST_SOURCE, load, pref, two_party, with_changes

FIELDS = ("outcome", "rounds", "walkout_by", "walkout_rule", "agreed", "utility")


def event(day, kind, **fields) -> dict:
    return {"day": day, "kind": kind, "source": TEST_SOURCE, **fields}


def base(**protocol) -> dict:
    # a wants both clauses high, b low; b never accepts more than 0.6 on x
    return two_party({"x": pref(1.0), "y": pref(1.0, 0.5)}, {"x": pref(0.0, above=0.6), "y": pref(0.0, 0.5)},
                     horizon=20, **protocol)


def same(a, b) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f), equal_nan=True) for f in FIELDS)


# ------------------------------------------------------------------ the calendar
def test_listed_meeting_days_then_every_round_days(tmp_path):
    sc = load(tmp_path, with_changes(base(), **{"protocol.meeting_days": [24, 26, 27], "protocol.horizon_days": 69}))
    assert sc.protocol.calendar().tolist() == [24, 26, 27, 34, 41, 48, 55, 62, 69]
    assert sc.protocol.horizon == 9
    b = run(sc, 200, 3)
    assert set(b.layout.days[np.maximum(b.rounds, 1) - 1]) <= {24, 26, 27, 34, 41, 48, 55, 62, 69}


def test_the_calendar_is_what_the_time_rules_read(tmp_path):
    # a's best package is worth 0.5 to it (both clauses capped at 0.5, linear loss), and its
    # outside option grows 0.1 a week from 0: it leaves by the outside-option rule at the first
    # meeting after day 35.  With meetings on days 24, 26, 27, then every 10 days (37, 47, ...),
    # that is day 37.  No deal can come first: b accepts nothing above 0 on x.
    doc = with_changes(base(), **{"protocol.meeting_days": [24, 26, 27], "protocol.round_days": 10,
                                  "agenda.caps": {"x": 0.5, "y": 0.5, "source": TEST_SOURCE}})
    doc["actors"]["a"].update(outside_option_growth=0.1, walkout=["outside_option"])
    doc["actors"]["b"]["clauses"]["x"] = pref(0.0, above=0.0)  # no deal is possible
    b = run(load(tmp_path, doc), 50, 1)
    assert (b.outcome == WALKOUT).all() and (b.walkout_by == 0).all()
    assert set(b.layout.days[b.rounds - 1]) == {37.0}


# ------------------------------------------------------------------ offers
def test_a_tabled_package_is_the_one_voted_on(tmp_path):
    # Day 0: a proposes near its ideal, x = 1, across b's red line: refused.  Day 7: b tables
    # (0.6, 0.25).  a, past its deadline (day 1), asks only its outside option (0), so it accepts
    # any package; b accepts its own (x = 0.6 is on its red line, not beyond).  So every run
    # agrees at meeting 2 on exactly (0.6, 0.25).
    doc = with_changes(base(), **{"events": {"reply": event(7, "offer", actor="b",
                                                             package={"x": 0.6, "y": 0.25})}})
    doc["actors"]["a"]["deadline_days"] = 1
    doc["protocol"]["deadline_phase"] = "none"  # the story above reads a's deadline as day 1 exactly
    b = run(load(tmp_path, doc), 100, 2)
    assert (b.outcome == AGREEMENT).all() and (b.rounds == 2).all()
    assert np.allclose(b.agreed, [[0.6, 0.25]])


def test_a_party_named_without_a_package_proposes_out_of_turn(tmp_path):
    from sim.engine import Compiled, params_for_runs
    from sim.protocol import init_state, play_round

    # rotation a, b, a, ...: the meeting of day 14 is a's turn; the event gives it to b
    doc = with_changes(base(), **{"protocol.order": ["a", "b"],
                                  "events": {"turn": event(14, "offer", actor="b")}})
    comp = Compiled.from_scenario(load(tmp_path, doc))
    p = params_for_runs(comp, 4, 0, 20)
    s = init_state(comp.layout, p)
    for turn in ("a", "b", "b"):
        play_round(comp.layout, p, s)
        going = s.rounds == s.t
        assert going.any() and (s.proposer[going] == "ab".index(turn)).all()
    doc2 = with_changes(doc, **{"events": {"turn": event(0, "offer", actor="b")}})
    comp2 = Compiled.from_scenario(load(tmp_path, doc2, "t2.toml"))
    s2 = init_state(comp2.layout, p)
    play_round(comp2.layout, params_for_runs(comp2, 4, 0, 20), s2)
    assert (s2.proposer == 1).all()  # day 0: b instead of a


# ------------------------------------------------------------------ changes from a day on
@pytest.mark.parametrize("static,ev", [
    ({"agenda.caps": {"x": 0.3, "source": TEST_SOURCE}}, event(0, "cap", clause="x", cap=0.3)),
    ({"actors.b.clauses.x": pref(0.0, above=0.45)}, event(0, "red_line", actor="b", clause="x", above=0.45)),
    ({"actors.a.outside_option": 0.2}, event(0, "outside_option", actor="a", shift=0.2)),
])
def test_an_event_on_the_first_meetings_day_is_the_static_setting(tmp_path, static, ev):
    doc = base()
    doc["actors"]["a"]["walkout"] = ["outside_option", "impatience"]
    a = run(load(tmp_path, with_changes(doc, **static), "static.toml"), 400, 9)
    b = run(load(tmp_path, with_changes(doc, **{"events": {"e": ev}}), "event.toml"), 400, 9)
    assert same(a, b)


def test_a_cap_holds_from_its_day_and_not_before(tmp_path):
    cut = {"events": {"cut": event(28, "cap", clause="x", cap=0.0)}}
    for deadline in (21, 70):  # talks that end before day 28, and talks that go past it
        doc = base()
        for who in ("a", "b"):
            doc["actors"][who]["deadline_days"] = deadline
        plain = run(load(tmp_path, doc, f"plain{deadline}.toml"), 1000, 5)
        b = run(load(tmp_path, with_changes(doc, **cut), f"cut{deadline}.toml"), 1000, 5)
        ended = plain.layout.days[plain.rounds - 1]
        if deadline == 21:
            assert (ended < 28).all() and (plain.agreed[:, 0] > 0).all()
            assert same(plain, b)  # over before the cut: the same runs, meeting for meeting
        else:
            days = b.layout.days[b.rounds - 1]
            deal = b.outcome == AGREEMENT
            assert deal.any() and (days[deal] >= 28).all() and (b.agreed[deal, 0] == 0).all()
            assert (plain.agreed[plain.outcome == AGREEMENT, 0] > 0).all()


def test_an_outside_option_shift_makes_the_party_leave_on_its_day(tmp_path):
    # a's best package is worth 0.5 (both clauses capped at 0.5), its outside option 0; from
    # day 14 it is 0 + 0.8 > 0.5: it leaves at the meeting of day 14 (meetings on 0, 7, 14, ...)
    # unless a deal came first, and none can (b accepts nothing above 0 on x).
    doc = with_changes(base(), **{"agenda.caps": {"x": 0.5, "y": 0.5, "source": TEST_SOURCE},
                                  "events": {"war": event(14, "outside_option", actor="a", shift=0.8)}})
    doc["actors"]["a"]["walkout"] = ["outside_option"]
    doc["actors"]["b"]["clauses"]["x"] = pref(0.0, above=0.0)
    b = run(load(tmp_path, doc), 100, 3)
    assert (b.outcome == WALKOUT).all() and (b.walkout_by == 0).all()
    assert (b.layout.days[b.rounds - 1] == 14).all()
    assert np.allclose(b.utility[:, 0], 0.8)  # its own walkout: its outside option that day


def test_the_mesa_driver_plays_events_like_the_batch(tmp_path):
    doc = with_changes(base(), **{"protocol.meeting_days": [3, 5],
                                  "events": {"cut": event(12, "cap", clause="y", cap=0.2),
                                             "reply": event(5, "offer", actor="b", package={"x": 0.5}),
                                             "shift": event(19, "outside_option", actor="a", shift=0.3),
                                             "line": event(26, "red_line", actor="b", clause="x", above=0.7)}})
    doc["actors"]["a"]["walkout"] = ["outside_option", "impatience"]
    sc = load(tmp_path, doc)
    assert same(run(sc, 40, 11), run(sc, 40, 11, engine="mesa"))


# ------------------------------------------------------------------ bad events: one clear line
@pytest.mark.parametrize("change,fragments", [
    ({"events": {"late": event(400, "cap", clause="x", cap=0.1)}}, ("events.late.day", "after the horizon")),
    ({"events": {"e": event(-1, "cap", clause="x", cap=0.1)}}, ("events.e.day", "out of range")),
    ({"events": {"e": event(7, "cap", clause="z", cap=0.1)}}, ("events.e.clause", "unknown clause 'z'")),
    ({"events": {"e": event(7, "cap", clause="x")}}, ("events.e.cap", "required for an event of kind 'cap'")),
    ({"events": {"e": event(7, "cap", clause="x", cap=0.1, shift=0.2)}}, ("events.e.shift", "does not use shift")),
    ({"events": {"e": event(7, "outside_option", actor="c", shift=0.1)}}, ("events.e.actor", "unknown actor 'c'")),
    ({"events": {"e": event(8, "offer", actor="a")}}, ("events.e.day", "not a meeting day", "7, 14")),
    ({"events": {"e": event(7, "offer", actor="a", package={"x": 2})}}, ("events.e.package.x", "out of range")),
    ({"events": {"e": event(7, "red_line", actor="a", clause="x", above=0.5)}},
     ("events.e.above", "excludes the actor's own ideal")),
    ({"events": {"e": event(7, "party", actor="a")}}, ("events.e.kind", "'party' is not allowed")),
    ({"events": {"e": {"day": 7, "kind": "cap", "clause": "x", "cap": 0.1}}}, ("events.e.day", "source")),
    ({"protocol.meeting_days": [24, 20]}, ("protocol.meeting_days", "must increase")),
    ({"protocol.meeting_days": [24, 200]}, ("protocol.meeting_days", "after the horizon")),
])
def test_bad_events_get_one_line_naming_the_key(tmp_path, change, fragments):
    with pytest.raises(ScenarioError) as exc:
        load(tmp_path, with_changes(base(), **change))
    text = str(exc.value)
    assert "\n" not in text and "toy.toml" in text
    for f in fragments:
        assert f in text, text


def test_an_offer_above_the_cap_in_force_that_day_is_refused(tmp_path):
    doc = with_changes(base(), **{"events": {"cut": event(7, "cap", clause="x", cap=0.2),
                                             "e": event(14, "offer", actor="b", package={"x": 0.3})}})
    with pytest.raises(ScenarioError, match=r"events\.e\.package\.x.*above what the agenda allows on day 14 \(0\.2\)"):
        load(tmp_path, doc)
    load(tmp_path, with_changes(doc, **{"events.e.day": 0}), "early.toml")  # before the cut it is allowed


def test_a_co_sponsor_accepts_the_offer_it_tables_within_its_red_lines(tmp_path):
    # Day 7: a tables (0.6, 0.25).  b, at the start of its concessions, asks nearly its best (1),
    # and the package is worth 1 - (2/3 0.6 + 1/3 0.25) = 0.517 to it: alone, b refuses.  Tabled
    # with b as co-sponsor, b accepts it (x = 0.6 is on its red line, not beyond), and so does a:
    # every run agrees at meeting 2 on exactly that package.
    reply = event(7, "offer", actor="a", package={"x": 0.6, "y": 0.25})
    alone = run(load(tmp_path, with_changes(base(), **{"events": {"r": reply}}), "alone.toml"), 200, 4)
    assert not ((alone.rounds == 2) & (alone.outcome == AGREEMENT)).any()
    joint = run(load(tmp_path, with_changes(base(), **{"events": {"r": {**reply, "with": ["b"]}}}), "joint.toml"),
                200, 4)
    assert (joint.outcome == AGREEMENT).all() and (joint.rounds == 2).all()
    assert np.allclose(joint.agreed, [[0.6, 0.25]])
    # across its own red line a co-sponsor still says no
    over = {**reply, "with": ["b"], "package": {"x": 0.7, "y": 0.25}}
    b = run(load(tmp_path, with_changes(base(), **{"events": {"r": over}}), "over.toml"), 200, 4)
    assert not ((b.rounds == 2) & (b.outcome == AGREEMENT)).any()


def test_the_record_quantities_by_hand():
    from analysis.backtest import record_rows

    outcome = np.array(["walkout", "walkout", "walkout", "agreement", "ongoing"])
    days = np.array([40.0, 62.0, 76.0, 69.0, 364.0])
    walker = np.array(["russia", "russia", "russia", "", ""])
    rows = {(r["quantity"], r["day"]): r["share"] for r in record_rows("s", "as shipped", outcome, days, walker, 364)}
    assert rows[("walkout", 40.0)] == 0.2 and rows[("walkout", 62.0)] == 0.4 and rows[("walkout", 69.0)] == 0.4
    assert rows[("agreement", 62.0)] == 0.0 and rows[("agreement", 69.0)] == 0.2
    assert rows[("still talking", 69.0)] == 0.4  # the walkout of day 76 and the run still going
    # still on: not ended before the day (the walkout of day 40 was on at day 40, not at 62)
    assert rows[("still on", 24.0)] == 1.0 and rows[("still on", 40.0)] == 1.0 and rows[("still on", 62.0)] == 0.8
    # the path: only the walkout of day 62 (on at 24, 40, 62; Russia; day 62-69); the day-40 one is too early
    assert rows[("record path", 69.0)] == 0.2 and rows[("log score", 69.0)] == pytest.approx(math.log(0.2))
    # CRPS by hand over [0, 364], F = share broken off by Russia by day t (walkouts on days 40, 62, 76):
    # [0, 40): 0; [40, 62): 0.2^2 x 22 = 0.88; [62, 69): 0.4^2 x 7 = 1.12; [69, 76): (0.4 - 1)^2 x 7 = 2.52;
    # [76, 364]: (0.6 - 1)^2 x 288 = 46.08; total 50.6
    assert rows[("crps", 69.0)] == pytest.approx(50.6)


def test_crps_of_the_breakdown_day_by_hand():
    from analysis.backtest import crps_breakdown

    one = np.array(["walkout"]), np.array(["russia"])
    assert crps_breakdown(one[0], np.array([69.0]), one[1], 364) == 0.0  # on the day: a perfect forecast
    assert crps_breakdown(one[0], np.array([0.0]), one[1], 364) == pytest.approx(69.0)  # 1^2 over [0, 69)
    assert crps_breakdown(one[0], np.array([62.0]), one[1], 364) == pytest.approx(7.0)  # a week early
    # a deal never breaks off: (0 - 1)^2 over [69, 364]
    assert crps_breakdown(np.array(["agreement"]), np.array([30.0]), np.array([""]), 364) == pytest.approx(295.0)
    # half at day 0, half a deal: 0.5^2 x 69 + 0.5^2 x 295 = 91
    assert crps_breakdown(np.array(["walkout", "agreement"]), np.array([0.0, 30.0]), np.array(["russia", ""]),
                          364) == pytest.approx(91.0)


def test_backtest_prints_the_table_and_refuses_a_variant_that_does_not_apply(tmp_path, capsys):
    from pathlib import Path

    from negsim.cli import main

    root = Path(__file__).resolve().parent.parent / "scenarios"
    assert main(["backtest", str(root / "history_2022.toml"), str(root / "full_agenda.toml"), "-n", "300",
                 "--out", str(tmp_path / "bt"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "history_2022" in out and "full_agenda" in out and "Not a fit" in out and "P(record path)" in out
    assert "an earlier walkout is not the record" in out and "CRPS" in out
    assert (tmp_path / "bt" / "backtest.parquet").exists()
    assert main(["backtest", str(root / "history_2022.toml"), "--variants", str(root / "history_whatif.toml"),
                 "-n", "40", "--out", str(tmp_path / "bt3"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.count("P(record path) against as shipped") == 8 and "score interval for paired data" in out
    code = main(["backtest", str(root / "full_agenda.toml"), "--variants", str(root / "history_whatif.toml"),
                 "-n", "10", "--out", str(tmp_path / "bt2"), "--quiet"])
    err = capsys.readouterr().err
    assert code != 0 and "history_whatif.toml" in err and "does not apply to full_agenda" in err


def test_the_what_if_variants_are_checked_against_the_scenario_they_name(tmp_path, capsys):
    from pathlib import Path

    from negsim.cli import main

    root = Path(__file__).resolve().parent.parent / "scenarios"
    assert main(["validate", str(root / "history_whatif.toml")]) == 0
    assert "8 variants, each applies to history_2022.toml" in capsys.readouterr().out
    bad = tmp_path / "whatif.toml"
    bad.write_text('applies_to = "nowhere.toml"\n[variants.v]\nset = {}\nreason = "r"\nsource = "s"\n')
    assert main(["validate", str(bad)]) != 0
    assert "applies_to: 'nowhere.toml': no such scenario file beside it" in capsys.readouterr().err
