"""Newcomer audit 29 #4.4: the report's ``moran_trend`` figure at the report's width (3 variables x 3 W,
17 years, the US study's labels): the third column's titles were clipped at the figure's right edge
("Gross state product (log), E") and the 17 rotated year labels overlapped.  Checked with matplotlib's
own renderer: every title lies inside the figure and clear of the other titles, and no two tick labels
of an axis overlap."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

YEARS = [str(y) for y in range(1970, 1987)]  # Produc's 17 years
LABELS = {"log(gsp)": "Gross state product (log)", "unemp": "Unemployment rate", "infra": "Infrastructure index"}


def _by_year(shift: float) -> dict:
    rng = np.random.default_rng(7)
    return {p: {"I": float(0.2 + shift + 0.02 * rng.normal()), "EI": -1 / 47, "sd": 0.098} for p in YEARS}


@pytest.fixture(scope="module")
def trend():
    """The report's Moran trend (:func:`spillmap.maps._report_figures._moran_trend`), drawn."""
    from spillmap.maps._report_figures import _moran_trend

    moran = {w: {var: _by_year(0.1 * j) for j, var in enumerate(LABELS)} for w in ("W1", "K5", "EP")}
    jobs = []
    _moran_trend(SimpleNamespace(moran_by_year=moran), {"labels": LABELS}, lambda *job: jobs.append(job))
    ((stem, _, draw),) = jobs
    assert stem == "moran_trend"
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = draw()
    FigureCanvasAgg(fig).draw()  # the report's figure has no canvas of its own: Agg, as save_figure uses
    return fig


def _overlap(a, b) -> bool:
    """Whether two boxes overlap by more than a hair (0.5 px at the figure's dpi: anti-aliasing)."""
    return min(a.x1, b.x1) - max(a.x0, b.x0) > 0.5 and min(a.y1, b.y1) - max(a.y0, b.y0) > 0.5


def test_titles_lie_inside_the_figure_and_apart(trend):
    fig = trend
    renderer = fig.canvas.get_renderer()
    # the panels' titles are left-aligned (matplotlib keeps them in its private ``_left_title``)
    titles = [t for ax in fig.axes for t in (ax.title, ax._left_title, ax._right_title) if t.get_text()]
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in titles]
    assert len(boxes) == 9
    for text, box in boxes:
        assert box.x0 >= 0 and box.x1 <= fig.bbox.width and box.y1 <= fig.bbox.height, (text, box)
    for i, (ta, a) in enumerate(boxes):
        for tb, b in boxes[i + 1:]:
            assert not _overlap(a, b), (ta, tb)
    # the whole label and the W are still there (wrapped, not cut)
    assert " ".join(boxes[2][0].split()) == "Gross state product (log), EP"


def test_year_labels_do_not_overlap(trend):
    renderer = trend.canvas.get_renderer()
    for ax in trend.axes:
        ticks = [t for t in ax.get_xticklabels() if t.get_text() and t.get_visible()]
        assert 3 <= len(ticks) <= len(YEARS), [t.get_text() for t in ticks]
        assert {t.get_text() for t in ticks} <= set(YEARS)
        boxes = [t.get_window_extent(renderer) for t in ticks]
        for a, b in zip(boxes, boxes[1:]):
            assert not _overlap(a, b), [t.get_text() for t in ticks]
        assert all(t.get_rotation() == 0 for t in ticks)  # horizontal: a year reads without tilting the head


def test_a_tick_stands_on_the_period_it_names():
    """The thinned ticks still label their own period (position k is the k-th period)."""
    import pandas as pd

    from spillmap import figures as F

    frame = pd.DataFrame({"I": np.linspace(0.1, 0.3, 17), "EI": -0.02, "sd": 0.1}, index=YEARS)
    fig = F.moran_trend(frame, variable="y")
    fig.canvas.draw()
    ax = fig.axes[0]
    shown = {int(round(t.get_position()[0])): t.get_text() for t in ax.get_xticklabels() if t.get_text()}
    assert shown and all(YEARS[k] == text for k, text in shown.items())
