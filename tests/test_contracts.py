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
def views(draw, t=None):
    best_possible = draw(vec(0.0, 1.0))
    best = draw(st.one_of(vec(0.0, 1.0), st.just(np.full(R, -np.inf))))
    return ActorView(
        t=draw(st.integers(0, 60)) if t is None else t,
        best_possible=best_possible,
        reservation=draw(vec(0.0, 1.0)),
        deadline=draw(vec(1.0, 40.0)),
        beta=draw(vec(0.05, 10.0)),
        kappa=draw(vec(0.0, 1.0)),
        gamma=draw(vec(0.0, 3.0)),
        patience=draw(vec(0.5, 1.0)),
        best_offer=np.minimum(best, best_possible),
        conceded_to_me=draw(vec(0.0, 1.0)),
        best_offer_earlier=np.minimum(best, best_possible) - draw(vec(0.0, 0.3)),
        window=draw(st.integers(1, 5)),
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
    @given(view=views(), later=st.integers(1, 30), more=st.floats(0.0, 0.5))
    def test_never_asks_more_with_time_or_concessions(self, cls, view, later, more):
        a = cls().aspiration(view)
        b = cls().aspiration(with_(view, t=view.t + later, conceded_to_me=view.conceded_to_me + more))
        assert (b <= a + 1e-12).all()


@pytest.mark.parametrize("cls", list(WALKOUT_RULES.values()), ids=list(WALKOUT_RULES))
class TestWalkoutContract:
    def test_metadata(self, cls):
        assert WALKOUT_RULES[cls.name] is cls and isinstance(cls.code, int) and cls.code > 0

    @settings(deadline=None)
    @given(view=views())
    def test_never_walks_from_an_offer_better_than_the_outside_option(self, cls, view):
        fired = cls().fires(view)
        assert fired.shape == (R,) and fired.dtype == bool
        good = np.isfinite(view.best_offer) & (view.best_offer >= view.reservation)
        assert not fired[good].any()


def _view(**kw):
    base = dict(t=10, best_possible=np.array([0.9]), reservation=np.array([0.5]), deadline=np.array([15.0]),
                beta=np.ones(1), kappa=np.zeros(1), gamma=np.ones(1), patience=np.ones(1),
                best_offer=np.array([0.3]), conceded_to_me=np.zeros(1), best_offer_earlier=np.array([0.3]), window=3)
    base.update(kw)
    return ActorView(**base)


def test_outside_option_rule_fires_exactly_when_the_table_cannot_beat_it():
    from sim.walkout import OutsideOption

    assert OutsideOption().fires(_view(best_possible=np.array([0.49])))[0]
    assert not OutsideOption().fires(_view(best_possible=np.array([0.5])))[0]


def test_impatience_by_hand():
    from sim.walkout import Impatience

    rule = Impatience()
    # offers rose 0.3 over 3 rounds (0.1 a round) to 0.3; 5 rounds left, no discount:
    # waiting 5 rounds is worth 0.3 + 0.5 = 0.8 > 0.5, so it stays.
    assert not rule.fires(_view(best_offer_earlier=np.array([0.0])))[0]
    # no movement at all ("drowned in a swamp"): 0.3 < 0.5 and waiting adds nothing: it leaves.
    assert rule.fires(_view())[0]
    # the same movement but the deadline has passed: only what is on offer now counts.
    assert rule.fires(_view(best_offer_earlier=np.array([0.0]), t=16))[0]
    # heavy discounting: 0.9^k (0.3 + 0.1 k) peaks at k = 5 with 0.59 * 0.8 = 0.47 < 0.5: it leaves.
    assert rule.fires(_view(best_offer_earlier=np.array([0.0]), patience=np.array([0.9])))[0]
    # before a full window of observations it never fires.
    assert not rule.fires(_view(t=2))[0]
