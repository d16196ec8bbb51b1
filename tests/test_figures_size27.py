"""Audit 27 (a paper author, item 8): the report's static figures are designed at a journal's final size --
at most 7.0 in wide (the full text width; a column is 3.5 in) with no text under 6.5 pt at that size, the
synthetic-data notice included -- so a figure placed at 100 % keeps its type at the journals' minimum
(Elsevier 7 pt recommended, Nature 5-7 pt).  Before: spillover 10.8 in, Moran trend 9.2 in, Moran scatter
8.4 in, effects 7.2 in, the notice 5.5 pt."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spillmap import figures as F

FULL_WIDTH_IN = 7.0
SMALLEST_POINTS = 6.5


@pytest.fixture(scope="module")
def demo_results(tmp_path_factory):
    sys.path.insert(0, str(Path(__file__).parent))
    from _demo_shared import demo_results as shared

    return shared(tmp_path_factory)  # read once per worker


def _texts(fig):
    """Every non-empty text artist of ``fig`` (titles, ticks, legends, notice, map furniture)."""
    from matplotlib.text import Text

    return [t for t in fig.findobj(Text) if t.get_text().strip()]


@pytest.mark.e2e
def test_every_report_figure_fits_the_text_width_with_legible_type(demo_results):
    """Each figure of the demo report is at most 7.0 in wide and none of its texts is under 6.5 pt."""
    from spillmap.maps._report_figures import figure_jobs

    jobs = figure_jobs(demo_results, {w: w for w in demo_results.weights})
    assert {"spillover_W1", "moran_trend", "moran_scatter_W1", "effects", "choropleth"} <= {s for s, _, _ in jobs}
    for stem, _, draw in jobs:
        fig = draw()
        width, height = fig.get_size_inches()
        assert width <= FULL_WIDTH_IN + 1e-9, (stem, width)
        assert height <= 9.0 + 1e-9, (stem, height)  # and it fits a page's text block
        small = [(t.get_text()[:40], t.get_fontsize()) for t in _texts(fig) if t.get_fontsize() < SMALLEST_POINTS]
        assert not small, (stem, small)


@pytest.mark.e2e
def test_notice_keeps_its_size_and_breaks_into_lines(demo_results):
    """The notice is 6.5 pt whatever the figure's width: on a narrow figure it is broken into lines that fit
    (it used to shrink, to 5.1 pt on the small multiples), in a strip clear of the axes; its text artist
    holds the whole notice, broken into lines at spaces."""
    from spillmap.figures._style import NOTICE_POINTS, add_notice, new_figure

    notice = demo_results.notice
    for width in (3.5, 7.0):
        fig = new_figure((width, 2.5), layout="constrained")
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 1])
        add_notice(fig, notice)
        fig.canvas.draw()
        (label,) = [t for t in fig.texts if t.get_gid() == "spillmap-notice"]
        assert " ".join(label.get_text().split()) == notice and label.get_fontsize() == NOTICE_POINTS
        box = label.get_window_extent()
        assert box.x0 >= 0 and box.x1 <= fig.bbox.width  # on the figure, not cut at its edges
        assert box.y0 >= 0 and box.y1 <= ax.xaxis.get_tightbbox().y0
        assert box.height > 2.5 * label.get_fontsize() / 72 * fig.dpi if width == 3.5 else True  # 3 lines at 3.5 in


def _cells():
    import geopandas as gpd
    from shapely.geometry import box

    cells = [box(x * 1e4, y * 1e4, (x + 1) * 1e4, (y + 1) * 1e4) for y in range(3) for x in range(3)]
    return gpd.GeoDataFrame({"id": list("abcdefghi")}, geometry=cells, crs=3857)


def test_spillover_panels_are_stacked_unless_a_panel_size_is_given():
    """The three spillover maps are stacked, one per row with its legend beside it, at most 7 in wide; a
    ``panel_size`` passed (the API before) keeps them side by side, and ``figsize`` wins."""
    ue = pd.DataFrame({"direct": np.linspace(0.3, 0.5, 9), "indirect_received": np.linspace(0.1, 0.2, 9),
                       "indirect_emitted": np.linspace(0.2, 0.4, 9)}, index=list("abcdefghi"))
    fig = F.spillover_maps(_cells(), ue, id="id", var="x")
    assert fig.get_size_inches()[0] <= FULL_WIDTH_IN
    fig.canvas.draw()
    boxes = [ax.get_window_extent() for ax in fig.axes]
    assert boxes[0].y0 > boxes[1].y1 and boxes[1].y0 > boxes[2].y1  # one above the other
    for ax in fig.axes:
        assert ax.get_legend().get_window_extent().x0 >= ax.get_window_extent().x1  # beside its map
    assert F.spillover_maps(_cells(), ue, id="id", var="x", panel_size=(3.6, 4.4)).get_size_inches().tolist() == [
        10.8, 4.4]
    assert F.spillover_maps(_cells(), ue, id="id", var="x", figsize=(6.0, 8.0)).get_size_inches().tolist() == [6.0, 8.0]


def test_effects_plot_wraps_panels_at_two_per_row():
    """Two panels fill 7.0 in; a third goes to a second row (not a 10.8-in row), the panel above the
    empty cell keeps its x-axis labels; a panel_size passed keeps one row."""
    rows = [(k, v) for k in ("direct", "indirect", "total") for v in ("a", "b")]
    est = np.arange(1.0, 7.0)
    f = pd.DataFrame({"estimate": est, "ci_lower": est - 0.5, "ci_upper": est + 0.5},
                     index=pd.MultiIndex.from_tuples(rows, names=["effect", "variable"]))
    f.attrs.update(model="SDM", level=0.95)
    assert F.effects_plot({"A": f, "B": f}).get_size_inches().tolist() == [7.0, 3.0]
    fig = F.effects_plot({"A": f, "B": f, "C": f})
    assert fig.get_size_inches().tolist() == [7.0, 6.0]
    a, b, c, empty = fig.axes
    assert not empty.get_visible() and b.get_xlabel() and c.get_xlabel() and not a.get_xlabel()
    assert F.effects_plot({"A": f, "B": f, "C": f}, panel_size=(3.6, 3.0)).get_size_inches().tolist() == [10.8, 3.0]
