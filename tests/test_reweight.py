"""Importance reweighting (analysis/reweight.py, `negsim reweight`): weights by hand, the
reweighted answer against a rerun under the new prior, and every refusal."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import reweight as rw
from analysis.stats import proportion
from negsim.cli import main
from sim.distributions import Beta, Mixture, Triangular, TruncNormal, Uniform
from experiments import runner
from storage.runtable import batch_columns
from tests.factory import load, pref, two_party, with_changes

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "elicitation_invented.csv"  # INVENTED FOR TESTS
SOURCE = "judgement [negsim-calibration]: a test prior"


def test_weights_and_estimate_by_hand():
    # Draws x = (0.1, 0.25, 0.5, 0.75) from uniform(0, 1) (density 1), reweighted to
    # triangular(0, 0.5, 1) (density 4x below 0.5, 4(1 - x) above): w = (0.4, 1, 2, 1).
    x = np.array([0.1, 0.25, 0.5, 0.75])
    w = rw.importance_weights({"k": x}, {"k": Triangular(0, 0.5, 1)}, {"k": Uniform(0, 1)})
    assert w == pytest.approx([0.4, 1.0, 2.0, 1.0])
    # Kish: (sum w)^2 / sum w^2 = 4.4^2 / (0.16 + 1 + 4 + 1) = 19.36 / 6.16 = 3.142857
    assert rw.kish_ess(w) == pytest.approx(19.36 / 6.16)
    # y = (1, 0, 1, 0): p = (0.4 + 2) / 4.4 = 6/11.  Delta method: v = sum w^2 (y - p)^2 / (sum w)^2
    # = (0.16 * 25 + 36 + 4 * 25 + 36) / 121 / 19.36 = (176 / 121) / 19.36, so the effective size is
    # n* = p (1 - p) / v = (30 / 121) * 19.36 * 121 / 176 = 3.3, and the interval is Wilson's at
    # 6/11 * 3.3 = 1.8 successes out of 3.3.
    e = rw.weighted_share(np.array([1, 0, 1, 0]), w)
    assert e.value == pytest.approx(6 / 11)
    from analysis.stats import wilson

    low, high = wilson(6 / 11 * 3.3, 3.3)
    assert (e.low, e.high) == pytest.approx((float(low), float(high)))


def test_equal_weights_give_the_plain_wilson_interval():
    y = np.array([1] * 37 + [0] * 63)
    e, ref = rw.weighted_share(y, np.ones(100)), proportion(37, 100)
    assert (e.value, e.low, e.high) == pytest.approx((ref.value, ref.low, ref.high))


# ------------------------------------------------------------------ against a rerun

def _toy(tmp_path: Path, outside_option: dict, name: str):
    """Actor a wants x = 1; b never accepts x above 0.3 (a does not know it).  The higher a's
    outside option, the sooner a walks out: P(agreement) depends on its prior."""
    doc = two_party({"x": pref(1.0), "y": pref(0.6)}, {"x": pref(0.0, above=0.3), "y": pref(0.4)}, horizon=20)
    doc = with_changes(doc, **{"actors.a.outside_option": {**outside_option, "source": SOURCE},
                               "actors.a.walkout": ["outside_option", "impatience"], "meta.name": name})
    return load(tmp_path, doc, f"{name}.toml")


def _runs(sc, n: int, seed: int) -> pd.DataFrame:
    return pd.DataFrame(batch_columns(runner.run(sc, n, seed), sc.name))


def test_the_reweighted_answer_agrees_with_a_rerun_under_the_new_prior(tmp_path):
    old_sc = _toy(tmp_path, {"dist": "uniform", "low": 0.0, "high": 0.8}, "old")
    new_sc = _toy(tmp_path, {"dist": "triangular", "low": 0.0, "mode": 0.6, "high": 0.8}, "new")
    n, horizon = 20_000, 140
    old_runs, rerun = _runs(old_sc, n, seed=3), _runs(new_sc, n, seed=4)  # independent seeds
    new = rw.priors_from_scenario(new_sc, old_sc, "new.toml")
    assert list(new) == ["actors.a.outside_option"]
    result = rw.reweight(old_runs, rw.drawn_priors(old_sc), new, horizon)
    # weights uniform -> triangular are bounded (at most 2 / 0.8 over 1 / 0.8 = 2): no warning,
    # and Kish's ESS is n / E[w^2] = n / (4/3) = 15,000 in expectation (E[w^2] = integral f^2 / g)
    assert result.warnings == () and result.ess == pytest.approx(0.75 * n, rel=0.03)
    as_run, again = rw.answer(old_runs, None, horizon), rw.answer(rerun, None, horizon)
    for label, e in result.shares.items():
        se = math.hypot((e.high - e.low) / 3.92, (again[label].high - again[label].low) / 3.92)
        assert abs(e.value - again[label].value) < 3.5 * se, label
    # ... and it is not the old answer (P(agreement) falls from about 25% to about 8%)
    assert as_run["P(agreement by day 140)"].value - result.shares["P(agreement by day 140)"].value > 0.1


# ------------------------------------------------------------------ refusals and warnings

def test_a_prior_reaching_outside_the_old_support_is_refused_naming_the_key_and_both_supports():
    with pytest.raises(rw.ReweightError, match=r"k: the new prior's support \[0, 0.5\] reaches outside the old one's "
                                               r"\[0.1, 0.5\]"):
        rw.check_support("k", Uniform(0.0, 0.5), Triangular(0.1, 0.3, 0.5))
    gap = Mixture((0.5, 0.5), (Uniform(0, 0.2), Uniform(0.5, 1.0)))  # no density on (0.2, 0.5)
    with pytest.raises(rw.ReweightError, match=r"\[0, 0.2\] u \[0.5, 1\]"):
        rw.check_support("k", Uniform(0.1, 0.6), gap)
    rw.check_support("k", Uniform(0.6, 0.9), gap)  # inside one part: fine


@pytest.mark.parametrize("new, old, warns", [
    (Uniform(0.1, 0.5), Triangular(0.1, 0.3, 0.5), True),  # a = 0, b = 1: 2a - b = -1, variance diverges (log)
    (TruncNormal(0.3, 0.1, 0.1, 0.5), Triangular(0.1, 0.3, 0.5), True),
    (Triangular(0.1, 0.2, 0.5), Triangular(0.1, 0.3, 0.5), False),  # both vanish linearly: ratio bounded
    (Triangular(0.1, 0.3, 0.5), Uniform(0.1, 0.5), False),
    (Beta(2, 5, 0.1, 0.5), Triangular(0.1, 0.3, 0.5), False),  # a = 1, b = 1: 2a - b = 1, finite
    (Triangular(0.2, 0.3, 0.4), Triangular(0.1, 0.3, 0.5), False),  # new vanishes inside the old support
])
def test_weights_of_infinite_variance_are_warned_about(new, old, warns):
    assert bool(rw.weight_warnings("k", new, old)) == warns


def test_prior_syntax():
    old = {"actors.a.outside_option": Triangular(0.1, 0.3, 0.5)}
    assert rw.parse_prior("actors.a.outside_option=uniform", old)[1] == Uniform(0.1, 0.5)
    assert rw.parse_prior("actors.a.outside_option = beta(2, 3)", old)[1] == Beta(2, 3, 0, 1)
    assert rw.parse_prior("actors.a.outside_option=triangular(0.1,0.2,0.5)", old)[1] == Triangular(0.1, 0.2, 0.5)
    for bad, message in [("actors.a.outside_opton=uniform", "did you mean 'actors.a.outside_option'"),
                         ("actors.a.outside_option=gauss(1)", "'gauss' is not allowed"),
                         ("actors.a.outside_option=triangular", "needs its numbers"),
                         ("actors.a.outside_option=uniform(0.1)", "takes low, high"),
                         ("actors.a.outside_option=uniform(0.4, 0.1)", "low <= high"),
                         ("actors.a.outside_option=uniform(os.getcwd, 1)", "not a number"),
                         ("actors.a.outside_option", "write KEY=DIST")]:
        with pytest.raises(rw.ReweightError, match=message.replace("(", r"\(")):
            rw.parse_prior(bad, old)


def test_a_scenario_that_changes_more_than_priors_is_refused(tmp_path):
    base = _toy(tmp_path, {"dist": "uniform", "low": 0.0, "high": 0.8}, "base")
    doc = two_party({"x": pref(1.0), "y": pref(0.6)}, {"x": pref(0.0, above=0.3), "y": pref(0.4)}, horizon=20)
    doc = with_changes(doc, **{"actors.a.outside_option": {"dist": "uniform", "low": 0.0, "high": 0.8, "source": SOURCE},
                               "actors.a.walkout": ["outside_option", "impatience"]})
    other = load(tmp_path, with_changes(doc, **{"protocol.round_days": 14}), "other.toml")
    with pytest.raises(rw.ReweightError, match="other.toml changes protocol.round_days"):
        rw.priors_from_scenario(other, base, "other.toml")
    fixed = load(tmp_path, with_changes(doc, **{"actors.a.outside_option": 0.3}), "fixed.toml")
    with pytest.raises(rw.ReweightError, match="fixes, adds or removes a drawn input"):
        rw.priors_from_scenario(fixed, base, "fixed.toml")


def test_the_three_commands_from_a_table_to_a_reweighted_answer(tmp_path, capsys):
    runs = tmp_path / "runs"
    assert main(["run", str(ROOT / "scenarios" / "accession_excluded.toml"), "-n", "400", "--seed", "7",
                 "--out", str(runs), "--quiet"]) == 0
    overlay = tmp_path / "elicited" / "overlay.toml"
    assert main(["elicit", str(FIXTURE), "--scenario", str(ROOT / "scenarios" / "accession_excluded.toml"),
                 "--out", str(overlay)]) == 0
    assert main(["validate", str(overlay)]) == 0
    capsys.readouterr()
    assert main(["reweight", str(runs), "--prior-from", str(overlay)]) == 0
    out = capsys.readouterr().out
    assert "reweighting 2 drawn input(s)" in out and "effective sample size (Kish)" in out
    assert "P(agreement by day 69)" in out and "P(walkout by day 364)" in out
    assert main(["reweight", str(runs), "--prior", "actors.russia.outside_option=uniform(0, 0.5)"]) == 2
    assert "reaches outside the old one's [0.1, 0.5]" in capsys.readouterr().err
