"""Audit 27 (a paper author, items 10, 12, 18, 19, 20): legends and the scale bar off the data,
one x-scale for the effects panels, titles in the configured labels and the house style, a grey
"negligible" class on the response map, the synthetic notice at the bottom of the small multiples."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spillmap import figures as F


def _cells(skip=()):
    """A 3 x 3 grid of 10-km squares (EPSG:3857), values 1..9, without the cells ``skip`` ((x, y))."""
    import geopandas as gpd
    from shapely.geometry import box

    keep = [(x, y) for y in range(3) for x in range(3) if (x, y) not in skip]
    return gpd.GeoDataFrame({"id": [f"c{x}{y}" for x, y in keep], "v": np.arange(1.0, len(keep) + 1)},
                            geometry=[box(x * 1e4, y * 1e4, (x + 1) * 1e4, (y + 1) * 1e4) for x, y in keep], crs=3857)


@pytest.fixture(scope="module")
def grid():
    return _cells()


def _drawn(fig):
    fig.canvas.draw()
    return fig


def _data_boxes(ax):
    """Window extents of the units drawn (one per polygon of every collection of the map)."""
    from matplotlib.collections import PatchCollection

    boxes = []
    for coll in ax.collections:
        if isinstance(coll, PatchCollection):
            for path in coll.get_paths():
                boxes.append(path.get_extents(coll.get_transform()))
    return boxes


# ------------------------------------------------------------------ item 12: nothing over the data
def test_map_legends_sit_outside_the_map(grid):
    """paper #12: the legend of a choropleth, a LISA map and a response map covers no unit (it sat in
    the lower left, over West Texas on the US map): it is outside the axes, beside or under the map."""
    resp = pd.Series(np.linspace(0.5, 0.01, 9), index=grid["id"])
    lisa = pd.DataFrame({"cluster": ["HH"] + ["ns"] * 8}, index=grid["id"])
    for fig in (F.choropleth(grid, "v", id="id", k=3), F.lisa_map(grid, lisa, id="id"),
                F.response_map(grid, resp, id="id", source_id="c00", var="x")):
        ax = _drawn(fig).axes[0]
        legend = ax.get_legend().get_window_extent()
        assert not legend.overlaps(ax.get_window_extent())
        assert not any(legend.overlaps(b) for b in _data_boxes(ax))


def test_scale_bar_goes_to_an_empty_corner():
    """paper #12: the scale bar and its labels sit in a corner without units (the "500 km" label sat on
    the Florida coast, the bar on the South China Sea islands); here the lower right is taken, the
    lower left empty."""
    from matplotlib.patches import Rectangle
    from shapely.geometry import box

    gdf = _cells(skip=[(0, 0)])
    ax = F.choropleth(gdf, "v", id="id", k=3).axes[0]
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == 2
    xs = [p.get_x() for p in bars] + [p.get_x() + p.get_width() for p in bars]
    ys = [p.get_y() for p in bars] + [p.get_y() + p.get_height() for p in bars]
    labels = [t.get_position() for t in ax.texts if t.get_text() in ("0",) or t.get_text().endswith(" km")]
    region = box(min(xs), min(ys), max(xs), max(max(ys), *(y for _, y in labels)))
    assert not gdf.geometry.intersects(region).any()


def test_plot_legends_are_off_the_plot():
    """paper #12: the Moran scatterplot's legend (the x = 0 line ran through it) and the Moran trend's
    (over the 95 % band and E[I]) are under the axes, below the x label, not inside."""
    rng = np.random.default_rng(0)
    z = rng.normal(size=200)
    frame = pd.DataFrame({"I": [0.3, 0.31, 0.29], "EI": [-0.01] * 3, "sd": [0.05] * 3}, index=[2001, 2002, 2003])
    for fig in (F.moran_scatter_points(z, 0.5 * z + rng.normal(size=200), moran_i=0.5),
                F.moran_trend(frame, variable="y")):
        ax = _drawn(fig).axes[0]
        legend = ax.get_legend().get_window_extent()
        assert not legend.overlaps(ax.get_window_extent())
        assert legend.y1 <= ax.xaxis.get_tightbbox().y0 + 1e-6  # under the tick labels and the x label


# ------------------------------------------------------------------ item 20: one x-scale
def _effects_frame(scale: float) -> pd.DataFrame:
    rows = [(k, v) for k in ("direct", "indirect", "total") for v in ("a", "b")]
    est = scale * np.arange(1.0, 7.0)
    f = pd.DataFrame({"estimate": est, "ci_lower": est - 0.5, "ci_upper": est + 0.5},
                     index=pd.MultiIndex.from_tuples(rows, names=["effect", "variable"]))
    f.attrs.update(model="SDM", level=0.95)
    return f


def test_effects_panels_share_their_x_scale():
    """paper #20: the panels of the effects figure (one per W) have the same x-limits, so an effect
    reads the same length under every W (W1 ran to 3.5, W2 to 5)."""
    fig = _drawn(F.effects_plot({"SDM, W1": _effects_frame(1.0), "SDM, W2": _effects_frame(3.0)}))
    (a, b) = fig.axes
    assert a.get_xlim() == b.get_xlim()
    assert a.get_xlim()[1] >= 3.0 * 6 + 0.5  # the wider panel's range
    assert [t.get_text() for t in b.get_xticklabels()]  # its ticks still labelled


def test_effects_legend_is_one_row_under_the_panels():
    """paper #12 (leftover of stop 27): the effects figure's legend was placed by matplotlib's "best"
    inside the first panel; it is one figure legend under every panel, above the notice strip."""
    from spillmap.figures._style import add_notice

    fig = F.effects_plot({"SDM, W1": _effects_frame(1.0), "SDM, W2": _effects_frame(3.0),
                          "SDM, W3": _effects_frame(2.0)})
    fig = _drawn(add_notice(fig, "SYNTHETIC DATA"))
    assert all(ax.get_legend() is None for ax in fig.axes)
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["direct", "indirect", "total"]
    leg = legend.get_window_extent()
    for ax in fig.axes:
        if ax.get_visible():
            assert leg.y1 <= ax.get_tightbbox().y0 + 1e-6  # under the panel, its tick labels and x label
    note = next(t for t in fig.texts if t.get_gid() == "spillmap-notice").get_window_extent()
    assert note.y1 <= leg.y0 and leg.y0 >= 0


# ------------------------------------------------------------------ item 19: labels and title style
@pytest.fixture(scope="module")
def demo_results(tmp_path_factory):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from _demo_shared import demo_results as shared

    return shared(tmp_path_factory)  # read once per worker


@pytest.mark.e2e
def test_scenario_figure_title_uses_the_labels_in_bold(demo_results, tmp_path, monkeypatch):
    """paper #19: the scenario figure's title names the changed variable as the tables do ("Industrial
    intelligence +0.02 ...", the spec's title says "int +0.02 ...") and is bold like the other titles."""
    import spillmap.figures
    from spillmap.maps._report_scenarios import scenarios_section

    saved = []
    monkeypatch.setattr(spillmap.figures, "save_figure", lambda fig, path, **kw: saved.append(fig))
    page, tables = scenarios_section(demo_results, tmp_path, lambda *_: None, {w: w for w in demo_results.weights})
    assert saved
    for fig in saved:
        title = fig.axes[0].title
        assert title.get_text().startswith("Industrial intelligence +0.02 in every city of Hubei (W")
        assert title.get_fontweight() == "bold"
    # stop 33: the map's title, the section's heading and the tables' captions name it so too (they said "int +0.02")
    assert "<h3>Industrial intelligence +0.02 in every city of Hubei (W1)</h3>" in page and "int +0.02" not in page
    assert "int +0.02" not in (tmp_path / "maps" / "scenario_hubei_W1.html").read_text(encoding="utf-8")
    captions = [str(getattr(t, "caption", "")) for t in tables.values()]
    assert captions and all(c.startswith("Industrial intelligence +0.02 in every city of Hubei (W") for c in captions)


@pytest.mark.e2e
def test_fixed_effects_title_starts_with_a_capital(demo_results):
    """paper #19: "City fixed effects of the SDM (W1)", not "city fixed effects ..."."""
    from spillmap.maps._report_figures import figure_jobs

    draw = {stem: d for stem, _, d in figure_jobs(demo_results, {w: w for w in demo_results.weights})}
    assert draw["fixed_effects"]().axes[0].get_title(loc="left") == "City fixed effects of the SDM (W1)"


# ------------------------------------------------------------------ item 10: negligible effects grey
def test_response_map_greys_negligible_effects(grid):
    """paper #10: units whose effect is below 1e-3 of the largest of the other units' are one grey
    "negligible" class (they were orange, "2.5e-12 – 3.2e-09", as if they responded), the legend
    states the display threshold, and the other units are classified as before, among themselves."""
    from matplotlib.colors import to_rgba

    from spillmap.figures._effect_maps import NEGLIGIBLE
    from spillmap.maps.spillover import value_classes

    others = np.array([0.1, 0.05, 0.02, 0.01, 1e-5, 1e-7, 1e-9, 1e-12])
    resp = pd.Series(np.r_[0.5, others], index=grid["id"])
    ax = F.response_map(grid, resp, id="id", source_id="c00", var="x", k=3).axes[0]
    faces = [tuple(np.round(f, 6)) for f in ax.collections[0].get_facecolor()]  # the units, in the layer's order
    grey = tuple(np.round(to_rgba(NEGLIGIBLE), 6))
    assert [f == grey for f in faces] == [False] * 5 + [True] * 4  # 1e-5 and below: < 1e-3 x 0.1
    c, colors = value_classes(others[:4], scheme="quantiles", k=3)
    assert faces[1:5] == [tuple(np.round(to_rgba(colors[j]), 6)) for j in c.yb]  # the rest: classified alone
    text = _legend_text(ax)
    assert "negligible: |effect| < 0.0001 (4)" in text
    assert "below 0.1 % of the largest |effect| on another unit (a display threshold, not a test)" in text


def _legend_text(ax) -> str:
    return " ".join(" ".join(t.get_text().split()) for t in ax.get_legend().get_texts())


# ------------------------------------------------------------------ item 18: the notice at the bottom
def test_small_multiples_notice_is_at_the_bottom_under_its_legend(grid):
    """paper #18: the synthetic-data notice of the small multiples sits along the bottom edge, as on
    every other figure (it was at the top, crowding the title), under the shared legend and clear of it."""
    from spillmap.figures._style import add_notice

    panel = pd.DataFrame([(i, t, v * t) for t in (1, 2) for i, v in zip(grid["id"], grid["v"])],
                         columns=["id", "t", "v"])
    fig = F.small_multiples(grid, panel, id="id", time="t", column="v", ncols=2, title="v by cell")
    fig = _drawn(add_notice(fig, "SYNTHETIC DATA"))
    note = next(t for t in fig.texts if t.get_gid() == "spillmap-notice").get_window_extent()
    (legend,) = fig.legends
    leg = legend.get_window_extent()
    assert note.y1 <= 0.2 * fig.bbox.height  # along the bottom edge
    assert note.y1 <= leg.y0 and not note.overlaps(leg)  # under the legend, clear of it
    assert all(leg.y1 <= ax.get_window_extent().y0 + 1e-6 for ax in fig.axes if ax.get_visible())
    assert fig._suptitle.get_window_extent().y1 <= fig.bbox.height + 1e-6
