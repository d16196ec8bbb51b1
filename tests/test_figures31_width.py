"""Audit 31 (a paper author): the report's figures can be laid out for one column of a two-column journal.

Every figure was laid out for a full text width (6.5-7 in); placed in a 3.3-3.5 in column its type shrank
to about 3.3 pt, under every publisher's minimum (7 pt, some 6).  ``[output] figure_width`` = ``"full"``
(default: the same figures as before), ``"column"`` (3.5 in) or a width in inches from 3 to 7 lays them out
for that width, the type at its size: text at 7 pt or more stays so, nothing under 6.5 pt, maps' legends
outside the maps (under them), panels too narrow side by side stacked.  Text sizes are read from the
drawn matplotlib ``Text`` artists (points at the figure's final size) and, when ``mutool`` is installed,
from the PDF itself."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from spillmap.study import Study, StudyResults
from spillmap.study._schema import SpecError

DEMO_TOML = Path(__file__).resolve().parents[1] / "data" / "demo_report.toml"
COLUMN_IN = 3.5
#: the figures the audit names (maps, the effects, the Moran scatterplots) and the other kinds (the LISA and
#: fixed-effects maps are drawn as the choropleth and the response map are)
CHECKED = ("choropleth", "small_multiples", "spillover_W1", "response_W1", "moran_scatter_W1", "moran_trend",
           "effects")
#: the figures' size at the full width (inches), as before the key existed (the spillover maps' width is
#: measured from their legends: checked to a hundredth)
FULL_SIZES = {"choropleth": (6.5, 5.0), "small_multiples": (6.0, 5.7), "lisa": (6.5, 5.0),
              "response_W1": (6.5, 5.0), "fixed_effects": (6.5, 5.0), "moran_scatter_W1": (7.0, 3.7),
              "moran_trend": (7.0, 5.8), "effects": (7.0, 3.0)}


@pytest.fixture(scope="module")
def demo_doc(tmp_path_factory):
    sys.path.insert(0, str(Path(__file__).parent))
    from _demo_shared import build_demo_once

    return json.loads((build_demo_once(tmp_path_factory) / "results.json").read_text(encoding="utf-8"))


def _results(doc, width=None):
    """The demo's results with ``[output] figure_width = width`` (left out for ``None``)."""
    doc = json.loads(json.dumps(doc))
    if width is not None:
        doc["spec"]["output"]["figure_width"] = width
    return StudyResults.from_json(json.dumps(doc))


def _figures(results, stems=CHECKED):
    """``{stem: Figure}`` of the report's figures ``stems``, drawn as the report draws them."""
    from spillmap.maps._report_figures import figure_jobs

    jobs = figure_jobs(results, {w: w for w in results.weights})
    from matplotlib.backend_bases import FigureCanvasBase
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figs = {stem: draw() for stem, _, draw in jobs if stem in stems}
    for fig in figs.values():
        if type(fig.canvas) is FigureCanvasBase:  # a bare Figure (the Moran plots'), whose canvas does not draw
            FigureCanvasAgg(fig)
        fig.canvas.draw()
        fig.canvas.draw()  # an axis label's extent is read where the first draw's layout left it
    return figs


def _drawn(fig):
    """The text artists drawn in ``fig`` (the axis labels of a map, whose axes are off, are not drawn)."""
    from matplotlib.text import Text

    hidden = {id(t) for ax in fig.axes if not ax.axison for a in (ax.xaxis, ax.yaxis) for t in a.findobj(Text)}
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip() and id(t) not in hidden]


def _texts(fig):
    """``{text (whitespace normalised): size in points}`` of every text drawn in ``fig``."""
    out: dict[str, float] = {}
    for t in _drawn(fig):
        key = " ".join(t.get_text().split())
        out[key] = min(t.get_fontsize(), out.get(key, 99.0))
    return out


@pytest.fixture(scope="module")
def column(demo_doc):
    return _figures(_results(demo_doc, "column"))


@pytest.fixture(scope="module")
def full(demo_doc):
    return _figures(_results(demo_doc), ("choropleth", "spillover_W1", "moran_scatter_W1", "effects"))


# ----------------------------------------------------------------------------- the study spec
def _spec(**output):
    raw = tomllib.loads(DEMO_TOML.read_text(encoding="utf-8"))
    raw["output"].update(output)
    return Study.from_dict(raw, source="demo.toml")


def test_figure_width_defaults_to_full_and_reads_column_and_inches():
    """``[output] figure_width``: "full" by default, "column", or inches (an integer read as a number); the
    study writes it back (TOML round trip) and the report's width follows (7 in is the full layout)."""
    from spillmap.study._sections import figure_inches

    assert _spec().output.figure_width == "full" and figure_inches(_spec().output.figure_width) is None
    assert figure_inches(_spec(figure_width="column").output.figure_width) == COLUMN_IN
    s = _spec(figure_width=4)
    assert s.output.figure_width == 4.0 and figure_inches(s.output.figure_width) == 4.0
    assert figure_inches(7) is None and figure_inches(None) is None  # a stored spec without the key
    again = Study.from_dict(tomllib.loads(_spec(figure_width=3.25).to_toml()), source="again.toml")
    assert again.output.figure_width == 3.25


@pytest.mark.parametrize("bad", ["wide", "Column", 2.5, 7.5, float("nan"), 0])
def test_bad_figure_width_is_one_line_naming_the_key_and_the_choices(bad):
    with pytest.raises(SpecError) as info:
        _spec(figure_width=bad)
    msg = str(info.value)
    assert "\n" not in msg and "demo.toml" in msg and "'output.figure_width'" in msg
    assert '"full", "column" or a width in inches from 3 to 7' in msg and repr(float(bad) if not isinstance(
        bad, str) else bad) in msg


def test_figure_width_of_another_type_is_refused_naming_the_key():
    with pytest.raises(SpecError, match=r"key 'output.figure_width': must be text or number, got True"):
        _spec(figure_width=True)


def test_reference_documents_figure_width():
    from spillmap.study.spec import reference_markdown

    row = next(line for line in reference_markdown().splitlines() if line.startswith("| `figure_width`"))
    assert '`"full"`' in row and '"column"' in row and "from 3 to 7" in row
    assert row in (Path(__file__).resolve().parents[1] / "docs" / "config.md").read_text(encoding="utf-8")


# ------------------------------------------------------------------------- the full width: as before
@pytest.mark.e2e
def test_full_width_figures_keep_their_sizes(demo_doc, full):
    """"full" (and 7 in, and a spec without the key) draws the figures at their sizes before the key:
    one-map figures 6.5 x 5 in, two Moran scatterplots 7 x 3.7, the effects 7 x 3 ..."""
    for stem, fig in full.items():
        if stem in FULL_SIZES:
            assert tuple(fig.get_size_inches().round(2)) == FULL_SIZES[stem], stem
    w, h = full["spillover_W1"].get_size_inches()
    assert 5.0 < w <= 7.0 and h == pytest.approx(8.55)  # stacked rows, as wide as the widest legend needs
    (again,) = _figures(_results(demo_doc, 7), ("choropleth",)).values()  # 7 in: the full layout
    assert np.allclose(again.get_size_inches(), full["choropleth"].get_size_inches())
    assert _texts(again) == _texts(full["choropleth"])


# ----------------------------------------------------------------------------- the column width
@pytest.mark.e2e
def test_column_figures_are_a_column_wide_and_fit_a_page(column):
    """3.5 in wide and, with the notice's strip, no taller than a page's text block less its caption (8 in:
    :data:`spillmap.figures._narrow.PAGE_INCHES`; the spillover maps' notes flow around the maps)."""
    assert set(column) == set(CHECKED)
    for stem, fig in column.items():
        w, h = fig.get_size_inches()
        assert w == pytest.approx(COLUMN_IN) and h <= 8.0 + 1e-9, (stem, w, h)


@pytest.mark.e2e
def test_column_type_keeps_its_size(column, full):
    """No text under 6.5 pt (6 is the least any journal accepts); every text of the map, effects, Moran
    scatter and trend and spillover figures has the size it has at the full width (7 pt stays 7 pt), whatever
    its line breaks."""
    for stem, fig in column.items():
        sizes = _texts(fig)
        assert fig.get_size_inches()[0] == pytest.approx(COLUMN_IN), stem  # laid out for the column, not shrunk
        assert min(sizes.values()) >= 6.5, (stem, min(sizes.items(), key=lambda kv: kv[1]))
    for stem, fig in full.items():
        wide, narrow = _texts(fig), _texts(column[stem])
        for text, size in narrow.items():
            if text in wide and not (stem.startswith("spillover") and size == 6.5):  # notes around a column's
                assert size == wide[text], (stem, text, size, wide[text])  # maps: 6.5 pt (helper 32)
        assert {s for s in narrow.values() if s >= 7} == {s for s in wide.values() if s >= 7}, stem


def _laid_out(fig):
    """The texts spillmap places: titles, legends' texts, the notice, map furniture (not matplotlib's axis and
    tick labels, whose extents read on the canvas can lag its last layout; the PDF test checks them too)."""
    from matplotlib.axis import Axis

    axis = {id(t) for ax in fig.axes for a in (ax.xaxis, ax.yaxis) for t in a.findobj()}
    return [t for t in _drawn(fig) if id(t) not in axis and not isinstance(t, Axis)]


@pytest.mark.e2e
def test_column_maps_keep_legends_outside_and_nothing_clipped(column):
    """Every text lies inside the figure; a one-map figure's legend sits under its map, a stacked
    spillover map's beside it; the notice is clear of every axes and legend."""
    for stem, fig in column.items():
        fbox = fig.bbox
        for t in _laid_out(fig):
            box = t.get_window_extent()
            assert box.x0 >= fbox.x0 - 1 and box.x1 <= fbox.x1 + 1 and box.y0 >= -1 and box.y1 <= fbox.y1 + 1, (
                stem, t.get_text()[:40], box.bounds)
        notice = [t for t in fig.texts if t.get_gid() == "spillmap-notice"]
        assert notice, stem
        nbox = notice[0].get_window_extent()
        legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend() is not None)]
        for obj in [*(ax for ax in fig.axes if ax.get_visible()), *legends]:
            assert not nbox.overlaps(obj.get_window_extent()), (stem, obj)
    for stem in ("choropleth", "response_W1"):
        (ax,) = column[stem].axes
        legend, box = ax.get_legend().get_window_extent(), ax.get_window_extent()
        assert legend.y1 <= box.y0 and box.width > 0.9 * column[stem].bbox.width, stem  # under a full-width map
    maps = [ax for ax in column["spillover_W1"].axes if ax.collections]
    cells = [ax for ax in column["spillover_W1"].axes if ax.get_legend() is not None]
    for ax, cell in zip(maps, cells, strict=True):  # beside its map, inside its cell
        legend, box = cell.get_legend().get_window_extent(), cell.get_window_extent()
        assert legend.x0 >= ax.get_window_extent().x1 and legend.y0 >= box.y0 - 1 and legend.x1 <= box.x1 + 1


@pytest.mark.e2e
def test_column_layouts_are_the_same_at_every_draw(column):
    """A layout that changed at each draw (a legend taller than its axes shrank the map at every draw of the
    column's spillover maps) would make a figure depend on how often it was drawn."""
    for stem in ("spillover_W1", "choropleth", "moran_trend"):
        fig = column[stem]
        assert fig.get_size_inches()[0] == pytest.approx(COLUMN_IN), stem
        before = [ax.get_position().bounds for ax in fig.axes]
        fig.canvas.draw()
        assert np.allclose([ax.get_position().bounds for ax in fig.axes], before, atol=1e-4), stem  # < 0.1 px


@pytest.mark.e2e
def test_column_panels_are_stacked_not_shrunk(column):
    """The Moran scatterplots, the Moran trend's four panels and the effects' two panels are one above the
    other, each about the column's width; the small multiples stay two by two."""
    for stem, n in (("moran_scatter_W1", 2), ("moran_trend", 4), ("effects", 2)):
        boxes = [ax.get_window_extent() for ax in column[stem].axes if ax.get_visible()]
        assert len(boxes) == n, stem
        for upper, lower in zip(boxes, boxes[1:]):
            assert upper.y0 > lower.y1, stem
        fig_w = column[stem].bbox.width
        assert all(b.width > 0.45 * fig_w for b in boxes), stem
    boxes = [ax.get_window_extent() for ax in column["small_multiples"].axes]
    assert boxes[0].y0 == pytest.approx(boxes[1].y0) and boxes[0].x1 < boxes[1].x0


@pytest.mark.e2e
@pytest.mark.skipif(shutil.which("mutool") is None, reason="needs mutool (Debian: mupdf-tools)")
def test_column_pdf_text_is_at_least_6_5_points_and_on_the_page(column, tmp_path):
    """The PDFs as written (``save_figure``), read back by MuPDF: a 3.5-in page (252 pt) whose smallest text
    is 6.5 pt (the notice and the scale bar), most of it 7 pt or more, every line of text on the page."""
    import re

    from spillmap.figures import save_figure

    for stem in ("choropleth", "effects", "moran_scatter_W1", "spillover_W1"):  # (saving fixes their layout: last)
        save_figure(column[stem], tmp_path / stem, formats=("pdf",))
        xml = subprocess.run(["mutool", "draw", "-F", "stext", "-o", "-", str(tmp_path / f"{stem}.pdf")],
                             capture_output=True, text=True, check=True).stdout
        page = re.search(r'<page [^>]*width="([\d.]+)" height="([\d.]+)"', xml)
        width, height = float(page.group(1)), float(page.group(2))
        sizes = [float(s) for s in re.findall(r'<font [^>]*size="([\d.]+)"', xml)]
        assert width == pytest.approx(72 * COLUMN_IN) and sizes and min(sizes) >= 6.5, (stem, width, sizes)
        # the spillover maps' notes, which flow around the maps in a column, are 6.5 pt (helper 32): half
        assert sum(s >= 7 for s in sizes) >= sum(s < 7 for s in sizes), (stem, sizes)
        for box in re.findall(r'<line bbox="([-\d. ]+)"', xml):
            x0, y0, x1, y1 = map(float, box.split())
            assert x0 >= -0.5 and y0 >= -0.5 and x1 <= width + 0.5 and y1 <= height + 0.5, (stem, box)


# -------------------------------------------------------------------------- the figure functions
def test_a_map_narrower_than_5_in_puts_its_legend_under_it_and_fits_its_height():
    """``figsize=(3.5, None)`` on a layer taller than wide: the legend under the map in one column, its note
    broken to the width (measured, not at 46 characters), the map as wide as the figure and the height what
    the title, map and legend need; at 6.5 x 5 in the legend stays beside the map, as before."""
    import geopandas as gpd
    from shapely.geometry import box

    from spillmap import figures as F

    cells = gpd.GeoDataFrame({"id": [f"c{i}" for i in range(12)], "v": np.arange(1.0, 13.0)},
                             geometry=[box(x * 1e4, y * 1e4, (x + 1) * 1e4, (y + 1) * 1e4)
                                       for y in range(4) for x in range(3)], crs=3857)
    note = "a long note on the classes that a column cannot hold on one line, not even at seven points wide"
    wide = F.choropleth(cells, "v", id="id", k=3, note=note, title="A title")
    narrow = F.choropleth(cells, "v", id="id", k=3, note=note, title="A title", figsize=(3.5, None))
    for fig in (wide, narrow, narrow):
        fig.canvas.draw()
    (ax,) = narrow.axes
    legend, box_ = ax.get_legend().get_window_extent(), ax.get_window_extent()
    assert legend.y1 <= box_.y0 and ax.get_legend()._ncols == 1 and legend.x1 <= narrow.bbox.x1
    w, h = narrow.get_size_inches()
    assert w == 3.5 and box_.width > 0.95 * narrow.bbox.width  # the map as wide as the figure ...
    assert box_.height == pytest.approx(box_.width * 4 / 3, rel=0.06)  # ... and no taller than it needs
    wide_ax = wide.axes[0]
    assert wide_ax.get_legend().get_window_extent().x0 >= wide_ax.get_window_extent().x1  # beside, as before
    assert tuple(wide.get_size_inches()) == (6.5, 5.0)


def test_notice_can_grow_a_fitted_figure():
    """``add_notice(grow=True)`` makes a figure taller by the strip (the axes keep their height); by default
    the figure keeps its size."""
    from spillmap.figures._style import add_notice, new_figure, notice_strip_inches

    fig = new_figure((3.5, 4.0), layout="constrained")
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1])
    fig.canvas.draw()
    before = ax.get_window_extent().height
    add_notice(fig, "A short notice", grow=True)
    fig.canvas.draw()
    assert fig.get_size_inches()[1] == pytest.approx(round(4.0 + notice_strip_inches(1), 2))
    assert ax.get_window_extent().height == pytest.approx(before, abs=1.5)
    same = new_figure((6.5, 5.0), layout="constrained")
    same.add_subplot()
    add_notice(same, "A short notice")
    assert tuple(same.get_size_inches()) == (6.5, 5.0)


def test_width_layouts_leave_the_full_width_alone():
    """:mod:`spillmap.figures._widths`: nothing to pass at the full width (each function's own layout)."""
    from spillmap.figures import _widths as W

    assert W.map_size(None) == W.spillover_size(None) == W.effects_grid(None, 2) == {}
    assert W.small_grid(None, 2) == {"ncols": 2}
    assert W.scatter_size(None) == ((7.0, 3.7), False) and W.trend_size(None, 2, 2) == ((7.0, 5.8), False)
    assert W.map_size(3.5) == {"figsize": (3.5, None)} and W.map_size(6.0) == {"figsize": (6.0, 4.62)}
    assert W.effects_grid(3.5, 2) == {"ncols": 1, "panel_size": (3.5, 3.0)}
    assert W.scatter_size(6.0) == ((6.0, 3.2), False) and W.scatter_size(3.5)[1]
