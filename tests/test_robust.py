"""The answer under structural variants (issue 13): variants files, the pooled interval, the
command."""

from pathlib import Path

import pandas as pd
import pytest

from analysis.robustness import pooled, sign_counts
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
    assert "holds in" in text and "of 2 variants" in text and "pooled" in text
    table = pd.read_parquet(tmp_path / "r" / "robustness.parquet")
    assert len(table) == 2 * 3 * 3 and set(table["variant"]) == {"shipped", "rotation"}
    assert (tmp_path / "r" / "forest_agreement_by_horizon.png").exists()
