"""`negsim channels A B`: the answer per channel of the agenda.

A and B run under each channel alone (information, reference point, face, weight, linkage) and
all together, on common random numbers (experiments/channels.py).  Per channel it prints B - A in
P(agreement) and P(walkout by day 69, day 182 and the horizon), each with its paired 95% interval
and sign, and the breakeven: the level of the party's outside option, against its best package
inside the others' red lines, at which P(agreement) is 50%, in A and in B.  It writes
channels.parquet, channels.png and manifest.json.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tqdm import tqdm

from analysis.channel_plots import channel_figure
from analysis.stats import Estimate
from analysis.study import HALF_YEAR_DAY, TALKS_ENDED_DAY
from experiments.channels import CHANNELS, channels, check
from sim.scenario import load_scenario
from storage.manifest import identity
from storage.outdir import Output
from storage.text import term_line

from .common import UsageError, check_seed, results_folder


def default_out(args) -> Path:
    return results_folder("channels", load_scenario(args.a).name, "vs", load_scenario(args.b).name)


def cmd_channels(args) -> int:
    if args.runs < 2:
        raise UsageError(f"-n/--runs must be at least 2, got {args.runs}")
    check_seed(args.seed)
    sa, sb = load_scenario(args.a), load_scenario(args.b)
    check(sa, sb)
    show = not args.quiet and sys.stderr.isatty()
    with tqdm(total=2 * len(CHANNELS) * args.runs, unit="run", disable=not show, leave=False) as bar:
        r = channels(sa, sb, args.runs, args.seed, bar.update)
    out = args.out or default_out(args)
    with Output(out, identity("channels", [sa, sb], args.seed, args.runs), force=args.force) as o:
        r.table.to_parquet(o.stage / "channels.parquet", index=False)
        channel_figure(r.table, f"{sb.name} - {sa.name} per channel, {args.runs:,} runs each, seed {args.seed}; "
                       "paired 95% intervals (Monte Carlo noise only)",
                       "breakeven outside option (share of best package)").savefig(o.stage / "channels.png", dpi=110)
        o.commit()
    for line in lines(r, sa.name, sb.name, args.runs, args.seed):
        print(term_line(line, 2000))
    print(term_line(f"wrote {out}/channels.parquet, channels.png and manifest.json", 2000))
    return 0


def lines(r, a: str, b: str, runs: int, seed: int) -> list[str]:
    """The terminal answer: a heading, then one line per channel."""
    t = r.table
    horizon = t.loc[t["metric"] == "agreement_by_horizon", "day"].iloc[0]
    out = [f"{b} - {a} per channel of the agenda (party: {r.party}), {runs:,} runs per scenario and channel, seed "
           f"{seed}; paired 95% intervals, run i against run i (Monte Carlo noise only). Breakeven: "
           f"{r.breakeven_x}, at which P(agreement by the horizon, day {horizon:g}) is 50%."]
    for name in dict.fromkeys(t["channel"]):
        sub = t[t["channel"] == name].set_index("metric")

        def d(metric: str) -> str:
            row = sub.loc[metric]
            e = Estimate(row["difference"], row["low"], row["high"])
            return e.fmt(signed=True).replace("%", " pp", 1) + f" ({_sign(e)})"

        be = sub.loc["breakeven"]
        be_text = (f"breakeven {be['a']:.3f} -> {be['b']:.3f} ({be['difference']:+.3f} [{be['low']:+.3f}, "
                   f"{be['high']:+.3f}])"
                   if be["a"] == be["a"] and be["b"] == be["b"] else "breakeven not located within the drawn range")
        out.append(f"  {name:20s} agreement by the horizon {d('agreement_by_horizon')}; walkout by day {TALKS_ENDED_DAY} "
                   f"{d(f'walkout_by_day_{TALKS_ENDED_DAY}')}, by day {HALF_YEAR_DAY} {d(f'walkout_by_day_{HALF_YEAR_DAY}')}, by the horizon "
                   f"{d('walkout_by_horizon')}; {be_text}")
    return out


def _sign(e) -> str:
    if e.low > 0:
        return "more"
    if e.high < 0:
        return "less"
    return "within noise of 0"
