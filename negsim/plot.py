"""`negsim plot RESULTS... --kind KIND --out FILE`: one figure from results files (negsim/inputs.py
reads them) or from a sweep table (map, lines, sensitivity).  The file is written atomically
(storage.outdir.write_into), so a failure leaves nothing half written."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib.pyplot as plt

from analysis import plots
from analysis.plots import short
from storage.manifest import read_manifest
from storage.outdir import write_into
from storage.text import plural, term_line

from .grammar import PLOT_SWEEP_KINDS
from .inputs import load_results, read_table

FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def _out_format(out: Path) -> str:
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise ValueError(f"--out {term_line(out)}: use a .png, .svg or .pdf file name")
    return fmt


def _sweep_title(meta: dict, text: str, points: int | None = None) -> str:
    """The plot title plus the scenario, design and runs per point the sweep file records."""
    sweep = meta.get("sweep") if isinstance(meta.get("sweep"), dict) else {}
    bits = []
    if meta.get("scenario"):
        bits.append(f"scenario {short(str(meta['scenario']))}")
    if sweep.get("sampler"):
        bits.append(f"{sweep['sampler']} design" + (f", {plural(points, 'point')}" if points else ""))
    runs = sweep.get("runs") or meta.get("n_runs")
    if isinstance(runs, int) and not isinstance(runs, bool) and runs > 0:
        bits.append(f"{plural(runs, 'run')} per point")
    return f"{text}\n{'; '.join(bits)}" if bits else text


def _sweep_figure(args):
    path = args.results[0]
    if len(args.results) != 1:
        raise ValueError(f"--kind {args.kind} takes one sweep table, got {len(args.results)} files")
    if path.is_dir():  # a sweep folder: the table its manifest lists
        want = "indices.parquet" if args.kind == "sensitivity" else "sweep.parquet"
        m = read_manifest(path)
        if m is None or want not in {f["name"] for f in m["files"]}:
            raise ValueError(f"{term_line(path)}: no {want} listed in its manifest.json"
                             + (" (sensitivity indices come from sobol and morris sweeps)" if m else ""))
        path = path / want
    table, meta = read_table(path)
    if args.kind == "sensitivity":
        if not {"metric", "parameter", "index", "value"} <= set(table.columns):
            raise ValueError(f"{path}: --kind sensitivity needs the indices.parquet of a Sobol or Morris sweep; this "
                             "table holds no sensitivity indices (an LHS or grid sweep has none: try --kind lines or map)")
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
    fmt = _out_format(args.out)
    if args.kind in PLOT_SWEEP_KINDS:
        try:
            fig = _sweep_figure(args)
        except (KeyError, AttributeError, TypeError, IndexError) as exc:  # a table of another shape
            raise ValueError(f"{term_line(args.results[0])}: not a table of the kind --kind {args.kind} reads "
                             f"({type(exc).__name__}: {term_line(exc, 120)})") from None
        except ValueError as exc:
            where = term_line(args.results[0])
            raise ValueError(str(exc) if str(exc).startswith(where) else f"{where}: {exc}") from None
    else:
        results = load_results(args.results, trace=True if args.kind == "trajectories" else False)
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
    write_into(args.out, buf.getvalue(), by="plot")
    print(f"wrote {term_line(args.out)} ({args.kind})")
    return 0
