"""Figures (matplotlib Figure objects, never pyplot's global state or backend: importing this
module changes nothing for a notebook user; colour-blind-safe colours: Okabe & Ito for categories,
cividis for continuous scales).

Two layers.  Axes functions draw one table (from analysis.stats / survival / outcomes) on one
Axes, so a test can read the numbers back from the Axes' artists and compare them with the
table; every data artist carries a `gid` naming what it shows ("<scenario>|<quantity>", "band|..."
for interval bands).  Figure functions take one or more scenario results
(`analysis.outcomes.Result`) and give a titled figure naming the scenarios and their number of
runs; `FIGURES[kind]` maps the `negsim plot --kind` names to them.  Sweep figures
(`sweep_map`, `sweep_lines`, `sensitivity_bars`) take the sweep tables of `negsim sweep`.
"""

from __future__ import annotations

import math
import textwrap
from typing import Callable, Mapping, Sequence

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from analysis.study import RECORD as STUDY_RECORD  # noqa: E402
from storage.text import plural  # noqa: E402

from . import outcomes as oc  # noqa: E402
from . import survival  # noqa: E402
from . import stats
from .metrics import share_names
from .stats import Estimate  # noqa: E402

# Okabe & Ito (2008), distinguishable under the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
OUTCOME_COLOURS = {"agreement": "#009E73", "walkout": "#D55E00", "ongoing": "#56B4E9"}
QUANTITY_STYLES = {"agreement": "-", "walkout": "--", "still talking": ":"}
CMAP = "cividis"
# The reference pattern of docs/model.md 1.1 (days since 2021-12-17); not a tuning target.
RECORD = {day: what for day, what in STUDY_RECORD.items() if day >= 40}


NAME_CHARS = 80  # longer scenario names are cut in figures (a 1 MB title takes minutes to lay out)


def short(name: str, limit: int = NAME_CHARS) -> str:
    """A name as shown in a figure: one line, at most `limit` characters (cut with an ellipsis),
    with "$" escaped so matplotlib shows it instead of parsing mathtext."""
    s = " ".join(str(name)[:4 * limit].split())
    s = s if len(s) <= limit else s[:limit - 1] + "\u2026"
    s = "".join(ch if ch.isprintable() else "\ufffd" for ch in s)  # no control characters in a figure
    return s.replace("$", r"\$")


def new_figure(*grid, **kw):
    """`pyplot.subplots` without pyplot: a Figure (rendered by savefig with the Agg canvas) and
    its axes; `grid` is (rows, cols) as for `Figure.subplots`."""
    subplot_kw = {k: kw.pop(k) for k in ("sharex", "sharey", "squeeze", "gridspec_kw", "subplot_kw", "height_ratios",
                                         "width_ratios") if k in kw}
    fig = Figure(**kw)
    return fig, fig.subplots(*grid, **subplot_kw)


def _colour(k: int) -> str:
    return PALETTE[k % len(PALETTE)]


def _names(results, width: int = 95) -> str:
    """'a (n runs) vs b (m runs)', wrapped onto several lines when long."""
    labels = (f"{short(r.name)} ({plural(r.n, 'run')})" for r in results)
    return "\n".join(textwrap.wrap(" vs ".join(labels), width, break_on_hyphens=False))


def _panels(n: int, width: float, height: float, **kw):
    """A figure with one panel per scenario, at most two per row; returns (fig, axes list)."""
    cols = min(n, 2)
    rows = math.ceil(n / cols)
    fig, axes = new_figure(rows, cols, figsize=(width * cols, height * rows), layout="constrained",
                             squeeze=False, **kw)
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.remove()
    return fig, flat[:n]


# ================================================================== axes functions: run tables


def mark_record(ax, record: Mapping[float, str]) -> None:
    """The record's dates on a days axis: a dotted vertical at each (gid "record|<day>"), the day
    numbers as ticks along the top edge, and what happened on each in one line above them (gid
    "record|key"), so no label crosses another or the title however close the days are."""
    if not record:
        return
    days = sorted(record)
    for day in days:
        ax.axvline(day, color="0.45", linewidth=0.8, linestyle=(0, (1, 2)), gid=f"record|{day:g}")
    top = ax.secondary_xaxis("top")
    top.set_xticks(days, _spread_day_labels(ax, days), fontsize=7, color="0.35")
    top.tick_params(length=3, color="0.45", pad=1)
    key = top.set_xlabel("dotted, the record: " + "; ".join(f"day {d:g} {record[d]}" for d in days),
                         fontsize=7, color="0.35", labelpad=3)
    key.set_gid("record|key")


def _spread_day_labels(ax, days: Sequence[float]) -> list[str]:
    """Day numbers for the top ticks; a day within 2% of the axis span of the one before shares
    its label ("62/69" on the first, nothing on the second), so two labels never collide."""
    lo, hi = ax.get_xlim()
    lo = min(lo, 0.0)
    hi = max(hi, max(days))
    gap = 0.02 * (hi - lo)
    labels = [f"{d:g}" for d in days]
    head = 0
    for k in range(1, len(days)):
        if days[k] - days[head] < gap * (k - head):
            labels[head] += f"/{days[k]:g}"
            labels[k] = ""
        else:
            head = k
    return labels


def outcome_bars(ax, summaries: dict[str, dict[str, Estimate]], metrics: list[str], title: str | None = None) -> None:
    """Grouped bars: one group per metric, one bar per scenario, 95% intervals as error bars.
    Bar container k is labelled with scenario k's name; heights are percentages."""
    n = len(summaries)
    width = 0.8 / max(n, 1)
    x = np.arange(len(metrics))
    for k, (name, summary) in enumerate(summaries.items()):
        vals = np.array([summary[m].value for m in metrics]) * 100
        lo = vals - np.array([summary[m].low for m in metrics]) * 100
        hi = np.array([summary[m].high for m in metrics]) * 100 - vals
        ax.bar(x + (k - (n - 1) / 2) * width, vals, width, yerr=[lo, hi], capsize=3,
               color=_colour(k), label=short(name), gid=f"{name}|bars")
    ax.set_xticks(x, [m.replace("walkout by ", "walkout:\n") for m in metrics], fontsize=8)
    ax.set_xlabel("outcome")
    ax.set_ylabel("share of runs (%), 95% interval")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=8)
    ax.set_title(title or "Outcome shares")


def incidence_curves(ax, tables: Mapping[str, pd.DataFrame], calendars: Mapping[str, np.ndarray],
                     quantities: Sequence[str] | None = None, bands: bool = True,
                     record: Mapping[float, str] | None = None) -> None:
    """Cumulative incidence of each cause and the share still talking, for several scenarios
    on one axes: colour = scenario, line style = quantity, shaded = Wilson 95% band.  x is days
    (the day of the round's meeting, from each scenario's meeting calendar), y percent of runs.
    `tables` are `survival.competing_risks` tables."""
    styles = ["-", "--", "-.", (0, (5, 1, 1, 1, 1, 1))]
    for k, (name, tab) in enumerate(tables.items()):
        qs = list(quantities) if quantities is not None else survival.causes_of(tab) + ["still talking"]
        x = survival.meeting_day(tab["round"].to_numpy(), calendars[name])
        for j, q in enumerate(qs):
            col = "still_talking" if q == "still talking" else f"cif_{q}"
            style = QUANTITY_STYLES.get(q, styles[j % len(styles)])
            ax.step(x, tab[col].to_numpy() * 100, where="post", linestyle=style, color=_colour(k),
                    label=f"{short(name)}: {q}", gid=f"{name}|{q}")
            if bands:
                ax.fill_between(x, tab[f"{col}_low"].to_numpy() * 100, tab[f"{col}_high"].to_numpy() * 100,
                                step="post", color=_colour(k), alpha=0.18, linewidth=0, gid=f"band|{name}|{q}")
    ax.set_xlabel("days since the drafts were published (2021-12-17)")
    mark_record(ax, record or {})
    ax.set_ylabel("share of runs (%), 95% band")
    ax.set_ylim(0, 100)
    ax.set_xlim(left=0)
    ax.legend(fontsize=7, loc="center right")


def talks_over_time(ax, runs_by_name: dict[str, pd.DataFrame], calendars: Mapping[str, np.ndarray]) -> None:
    """Cumulative incidence of agreement (solid) and walkout (dashed) over the calendar."""
    tables = {name: survival.competing_risks(runs, len(calendars[name])) for name, runs in runs_by_name.items()}
    incidence_curves(ax, tables, calendars, quantities=("agreement", "walkout"), bands=True)
    ax.set_title("How the talks ended, over time")


def rounds_histogram(ax, runs: pd.DataFrame, horizon: int, name: str) -> None:
    """Runs by the number of rounds played, stacked by outcome (one bar per round)."""
    bins = np.arange(0.5, horizon + 1.5)
    data = [runs.loc[runs["outcome"].astype(str) == o, "rounds"].to_numpy() for o in OUTCOME_COLOURS]
    _, _, containers = ax.hist(data, bins=bins, stacked=True, color=list(OUTCOME_COLOURS.values()),
                               label=["agreement", "walkout", "still talking at the horizon"])
    for o, c in zip(OUTCOME_COLOURS, containers):
        for p in c:
            p.set_gid(f"{name}|{o}")
    ax.set_xlabel("rounds played (the horizon is round %d)" % horizon)
    ax.set_ylabel("runs")
    ax.set_title(f"Length of the talks: {short(name)} ({plural(len(runs), 'run')})")
    ax.legend(fontsize=8)


def clause_heatmap(ax, dist: pd.DataFrame, agenda: Mapping[str, float] | None = None,
                   ideals: pd.DataFrame | None = None):
    """Clause (rows) by agreed value (columns): share of agreements in each value bin, as a
    pcolormesh in percent (`gid` "heatmap").  Optional: the agenda status in the row labels and
    each actor's central ideal as a marker (gid "ideal|<actor>").  Returns the mesh."""
    edges = dist.attrs.get("edges", np.linspace(0, 1, dist.shape[1] + 1))
    clauses = list(dist.index)
    y = np.arange(len(clauses) + 1) - 0.5
    mesh = ax.pcolormesh(edges, y, dist.to_numpy() * 100, cmap=CMAP, vmin=0, vmax=100, gid="heatmap")
    labels = [c if agenda is None else f"{c} ({oc.agenda_label(agenda.get(c, 1.0))})".replace(" (open)", "")
              for c in clauses]
    ax.set_yticks(np.arange(len(clauses)), labels, fontsize=8)
    ax.set_ylim(len(clauses) - 0.5, -0.5)
    if ideals is not None:
        markers = ["o", "s", "D", "^", "v", "P"]
        for k, (actor, row) in enumerate(ideals.iterrows()):
            row = row.reindex(clauses)
            ok = row.notna().to_numpy()
            ax.scatter(row.to_numpy()[ok], np.arange(len(clauses))[ok], marker=markers[k % len(markers)],
                       s=30, facecolor=_colour(k), edgecolor="white", linewidths=0.9, clip_on=False,
                       label=f"{actor}", gid=f"ideal|{actor}", zorder=3)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=min(len(ideals), 4),
                  frameon=False, title="central ideal point of", title_fontsize=7)
    ax.set_xlim(0, 1)
    ax.set_xlabel("agreed value (0 = status quo, 1 = as Russia drafted)")
    ax.set_ylabel("clause")
    return mesh


def trajectory_bands(ax, traj: pd.DataFrame, actors: Sequence[str] | None = None, value: str = "position") -> None:
    """Per actor: the median of `value` over rounds (line, gid "<actor>|median") with its 50%
    (q25-q75) and 90% (q05-q95) bands across runs (gid "band50|<actor>", "band90|<actor>")."""
    actors = list(actors) if actors is not None else list(dict.fromkeys(traj["actor"]))
    for k, a in enumerate(actors):
        t = traj[traj["actor"] == a]
        if t.empty:
            continue
        x = t["round"].to_numpy()
        c = _colour(k)
        ax.fill_between(x, t["q05"], t["q95"], color=c, alpha=0.13, linewidth=0, gid=f"band90|{a}")
        ax.fill_between(x, t["q25"], t["q75"], color=c, alpha=0.3, linewidth=0, gid=f"band50|{a}")
        ax.plot(x, t["median"], color=c, linewidth=1.8, label=f"{a}: median", gid=f"{a}|median")
    ax.set_ylim(0, 1)
    ax.set_xlabel("round")
    ax.set_ylabel({"position": "position of latest offer\n(mean over clauses on the table)",
                   "aspiration": "aspiration (utility asked for)",
                   "best_offer": "best offer received (utility)"}[value])
    ax.legend(fontsize=7, title="shaded: 50% and 90% of runs", title_fontsize=7)


def concession_dots(ax, conc: pd.DataFrame, actors: Sequence[str] | None = None) -> None:
    """Per clause (rows) and actor (colour): the median distance of the agreed value from the
    actor's ideal (dot, gid "<actor>|median") and the quartile range across agreements (line,
    gid "<actor>|iqr").  Clause order: the table's."""
    actors = list(actors) if actors is not None else list(dict.fromkeys(conc["actor"]))
    clauses = list(dict.fromkeys(conc["clause"]))
    pos = {c: i for i, c in enumerate(clauses)}
    off = 0.8 / max(len(actors), 1)
    for k, a in enumerate(actors):
        t = conc[conc["actor"] == a]
        y = np.array([pos[c] for c in t["clause"]]) + (k - (len(actors) - 1) / 2) * off
        c = _colour(k)
        ax.hlines(y, t["q25"], t["q75"], color=c, linewidth=2, alpha=0.6, gid=f"{a}|iqr")
        ax.plot(t["median"], y, "o", color=c, markersize=4.5, label=a, gid=f"{a}|median")
    agenda = conc.drop_duplicates("clause").set_index("clause")["agenda"] if "agenda" in conc else None
    labels = [c if agenda is None or agenda.get(c, "") in ("", "open") else f"{c} ({agenda[c]})" for c in clauses]
    ax.set_yticks(np.arange(len(clauses)), labels, fontsize=8)
    ax.set_ylim(len(clauses) - 0.5, -0.5)
    ax.set_xlim(-0.03, 1.03)  # a concession of exactly 0 or 1 shows its whole marker
    ax.set_xlabel("|agreed value - actor's ideal|\n(median, quartile range across agreements)")
    ax.set_ylabel("clause")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=7, title="actor", title_fontsize=7)


def _blocking_label(row) -> str:
    """A row of the blocking figure: who left, by which rule, furthest short on which demand (what
    kept the demand short differs between scenarios, so it labels the bar, not the row)."""
    if not row["walkout_by"]:
        return "still talking at the horizon\n(no walkout)"
    return f"{row['walkout_by']} walked out ({str(row['rule']).replace('_', ' ')}),\nfurthest short on {row['clause']}"


def blocking_bars(ax, tables: Mapping[str, pd.DataFrame], top: int = 6) -> None:
    """Horizontal bars: share of runs (%) ending in each (walker, rule, demand furthest short),
    and still talking at the horizon, per scenario (colour), with Wilson 95% error bars.  Each bar
    says what kept the demand short in that scenario (text gid "<scenario>|held|<row>").  Bars of
    scenario k form a container labelled with its name (gid "<scenario>|blocking")."""
    keys: list[str] = []
    for tab in tables.values():
        w = tab[tab["walkout_by"] != ""].head(top)
        keys += [k for k in (_blocking_label(r) for _, r in w.iterrows()) if k not in keys]
    keys.append(_blocking_label({"walkout_by": ""}))
    n = len(tables)
    h = 0.8 / max(n, 1)
    for k, (name, tab) in enumerate(tables.items()):
        lab = {_blocking_label(r): r for _, r in tab.iterrows()}
        vals = np.array([lab[q]["share"] if q in lab else 0.0 for q in keys]) * 100
        lo = np.array([lab[q]["low"] if q in lab else 0.0 for q in keys]) * 100
        hi = np.array([lab[q]["high"] if q in lab else 0.0 for q in keys]) * 100
        y = np.arange(len(keys)) + (k - (n - 1) / 2) * h
        ax.barh(y, vals, h, xerr=[vals - lo, hi - vals], capsize=3, color=_colour(k), label=short(name),
                gid=f"{name}|blocking")
        for j, q in enumerate(keys):
            held = str(lab[q].get("held_by", "")) if q in lab else ""
            if held:
                ax.annotate(f"{held}", (hi[j], y[j]), xytext=(6, 0), textcoords="offset points", va="center",
                            fontsize=7, color="0.25", gid=f"{name}|held|{j}")
    ax.set_yticks(np.arange(len(keys)), keys, fontsize=8)
    ax.set_ylim(len(keys) - 0.5, -0.5)
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of all runs (%), 95% interval; beside each bar: what kept that demand short "
                  "(central values)")
    ax.legend(fontsize=8, loc="lower right")


# ================================================================== figures from run tables


def difference_figure(a, b, pairing=None) -> Figure:
    """B - A over days: the difference in the share of runs ended in agreement, and in walkout,
    by each day, with 95% bands (paired when `pairing` says the runs share draws; Monte Carlo
    noise only); the record's dates marked."""
    horizon = max(a.runs["days"].max(), b.runs["days"].max())
    days = np.unique(np.concatenate([a.runs["days"].unique(), b.runs["days"].unique(), [0.0]]))
    table = survival.difference_by_day(a.runs, b.runs, days[days <= horizon], pairing)
    fig, ax = new_figure(figsize=(9, 3.6), layout="constrained")
    for what in ("agreement", "walkout"):
        t = table[table["quantity"] == what]
        colour = OUTCOME_COLOURS[what]
        ax.step(t["day"], 100 * t["difference"], where="post", color=colour, label=f"{what} by day", gid=f"diff|{what}")
        ax.fill_between(t["day"], 100 * t["low"], 100 * t["high"], step="post", color=colour, alpha=0.2,
                        gid=f"band|{what}")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlabel("days after 17 Dec 2021 (the record's dates are references, not targets)")
    mark_record(ax, RECORD)
    ax.set_ylabel("percentage points")
    ax.set_title(f"{short(b.name)} - {short(a.name)}: difference in the share of runs ended by each day "
                 "(95% bands, Monte Carlo noise only)", fontsize=9, loc="left")
    ax.legend(fontsize=8, loc="lower right")
    return fig


def run_figure(name: str, runs: pd.DataFrame, summary: dict[str, Estimate], metrics: list[str],
               horizon: int) -> Figure:
    fig, (a1, a2) = new_figure(1, 2, figsize=(12, 4.5), layout="constrained")
    outcome_bars(a1, {name: summary}, metrics)
    rounds_histogram(a2, runs, horizon, name)
    fig.suptitle(f"{short(name)}: {plural(len(runs), 'run')}")
    return fig


def compare_figure(runs_by_name: dict[str, pd.DataFrame], summaries: dict[str, dict[str, Estimate]],
                   metrics: list[str], calendars: Mapping[str, np.ndarray]) -> Figure:
    fig, (a1, a2) = new_figure(1, 2, figsize=(13, 4.8), layout="constrained")
    outcome_bars(a1, summaries, metrics)
    talks_over_time(a2, runs_by_name, calendars)
    n = ", ".join(f"{short(k)} ({plural(len(v), 'run')})" for k, v in runs_by_name.items())
    fig.suptitle(f"{n}")
    return fig


def metrics_of(results) -> list[str]:
    """The outcome metrics shown for these scenarios (as `negsim run/compare` print them)."""
    return share_names(list(dict.fromkeys(a for r in results for a in oc.table_actors(r.runs))))


def outcomes_figure(results) -> Figure:
    metrics = metrics_of(results)
    actors = [m.removeprefix("walkout by ") for m in metrics if m.startswith("walkout by ")]
    summaries = {r.name: stats.summarise(r.runs, actors) for r in results}
    fig, ax = new_figure(figsize=(9, 4.6), layout="constrained")
    outcome_bars(ax, summaries, metrics, title=f"Outcome shares\n{_names(results)}")
    return fig


def incidence_figure(results, by_actor: bool = False) -> Figure:
    fig, ax = new_figure(figsize=(10, 5), layout="constrained")
    tables = {r.name: survival.competing_risks(r.runs, r.horizon, by_actor=by_actor) for r in results}
    incidence_curves(ax, tables, {r.name: r.calendar for r in results}, record=RECORD)
    ax.set_title(f"Course of the talks (competing risks)\n{_names(results)}", fontsize=10)
    return fig


def history_figure(results, last_day: float = 100) -> Figure:
    """The first `last_day` days: cumulative incidence of agreement and walkout per scenario, with
    every date of the record (analysis.study.RECORD) marked.  A reference, not a fit."""
    fig, ax = new_figure(figsize=(10, 6), layout="constrained")
    tables = {r.name: survival.competing_risks(r.runs, r.horizon) for r in results}
    first = min(STUDY_RECORD)  # the first meetings (days 24, 26, 27) under one mark
    record = {first: "talks open",
              **{d: w for d, w in STUDY_RECORD.items() if d >= 40}}
    incidence_curves(ax, tables, {r.name: r.calendar for r in results}, quantities=("agreement", "walkout"))
    ax.set_xlim(0, last_day)
    mark_record(ax, record)  # after the limits: the day labels are spaced for them
    ax.set_title(f"The first {last_day:g} days next to the record (a reference pattern, not a fit)\n{_names(results)}",
                 fontsize=10)
    return fig


def rounds_figure(results) -> Figure:
    fig, axes = _panels(len(results), 6, 4.3)
    for ax, r in zip(axes, results):
        rounds_histogram(ax, r.runs, r.horizon, r.name)
    fig.suptitle(f"How long the talks lasted\n{_names(results)}", fontsize=11)
    return fig


def clauses_figure(results, bins: int = 10, ideals: bool = True) -> Figure:
    fig, axes = _panels(len(results), 6.2, 6.4)
    mesh = None
    for ax, r in zip(axes, results):
        dist = oc.clause_distribution(r.runs, bins)
        ide = oc.ideals(r.meta, dist.index, oc.table_actors(r.runs)) if ideals else None
        mesh = clause_heatmap(ax, dist, oc.agenda(r.meta), ide)
        ax.set_title(f"{short(r.name)}: {plural(dist.attrs['agreements'], 'agreement')} of {plural(r.n, 'run')}", fontsize=10)
    if mesh is not None:
        fig.colorbar(mesh, ax=axes, label="share of agreements (%)", shrink=0.6 if len(axes) > 2 else 0.8,
                     aspect=30)
    fig.suptitle(f"Agreed value of each clause\n{_names(results)}", fontsize=11)
    return fig


def trajectories_figure(results, value: str = "position") -> Figure:
    missing = [r.name for r in results if r.trace is None]
    if missing:
        raise ValueError(f"no trace for {', '.join(missing)}: rerun `negsim run/compare` with --trace")
    cols = min(len(results), 2)
    rows = math.ceil(len(results) / cols)
    fig, axes = new_figure(2 * rows, cols, figsize=(6.4 * cols, 5.6 * rows), layout="constrained",
                             squeeze=False, sharex="col", height_ratios=[3, 1] * rows)
    for k in range(len(results), rows * cols):
        axes[2 * (k // cols), k % cols].remove()
        axes[2 * (k // cols) + 1, k % cols].remove()
    for k, r in enumerate(results):
        top, ax = axes[2 * (k // cols), k % cols], axes[2 * (k // cols) + 1, k % cols]
        min_runs = max(10, math.ceil(0.01 * r.n))
        traj = oc.trajectories(r.trace, value, min_runs=min_runs)
        actors = [a for a in oc.actors_of(r.runs) if a in set(traj["actor"])]
        trajectory_bands(top, traj, actors, value)
        top.set_xlabel("")
        top.set_title(f"{short(r.name)} ({plural(r.n, 'run')})", fontsize=10)
        talking = r.trace.groupby("round")["run"].nunique()
        ax.step(talking.index, talking.to_numpy(), where="mid", color="0.3", gid=f"{r.name}|talking")
        ax.set_ylim(0, r.n * 1.05)
        every = "meetings on the scenario's calendar" if r.listed_meetings else f"1 round = {r.round_days:g} days"
        ax.set_xlabel(f"round ({every}); rounds with fewer than {min_runs} runs left out")
        ax.set_ylabel("runs still\ntalking")
    fig.suptitle(f"Actors' {value.replace('_', ' ')} over rounds, across runs still talking\n{_names(results)}",
                 fontsize=11)
    return fig


def concessions_figure(results) -> Figure:
    fig, axes = _panels(len(results), 6.2, 7)
    for ax, r in zip(axes, results):
        conc = oc.concessions(r.runs, r.meta)
        concession_dots(ax, conc)
        n = int(conc["agreements"].max()) if len(conc) else 0
        ax.set_title(f"{short(r.name)}: {plural(n, 'agreement')} of {plural(r.n, 'run')}", fontsize=10)
    fig.suptitle(f"How far each actor conceded, by clause (distance from its central ideal)\n{_names(results)}",
                 fontsize=11)
    return fig


def blocking_figure(results) -> Figure:
    tables = {r.name: oc.blocking(r.runs, r.meta) for r in results}
    rows = len({_blocking_label(r) for t in tables.values() for _, r in t[t["walkout_by"] != ""].head(6).iterrows()})
    fig, ax = new_figure(figsize=(10, 1.8 + (0.4 + 0.3 * len(tables)) * (rows + 1)), layout="constrained")
    blocking_bars(ax, tables)
    # on the figure, not the axes: the long row labels push the axes right, and a title centred
    # on them would run off the figure's edge
    fig.suptitle(f"Who walked out, on which demand it fell furthest short, and what kept that demand short of "
                 f"the walker's ideal\n{_names(results)}", fontsize=10)
    return fig


FIGURES: dict[str, Callable[..., Figure]] = {
    "outcomes": outcomes_figure,
    "incidence": incidence_figure,
    "rounds": rounds_figure,
    "clauses": clauses_figure,
    "trajectories": trajectories_figure,
    "concessions": concessions_figure,
    "blocking": blocking_figure,
}


# ================================================================== sweeps


def parameters_of(table: pd.DataFrame) -> list[str]:
    """A sweep table's parameter columns: the dotted scenario paths (e.g. actors.russia.outside_option)."""
    return [c for c in table.columns if "." in c]


def metrics_of_sweep(table: pd.DataFrame) -> list[str]:
    params = set(parameters_of(table)) | {"point"}
    return [c for c in table.columns if c not in params and not c.endswith(("_low", "_high"))
            and pd.api.types.is_numeric_dtype(table[c])]


def _metric_label(metric: str) -> str:
    if metric.startswith("p_"):
        return f"P({metric[2:].replace('_', ' ')}) (%)"
    return metric.replace("_", " ")


def _scale(metric: str) -> float:
    return 100.0 if metric.startswith("p_") else 1.0


def _check(table: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    for c in columns:
        if c not in table.columns:
            if what == "parameter":
                options = parameters_of(table)
            else:
                options = metrics_of_sweep(table)
            raise ValueError(f"no {what} column {c!r}; available: {', '.join(options) or 'none'}")


def _is_grid(x: np.ndarray, y: np.ndarray) -> bool:
    ux, uy = np.unique(x), np.unique(y)
    pairs = set(zip(x.tolist(), y.tolist()))
    return len(ux) > 1 and len(uy) > 1 and len(pairs) == len(ux) * len(uy)


def sweep_map(table: pd.DataFrame, x: str, y: str, metric: str, ax=None, title: str | None = None) -> Figure:
    """2-D map of `metric` over parameters x and y.  A full grid is drawn cell by cell
    (pcolormesh, gid "map", mean over repeated points) with labelled contours.  Scattered points
    (LHS, Sobol) are not interpolated (a surface through a few dozen noisy points draws their
    noise as spikes): the plane is cut into equal cells, each cell shows the mean of the points in
    it (gid "map"; empty cells blank) and how many there are (text gid "count|<ix>|<iy>"), and
    the points are shown as dots (gid "points")."""
    _check(table, [x, y], "parameter")
    _check(table, [metric], "metric")
    if x == y:
        raise ValueError("--x and --y must be two different parameters")
    t = table[[x, y, metric]].dropna()
    if len(t) < 3:
        raise ValueError(f"a map needs at least 3 points with {metric}, got {len(t)}")
    s = _scale(metric)
    fig = ax.figure if ax is not None else Figure(figsize=(7.5, 5.6), layout="constrained")
    ax = ax if ax is not None else fig.add_subplot()
    vx, vy = t[x].to_numpy(float), t[y].to_numpy(float)
    if _is_grid(vx, vy):
        grid = t.groupby([y, x])[metric].mean().unstack() * s
        gx, gy = grid.columns.to_numpy(float), grid.index.to_numpy(float)
        mappable = ax.pcolormesh(gx, gy, grid.to_numpy(), shading="nearest", cmap=CMAP, gid="map")
        if len(gx) > 1 and len(gy) > 1:
            cs = ax.contour(gx, gy, grid.to_numpy(), colors="white", linewidths=0.8)
            ax.clabel(cs, fontsize=7, fmt="%g")
        kind = f"grid of {len(gx)} x {len(gy)}"
    else:
        bins = int(np.clip(round(math.sqrt(len(t) / 4)), 2, 12))  # about four points a cell
        mappable = _binned_map(ax, t, x, y, metric, bins, s)
        others = [p for p in parameters_of(table) if p not in (x, y) and table[p].nunique() > 1]
        kind = (f"{len(t)} scattered points: mean of the points in each of {bins} x {bins} cells, "
                f"number of points written in the cell{'; other parameters vary within a cell' if others else ''}")
        ax.plot(vx, vy, ".", color="black", markersize=2, alpha=0.5, gid="points")
    fig.colorbar(mappable, ax=ax, label=_metric_label(metric))
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(title or f"{_metric_label(metric)} over {x} and {y}\n({kind})", fontsize=10)
    return fig


def _binned_map(ax, t: pd.DataFrame, x: str, y: str, metric: str, bins: int, scale: float):
    """Cell means of `metric` on a bins x bins grid over the range of x and y, with each cell's
    count; returns the mesh."""
    ex = np.linspace(t[x].min(), t[x].max(), bins + 1)
    ey = np.linspace(t[y].min(), t[y].max(), bins + 1)
    cells = cell_means(t, x, y, metric, bins)
    mean = np.full((bins, bins), np.nan)
    mean[cells["iy"], cells["ix"]] = cells[metric].to_numpy(float) * scale
    mesh = ax.pcolormesh(ex, ey, np.ma.masked_invalid(mean), cmap=CMAP, gid="map")
    for _, c in cells.iterrows():
        ix, iy = int(c["ix"]), int(c["iy"])
        ax.text((ex[ix] + ex[ix + 1]) / 2, (ey[iy] + ey[iy + 1]) / 2, f"{int(c['n'])}", ha="center", va="center",
                fontsize=7, color="white" if c[metric] * scale < 0.6 * np.nanmax(mean) else "black",
                gid=f"count|{ix}|{iy}")
    return mesh


def sweep_lines(table: pd.DataFrame, x: str, metric: str, ax=None, bins: int | None = None,
                title: str | None = None) -> Figure:
    """`metric` against parameter x.  If x is the only parameter that varies: a line through
    the points (gid "line") with the band metric_low..metric_high (gid "band").  If others vary
    too: x is cut into `bins` equal bins (default min(10, distinct x values)) and the line is the
    mean over the points in each bin at the bin centre, with the 95% interval of that mean
    (t interval) as the band; the points are shown faintly (gid "points").  A share's line and
    band are clipped to 0-100% (a t interval of a mean of shares can reach past them), and the
    legend says so when any was."""
    _check(table, [x], "parameter")
    _check(table, [metric], "metric")
    s = _scale(metric)
    fig = ax.figure if ax is not None else Figure(figsize=(7.5, 4.6), layout="constrained")
    ax = ax if ax is not None else fig.add_subplot()
    others = [p for p in parameters_of(table) if p != x and table[p].nunique() > 1]
    t = table.dropna(subset=[x, metric])
    share = metric.startswith("p_")
    if not others:
        t = t.sort_values(x)
        xs, ys = t[x].to_numpy(float), t[metric].to_numpy(float)
        lo_c, hi_c = f"{metric}_low", f"{metric}_high"
        band = (t[lo_c].to_numpy(float), t[hi_c].to_numpy(float)) if lo_c in t and hi_c in t else None
        what, line_label, note = "95% interval", metric, f"{len(t)} points"
    else:
        line = binned_means(t, x, metric, bins)
        ax.plot(t[x], t[metric] * s, ".", color="0.6", markersize=2.5, alpha=0.5, gid="points",
                label="points (other parameters vary)")
        xs, ys, band = line["x"].to_numpy(float), line["mean"].to_numpy(float), (line["low"], line["high"])
        what, line_label = "95% interval of the bin mean", "mean per bin"
        note = f"{len(t)} points, mean over {len(line)} bins of {x}"
    if band is not None:
        lo, hi = np.asarray(band[0], float), np.asarray(band[1], float)
        clipped = share and bool((lo < 0).any() or (hi > 1).any())
        if share:
            lo, hi = np.clip(lo, 0, 1), np.clip(hi, 0, 1)
        ax.fill_between(xs, lo * s, hi * s, color=_colour(0), alpha=0.25, linewidth=0, gid="band",
                        label=what + (", clipped to 0-100%" if clipped else ""))
    ax.plot(xs, (np.clip(ys, 0, 1) if share else ys) * s, "-o", color=_colour(0), markersize=3, gid="line",
            label=line_label)
    ax.set_xlabel(x)
    ax.set_ylabel(_metric_label(metric))
    if share:
        ax.set_ylim(0, 100)
    ax.legend(fontsize=8)
    ax.set_title(title or f"{_metric_label(metric)} against {x}\n({note})", fontsize=10)
    return fig


def cell_means(table: pd.DataFrame, x: str, y: str, metric: str, bins: int) -> pd.DataFrame:
    """Points cut into bins x bins equal cells over the range of x and y; per non-empty cell its
    column `ix` and row `iy`, the mean x, mean y, mean metric and the number of points `n`."""
    v = table[[x, y, metric]].dropna()
    ix = np.clip(((v[x] - v[x].min()) / max(v[x].max() - v[x].min(), 1e-300) * bins).astype(int), 0, bins - 1)
    iy = np.clip(((v[y] - v[y].min()) / max(v[y].max() - v[y].min(), 1e-300) * bins).astype(int), 0, bins - 1)
    g = v.groupby([ix.rename("ix"), iy.rename("iy")])
    out = g.mean()
    out["n"] = g.size()
    return out.reset_index()


def binned_means(table: pd.DataFrame, x: str, metric: str, bins: int | None = None) -> pd.DataFrame:
    """x cut into equal-width bins; per non-empty bin: centre `x`, number of points `n`, `mean`
    of the metric and the t-based 95% interval of the mean (`low`, `high`; the mean itself when
    n == 1)."""
    from scipy import stats as sps  # heavy (about a second to import): only the sweep figures need it

    v = table[[x, metric]].dropna()
    bins = bins or min(10, v[x].nunique())
    edges = np.linspace(v[x].min(), v[x].max(), bins + 1)
    idx = np.clip(np.searchsorted(edges, v[x].to_numpy(float), side="right") - 1, 0, bins - 1)
    rows = []
    for b in range(bins):
        m = v[metric].to_numpy(float)[idx == b]
        if not len(m):
            continue
        mean = float(m.mean())
        half = float(sps.t.ppf(0.975, len(m) - 1) * m.std(ddof=1) / math.sqrt(len(m))) if len(m) > 1 else 0.0
        rows.append({"x": (edges[b] + edges[b + 1]) / 2, "n": len(m), "mean": mean,
                     "low": mean - half, "high": mean + half})
    return pd.DataFrame(rows)


def sensitivity_bars(indices: pd.DataFrame, metric: str, ax=None, title: str | None = None) -> Figure:
    """Sensitivity indices of `metric` per parameter: Sobol S1 and ST, or Morris mu_star and
    sigma (whichever the table holds), as grouped horizontal bars with 95% error bars (conf),
    parameters sorted by ST (or mu_star).  Bar container per index, labelled with its name
    (gid "index|<name>").  S2 (pairs) is left out."""
    need = {"metric", "parameter", "index", "value", "conf"}
    if not need <= set(indices.columns):
        raise ValueError(f"a sensitivity table needs columns {', '.join(sorted(need))}; "
                         f"got {', '.join(indices.columns)}")
    t = indices[indices["metric"] == metric]
    if t.empty:
        raise ValueError(f"no indices for metric {metric!r}; available: {', '.join(map(str, indices['metric'].unique()))}")
    kinds = [k for k in ("S1", "ST", "mu_star", "sigma") if k in set(t["index"])]
    if not kinds:
        raise ValueError(f"no S1/ST or mu_star/sigma indices for {metric!r}")
    wide = t[t["index"].isin(kinds)].pivot_table(index="parameter", columns="index", values=["value", "conf"],
                                                 aggfunc="first")
    key = "ST" if "ST" in kinds else kinds[0]
    order = wide[("value", key)].sort_values(ascending=True, na_position="first").index.tolist()
    fig = ax.figure if ax is not None else Figure(figsize=(8, 1.5 + 0.45 * len(order) * len(kinds) / 1.5),
                                                      layout="constrained")
    ax = ax if ax is not None else fig.add_subplot()
    h = 0.8 / len(kinds)
    y = np.arange(len(order))
    for k, name in enumerate(kinds):
        vals = wide[("value", name)].reindex(order).to_numpy(float)
        conf = wide[("conf", name)].reindex(order).to_numpy(float) if ("conf", name) in wide else np.zeros(len(order))
        ax.barh(y + (k - (len(kinds) - 1) / 2) * h, vals, h, xerr=np.nan_to_num(conf), capsize=3,
                color=_colour(k), label=name, gid=f"index|{name}")
    ax.set_yticks(y, order, fontsize=8)
    ax.axvline(0, color="0.3", linewidth=0.6)
    ax.set_xlabel("index value (error bars: 95% interval)")
    ax.set_ylabel("parameter")
    ax.legend(fontsize=8)
    what = "Sobol indices" if "S1" in kinds or "ST" in kinds else "Morris elementary effects"
    ax.set_title(title or f"Sensitivity of {metric}: {what}", fontsize=10)
    return fig


def save(fig: Figure, path) -> None:
    fig.savefig(path, dpi=120)
