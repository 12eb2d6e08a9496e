"""`negsim discover RESULTS --outcome agreement|walkout|persist [--by-day D]`: scenario discovery.

Finds the box of drawn inputs (every `input.<key>` column of a run table: each parameter the
run drew from a distribution) where the outcome concentrates, with PRIM (peeling and pasting,
EMA workbench; analysis/discovery.py), prints it in plain words and writes the peeling
trajectory, the chosen box and both figures.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from analysis.discovery import describe, discover, input_labels
from analysis.discovery_plots import box_figure, trajectory_figure
from analysis.outcomes import load
from sim.codes import Outcome
from storage.outdir import write_into
from storage.text import plural, term_line

from .grammar import DISCOVER_OUTCOMES


def cmd_discover(args) -> int:
    result = load(args.results, trace=False)
    runs = result.runs
    inputs = [c for c in runs.columns if c.startswith("input.")]
    if not inputs:
        raise ValueError(f"{args.results}: no input.* columns (every drawn parameter per run); rerun the scenario "
                         "with this version of negsim")
    day = args.by_day if args.by_day is not None else float(runs["days"].max())
    o, d = runs["outcome"].astype(str).to_numpy(), runs["days"].to_numpy()
    y = {"agreement": (o == Outcome.AGREEMENT) & (d <= day), "walkout": (o == Outcome.WALKOUT) & (d <= day),
         "persist": ~((o == Outcome.WALKOUT) & (d <= day))}[args.outcome]
    labels = input_labels(inputs)
    found = discover(runs[inputs], np.asarray(y), labels=labels)
    words = describe(found, DISCOVER_OUTCOMES[args.outcome], labels,
                     cases=f"runs where {DISCOVER_OUTCOMES[args.outcome]}")
    out = args.out or Path(args.results).parent
    stem = f"{args.outcome}_by_day_{day:g}"
    files = {f"discovery_{stem}.csv": found.trajectory.to_csv(index=False), f"box_{stem}.csv": found.box.to_csv(index=False)}
    for name, fig in (("trajectory", trajectory_figure(found)), ("box", box_figure(found, labels))):
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110)
        files[f"discovery_{name}_{stem}.png"] = buf.getvalue()
    for name, data in files.items():  # beside a run's results they join its manifest (negsim wrote them)
        write_into(out / name, data, by="discover")
    print(term_line(f"{result.label}: {args.outcome} by day {day:g} in {y.mean():.1%} of runs; PRIM over "
                    f"{plural(len(inputs), 'drawn input')} ({found.rule})", 2000))
    print(term_line(f"  {words}", 4000))
    print(term_line(f"wrote {out}/discovery_{stem}.csv, box_{stem}.csv and two figures", 2000))
    return 0
