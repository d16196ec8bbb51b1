"""The scenario maps' test fixtures (a 6 x 5 lattice of square cities and an SDM fitted on it), in a plain
module: tests/test_scenario_maps.py and the later stops' map tests use them, and a relative import of one
test module from another fails under pytest 8.0's importlib mode when the other is collected later (the
lowest-version run: tests/test_maps33_fit.py and tests/test_scenario33_group.py sort before
tests/test_scenario_maps.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from spillmap.estimation import SpatialPanel

sys.path.insert(0, str(Path(__file__).parent))
from test_scenario import _lattice, simulate_panel  # noqa: E402


@pytest.fixture(scope="module")
def grid():
    """The 6 x 5 lattice as square polygons (EPSG:4326), ids as lat2W numbers them (row-major)."""
    import geopandas as gpd
    from shapely.geometry import box

    rows = [(str(r * 5 + c), f"City {r * 5 + c}", box(100 + c, 30 - r, 101 + c, 31 - r))
            for r in range(6) for c in range(5)]
    rows[3] = ("3", "<img src=x onerror=alert(1)>", rows[3][2])
    return gpd.GeoDataFrame(rows, columns=["id", "name", "geometry"], crs=4326)


@pytest.fixture(scope="module")
def sdm():
    w = _lattice(6, 5).row_standardize()
    df = simulate_panel(w, t=8, seed=1)
    return SpatialPanel(df, y="y", x=["x1", "x2"], id="id", time="t", w=w, model="sdm").fit()
