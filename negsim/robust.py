"""`negsim robust A B [--variants FILE]`: the answer under structural variants.

Each variant of the variants file (default scenarios/variants.toml) is applied to both scenarios
(experiments/variants.py) and both are run on the same seeds.  Per variant and metric (agreement,
walkout, talks persisting, by day 69, day 182 and the horizon) it writes the shares of A and B
with Wilson intervals and B - A with its interval (robustness.parquet: paired, Newcombe's method
for paired data, when the variant's runs share draws), and forest plots.  It prints the shipped
model's B - A (the variant with no changes), how many of the other variants share its sign, and
the spread over the chosen variants (analysis/robustness.py); a variant in which an outcome never
happens in either scenario is reported apart, with why, and left out of that outcome's spread.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tqdm import tqdm

from analysis.robustness import forest, pooled, shipped_sign
from analysis.stats import Estimate, PAIRED, UNPAIRED
from experiments.robust import robustness
from experiments.variants import check, load_variants
from sim.scenario import SHIPPED, load_scenario
from storage.manifest import identity
from storage.outdir import Output
from storage.text import plural, term_line

from .common import UsageError, check_seed, results_folder

def default_out(args) -> Path:
    """results/robust_<A>_vs_<B>, with the variants file's name unless it is the shipped one."""
    shipped = args.variants is None or args.variants.resolve() == (SHIPPED / "variants.toml").resolve()
    return results_folder("robust", load_scenario(args.a).name, "vs", load_scenario(args.b).name,
                          "" if shipped else args.variants.stem)


def cmd_robust(args) -> int:
    if args.runs < 1:
        raise UsageError(f"-n/--runs must be at least 1, got {args.runs}")
    check_seed(args.seed)
    vfile = args.variants or SHIPPED / "variants.toml"
    variants = load_variants(vfile)
    sa, sb = load_scenario(args.a), load_scenario(args.b)
    check(variants, [sa, sb], vfile)  # every variant applies to both, before any run
    show = not args.quiet and sys.stderr.isatty()
    with tqdm(total=2 * (len(variants) + 1) * args.runs, unit="run", disable=not show, leave=False) as bar:
        r = robustness(sa, sb, variants, args.runs, args.seed, bar.update)
    n_variants = r.table["variant"].nunique()
    out = args.out or default_out(args)
    with Output(out, identity("robust", [sa, sb], args.seed, args.runs, variants=str(vfile)), force=args.force) as o:
        r.table.to_parquet(o.stage / "robustness.parquet", index=False)
        for metric in ("agreement_by_horizon", "walkout_by_day_69"):
            forest(r.table, metric, f"{sb.name} - {sa.name} across {n_variants} variants, {args.runs:,} runs each"
                   ).savefig(o.stage / f"forest_{metric}.png", dpi=110)
        o.commit()
    _print(r, args, sa, sb, vfile, n_variants)
    print(term_line(f"wrote {out}/robustness.parquet, forest plots and manifest.json", 2000))
    return 0


def _print(r, args, sa, sb, vfile, n_variants: int) -> None:
    table, shipped, nevers, unpaired = r.table, r.shipped, r.nevers, r.unpaired
    print(term_line(f"{sb.name} - {sa.name} under {plural(n_variants, 'structural variant')} ({vfile}), "
                    f"{plural(args.runs, 'run')} "
                    f"per scenario and variant, seed {args.seed}. Per variant: {PAIRED}, run i against run i"
                    + (f"; {UNPAIRED} where the runs do not share draws: {', '.join(unpaired)}" if unpaired else "")
                    + " (Monte Carlo noise). Spread: a mixture over the chosen variants, weights from the variants "
                    "file, not a probability over models.", 2000))
    if nevers:
        print("  apart, not in the spread (an outcome no run reaches in either scenario gives 0 - 0, which says "
              "nothing about the difference):")
        for nv in nevers:
            print(term_line(f"    {nv.line()}", 2000))
    for metric in dict.fromkeys(table["metric"]):
        sub = table[table["metric"] == metric].reset_index(drop=True)
        here = sub[sub["in_spread"]]
        what, _, when = metric.partition("_by_")
        name = f"{'talks persist' if what == 'persist' else what} by {when.replace('_', ' ').replace('horizon', 'the horizon')}"
        k = int(sub.index[sub["variant"] == shipped][0])
        ref = sub.loc[k]
        e = Estimate(ref["difference"], ref["low"], ref["high"]).fmt(signed=True).replace("%", " pp", 1)
        if not len(here):
            print(f"  P({name}): as shipped {e}; no variant in the spread")
            continue
        others = here[here["variant"] != shipped]
        s = shipped_sign((ref["difference"], ref["low"], ref["high"]), others["difference"], others["low"],
                         others["high"])
        spread = pooled(here["difference"], here["low"], here["high"], here["weight"]).fmt(signed=True).replace(
            "%", " pp", 1)
        side = "" if s["sign"] == "zero" else f" (clear of zero in {s['clear']})"
        print(term_line(f"  P({name}): as shipped {e}, {s['sign']}{'' if s['shipped_clear'] else ', within noise of 0'}; "
                        f"{s['same']} of the other {s['others']} variants in the spread share its sign{side}; "
                        f"spread over them {spread}", 2000))
