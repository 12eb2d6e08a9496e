"""What a reader sees in the figures (issue 22): every text inside the image, no two texts on top
of each other, the record's dates readable, and the blocking figure's rows meaning the same in
every scenario.  Read back from the Figure objects after a draw, not from pixels."""

import numpy as np
import pytest

from analysis import outcomes as oc
from analysis import plots
from tests.figtext import box, outside_figure, overlapping, shown_texts
from tests.test_plots import compare_dir, results  # noqa: F401  (fixtures: a small real compare)


def every_figure(results):
    figs = {kind: make(results) for kind, make in plots.FIGURES.items()}
    figs["difference"] = plots.difference_figure(*results)
    figs["history"] = plots.history_figure(results)
    return figs


def test_no_text_is_cut_off_or_lies_on_another(results):
    for kind, fig in every_figure(results).items():
        assert outside_figure(fig) == [], kind
        assert overlapping(shown_texts(fig)) == [], kind


@pytest.mark.parametrize("make", [plots.incidence_figure, plots.history_figure,
                                  lambda rs: plots.difference_figure(*rs)])
def test_the_record_is_marked_at_its_days_and_says_what_happened(results, make):
    fig = make(results)
    texts = shown_texts(fig)
    key = [t for t in texts if t.get_gid() == "record|key"]
    assert len(key) == 1
    lines = {a.get_gid() for a in fig.axes[0].lines if (a.get_gid() or "").startswith("record|")}
    days = sorted(float(g.split("|")[1]) for g in lines)
    assert {40.0, 62.0, 69.0} <= set(days)
    for d in days:  # every marked day is named in the key, with what happened
        assert f"day {d:g} " in key[0].get_text()
    assert "invasion" in key[0].get_text() and "written replies" in key[0].get_text()
    # the day numbers sit above the axes, below the title, and read in order left to right
    ax = fig.axes[0]
    top = [t for t in ax.child_axes[0].get_xticklabels() if t in texts]
    assert top and all(t.get_text().replace("/", "").isdigit() and box(t).y0 >= ax.bbox.y1 for t in top)
    assert all(box(t).y1 <= box(ax.title).y0 for t in top + key if ax.title.get_text())
    xs = [box(t).x0 for t in top]
    assert xs == sorted(xs)
    labelled = [int(n) for t in top for n in t.get_text().split("/")]
    assert labelled == sorted(labelled) and {40, 62, 69} <= set(labelled)


def test_blocking_rows_are_the_same_walkouts_in_every_scenario(results):
    """A row is (walker, rule, demand): accession walkouts share one row whether accession is held
    short by red lines (full agenda) or by the agenda (excluded); each bar says which."""
    fig = plots.blocking_figure(results)
    ax = fig.axes[0]
    rows = {round(y): t.get_text() for y, t in zip(ax.get_yticks(), ax.get_yticklabels())}
    accession_rows = [y for y, t in rows.items() if t.endswith("furthest short on accession")]
    assert len(accession_rows) == 1
    for r in results:
        table = oc.blocking(r.runs, r.meta)
        bars = [p for p in ax.patches if p.get_gid() == f"{r.name}|blocking"]
        for bar in bars:
            label = rows[round(bar.get_y() + bar.get_height() / 2)]
            match = [x for _, x in table.iterrows() if plots._blocking_label(x) == label]
            want = 100 * match[0]["share"] if match else 0.0
            assert bar.get_width() == pytest.approx(want), (r.name, label)
        held = {t.get_gid(): t.get_text() for t in ax.texts if (t.get_gid() or "").startswith(f"{r.name}|held|")}
        acc = held[f"{r.name}|held|{accession_rows[0]}"]
        assert acc == ("off the table" if r.name == "accession_excluded" else "red lines of us, nato")


def test_blocking_title_names_its_content_in_full(results):
    fig = plots.blocking_figure(results)
    title = fig.texts[0] if fig.texts else None
    assert title is not None and title.get_text().startswith("Who walked out")
    assert outside_figure(fig) == []
    assert np.isclose(box(title).x0 + box(title).x1, fig.bbox.x1, atol=2)  # centred on the figure
