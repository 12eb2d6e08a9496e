"""The elicitation table (CSV): one row per expert per quantity, checked against a scenario.

Columns (header names, any order; scenarios/elicitation/template.csv shows each one):
    expert       the expert's id (letters, digits, spaces, '.', '_', '-')
    key          a drawn field's dotted scenario path (`actors.russia.outside_option`, as
                 `negsim sweep --param` takes it), or `seed.<name>` for a seed question
    q05 q50 q95  the expert's 5%, 50% and 95% quantiles ...
    min mode max ... or the expert's minimum, most likely value and maximum (a triangular)
    lower upper  optional, with quantiles: the expert's plausible limits; the fit stays inside
                 them (default: the key's allowed range, docs/fields.md)
    realisation  seed questions only, required there: the known true value
    background   seed questions only, optional: uniform (default) or log, the background measure
                 of Cooke's information score
    note         optional free text (the expert's reasoning); not read

Lines whose first cell starts with '#' and empty lines are skipped.  Every problem is one line
naming the file, the row (its line number in the file) and the column.  Keys are resolved by the
sweep's own path resolution (sim/paths.py), so a path means the same thing in both places.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

from sim import schema
from sim.paths import Target, drawn_paths, resolve

from .elicitation_fit import triangular_points

MAX_TABLE_BYTES = 4 << 20
COLUMNS = ("expert", "key", "q05", "q50", "q95", "min", "mode", "max", "lower", "upper", "realisation",
           "background", "note")
QUANTILES, TRIANGLE = ("q05", "q50", "q95"), ("min", "mode", "max")
SEED_PREFIX = "seed."
BACKGROUNDS = ("uniform", "log")
EXPERT_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}")
SEED_PATTERN = re.compile(r"seed\.[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class TableError(ValueError):
    """A problem with the table: '<file>: row N, column C: what is wrong and what is allowed'."""


@dataclass(frozen=True)
class Judgement:
    """One expert's judgement on one quantity (a row of the table)."""

    row: int  # line number in the file
    expert: str
    key: str  # as written: a scenario path or seed.<name>
    stated: tuple[float, float, float]  # the three numbers as the expert gave them
    form: str  # "quantiles" or "min-mode-max"
    low: float  # the support the fit keeps inside
    high: float
    target: Target | None = None  # the scenario quantity (None: a seed question)
    realisation: float | None = None
    log: bool = False  # seed questions: log-uniform background

    @property
    def points(self) -> tuple[float, float, float]:
        """The 5/50/95% values the fit matches: the quantiles, or the triangular's."""
        return self.stated if self.form == "quantiles" else triangular_points(*self.stated)


@dataclass(frozen=True)
class Table:
    path: str
    sha256: str
    experts: tuple[str, ...]  # in order of first appearance
    targets: tuple[Judgement, ...]
    seeds: tuple[Judgement, ...]


class _Reader:
    def __init__(self, path: Path, scenario):
        self.path, self.sc = path, scenario
        self.actors, self.clauses = scenario.actor_ids, scenario.clause_ids
        self.demands = tuple(d.id for d in scenario.demands)
        self._paths: list[str] | None = None

    def err(self, row: int | None, column: str | None, message: str) -> TableError:
        where = ", ".join(x for x in (f"row {row}" if row else "", f"column {column}" if column else "") if x)
        return TableError(f"{self.path}: {where + ': ' if where else ''}{message}")

    # -- cells
    def number(self, cells: dict, row: int, col: str) -> float | None:
        text = cells.get(col, "").strip()
        if not text:
            return None
        try:
            x = float(text)
        except ValueError:
            raise self.err(row, col, f"{_short(text)} is not a number") from None
        if not math.isfinite(x):
            raise self.err(row, col, f"{_short(text)} is not a finite number")
        return x

    def expert(self, cells: dict, row: int) -> str:
        name = cells.get("expert", "").strip()
        if not name:
            raise self.err(row, "expert", "missing: every row names its expert")
        if not EXPERT_PATTERN.fullmatch(name):
            raise self.err(row, "expert", f"{_short(name)} is not allowed: 1-64 letters, digits, spaces, '.', '_' "
                           "or '-', starting with a letter or digit")
        return name

    def target(self, key: str, row: int) -> Target:
        try:
            tg = resolve(key, self.actors, self.clauses, self.sc.agenda.off, self.demands)
        except ValueError:
            if self._paths is None:
                self._paths = drawn_paths(self.actors, self.clauses, self.demands)
            raise self.err(row, "key", f"unknown key {_short(key)}{schema.closest(key, self._paths)} Keys are drawn "
                           "fields of the scenario (docs/fields.md), with its ids, or seed.<name> for a seed "
                           "question") from None
        if tg.field == "cap":
            raise self.err(row, "key", f"{_short(key)} is a cap, a fixed number in a scenario, not drawn from a "
                           "distribution; elicitation sets drawn fields (docs/fields.md, column 'drawn')")
        return tg

    # -- rows
    def judgement(self, cells: dict, row: int) -> Judgement:
        expert = self.expert(cells, row)
        key = cells.get("key", "").strip()
        if not key:
            raise self.err(row, "key", "missing: a drawn field's dotted path (e.g. actors.russia.outside_option) "
                           "or seed.<name>")
        seed = key.startswith(SEED_PREFIX)
        if seed and not SEED_PATTERN.fullmatch(key):
            raise self.err(row, "key", f"{_short(key)}: a seed question is seed.<name>, the name 1-64 letters, "
                           "digits, '.', '_' or '-'")
        target = None if seed else self.target(key, row)
        form, stated = self.three(cells, row, seed)
        low, high = (-math.inf, math.inf) if seed else (target.low, target.high)
        if not seed:
            for col, v in zip(QUANTILES if form == "quantiles" else TRIANGLE, stated):
                self.in_range(v, low, high, row, col, key)
        realisation, log = self.seed_cells(cells, row, seed, stated)
        if form != "quantiles" or seed:
            for col in ("lower", "upper"):
                if cells.get(col, "").strip():
                    raise self.err(row, col, "plausible limits go with the quantiles of a scenario quantity (a "
                                   "min/mode/max row's limits are its min and max)")
        if form == "quantiles" and not seed:
            low, high = self.limits(cells, row, stated, low, high, key)
        elif form == "min-mode-max":
            low, high = stated[0], stated[2]
        return Judgement(row, expert, key, stated, form, low, high, target, realisation, log)

    def three(self, cells: dict, row: int, seed: bool) -> tuple[str, tuple[float, float, float]]:
        q = [self.number(cells, row, c) for c in QUANTILES]
        t = [self.number(cells, row, c) for c in TRIANGLE]
        has_q, has_t = any(v is not None for v in q), any(v is not None for v in t)
        if has_q and has_t:
            col = next(c for c, v in zip(TRIANGLE, t) if v is not None)
            raise self.err(row, col, "a row gives q05, q50, q95 or min, mode, max, not both")
        if not has_q and not has_t:
            raise self.err(row, "q05", "missing: a row gives q05, q50 and q95 (or min, mode and max)")
        if has_t and seed:
            raise self.err(row, "min", "a seed question takes q05, q50 and q95: Cooke's model scores quantiles")
        cols, vals = (QUANTILES, q) if has_q else (TRIANGLE, t)
        for c, v in zip(cols, vals):
            if v is None:
                raise self.err(row, c, f"missing: a row gives {', '.join(cols[:2])} and {cols[2]}")
        if has_q:
            for (c0, v0), (c1, v1) in zip(zip(cols, vals), zip(cols[1:], vals[1:])):
                if not v1 > v0:
                    raise self.err(row, c1, f"{v1:g} is not above {c0} = {v0:g}; quantiles increase (q05 < q50 < q95)")
        else:
            if not vals[2] > vals[0]:
                raise self.err(row, "max", f"{vals[2]:g} is not above min = {vals[0]:g}")
            if not vals[0] <= vals[1] <= vals[2]:
                raise self.err(row, "mode", f"{vals[1]:g} is outside [min, max] = [{vals[0]:g}, {vals[2]:g}]")
        return ("quantiles" if has_q else "min-mode-max"), (vals[0], vals[1], vals[2])

    def in_range(self, v: float, low: float, high: float, row: int, col: str, key: str) -> None:
        if not low <= v <= high:
            raise self.err(row, col, f"{v:g} is outside the allowed range of {key}: [{low:g}, {high:g}]")

    def limits(self, cells: dict, row: int, q: tuple, low: float, high: float, key: str) -> tuple[float, float]:
        lower, upper = self.number(cells, row, "lower"), self.number(cells, row, "upper")
        for col, v in (("lower", lower), ("upper", upper)):
            if v is not None:
                self.in_range(v, low, high, row, col, key)
        if lower is not None and lower > q[0]:
            raise self.err(row, "lower", f"{lower:g} is above q05 = {q[0]:g}; the plausible limits hold the quantiles")
        if upper is not None and upper < q[2]:
            raise self.err(row, "upper", f"{upper:g} is below q95 = {q[2]:g}; the plausible limits hold the quantiles")
        return (low if lower is None else lower), (high if upper is None else upper)

    def seed_cells(self, cells: dict, row: int, seed: bool, stated) -> tuple[float | None, bool]:
        realisation = self.number(cells, row, "realisation")
        background = cells.get("background", "").strip().lower()
        if not seed:
            for col, present in (("realisation", realisation is not None), ("background", bool(background))):
                if present:
                    raise self.err(row, col, f"only seed questions (key {SEED_PREFIX}<name>) have a {col}")
            return None, False
        if realisation is None:
            raise self.err(row, "realisation", "missing: a seed question needs its known true value")
        if background and background not in BACKGROUNDS:
            raise self.err(row, "background", schema.not_allowed(background, BACKGROUNDS))
        log = background == "log"
        if log and (min(stated) <= 0 or realisation <= 0):
            raise self.err(row, "background", "log needs positive quantiles and a positive realisation")
        return realisation, log

    # -- the whole table
    def read(self) -> Table:
        data = self.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise self.err(None, None, "not UTF-8 text (save the table as CSV, UTF-8)") from None
        rows = csv.reader(io.StringIO(text, newline=""))
        header, judgements = None, []
        try:
            for cells in rows:
                line = rows.line_num
                if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
                    continue
                if header is None:
                    header = self.header(cells, line)
                    continue
                if len(cells) > len(header):
                    raise self.err(line, None, f"{len(cells)} cells but the header names {len(header)} columns")
                judgements.append(self.judgement(dict(zip(header, cells)), line))
        except csv.Error as exc:
            raise self.err(rows.line_num, None, f"not valid CSV ({exc})") from None
        if header is None:
            raise self.err(None, None, f"no header row; the columns are {', '.join(COLUMNS)}")
        return self.assemble(judgements, hashlib.sha256(data).hexdigest())

    def read_bytes(self) -> bytes:
        try:
            size = self.path.stat().st_size
            if not self.path.is_file():
                raise self.err(None, None, "not a regular file; the table is a .csv file")
            if size > MAX_TABLE_BYTES:
                raise self.err(None, None, f"{size:,} bytes; a table holds at most {MAX_TABLE_BYTES:,}")
            return self.path.read_bytes()
        except FileNotFoundError:
            raise self.err(None, None, "file not found") from None
        except OSError as exc:
            raise self.err(None, None, f"cannot read ({exc.strerror})") from None

    def header(self, cells: list[str], line: int) -> list[str]:
        names = [c.strip().lower() for c in cells]
        for i, n in enumerate(names):
            if n not in COLUMNS:
                raise self.err(line, _short(cells[i]), schema.suggest(n, COLUMNS, "column"))
            if n in names[:i]:
                raise self.err(line, n, "named twice in the header")
        for need in ("expert", "key"):
            if need not in names:
                raise self.err(line, need, "missing from the header; the columns are " + ", ".join(COLUMNS))
        return names

    def assemble(self, judgements: list[Judgement], sha256: str) -> Table:
        seen: dict[tuple, int] = {}
        for j in judgements:
            ident = (j.expert, j.target.key if j.target else j.key)
            if ident in seen:
                raise self.err(j.row, "expert", f"expert {j.expert!r} already gave {j.key} on row {seen[ident]}; "
                               "one row per expert per quantity")
            seen[ident] = j.row
        targets = tuple(j for j in judgements if j.target is not None)
        seeds = tuple(j for j in judgements if j.target is None)
        experts = tuple(dict.fromkeys(j.expert for j in judgements))
        if not targets:
            raise self.err(None, None, "no row for a scenario quantity (only seed questions); nothing to write")
        self.check_seeds(seeds, experts)
        return Table(str(self.path), sha256, experts, targets, seeds)

    def check_seeds(self, seeds: tuple[Judgement, ...], experts: tuple[str, ...]) -> None:
        first: dict[str, Judgement] = {}
        for j in seeds:
            f = first.setdefault(j.key, j)
            if j.realisation != f.realisation:
                raise self.err(j.row, "realisation", f"{j.realisation:g} differs from {f.realisation:g} on row {f.row} "
                               f"for the same seed question {j.key}")
            if j.log != f.log:
                raise self.err(j.row, "background", f"differs from row {f.row} for the same seed question {j.key}")
        for key, f in first.items():
            have = {j.expert for j in seeds if j.key == key}
            missing = [e for e in experts if e not in have]
            if missing:
                raise self.err(f.row, "key", f"seed question {key}: expert {missing[0]!r} has no row for it; with seed "
                               "questions every expert answers each of them (Cooke's model compares them on the same seeds)")


def read_table(path: str | Path, scenario) -> Table:
    """The table at `path`, every row checked against `scenario` (sim.scenario.Scenario)."""
    return _Reader(Path(path), scenario).read()


def _short(text: str) -> str:
    r = repr(text)
    return r if len(r) <= 60 else r[:57] + "...'"
