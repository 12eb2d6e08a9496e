"""Reading a drawn figure back: where its texts landed (display boxes after a draw), so a test
can check that a label lies inside the figure and clear of the others."""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.axis import Axis
from matplotlib.text import Text


def draw(fig):
    """Lay the figure out and draw it once (as savefig would); returns the renderer."""
    canvas = FigureCanvasAgg(fig) if fig.canvas is None or not hasattr(fig.canvas, "get_renderer") else fig.canvas
    canvas.draw()
    return canvas.get_renderer()


def _undrawn_tick_labels(fig) -> set[int]:
    """Tick labels matplotlib keeps but does not draw: their tick lies outside the axis' view."""
    hidden = set()
    for axis in fig.findobj(Axis):
        lo, hi = sorted(axis.get_view_interval())
        eps = 1e-9 * max(1.0, abs(hi - lo))
        for tick in axis.get_major_ticks() + axis.get_minor_ticks():
            if not lo - eps <= tick.get_loc() <= hi + eps:
                hidden |= {id(tick.label1), id(tick.label2)}
    return hidden


def shown_texts(fig) -> list[Text]:
    """Every text the saved image shows (titles, labels, drawn tick labels, annotations)."""
    renderer = draw(fig)
    hidden = _undrawn_tick_labels(fig)
    out = []
    for t in fig.findobj(Text):
        if (t.get_visible() and t.get_text().strip() and id(t) not in hidden
                and t.get_window_extent(renderer).width > 0):
            out.append(t)
    return out


def box(t: Text):
    return t.get_window_extent(t.figure.canvas.get_renderer())


def outside_figure(fig) -> list[str]:
    """Texts not wholly inside the figure (cut off in the saved image), by their text."""
    bounds = fig.bbox
    bad = []
    for t in shown_texts(fig):
        b = box(t)
        if b.x0 < bounds.x0 - 0.5 or b.y0 < bounds.y0 - 0.5 or b.x1 > bounds.x1 + 0.5 or b.y1 > bounds.y1 + 0.5:
            bad.append(t.get_text())
    return bad


def overlapping(texts) -> list[tuple[str, str]]:
    """Pairs of texts whose boxes overlap."""
    texts = list(texts)
    pairs = []
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            if box(a).overlaps(box(b)):
                pairs.append((a.get_text(), b.get_text()))
    return pairs
