"""What `negsim run` and `negsim compare` do with a batch: stream it to its results file, keeping
a slim per-run frame for the summary, and the lines they print about it."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from analysis.discovery import conditions_in_words
from analysis.holdouts import holdout_line
from analysis.metrics import share_names
from analysis.stats import share_words, shortfalls
from experiments.runner import DEFAULT_CHUNK, batches as runner_batches, default_workers
from sim.codes import Outcome
from storage.resultsfile import RunsWriter, run_metadata
from storage.runtable import batch_columns
from storage.text import plural, term_line


SUMMARY_COLUMNS = ["run", "outcome", "rounds", "days", "walkout_by", "walkout_rule", "shortfall"]
CONDITION_RUNS = 100_000  # runs whose drawn inputs are kept in memory for the PRIM sentence


def simulate(sc, args, stage: Path, filename: str, extra=None):
    """Stream the batch to `stage/filename` (Parquet, chunk by chunk) and return the layout, a
    slim per-run frame (the columns the summary needs) and the drawn inputs of the first
    CONDITION_RUNS runs with their outcomes (for "under what conditions"), so memory stays flat
    for any -n.  extra(batch), if given, adds columns for the batch's runs (kept in the frame too).
    The drawn inputs stay apart: as columns of the per-run frame they were NaN-filled for every
    later run, 47 columns of 8 bytes a run (1,000,000 runs took the command past 1 GiB)."""
    chunk = args.chunk_size or DEFAULT_CHUNK
    batches = runner_batches(sc, args.runs, args.seed, chunk=chunk, workers=args.workers or default_workers(),
                             trace=args.trace, engine=args.engine)
    show = not args.quiet and sys.stderr.isatty()
    slim, drawn, layout = [], [], None
    with RunsWriter(stage / filename, run_metadata(sc, args.seed, args.runs, args.engine), csv=args.csv) as writer, \
            tqdm(total=args.runs, desc=term_line(sc.name, 40), unit="run", disable=not show, leave=False, mininterval=0.5) as bar:
        for b in batches:
            more = extra(b) if extra else {}
            writer.write(b, more)
            cols = {**batch_columns(b, sc.name), **more}
            keep = SUMMARY_COLUMNS + [c for c in cols if c.startswith("outside_option.")]
            keep += ["run", "seed", *more] if more else []
            slim.append(pd.DataFrame({k: cols[k] for k in keep}))
            if sum(map(len, drawn)) < CONDITION_RUNS:
                drawn.append(pd.DataFrame({k: cols[k] for k in ["outcome", *(c for c in cols if c.startswith("input."))]}))
            layout = b.layout
            bar.update(len(b))
    runs = pd.concat(slim, ignore_index=True)
    for c in ("outcome", "walkout_by", "walkout_rule", "shortfall"):
        runs[c] = runs[c].astype("category")
    return layout, runs, pd.concat(drawn, ignore_index=True)


def metric_names(layout) -> list[str]:
    return share_names([a for a, r in zip(layout.actors, layout.required) if r])


LABELS = {
    "agreement": "P(agreement)",
    "talks persist": "P(talks persist)",
    "walkout": "P(walkout)",
    "ongoing": "P(still talking at horizon)",
    "median rounds": "median rounds",
    "median rounds to agreement": "median rounds to agreement",
}


def label(metric: str) -> str:
    return LABELS.get(metric, f"  P({metric})")


def fmt(metric: str, e, signed: bool = False) -> str:
    return e.fmt(percent=not metric.startswith("median"), signed=signed)


def to_agreement(runs, median) -> str:
    """The median meetings to agreement, over how many agreements; none: nothing to time."""
    k = int((runs["outcome"] == Outcome.AGREEMENT).sum())
    if k == 0:
        return "no agreement to time"
    return f"{fmt('median rounds', median)} (over {plural(k, 'agreement')})"


SHORTFALLS_SHOWN = 3  # the largest; the rest are summed as "other"


def print_blocking(runs_by_name) -> None:
    for name, runs in runs_by_name.items():
        shares = shortfalls(runs)
        top, rest = shares.head(SHORTFALLS_SHOWN), float(shares.iloc[SHORTFALLS_SHOWN:].sum())
        if len(top):
            parts = [f"{term_line(k, 200)} ({share_words(v)})" for k, v in top.items()]
            if rest > 0:
                parts.append(f"other ({share_words(rest)})")
            print(f"  walkouts in {term_line(name, 200)}, by who left and the demand on which what it held fell "
                  f"furthest short, as a share of walkouts (a description, not a cause): {', '.join(parts)}")


def print_holdouts(scenarios) -> None:
    """Why a party that gains from no deal ends the talks in walkouts (analysis/holdouts.py)."""
    for sc, runs in scenarios:
        line = holdout_line(sc, runs)
        if line:
            print(term_line(f"  {line}", 2000))


def print_conditions(name: str, drawn) -> None:
    """Under what conditions a deal forms: the PRIM box over the drawn inputs (of the first
    CONDITION_RUNS runs: `simulate`'s third frame), in words."""
    words = conditions_in_words(drawn)
    if words is None:
        return
    print()
    print(term_line(f"  Under what conditions, in {name} (PRIM over the drawn inputs of {plural(len(drawn), 'run')}; "
                    f"`negsim discover` for more): {words}", 2000))


def median_note(estimates) -> None:
    """Say why a median's interval can be one value, so it does not read as certainty."""
    if any(e.low == e.high for e in estimates if e.low == e.low):
        print("  (a median's interval of one value: runs end at whole meetings, and the order statistics that "
              "bound the 95% interval fall on the same meeting; not certainty)")
