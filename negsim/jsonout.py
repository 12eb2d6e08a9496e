"""`run --json` and `compare --json`: one JSON document on stdout instead of the text, for
programs (README, "Machine-readable output", lists the keys).  Light: imported only with --json."""

from __future__ import annotations

import json
import math

FORMAT = "negsim-summary/1"


def _num(v):
    """JSON has no NaN or infinity: null instead."""
    return None if isinstance(v, float) and not math.isfinite(v) else v


def estimate(e) -> dict:
    return {"value": _num(float(e.value)), "low": _num(float(e.low)), "high": _num(float(e.high))}


def run_summary(name: str, args, horizon_day: float, metrics, summary, out, files) -> str:
    doc = {"format": FORMAT, "command": "run", "scenario": name, "runs": args.runs, "seed": args.seed,
           "engine": args.engine, "horizon_day": horizon_day,
           "shares": {m: estimate(summary[m]) for m in metrics},
           "median_rounds": estimate(summary["median rounds"]),
           "median_rounds_to_agreement": estimate(summary["median rounds to agreement"]),
           "out": str(out), "files": files}
    return json.dumps(doc, indent=1)


def compare_summary(names, args, horizon_day: float, metrics, sums, table, answers, out, files) -> str:
    rows = [{k: _num(v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in table.to_dict("records")]
    doc = {"format": FORMAT, "command": "compare", "scenarios": list(names), "runs": args.runs, "seed": args.seed,
           "engine": args.engine, "horizon_day": horizon_day,
           "shares": {n: {m: estimate(s[m]) for m in metrics if m in s} for n, s in zip(names, sums)},
           "differences": rows, "answers": answers, "out": str(out), "files": files}
    return json.dumps(doc, indent=1)
