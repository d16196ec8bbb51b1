"""A map's default legend (``legend_loc="outside"``) drawn into a user's ``plt.subplots()`` axes (``ax=``)
stays inside those axes, not over the neighbouring ones (notebook audit 32 #13)."""
from __future__ import annotations

import numpy as np
import pytest


def _grid():
    import geopandas as gpd
    from shapely.geometry import box

    cells = [box(100 + i, 30 + j, 101 + i, 31 + j) for i in range(6) for j in range(4)]
    return gpd.GeoDataFrame({"id": [f"u{k}" for k in range(len(cells))], "v": np.arange(len(cells), dtype=float)},
                            geometry=cells, crs="EPSG:4326")


def _inside(inner, outer) -> bool:
    return outer.x0 <= inner.x0 and inner.x1 <= outer.x1 and outer.y0 <= inner.y0 and inner.y1 <= outer.y1


@pytest.mark.parametrize("size", [(10, 4), (6, 8)])  # maps narrower and wider than their axes' box
def test_choropleth_legend_inside_a_user_axes_without_layout(size):
    from matplotlib.figure import Figure

    from spillmap.figures import choropleth

    fig = Figure(figsize=size)  # as plt.subplots(1, 2) makes it: no layout engine
    a1, a2 = fig.subplots(1, 2) if size[0] > size[1] else fig.subplots(2, 1)
    a2.plot([0, 1])
    choropleth(_grid(), "v", id="id", ax=a1)
    fig.canvas.draw()
    assert _inside(a1.get_legend().get_window_extent(), a1.get_window_extent())


def test_choropleth_own_figure_keeps_legend_outside():
    from spillmap.figures import choropleth

    fig = choropleth(_grid(), "v", id="id")
    fig.canvas.draw()
    ax = fig.axes[0]
    assert not _inside(ax.get_legend().get_window_extent(), ax.get_window_extent())
