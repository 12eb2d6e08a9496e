"""The answer under structural variants (issue 13): variants files, the pooled interval, the
command."""

from pathlib import Path

import pandas as pd
import pytest

from analysis.robustness import excluded_metrics, never_happens, pooled, shipped_sign, sign_counts
from negsim.cli import main
from sim.scenario import ScenarioError, load_scenario
from experiments.variants import apply, check, load_variants

SCEN = Path(__file__).resolve().parent.parent / "scenarios"
SRC = 'source = "judgement [negsim-calibration]: test"'


def test_the_shipped_variants_file_has_at_least_16_variants_that_apply_to_the_headline_pair():
    variants = load_variants(SCEN / "variants.toml")
    assert len(variants) >= 16 and all(v.reason and v.source for v in variants)
    check(variants, [load_scenario(SCEN / "full_agenda.toml"), load_scenario(SCEN / "accession_excluded.toml")],
          SCEN / "variants.toml")


def test_a_variant_sets_structural_switches_through_the_loader():
    sc = apply(load_scenario(SCEN / "base.toml"), {"protocol.proposer": "random", "protocol.package": "separate"})
    assert (sc.protocol.proposer, sc.protocol.package) == ("random", "separate")


@pytest.mark.parametrize("body, fragments", [
    ('[variants.x]\nset = { "protocol.proposr" = "random" }\nreason = "r"\n' + SRC,
     ["variants.x", "protocol.proposr", "did you mean 'proposer'"]),
    ('[variants.x]\nset = { "protocol.proposer" = "sideways" }\nreason = "r"\n' + SRC,
     ["variants.x", "'sideways' is not allowed", "rotation"]),
    ('[variants.x]\nsett = {}\nreason = "r"\n' + SRC, ["variants.x.sett", "did you mean 'set'"]),
    ('[variants.x]\nset = {}\n' + SRC, ["variants.x", "missing reason"]),
])
def test_bad_variants_get_one_line_naming_the_file_and_the_variant(tmp_path, body, fragments):
    f = tmp_path / "v.toml"
    f.write_text(body)
    with pytest.raises(ScenarioError) as exc:
        check(load_variants(f), [load_scenario(SCEN / "base.toml")], f)
    msg = str(exc.value)
    assert "\n" not in msg and "v.toml" in msg and all(x in msg for x in fragments), msg


def test_the_pooled_interval_covers_the_spread_between_variants():
    # no Monte Carlo noise: the mixture of two point masses at 0.1 and 0.3 (equal weights)
    p = pooled([0.1, 0.3], [0.1, 0.3], [0.1, 0.3])
    assert (p.value, p.low, p.high) == pytest.approx((0.2, 0.1, 0.3))
    # one variant: its own (normal) interval
    p = pooled([0.05], [0.01], [0.09])
    assert (p.value, p.low, p.high) == pytest.approx((0.05, 0.01, 0.09), abs=1e-9)
    # identical variants: no spread, only noise
    p = pooled([0.05, 0.05], [0.01, 0.01], [0.09, 0.09])
    assert (p.low, p.high) == pytest.approx((0.01, 0.09), abs=1e-9)
    # weights: a heavy variant pulls the answer
    assert pooled([0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [3, 1]).value == pytest.approx(0.25)
    assert sign_counts([0.1, -0.2, 0.3], [0.05, -0.3, -0.1], [0.2, -0.1, 0.5]) == {
        "positive": 2, "negative": 1, "zero": 0, "above_zero": 1, "below_zero": 1, "variants": 3}


def test_robust_writes_one_row_per_variant_day_and_metric(tmp_path, capsys):
    f = tmp_path / "v.toml"
    f.write_text('[variants.shipped]\nset = {}\nreason = "as shipped"\n' + SRC + '\n'
                 '[variants.rotation]\nset = { "protocol.proposer" = "rotation" }\nreason = "in turn"\n' + SRC + '\n')
    assert main(["robust", str(SCEN / "full_agenda.toml"), str(SCEN / "accession_excluded.toml"), "--variants", str(f),
                 "-n", "300", "--out", str(tmp_path / "r"), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "as shipped" in text and "of the other 1 variants in the spread share its sign" in text
    assert "spread over them" in text and "weights from the variants file" in text
    assert "score interval for paired data" in text
    table = pd.read_parquet(tmp_path / "r" / "robustness.parquet")
    assert len(table) == 2 * 3 * 3 and set(table["variant"]) == {"shipped", "rotation"}
    assert table["paired"].all() and table["in_spread"].all()
    assert (tmp_path / "r" / "forest_agreement_by_horizon.png").exists()


def test_the_shipped_sign_counts_the_other_variants():
    # shipped +0.5 [+0.1, +0.9]; others +0.2 (clear), +0.1 (not clear), -0.3 (clear, other side)
    s = shipped_sign((0.5, 0.1, 0.9), [0.2, 0.1, -0.3], [0.05, -0.1, -0.5], [0.4, 0.3, -0.1])
    assert s == {"sign": "positive", "same": 2, "clear": 1, "others": 3, "shipped_clear": True}
    z = shipped_sign((0.0, -0.1, 0.1), [0.0, 0.2], [-0.1, 0.1], [0.1, 0.3])
    assert z["sign"] == "zero" and z["same"] == 1 and z["clear"] == 0 and not z["shipped_clear"]


def test_an_outcome_no_run_reaches_is_set_apart_with_its_reason():
    none = {"agreement": 0, "walkout": 40}
    forbidden = {"agreement": "no agreement can form in every one of 2,000 draws: on x ..."}
    [n] = never_happens("v", none, none, 40, forbidden, forbidden)
    assert n.outcome == "agreement" and "by construction (sim.diagnostics): no agreement can form" in n.line()
    assert excluded_metrics([n]) == {"agreement"}
    [m] = never_happens("w", {"agreement": 3, "walkout": 0}, {"agreement": 5, "walkout": 0}, 40, {}, {})
    assert "no rule check" in m.line() and excluded_metrics([m]) == {"walkout", "persist"}
    assert never_happens("u", {"agreement": 0, "walkout": 40}, {"agreement": 1, "walkout": 39}, 40, {}, {}) == []


def test_robust_sets_apart_a_variant_where_no_walkout_can_fire(tmp_path, capsys):
    """Russia with no walkout rule cannot walk out, and the US and NATO never can (their outside
    options lie below their status quo): walkouts are 0 - 0 by construction, apart from the
    spread, with the reason."""
    f = tmp_path / "v.toml"
    f.write_text('[variants.shipped]\nset = {}\nreason = "as shipped"\n' + SRC + '\n'
                 '[variants.stays]\nset = { "actors.russia.walkout" = [] }\nreason = "r"\n'
                 + SRC + '\n')
    assert main(["robust", str(SCEN / "full_agenda.toml"), str(SCEN / "accession_excluded.toml"), "--variants", str(f),
                 "-n", "200", "--out", str(tmp_path / "r"), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "stays: no walkout in any of 200 runs of either scenario; by construction" in text
    assert "russia can never walk out: it has no walkout rule" in text
    table = pd.read_parquet(tmp_path / "r" / "robustness.parquet")
    apart = table[~table["in_spread"]]
    assert set(apart["variant"]) == {"stays"}
    assert {m.split("_by_")[0] for m in apart["metric"]} == {"walkout", "persist"}
