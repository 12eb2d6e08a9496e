"""A self-contained HTML report of one or more scenarios' results.

One file: the figures are embedded as base64 PNG <img> elements, the style sheet is inline, and
there is no script, font or link to anything outside the file, so it opens from disk in any
browser with no server and no network.  Every piece of text taken from the results or the
scenario is escaped with html.escape.

Contents: the question and a one-paragraph answer (first two scenarios), outcome shares with
Wilson intervals and their differences; how long the talks lasted and how they ended (competing
risks at chosen days, the ending rules, where deals concentrate over the drawn inputs); which clauses
were agreed at what values and how far each actor conceded; who walked out over what; the
actors' positions over rounds (when a trace file sits beside the runs file); every difference
B - A with its interval; and per scenario its assumptions (agenda, protocol, actors, preferences,
clause texts) and provenance (file, SHA-256, seed, runs, engine, version, command to reproduce).
"""

from __future__ import annotations

import math
import os  # noqa: F401 - tests patch report.os.replace
from pathlib import Path
from typing import Sequence

import pandas as pd

import sim
from storage.atomic import write_atomic as _write
from storage.text import plural

from . import channel_plots, families, plots, report_priors, stats, survival
from . import outcomes as oc
from .answer import answer
from .backtest import DAYS as BACKTEST_DAYS, PATH, record_rows, wide
from .discovery import conditions_in_words
from .holdouts import holdout_line
from .metrics import METRICS, hits, metric_label
from .pairing import differences
from .report_data import ReportData, prepare
from .report_html import esc, est, figure_html, kv_table, num, pct, table
from .study import QUESTION as DEFAULT_QUESTION
from .study import (FIRST_MEETING_DAY, HALF_YEAR_DAY, OSCE_DAY, QUARTER_DAY, REPLIES_DAY, RUSSIA_REPLY_DAY,
                    STILL_ON_DAYS, TALKS_ENDED_DAY, YEAR_DAY)
from .theory_draws import reconcile, zones_against_runs

# Calendar days shown in the course-of-the-talks table: the record of docs/model.md 1.1 (written
# replies, Russia's reply, the invasion) and a quarter, half and full year.
DAYS = (REPLIES_DAY, RUSSIA_REPLY_DAY, TALKS_ENDED_DAY, QUARTER_DAY, HALF_YEAR_DAY, YEAR_DAY)

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;max-width:1180px;
margin:0 auto;padding:0 1.2em 3em;color:#1b1b1b;line-height:1.45}
h1{font-size:1.55em;margin:1em 0 .3em}h2{font-size:1.25em;margin-top:2em;border-bottom:2px solid #0072B2;
padding-bottom:.2em}h3{font-size:1.05em;margin-top:1.4em}
.question{font-size:1.1em;font-style:italic}.answer{background:#eef5fb;border-left:4px solid #0072B2;
padding:.6em 1em}
table{border-collapse:collapse;margin:.6em 0 1em;font-size:.86em}
th,td{border:1px solid #c9c9c9;padding:.25em .55em;text-align:left;vertical-align:top}
th{background:#f1f1f1}tbody th{font-weight:600;white-space:nowrap}td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #ddd}
figcaption{font-size:.86em;color:#444}.note{font-size:.88em;color:#444}
nav ol{columns:2}code{background:#f4f4f4;padding:0 .25em;word-break:break-all}
details{margin:.4em 0}summary{cursor:pointer;font-weight:600}
"""


# ------------------------------------------------------------------ sections


def _answer(a: oc.Result, b: oc.Result, data: ReportData) -> str:
    """The answer sentence (analysis.answer), by the horizon of the two."""
    return answer(a.name, b.name, a.runs, b.runs, data.pairing, max(_horizon_day(a), _horizon_day(b)), data.why).text()


def _horizon_day(r: oc.Result) -> float:
    return float(oc.scenario_of(r.meta).protocol.horizon_days)


def _outcome_section(results: list[oc.Result], seed: int, data: ReportData) -> str:
    metrics = plots.metrics_of(results)
    actors = [m.removeprefix("walkout by ") for m in metrics if m.startswith("walkout by ")]
    sums = [stats.summarise(r.runs, actors) for r in results]
    diff = None
    if len(results) > 1:
        diff = {m: d.estimate for m, d in differences(results[0].runs, results[1].runs, metrics, seed,
                                                      data.pairing).items()}
    labels = {"agreement": "P(agreement)", "talks persist": "P(talks persist) = no walkout",
              "walkout": "P(walkout)", "ongoing": "P(still talking at the horizon)"}
    headers = ["outcome"] + [r.label for r in results]
    if diff:
        headers.append(f"difference ({results[1].name} - {results[0].name})")
    rows = []
    for m in metrics + ["median rounds", "median rounds to agreement"]:
        percent = not m.startswith("median")
        row = [labels.get(m, f"P({m})" if percent else m)]
        row += [est(s[m].value, s[m].low, s[m].high, percent=percent) for s in sums]
        if diff:
            row.append(est(diff[m].value, diff[m].low, diff[m].high, percent=percent, signed=True) if m in diff else "")
        rows.append(row)
    parts = ["<h2 id='outcomes'>1. Outcome shares</h2>",
             "<p class='note'>95% intervals: shares Wilson score; medians order statistics; difference of medians "
             f"percentile bootstrap (999 resamples, seeded); {esc(data.pairing.note()) if diff else ''}.</p>",
             table(headers, rows, [False] + [True] * (len(headers) - 1)),
             figure_html(plots.outcomes_figure(results), "Bar chart of outcome shares with 95% intervals",
                         "Outcome shares with 95% Wilson intervals, one bar per scenario.")]
    return "".join(parts)


def _course_section(results: list[oc.Result], data: ReportData) -> str:
    parts = ["<h2 id='course'>2. How long the talks lasted and how they ended</h2>",
             "<p class='note'>Competing risks: every run ends in agreement or a walkout, or is still talking at "
             "the horizon; nothing is censored before the horizon, so the cumulative incidence of each ending "
             "is the share of runs that ended that way by that day (the Aalen-Johansen estimate with no "
             "censoring), with pointwise Wilson 95% intervals.</p>"]
    rows = []
    for r in results:
        tab = survival.competing_risks(r.runs, r.horizon)
        for _, row in survival.at_days(tab, DAYS, r.calendar).iterrows():
            rows.append([r.name, int(row["day"]), int(row["round"]),
                         est(row["cif_agreement"], row["cif_agreement_low"], row["cif_agreement_high"]),
                         est(row["cif_walkout"], row["cif_walkout_low"], row["cif_walkout_high"]),
                         est(row["still_talking"], row["still_talking_low"], row["still_talking_high"])])
    parts.append("<h3>Ended by day d (share of all runs)</h3>")
    parts.append(table(["scenario", "day", "end of round", "agreement", "walkout", "still talking"], rows,
                       [False, True, True, True, True, True]))
    if len(results) > 1:
        a, b = results[0], results[1]
        d = _incidence_difference(a, b, data.pairing)
        wide = []
        for day, g in d.groupby("day", sort=False):
            g = g.set_index("quantity")
            wide.append([int(day)] + [est(g.at[q, "difference"], g.at[q, "low"], g.at[q, "high"], signed=True)
                                      for q in ("agreement", "walkout", "still talking")])
        parts.append(f"<h3>Differences by day d ({esc(b.name)} - {esc(a.name)}; {esc(data.pairing.note())})</h3>")
        parts.append(table(["day", "agreement", "walkout", "still talking"], wide, [True] * 4))
    parts.append(figure_html(plots.incidence_figure(results), "Cumulative incidence of agreement and walkout "
                             "and share still talking over days, per scenario",
                             "Cumulative incidence of agreement (solid) and walkout (dashed) and the share still "
                             "talking (dotted), with Wilson 95% bands; dotted verticals mark the historical record "
                             "(a reference pattern, not a tuning target)."))
    parts.append("<h3>How the talks ended</h3>")
    for r in results:
        e = oc.endings(r.runs)
        parts.append(f"<p><b>{esc(r.label)}</b></p>")
        parts.append(table(["ending", "runs", "share of runs [95%]"],
                           [[x["ending"], num(int(x["runs"])), est(x["share"], x["low"], x["high"])]
                            for _, x in e.iterrows()], [False, True, True]))
    parts.append(figure_html(plots.rounds_figure(results), "Histogram of the number of rounds played, by outcome",
                             "Runs by the number of rounds played, stacked by outcome."))

    words = [(r, conditions_in_words(r.runs)) for r in results]
    words = [(r, w) for r, w in words if w]
    if words:
        parts.append("<h3>Under what conditions a deal forms</h3><p class='note'>The box of drawn inputs where deals "
                     "concentrate, found by PRIM (peeling and pasting; EMA workbench) over every parameter a run drew "
                     "from a distribution; `negsim discover` gives the trajectory and the box.</p>")
        parts.append("<ul>" + "".join(f"<li><b>{esc(r.name)}</b>: {esc(w)}</li>" for r, w in words) + "</ul>")
    return "".join(parts)


def _incidence_difference(a: oc.Result, b: oc.Result, pairing) -> pd.DataFrame:
    """B - A in the share that agreed, walked out or was still talking by each day of DAYS,
    paired when the runs pair (analysis.pairing)."""
    rows = []
    for day in DAYS:
        h = {what: [hits(what, r.runs["outcome"].to_numpy(), days=r.runs["days"].to_numpy(), day=day) for r in (a, b)]
             for what in ("agreement", "walkout")}
        h["still talking"] = [~(g | w) for g, w in zip(h["agreement"], h["walkout"])]
        for what, (ha, hb) in h.items():
            e = pairing.proportion(ha, hb).estimate
            rows.append({"day": day, "quantity": what, "difference": e.value, "low": e.low, "high": e.high})
    return pd.DataFrame(rows)


def _clause_section(results: list[oc.Result], diffs_all: pd.DataFrame | None) -> str:
    parts = ["<h2 id='clauses'>3. Which clauses were agreed, at what values</h2>",
             "<p class='note'>Over the runs that ended in agreement. 0 is the status quo (draft rejected), 1 the "
             "clause as Russia drafted it; the scale of each clause is listed under the scenario's assumptions. "
             "Median with its 95% interval (order statistics) and the quartile range.</p>"]
    vals = [oc.clause_values(r.runs, r.meta).set_index("clause") for r in results]
    clauses = list(dict.fromkeys(c for v in vals for c in v.index))
    diffs = None
    if diffs_all is not None:
        diffs = diffs_all[diffs_all["kind"] == "clause"].set_index("metric")
    headers = ["clause"] + [f"{r.name}: median [95%] (IQR)" for r in results]
    if diffs is not None:
        headers.append(f"difference of medians ({results[1].name} - {results[0].name}, bootstrap)")
    rows = []
    for c in clauses:
        row = [c]
        for v in vals:
            if c not in v.index or v.at[c, "agreements"] == 0:
                row.append("-")
                continue
            x = v.loc[c]
            tag = "" if x["agenda"] == "open" else f" {x['agenda']}"
            row.append(f"{est(x['median'], x['median_low'], x['median_high'], percent=False, digits=2)} "
                       f"({x['q25']:.2f}-{x['q75']:.2f}){tag}")
        if diffs is not None:
            key = f"median agreed {c}"
            row.append(est(diffs.at[key, "difference"], diffs.at[key, "low"], diffs.at[key, "high"], percent=False,
                           signed=True, digits=2) if key in diffs.index else "")
        rows.append(row)
    parts.append(table(headers, rows, [False] + [True] * (len(headers) - 1)))
    parts.append(figure_html(plots.clauses_figure(results), "Heatmap of agreed values by clause, per scenario",
                             "Share of agreements with each clause's value in each tenth of the scale; markers: "
                             "each party's central ideal point."))
    parts.append("<h3>How far each party conceded</h3>"
                 "<p class='note'>Median |agreed value - the party's central ideal| over agreements; 'all "
                 "(weighted)' weighs each clause by the party's central salience. Clauses off the table are left "
                 "out: nobody conceded them.</p>")
    for r in results:
        conc = oc.concessions(r.runs, r.meta)
        if conc.empty or conc["agreements"].max() == 0:
            parts.append(f"<p><b>{esc(r.label)}</b>: no agreements.</p>")
            continue
        wide = conc.pivot_table(index="clause", columns="actor", values="median", sort=False)
        actors = list(dict.fromkeys(conc["actor"]))
        order = list(dict.fromkeys(conc["clause"]))
        wide = wide.reindex(index=order, columns=actors)
        rows = [[c] + [num(wide.at[c, a]) for a in actors] for c in order]
        parts.append(f"<details><summary>{esc(r.label)}: median concession per clause and party</summary>"
                     + table(["clause"] + actors, rows, [False] + [True] * len(actors)) + "</details>")
    parts.append(figure_html(plots.concessions_figure(results), "Dot plot of each party's concession per clause",
                             "Median distance of the agreed value from each party's central ideal, with the "
                             "quartile range across agreements."))
    return "".join(parts)


def _blocking_section(results: list[oc.Result]) -> str:
    parts = ["<h2 id='blocking'>4. Who walked out, and where they stood</h2>",
             "<p class='note'>For each walkout the run records who left, by which rule (outside option: nothing on "
             "the agenda beats walking away; impatience: waiting, at the others' pace, cannot beat it before the "
             "deadline) and the demand on which what the walker held (an offer every other party had voted for, "
             "else the status quo) fell furthest short of its ideal, salience-weighted, its clauses summed. "
             "That demand is a description of where the walker stood when it left, not the cause of its "
             "leaving: which demand would change the outcome if conceded is a counterfactual question. What kept "
             "each clause short is read from the scenario: the agenda, else the other parties' red lines "
             "(central values). Runs still talking at the horizon have no record: nobody walked out.</p>"]
    for r in results:
        b = oc.blocking(r.runs, r.meta)
        rows = [[x["walkout_by"] or "-", str(x["rule"]).replace("_", " ") or "-", x["clause"] or "-",
                 num(int(x["runs"])), pct(x["share_of_walkouts"]), est(x["share"], x["low"], x["high"]),
                 x["agenda"] or "-", x["constraint"]] for _, x in b.iterrows()]
        parts.append(f"<p><b>{esc(r.label)}</b></p>")
        parts.append(table(["walked out", "rule", "largest shortfall (demand)", "runs", "of walkouts",
                            "of all runs [95%]", "agenda", "what kept it short"], rows,
                           [False, False, False, True, True, True, False, False]))
    parts.append(figure_html(plots.blocking_figure(results), "Bar chart of walkouts by party, rule and clause",
                             "Share of all runs ending in each kind of walkout, and still talking at the horizon, "
                             "with Wilson 95% intervals."))
    return "".join(parts)


def _trajectory_section(results: list[oc.Result]) -> str:
    parts = ["<h2 id='trajectories'>5. Positions over rounds</h2>"]
    have = [r for r in results if r.trace is not None]
    missing = [r.name for r in results if r.trace is None]
    if missing:
        parts.append(f"<p class='note'>No trace file for {esc(', '.join(missing))}: rerun <code>negsim run</code> "
                     "or <code>negsim compare</code> with <code>--trace</code> to add this figure.</p>")
    if have:
        parts.append(figure_html(plots.trajectories_figure(have), "Median position of each party's latest offer "
                                 "over rounds with 50% and 90% bands",
                                 "Each party's latest offer (mean position over the clauses on the table): median "
                                 "and 50%/90% bands across the runs still talking in that round; below, how many "
                                 "runs are still talking."))
    return "".join(parts)


def _difference_section(results: list[oc.Result], d: pd.DataFrame, seed: int) -> str:
    a, b = results[0], results[1]
    d = d[d["kind"] != "clause"]
    rows = []
    for _, x in d.iterrows():
        percent = x["kind"] == "share"
        f = (lambda v: pct(v)) if percent else (lambda v: num(v, 3 if x["kind"] == "utility" else 1))
        rows.append([x["metric"], f(x["a"]), f(x["b"]),
                     est(x["difference"], x["low"], x["high"], percent=percent, signed=True,
                         digits=1 if x["kind"] != "utility" else 3), x["method"]])
    note = f" (of {len(results)} scenarios, the first two)" if len(results) > 2 else ""
    return (f"<h2 id='differences'>6. Differences {esc(b.name)} - {esc(a.name)}{esc(note)}</h2>"
            "<p class='note'>Mean final utility: the utility of the agreement, or the outside option at the last "
            f"round otherwise (docs/model.md 3.7). Each row names its interval (bootstrap seed {seed}); "
            "clause values among agreements are unpaired (the runs that agree differ between A and B).</p>"
            + table(["metric", a.name, b.name, "difference [95%]", "interval"], rows,
                    [False, True, True, True, False]))


def _assumptions(r: oc.Result) -> str:
    doc = r.meta.get("scenario_resolved") or {}
    m = r.meta
    parts = [f"<h3 id='scenario-{esc(r.name)}'>{esc(r.name)}</h3>",
             f"<p>{esc((doc.get('meta') or {}).get('description', ''))}</p>"]
    prov = [["results file", r.path], ["scenario file", m.get("scenario_path", "")],
            ["scenario SHA-256", m.get("scenario_sha256", "")], ["runs", num(int(m.get("n_runs", r.n)))],
            ["root seed", m.get("root_seed", "")], ["engine", m.get("engine", "")],
            ["negsim version", m.get("negsim_version", "")], ["numpy version", m.get("numpy_version", "")],
            ["reproduce", m.get("reproduce", "")]]
    counts = oc.scenario_of(r.meta).provenance_counts()
    prov.append(["numbers by provenance", ", ".join(f"{k} {v}" for k, v in counts.items())
                 + " (docs/sources.md: record, literature, elicitation, judgement)"])
    parts.append("<p><b>Provenance</b></p>" + kv_table(prov))
    ag = doc.get("agenda") or {}
    proto = doc.get("protocol") or {}
    rows = [["off the table", ", ".join(ag.get("off") or []) or "none"],
            ["capped", ", ".join(f"{c} at {v:g}" for c, v in (ag.get("caps") or {}).items()) or "none"],
            ["agenda source", ag.get("source", "")]]
    rows += [[k.replace("_", " "), oc.describe(v)] for k, v in proto.items() if k not in ("source", "recognition")]
    rows.append(["protocol source", proto.get("source", "")])
    parts.append("<p><b>Agenda and protocol</b></p>" + kv_table(rows))
    act = oc.actor_settings(r.meta)
    order = {a: i for i, a in enumerate(oc.actors_of(r.runs))}
    act = act.sort_values("actor", key=lambda s: s.map(lambda a: order.get(a, 99)))
    at_table = set(oc.table_actors(r.runs))
    cols = ["outside_option", "outside_option_growth", "patience", "deadline_days", "strategy", "walkout",
            "pace_memory_days", "belief_noise", "consent_clauses", "weighs_on", "bloc"]
    cols = [c for c in cols if (act[c] != "").any()]
    rows = [[x["actor"] + ("" if x["actor"] in at_table else " (not at the table)"), x["name"]]
            + [x[c] for c in cols] for _, x in act.iterrows()]
    parts.append("<p><b>Actors</b> (numbers as written: a fixed value, or the distribution drawn afresh per run)</p>"
                 + table(["actor", "name"] + [c.replace("_", " ") for c in cols], rows))
    parts.append("<ul class='note'>" + "".join(f"<li><b>{esc(x['actor'])}</b>: {esc(x['source'])}</li>"
                                              for _, x in act.iterrows()) + "</ul>")
    prefs = oc.preferences(r.meta)
    clauses = oc.clauses_of(r.runs)
    upper = oc.agenda(r.meta)
    actors = [a for a in oc.actors_of(r.runs) if a in set(prefs["actor"])]
    rows = []
    for c in clauses:
        row = [c, oc.agenda_label(upper.get(c, 1.0))]
        for a in actors:
            p = prefs[(prefs["actor"] == a) & (prefs["clause"] == c)]
            if p.empty:
                row.append("")
                continue
            p = p.iloc[0]
            txt = f"ideal {p['ideal_text']}; salience {p['salience_text']}"
            if p["red_line_text"]:
                txt += f"; red line {p['red_line_text']}"
            row.append(txt)
        rows.append(row)
    parts.append("<details><summary>Preferences per clause (ideal, salience, red lines)</summary>"
                 + table(["clause", "agenda"] + actors, rows) + "</details>")
    src = [[p["actor"], p["clause"], p["source"]] for _, p in prefs.iterrows()]
    parts.append("<details><summary>Sources of the preferences</summary>"
                 + table(["actor", "clause", "source"], src) + "</details>")
    cl = doc.get("clauses") or {}
    rows = [[c, cl.get(c, {}).get("article", ""), cl.get(c, {}).get("demand", ""), cl.get(c, {}).get("reply", ""),
             "; ".join(f"{k} = {v}" for k, v in (cl.get(c, {}).get("scale") or {}).items())] for c in clauses]
    parts.append("<details><summary>Clauses: article, demand, reply, scale</summary>"
                 + table(["clause", "article", "demand", "reply (Jan 2022)", "scale"], rows) + "</details>")
    return "".join(parts)


def _theory_section(results: Sequence[oc.Result], data: ReportData) -> str:
    """Theory across draws against the simulation on the same draws (runs 0..k-1 of each file's
    root seed; computed beforehand in analysis.report_data): where a zone of agreement existed,
    and on which side of it the runs ended."""
    rows = []
    for r in results:
        d = data.drawn.get(r.name)
        if d is None:
            continue
        z, k = d.zones, len(d.outcome)
        c = zones_against_runs(z, d.outcome, d.days)
        rows.append([r.name, f"{c['with_zone']} of {k}", pct(z.share_closed_by(TALKS_ENDED_DAY), 0),
                     pct(z.share_closed_by(z.last_meeting_day), 0),
                     f"{c['deals_with_zone']} / {c['deals_without_zone']}",
                     f"{c['walkouts_zone_open']} / {c['walkouts_no_zone']} / {c['walkouts_zone_closed']}"])
    if not rows:
        return ""
    return ("<h2 id='theory'>Theory across draws, against the runs</h2>"
            "<p class='note'>For the first runs of each file, the zone of agreement of that run's own draws "
            "(no belief errors): does a package exist that respects every red line and gives every party at the "
            "table at least its outside option, on day 0 and at each meeting as outside options grow "
            "(negsim solve --draws). Then how the same runs ended: deals with and without a zone; walkouts while "
            "the run's zone was still open, with no zone on day 0, and after it closed. Counts, not estimates; "
            "theory has no clock, so a walkout with the zone still open is the model's impatience, not a lack "
            "of possible deals.</p>"
            + table(["scenario", "draws with a zone on day 0", f"of those, zone closed by day {TALKS_ENDED_DAY}",
                     "of those, zone closed by the last meeting", "deals: with zone / without",
                     "walkouts: zone open / no zone / after it closed"], rows,
                    [False, True, True, True, True, True])
            + _reconciliation(results, data.drawn))


def _reconciliation(results: Sequence[oc.Result], drawn: dict) -> str:
    """For each scenario against the first, on the same draws: where the difference in deals
    comes from, zone or dynamics (theory_draws.reconcile)."""
    first = results[0].name
    items = []
    for r in results[1:]:
        if first not in drawn or r.name not in drawn:
            continue
        (za, oa, seed_a), (zb, ob, seed_b) = ((d.zones, d.outcome, d.root_seed) for d in (drawn[first], drawn[r.name]))
        k = min(len(oa), len(ob))
        if seed_a != seed_b or za.uniforms != zb.uniforms or len(za.exists) != k or len(zb.exists) != k:
            items.append(f"<li><b>{esc(r.name)} - {esc(first)}</b>: not paired. The two were not run on the same "
                         "draws (another root seed, or another number of random numbers per run: a different "
                         "meeting calendar, actors or clauses change every run's numbers).</li>")
            continue
        m = reconcile(za, zb, oa[:k], ob[:k])
        items.append(f"<li><b>{esc(r.name)} - {esc(first)}</b> on the same {plural(k, 'draw')}: a zone of agreement exists "
                     f"on day 0 in {pct(m['zone_b'], 0)} and {pct(m['zone_a'], 0)} of them. Deals by the horizon "
                     f"differ by {_pp(m['difference'])}: {_pp(m['from_zone'])} from draws where only one scenario "
                     f"has a zone (what theory sees), {_pp(m['from_dynamics_with_zone'])} from draws where both have "
                     f"one and {_pp(m['from_dynamics_without_zone'])} where neither has (the bargaining: who "
                     "concedes when, and walkouts while a zone is open).</li>")
    if not items:
        return ""
    return ("<h3>Theory and simulation, reconciled</h3><p class='note'>Draw by draw (common random numbers), "
            "the difference in deals split by where a zone of agreement existed; counts over the draws, not "
            "estimates with intervals.</p><ul>" + "".join(items) + "</ul>")


def _pp(v: float) -> str:
    return f"{100 * v:+.1f} pp"


# ------------------------------------------------------------------ the report


def _history_section(results: Sequence[oc.Result]) -> str:
    """The record as a reference: each scenario's shares by the record's days next to what
    happened, the probability of the record's path with its log score, the CRPS of the day the
    talks broke down, and the first 100 days against the record's dates."""
    rows = []
    for r in results:
        o, d = r.runs["outcome"].astype(str).to_numpy(), r.runs["days"].to_numpy(dtype=float)
        rows += record_rows(r.name, "as shipped", o, d, r.runs["walkout_by"].astype(str).to_numpy(), _horizon_day(r))
    long = pd.DataFrame(rows)
    w = wide(long)
    cells = []
    for (name, _), row in w.iterrows():
        rec = long[(long["scenario"] == name) & (long["quantity"] == PATH)].iloc[0]
        ln = row["log score"]
        cells.append([name] + [f"{pct(row[f'agreement by day {d}'], 0)} / {pct(row[f'walkout by day {d}'], 0)}"
                               for d in BACKTEST_DAYS]
                     + [" / ".join(pct(row[f"still on at day {d}"], 0) for d in STILL_ON_DAYS),
                        est(rec["share"], rec["low"], rec["high"]), f"{ln:.2f}" if math.isfinite(ln) else "-inf",
                        f"{row['crps']:.1f}"])
    on = ", ".join(f"{d:g}" for d in STILL_ON_DAYS)
    return "".join([
        "<h2 id='history'>The record as a reference</h2>",
        f"<p class='note'>What happened: meetings on 10, 12 and 13 Jan 2022 (days {FIRST_MEETING_DAY}-{OSCE_DAY}), "
        f"the US and NATO written replies on day {REPLIES_DAY}, Russia's reply on day {RUSSIA_REPLY_DAY}, no "
        f"agreement, and military action on day {TALKS_ENDED_DAY}. One history is "
        "a single draw from whatever process produced it: the model is put next to it, not fitted to it; no "
        "number in any scenario was tuned to these outcomes. The record's path: the talks still on at days "
        f"{esc(on)}, then a Russian walkout on a day from {RUSSIA_REPLY_DAY} to {TALKS_ENDED_DAY}, no deal; an "
        "earlier walkout is not the record "
        "(Wilson 95% interval, Monte Carlo noise only). Log score: ln P(record path), closer to 0 is better. CRPS: "
        f"of the day Russia broke the talks off against day {TALKS_ENDED_DAY}, in days, over days 0 to the horizon "
        "(runs that never broke off count beyond it); lower is better. `negsim backtest` gives the same table for any scenario "
        "and variant, and docs/model.md section 7 says where the model parts from the record.</p>",
        table(["scenario"] + [f"by day {d}: deal / walkout" for d in BACKTEST_DAYS]
              + [f"still on at days {on}", "P(record path)", "log score", "CRPS (days)"],
              cells, [False] + [True] * (len(BACKTEST_DAYS) + 4)),
        figure_html(plots.history_figure(results), "Cumulative incidence of agreement and walkout over the first "
                    "100 days, with the dates of the record marked",
                    "Cumulative incidence of agreement (solid) and walkout (dashed) over the first 100 days, Wilson "
                    "95% bands; dotted verticals mark the record's dates. A scenario meeting weekly from day 0 and "
                    "one on the record's calendar differ in when a walkout can happen: only after a meeting."),
    ])


def _explain_section(explain: pd.DataFrame, label: str) -> str:
    """'What would change the outcome': each demand conceded alone and its Shapley value
    (`negsim explain`), per metric, largest effect first."""
    parts = ["<h2 id='explain'>What would change the outcome</h2>",
             f"<p class='note'>{esc(label)}: every coalition of the demands that say what conceding them means was "
             "played on the same runs (common random numbers). 'Alone' is the effect of conceding that demand "
             "only; the Shapley value averages its effect over every order of concessions, and the values add "
             "up to the effect of conceding all of them. 95% intervals over runs (paired); Monte Carlo noise "
             "only. This, not the walkers' shortfalls of section 4, answers which concession would change the "
             "outcome.</p>"]

    for metric in METRICS:
        sub = explain[explain["metric"] == metric].sort_values("shapley", key=abs, ascending=False)
        if sub.empty:
            continue
        name = sub["label"].iloc[0] if "label" in sub else metric_label(metric, None)
        rows = [[x["player"], est(x["alone"], x["alone_low"], x["alone_high"], signed=True),
                 est(x["shapley"], x["shapley_low"], x["shapley_high"], signed=True)] for _, x in sub.iterrows()]
        parts.append(f"<p><b>{esc(name)}</b></p>" + table(["conceded", "alone [95%]", "Shapley value [95%]"], rows,
                                                          [False, True, True]))
    return "".join(parts)


REPORT_STEPS = 9  # what `render` reports to `progress`, one call per step


def render(results: Sequence[oc.Result], seed: int, question: str = DEFAULT_QUESTION,
           explain: tuple[pd.DataFrame, str] | None = None, priors=None, progress=lambda step: None,
           data: ReportData | None = None, channels: tuple[pd.DataFrame, str] | None = None) -> str:
    """The report as one HTML string.  priors: report_priors.PriorInputs (an elicited overlay, a
    sweep's indices) for the provenance of the answer and the section on the priors.  channels: the
    table of a `negsim channels` folder and its label, for the section on the agenda's channels.
    `progress(name)` is called as each step starts, REPORT_STEPS of them when `data` is computed
    here (the theory across draws and the course of the talks take longest).  data: what analysis.report_data.prepare computed from the
    scenarios' draws (computed here first if not given)."""
    priors = priors or report_priors.PriorInputs()

    results = list(results)
    if not results:
        raise ValueError("a report needs at least one results file")
    names = [r.name for r in results]
    if len(set(names)) != len(names):
        raise ValueError(f"two results files hold the same scenario ({', '.join(names)}); give one per scenario")
    if data is None:  # everything read from the draws, before any HTML
        progress("the scenarios' draws (pairing, theory across draws)")
        data = prepare(results)
    title = " vs ".join(names)
    toc = [("outcomes", "Outcome shares"), ("course", "How long the talks lasted and how they ended"),
           ("clauses", "Which clauses were agreed, at what values"), ("blocking", "Who walked out, and where they stood"),
           ("trajectories", "Positions over rounds")]
    if len(results) > 1:
        toc.append(("differences", "Differences between the scenarios"))
    across = families.report_section(results)  # None unless the runs hold both model families
    if across:
        toc.append(("families", "Across model families"))
    toc.append(("theory", "Theory across draws, against the runs"))
    toc.append(("history", "The record as a reference"))
    if channels is not None:
        toc.append(("channels", "The answer per channel of the agenda"))
    if explain is not None:
        toc.append(("explain", "What would change the outcome"))
    toc.append(("priors", "How much the answer owes to the priors"))
    toc.append(("assumptions", "Assumptions and provenance"))
    body = [f"<h1>negsim report: {esc(title)}</h1>",
            f"<p class='question'>{esc(question)}</p>"]
    if len(results) > 1:
        where = report_priors.provenance_sentence(oc.scenario_of(results[1].meta), priors.indices)
        body.append("<p class='answer'>" + "<br>".join(esc(x) for x in _answer(results[0], results[1], data).splitlines())
                    + f" {esc(where)}</p>")
        body.append(figure_html(plots.difference_figure(results[0], results[1], data.pairing),
                                "Difference between the scenarios in agreement and walkout by each day",
                                "B - A by each day after 17 Dec 2021: the sign of the answer can change with the "
                                "horizon, so every share in this report names its day."))
    else:
        where = report_priors.provenance_sentence(oc.scenario_of(results[0].meta), priors.indices)
        body.append(f"<p class='answer'>{esc(where)}</p>")
    for r in results:  # a party that gains from no deal: why the talks end in walkouts
        why = holdout_line(oc.scenario_of(r.meta), r.runs)
        if why:
            body.append(f"<p class='answer'>{esc(why)}</p>")
    body.append("<p class='note'>" + esc(
        "Outcome distributions over Monte Carlo runs of an agent-based bargaining model; every uncertain "
        "calibration number is drawn afresh per run. A tool for comparing scenarios, not a forecast. "
        + "; ".join(f"{r.name}: {plural(r.n, 'run')}, root seed {r.meta.get('root_seed', '?')}" for r in results) + ".")
        + "</p>")
    body.append("<nav><ol>" + "".join(f"<li><a href='#{i}'>{esc(t)}</a></li>" for i, t in toc) + "</ol></nav>")
    progress("differences (bootstrap)")
    diffs = oc.scenario_differences(results[0].runs, results[1].runs, seed, data.pairing) if len(results) > 1 else None
    progress("outcome shares")
    body.append(_outcome_section(results, seed, data))
    progress("course of the talks (and PRIM)")
    body.append(_course_section(results, data))
    progress("clauses and concessions")
    body.append(_clause_section(results, diffs))
    progress("walkouts")
    body.append(_blocking_section(results))
    progress("positions over rounds")
    body.append(_trajectory_section(results))
    if diffs is not None:
        body.append(_difference_section(results, diffs, seed))
    if across:
        body.append(across)
    body.append(_theory_section(results, data))
    progress("the record")
    body.append(_history_section(results))
    if channels is not None:
        body.append(channel_plots.report_section(*channels))
    if explain is not None:
        body.append(_explain_section(*explain))
    progress("assumptions")
    body.append(report_priors.prior_section(results, priors))
    body.append("<h2 id='assumptions'>Assumptions and provenance</h2>")
    body.extend(_assumptions(r) for r in results)
    body.append(f"<hr><p class='note'>Written by negsim {esc(sim.__version__)} "
                f"(analysis/report.py); bootstrap seed {seed}. Model: docs/model.md (ODD protocol).</p>")
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>negsim report: {esc(title)}</title><style>{CSS}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")


def write_atomic(path: str | Path, text: str | bytes) -> None:
    """Write `text` atomically: `path` is either the old file or the complete new one
    (storage.atomic, the one helper for this)."""
    _write(path, text)

