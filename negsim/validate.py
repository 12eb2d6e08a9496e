"""`negsim validate FILE...`: check scenario (and sweep) files; say what is wrong, or that they
are fine and what they hold.  Stays fast: no Numba, no Mesa, no pandas, no plotting library is
imported for a scenario (the sweep machinery, which has them, loads for a sweep file only)."""

from __future__ import annotations

import sys
from pathlib import Path

from experiments.variants import applies_to, check, load_variants
from sim.diagnostics import diagnose
from sim.layout import build_layout
from sim.scenario import SHIPPED, file_kind, load_catalogue, load_scenario
from storage.text import plural, term_line


def cmd_validate(args) -> int:
    failed = 0
    for path in args.scenarios:
        try:
            for line in _check(path, args.provenance).split("\n"):
                print(term_line(line))
        except ValueError as exc:
            print(term_line(f"negsim: error: {exc}"), file=sys.stderr)
            failed += 1
    return 2 if failed else 0


def _check(path: Path, provenance: bool) -> str:
    kind = file_kind(path)
    if kind == "variants":
        variants = load_variants(path)
        target = applies_to(path)
        check(variants, [load_scenario(target or SHIPPED / "base.toml")], path)
        return (f"{path}: OK: {plural(len(variants), 'variant')}, each applies to "
                + (f"{target.name}" if target else "the shipped base scenario"))
    if kind == "catalogue":
        return (f"{path}: OK: source catalogue of {plural(len(load_catalogue(path)), 'entry', 'entries')} "
                "(docs/sources.md says them in words)")
    if kind == "sweep":
        from experiments.sweep import n_points  # pandas, pyarrow and Numba: for a sweep file only
        from experiments.sweep_file import load_sweep  # the same (it reads through experiments.sweep)

        spec = load_sweep(path)
        return (f"{path}: OK: sweep of {Path(spec.scenario).name}: {spec.sampler}, "
                f"{plural(len(spec.params), 'parameter')}, {plural(len(spec.factors), 'structural choice')}, "
                f"{plural(n_points(spec), 'point')} x {plural(spec.runs, 'run')}")
    sc = load_scenario(path)
    lay = build_layout(sc)
    at = [a for a, r in zip(lay.actors, lay.required) if r]
    on = sum(sc.on_table(c) for c in lay.clauses)
    line = (f"{path}: OK: scenario {sc.name!r}: {plural(len(lay.actors), 'actor')} ({len(at)} at the table: "
            f"{', '.join(at)}), {plural(len(lay.clauses), 'clause')} ({on} on the table, {len(sc.agenda.caps)} capped), "
            f"{plural(len(lay.instruments), 'instrument')}, {plural(sc.protocol.horizon, 'meeting')} " + (f"on days {', '.join(f'{d:g}' for d in sc.protocol.meeting_days)}, "
                                                                  f"then every {sc.protocol.round_days:g} days"
                                                                  if sc.protocol.meeting_days
                                                                  else f"{sc.protocol.round_days:g} days apart")
            + f" to day {sc.protocol.horizon_days:g}" + (f", {plural(len(sc.events), 'dated event')}" if sc.events else ""))
    if provenance:
        counts = sc.provenance_counts()
        line += (f"\n  provenance of its {plural(sum(counts.values()), 'number')}: "
                 + ", ".join(f"{k} {v}" for k, v in counts.items()))
    line += "".join(f"\n  by construction: {fact}" for fact in diagnose(sc))
    return line
