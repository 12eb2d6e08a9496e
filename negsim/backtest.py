"""`negsim backtest SCENARIO... [--variants FILE]`: the model's outcomes by days 40, 62 and 69 next
to what happened in Jan-Feb 2022, and the probability of the record under each scenario and
variant (analysis/backtest.py).  A reference pattern, not a fit: nothing was tuned to it."""

from __future__ import annotations

from pathlib import Path

NOT_TUNED = ("Not a fit: no number in any scenario was tuned to these outcomes; the record is a reference "
             "pattern the model is put next to, and one history is a single draw from whatever process produced it.")


def register(sub) -> None:
    from .common import study_options

    p = sub.add_parser("backtest", help="the outcome distribution by days 40, 62 and 69 next to the record "
                       "(no deal; talks ended by day 69), and the probability of the record",
                       description="Run each scenario (and each variant of a variants file, if given) and put "
                       "its shares of agreement, walkout and talks still going by day 40 (the written replies), "
                       "62 (Russia's reply) and 69 (the invasion) next to what happened. " + NOT_TUNED)
    p.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO")
    p.add_argument("--variants", type=Path, help="a variants file (e.g. scenarios/variants.toml for structural "
                   "variants, scenarios/history_whatif.toml for 'what if the replies had gone further'), applied "
                   "to every scenario")
    study_options(p, 10_000, "scenario and variant", "results/backtest_<scenarios>[_<variants file>]")
    p.set_defaults(func=cmd_backtest, default_out=default_out)


def default_out(args) -> Path:
    """results/backtest_<each scenario's name>[_<the variants file's name>]."""
    from sim.scenario import load_scenario

    from .common import results_folder

    return results_folder("backtest", *(load_scenario(f).name for f in args.scenarios),
                          args.variants.stem if args.variants else "")


def cmd_backtest(args) -> int:
    import sys

    import numpy as np
    import pandas as pd
    from tqdm import tqdm

    from analysis.backtest import DAYS, record_rows
    from storage.outdir import Output, identity, term_line
    from experiments.runner import batches
    from storage.runtable import batch_columns
    from sim.scenario import load_scenario
    from experiments.variants import apply, check, load_variants

    from .common import UsageError, check_seed

    if args.runs < 1:
        raise UsageError(f"-n/--runs must be at least 1, got {args.runs}")
    check_seed(args.seed)
    scenarios = [load_scenario(f) for f in args.scenarios]
    variants = load_variants(args.variants) if args.variants else ()
    if variants:
        check(variants, scenarios, args.variants)  # every variant applies to every scenario, before any run
    todo = [(sc, "as shipped", sc) for sc in scenarios] + [(sc, v.name, apply(sc, v.changes, v.name))
                                                            for v in variants for sc in scenarios]
    rows = []
    show = not args.quiet and sys.stderr.isatty()
    with tqdm(total=len(todo) * args.runs, unit="run", disable=not show, leave=False) as bar:
        for base, variant, sc in todo:
            cols = [batch_columns(b, sc.name) for b in batches(sc, args.runs, args.seed)]
            bar.update(args.runs)
            outcome, days, walker = (np.concatenate([c[k] for c in cols]) for k in ("outcome", "days", "walkout_by"))
            rows += record_rows(base.name, variant, outcome, days, walker)
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
    from storage.outdir import plural, term_line

    print(f"The record next to the model ({plural(args.runs, 'run')} per scenario and variant, seed {args.seed}; "
          "shares by each day, 95% Wilson intervals for Monte Carlo noise only):")
    print("  what happened: no agreement; the written replies on day 40 and Russia's reply on day 62 changed "
          "nothing; the talks ended with military action on day 69")
    head = "".join(f"{'by day ' + format(d, 'g'):>22}" for d in days)
    print(f"  {'scenario / variant':<40}{head}{'P(record)':>24}{'after the reply':>18}")
    print(f"  {'':<40}" + "".join(f"{'deal / walkout / talk':>22}" for _ in days))
    for (scenario, variant), g in table.groupby(["scenario", "variant"], sort=False):
        g = g.set_index(["quantity", "day"])
        cells = "".join(f"{_pct(g, 'agreement', d)} / {_pct(g, 'walkout', d)} / {_pct(g, 'still talking', d):>4}".rjust(22)
                        for d in days)
        rec = g.loc[("record", 69.0)]
        late = g.loc[("record, after Russia's reply", 69.0)]
        name = scenario if variant == "as shipped" else f"{scenario} / {variant}"
        print(term_line(f"  {name[:39]:<40}{cells}{rec['share']:>10.1%} [{rec['low']:.1%}, {rec['high']:.1%}]"
                        f"{late['share']:>18.1%}", 400))
    print("  P(record): no deal and Russia broke the talks off by day 69; after the reply: on day 62 or later")
    print(f"  {NOT_TUNED}")


def _pct(g, quantity: str, day: float) -> str:
    return f"{g.loc[(quantity, float(day)), 'share']:.0%}"
