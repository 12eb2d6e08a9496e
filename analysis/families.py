"""Across model families: the agent-based model's and the expected-utility model's answers to
the headline question, side by side on the same runs (docs/model.md, section 8.8).

The agent-based answer is P(agreement by the horizon); the expected-utility answer is P(the
forecast package is deal-compatible), from the run table's `bdm.*` columns (`sim.bdm.columns`).
Two scenarios are compared run by run (the same seed and run numbers: common random numbers),
so every difference gets the paired interval, and each family's difference is checked for
mechanics before it is read as a finding: does the expected-utility model even give the two
scenarios different packages, and where does its forecast stand on the clauses the scenarios
treat differently?
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.codes import Outcome

from .outcomes import scenario_of
from .report_html import esc, table
from .stats import Estimate, paired_proportion_difference, proportion

BDM = "bdm.compatible"
HEADING = "<h2 id='families'>Across model families</h2>"
VALUE = "bdm.value."


@dataclass(frozen=True)
class FamilyAnswer:
    family: str
    measure: str
    a: Estimate
    b: Estimate
    diff: Estimate  # B - A on the same runs (Newcombe's paired interval)
    only_a: int  # runs counted under A only
    only_b: int  # runs counted under B only


def has_bdm(runs: pd.DataFrame) -> bool:
    return BDM in runs.columns


def abm_success(runs: pd.DataFrame, day: float) -> np.ndarray:
    """Per run: the agent-based talks ended in agreement on or before `day`."""
    return ((runs["outcome"].astype(str) == Outcome.AGREEMENT) & (runs["days"] <= day)).to_numpy()


def bdm_success(runs: pd.DataFrame) -> np.ndarray:
    """Per run: the expected-utility forecast package is deal-compatible."""
    return runs[BDM].to_numpy(dtype=bool)


def paired(a: pd.DataFrame, b: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two run tables in run order, refused unless they hold the same runs of one root seed."""
    a, b = a.sort_values("run", kind="stable"), b.sort_values("run", kind="stable")
    same = (len(a) == len(b) and (a["run"].to_numpy() == b["run"].to_numpy()).all()
            and (a["seed"].to_numpy() == b["seed"].to_numpy()).all())
    if not same:
        raise ValueError("the two run tables do not hold the same runs (seed and run numbers): "
                         "a paired comparison across model families needs the same draws")
    return a, b


def answers(runs_a: pd.DataFrame, runs_b: pd.DataFrame, day: float) -> list[FamilyAnswer]:
    """Each family's answer in A and B and B - A, on the same runs."""
    a, b = paired(runs_a, runs_b)
    out = [_answer("agent-based", f"agreement by day {day:g}", abm_success(a, day), abm_success(b, day))]
    if has_bdm(a) and has_bdm(b):
        out.append(_answer("expected-utility", "deal-compatible forecast", bdm_success(a), bdm_success(b)))
    return out


def _answer(family: str, measure: str, sa: np.ndarray, sb: np.ndarray) -> FamilyAnswer:
    n = len(sa)
    return FamilyAnswer(family, measure, proportion(int(sa.sum()), n), proportion(int(sb.sum()), n),
                        paired_proportion_difference(sa, sb), int((sa & ~sb).sum()), int((~sa & sb).sum()))


def same_package(runs_a: pd.DataFrame, runs_b: pd.DataFrame) -> float:
    """Share of runs whose expected-utility forecast package is the same in both scenarios (on
    the clauses both have): 1.0 makes the family's B - A zero by construction."""
    a, b = paired(runs_a, runs_b)
    cols = [c for c in a.columns if c.startswith(VALUE) and c in b.columns]
    if not cols:
        return float("nan")
    return float(np.isclose(a[cols].to_numpy(float), b[cols].to_numpy(float), atol=1e-12).all(axis=1).mean())


def agenda_changes(sc_a, sc_b) -> dict[str, float]:
    """Clauses whose place on the agenda differs between two scenarios, with the most B's agenda
    allows on each (0: off the table; else its cap)."""
    return {c: float(sc_b.agenda.upper(c)) for c in sc_a.clause_ids
            if c in sc_b.clause_ids and sc_a.agenda.upper(c) != sc_b.agenda.upper(c)}


def within_agenda(runs: pd.DataFrame, limits: dict[str, float], prefix: str) -> list[tuple[str, float, float]]:
    """For each clause of `limits`: (clause, limit, share of the runs with a value in column
    prefix + clause whose value is already at most the limit). Runs without a value (NaN: no
    agreement) are left out; a clause without the column is skipped."""
    out = []
    for c, limit in limits.items():
        if prefix + c in runs.columns:
            v = runs[prefix + c].to_numpy(float)
            v = v[~np.isnan(v)]
            if len(v):
                out.append((c, limit, float((v <= limit + 1e-12).mean())))
    return out


def why_not(runs: pd.DataFrame, top: int = 4) -> list[tuple[str, float]]:
    """The commonest reasons a forecast package is not deal-compatible, with their shares of
    all runs: 'us: red line on us.5b', 'russia: outside option (most costly: nato.4)'."""
    r = runs[~runs[BDM].astype(bool)]
    label = np.where(r["bdm.reason"] == "red line", r["bdm.party"] + ": red line on " + r["bdm.clause"],
                     r["bdm.party"] + ": outside option (most costly: " + r["bdm.clause"] + ")")
    counts = pd.Series(label).value_counts().head(top)
    return [(str(k), v / len(runs)) for k, v in counts.items()]


def crosstab(runs: pd.DataFrame, day: float) -> dict[tuple[bool, bool], int]:
    """Runs by (agent-based agreement by `day`, deal-compatible forecast)."""
    abm, bdm = abm_success(runs, day), bdm_success(runs)
    return {(x, y): int(((abm == x) & (bdm == y)).sum()) for x in (True, False) for y in (True, False)}


def reading(names: tuple[str, str], runs_a: pd.DataFrame, runs_b: pd.DataFrame, day: float,
            changed: dict[str, float] | None = None) -> list[str]:
    """Sentences: where the families agree and where they part, and which of it is mechanics.
    changed: the clauses whose agenda differs between the scenarios, with B's limit on each
    (`agenda_changes`)."""
    res = answers(runs_a, runs_b, day)
    if len(res) < 2:
        return ["The run tables hold no expected-utility columns (run the comparison with --models abm,bdm)."]
    abm, bdm = res
    out = [_effect_sentence(abm, names), _effect_sentence(bdm, names)]
    same = same_package(runs_a, runs_b)
    if same == 1.0:
        out.append("The expected-utility difference is zero by construction: the forecast package is the same in "
                   "both scenarios in every run.")
    elif same == same:  # not NaN
        out.append(f"The expected-utility forecast package differs between the scenarios in {1 - same:.2%} of runs.")
    limits = changed or {}
    held = within_agenda(runs_a, limits, VALUE)
    if held:
        out.append(f"On the clauses whose agenda differs, the expected-utility forecast in {names[0]} already lies "
                   f"within {names[1]}'s agenda: " + _within(held, "runs"))
    deals = within_agenda(runs_a, limits, "value.")
    if deals:
        every = all(s == 1.0 for _, _, s in deals)
        out.append(f"On the same clauses, the agent-based agreements in {names[0]} lie within {names[1]}'s agenda: "
                   + _within(deals, "agreements")
                   + (f" {names[1]}'s agenda removes none of the deals reached in {names[0]}: what differs between "
                      "the scenarios is the course of the talks, not the deals on offer." if every else ""))
    out.append(f"Levels: {abm.a.value:.1%} of agent-based runs in {names[0]} end in agreement by day {day:g}; "
               f"{bdm.a.value:.1%} of expected-utility forecasts there are deal-compatible.")
    reasons = why_not(runs_a, 3)
    if reasons:
        out.append("Why a forecast is not a deal the parties at the table could sign (" + names[0] + "): "
                   + "; ".join(f"{k} {v:.0%}" for k, v in reasons) + ".")
    if "bdm.within_red_lines" in runs_a:
        inside = runs_a["bdm.within_red_lines"].to_numpy(bool).mean()
        out.append(f"Held inside the parties' red lines clause by clause, {inside:.1%} of the forecasts would be "
                   f"deal-compatible: the model has no red lines and no trade across issues, so each clause "
                   f"settles on one side's position (docs/model.md, section 8.8).")
    return out


def _within(rows, what: str) -> str:
    return "; ".join(f"{c} (at most {v:g}) in {s:.2%} of {what}" for c, v, s in rows) + "."


def _effect_sentence(r: FamilyAnswer, names: tuple[str, str]) -> str:
    d = r.diff
    verdict = ("no difference beyond Monte Carlo noise" if d.low <= 0 <= d.high
               else "a higher share in " + names[1] if d.low > 0 else "a lower share in " + names[1])
    return (f"{r.family.capitalize()} ({r.measure}): {names[1]} - {names[0]} = {d.fmt(signed=True).replace('%', ' pp', 1)} "
            f"on the same runs ({r.only_a} runs counted only in {names[0]}, {r.only_b} only in {names[1]}): {verdict}.")


def lines(names: tuple[str, str], runs_a: pd.DataFrame, runs_b: pd.DataFrame, day: float,
          changed: dict[str, float] | None = None) -> list[str]:
    """The comparison for the terminal: a table, then the reading."""
    res = answers(runs_a, runs_b, day)
    w = 27
    out = [f"Across model families ({len(runs_a):,} runs, the same draws in both families and both scenarios; "
           "95% intervals: Wilson, and Newcombe's paired interval for B - A)",
           f"  {'':<44} {names[0]:<{w}} {names[1]:<{w}} {'B - A (paired)':<{w}}"]
    for r in res:
        label = f"{r.family}: {r.measure}"
        out.append(f"  {label:<44} {r.a.fmt():<{w}} {r.b.fmt():<{w}} {r.diff.fmt(signed=True).replace('%', ' pp', 1)}")
    return out + ["  " + s for s in reading(names, runs_a, runs_b, day, changed)]


def section(names: tuple[str, str], runs_a: pd.DataFrame, runs_b: pd.DataFrame, day: float,
            changed: dict[str, float] | None = None, heading: bool = True) -> str:
    """The report's section "Across model families"."""
    res = answers(runs_a, runs_b, day)
    rows = [[f"{r.family}: {r.measure}", r.a.fmt(), r.b.fmt(), r.diff.fmt(signed=True).replace("%", " pp", 1),
             f"{r.only_a} / {r.only_b}"] for r in res]
    cross = crosstab(runs_a, day) if has_bdm(runs_a) else {}
    parts = [HEADING] if heading else []
    parts += ["<p class='note'>The same runs answered by two model families: the agent-based model (agreement by the "
              "horizon) and Bueno de Mesquita's expected-utility model (is its forecast package a deal every party at "
              "the table could sign? docs/model.md, section 8). 95% intervals: Wilson; B - A by Newcombe's interval "
              "for paired data; Monte Carlo noise only.</p>",
              table(["family: measure", names[0], names[1], "B - A (paired)", "runs only in A / only in B"], rows,
                    [False, True, True, True, True]),
              "<ul>" + "".join(f"<li>{esc(s)}</li>" for s in reading(names, runs_a, runs_b, day, changed)) + "</ul>"]
    if cross:
        parts.append(f"<p><b>Run by run in {esc(names[0])}</b></p>" + table(
            ["", "forecast deal-compatible", "not"],
            [[f"agent-based agreement by day {day:g}", cross[True, True], cross[True, False]],
             ["no agreement", cross[False, True], cross[False, False]]], [False, True, True]))
    return "\n".join(parts)


def report_section(results) -> str | None:
    """The section for a report of two or more scenarios whose run tables hold the
    expected-utility columns (each against the first); None otherwise."""
    results = list(results)
    if len(results) < 2 or not all(has_bdm(r.runs) for r in results):
        return None
    first = results[0]
    parts = [HEADING]
    for other in results[1:]:
        day = float(max(first.protocol.get("horizon_days", 0), other.protocol.get("horizon_days", 0)))
        changed = agenda_changes(scenario_of(first.meta), scenario_of(other.meta))
        if len(results) > 2:
            parts.append(f"<h3>{esc(other.name)} - {esc(first.name)}</h3>")
        parts.append(section((first.name, other.name), first.runs, other.runs, day, changed, heading=False))
    return "\n".join(parts)
