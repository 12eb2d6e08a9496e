"""`negsim backtest SCENARIO... [--variants FILE]`: the model's outcomes by days 40, 62 and 69 next
to what happened in Jan-Feb 2022, and the probability of the record under each scenario and
variant (analysis/backtest.py).  A reference pattern, not a fit: nothing was tuned to it."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from analysis.backtest import DAYS, PATH, record_path, record_rows
from analysis.pairing import Draws, Pairing
from analysis.stats import Estimate
from analysis.study import FIRST_MEETING_DAY, REPLIES_DAY, RUSSIA_REPLY_DAY, STILL_ON_DAYS, TALKS_ENDED_DAY
from experiments.runner import batches
from experiments.variants import apply, check, load_variants
from sim.engine import Compiled
from sim.scenario import load_scenario
from storage.manifest import identity
from storage.outdir import Output
from storage.runtable import batch_columns
from storage.text import plural, term_line

from .common import UsageError, check_seed, results_folder
from .grammar import NOT_TUNED


def default_out(args) -> Path:
    """results/backtest_<each scenario's name>[_<the variants file's name>]."""
    return results_folder("backtest", *(load_scenario(f).name for f in args.scenarios),
                          args.variants.stem if args.variants else "")


def cmd_backtest(args) -> int:
    if args.runs < 1:
        raise UsageError(f"-n/--runs must be at least 1, got {args.runs}")
    check_seed(args.seed)
    scenarios = [load_scenario(f) for f in args.scenarios]
    variants = load_variants(args.variants) if args.variants else ()
    if variants:
        check(variants, scenarios, args.variants)  # every variant applies to every scenario, before any run
    todo = [(sc, "as shipped", sc) for sc in scenarios] + [(sc, v.name, apply(sc, v.changes, v.name))
                                                            for v in variants for sc in scenarios]
    rows, shipped = [], {}
    show = not args.quiet and sys.stderr.isatty()
    with tqdm(total=len(todo) * args.runs, unit="run", disable=not show, leave=False) as bar:
        for base, variant, sc in todo:
            cols = [batch_columns(b, sc.name) for b in batches(sc, args.runs, args.seed)]
            bar.update(args.runs)
            outcome, days, walker = (np.concatenate([c[k] for c in cols]) for k in ("outcome", "days", "walkout_by"))
            rows += record_rows(base.name, variant, outcome, days, walker, sc.protocol.horizon_days)
            path = record_path(outcome.astype(str), days.astype(float), walker.astype(str))
            draws = Draws(args.seed, Compiled.from_scenario(sc).plan.n_uniforms, np.concatenate([c["run"] for c in cols]))
            if variant == "as shipped":
                shipped[base.name] = (draws, path)
            else:  # the variant against the scenario as shipped, run i against run i when they share draws
                d = Pairing(shipped[base.name][0], draws).proportion(shipped[base.name][1], path)
                rows.append({"scenario": base.name, "variant": variant, "quantity": "record path, variant - as shipped",
                             "day": float(DAYS[-1]), "share": d.estimate.value, "low": d.estimate.low,
                             "high": d.estimate.high, "runs": args.runs,
                             "method": d.method if d.paired else f"{d.method}; not paired: {d.unpaired_because}"})
    table = pd.DataFrame(rows)
    out = args.out or default_out(args)
    ident = identity("backtest", scenarios, args.seed, args.runs, variants=str(args.variants or ""))
    with Output(out, ident, force=args.force) as o:
        table.to_parquet(o.stage / "backtest.parquet", index=False)
        o.commit()
    _print(table, args, DAYS)
    print(term_line(f"wrote {out}/backtest.parquet and manifest.json", 2000))
    return 0


def _print(table, args, days) -> None:
    print(f"The record next to the model ({plural(args.runs, 'run')} per scenario and variant, seed {args.seed}; "
          "shares by each day, 95% Wilson intervals for Monte Carlo noise only):")
    print(f"  what happened: the talks were still on at days {FIRST_MEETING_DAY} (Geneva), {REPLIES_DAY} (the written "
          f"replies) and {RUSSIA_REPLY_DAY} (Russia's reply); no agreement; they ended with military action on day "
          f"{TALKS_ENDED_DAY}")
    head = "".join(f"{'by day ' + format(d, 'g'):>22}" for d in days)
    on = "/".join(f"{d:g}" for d in STILL_ON_DAYS)
    print(f"  {'scenario / variant':<40}{head}{'on at ' + on:>16}{'P(record path)':>24}{'log score':>11}"
          f"{'CRPS':>8}")
    print(f"  {'':<40}" + "".join(f"{'deal / walkout / talk':>22}" for _ in days) + f"{'':>16}{'':>24}{'ln P':>11}"
          f"{'days':>8}")
    for (scenario, variant), g in table.groupby(["scenario", "variant"], sort=False):
        g = g.set_index(["quantity", "day"])
        cells = "".join(f"{_pct(g, 'agreement', d)} / {_pct(g, 'walkout', d)} / {_pct(g, 'still talking', d):>4}".rjust(22)
                        for d in days)
        still = "/".join(_pct(g, "still on", d) for d in STILL_ON_DAYS)
        rec, ln, crps = (g.loc[(q, float(days[-1]))] for q in (PATH, "log score", "crps"))
        name = scenario if variant == "as shipped" else f"{scenario} / {variant}"
        lns = f"{ln['share']:.2f}" if math.isfinite(ln["share"]) else "-inf"
        print(term_line(f"  {name[:39]:<40}{cells}{still:>16}{rec['share']:>10.1%} [{rec['low']:.1%}, {rec['high']:.1%}]"
                        f"{lns:>11}{crps['share']:>8.1f}", 400))
        key = ("record path, variant - as shipped", float(days[-1]))
        if key in g.index:
            d = g.loc[key]
            e = Estimate(d["share"], d["low"], d["high"]).fmt(signed=True).replace("%", " pp", 1)
            print(term_line(f"  {'':<40}  P(record path) against as shipped: {e} ({d['method']})", 600))
    print(term_line(f"  P(record path): the talks still on at days {on}, then Russia walked out on a day from "
                    f"{RUSSIA_REPLY_DAY} to {TALKS_ENDED_DAY}, no deal (an earlier walkout is not the record). Log "
                    "score: ln P(record path), the runs' mass on the interval holding the record's end (closer to 0 "
                    f"is better). CRPS: of the day Russia broke off, against day {TALKS_ENDED_DAY}, over days 0 to "
                    "the horizon (runs that never broke off count beyond it); lower is better, in days. Both are proper scores and point estimates.", 2000))
    print(f"  {NOT_TUNED}")


def _pct(g, quantity: str, day: float) -> str:
    return f"{g.loc[(quantity, float(day)), 'share']:.0%}"
