"""The report's small HTML helpers: escaped text, shares and estimates as text, tables and embedded
figures.  Every piece of text goes through esc (html.escape).  The report (analysis/report.py) and
the sections built beside it (report_priors, families) import them from here."""

from __future__ import annotations

import base64
import html
import io
import math
from typing import Sequence

import numpy as np

from . import stats


def esc(x) -> str:
    return html.escape(str(x), quote=True)


def pct(v: float, digits: int = 1) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:.{digits}f}%"


def est(value: float, low: float, high: float, percent: bool = True, signed: bool = False, digits: int = 1) -> str:
    """'24.1% [22.3, 26.0]' (or without % / signed)."""
    if value is None or math.isnan(value):
        return "-"
    k = 100 if percent else 1
    digits = stats.interval_digits(low, high, digits, k, share=value if percent and not signed else None)

    def f(v: float) -> str:
        v = k * v
        v = 0.0 if round(v, digits) == 0 else v  # no "-0.0"
        return f"{v:{'+' if signed else ''}.{digits}f}"

    unit = ("pp" if signed else "%") if percent else ""
    sep = " " if unit == "pp" else ""
    return f"{f(value)}{sep}{unit} [{f(low)}, {f(high)}]"


def num(v, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    return f"{v:.{digits}f}"


def table(headers: Sequence[str], rows: Sequence[Sequence], numeric: Sequence[bool] | None = None) -> str:
    """An HTML table; every cell is escaped.  `numeric[j]` right-aligns column j."""
    numeric = list(numeric) if numeric is not None else [False] * len(headers)
    out = ["<table><thead><tr>", *(f"<th>{esc(h)}</th>" for h in headers), "</tr></thead><tbody>"]
    for r in rows:
        out.append("<tr>" + "".join(f'<td class="num">{esc(c)}</td>' if numeric[j] else f"<td>{esc(c)}</td>"
                                    for j, c in enumerate(r)) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def kv_table(rows: Sequence[Sequence]) -> str:
    """A two-column key/value table (no header row); every cell is escaped."""
    return ("<table><tbody>" + "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
            + "</tbody></table>")


def figure_html(fig, alt: str, caption: str, dpi: int = 100) -> str:
    """A matplotlib figure as an embedded PNG (<figure> with <img> and <figcaption>)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt)}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>")
