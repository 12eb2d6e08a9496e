"""Expected-utility model benchmark (run by hand; not a pass/fail test).

    .venv/bin/python benchmarks/bench_bdm.py

10,000 runs of the expected-utility model (sim/bdm) on the headline scenario, full_agenda, on
one core: drawing the runs' parameters (the baseline, which the agent-based model needs too),
then building the games, playing them to a stable position or the round cap, and judging the
forecast packages. Each figure is the median of several repeats in one process, so the ratios
are against a baseline measured in the same run on the same machine. Target: the model itself
(games, play, verdict) under 2 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.bdm import Options, judge  # noqa: E402
from sim.bdm.challenge import play  # noqa: E402
from sim.bdm.issues import build_games, forecast  # noqa: E402
from sim.engine import Compiled, params_for_runs  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

SCENARIO = ROOT / "scenarios" / "full_agenda.toml"
SEED = 20211217
TARGET = 2.0


def median_time(fn, repeats: int) -> float:
    return statistics.median(timeit.repeat(fn, number=1, repeat=repeats))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    comp = Compiled.from_scenario(load_scenario(SCENARIO))
    lay, n, opt = comp.layout, args.runs, Options()
    t_draw = median_time(lambda: params_for_runs(comp, SEED, 0, n), args.repeats)
    p = params_for_runs(comp, SEED, 0, n)
    t_games = median_time(lambda: build_games(lay, p, opt), args.repeats)
    games, _ = build_games(lay, p, opt)
    t_play = median_time(lambda: play(games, opt.readings, opt.max_rounds), args.repeats)
    fc = forecast(lay, p, opt)
    t_judge = median_time(lambda: judge(lay, p, fc.package), args.repeats)
    t_model = t_games + t_play + t_judge
    out = play(games, opt.readings, opt.max_rounds)
    print(f"scenario {lay.scenario.name}: {n:,} runs x {lay.n_clauses} issues = {len(out.rounds):,} games, "
          f"root seed {SEED}, one core, median of {args.repeats} repeats")
    print(f"  mean rounds per game {out.rounds.mean():.2f}; positions stable before the cap of "
          f"{opt.max_rounds} in {out.converged.mean():.1%} of games\n")
    rows = [("draw the runs' parameters (baseline)", t_draw), ("build the games", t_games),
            ("play them", t_play), ("judge the forecast packages", t_judge),
            ("the model (games + play + verdict)", t_model), ("with the draws", t_model + t_draw)]
    for name, t in rows:
        print(f"  {name:<40} {t:7.3f} s   {t / t_draw:6.1f} x the baseline")
    verdict = "meets" if t_model < TARGET else "misses"
    print(f"\n  the model {verdict} the target of {TARGET:g} s for {n:,} runs ({t_model:.2f} s)")


if __name__ == "__main__":
    main()
