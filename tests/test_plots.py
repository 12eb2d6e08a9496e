"""Statistics behind the figures (competing risks, clause values, concessions, blocking) and the
figures themselves: the numbers drawn on each Axes, read back from its artists, are the numbers
of the table the figure came from."""

import math
import struct

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis import outcomes as oc  # noqa: E402
from analysis import plots, stats, survival  # noqa: E402
from analysis.outcomes import Result  # noqa: E402
from negsim.cli import main as cli_main  # noqa: E402
from negsim.cli import build_parser  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCEN = ROOT / "scenarios"


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def compare_dir(tmp_path_factory):
    """A small real compare (full agenda vs accession excluded) with traces."""
    out = tmp_path_factory.mktemp("cmp") / "headline"
    assert cli_main(["compare", str(SCEN / "full_agenda.toml"), str(SCEN / "accession_excluded.toml"),
                     "-n", "300", "--seed", "5", "--out", str(out), "--trace", "--quiet", "--workers", "1"]) == 0
    return out


@pytest.fixture(scope="module")
def results(compare_dir):
    return [oc.load(compare_dir / "runs_full_agenda.parquet"), oc.load(compare_dir / "runs_accession_excluded.parquet")]


def toy_runs() -> pd.DataFrame:
    """10 runs, horizon 5: agreements in rounds 2, 2, 4; walkouts by r in 1, 3, 3 and by u in 3;
    3 still talking at the horizon."""
    rows = [("agreement", 2, "", ""), ("agreement", 2, "", ""), ("agreement", 4, "", ""),
            ("walkout", 1, "r", "x"), ("walkout", 3, "r", "x"), ("walkout", 3, "r", "y"), ("walkout", 3, "u", "y"),
            ("ongoing", 5, "", ""), ("ongoing", 5, "", ""), ("ongoing", 5, "", "")]
    df = pd.DataFrame(rows, columns=["outcome", "rounds", "walkout_by", "shortfall"])
    df["walkout_rule"] = np.where(df["outcome"] == "walkout", "impatience", "")
    agree = df["outcome"] == "agreement"
    df["value.x"], df["value.y"] = np.nan, np.nan
    df.loc[agree, "value.x"] = [0.2, 0.4, 0.6]
    df.loc[agree, "value.y"] = [1.0, 0.5, 0.0]
    df["utility.r"] = 0.5
    df["utility.u"] = 0.5
    df["outside_option.r"] = np.linspace(0.1, 0.5, 10)
    df["outside_option.u"] = 0.6
    return df


def _toy_document() -> dict:
    """The toy table's scenario, a valid scenario document (as a results file stores it)."""
    from tests.factory import pref, two_party

    doc = two_party({"x": pref(1, 3), "y": pref({"dist": "uniform", "low": 0.8, "high": 1.0}, 1)},
                    {"x": pref(0, 1, above=0.7),
                     "y": pref({"dist": "triangular", "low": 0, "mode": 0.2, "high": 0.2}, 1,
                               above={"dist": "uniform", "low": 0.2, "high": 0.4})}, horizon=5)
    doc["actors"] = {"r": doc["actors"].pop("a"), "u": doc["actors"].pop("b")}
    doc["instruments"]["deal"]["signatories"] = ["r", "u"]
    doc["meta"] = {"name": "toy", "description": "toy"}
    doc["agenda"] = {"off": [], "caps": {"y": 0.5}, "source": doc["protocol"]["source"]}
    return doc


TOY_META = {"scenario": "toy", "scenario_resolved": _toy_document()}


def by_gid(ax, gid, kind=None):
    arts = [a for a in ax.get_children() if a.get_gid() == gid]
    if kind is not None:
        arts = [a for a in arts if isinstance(a, kind)]
    assert arts, f"no artist with gid {gid!r}"
    return arts


def step_band_has(poly, x, lo, hi):
    """A step fill_between polygon has, at each x, a vertex at the low and at the high bound."""
    v = poly.get_paths()[0].vertices
    for xi, l, h in zip(x, lo, hi):
        ys = v[np.isclose(v[:, 0], xi), 1]
        assert np.isclose(ys, l).any() and np.isclose(ys, h).any(), (xi, l, h, ys)


def band_limits(poly, x):
    """Lowest and highest y of a fill_between polygon at each x (vertices at that x)."""
    v = poly.get_paths()[0].vertices
    lo = np.array([v[np.isclose(v[:, 0], xi), 1].min() for xi in x])
    hi = np.array([v[np.isclose(v[:, 0], xi), 1].max() for xi in x])
    return lo, hi


# ------------------------------------------------------------------ statistics


@pytest.mark.parametrize("k,n", [(0, 10), (10, 10), (3, 17), (480, 2000), (1, 1)])
def test_vectorised_wilson_matches_stats_proportion(k, n):
    lo, hi = survival.wilson(k, n)
    e = stats.proportion(k, n)
    assert float(lo) == pytest.approx(e.low, abs=1e-12) and float(hi) == pytest.approx(e.high, abs=1e-12)


def test_competing_risks_known_values():
    t = survival.competing_risks(toy_runs(), horizon=5)
    assert t["round"].tolist() == [0, 1, 2, 3, 4, 5]
    assert t["cif_agreement"].tolist() == pytest.approx([0, 0, 0.2, 0.2, 0.3, 0.3])
    assert t["cif_walkout"].tolist() == pytest.approx([0, 0.1, 0.1, 0.4, 0.4, 0.4])
    assert t["still_talking"].tolist() == pytest.approx([1, 0.9, 0.7, 0.4, 0.3, 0.3])
    assert t["at_risk"].tolist() == [10, 10, 9, 7, 4, 3]
    assert (t["cif_agreement"] + t["cif_walkout"] + t["still_talking"]).tolist() == pytest.approx([1] * 6)
    assert (t["cif_walkout_low"] <= t["cif_walkout"]).all() and (t["cif_walkout"] <= t["cif_walkout_high"]).all()
    split = survival.competing_risks(toy_runs(), horizon=5, by_actor=True)
    assert split["cif_walkout:r"].iloc[-1] == pytest.approx(0.3) and split["cif_walkout:u"].iloc[-1] == pytest.approx(0.1)
    assert survival.causes_of(split) == ["agreement", "walkout:r", "walkout:u"]
    # meetings on days 0, 7, 14, 21, ...: by day 0 one meeting was held, by day 20 three (0, 7, 14),
    # by day 21 four, by day 100 all five of the horizon
    day = survival.at_days(t, [0, 20, 21, 100], 7.0 * np.arange(5))
    assert day["round"].tolist() == [1, 3, 4, 5]
    # a listed calendar (meetings on days 24, 26, 27, 40, 62): by day 25 one, by day 40 four, by day 69 five
    listed = survival.at_days(t, [0, 25, 40, 61, 69], np.array([24.0, 26, 27, 40, 62]))
    assert listed["round"].tolist() == [0, 1, 4, 4, 5]
    assert survival.meeting_day([0, 1, 5], np.array([24.0, 26, 27, 40, 62])).tolist() == [0.0, 24.0, 62.0]
    with pytest.raises(ValueError, match="horizon"):
        survival.competing_risks(toy_runs(), horizon=4)


def test_central_values_and_descriptions_of_distributions():
    from sim.distributions import Beta, Fixed, Triangular, TruncNormal, Uniform

    assert Fixed(0.3).central() == 0.3 and oc.describe(Fixed(0.3)) == "0.3"
    assert Uniform(0.2, 0.6).central() == pytest.approx(0.4) and oc.describe(Uniform(0.5, 1.5)) == "uniform(0.5, 1.5)"
    assert Triangular(0.1, 0.3, 0.5).central() == pytest.approx(0.3)
    assert TruncNormal(0.9, 0.3, 0, 0.8).central() == pytest.approx(0.8)
    assert Beta(2, 6, 0.5, 1.0).central() == pytest.approx(0.5 + 0.5 * 0.25)


def test_clause_values_concessions_and_blocking_on_a_toy_table():
    runs = toy_runs()
    cv = oc.clause_values(runs, TOY_META).set_index("clause")
    assert cv.at["x", "agreements"] == 3 and cv.at["x", "median"] == pytest.approx(0.4)
    assert cv.at["y", "agenda"] == "capped at 0.5" and cv.at["y", "at_status_quo"] == pytest.approx(1 / 3)
    dist = oc.clause_distribution(runs, bins=5)
    assert dist.loc["x"].tolist() == pytest.approx([0, 1 / 3, 1 / 3, 1 / 3, 0])
    assert dist.loc["y"].tolist() == pytest.approx([1 / 3, 0, 1 / 3, 0, 1 / 3])  # 1.0 falls in the closed last bin
    conc = oc.concessions(runs, TOY_META).set_index(["actor", "clause"])
    # r's ideal on x is 1: it gave 0.8, 0.6, 0.4; u's ideal is 0: it gave 0.2, 0.4, 0.6.
    assert conc.loc[("r", "x"), "median"] == pytest.approx(0.6) and conc.loc[("u", "x"), "median"] == pytest.approx(0.4)
    assert conc.loc[("r", "y"), "ideal"] == pytest.approx(0.9)  # uniform(0.8, 1.0) -> 0.9
    # u's ideal on y is 0.2 (triangular mode); agreed 1.0, 0.5, 0.0: signed toward r is +0.8, +0.3, -0.2.
    assert conc.loc[("u", "y"), "toward_others"] == pytest.approx(0.3)
    assert conc.loc[("u", "y"), "no_ground_given"] == pytest.approx(1 / 3)
    # weighted: r's saliences 3:1 -> 0.75 |x - 1| + 0.25 |y - 0.9|, median over the three agreements.
    w = np.median(0.75 * np.array([0.8, 0.6, 0.4]) + 0.25 * np.abs(np.array([1.0, 0.5, 0.0]) - 0.9))
    assert conc.loc[("r", "all (weighted)"), "median"] == pytest.approx(w)
    b = oc.blocking(runs, TOY_META)
    top = b.iloc[0]
    assert (top["walkout_by"], top["clause"], top["runs"]) == ("r", "x", 2)
    assert top["share"] == pytest.approx(0.2) and top["share_of_walkouts"] == pytest.approx(0.5)
    assert top["constraint"] == "red line of u (above 0.7)"
    ry = b[(b["walkout_by"] == "r") & (b["clause"] == "y")].iloc[0]
    assert ry["constraint"] == "agenda: capped at 0.5"  # r's ideal 0.9 is above the cap
    last = b.iloc[-1]
    assert last["walkout_by"] == "" and last["runs"] == 3 and "nobody walked out" in last["constraint"]
    e = oc.endings(runs).set_index("ending")
    assert e.at["walkout by r (impatience)", "runs"] == 3 and e.at["still talking at the horizon", "runs"] == 3


def test_trajectory_quantiles():
    trace = pd.DataFrame({"run": np.repeat(np.arange(5), 2), "round": np.tile([1, 2], 5), "actor": "a",
                          "position": [0.0, 1.0, 0.1, np.nan, 0.2, 1.0, 0.3, 1.0, 0.4, 1.0]})
    t = oc.trajectories(trace).set_index("round")
    assert t.at[1, "runs"] == 5 and t.at[1, "median"] == pytest.approx(0.2)
    assert t.at[1, "q25"] == pytest.approx(0.1) and t.at[1, "q95"] == pytest.approx(0.38)
    assert t.at[2, "runs"] == 4  # the NaN is left out
    assert oc.trajectories(trace, min_runs=5).shape[0] == 1


def test_real_blocking_names_the_red_line_holders(results):
    b = oc.blocking(results[1].runs, results[1].meta)
    row = b[b["clause"] == "force_lines"].iloc[0]  # the demand of nato.4 alone
    assert row["walkout_by"] == "russia" and row["constraint"].startswith("red line of nato (above 0.05), us")


# ------------------------------------------------------------------ figures: data on the axes = the table


def test_outcome_bars_heights_and_error_bars_are_the_summary(results):
    fig = plots.outcomes_figure(results)
    ax = fig.axes[0]
    metrics = plots.metrics_of(results)
    actors = [m.removeprefix("walkout by ") for m in metrics if m.startswith("walkout by ")]
    for r in results:
        s = stats.summarise(r.runs, actors)
        (cont,) = [c for c in ax.containers if c.get_label() == r.name]
        heights = [p.get_height() for p in cont.patches]
        assert heights == pytest.approx([100 * s[m].value for m in metrics])
        err = cont.errorbar.lines[2][0].get_segments()
        assert [seg[0][1] for seg in err] == pytest.approx([100 * s[m].low for m in metrics])
        assert [seg[1][1] for seg in err] == pytest.approx([100 * s[m].high for m in metrics])
    assert all(r.label in ax.get_title() for r in results)
    assert ax.get_xlabel() and ax.get_ylabel()
    plt.close(fig)


def test_incidence_curves_are_the_competing_risks_table(results):
    fig = plots.incidence_figure(results)
    ax = fig.axes[0]
    for r in results:
        tab = survival.competing_risks(r.runs, r.horizon)
        x = np.maximum(tab["round"].to_numpy() - 1, 0) * r.round_days  # meetings every round_days from day 0
        for q, col in (("agreement", "cif_agreement"), ("walkout", "cif_walkout"), ("still talking", "still_talking")):
            (line,) = by_gid(ax, f"{r.name}|{q}")
            assert line.get_xdata() == pytest.approx(x)
            assert line.get_ydata() == pytest.approx(100 * tab[col].to_numpy())
            (band,) = by_gid(ax, f"band|{r.name}|{q}")
            step_band_has(band, x, 100 * tab[f"{col}_low"].to_numpy(), 100 * tab[f"{col}_high"].to_numpy())
    assert "days" in ax.get_xlabel() and all(r.label in ax.get_title() for r in results)
    plt.close(fig)


def test_rounds_histogram_counts(results):
    fig = plots.rounds_figure(results)
    for ax, r in zip(fig.axes, results):
        for o in ("agreement", "walkout", "ongoing"):
            patches = by_gid(ax, f"{r.name}|{o}")
            heights = np.array([p.get_height() for p in patches])
            expect = np.bincount(r.runs.loc[r.runs["outcome"] == o, "rounds"], minlength=r.horizon + 1)[1:]
            assert heights == pytest.approx(expect)
        assert f"{r.n:,} runs" in ax.get_title()
    plt.close(fig)


def test_clause_heatmap_is_the_clause_distribution(results):
    fig = plots.clauses_figure(results)
    for r in results:
        (ax,) = [a for a in fig.axes if a.get_title().startswith(r.name + ":")]
        (mesh,) = by_gid(ax, "heatmap")
        dist = oc.clause_distribution(r.runs)
        assert np.asarray(mesh.get_array()).reshape(dist.shape) == pytest.approx(100 * dist.to_numpy())
        labels = [t.get_text().split(" ")[0] for t in ax.get_yticklabels()]
        assert labels == list(dist.index)
        ide = oc.ideals(r.meta, dist.index, oc.table_actors(r.runs))
        (us,) = by_gid(ax, "ideal|us")
        row = ide.loc["us"]
        ok = row.notna().to_numpy()
        xy = np.asarray(us.get_offsets())
        assert xy[:, 0] == pytest.approx(row.to_numpy()[ok])
        assert xy[:, 1] == pytest.approx(np.arange(len(row))[ok])
    heat = [a for a in fig.axes if a.get_title().startswith("accession_excluded")][0]
    assert "us.4a (off)" in [t.get_text() for t in heat.get_yticklabels()]
    plt.close(fig)


def test_trajectory_bands_are_the_quantiles(results):
    fig = plots.trajectories_figure(results)
    r = results[1]
    ax = [a for a in fig.axes if a.get_title() == r.label][0]
    traj = oc.trajectories(r.trace, min_runs=max(10, math.ceil(0.01 * r.n)))
    for actor in ("russia", "us", "nato"):
        t = traj[traj["actor"] == actor]
        (line,) = by_gid(ax, f"{actor}|median")
        assert line.get_xdata() == pytest.approx(t["round"].to_numpy())
        assert line.get_ydata() == pytest.approx(t["median"].to_numpy())
        (b50,) = by_gid(ax, f"band50|{actor}")
        lo, hi = band_limits(b50, t["round"].to_numpy())
        assert lo == pytest.approx(t["q25"].to_numpy()) and hi == pytest.approx(t["q75"].to_numpy())
        (b90,) = by_gid(ax, f"band90|{actor}")
        lo, hi = band_limits(b90, t["round"].to_numpy())
        assert lo == pytest.approx(t["q05"].to_numpy()) and hi == pytest.approx(t["q95"].to_numpy())
    assert "ukraine|median" not in {a.get_gid() for a in ax.get_children()}  # not at the table
    plt.close(fig)
    with pytest.raises(ValueError, match="--trace"):
        plots.trajectories_figure([Result(r.runs, r.meta, None)])


def test_concession_dots_and_blocking_bars(results):
    fig = plots.concessions_figure(results)
    r = results[0]
    ax = [a for a in fig.axes if a.get_title().startswith(r.name + ":")][0]
    conc = oc.concessions(r.runs, r.meta)
    for actor in ("russia", "us", "nato"):
        (dots,) = by_gid(ax, f"{actor}|median")
        assert dots.get_xdata() == pytest.approx(conc.loc[conc["actor"] == actor, "median"].to_numpy())
    plt.close(fig)
    fig = plots.blocking_figure(results)
    ax = fig.axes[0]
    for r in results:
        b = oc.blocking(r.runs, r.meta)
        (cont,) = [c for c in ax.containers if c.get_label() == r.name]
        widths = [p.get_width() for p in cont.patches]
        labels = [t.get_text() for t in ax.get_yticklabels()]
        lookup = {plots._blocking_label(x): 100 * x["share"] for _, x in b.iterrows()}
        assert widths == pytest.approx([lookup.get(lab, 0.0) for lab in labels])
    assert any("force_lines" in t.get_text() for t in ax.get_yticklabels())
    plt.close(fig)


def test_compare_and_run_figures_keep_their_signatures(results):
    r = results[0]
    slim = r.runs[["outcome", "rounds", "walkout_by", "shortfall"]].astype({"outcome": "category"})
    metrics = ["agreement", "walkout", "ongoing"]
    s = stats.summarise(slim, ["russia"])
    fig = plots.run_figure(r.name, slim, s, metrics, r.horizon)
    assert len(fig.axes) == 2
    plt.close(fig)
    fig = plots.compare_figure({"a": slim, "b": slim}, {"a": s, "b": s}, metrics, {"a": r.calendar, "b": r.calendar})
    (line,) = by_gid(fig.axes[1], "a|agreement")
    share = survival.competing_risks(slim, r.horizon)["cif_agreement"].to_numpy()
    assert line.get_ydata() == pytest.approx(100 * share)
    plt.close(fig)


# ------------------------------------------------------------------ sweeps (synthetic tables, issue-4 contract)

X, Y = "actors.russia.outside_option", "agenda.caps.us.4a"


def grid_table():
    xs, ys = np.linspace(0.1, 0.5, 5), np.linspace(0, 1, 4)
    gx, gy = np.meshgrid(xs, ys)
    p = (1 - gx) * (1 - 0.5 * gy)
    t = pd.DataFrame({"point": np.arange(gx.size), X: gx.ravel(), Y: gy.ravel(), "p_persist": p.ravel()})
    t["p_persist_low"], t["p_persist_high"] = t["p_persist"] - 0.02, t["p_persist"] + 0.03
    t["median_rounds"] = 10 + 20 * gx.ravel()
    return t


def test_sweep_map_grid_cells_are_the_table():
    t = grid_table()
    fig = plots.sweep_map(t, X, Y, "p_persist")
    ax = fig.axes[0]
    (mesh,) = by_gid(ax, "map")
    expect = t.pivot(index=Y, columns=X, values="p_persist").to_numpy() * 100
    assert np.asarray(mesh.get_array()).reshape(expect.shape) == pytest.approx(expect)
    assert ax.get_xlabel() == X and ax.get_ylabel() == Y and "P(persist)" in ax.get_title()
    assert any(type(c).__name__ == "QuadContourSet" or "Contour" in type(c).__name__ for c in ax.get_children())
    plt.close(fig)


def test_sweep_map_scattered_points_are_cell_means_with_counts():
    rng = np.random.default_rng(0)
    t = pd.DataFrame({"point": range(64), X: rng.uniform(0.1, 0.5, 64), Y: rng.uniform(0, 1, 64)})
    t["p_agreement"] = 1 - t[X]
    t["actors.us.patience"] = rng.uniform(0.9, 1, 64)
    fig = plots.sweep_map(t, X, Y, "p_agreement")
    ax = fig.axes[0]
    (pts,) = by_gid(ax, "points")
    assert pts.get_xdata() == pytest.approx(t[X].to_numpy()) and pts.get_ydata() == pytest.approx(t[Y].to_numpy())
    # 64 points: 4 x 4 cells (about four points a cell); each cell is the mean of its points, by hand
    (mesh,) = by_gid(ax, "map")
    values = np.ma.masked_invalid(np.asarray(mesh.get_array())).reshape(4, 4)
    edges_x, edges_y = np.linspace(t[X].min(), t[X].max(), 5), np.linspace(t[Y].min(), t[Y].max(), 5)
    counts = {tx.get_gid(): int(tx.get_text()) for tx in ax.texts if (tx.get_gid() or "").startswith("count|")}
    for ix in range(4):
        for iy in range(4):
            inside = t[(t[X] >= edges_x[ix]) & ((t[X] < edges_x[ix + 1]) | (ix == 3))
                       & (t[Y] >= edges_y[iy]) & ((t[Y] < edges_y[iy + 1]) | (iy == 3))]
            if inside.empty:
                assert values.mask[iy, ix] and f"count|{ix}|{iy}" not in counts
            else:
                assert values[iy, ix] == pytest.approx(100 * inside["p_agreement"].mean())
                assert counts[f"count|{ix}|{iy}"] == len(inside)
    assert sum(counts.values()) == 64
    assert "64 scattered points: mean of the points in each of 4 x 4 cells" in ax.get_title()
    assert "other parameters vary within a cell" in ax.get_title()
    assert not [c for c in ax.collections if "Contour" in type(c).__name__]  # nothing interpolated
    plt.close(fig)
    with pytest.raises(ValueError, match="no metric column 'p_nothing'; available: p_agreement"):
        plots.sweep_map(t, X, Y, "p_nothing")
    with pytest.raises(ValueError, match="no parameter column 'x.y'"):
        plots.sweep_map(t, "x.y", Y, "p_agreement")


def test_sweep_lines_clip_shares_to_the_unit_interval_and_say_so():
    # Two points per bin at 0.99 and 0.93: mean 0.96, sd 0.0424, standard error 0.0424 / sqrt(2)
    # = 0.03, t(0.975, 1 df) = 12.706, so the interval 0.96 +- 0.381 reaches past 1 (and down to
    # 0.579); the band stops at 100% and its legend says it was clipped.
    t = pd.DataFrame({X: [0.1, 0.1, 0.5, 0.5], Y: [0.0, 1.0, 0.0, 1.0], "p_agreement": [0.99, 0.93, 0.99, 0.93]})
    fig = plots.sweep_lines(t, X, "p_agreement", bins=2)
    ax = fig.axes[0]
    (band,) = by_gid(ax, "band")
    lo, hi = band_limits(band, np.array([0.2, 0.4]))
    assert max(hi) == pytest.approx(100) and min(lo) == pytest.approx(100 * (0.96 - 12.706 * 0.03), abs=0.01)
    assert "clipped to 0-100%" in band.get_label()
    assert ax.get_ylim() == (0, 100)
    plt.close(fig)


def test_sweep_lines_single_parameter_band_and_binned_means():
    t = grid_table()
    one = t[t[Y] == 0].drop(columns=[Y])
    fig = plots.sweep_lines(one, X, "p_persist")
    ax = fig.axes[0]
    (line,) = by_gid(ax, "line")
    assert line.get_xdata() == pytest.approx(one[X].to_numpy())
    assert line.get_ydata() == pytest.approx(100 * one["p_persist"].to_numpy())
    (band,) = by_gid(ax, "band")
    lo, hi = band_limits(band, one[X].to_numpy())
    assert lo == pytest.approx(100 * one["p_persist_low"].to_numpy())
    assert hi == pytest.approx(100 * one["p_persist_high"].to_numpy())
    plt.close(fig)
    fig = plots.sweep_lines(t, X, "p_persist")  # Y varies too: mean per bin of X
    ax = fig.axes[0]
    (line,) = by_gid(ax, "line")
    means = t.groupby(X)["p_persist"].mean().to_numpy() * 100
    assert line.get_ydata() == pytest.approx(means)
    assert "mean over 5 bins" in ax.get_title()
    plt.close(fig)


def test_sensitivity_bars_values_and_intervals():
    idx = pd.DataFrame({
        "metric": ["p_persist"] * 6 + ["p_agreement"] * 2,
        "parameter": ["a.x", "a.x", "b.y", "b.y", "a.x|b.y", "c.z", "a.x", "a.x"],
        "index": ["S1", "ST", "S1", "ST", "S2", "S1", "S1", "ST"],
        "value": [0.5, 0.6, 0.2, 0.35, 0.05, 0.01, 0.9, 0.95],
        "conf": [0.05, 0.06, 0.02, 0.03, 0.01, 0.01, 0.1, 0.1],
    })
    fig = plots.sensitivity_bars(idx, "p_persist")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["c.z", "b.y", "a.x"]  # ascending ST (c.z has none): the largest at the top
    for name in ("S1", "ST"):
        (cont,) = [c for c in ax.containers if c.get_label() == name]
        want = idx[(idx["metric"] == "p_persist") & (idx["index"] == name)].set_index("parameter")
        assert [p.get_width() for p in cont.patches] == pytest.approx(
            [want["value"].get(p, np.nan) for p in labels], nan_ok=True)
        segs = cont.errorbar.lines[2][0].get_segments()
        ok = [p for p in labels if p in want.index]
        halfwidths = [(s[1][0] - s[0][0]) / 2 for s, p in zip(segs, labels) if p in want.index]
        assert halfwidths == pytest.approx([want.at[p, "conf"] for p in ok])
    plt.close(fig)
    with pytest.raises(ValueError, match="available: p_persist, p_agreement"):
        plots.sensitivity_bars(idx, "p_walkout")


# ------------------------------------------------------------------ the plot command


def run_cmd(argv):
    args = build_parser().parse_args(argv)
    return args.func(args)


def png_size(path):
    head = Path(path).read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


@pytest.mark.parametrize("kind", list(plots.FIGURES))
def test_plot_command_writes_each_kind(compare_dir, tmp_path, kind):
    out = tmp_path / f"{kind}.png"
    assert run_cmd(["plot", str(compare_dir), "--kind", kind, "--out", str(out)]) == 0
    w, h = png_size(out)
    assert w > 400 and h > 300
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary left behind


def test_plot_command_sweeps_and_errors(compare_dir, tmp_path):
    t = grid_table()
    t.to_csv(tmp_path / "sweep.csv", index=False)
    for kind in ("map", "lines"):
        assert run_cmd(["plot", str(tmp_path / "sweep.csv"), "--kind", kind, "--x", X, "--metric", "p_persist",
                        "--out", str(tmp_path / f"{kind}.svg")]) == 0
        assert (tmp_path / f"{kind}.svg").read_text().lstrip().startswith("<?xml")
    with pytest.raises(ValueError, match="no trace file beside it"):
        runs_only = tmp_path / "runs.parquet"
        runs_only.write_bytes((compare_dir / "runs_full_agenda.parquet").read_bytes())
        run_cmd(["plot", str(runs_only), "--kind", "trajectories", "--out", str(tmp_path / "t.png")])
    with pytest.raises(ValueError, match=r"use a \.png, \.svg or \.pdf"):
        run_cmd(["plot", str(compare_dir), "--kind", "rounds", "--out", str(tmp_path / "t.jpg")])
    with pytest.raises(ValueError, match="not a negsim results file|not a readable Parquet"):
        run_cmd(["plot", str(tmp_path / "sweep.csv"), "--kind", "outcomes", "--out", str(tmp_path / "o.png")])
    assert not (tmp_path / "t.png").exists() and not (tmp_path / "o.png").exists()
