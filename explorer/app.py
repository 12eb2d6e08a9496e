"""The explorer's page: the negotiation model with Mesa's own controller (Reset / play / Step),
the settings in the sidebar (every label, unit, range and choice from the schema, through
explorer/settings.py), one run round by round and the distribution pane.

Run it with `negsim explore [SCENARIO] [--port P]` (see explorer/server.py).

Every change of a setting goes one way: the settings become an extends-file
(explorer/settings.py), which `sim.scenario.load_scenario` reads; the page then makes a new
model from it and reruns the batch for the distribution pane.  Save writes the same file.
"""

from __future__ import annotations

import html
import os
import warnings
from dataclasses import replace
from pathlib import Path

# Mesa 3.3's ComponentsView has an early return before a hook; Solara warns about it at import.
warnings.filterwarnings("ignore", message=r".*found despite early return.*")

import numpy as np  # noqa: E402
import reacton.ipyvuetify as v  # noqa: E402
import solara  # noqa: E402
from mesa.visualization.solara_viz import ModelController  # noqa: E402
from mesa.visualization.utils import update_counter  # noqa: E402

from analysis.study import DEFAULT_SEED  # noqa: E402
from sim.codes import Outcome  # noqa: E402
from sim.layout import build_layout  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402
from storage.text import plural  # noqa: E402

from . import charts  # noqa: E402
from .defaults import RUNS  # noqa: E402
from .distribution import baseline, distribution  # noqa: E402
from .model import ExplorerModel, meeting_day  # noqa: E402
from .settings import (  # noqa: E402
    ACTOR_SLIDERS, CLAUSE_STATES, CONTROLS, DEFAULT_SCENARIO, RUSSIA_SLIDERS, SOURCE_TEMPLATE, STRATEGY_SLIDERS, Settings,
    central_value, control_path, describe_changes, describe_param, load_parent, lookup, parent_agenda, parse_int,
    scenario_for, shipped_scenarios, strategy_parameters, write_scenario,
)

PLAY_MS = 250  # between two rounds while playing
ENV_SCENARIO, ENV_SEED, ENV_RUNS = "NEGSIM_EXPLORE_SCENARIO", "NEGSIM_EXPLORE_SEED", "NEGSIM_EXPLORE_RUNS"
CSS = """
.negsim-table { border-collapse: collapse; font-size: 12px; margin: 4px 0; }
.negsim-parties th { font-size: 11px; font-weight: 500; line-height: 1.1; }
.negsim-table td, .negsim-table th { border-bottom: 1px solid #ddd; padding: 2px 5px; text-align: right; }
.negsim-table td:first-child, .negsim-table th:first-child { text-align: left; }
.negsim-yes { color: #2e7d32; font-weight: bold; } .negsim-no { color: #c62828; font-weight: bold; }
.negsim-pane { font-size: 14px; line-height: 1.35; }
.negsim-clause-row .v-btn { min-width: 34px !important; padding: 0 6px !important; height: 24px !important; }
.negsim-pkg { border-collapse: collapse; font-size: 11px; }
.negsim-pkg td, .negsim-pkg th { padding: 0 1px; height: 15px; }
.negsim-pkg .pkg-name { padding-right: 6px; white-space: nowrap; }
.negsim-pkg .pkg-cell { position: relative; }
.negsim-pkg .pkg-bg { position: absolute; top: 2px; height: 11px; background: #e0e0e0; }
.negsim-pkg .pkg-none { position: absolute; left: 0; top: 2px; height: 11px; width: 3px; background: #c62828; }
.negsim-pkg .pkg-bar { position: absolute; left: 0; top: 4px; height: 7px; background: #1565c0; }
.negsim-pkg .pkg-val { position: absolute; right: 0; top: 0; font-size: 10px; color: #444; }
.negsim-pkg .pkg-off { color: #c62828; font-size: 10px; }
.negsim-pkg .hm { border: 0; padding: 0 !important; }
.negsim-pkg .hm-head { font-size: 8px; font-weight: normal; color: #555; padding: 0 !important; text-align: left;
  border-left: 1px solid #bbb; }
.hm-legend { font-size: 10px; margin-top: 2px; } .hm-legend span { padding: 0 6px; color: white; margin-right: 1px; }
.hm-legend span:nth-child(n+4) { color: black; }
.negsim-charts svg { margin-right: 8px; }
.negsim-outcome { padding: 6px 8px; border-left: 4px solid #1565c0; background: rgba(21,101,192,0.07); margin: 6px 0; }
"""


def initial_settings() -> Settings:
    path = Path(os.environ.get(ENV_SCENARIO) or DEFAULT_SCENARIO).resolve()
    return Settings(str(path), seed=int(os.environ.get(ENV_SEED) or DEFAULT_SEED),
                    runs=int(os.environ.get(ENV_RUNS) or RUNS))


def _fmt(x: float, digits: int = 2) -> str:
    return "-" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def _html(body: str, cls: str = "negsim-pane"):
    return solara.HTML(tag="div", unsafe_innerHTML=body, classes=[cls])


# ---------------------------------------------------------------- the run, round by round
def package_html(model: ExplorerModel) -> str:
    lay = model.compiled.layout
    offers = model.offers_matrix()
    on = [model.scenario.on_table(c) for c in lay.clauses]
    current = offers[:, -1] if offers.shape[1] else np.zeros(lay.n_clauses)
    proposers = [r["proposer"] or "" for r in model.rounds_log]
    low, high = model.allowed()
    return charts.package_table(lay.clauses, low, high, on, current, offers, proposers)


def run_summary_html(model: ExplorerModel) -> str:
    lay = model.compiled.layout
    s = model.settings
    t = model.state.t
    head = (f"<b>{html.escape(model.scenario.name)}</b>: run {s.run} of root seed {s.seed}. "
            f"Round <b class='negsim-round'>{t}</b> of {lay.horizon} (day {meeting_day(lay, t):g}; "
            + ("meetings on the scenario's calendar)." if model.scenario.protocol.meeting_days
               else f"{lay.round_days:g} days a round)."))
    if not model.rounds_log:
        return head + "<p>Press <b>Step</b> or <b>&#9654;</b> (left) to play the talks round by round.</p>"
    r = model.rounds_log[-1]
    rows = []
    for p in r["parties"]:
        vote = "<span class='negsim-yes'>yes</span>" if p["vote"] else "<span class='negsim-no'>no</span>"
        if p["walked_out"]:
            check = f"<span class='negsim-no'>walked out ({html.escape(str(r['walkout_rule']))})</span>"
        elif np.isfinite(p["best_offer"]) and p["best_offer"] >= p["outside_option"]:
            check = "stays (holds an offer above it)"
        elif p["best_possible"] < p["outside_option"]:
            check = "at risk (agenda below it)"
        else:
            check = "stays"
        rows.append(
            f"<tr class='party-{p['actor']}'><td>{html.escape(p['actor'])}"
            f"{' (proposer)' if p['actor'] == r['proposer'] else ''}</td><td>{vote}</td>"
            f"<td>{_fmt(p['utility'])}</td><td>{_fmt(p['aspiration'])}</td><td>{_fmt(p['outside_option'])}</td>"
            f"<td>{_fmt(p['best_offer'])}</td><td>{_fmt(p['best_possible'])}</td><td>{check}</td></tr>")
    table = ("<table class='negsim-table negsim-parties'><tr><th>party</th><th>vote</th><th>utility of offer</th>"
             "<th>aspir&shy;ation</th><th>outside option</th><th>best offer so far</th><th>best possible</th>"
             "<th>walkout check</th></tr>" + "".join(rows) + "</table>")
    if r["walkout_by"]:
        wl = (f"Walkout check: <b>{html.escape(r['walkout_by'])}</b> walked out ({html.escape(str(r['walkout_rule']))} "
              f"rule), blocking clause {html.escape(str(r['shortfall']))}.")
    elif r["outcome"] == Outcome.AGREEMENT:
        wl = "Agreement reached: no walkout check needed."
    else:
        wl = "Walkout check: every party at the table stays."
    votes = sum(p["vote"] for p in r["parties"])
    body = (head + f"<p>Round {r['round']}: <b>{html.escape(str(r['proposer']))}</b> proposed; "
            f"{votes} of {len(r['parties'])} said yes. Outcome so far: <b class='negsim-status'>{r['outcome']}</b>.</p>"
            + table + "<div style='font-size:11px;color:#555'>utility and aspiration: this round; best offer so "
            "far: the best utility another party has offered it within its red lines ('-': none yet); best "
            "possible: its best package on this agenda. It accepts when the offer crosses none of its red lines "
            "and meets its aspiration.</div>" + f"<p class='negsim-walkout-check'>{wl}</p>")
    why = model.explain()
    if why:
        body += f"<div class='negsim-outcome'><b>End of the talks.</b> {html.escape(why)}</div>"
    return body


def RunView(model: ExplorerModel):
    """Mesa component (re-rendered after every step): the run so far."""
    with solara.Column(gap="4px", style="padding: 4px; overflow-x: auto;") as main:
        _html(run_summary_html(model), "negsim-pane negsim-run")
        _html(package_html(model), "negsim-pane negsim-package")
    return main


# ---------------------------------------------------------------- the distribution pane
def distribution_html(cur, base, changes: str = "") -> str:
    keys = [k for k in cur.shares] + [k for k in base.shares if k not in cur.shares]
    rows = []
    for k in keys:
        b = base.shares.get(k)
        c = cur.shares.get(k)
        cls = "dist-" + k.replace(" ", "-")
        rows.append(f"<tr class='{cls}'><td>P({html.escape(k)})</td><td>{b.fmt() if b else '-'}</td>"
                    f"<td class='current'>{c.fmt() if c else '-'}</td></tr>")
    return (f"<b>Distribution over {plural(cur.n, 'run')}</b> (root seed {cur.seed}; runs rerun on every change, "
            f"<span class='negsim-dist-time'>{cur.seconds:.2f}</span> s for the batch)."
            f"<div class='negsim-changes' style='font-size:12px'>Changed from the shipped scenario: "
            f"{html.escape(changes)}</div>"
            "<table class='negsim-table negsim-dist'><tr><th></th>"
            f"<th>shipped: {html.escape(base.name)}</th><th>current settings</th></tr>" + "".join(rows) + "</table>")


def DistributionView(model: ExplorerModel):
    """Mesa component: N runs of the batch driver for the settings in force, next to the
    shipped scenario the settings started from."""
    s = model.settings
    cur = solara.use_memo(lambda: distribution(model.scenario, s.runs, s.seed), dependencies=[s])
    path = str(Path(s.scenario).resolve())
    base = baseline(path, os.path.getmtime(path), s.runs, s.seed)
    svg = solara.use_memo(lambda: charts.shares_svg(base, cur) + charts.incidence_svg(base, cur), dependencies=[s])
    with solara.Column(gap="4px", style="padding: 4px; overflow-x: auto;") as main:
        changes = describe_changes(s, load_parent(s))
        _html(distribution_html(cur, base, changes), "negsim-pane negsim-distribution")
        _html(svg, "negsim-pane negsim-charts")
    return main


# ---------------------------------------------------------------- settings (sidebar)
@solara.component
def CommitSlider(label: str, value: float, low: float, high: float, step: float, on_commit, css: str = "",
                 doc: str = ""):
    """A slider that reports once, when released (or on a key press), not while dragging."""
    slider = v.Slider(v_model=value, min=low, max=high, step=step, thumb_label=True, hide_details=True,
                      dense=True, class_=css)

    def changed(widget, event, data):
        if data is not None:
            on_commit(data)

    v.use_event(slider, "change", changed)
    with solara.Column(gap="0px") as main:
        if doc:  # what the schema says the field is, on hover
            with solara.Tooltip(doc):
                solara.Text(label, style="font-size: 12px;")
        else:
            solara.Text(label, style="font-size: 12px;")
        solara.Div(children=[slider])
    return main


@solara.component
def ParamControl(settings: Settings, parent_doc: dict, key: str, actor: str, apply):
    c = CONTROLS[key]
    path = control_path(key, actor)
    inherited = lookup(parent_doc, path)
    cur = settings.value(key, actor)
    css = f"negsim-slider-{key}-{actor or 'protocol'}"
    if c.choices:  # the schema's choices: a switch, or a list when there are many
        shown = cur if cur is not None else (inherited if inherited in c.choices else c.field.default)
        pick = lambda x: apply(settings.with_value(key, actor, x))  # noqa: E731
        with solara.Row(style="align-items: center;", classes=[css, "negsim-choice"]) as main:
            with solara.Tooltip(c.doc):
                solara.Text(f"{c.label}:", style="font-size: 12px;")
            if len(c.choices) > 3:
                solara.Select(c.label, value=shown, values=list(c.choices), on_value=pick, dense=True)
            else:
                solara.ToggleButtonsSingle(value=shown, values=list(c.choices), on_value=pick)
        return main
    shown = cur if cur is not None else central_value(inherited, c.low)
    label = f"{c.label}: " + (f"{cur:g} (fixed)" if cur is not None else f"{describe_param(inherited)} (scenario)")
    with solara.Row(style="align-items: center;", gap="2px") as main:
        with solara.Column(style="flex: 1;"):
            CommitSlider(label, shown, c.low, c.high, c.step, lambda x: apply(settings.with_value(key, actor, x)), css,
                         doc=c.doc)
        if cur is not None:
            solara.Button(icon_name="mdi-undo", icon=True, small=True,
                          on_click=lambda: apply(settings.without_value(key, actor)))
    return main


@solara.component
def ClauseRow(clause: str, state: str, cap: float, on_change):
    with solara.Row(style="align-items: center;", gap="4px",
                    classes=["negsim-clause-row", "clause-" + clause.replace(".", "-")]) as main:
        solara.Text(clause, style="width: 56px; font-size: 12px;")
        solara.ToggleButtonsSingle(value=state, values=list(CLAUSE_STATES), dense=True,
                                   on_value=lambda s: on_change(clause, s, cap if state == "cap" else 0.5))
        if state == "cap":
            with solara.Column(style="flex: 1;"):
                CommitSlider(f"cap {cap:g}", cap, 0.0, 1.0, 0.05, lambda x: on_change(clause, "cap", x),
                             "negsim-cap-" + clause.replace(".", "-"))
    return main


@solara.component
def SettingsPanel(settings: Settings, apply, error: str):
    parent = load_parent(settings)
    doc = parent.resolved_document
    pa = parent_agenda(parent)
    shipped = shipped_scenarios()
    picked = next((n for n, p in shipped.items() if p.resolve() == Path(settings.scenario).resolve()), None)
    path_text = solara.use_reactive("")
    seed_text = solara.use_reactive(str(settings.seed))
    run_text = solara.use_reactive(str(settings.run))
    save_path = solara.use_reactive(f"results/explorer/{parent.name}_custom.toml")
    save_source = solara.use_reactive(SOURCE_TEMPLATE)
    save_msg = solara.use_reactive("")
    local_error = solara.use_reactive("")

    def pick(name):
        if name in shipped:
            apply(Settings(str(shipped[name].resolve()), seed=settings.seed, runs=settings.runs))

    def load_path():
        p = Path(path_text.value.strip()).expanduser()
        if not p.is_file():
            local_error.set(f"{p}: file not found")
            return
        local_error.set("")
        apply(Settings(str(p.resolve()), seed=settings.seed, runs=settings.runs))

    def set_seed(text):
        seed_text.set(text)
        try:
            apply(replace(settings, seed=parse_int(text, "seed")))
            local_error.set("")
        except ValueError as exc:
            local_error.set(str(exc))

    def set_run(text):
        run_text.set(text)
        try:
            apply(replace(settings, run=parse_int(text, "run", 0, settings.runs - 1)))
            local_error.set("")
        except ValueError as exc:
            local_error.set(str(exc))

    def on_clause(clause, state, cap):
        apply(settings.with_clause(clause, state, cap, pa))

    def save():
        try:
            path = Path(save_path.value.strip()).expanduser()
            sc = scenario_for(settings)  # the settings must load before they are saved
            del sc
            out = write_scenario(settings, parent, path, save_source.value)
            build_layout(load_scenario(out))  # what `negsim validate` checks
            save_msg.set(f"Saved {out.resolve()}; it passes negsim validate.")
        except (ValueError, OSError) as exc:
            save_msg.set(f"Not saved: {exc}")

    with solara.Column(gap="6px", classes=["negsim-settings"]) as main:
        with solara.Card("Scenario and settings"):
            solara.Select("shipped scenario", value=picked, values=list(shipped), on_value=pick)
            with solara.Row(style="align-items: center;"):
                solara.InputText("or a scenario file path", value=path_text, continuous_update=False)
                solara.Button("Load", on_click=load_path, small=True)
            with solara.Row():
                solara.InputText("root seed", value=seed_text.value, on_value=set_seed, continuous_update=False)
                solara.InputText(f"run (0-{settings.runs - 1})", value=run_text.value, on_value=set_run,
                                 continuous_update=False)
            if error or local_error.value:
                solara.Error(error or local_error.value, classes=["negsim-error"])
            solara.Text(f"Changed: {'yes' if settings.changed else 'nothing yet'}", style="font-size: 12px;")
            solara.Button("Back to the scenario as shipped", small=True, outlined=True,
                          on_click=lambda: apply(Settings(settings.scenario, seed=settings.seed, runs=settings.runs)))
        with solara.Details("Agenda: clauses on, off or capped", expand=True):
            states = settings.clause_states(pa)
            for c in parent.clause_ids:
                st, cap = states[c]
                ClauseRow(c, st, cap if st == "cap" else 0.5, on_clause)
        at_table = parent.required_parties()
        with solara.Details("Russia's outside option", expand=True):
            if "russia" in parent.actor_ids:
                for key in RUSSIA_SLIDERS:
                    ParamControl(settings, doc, key, "russia", apply)
        for a in at_table:
            with solara.Details(f"{a}: deadline, concession, beliefs"):
                ParamControl(settings, doc, "strategy_kind", a, apply)
                kind = settings.value("strategy_kind", a) or lookup(doc, control_path("strategy_kind", a)) or CONTROLS["strategy_kind"].field.default
                reads = strategy_parameters(kind)
                for key in ACTOR_SLIDERS:
                    if key in STRATEGY_SLIDERS and key not in reads:  # only what its kind reads
                        continue
                    ParamControl(settings, doc, key, a, apply)
        with solara.Details("Protocol: meetings, proposer, package"):
            for key in ("round_days", "proposer", "package"):
                ParamControl(settings, doc, key, "", apply)
        with solara.Card("Save as a scenario file"):
            solara.InputText("file (.toml)", value=save_path, continuous_update=True)
            solara.InputText("source (required): <class> [<ids>]: <note>", value=save_source,
                             continuous_update=True)
            solara.Button("Save", on_click=save, small=True, color="primary")
            if save_msg.value:
                solara.Text(save_msg.value, style="font-size: 12px;", classes=["negsim-save-msg"])
    return main


# ---------------------------------------------------------------- the page
@solara.component
def Live(view, model: ExplorerModel):
    """A view re-drawn after every step of Mesa's controller (it bumps update_counter)."""
    update_counter.get()
    return view(model)


@solara.component
def Page():
    settings = solara.use_reactive(solara.use_memo(initial_settings, dependencies=[]))
    model = solara.use_reactive(solara.use_memo(lambda: ExplorerModel(settings=settings.value), dependencies=[]))
    version = solara.use_reactive(0)
    error = solara.use_reactive("")
    play_ms, render_every, no_threads = solara.use_reactive(PLAY_MS), solara.use_reactive(1), solara.use_reactive(False)

    def apply(new: Settings) -> None:
        if new == settings.value:
            return
        try:
            scenario_for(new)
        except ValueError as exc:  # a ScenarioError names the file and key
            error.set(f"{exc}")
            return
        error.set("")
        settings.set(new)
        model.set(ExplorerModel(settings=new))
        version.set(version.value + 1)

    # Mesa's controller (Reset, play, Step) around our own page: SolaraViz would add cards this
    # model has no use for (model parameters, threads) and a tab bar for one page.
    solara.Title("negsim explorer")
    solara.Style(CSS)
    with solara.AppBar():
        solara.AppBarTitle(f"negsim explorer: {Path(settings.value.scenario).stem}")
    with solara.Sidebar():
        with solara.Card("One run, round by round", classes=["negsim-controls"]):
            ModelController(model, model_parameters={"settings": settings.value}, play_interval=play_ms,
                            render_interval=render_every, use_threads=no_threads).key(f"controller-{version.value}")
        SettingsPanel(settings.value, apply, error.value).key(settings.value.scenario)  # a new scenario: a fresh panel
    with solara.Columns([1, 1], classes=["negsim-main"]):
        Live(RunView, model.value)
        Live(DistributionView, model.value)
