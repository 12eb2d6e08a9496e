"""The expected-utility model's answer under each defensible alternative to its choices
(docs/model.md, section 8.8): the share of runs whose forecast package is deal-compatible in
two scenarios and the paired difference, on the same runs.

    .venv/bin/python scripts/bdm_sensitivity.py                      # full_agenda vs accession_excluded
    .venv/bin/python scripts/bdm_sensitivity.py A.toml B.toml --runs 2000
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.stats import paired_proportion_difference, proportion  # noqa: E402
from experiments.variants import apply  # noqa: E402
from sim.bdm import Options, Readings, answer  # noqa: E402
from sim.engine import Compiled, params_for_runs  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

EQUAL = {f"actors.{a}.capability": 1.0 for a in ("russia", "us", "nato", "ukraine")}
VARIANTS = [  # (name, options, scenario changes)
    ("as shipped (all_pairs, program, clauses, stakeholders, cap 20)", Options(), {}),
    ("probability as printed (share)", Options(readings=Readings(probability="share")), {}),
    ("selection as written (text)", Options(readings=Readings(selection="text")), {}),
    ("both as printed (share, text)", Options(readings=Readings(probability="share", selection="text")), {}),
    ("q = 0.5 (Bueno de Mesquita's other choice)", Options(readings=Readings(q=0.5)), {}),
    ("only the parties at the table", Options(participants="table"), {}),
    ("a demand is one issue", Options(issues="demands"), {}),
    ("round cap 10", Options(max_rounds=10), {}),
    ("round cap 21 (the other phase of a 2-cycle)", Options(max_rounds=21), {}),
    ("round cap 40", Options(max_rounds=40), {}),
    ("equal capabilities (all 1)", Options(), EQUAL),
    ("Russia's capability 3", Options(), {"actors.russia.capability": 3.0}),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenarios", nargs="*", default=[ROOT / "scenarios" / "full_agenda.toml",
                                                      ROOT / "scenarios" / "accession_excluded.toml"])
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=20211217)
    args = ap.parse_args()
    if len(args.scenarios) != 2:
        ap.error("give two scenarios (A and B) or none")
    base = [load_scenario(p) for p in args.scenarios]
    names = [sc.name for sc in base]
    print(f"{args.runs:,} runs, seed {args.seed}; share of runs whose forecast package is deal-compatible "
          f"(Wilson 95%), and B - A on the same runs (Newcombe's paired interval)\n")
    print(f"  {'variant':<62} {names[0]:<22} {names[1]:<22} {'B - A':<24} accession forecast > 0 in A")
    for label, options, changes in VARIANTS:
        verdicts, accession = [], None
        for k, sc in enumerate(base):
            comp = Compiled.from_scenario(apply(sc, changes, "sensitivity") if changes else sc)
            lay = comp.layout
            p = params_for_runs(comp, args.seed, 0, args.runs)
            fc, v = answer(lay, p, options)
            verdicts.append(v)
            if k == 0:
                cols = [lay.clauses.index(c) for c in ("us.4a", "nato.6") if c in lay.clauses]
                accession = (fc.forecast[:, cols] > 0).any(axis=1).mean() if cols else float("nan")
                first = lay
        a, b = (v.compatible for v in verdicts)
        d = paired_proportion_difference(a, b)
        print(f"  {label:<62} {proportion(int(a.sum()), len(a)).fmt():<22} {proportion(int(b.sum()), len(b)).fmt():<22} "
              f"{d.fmt(signed=True).replace('%', ' pp', 1):<24} {accession:.2%}")
        top = Counter(verdicts[0].labels(first)).most_common(3)
        print(f"  {'':<62} why not in A: " + "; ".join(f"{k or 'compatible'} {n / len(a):.0%}" for k, n in top))


if __name__ == "__main__":
    main()
