"""`negsim robust A B [--variants FILE]`: the answer under structural variants.

Each variant of the variants file (default scenarios/variants.toml) is applied to both scenarios
(experiments/variants.py) and both are run on the same seeds.  Per variant and metric (agreement,
walkout, talks persisting, by day 69, day 182 and the horizon) it writes the shares of A and B
with Wilson intervals and B - A with its Newcombe interval (robustness.parquet), a forest plot,
and one line per metric saying in how many variants the sign of B - A holds; the pooled answer
(analysis/robustness.py) carries an interval that covers the spread between variants.
"""

from __future__ import annotations

from pathlib import Path

from storage.outdir import plural

WHAT = {"agreement": "P(agreement by day D)", "walkout": "P(walkout by day D)", "persist": "P(talks persist to day D)"}


def register(sub) -> None:
    from .common import study_options

    p = sub.add_parser("robust", help="the answer A vs B under structural variants (proposer rule, packages, "
                       "strategies, walkout rules, ...), with a pooled interval that covers their spread",
                       description="Run A and B under each variant of a variants file on the same seeds; write "
                       "robustness.parquet and a forest plot; print whether the sign of B - A holds across variants.")
    p.add_argument("a", type=Path, metavar="A")
    p.add_argument("b", type=Path, metavar="B")
    p.add_argument("--variants", type=Path, help="variants file (default: scenarios/variants.toml)")
    study_options(p, 10_000, "scenario and variant", "results/robust_<A>_vs_<B>[_<variants file>]")
    p.set_defaults(func=cmd_robust, default_out=default_out)


def default_out(args) -> Path:
    """results/robust_<A>_vs_<B>, with the variants file's name unless it is the shipped one."""
    from sim.scenario import SHIPPED, load_scenario

    from .common import results_folder

    shipped = args.variants is None or args.variants.resolve() == (SHIPPED / "variants.toml").resolve()
    return results_folder("robust", load_scenario(args.a).name, "vs", load_scenario(args.b).name,
                          "" if shipped else args.variants.stem)


def _shares(batches, day: float) -> dict[str, int]:
    import numpy as np

    from sim.codes import AGREEMENT, WALKOUT

    o = np.concatenate([b.outcome for b in batches])
    d = np.concatenate([b.layout.end_day(b.rounds) for b in batches])
    walk = (o == WALKOUT) & (d <= day)
    return {"agreement": int(((o == AGREEMENT) & (d <= day)).sum()), "walkout": int(walk.sum()),
            "persist": int(len(o) - walk.sum())}


def cmd_robust(args) -> int:
    import sys

    import pandas as pd
    from tqdm import tqdm

    from analysis import stats
    from analysis.robustness import forest, pooled, sign_counts
    from experiments.runner import batches
    from storage.outdir import Output, identity, term_line
    from sim.scenario import SHIPPED, load_scenario
    from experiments.variants import apply, check, load_variants

    from .common import UsageError, check_seed

    if args.runs < 1:
        raise UsageError(f"-n/--runs must be at least 1, got {args.runs}")
    check_seed(args.seed)
    vfile = args.variants or SHIPPED / "variants.toml"
    variants = load_variants(vfile)
    sa, sb = load_scenario(args.a), load_scenario(args.b)
    check(variants, [sa, sb], vfile)  # every variant applies to both, before any run
    rows = []
    show = not args.quiet and sys.stderr.isatty()
    with tqdm(total=2 * len(variants) * args.runs, unit="run", disable=not show, leave=False) as bar:
        for v in variants:
            va, vb = apply(sa, v.changes, v.name), apply(sb, v.changes, v.name)
            horizon = max(va.protocol.horizon_days, vb.protocol.horizon_days)
            runs = {}
            for key, sc in (("a", va), ("b", vb)):
                runs[key] = list(batches(sc, args.runs, args.seed))
                bar.update(args.runs)
            for day, day_label in ((69, "day 69"), (182, "day 182"), (horizon, "horizon")):
                ka, kb = _shares(runs["a"], day), _shares(runs["b"], day)
                for what in WHAT:
                    ea, eb = stats.proportion(ka[what], args.runs), stats.proportion(kb[what], args.runs)
                    d = stats.proportion_difference(ka[what], args.runs, kb[what], args.runs)
                    rows.append({"variant": v.name, "weight": v.weight, "reason": v.reason, "day": float(day),
                                 "metric": f"{what}_by_{day_label.replace(' ', '_')}", "a": ea.value, "a_low": ea.low,
                                 "a_high": ea.high, "b": eb.value, "b_low": eb.low, "b_high": eb.high,
                                 "difference": d.value, "low": d.low, "high": d.high})
    table = pd.DataFrame(rows)
    out = args.out or default_out(args)
    with Output(out, identity("robust", [sa, sb], args.seed, args.runs, variants=str(vfile)), force=args.force) as o:
        table.to_parquet(o.stage / "robustness.parquet", index=False)
        for metric in ("agreement_by_horizon", "walkout_by_day_69"):
            forest(table, metric, f"{sb.name} - {sa.name} across {plural(len(variants), 'variant')}, {plural(args.runs, 'run')} each"
                   ).savefig(o.stage / f"forest_{metric}.png", dpi=110)
        o.commit()
    print(term_line(f"{sb.name} - {sa.name} under {plural(len(variants), 'structural variant')} ({vfile}), {plural(args.runs, 'run')} "
                    f"per scenario and variant, seed {args.seed}; intervals: Newcombe per variant (Monte Carlo "
                    "noise); pooled: equal-weight mixture over variants (their spread and noise)", 2000))
    for metric in dict.fromkeys(table["metric"]):
        sub = table[table["metric"] == metric]
        c = sign_counts(sub["difference"], sub["low"], sub["high"])
        p = pooled(sub["difference"], sub["low"], sub["high"], sub["weight"])
        sign = "positive" if p.value > 0 else "negative" if p.value < 0 else "zero"
        held = c[sign] if sign != "zero" else c["zero"]
        clear = c["above_zero"] if sign == "positive" else c["below_zero"] if sign == "negative" else 0
        name = metric.replace("_by_", " by ").replace("_", " ")
        print(f"  the sign of the difference in P({name}) ({sign}) holds in {held} of {plural(c['variants'], 'variant')} "
              f"(clear of zero in {clear}); pooled {p.fmt(signed=True).replace('%', ' pp', 1)}")
    print(term_line(f"wrote {out}/robustness.parquet, forest plots and manifest.json", 2000))
    return 0
