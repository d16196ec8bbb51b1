"""Audit 27 (a paper author using the static figures): LISA classes that read apart in
greyscale, the significance of mapped effects, legends off the data, shared scales."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spillmap import figures as F


@pytest.fixture(scope="module")
def grid():
    """A 3 x 3 grid of 10-km squares (EPSG:3857, metres), values 1..9, two groups by row."""
    import geopandas as gpd
    from shapely.geometry import box

    cells = [box(x * 1e4, y * 1e4, (x + 1) * 1e4, (y + 1) * 1e4) for y in range(3) for x in range(3)]
    return gpd.GeoDataFrame({"id": list("abcdefghi"), "v": np.arange(1.0, 10.0),
                             "g": ["south"] * 3 + ["north"] * 6}, geometry=cells, crs=3857)


def test_lisa_figure_stripes_units_outside_and_outlines_light_units(grid):
    """paper #13: "not in sample" is hatched (not a second light grey) in the map and the
    legend, and the units in the sample have grey borders, not white ones that make the
    near-white "not significant" units vanish on paper."""
    from matplotlib.colors import to_rgb

    lisa = pd.DataFrame({"cluster": ["HH", "ns", "ns", "ns", "ns", "ns", "ns", "ns"]}, index=list("abcdefgh"))
    ax = F.lisa_map(grid, lisa, id="id").axes[0]
    outside, inside = ax.collections[0], ax.collections[1]
    assert outside.get_hatch() and np.allclose(np.asarray(outside.get_facecolor())[:, :3], 1.0)
    edges = np.asarray(inside.get_edgecolor())[:, :3]
    assert (edges.max(axis=1) < 0.7).all()  # dark enough to outline white-ish units
    handles = {h.get_label(): h for h in ax.get_legend().legend_handles}
    assert handles["not in sample (1)"].get_hatch()
    assert not handles["not significant (7)"].get_hatch()
    assert np.allclose(handles["not significant (7)"].get_facecolor()[:3], to_rgb("#f0f0f0"))


AVERAGES = {"direct": {"estimate": 0.38, "se": 0.052, "p": 2e-13},
            "indirect": {"estimate": -0.0963, "se": 0.0768, "p": 0.2102}}


def _legend_text(ax) -> str:
    return " ".join(" ".join(t.get_text().split()) for t in ax.get_legend().get_texts())


def test_spillover_figure_says_when_the_average_effect_is_not_significant(grid):
    """paper #11: a panel whose average effect (from the fit's effects table, as passed) is
    not significant says so under its title and in its legend, with the estimate, SE and p;
    every panel's legend says in one sentence what it shows."""
    ue = pd.DataFrame({"direct": np.linspace(0.3, 0.5, 9), "indirect_received": np.linspace(-0.1, -0.09, 9),
                       "indirect_emitted": np.linspace(-0.2, -0.01, 9)}, index=list("abcdefghi"))
    fig = F.spillover_maps(grid, ue, id="id", var="x", y="y", unit="city", average_effects=AVERAGES, level=0.95)
    direct, received, emitted = fig.axes
    line = "average indirect effect −0.096 (SE 0.077, p = 0.21): not significant at 5 %"
    assert line in _legend_text(received) and line in _legend_text(emitted)
    assert "average direct effect 0.380 (SE 0.052, p < 0.001): significant at 5 %" in _legend_text(direct)
    assert "received: how much this city's y changes when x rises by one unit in every other city" \
           in _legend_text(received)
    flags = {i: [t.get_text() for t in ax.texts if "not significant" in t.get_text()] for i, ax in enumerate(fig.axes)}
    assert flags == {0: [], 1: ["average indirect effect not significant at 5 % (p = 0.21)"],
                     2: ["average indirect effect not significant at 5 % (p = 0.21)"]}
    resp = pd.Series(np.r_[0.5, np.linspace(-0.01, -0.001, 8)], index=list("abcdefghi"))
    ax = F.response_map(grid, resp, id="id", source_id="a", var="x", average_effects=AVERAGES).axes[0]
    assert line in _legend_text(ax)
