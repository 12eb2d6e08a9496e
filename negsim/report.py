"""`negsim report RESULTS... --out report.html`: one self-contained HTML report of results files
(negsim/inputs.py reads them; analysis/report.py renders), written atomically."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from analysis import report
from analysis.report_priors import PriorInputs
from sim.scenario import load_scenario
from storage.manifest import OutputError, read_manifest, verify_listed
from storage.outdir import check_target, write_into
from storage.text import plural, term_line

from .common import check_seed, say_first
from .inputs import load_results, read_table, runs_files


def cmd_report(args) -> int:
    check_seed(args.seed)
    files = runs_files(args.results)
    out = args.out or files[0].parent / "report.html"
    if out.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"--out {term_line(out)}: the report is an .html file")
    check_target(out, explicit=args.out is not None)  # before the work: never replace a user's own report.html
    results = load_results(args.results, trace=None)
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
