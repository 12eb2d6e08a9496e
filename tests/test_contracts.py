"""One contract every concession strategy and every walkout rule must pass (cf. Axelrod's
test_player.py), each reached by name through the kernel's dispatch: bounds, determinism,
monotonicity, no walkout from a good offer.  The fixtures come from the schema's registries, so a
new strategy or rule is covered with no edit here."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import schema
from sim.kernel import pace
from tests.parts import RULE_NAMES, STRATEGY_NAMES, ask, fires, look, looks, rows


@pytest.mark.parametrize("name", STRATEGY_NAMES)
class TestStrategyContract:
    def test_registry_row(self, name):
        code, part = schema.STRATEGIES[name]
        assert part.name == name and code >= 1
        assert set(part.parameters) <= set(schema.STRATEGY_PARAMS)

    @settings(deadline=None)
    @given(lk=looks(), theta=rows())
    def test_aspiration_between_reservation_and_best_possible(self, name, lk, theta):
        a = ask(name, lk, theta)
        assert a >= lk.reservation - 1e-12  # never asks less than walking away gives
        if lk.best_possible >= lk.reservation:
            assert a <= lk.best_possible + 1e-12  # never more than the table allows

    @settings(deadline=None)
    @given(lk=looks(), theta=rows())
    def test_deterministic(self, name, lk, theta):
        assert ask(name, lk, theta) == ask(name, lk, theta)

    @settings(deadline=None)
    @given(lk=looks(), theta=rows(), later=st.integers(1, 200), more=st.floats(0.0, 0.5))
    def test_never_asks_more_with_time_or_concessions(self, name, lk, theta, later, more):
        a = ask(name, lk, theta)
        b = ask(name, lk._replace(day=lk.day + later, conceded_to_me=lk.conceded_to_me + more), theta)
        assert b <= a + 1e-12


@pytest.mark.parametrize("name", RULE_NAMES)
class TestWalkoutContract:
    def test_registry_row(self, name):
        code, part = schema.WALKOUT_RULES[name]
        assert part.name == name and code >= 1 and schema.RULE_NAMES[code] == name

    @settings(deadline=None)
    @given(lk=looks())
    def test_never_walks_while_what_it_holds_beats_the_outside_option(self, name, lk):
        if lk.held >= lk.reservation and lk.best_possible >= lk.reservation:
            assert not fires(name, lk)

    @settings(deadline=None)
    @given(lk=looks())
    def test_defined_when_nothing_was_ever_offered(self, name, lk):
        """Never offered anything it could sign: it holds the status quo (held = held_earlier,
        no span observed).  The rule answers (True or False), and leaves only if even its best
        package or the status quo, at the pace it expects, cannot beat walking away."""
        fresh = lk._replace(held_earlier=lk.held, span=0.0)
        fired = fires(name, fresh)
        assert isinstance(fired, bool)
        if fresh.held >= fresh.reservation and fresh.best_possible >= fresh.reservation:
            assert not fired


def _view(**kw):
    """A situation 70 days into the talks: holds 0.3, its outside option 0.5, deadline day 105."""
    return look(**{**dict(day=70.0, best_possible=0.9, reservation=0.5, deadline=105.0, held=0.3, held_earlier=0.3,
                          span=21.0, elapsed=70.0), **kw})


def test_outside_option_rule_fires_exactly_when_the_table_cannot_beat_it():
    assert fires("outside_option", _view(best_possible=0.49))
    assert not fires("outside_option", _view(best_possible=0.5))


def test_impatience_by_hand():
    # what it holds rose 0.21 over the last 21 days (0.01 a day) to 0.3, no prior: 35 days left
    # before the deadline, no discount: waiting is worth 0.3 + 0.35 = 0.65 > 0.5, so it stays.
    assert not fires("impatience", _view(held_earlier=0.09))
    # no movement at all ("drowned in a swamp"): 0.3 < 0.5 and waiting adds nothing: it leaves.
    assert fires("impatience", _view())
    # the same movement but the deadline has passed: only what it holds now counts.
    assert fires("impatience", _view(held_earlier=0.09, day=110.0))
    # heavy discounting, 0.5 a week (0.906 a day): delta^k (0.3 + 0.01 k) peaks at k = 0 -> 0.3 < 0.5.
    assert fires("impatience", _view(held_earlier=0.09, patience=0.5))
    # nothing seen yet (span 0, day 0): its expected pace decides. 0.07 a week = 0.01 a day over
    # 105 days -> 0.3 + 1.05 capped at 0.9: it stays; expecting nothing, it leaves at once.
    first = dict(day=0.0, span=0.0, elapsed=0.0, prior_days=28.0)
    assert not fires("impatience", _view(pace_prior=0.07, **first))
    assert fires("impatience", _view(pace_prior=0.0, **first))
    # holding the status quo that beats its outside option (the US in the base calibration): it stays.
    assert not fires("impatience", _view(held=0.87, held_earlier=0.87, reservation=0.65))


def test_the_pace_blends_the_expected_and_the_seen_by_days():
    # seen: 0.21 over 21 days = 0.01 a day, after 42 days of talks; expected 0.07 a week = 0.01 a
    # day weighted as 28 days: (42 * 0.01 + 28 * 0.01) / 70 = 0.01; expected 0 -> 0.42 / 70 = 0.006
    v = _view(held_earlier=0.09, elapsed=42.0, prior_days=28.0)
    for prior, want in ((0.07, 0.01), (0.0, 0.006)):
        assert pace(v._replace(pace_prior=prior)) == pytest.approx(want)
