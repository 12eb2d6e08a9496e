"""Charts as HTML and inline SVG text: cheap enough to redraw on every step and every change
(a Matplotlib figure per redraw cost 0.3-0.5 s here), and plain text the browser test can read."""

from __future__ import annotations

import html
import math

import numpy as np

# Nine evenly spaced colours of the viridis colour map (dark = 0, yellow = 1).
_VIRIDIS = ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30", "#fde725"]
COLORS = {"agreement": "#2e7d32", "walkout": "#c62828", "ongoing": "#757575", "talks persist": "#1565c0"}


def viridis(x: float) -> str:
    if not math.isfinite(x):
        return "#ffffff"
    x = min(max(x, 0.0), 1.0) * (len(_VIRIDIS) - 1)
    i = min(int(x), len(_VIRIDIS) - 2)
    f = x - i
    a, b = (_VIRIDIS[i], _VIRIDIS[i + 1])
    rgb = [round(int(a[k:k + 2], 16) * (1 - f) + int(b[k:k + 2], 16) * f) for k in (1, 3, 5)]
    return "#" + "".join(f"{c:02x}" for c in rgb)


HEAD_EVERY = 10  # rounds under one column heading of the heatmap


def package_table(clauses, low, high, on_table, current, offers: np.ndarray, proposers: list[str]) -> str:
    """Per clause: the latest package as a bar, over a grey band from `low` to `high`, what the
    agenda and the red lines of the parties at the table allow in this run (a red mark where they
    leave no common value); then a heatmap of each round's package (columns = rounds, headed by
    round number every HEAD_EVERY rounds; the proposer in each cell's tooltip)."""
    width = 110
    cell = max(4, min(10, 300 // max(1, len(proposers))))  # the heatmap stays about 300 px wide
    head = "".join(f"<th class='hm-head' colspan='{min(HEAD_EVERY, len(proposers) - r)}' "
                   f"title='rounds {r + 1}-{min(r + HEAD_EVERY, len(proposers))}'>{r + 1}</th>"
                   for r in range(0, len(proposers), HEAD_EVERY))
    rows = []
    for j, c in enumerate(clauses):
        if on_table[j]:
            v = float(current[j]) if len(current) else 0.0
            lo, hi = float(low[j]), float(high[j])
            band = (f"<div class='pkg-bg' style='left:{lo * width:.1f}px;width:{(hi - lo) * width:.1f}px' "
                    f"title='allowed: {lo:.2f}-{hi:.2f}'></div>" if hi >= lo else
                    "<div class='pkg-none' title='the red lines leave no common value'></div>")
            bar = (band + f"<div class='pkg-bar' style='width:{v * width:.1f}px'></div>"
                   f"<span class='pkg-val'>{v:.2f}</span>")
        else:
            bar = "<span class='pkg-off'>off the table</span>"
        cells = "".join(f"<td class='hm' style='width:{cell}px;min-width:{cell}px;background:{viridis(float(offers[j, r]))}' "
                        f"title='{html.escape(c)}, round {r + 1} ({html.escape(proposers[r])}): {offers[j, r]:.2f}'></td>"
                        for r in range(offers.shape[1]))
        rows.append(f"<tr class='pkg-{html.escape(c.replace('.', '-'))}'><td class='pkg-name'>{html.escape(c)}</td>"
                    f"<td class='pkg-cell' style='width:{width + 36}px'>{bar}</td>{cells}</tr>")
    legend = ("<div class='hm-legend'>offer: " + "".join(
        f"<span style='background:{viridis(x)}'>{x:g}</span>" for x in (0, 0.25, 0.5, 0.75, 1)) + "</div>")
    return ("<table class='negsim-pkg'><tr><th>clause</th><th>package (grey: what the red lines allow)</th>"
            + head + "</tr>" + "".join(rows) + "</table>" + (legend if proposers else ""))


def _axis_ticks(top: float) -> list[float]:
    step = next(s for s in (7, 14, 30, 60, 90, 120, 180, 365, 730, 1e9) if top / s <= 7)
    return [k * step for k in range(int(top // step) + 1)]


def shares_svg(base, cur, keys=("agreement", "talks persist", "walkout", "ongoing")) -> str:
    """Outcome shares with 95% Wilson intervals: shipped (pale) and current (solid) per outcome."""
    w, h, left, bottom, top = 330, 190, 34, 30, 10
    ph = h - bottom - top
    group = (w - left - 6) / len(keys)
    y = lambda v: top + ph * (1 - v)  # noqa: E731
    out = [f"<svg class='negsim-shares' width='{w}' height='{h}' viewBox='0 0 {w} {h}' font-size='10'>"]
    for t in (0, 0.25, 0.5, 0.75, 1):
        out.append(f"<line x1='{left}' x2='{w - 4}' y1='{y(t):.1f}' y2='{y(t):.1f}' stroke='#e0e0e0'/>"
                   f"<text x='{left - 4}' y='{y(t) + 3:.1f}' text-anchor='end'>{t:.0%}</text>")
    for i, k in enumerate(keys):
        x0 = left + i * group + 6
        for d, dx, op in ((base, 0, 0.4), (cur, group / 2 - 4, 1.0)):
            e = d.shares[k]
            bx, bw = x0 + dx, group / 2 - 8
            out.append(f"<rect x='{bx:.1f}' y='{y(e.value):.1f}' width='{bw:.1f}' height='{ph * e.value:.1f}' "
                       f"fill='{COLORS[k]}' fill-opacity='{op}'><title>{html.escape(k)}: {e.fmt()}</title></rect>")
            cx = bx + bw / 2
            out.append(f"<line x1='{cx:.1f}' x2='{cx:.1f}' y1='{y(e.low):.1f}' y2='{y(e.high):.1f}' stroke='black'/>"
                       f"<line x1='{cx - 3:.1f}' x2='{cx + 3:.1f}' y1='{y(e.low):.1f}' y2='{y(e.low):.1f}' stroke='black'/>"
                       f"<line x1='{cx - 3:.1f}' x2='{cx + 3:.1f}' y1='{y(e.high):.1f}' y2='{y(e.high):.1f}' stroke='black'/>")
        out.append(f"<text x='{x0 + group / 2 - 4:.1f}' y='{h - bottom + 14}' text-anchor='middle'>{html.escape(k)}</text>")
    out.append(f"<text x='{left}' y='{h - 2}' fill='#555'>pale: shipped scenario; solid: current settings; "
               "bars: 95% Wilson</text></svg>")
    return "".join(out)


def incidence_svg(base, cur) -> str:
    """Cumulative incidence of agreement and walkout over days: current (solid, with its Wilson
    band) and the shipped scenario (dashed)."""
    w, h, left, right, bottom, top = 400, 190, 34, 10, 30, 10
    pw, ph = w - left - right, h - bottom - top
    xmax = float(max(cur.cif["day"].max(), base.cif["day"].max())) or 1.0
    x = lambda d: left + pw * min(d, xmax) / xmax  # noqa: E731
    y = lambda v: top + ph * (1 - v)  # noqa: E731
    out = [f"<svg class='negsim-incidence' width='{w}' height='{h}' viewBox='0 0 {w} {h}' font-size='10'>"]
    for t in (0, 0.25, 0.5, 0.75, 1):
        out.append(f"<line x1='{left}' x2='{w - right}' y1='{y(t):.1f}' y2='{y(t):.1f}' stroke='#e0e0e0'/>"
                   f"<text x='{left - 4}' y='{y(t) + 3:.1f}' text-anchor='end'>{t:.0%}</text>")
    for d in _axis_ticks(xmax):
        out.append(f"<text x='{x(d):.1f}' y='{h - bottom + 12}' text-anchor='middle'>{d:g}</text>")

    def steps(days, vals) -> list[tuple[float, float]]:
        pts = []
        for k in range(len(days)):
            if k:
                pts.append((x(days[k]), y(vals[k - 1])))
            pts.append((x(days[k]), y(vals[k])))
        pts.append((x(xmax), y(vals[-1])))
        return pts

    for cause in ("agreement", "walkout"):
        c = cur.cif
        days = c["day"].to_numpy(float)
        hi = steps(days, c[f"cif_{cause}_high"].to_numpy())
        lo = steps(days, c[f"cif_{cause}_low"].to_numpy())
        poly = " ".join(f"{a:.1f},{b:.1f}" for a, b in hi + lo[::-1])
        out.append(f"<polygon points='{poly}' fill='{COLORS[cause]}' fill-opacity='0.15' stroke='none'/>")
        for d, dash in ((base, "4,3"), (cur, "")):
            pts = steps(d.cif["day"].to_numpy(float), d.cif[f"cif_{cause}"].to_numpy())
            line = " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)
            out.append(f"<polyline points='{line}' fill='none' stroke='{COLORS[cause]}' stroke-width='1.6' "
                       f"stroke-dasharray='{dash}'/>")
        end = float(cur.cif[f"cif_{cause}"].iloc[-1])
        out.append(f"<text x='{w - right - 2}' y='{y(end) - 4:.1f}' text-anchor='end' fill='{COLORS[cause]}'>{cause}</text>")
    out.append(f"<text x='{left}' y='{h - 2}' fill='#555'>day of the talks; solid: current (band: 95% Wilson); "
               "dashed: shipped</text></svg>")
    return "".join(out)
