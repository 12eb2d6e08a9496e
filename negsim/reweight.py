"""`negsim reweight RUNS --prior KEY=DIST ... | --prior-from OVERLAY.toml`: the answer under
another prior for some drawn inputs, from the runs already made (importance weights; the maths
and its caveats in analysis/reweight.py).  Prints the headline shares by day 69 and by the
horizon under the prior the runs drew from and under the new one, side by side, with Kish's
effective sample size.
"""

from __future__ import annotations

import sys

from analysis.outcomes import describe, load, scenario_of
from analysis.reweight import answer, drawn_priors, parse_prior, priors_from_scenario, reweight
from sim.scenario import load_scenario
from storage.text import term_line

from .common import UsageError
from .inputs import runs_files


def new_priors(args, scenario, old) -> dict:
    priors = {}
    if args.prior_from is not None:
        priors.update(priors_from_scenario(load_scenario(args.prior_from), scenario, str(args.prior_from)))
        if not priors:
            raise UsageError(f"--prior-from {args.prior_from}: it sets every drawn input's prior as the runs drew it; "
                             "nothing to reweight")
    for text in args.prior:
        key, param = parse_prior(text, old)
        if key in priors:
            raise UsageError(f"--prior {key}: given twice (or also set by --prior-from)")
        priors[key] = param
    return priors


def cmd_reweight(args) -> int:
    if not args.prior and args.prior_from is None:
        raise UsageError("give the new prior: --prior KEY=DIST (repeatable) or --prior-from OVERLAY.toml")
    for f in runs_files(args.runs):
        result = load(f, trace=False)
        if "sweep_runs_per_point" in result.meta:
            raise UsageError(f"{term_line(f)}: the kept runs of a sweep fix the swept inputs point by point; reweight "
                             "takes the runs of negsim run or compare")
        sc = scenario_of(result.meta)
        old = drawn_priors(sc)
        new = new_priors(args, sc, old)
        horizon = sc.protocol.horizon_days
        rw = reweight(result.runs, old, new, horizon)
        before = answer(result.runs, None, horizon)
        print(term_line(f"{f}: {result.label}, root seed {result.meta.get('root_seed')}; reweighting "
                        f"{len(new)} drawn input(s):", 2000))
        for key, p in new.items():
            print(term_line(f"  {key}: {describe(old[key])} -> {describe(p)}", 2000))
        print(f"  effective sample size (Kish): {rw.ess:,.0f} of {len(result.runs):,} runs; the largest run carries "
              f"{rw.largest_share:.2%} of the weight")
        w = 30
        print(f"  {'':<28} {'prior as run':<{w}} {'new prior (reweighted)':<{w}}")
        for label, e in rw.shares.items():
            print(f"  {label:<28} {before[label].fmt():<{w}} {e.fmt():<{w}}")
        print(f"  (day {horizon:g} is the horizon; 95% intervals, Monte Carlo noise only: as run, Wilson; reweighted, "
              "Wilson at the effective size of the delta-method variance of the self-normalised estimate)")
        for warning in rw.warnings:
            print(term_line(f"negsim: warning: {warning}", 2000), file=sys.stderr)
    return 0
