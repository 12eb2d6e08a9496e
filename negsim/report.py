"""`negsim plot RESULTS... --kind KIND --out FILE` and `negsim report RESULTS... --out report.html`.

RESULTS are per-run tables written by `negsim run` (runs.parquet) or `negsim compare`
(runs_<scenario>.parquet), or a folder holding them: a folder is read through its manifest.json,
exactly the runs files the command that owns it wrote (A before B); a trace written with --trace
is picked up from beside its runs file (runs_X.parquet -> trace_X.parquet) only if the manifest
lists it.  Sweep kinds (map, lines, sensitivity) take one sweep table (Parquet or CSV) instead.
Output files are written atomically (storage.atomic), so a failure leaves nothing half written.

Module import stays light (it runs at CLI start-up): pandas and matplotlib load in the commands.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from storage.outdir import plural

from .common import check_seed, folder_arg

RUN_KINDS = {
    "outcomes": "outcome shares with 95% intervals",
    "incidence": "cumulative incidence of agreement and walkout, and share still talking, over days",
    "rounds": "histogram of rounds played, by outcome",
    "clauses": "heatmap: clause by agreed value, with the parties' ideal points",
    "trajectories": "parties' positions over rounds (median, 50% and 90% bands); needs --trace output",
    "concessions": "how far each party conceded on each clause",
    "blocking": "who walked out, by which rule, and the demand on which it stood furthest short (a description)",
}
SWEEP_KINDS = {
    "map": "sweep table: 2-D map of --metric over --x and --y, with contours",
    "lines": "sweep table: --metric against --x with its band",
    "sensitivity": "sensitivity-index table: bars with 95% intervals for --metric",
}
FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def register(sub) -> None:
    from analysis.study import DEFAULT_SEED

    kinds = "; ".join(f"{k}: {v}" for k, v in {**RUN_KINDS, **SWEEP_KINDS}.items())
    p = sub.add_parser("plot", help="one figure from results files (or a sweep table)",
                       description=f"Draw one figure. Kinds: {kinds}.")
    p.add_argument("results", type=Path, nargs="+", metavar="RESULTS",
                   help="runs file(s) or folder(s) (several scenarios share one figure); for map/lines/"
                   "sensitivity, one sweep table (.parquet or .csv)")
    p.add_argument("--kind", required=True, choices=list(RUN_KINDS) + list(SWEEP_KINDS), metavar="KIND",
                   help="one of: " + ", ".join(list(RUN_KINDS) + list(SWEEP_KINDS)))
    p.add_argument("--out", type=folder_arg, required=True, help="output file: .png, .svg or .pdf")
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
    r.add_argument("--out", type=folder_arg, help="output HTML file (default: report.html beside the first results file)")
    r.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"bootstrap seed (default {DEFAULT_SEED})")
    r.add_argument("--explain", type=Path, metavar="FOLDER",
                   help="a `negsim explain` output folder: adds the section 'What would change the outcome'")
    r.add_argument("--channels", type=Path, metavar="FOLDER",
                   help="a `negsim channels` output folder: adds the section 'The answer per channel of the agenda'")
    r.add_argument("--sweep", type=Path, metavar="DIR", help="a Sobol sweep's folder (or its indices.parquet): the "
                   "answer's provenance shares are weighted by its total-order indices, and its top inputs reweighted")
    r.add_argument("--prior-from", type=Path, metavar="OVERLAY.toml",
                   help="an elicited overlay (negsim elicit): the headline reweighted to its priors, side by side")
    r.set_defaults(func=cmd_report)


def runs_files(paths: list[Path]) -> list[Path]:
    """Expand folders through their manifest: runs.parquet, or the runs_*.parquet of a compare in
    the order they were written (A before B)."""
    from storage.manifest import manifest_runs
    from storage.text import term_line

    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(manifest_runs(p))
        elif not p.exists():
            raise ValueError(f"{term_line(p)}: file not found")
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
        from storage.outdir import term_line

        raise ValueError(f"the same scenario appears twice among {term_line(', '.join(map(str, paths)))}")
    return results


def _out_format(out: Path) -> str:
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        from storage.outdir import term_line

        raise ValueError(f"--out {term_line(out)}: use a .png, .svg or .pdf file name")
    return fmt


def read_table(path: Path):
    """A sweep or sensitivity table (Parquet or CSV) and the negsim metadata it carries, if any."""
    import hashlib
    import json

    import pandas as pd
    import pyarrow as pa

    from storage.manifest import verify_listed
    from storage.text import printable, term_line

    if not path.exists():
        raise ValueError(f"{term_line(path)}: file not found")
    if not path.is_file():
        raise ValueError(f"{term_line(path)}: not a file (give the sweep table itself, e.g. sweep.parquet)")
    verify_listed(path)  # in an output folder, only the files its manifest lists (unchanged)
    meta = {}
    try:
        if path.suffix.lower() == ".csv":
            table = pd.read_csv(path)
        else:
            import pyarrow.parquet as pq

            from storage.resultsfile import DATA_SHA_KEY, META_SHA_KEY, DataDigest

            t = pq.read_table(path, page_checksum_verification=True)
            kv = t.schema.metadata or {}
            raw = kv.get(b"negsim")
            if raw is not None and kv.get(META_SHA_KEY, hashlib.sha256(raw).hexdigest().encode()) != \
                    hashlib.sha256(raw).hexdigest().encode():
                raise ValueError("metadata 'negsim': its SHA-256 differs from the one written with it: damaged")
            if kv.get(DATA_SHA_KEY) is not None:
                d = DataDigest()
                d.update(t)
                if d.hexdigest().encode() != kv[DATA_SHA_KEY]:
                    raise ValueError("data checksum (negsim_data_sha256) does not match the data: damaged")
            meta = json.loads(raw) if raw else {}
            table = t.to_pandas()
    except (OSError, ValueError, UnicodeDecodeError, pa.ArrowException) as exc:
        raise ValueError(f"{term_line(path)}: not a readable table ({term_line(exc, 200)})") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{term_line(path)}: metadata 'negsim': a JSON {type(meta).__name__}, expected a JSON object")
    if len(table) == 0:
        raise ValueError(f"{term_line(path)}: no rows")
    texts = [str(c) for c in table.columns] + [v for c in table.columns if table[c].dtype == object
                                                for v in table[c].dropna().unique() if isinstance(v, str)]
    bad = next((t for t in texts if not printable(t)), None)
    if bad is not None:  # labels go into figures: an escape sequence would reach the terminal through warnings
        raise ValueError(f"{term_line(path)}: {term_line(bad, 80)!r} holds control or format characters; a sweep "
                         "table's names and labels are scenario keys and ids")
    return table, meta


def _sweep_title(meta: dict, text: str, points: int | None = None) -> str:
    """The plot title plus the scenario, design and runs per point the sweep file records."""
    from analysis.plots import short

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
    from analysis import plots

    path = args.results[0]
    if len(args.results) != 1:
        raise ValueError(f"--kind {args.kind} takes one sweep table, got {len(args.results)} files")
    if path.is_dir():  # a sweep folder: the table its manifest lists
        from storage.manifest import read_manifest
        from storage.text import term_line

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
    import io

    import matplotlib.pyplot as plt

    from analysis import plots
    from storage.outdir import term_line, write_into

    fmt = _out_format(args.out)
    if args.kind in SWEEP_KINDS:
        try:
            fig = _sweep_figure(args)
        except (KeyError, AttributeError, TypeError, IndexError) as exc:  # a table of another shape
            raise ValueError(f"{term_line(args.results[0])}: not a table of the kind --kind {args.kind} reads "
                             f"({type(exc).__name__}: {term_line(exc, 120)})") from None
        except ValueError as exc:
            where = term_line(args.results[0])
            raise ValueError(str(exc) if str(exc).startswith(where) else f"{where}: {exc}") from None
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
    write_into(args.out, buf.getvalue(), by="plot")
    print(f"wrote {term_line(args.out)} ({args.kind})")
    return 0


def cmd_report(args) -> int:
    from analysis import report
    from storage.outdir import check_target, term_line, write_into

    check_seed(args.seed)
    files = runs_files(args.results)
    out = args.out or files[0].parent / "report.html"
    if out.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"--out {term_line(out)}: the report is an .html file")
    check_target(out, explicit=args.out is not None)  # before the work: never replace a user's own report.html
    results = _load(args.results, trace=None)
    explain = _explain(args.explain) if args.explain else None
    channels = _channels(args.channels) if args.channels else None
    text = _render_with_progress(report, results, args, explain, _priors(args), channels)
    write_into(out, text, by="report", explicit=args.out is not None)
    traced = sum(r.trace is not None for r in results)
    print(f"wrote {term_line(out)}: {plural(len(results), 'scenario')} "
          f"({term_line(', '.join(r.label for r in results), 400)}); "
          f"{traced} with a trace; {len(text.encode()) / 1024:,.0f} kB, self-contained")
    return 0


def _priors(args):
    """The elicited overlay and the sweep's indices the report was given (analysis/report_priors.py)."""
    from analysis.report_priors import PriorInputs
    from sim.scenario import load_scenario

    overlay = load_scenario(args.prior_from) if args.prior_from else None
    indices = None
    if args.sweep:
        path = args.sweep / "indices.parquet" if args.sweep.is_dir() else args.sweep
        indices, _ = read_table(path)
        if not {"metric", "parameter", "index", "value"} <= set(indices.columns):
            raise ValueError(f"--sweep {args.sweep}: not the indices.parquet of a Sobol sweep")
    return PriorInputs(overlay, str(args.prior_from or ""), indices, str(args.sweep or ""))


def _render_with_progress(report, results, args, explain, priors, channels=None) -> str:
    """report.render with a progress bar naming the step under way (it can take a minute)."""
    import sys

    from tqdm import tqdm

    from storage.outdir import term_line

    from .common import say_first

    say_first(term_line(f"writing the report of {', '.join(r.label for r in results)}", 400))
    with tqdm(total=report.REPORT_STEPS, unit="step", disable=not sys.stderr.isatty(), leave=False,
              bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} {postfix}") as bar:
        started = []

        def step(name: str) -> None:
            if started:  # the step before this one is done
                bar.update(1)
            started.append(name)
            bar.set_postfix_str(name)

        text = report.render(results, args.seed, explain=explain, priors=priors, progress=step, channels=channels)
        bar.update(len(started) and 1)
    return text


def _explain(folder: Path):
    """The explain table of a `negsim explain` folder and what was explained."""
    need = {"metric", "player", "alone", "alone_low", "alone_high", "shapley", "shapley_low", "shapley_high"}
    explain, meta = _folder_table(folder, "explain", "explain.parquet", need)
    names = " and ".join(str(x.get("name", "?")) for x in meta.get("scenarios", []))
    runs = meta.get("runs")
    runs = f"{runs:,}" if isinstance(runs, int) else "?"
    return explain, f"{names}, {runs} runs per coalition, seed {meta.get('seed', '?')}"


def _channels(folder: Path):
    """The table of a `negsim channels` folder and what was run."""
    need = {"channel", "metric", "a", "b", "difference", "low", "high"}
    channels, meta = _folder_table(folder, "channels", "channels.parquet", need)
    names = " - ".join(str(x.get("name", "?")) for x in reversed(meta.get("scenarios", [])))
    runs = meta.get("runs")
    runs = f"{runs:,}" if isinstance(runs, int) else "?"
    return channels, f"{names}, {runs} runs per scenario and channel, seed {meta.get('seed', '?')}"


def _folder_table(folder: Path, command: str, name: str, need: set[str]):
    """A table a negsim command wrote into its output folder, read through the folder's manifest
    (which says what was run and holds the table's checksum), and the manifest's identity."""
    import pandas as pd

    from storage.manifest import OutputError, read_manifest, verify_listed
    from storage.text import term_line

    where = f"--{command} {term_line(folder)}"
    if not folder.is_dir():
        raise ValueError(f"{where}: not a folder; give the output folder of `negsim {command}`")
    try:
        m = read_manifest(folder)
        if m is None or m["identity"].get("command") != command:
            raise ValueError(f"not written by negsim {command} (its manifest.json is missing or names another command)")
        table = folder / name
        verify_listed(table)
        frame = pd.read_parquet(table)
    except (OSError, ValueError) as exc:
        if isinstance(exc, OutputError) or not isinstance(exc, OSError):
            raise ValueError(f"{where}: {term_line(exc, 300)}") from None
        raise ValueError(f"{where}: not a negsim {command} folder ({term_line(exc.strerror or exc, 200)})") from None
    if not need <= set(frame.columns):
        raise ValueError(f"{where}: {name} lacks {sorted(need - set(frame.columns))}")
    return frame, m["identity"]


def build_parser() -> argparse.ArgumentParser:
    """A parser with only `plot` and `report` (for tests and until negsim.cli registers them)."""
    p = argparse.ArgumentParser(prog="negsim")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    register(sub)
    return p
