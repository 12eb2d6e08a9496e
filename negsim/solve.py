"""`negsim solve SCENARIO...`: what bargaining theory predicts for a scenario.

At the scenario's central calibration it prints, per clause, the actors' ideal points, the
capability x salience weighted baseline forecast, the interval the red lines and the agenda
allow, and the Nash and Kalai-Smorodinsky packages; then whether a zone of agreement exists
(and if not, which actor and clause close it) and every party's utility at the two packages
against its outside option.  With --compare-runs N it also simulates N runs and reports how far
the simulated agreements lie from the Nash package.  Conventions: analysis/theory.py.
"""

from __future__ import annotations

import math
import sys
import textwrap
from pathlib import Path

import numpy as np
from tqdm import tqdm

from analysis import theory_plots
from analysis.stats import wilson
from analysis.study import HALF_YEAR_DAY, TALKS_ENDED_DAY
from analysis.tables import runs_frame
from analysis.theory import clause_comparison, distance_summary, solve_scenario
from analysis.theory_draws import zones_over_draws
from experiments.runner import batches
from sim.diagnostics import diagnose
from sim.scenario import load_scenario
from storage.manifest import identity
from storage.outdir import Output
from storage.text import plural, safe_name, term_line

from .common import MAX_RUNS, UsageError, check_seed, results_folder
from .grammar import SOLVE_MAX_DRAWS

WIDTH = 100


def default_out(args) -> Path:
    names = [load_scenario(p).name for p in args.scenarios]
    return results_folder("solve", "_vs_".join(names))


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ")


def _f(v: float, width: int = 6, digits: int = 2) -> str:
    return f"{'-':>{width}}" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:>{width}.{digits}f}"


def _clause_table(st) -> list[str]:
    pr, z = st.problem, st.zone
    names = [a + ("" if r else "*") for a, r in zip(pr.actors, pr.required)]
    shown = [i for i in range(len(pr.actors)) if st.has_pref[i].any()]
    cw = max(8, max(len(c) for c in pr.clauses) + 1)
    aw = [max(5, len(names[i])) + 1 for i in shown]
    head = f"{'clause':<{cw}}" + "".join(f"{names[i]:>{w}}" for i, w in zip(shown, aw))
    head += f" |{'mean':>6}{'median':>7} |{'agenda':>7}{'allowed':>10} |{'Nash':>6}{'KS':>6}"
    top = f"{'':<{cw}}" + f"{'ideal points':^{sum(aw)}}" + f" |{'baseline':^13} |{'':>17} |{'theory':^12}"
    lines = [top, head, "-" * len(head)]
    clash = not (z.low <= z.high + 1e-9).all()
    for c, cid in enumerate(pr.clauses):
        row = f"{cid:<{cw}}"
        row += "".join(_f(pr.ideal[i, c] if st.has_pref[i, c] else None, w) for i, w in zip(shown, aw))
        row += f" |{_f(st.baseline_mean[c])}{_f(st.baseline_median[c], 7)} |"
        up = pr.upper[c]
        agenda = "off" if not st.on_table[c] else ("open" if up >= 1 else f"<={up:.2f}")
        allowed = f"{z.low[c]:.2f}-{z.high[c]:.2f}"
        if clash and z.low[c] > z.high[c] + 1e-9:
            allowed = "EMPTY"
        row += f"{agenda:>7}{allowed:>10} |"
        row += _f(None if st.nash is None else float(st.nash.package[c]))
        row += _f(None if st.ks is None else float(st.ks.package[c]))
        lines.append(row)
    return lines


def _party_table(st) -> list[str]:
    pr, z = st.problem, st.zone
    nw = max(8, max(len(a) for a in pr.actors) + 1)
    head = (f"{'party':<{nw}}{'outside':>9}{'best on':>9}{'best':>9}{'best in':>9}"
            f"{'Nash':>18}{'KS':>18}")
    head2 = f"{'':<{nw}}{'option':>9}{'agenda':>9}{'allowed':>9}{'zone':>9}{'(gain)':>18}{'(gain)':>18}"
    lines = [head, head2, "-" * len(head)]

    def at(sol, i):
        if sol is None:
            return f"{'-':>18}"
        return f"{sol.utility[i]:>9.3f} ({sol.gain[i]:+.3f})"

    for i in pr.parties:
        lines.append(f"{pr.actors[i]:<{nw}}{pr.disagreement[i]:>9.3f}{st.best_on_agenda[i]:>9.3f}"
                     f"{_f(z.best_alone[i], 9, 3)}{_f(z.best_in_zone[i], 9, 3)}{at(st.nash, i)}{at(st.ks, i)}")
    return lines


def _report(st) -> str:
    pr, z = st.problem, st.zone
    at = [a for a, r in zip(pr.actors, pr.required) if r]
    away = [a for a, r in zip(pr.actors, pr.required) if not r]
    mixing = {pr.actors[k]: [pr.actors[i] for i in pr.parties if i != k and pr.mixing[i, k] > 0]
              for k in range(len(pr.actors))}
    out = [f"{st.name}: what bargaining theory predicts at the central calibration", _wrap(f"({st.path})")]
    out.append(_wrap("Every parameter at its central value; a package is one joint deal over every clause; "
                     "only the parties at the table (must accept) constrain it. Disagreement point d = "
                     "each party's outside option at round 0."))
    out.append(_wrap(f"At the table: {', '.join(at)}." + (" Not at the table (*): " + "; ".join(
        f"{a}" + (f" (weighs on {', '.join(mixing[a])})" if mixing[a] else "") for a in away) + "." if away else "")))
    out.append("")
    out += ["  " + line for line in _clause_table(st)]
    out.append(_wrap("baseline = capability x salience weighted mean/median of the ideal points of the parties at "
                     "the table; agenda: open, capped (<=) or off (held at 0); allowed = interval every party's "
                     "red lines and the agenda leave (the box); '-' = no stated preference or no package."))
    out.append("")
    out.append(f"Zone of agreement: {'EXISTS' if z.exists else 'NONE'}")
    out.append(_wrap(z.verdict[0].upper() + z.verdict[1:] + "."))
    if not z.exists and z.blocking_actor:
        out.append(_wrap(f"Closed by: actor {', '.join(z.blocking_actors)}; clause {z.shortfall}."))
    out.append("")
    out += ["  " + line for line in _party_table(st)]
    out.append(_wrap("Utilities (gain over the outside option). best on agenda = the party's own red lines and the "
                     "agenda only; best allowed = all parties' red lines too; best in zone = while every party gets "
                     "its outside option (the Kalai-Smorodinsky ideal point)."))
    if st.nash is not None:
        diff = abs(st.nash.package - st.ks.package)
        c = int(diff.argmax())
        differ = (f"Nash and KS differ most on {pr.clauses[c]} ({st.nash.package[c]:.2f} vs {st.ks.package[c]:.2f})"
                  if diff[c] > 5e-3 else "Nash and KS pick the same package (within 0.005 per clause)")
        out.append(_wrap(f"{differ}. Nash optimality certificate: the log Nash product is within "
                         f"{st.nash.gap:.1e} of its maximum."))
    return "\n".join(out)


def _answer(st) -> str:
    z = st.zone
    if not z.exists:
        return (f"Answer ({st.name}): no zone of agreement at the central calibration: closed by "
                f"{z.blocking_actor} over {z.shortfall}.")
    pr = st.problem
    utils = ", ".join(f"{pr.actors[i]} {st.nash.utility[i]:.3f} (d {pr.disagreement[i]:.3f})" for i in pr.parties)
    gap = float(abs(st.nash.package - st.ks.package).max())
    return (f"Answer ({st.name}): a zone of agreement exists; theory picks the Nash package above, worth "
            f"{utils}; the KS package differs from it by at most {gap:.2f} on any clause.")


def _simulate(sc, args):
    show = not args.quiet and sys.stderr.isatty()
    with tqdm(total=args.compare_runs, desc=sc.name, unit="run", disable=not show, leave=False) as bar:
        done = [bar.update(len(b)) or b for b in batches(sc, args.compare_runs, args.seed)]
    return runs_frame(done, sc.name)


def _comparison(items, args) -> list[str]:
    lines = [f"Simulated agreements vs theory: {plural(args.compare_runs, 'run')} per scenario, seed {args.seed}.",
             _wrap("distance = per agreed run, the mean |agreed value - theory value| over the negotiable clauses "
                   "(on the table, with an allowed interval of positive width); median with its 95% interval "
                   "(order statistics).", "")]
    head = f"  {'scenario':<22}{'agreements':>16}{'to Nash: median [95% interval]':>34}{'to KS: median':>16}"
    lines += [head, "  " + "-" * (len(head) - 2)]
    for st, runs in items:
        if st.nash is None:
            lines.append(f"  {st.name:<22}{'':>16}{'no zone of agreement: no Nash package':>50}")
            continue
        s = distance_summary(runs, st.package("nash"), st.negotiable)
        k = distance_summary(runs, st.package("ks"), st.negotiable)
        share = f"{s['agreements']:,} ({100 * s['agreements'] / max(s['runs'], 1):.1f}%)"
        med = "-" if s["agreements"] == 0 else f"{s['median']:.3f} [{s['low']:.3f}, {s['high']:.3f}]"
        ks = "-" if k["agreements"] == 0 else f"{k['median']:.3f}"
        lines.append(f"  {st.name:<22}{share:>16}{med:>34}{ks:>16}")
    return lines


def _drawn_zones(name: str, z, seed: int) -> str:
    """Theory across draws, in words: the share with a zone on day 0 and when it closes."""
    n, k = len(z.exists), int(z.exists.sum())
    lo, hi = wilson(k, n)
    text = (f"{name}, across {plural(n, 'drawn calibration')} (runs 0-{n - 1} of seed {seed}, no belief errors): a zone of "
            f"agreement exists on day 0 in {k / n:.0%} [{float(lo):.0%}, {float(hi):.0%}] (95% Wilson, Monte Carlo "
            "noise only).")
    if k:
        text += " As outside options grow, it closes " + ", ".join(
            f"by day {d:g}{' (the last meeting)' if d == z.last_meeting_day else ''} in {z.share_closed_by(d):.0%}"
            for d in (TALKS_ENDED_DAY, HALF_YEAR_DAY, z.last_meeting_day)) + " of the draws that have one"
        closed = z.close_day[~np.isnan(z.close_day)]
        text += f" (median closing day {np.median(closed):g})." if closed.size else "."
    return text


def _nash_spread(z) -> list[str]:
    """The Nash package across the draws with a zone: per clause, median and 90% range."""
    spread = z.nash_spread()
    if not spread:
        return []
    lines = ["  Nash package across those draws, median [5%, 95%] (a wide range: it depends on the draw):"]
    cells = [f"{c} {m:.2f} [{lo:.2f}, {hi:.2f}]" for c, (m, lo, hi) in spread.items()]
    for k in range(0, len(cells), 3):
        lines.append("    " + "; ".join(cells[k:k + 3]))
    return lines


def cmd_solve(args) -> int:
    if not 0 <= args.compare_runs <= MAX_RUNS:
        raise UsageError(f"--compare-runs must be 0 (no simulation) or a number of runs up to {MAX_RUNS:,}, "
                         f"got {args.compare_runs}")
    check_seed(args.seed)
    if args.draws is not None and not 1 <= args.draws <= SOLVE_MAX_DRAWS:
        raise UsageError(f"--draws must be a number of draws in [1, {SOLVE_MAX_DRAWS:,}] (--no-draws skips them), "
                         f"got {args.draws}")
    if args.out is not None and args.compare_runs == 0:
        raise UsageError("--out is only used with --compare-runs N (it receives the comparison figure)")
    scenarios = [load_scenario(p) for p in args.scenarios]
    names = [sc.name for sc in scenarios]
    if len(set(names)) < len(names):
        raise ValueError(f"scenario names must differ, got {', '.join(names)}")
    theories = [solve_scenario(sc) for sc in scenarios]

    for k, (sc, st) in enumerate(zip(scenarios, theories)):
        if k:
            print("\n" + "=" * WIDTH + "\n")
        print(_report(st))
        print("\nBy construction (before any run; docs/model.md 3.7):")
        for fact in diagnose(sc):
            print(_wrap(fact))
    print()
    for st in theories:
        print(_wrap(_answer(st), ""))
    if args.draws:
        print(flush=True)
        for sc in scenarios:
            with tqdm(total=args.draws, desc=f"{sc.name}: zones and Nash packages over draws", unit="draw",
                      disable=args.quiet or not sys.stderr.isatty(), leave=False) as bar:
                z = zones_over_draws(sc, args.draws, args.seed, with_nash=True, progress=bar.update)
            print(_wrap(_drawn_zones(sc.name, z, args.seed), ""))
            print("\n".join(_nash_spread(z)))
    if args.compare_runs == 0:
        return 0

    out = args.out or default_out(args)
    with Output(out, identity("solve", scenarios, args.seed, args.compare_runs), force=args.force) as o:
        items = [(st, _simulate(sc, args)) for sc, st in zip(scenarios, theories)]
        theory_plots.save(theory_plots.comparison_figure(items), o.stage / "theory_vs_runs.png")
        for st, runs in items:
            if st.nash is not None:
                table = clause_comparison(runs, {"Nash": st.package("nash"), "KS": st.package("ks")}, st.negotiable)
                table.round(6).to_csv(o.stage / f"theory_{safe_name(st.name)}.csv", index_label="clause")
        o.commit()
    print()
    print("\n".join(_comparison(items, args)))
    csvs = ", ".join(f"theory_{safe_name(st.name)}.csv" for st, _ in items if st.nash is not None)
    print(f"\nwrote {term_line(out)}/theory_vs_runs.png" + (f" and {csvs}" if csvs else "") + " and manifest.json")
    return 0
