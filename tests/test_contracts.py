"""One contract every concession strategy and every walkout rule must pass (cf. Axelrod's
test_player.py): shapes, bounds, determinism, monotonicity, no walkout from a good offer."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.strategies import STRATEGIES, ActorView
from sim.walkout import WALKOUT_RULES

R = 8
vec = lambda lo, hi: arrays(np.float64, R, elements=st.floats(lo, hi))  # noqa: E731


@st.composite
def views(draw, day=None):
    """Any state an actor can be in, including never having been offered anything it could
    sign (then what it holds is its status quo, which may be below or above its outside option)."""
    best_possible = draw(vec(0.0, 1.0))
    held = np.minimum(draw(vec(0.0, 1.0)), best_possible)
    return ActorView(
        day=float(draw(st.integers(0, 400))) if day is None else day,
        best_possible=best_possible,
        reservation=draw(vec(0.0, 1.0)),
        deadline=draw(vec(1.0, 300.0)),
        patience=draw(vec(0.5, 1.0)),
        held=held,
        held_earlier=held - draw(vec(0.0, 0.3)),
        span=draw(vec(0.0, 42.0)),
        elapsed=draw(vec(0.0, 400.0)),
        pace_prior=draw(vec(0.0, 0.2)),
        prior_days=draw(vec(0.0, 60.0)),
        conceded_to_me=draw(vec(0.0, 1.0)),
        proposing=draw(arrays(np.bool_, R)),
        interval=draw(vec(1.0, 30.0)),
        beta=draw(vec(0.05, 10.0)),
        kappa=draw(vec(0.0, 1.0)),
        gamma=draw(vec(0.0, 3.0)),
        partner_patience=draw(vec(0.5, 1.0)),
        parties=draw(vec(1.0, 10.0)),
    )


def with_(view, **kw):
    d = dict(view.__dict__)
    d.update(kw)
    return ActorView(**d)


@pytest.mark.parametrize("cls", list(STRATEGIES.values()), ids=list(STRATEGIES))
class TestStrategyContract:
    def test_metadata(self, cls):
        assert isinstance(cls.name, str) and STRATEGIES[cls.name] is cls
        assert {"reacts_to_others", "parameters"} <= set(cls.classifier)

    @settings(deadline=None)
    @given(view=views())
    def test_aspiration_between_reservation_and_best_possible(self, cls, view):
        a = cls().aspiration(view)
        assert a.shape == (R,)
        assert (a >= view.reservation - 1e-12).all()  # never asks less than walking away gives
        ok = view.best_possible >= view.reservation
        assert (a[ok] <= view.best_possible[ok] + 1e-12).all()  # never more than the table allows

    @settings(deadline=None)
    @given(view=views())
    def test_deterministic_and_fresh_instances_agree(self, cls, view):
        assert np.array_equal(cls().aspiration(view), cls().aspiration(view))

    @settings(deadline=None)
    @given(view=views(), later=st.integers(1, 200), more=st.floats(0.0, 0.5))
    def test_never_asks_more_with_time_or_concessions(self, cls, view, later, more):
        a = cls().aspiration(view)
        b = cls().aspiration(with_(view, day=view.day + later, conceded_to_me=view.conceded_to_me + more))
        assert (b <= a + 1e-12).all()


@pytest.mark.parametrize("cls", list(WALKOUT_RULES.values()), ids=list(WALKOUT_RULES))
class TestWalkoutContract:
    def test_metadata(self, cls):
        assert WALKOUT_RULES[cls.name] is cls and isinstance(cls.code, int) and cls.code > 0

    @settings(deadline=None)
    @given(view=views())
    def test_never_walks_while_what_it_holds_beats_the_outside_option(self, cls, view):
        fired = cls().fires(view)
        assert fired.shape == (R,) and fired.dtype == bool
        good = (view.held >= view.reservation) & (view.best_possible >= view.reservation)
        assert not fired[good].any()

    @settings(deadline=None)
    @given(view=views())
    def test_defined_when_nothing_was_ever_offered(self, cls, view):
        """Never offered anything it could sign: it holds the status quo (held = held_earlier,
        no span observed).  The rule answers (True or False), and leaves only if even its best
        package or the status quo, at the pace it expects, cannot beat walking away."""
        fresh = with_(view, held_earlier=view.held, span=np.zeros(R))
        fired = cls().fires(fresh)
        assert fired.dtype == bool and fired.shape == (R,)
        assert not fired[(fresh.held >= fresh.reservation) & (fresh.best_possible >= fresh.reservation)].any()


def _view(**kw):
    base = dict(day=70.0, best_possible=np.array([0.9]), reservation=np.array([0.5]), deadline=np.array([105.0]),
                patience=np.ones(1), held=np.array([0.3]), held_earlier=np.array([0.3]), span=np.array([21.0]),
                elapsed=np.array([70.0]), pace_prior=np.zeros(1), prior_days=np.zeros(1), conceded_to_me=np.zeros(1),
                proposing=np.zeros(1, dtype=bool), interval=np.array([7.0]), beta=np.ones(1), kappa=np.zeros(1),
                gamma=np.ones(1), partner_patience=np.ones(1), parties=np.full(1, 2.0))
    base.update(kw)
    return ActorView(**base)


def test_outside_option_rule_fires_exactly_when_the_table_cannot_beat_it():
    from sim.walkout import OutsideOption

    assert OutsideOption().fires(_view(best_possible=np.array([0.49])))[0]
    assert not OutsideOption().fires(_view(best_possible=np.array([0.5])))[0]


def test_impatience_by_hand():
    from sim.walkout import Impatience

    rule = Impatience()
    # what it holds rose 0.21 over the last 21 days (0.01 a day) to 0.3, no prior: 35 days left
    # before the deadline, no discount: waiting is worth 0.3 + 0.35 = 0.65 > 0.5, so it stays.
    assert not rule.fires(_view(held_earlier=np.array([0.09])))[0]
    # no movement at all ("drowned in a swamp"): 0.3 < 0.5 and waiting adds nothing: it leaves.
    assert rule.fires(_view())[0]
    # the same movement but the deadline has passed: only what it holds now counts.
    assert rule.fires(_view(held_earlier=np.array([0.09]), day=110.0))[0]
    # heavy discounting, 0.5 a week (0.906 a day): delta^k (0.3 + 0.01 k) peaks at k = 0 -> 0.3 < 0.5.
    assert rule.fires(_view(held_earlier=np.array([0.09]), patience=np.array([0.5])))[0]
    # nothing seen yet (span 0, day 0): its expected pace decides. 0.07 a week = 0.01 a day over
    # 105 days -> 0.3 + 1.05 capped at 0.9: it stays; expecting nothing, it leaves at once.
    first = dict(day=0.0, span=np.zeros(1), elapsed=np.zeros(1), prior_days=np.array([28.0]))
    assert not rule.fires(_view(pace_prior=np.array([0.07]), **first))[0]
    assert rule.fires(_view(pace_prior=np.zeros(1), **first))[0]
    # holding the status quo that beats its outside option (the US in the base calibration): it stays.
    assert not rule.fires(_view(held=np.array([0.87]), held_earlier=np.array([0.87]), reservation=np.array([0.65])))[0]


def test_the_pace_blends_the_expected_and_the_seen_by_days():
    from sim import kernel
    from sim.strategies import look_arrays

    # seen: 0.21 over 21 days = 0.01 a day, after 42 days of talks; expected 0.07 a week = 0.01 a
    # day weighted as 28 days: (42 * 0.01 + 28 * 0.01) / 70 = 0.01; expected 0 -> 0.42 / 70 = 0.006
    v = _view(held_earlier=np.array([0.09]), elapsed=np.array([42.0]), prior_days=np.array([28.0]))
    for prior, want in ((0.07, 0.01), (0.0, 0.006)):
        look = kernel.Look(*[np.asarray(x).ravel()[0] for x in look_arrays(_view(**{**v.__dict__, "pace_prior": np.array([prior])}))])
        assert kernel.pace(look) == pytest.approx(want)
