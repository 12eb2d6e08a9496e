"""The compiled kernel against the formulas it implements (docs/model.md, section 3)."""

import inspect
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim import kernel, schema
from sim.engine import Compiled, params_for_runs
from sim.kernel import offers, prefs, rules, strategies
from sim.kernel.bundles import Prefs
from sim.preferences import normalise_salience, utilities
from sim.protocol import ONGOING, init_state, kernel_params, play_round
from sim.scenario import load_scenario
from sim.schema import STRATEGY_PARAMS
from tests.parts import look, row

unit = st.floats(0.0, 1.0)


@settings(deadline=None)
@given(data=st.data(), n_a=st.integers(1, 4), n_c=st.integers(1, 6))
def test_compiled_utilities_are_the_documented_formula(data, n_a, n_c):
    ideal = data.draw(arrays(np.float64, (n_a, n_c), elements=unit))
    salience = normalise_salience(data.draw(arrays(np.float64, (n_a, n_c), elements=st.floats(0.01, 1.0))))
    x = data.draw(arrays(np.float64, n_c, elements=unit))
    mixing = normalise_salience(data.draw(arrays(np.float64, (n_a, n_a), elements=unit)) + np.eye(n_a))
    lam = data.draw(arrays(np.float64, n_a, elements=st.sampled_from([1.0, 1.5, 2.0, 3.0])))
    gap = data.draw(arrays(np.float64, (n_a, n_c), elements=unit))
    scale = data.draw(arrays(np.float64, n_a, elements=st.floats(0.2, 1.0)))
    scale = np.where(lam == 1.0, 1.0, scale)  # the scale of a party without loss aversion is 1 (channels.reference)
    reference = np.concatenate([gap, (lam - 1.0)[:, None], scale[:, None]], axis=1)
    u = np.empty(n_a)
    prefs.utilities(Prefs(mixing, salience, ideal, reference), x, np.empty(n_a), u)
    expected = utilities(x[None], ideal[None], salience[None], mixing, lam[None], gap[None], scale[None])[0]
    assert np.allclose(u, expected, rtol=0, atol=1e-12)  # u_i = sum_k M_ik (1 - loss_k), loss_k with its reference


@settings(deadline=None)
@given(keys=st.lists(st.integers(0, 3), min_size=1, max_size=20))
def test_linkage_order_is_a_stable_sort(keys):
    key = np.array(keys, dtype=float)  # few distinct values: many ties, which must keep clause order
    out = np.empty(len(key), dtype=np.int64)
    prefs.stable_argsort(key, out)
    assert out.tolist() == np.argsort(key, kind="stable").tolist()


def test_a_proposer_never_offers_less_than_it_asks_for():
    """Fractional knapsack never overspends: the offer is worth at least the proposer's
    aspiration to it (exactly, without mixing, unless its target costs less).  With its own view
    on every clause: a party that tables its allies' positions on an instrument it does not
    sign (protocol.unsigned = "allies") may be held below its aspiration by them."""
    from experiments.variants import apply

    comp = Compiled.from_scenario(apply(load_scenario("scenarios/base.toml"), {"protocol.unsigned": "own"}))
    lay = comp.layout
    p = params_for_runs(comp, 7, 0, 500)
    s = init_state(lay, p)
    rows = np.arange(p.n_runs)
    checked = 0
    while s.t < lay.horizon and (s.outcome == ONGOING).any():
        live = s.outcome == ONGOING
        play_round(lay, p, s)
        q = s.proposer[live]
        asks, gets = s.aspiration[rows[live], q], s.offer_utility[rows[live], q]
        can = p.best_possible[rows[live], q] >= asks
        assert (gets[can] >= asks[can] - 1e-9).all()
        checked += can.sum()
    assert checked > 1000


# ---------------------------------------------------------------- bundles and dispatch

def _compiled_functions():
    """Every compiled function defined in the modules of sim/kernel/, by name."""
    import importlib
    import pkgutil

    found = {}
    for info in pkgutil.iter_modules(kernel.__path__):
        module = importlib.import_module(f"{kernel.__name__}.{info.name}")
        found.update({name: obj for name, obj in vars(module).items()
                      if hasattr(obj, "py_func") and obj.py_func.__module__ == module.__name__})
    return found


def test_no_compiled_function_takes_more_than_8_parameters():
    found = _compiled_functions()
    assert {"play_rounds", "play_run", "build_offer", "setup_run", "vote_per_instrument", "walk_out", "aspiration",
            "walkout_fires", "proposals", "vote", "hold", "learn"} <= set(found)
    too_many = {name: len(inspect.signature(fn.py_func).parameters) for name, fn in found.items()
                if len(inspect.signature(fn.py_func).parameters) > 8}
    assert not too_many


def test_compiled_steps_are_short():
    """A meeting is split into steps a reader can hold in mind: no compiled function of the
    kernel is longer than 60 lines (docstring included)."""
    long = {name: len(inspect.getsource(fn.py_func).splitlines()) for name, fn in _compiled_functions().items()}
    assert {name: n for name, n in long.items() if n > 60} == {}


def test_parameter_row_columns_are_the_registry_order():
    st_ = strategies
    assert (STRATEGY_PARAMS[st_.BETA], STRATEGY_PARAMS[st_.KAPPA], STRATEGY_PARAMS[st_.GAMMA],
            STRATEGY_PARAMS[st_.PARTNER], STRATEGY_PARAMS[st_.PARTIES]) == (
        "beta", "kappa", "gamma", "partner_patience", "parties")
    comp = Compiled.from_scenario(load_scenario("scenarios/base.toml"))
    p = params_for_runs(comp, 3, 0, 50)
    theta = kernel_params(p).strategy_params
    assert theta.shape == (50, comp.layout.n_actors, len(STRATEGY_PARAMS)) and theta.flags.c_contiguous
    # each column holds the parameter it is named for: Russia's drawn beta, its kappa fixed at 0
    from sim.engine import inputs_for_runs

    drawn = inputs_for_runs(comp, 3, 0, 50)["actors.russia.strategy.beta"]
    russia = comp.layout.actors.index("russia")
    assert np.array_equal(theta[:, russia, strategies.BETA], drawn) and drawn.std() > 0
    assert (theta[:, russia, strategies.KAPPA] == 0).all()


def test_time_dependent_by_hand():
    # alpha(t) = kappa + (1 - kappa) (min(t, T) / T)^p, p = 1 / beta, averaged over the week the
    # offer stands: day 5, interval 7, T = 10, so [5, 12] = [5, 10] on the curve and [10, 12] at 1.
    # Aspiration = top - alpha (top - reservation), top 0.9, reservation 0.3.
    td = strategies.time_dependent
    # beta 1: (1/7) ((10^2 - 5^2) / 20 + 2) = 5.75/7; kappa 0.2: alpha = 0.2 + 0.8 * 5.75/7
    assert td(look(), row(beta=1.0, kappa=0.2)) == pytest.approx(0.9 - (0.2 + 0.8 * 5.75 / 7) * 0.6, abs=1e-12)
    # beta 0.5 (Boulware, p = 2): the integral of (t/10)^2 over [5, 10] is (1000 - 125) / 300
    boulware = (0.2 + 0.8 * ((1000 - 125) / 300 + 2) / 7)
    assert td(look(), row(beta=0.5, kappa=0.2)) == pytest.approx(0.9 - boulware * 0.6, abs=1e-12)
    # beta 2 (Conceder, p = 1/2): the integral of (t/10)^0.5 over [5, 10] is (2/3)(10 - 5^1.5 / 10^0.5)
    conceder = ((2 / 3) * (10 - 5 ** 1.5 / 10 ** 0.5) + 2) / 7
    assert td(look(), row(beta=2.0, kappa=0.0)) == pytest.approx(0.9 - conceder * 0.6, abs=1e-12)
    # day 0, beta 1: the mean of t/10 over [0, 7] is 0.35
    assert td(look(day=0), row(kappa=0.0)) == pytest.approx(0.9 - 0.35 * 0.6, abs=1e-12)
    assert td(look(day=25), row(beta=0.3, kappa=0.1)) == pytest.approx(0.3, abs=1e-12)  # past the deadline: reservation
    assert td(look(best_possible=0.2), row(kappa=0.5)) == pytest.approx(0.3, abs=1e-12)  # never below reservation
    assert td(look(conceded_to_me=0.5), row(beta=1.0, kappa=0.2)) == td(look(), row(beta=1.0, kappa=0.2))  # ignores others


def test_the_interval_mean_is_continuous_in_the_deadline():
    """Moving the deadline across a meeting day moves the concession a little, not by a step
    (the pointwise curve made the full concession jump a whole meeting)."""
    asks = [strategies.interval_alpha(63.0, 7.0, t, 0.4, 0.0) for t in np.arange(60.0, 67.0, 0.25)]
    assert max(abs(np.diff(asks))) < 0.01
    assert strategies.interval_alpha(63.0, 7.0, 63.0, 0.4, 0.0) == 1.0  # deadline on the day: all of it


def test_responsive_by_hand():
    # min(top - kappa (top - reservation) - gamma * conceded_to_me, the time-dependent ask), kept
    # in [reservation, top].  Day 5, T = 10: the clock with beta 1, kappa 0.2 asks
    # 0.9 - (0.2 + 0.8 * 5.75/7) 0.6 = 0.3857 (test above); with beta 0.05 it asks about
    # 0.9 - 0.2 * 0.6 = 0.78 (alpha barely past kappa until the deadline, then 1 for 2 of 7 days:
    # 0.2 + 0.8 * 2/7 -> 0.9 - 0.4286 * 0.6 = 0.6429)
    rs = strategies.responsive
    clock = 0.9 - (0.2 + 0.8 * 2 / 7 + 0.8 * (10 / 21) * (1 - 0.5 ** 21) / 7) * 0.6  # beta 0.05: p = 20
    assert rs(look(conceded_to_me=0.1), row(beta=0.05, kappa=0.2, gamma=2.0)) == pytest.approx(
        min(0.9 - 0.12 - 0.2, clock), abs=1e-9)
    assert rs(look(conceded_to_me=0.0), row(beta=0.05, kappa=0.0, gamma=2.0)) == pytest.approx(
        0.9 - (2 / 7 + (10 / 21) * (1 - 0.5 ** 21) / 7) * 0.6, abs=1e-9)  # the clock alone
    assert rs(look(conceded_to_me=0.5), row(kappa=0.2, gamma=2.0)) == pytest.approx(0.3, abs=1e-12)  # floor
    assert rs(look(conceded_to_me=0.1), row(beta=1.0, kappa=0.2, gamma=0.0)) == pytest.approx(
        0.9 - (0.2 + 0.8 * 5.75 / 7) * 0.6, abs=1e-12)  # no reciprocity: the clock


def test_a_strategy_reads_only_its_columns_of_a_wider_row():
    """Rows may grow (another strategy's parameters appended) without changing any strategy."""
    for fn in strategies.FUNCTIONS.values():
        narrow = row(beta=0.7, kappa=0.3, gamma=1.5)
        wide = np.append(narrow, [123.0, -4.0])
        assert fn(look(conceded_to_me=0.05), narrow) == fn(look(conceded_to_me=0.05), wide)


def test_walkout_rules_by_hand():
    oo, imp = rules.outside_option_fires, rules.impatience_fires
    assert oo(look(best_possible=0.49, reservation=0.5)) and not oo(look(best_possible=0.5, reservation=0.5))
    # holds 0.3, which rose 0.21 over the last 21 days (0.01 a day) in talks 70 days old, no prior
    base = dict(day=70.0, best_possible=0.9, reservation=0.5, deadline=105.0, patience=1.0, held=0.3, span=21.0,
                elapsed=70.0)
    assert not imp(look(**base, held_earlier=0.09))  # 0.01 a day, 35 days left: 0.3 + 0.35 = 0.65 > 0.5
    assert imp(look(**base, held_earlier=0.3))  # no movement: 0.3 < 0.5
    assert imp(look(**{**base, "patience": 0.5}, held_earlier=0.09))  # 0.906 a day: waiting peaks at once, 0.3
    assert not imp(look(**{**base, "held": 0.6}, held_earlier=0.6))  # holds more than 0.5: stays
    # nothing seen yet (first meeting): the expected pace, 0.07 a week = 0.01 a day, carries it
    first = dict(day=0.0, best_possible=0.9, reservation=0.5, deadline=105.0, held=0.3, held_earlier=0.3,
                 span=0.0, elapsed=0.0, prior_days=28.0)
    assert not imp(look(**first, pace_prior=0.07)) and imp(look(**first, pace_prior=0.0))


def test_registries_and_dispatch_agree():
    assert set(strategies.FUNCTIONS) == {code for code, _ in schema.STRATEGIES.values()}
    assert set(rules.FUNCTIONS) == {code for code, _ in schema.WALKOUT_RULES.values()}
    assert set(offers.FUNCTIONS) == {code for code, _ in schema.OFFER_RULES.values()}
    unknown = max(set(strategies.FUNCTIONS) | set(rules.FUNCTIONS)) + 1
    assert math.isnan(kernel.aspiration(unknown, look(), row()))
    assert not kernel.walkout_fires(unknown, look(best_possible=0.0, reservation=1.0))
    assert not kernel.walkout_fires(0, look(best_possible=0.0, reservation=1.0))  # 0 = no rule


fin = st.floats(0.0, 1.0)


@settings(deadline=None, max_examples=60)
@given(day=st.floats(0.0, 400.0), best_possible=fin, reservation=fin, deadline=st.floats(1.0, 300.0),
       patience=st.floats(0.5, 1.0), held=fin, drop=st.floats(0.0, 0.3), span=st.floats(0.0, 42.0),
       prior=st.floats(0.0, 0.2), conceded=fin, beta=st.floats(0.05, 10.0), kappa=fin, gamma=st.floats(0.0, 3.0))
def test_dispatch_reaches_each_registered_strategy_and_rule(day, best_possible, reservation, deadline, patience, held,
                                                            drop, span, prior, conceded, beta, kappa, gamma):
    lk = look(day=day, best_possible=best_possible, reservation=reservation, deadline=deadline, patience=patience,
              held=held, held_earlier=held - drop, span=span, elapsed=day, pace_prior=prior, prior_days=28.0,
              conceded_to_me=conceded)
    theta = row(beta=beta, kappa=kappa, gamma=gamma)
    for code, fn in strategies.FUNCTIONS.items():
        got = kernel.aspiration(code, lk, theta)
        assert not math.isnan(got) and got == fn(lk, theta)
    for code, fn in rules.FUNCTIONS.items():
        assert kernel.walkout_fires(code, lk) == fn(lk)


def test_dispatch_fires_each_rule():
    """Each rule's dispatch branch is live: impatience fires alone when the talks stall; the
    outside-option rule fires when nothing on the table beats walking away (and impatience,
    which caps waiting at the best package, with it); neither when what it holds beats walking."""
    stalled = look(day=70.0, best_possible=0.9, reservation=0.5, deadline=105.0, held=0.3, held_earlier=0.3,
                   span=21.0, elapsed=70.0)
    hopeless = look(day=0.0, best_possible=0.4, reservation=0.5, held=0.3, held_earlier=0.3, elapsed=0.0)
    content = look(day=70.0, best_possible=0.9, reservation=0.5, held=0.6, held_earlier=0.6)
    assert kernel.walkout_fires(rules.IMPATIENCE, stalled) and not kernel.walkout_fires(rules.OUTSIDE_OPTION, stalled)
    assert kernel.walkout_fires(rules.OUTSIDE_OPTION, hopeless) and kernel.walkout_fires(rules.IMPATIENCE, hopeless)
    assert not kernel.walkout_fires(rules.OUTSIDE_OPTION, content) and not kernel.walkout_fires(rules.IMPATIENCE, content)
