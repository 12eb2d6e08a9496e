"""explain.png: each bar's label is the label of its own value, in every panel (issue 22)."""

import pandas as pd

from analysis.attribution_plots import shapley_figure
from tests.figtext import outside_figure

# Orders that disagree on purpose: by agreement a < b < c, by walkout c < b < a.
VALUES = {"agreement_by_horizon": {"a": 0.01, "b": 0.05, "c": 0.12},
          "walkout_by_horizon": {"a": -0.01, "b": -0.06, "c": -0.12}}


def table():
    rows = []
    for m, vals in VALUES.items():
        for p, v in vals.items():
            rows.append({"metric": m, "label": f"P({m.split('_')[0]} by day 364, the horizon)", "player": p,
                         "alone": v, "alone_low": v - 0.01, "alone_high": v + 0.01,
                         "shapley": v, "shapley_low": v - 0.01, "shapley_high": v + 0.01})
    return pd.DataFrame(rows)


def test_each_bar_sits_at_the_label_of_its_own_player():
    fig = shapley_figure(table(), "toy")
    axes = fig.axes
    assert len(axes) == 2
    for ax, (metric, vals) in zip(axes, VALUES.items()):
        labels = {round(t): lab.get_text() for t, lab in zip(ax.get_yticks(), axes[0].get_yticklabels())}
        bars = [p for p in ax.patches if (p.get_gid() or "").startswith(metric)]
        assert len(bars) == 3
        for bar in bars:
            player = labels[round(bar.get_y() + bar.get_height() / 2)]
            assert bar.get_width() == 100 * vals[player], (metric, player)  # the label's own value, in pp
            assert bar.get_gid() == f"{metric}|{player}"


def test_the_first_panel_reads_in_order_and_nothing_is_cut_off():
    fig = shapley_figure(table(), "toy")
    # smallest agreement Shapley value at the bottom (y = 0), largest at the top
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["a", "b", "c"]
    assert outside_figure(fig) == []
