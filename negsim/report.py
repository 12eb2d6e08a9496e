"""`negsim plot RESULTS... --kind KIND --out FILE` and `negsim report RESULTS... --out report.html`.

RESULTS are per-run tables written by `negsim run` (runs.parquet) or `negsim compare`
(runs_<scenario>.parquet), or a folder holding them; a trace written with --trace is picked up
from beside its runs file (runs_X.parquet -> trace_X.parquet).  Sweep kinds (map, lines,
sensitivity) take one sweep table (Parquet or CSV) instead.  Output files are written to a
temporary name and renamed, so a failure leaves nothing half written.

Module import stays light (it runs at CLI start-up): pandas and matplotlib load in the commands.
"""

from __future__ import annotations

import argparse
from pathlib import Path

RUN_KINDS = {
    "outcomes": "outcome shares with 95% intervals",
    "incidence": "cumulative incidence of agreement and walkout, and share still talking, over days",
    "rounds": "histogram of rounds played, by outcome",
    "clauses": "heatmap: clause by agreed value, with the parties' ideal points",
    "trajectories": "parties' positions over rounds (median, 50% and 90% bands); needs --trace output",
    "concessions": "how far each party conceded on each clause",
    "blocking": "who walked out, by which rule, over which clause",
}
SWEEP_KINDS = {
    "map": "sweep table: 2-D map of --metric over --x and --y, with contours",
    "lines": "sweep table: --metric against --x with its band",
    "sensitivity": "sensitivity-index table: bars with 95% intervals for --metric",
}
FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def register(sub) -> None:
    from .cli import DEFAULT_SEED

    kinds = "; ".join(f"{k}: {v}" for k, v in {**RUN_KINDS, **SWEEP_KINDS}.items())
    p = sub.add_parser("plot", help="one figure from results files (or a sweep table)",
                       description=f"Draw one figure. Kinds: {kinds}.")
    p.add_argument("results", type=Path, nargs="+", metavar="RESULTS",
                   help="runs file(s) or folder(s) (several scenarios share one figure); for map/lines/"
                   "sensitivity, one sweep table (.parquet or .csv)")
    p.add_argument("--kind", required=True, choices=list(RUN_KINDS) + list(SWEEP_KINDS), metavar="KIND",
                   help="one of: " + ", ".join(list(RUN_KINDS) + list(SWEEP_KINDS)))
    p.add_argument("--out", type=Path, required=True, help="output file: .png, .svg or .pdf")
    p.add_argument("--x", help="sweep parameter on the x axis (dotted path, e.g. actors.russia.outside_option)")
    p.add_argument("--y", help="sweep parameter on the y axis (map)")
    p.add_argument("--metric", help="sweep metric (default p_persist, or the first the table holds)")
    p.add_argument("--value", choices=("position", "aspiration", "best_offer"), default="position",
                   help="trajectories: what to follow over rounds (default position)")
    p.add_argument("--by-actor", action="store_true", help="incidence: split walkouts by who walked out")
    p.set_defaults(func=cmd_plot)

    r = sub.add_parser("report", help="one self-contained HTML report (tables and figures) of results files",
                       description="Write one HTML file with the question, each scenario's assumptions and "
                       "provenance, the tables and the figures embedded; it opens from disk with no server and no "
                       "network. Differences are taken between the first two scenarios (B - A = second - first).")
    r.add_argument("results", type=Path, nargs="+", metavar="RESULTS",
                   help="runs files or folders, one per scenario (e.g. the two files of a compare, A first)")
    r.add_argument("--out", type=Path, help="output HTML file (default: report.html beside the first results file)")
    r.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"bootstrap seed (default {DEFAULT_SEED})")
    r.set_defaults(func=cmd_report)


def runs_files(paths: list[Path]) -> list[Path]:
    """Expand folders: runs.parquet, or the runs_*.parquet of a compare in the order they were
    written (A before B)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            if (p / "runs.parquet").exists():
                out.append(p / "runs.parquet")
                continue
            found = sorted(p.glob("runs_*.parquet"), key=lambda f: (f.stat().st_mtime_ns, f.name))
            if not found:
                raise ValueError(f"{p}: no runs.parquet or runs_*.parquet in this folder")
            out.extend(found)
        elif not p.exists():
            raise ValueError(f"{p}: file not found")
        else:
            out.append(p)
    return out


def _load(paths: list[Path], trace: bool | None):
    from analysis.outcomes import load

    results = []
    for f in runs_files(paths):
        try:
            results.append(load(f, trace=trace))
        except ValueError as exc:
            msg = str(exc)
            if "expected 'negsim-runs" in msg:
                msg += " (for a sweep table use --kind map, lines or sensitivity)"
            raise ValueError(msg) from None
    names = [r.name for r in results]
    if len(set(names)) != len(names):
        raise ValueError(f"the same scenario appears twice among {', '.join(map(str, paths))}")
    return results


def _out_format(out: Path) -> str:
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise ValueError(f"--out {out}: use a .png, .svg or .pdf file name")
    return fmt


def read_table(path: Path):
    """A sweep or sensitivity table (Parquet or CSV) and the negsim metadata it carries, if any."""
    import json

    import pandas as pd

    if not path.exists():
        raise ValueError(f"{path}: file not found")
    meta = {}
    try:
        if path.suffix.lower() == ".csv":
            table = pd.read_csv(path)
        else:
            import pyarrow.parquet as pq

            t = pq.read_table(path)
            raw = (t.schema.metadata or {}).get(b"negsim")
            meta = json.loads(raw) if raw else {}
            table = t.to_pandas()
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable table ({exc})") from None
    return table, meta


def _sweep_title(meta: dict, text: str, points: int | None = None) -> str:
    """The plot title plus the scenario, design and runs per point the sweep file records."""
    sweep = meta.get("sweep") or {}
    bits = []
    if meta.get("scenario"):
        bits.append(f"scenario {meta['scenario']}")
    if sweep.get("sampler"):
        bits.append(f"{sweep['sampler']} design" + (f", {points:,} points" if points else ""))
    runs = sweep.get("runs") or meta.get("n_runs")
    if runs:
        bits.append(f"{int(runs):,} runs per point")
    return f"{text}\n{'; '.join(bits)}" if bits else text


def _sweep_figure(args):
    from analysis import plots

    path = args.results[0]
    if len(args.results) != 1:
        raise ValueError(f"--kind {args.kind} takes one sweep table, got {len(args.results)} files")
    table, meta = read_table(path)
    if args.kind == "sensitivity":
        metrics = list(dict.fromkeys(table["metric"])) if "metric" in table else []
        metric = args.metric or ("p_persist" if "p_persist" in metrics else (metrics[0] if metrics else ""))
        fig = plots.sensitivity_bars(table, metric)
        fig.axes[0].set_title(_sweep_title(meta, fig.axes[0].get_title()), fontsize=10)
        return fig
    params = plots.parameters_of(table)
    metrics = plots.metrics_of_sweep(table)
    if not params:
        raise ValueError(f"{path}: no parameter columns (dotted paths such as actors.russia.outside_option); "
                         "is this a sweep table?")
    metric = args.metric or ("p_persist" if "p_persist" in metrics else (metrics[0] if metrics else ""))
    varying = [p for p in params if table[p].nunique() > 1]
    x = args.x or (varying[0] if len(varying) in (1, 2) else None)
    if x is None:
        raise ValueError(f"--x is needed: the sweep varies {', '.join(varying)}")
    if args.kind == "lines":
        fig = plots.sweep_lines(table, x, metric)
    else:
        rest = [p for p in varying if p != x]
        y = args.y or (rest[0] if len(rest) == 1 else None)
        if y is None:
            raise ValueError(f"--y is needed: the sweep varies {', '.join(varying) or 'no parameter'}")
        fig = plots.sweep_map(table, x, y, metric)
    ax = fig.axes[0]
    ax.set_title(_sweep_title(meta, ax.get_title(), len(table)), fontsize=10)
    return fig


def cmd_plot(args) -> int:
    import io

    import matplotlib.pyplot as plt

    from analysis import plots
    from analysis.report import write_atomic

    fmt = _out_format(args.out)
    if args.kind in SWEEP_KINDS:
        fig = _sweep_figure(args)
    else:
        results = _load(args.results, trace=True if args.kind == "trajectories" else False)
        if args.kind == "trajectories":
            fig = plots.trajectories_figure(results, args.value)
        elif args.kind == "incidence":
            fig = plots.incidence_figure(results, by_actor=args.by_actor)
        else:
            fig = plots.FIGURES[args.kind](results)
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format=fmt, dpi=120)
    finally:
        plt.close(fig)
    write_atomic(args.out, buf.getvalue())
    print(f"wrote {args.out} ({args.kind})")
    return 0


def cmd_report(args) -> int:
    from analysis import report

    files = runs_files(args.results)
    out = args.out or files[0].parent / "report.html"
    if out.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"--out {out}: the report is an .html file")
    results = _load(args.results, trace=None)
    text = report.render(results, args.seed)
    report.write_atomic(out, text)
    traced = sum(r.trace is not None for r in results)
    print(f"wrote {out}: {len(results)} scenario(s) ({', '.join(r.label for r in results)}); "
          f"{traced} with a trace; {len(text.encode()) / 1024:,.0f} kB, self-contained")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """A parser with only `plot` and `report` (for tests and until negsim.cli registers them)."""
    p = argparse.ArgumentParser(prog="negsim")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    register(sub)
    return p
