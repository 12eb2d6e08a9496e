"""`negsim elicit TABLE --scenario S --out OVERLAY.toml`: expert judgements in, a scenario out.

Reads the elicitation table (CSV: analysis/elicitation_table.py; scenarios/elicitation/
template.csv), fits one distribution per expert per quantity, pools the experts (equal weights,
or Cooke's classical model when the table has seed questions) and writes an overlay that
`extends` S and a `sources.toml` entry beside it that the overlay's numbers cite.  The overlay
is loaded like any scenario before it is put in place, so what is written validates.
"""

from __future__ import annotations

import datetime
import os
import re
import sys
from pathlib import Path

from analysis.elicitation import OVERLAY_MARK, catalogue_entry, elicit, overlay_text, source_id, with_entry
from analysis.elicitation_fit import KINDS
from analysis.elicitation_table import read_table
from analysis.outcomes import describe
from sim.scenario import CATALOGUE, NAME_PATTERN, SHIPPED, load_catalogue, load_scenario
from storage.atomic import write_atomic
from storage.text import term_line

from .common import UsageError

MIN_SEEDS = 10  # Cooke and Goossens (2008): panels usually answer 10 or more seed questions


def _check_out(args, scenario_path: Path) -> str:
    """What --out must be; returns S's path relative to the overlay's folder."""
    out = args.out
    if out.suffix != ".toml":
        raise UsageError(f"--out {out}: the overlay is a .toml scenario file")
    folder = out.parent.resolve()
    if folder == SHIPPED:
        raise UsageError(f"--out {out}: write the overlay outside the shipped scenarios/ folder (its sources.toml is "
                         "the project's own catalogue); a folder of your own, e.g. elicited/")
    if out.is_dir():
        raise UsageError(f"--out {out}: a folder; give the overlay's file name, e.g. {out}/overlay.toml")
    if out.exists() and not args.force:
        first = out.read_text("utf-8", errors="replace").split("\n", 1)[0]
        if not first.startswith(OVERLAY_MARK):
            raise UsageError(f"--out {out}: exists and was not written by negsim elicit; give another name or --force")
    target = scenario_path.resolve()
    if not (target.is_relative_to(folder) or target.is_relative_to(SHIPPED)):
        raise UsageError(f"--out {out}: the overlay extends {scenario_path} by a relative path, and a scenario may "
                         "extend only files in its own folder (or below it) or the shipped scenarios/; write the "
                         "overlay in that scenario's folder or above it")
    return os.path.relpath(target, folder).replace(os.sep, "/")


def _name(args, sc) -> str:
    name = args.name or f"{sc.name}-elicited"[-80:].lstrip("._-")
    if not NAME_PATTERN.fullmatch(name):
        raise UsageError(f"--name {name!r}: 1-80 letters, digits, '.', '_' or '-', starting with a letter or digit")
    return name


def _date(text: str | None) -> str:
    if text is None:
        return datetime.date.today().isoformat()
    if not re.fullmatch(r"\d{4}(-\d{2}){0,2}", text):
        raise UsageError(f"--date {text!r}: an ISO date, YYYY-MM-DD (or YYYY-MM, YYYY)")
    return text


def cmd_elicit(args) -> int:
    if args.kind is not None and args.kind not in KINDS:
        raise UsageError(f"--kind {args.kind!r}: one of {', '.join(KINDS)}")
    if args.alpha is not None and not 0.0 <= args.alpha <= 1.0:
        raise UsageError(f"--alpha {args.alpha:g}: a calibration score, in [0, 1]")
    date = _date(args.date)
    extends = _check_out(args, args.scenario)
    sc = load_scenario(args.scenario)
    name = _name(args, sc)
    table = read_table(args.table, sc)
    el = elicit(table, args.kind, args.pool, args.alpha)
    sid = source_id(args.table.name)
    label = re.sub(r"[\x00-\x1f\x7f]", "?", os.path.relpath(args.table.resolve(), args.out.parent.resolve()).replace(os.sep, "/"))
    text = overlay_text(el, extends, name, sid, label)
    _write_checked(args.out, text, sid, catalogue_entry(el, sid, label, date), with_entry, load_scenario)
    for line in _summary(el, args.out, extends, sid):
        print(term_line(line, 4000))
    seeds = len({j.key for j in table.seeds})
    if el.model is not None and seeds < MIN_SEEDS:
        print(f"negsim: warning: {seeds} seed questions; Cooke's calibration score has little power with fewer than "
              f"about {MIN_SEEDS} (the weights then rest more on information than on calibration)", file=sys.stderr)
    return 0


def _write_checked(out: Path, text: str, sid: str, entry: str, with_entry, load_scenario) -> None:
    """Put the catalogue entry in place, load the overlay from a hidden name beside it, and only
    then rename it into place; if it does not load, the old catalogue comes back and the
    message names the overlay."""
    catalogue = out.parent / CATALOGUE
    old = catalogue.read_text("utf-8") if catalogue.exists() else None
    out.parent.mkdir(parents=True, exist_ok=True)
    probe = out.parent / f".{out.name}.negsim-check.toml"
    try:
        write_atomic(probe, with_entry(old or "", sid, entry))
        load_catalogue(probe)  # the catalogue as it will be, checked before it replaces the old one
        write_atomic(catalogue, probe.read_bytes())
        write_atomic(probe, text)
        load_scenario(probe)
        os.replace(probe, out)
    except (ValueError, OSError) as exc:
        if old is None:
            catalogue.unlink(missing_ok=True)
        else:
            write_atomic(catalogue, old)
        if isinstance(exc, OSError):
            raise
        raise ValueError(f"the overlay would not load, so nothing was written: {str(exc).replace(str(probe), str(out))}") from None
    finally:
        probe.unlink(missing_ok=True)


def _summary(el, out: Path, extends: str, sid: str) -> list[str]:
    t = el.table
    seeds = len({j.key for j in t.seeds})
    lines = [f"{t.path}: {len(t.experts)} experts, {len(el.keys)} quantities, {seeds} seed questions"]
    if el.model is not None:
        m = el.model
        how = "chosen to maximise the decision maker's score" if m.alpha_optimised else "as given"
        lines.append(f"Cooke's classical model, cut-off alpha = {m.alpha:.3g} ({how}):")
        lines.append(f"  {'expert':<16} {'calibration':>12} {'information':>12} {'weight':>8}")
        for e, c, i, w in zip(t.experts, m.calibration, m.information, m.weights):
            lines.append(f"  {e:<16} {c:>12.3g} {i:>12.3g} {w:>8.3f}")
        lines.append(f"  {'decision maker':<16} {m.dm_calibration:>12.3g} {m.dm_information:>12.3g}")
    else:
        lines.append("equal-weight linear pool (no seed questions, or --pool equal)")
    lines.append("fits: the fitted CDF at each expert's 5/50/95% points (targets 0.05, 0.50, 0.95), its largest error, "
                 "and the other kinds' largest errors")

    for k in el.keys:
        lines.append(f"  {k.path}")
        for f, w in zip(k.fits, k.weights):
            cdf = " ".join(f"{c:.3f}" for c in f.fit.cdf)
            others = ", ".join(f"{x.kind} {x.error:.3f}" for x in f.tried if x.kind != f.fit.kind)
            lines.append(f"    {f.judgement.expert} (row {f.judgement.row}, weight {w:.3f}): {describe(f.fit.param)}; "
                         f"CDF {cdf}, error {f.fit.error:.3f}" + (f" ({others})" if others else ""))
        q = k.quantiles
        lines.append(f"    pooled: {'mixture of ' + str(len(k.param.components)) if k.param.kind == 'mixture' else k.param.kind}, "
                     f"5/50/95% = {q[0]:.4g}, {q[1]:.4g}, {q[2]:.4g}")
    lines.append(f"wrote {out} (extends {extends}) and {out.parent / 'sources.toml'} (entry {sid}); check it with "
                 f"negsim validate {out} --provenance")
    return lines
