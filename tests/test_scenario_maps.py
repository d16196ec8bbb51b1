"""Scenario maps (spillmap.maps.scenario): values drawn, escaping, compact click-map data, figure."""
from __future__ import annotations

import base64
import json
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from spillmap.errors import DataError
from spillmap.estimation import response_columns, scenario
from spillmap.maps._layers import format_significant
from spillmap.maps._offline import render_html
from spillmap.maps.scenario import (
    NEGATIVE,
    POSITIVE,
    _greyed,
    diverging_classes,
    explore_map,
    scenario_figure,
    scenario_map,
)

sys.path.insert(0, str(Path(__file__).parent))  # the fixtures' plain module (see its docstring)
from _scenario_fixtures import grid, sdm  # noqa: E402, F401  (shared fixtures)


def _cfg(page: str) -> dict:
    m = re.search(r"var cfg = (\{.*?\});\n", page)
    return json.loads(m.group(1))


def test_diverging_classes_are_centred_on_zero():
    v = np.array([-4.0, -1.0, 0.0, 0.5, 1.0, 2.0, 4.0, np.nan])
    colors, entries = diverging_classes(v)
    assert colors[2] == "#f7f7f7" and colors[-1] == "#c8c8c8"
    assert colors[0] == "#2166ac" and colors[6] == "#b2182b"   # ±max: the darkest of each side
    assert colors[1] == diverging_classes(-v)[0][4]           # symmetric: -1 and +1 are in the same class
    assert any("0 (no change)" in e[1] for e in entries)


def test_scenario_map_draws_the_result(grid, sdm):
    attrs = grid.set_index("id")[["name"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = scenario(sdm, "x2", ["7", "3"], change=0.5, attributes=attrs, names="name", draws=200)
    m = scenario_map(grid, r, id="id", name_column="name", title="<b>scenario</b>", notice="demo")
    page = render_html(m)
    assert "<img src=x" not in page and "<b>scenario</b>" not in page         # escaped / textContent
    assert '["7","3"]' in page or '["3","7"]' in page                           # shocked units outlined
    f = r.to_frame()
    from spillmap.maps._scenario_tables import scenario_decimals
    from spillmap.tables import format_number

    # a tooltip value, with the decimals of the scenario's tables (planner audit 32 #5; U+2212 escaped)
    assert json.dumps(format_number(f.loc['12', 'total'], scenario_decimals(r)).replace("-", "\u2212"))[1:-1] in page
    assert "interval of the change includes 0 (200 parameter draws)" in page      # the CI rule in the legend
    # x2's spillovers (rho beta + theta) are near 0: the other units' intervals include 0, greyed
    greyed = f["ci_includes_zero"]
    assert 0 < greyed.sum() < 30 and not greyed[["7", "3"]].any()
    colors = re.findall(r'"c0":"(#[0-9a-f]{6})"', page)                        # one per feature
    pale = {_greyed(x) for x in POSITIVE + NEGATIVE + ("#f7f7f7",)}
    from spillmap.maps.spillover import NEGLIGIBLE

    # a greyed unit in a class colour gets its sign's dull tint, a negligible one keeps the grey (planner audit 32 #1)
    assert len(colors) == 30 and all((c in pale or c == NEGLIGIBLE) == g for c, g in zip(colors, greyed))


def test_explore_map_embeds_the_columns_compactly(grid, sdm):
    cols = response_columns(sdm, "x1")
    page = render_html(explore_map(grid, cols, id="id", name_column="name", y="y"))
    cfg = _cfg(page)
    values = np.frombuffer(base64.b64decode(cfg["values"]), dtype="<f4").reshape(30, 30)
    np.testing.assert_allclose(values.T, cols["matrix"], rtol=1e-6)     # float32: 7 significant digits
    assert cfg["start"] == int(np.argmax(np.abs(cols["emitted"])))
    assert "<img src=x" not in page
    top = response_columns(sdm, "x1", max_dense=0, top_k=4)
    cfg = _cfg(render_html(explore_map(grid, top, id="id", y="y", start="12")))
    idx = np.frombuffer(base64.b64decode(cfg["index"]), dtype="<i4").reshape(30, 4)
    assert cfg["k"] == 4 and cfg["start"] == 12 and list(idx[12]) == list(top["index"][:, 12])
    with pytest.raises(DataError, match="start unit '99'"):
        explore_map(grid, cols, id="id", start="99")


def test_figure_has_the_top_units(sdm):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = scenario(sdm, "x1", ["7"], change=0.5, method="delta")
    first = r.top_receivers(1, shocked=False).index[0]       # the largest spillover received
    fig = scenario_figure(r, k=5, names={first: "First"})
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 5 and labels[-1] == f"First ({first})" and "7" not in labels   # drawn top down


# ------------------------------------------------- units of the layer outside the sample (user audit)
@pytest.fixture(scope="module")
def wider(grid):
    """The lattice's layer with two more units east of it that are not in the model."""
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import box

    extra = gpd.GeoDataFrame([("90", "Outside A", box(105, 30, 106, 31)), ("91", "Outside B", box(105, 29, 106, 30))],
                             columns=["id", "name", "geometry"], crs=4326)
    return gpd.GeoDataFrame(pd.concat([grid, extra], ignore_index=True), crs=4326)


def _collections(page: str) -> list[list[dict]]:
    """The features of each embedded FeatureCollection (``var spillmap_geo_data_... = {...};``)."""
    return [json.loads(m)["features"] for m in re.findall(r"var spillmap_geo_data_\w+ = (\{.*?\});\n", page, re.S)]


def _legend_texts(page: str) -> list[str]:
    return [json.loads(s) for s in re.findall(r"div\.innerHTML = (\".*?\");", page)]


def _assert_context_drawn(page: str, n_sample: int) -> None:
    """The two outside units are a grey context layer with a "not in sample" tooltip, as on the LISA map."""
    from spillmap.maps._elements import CONTEXT_COLOR

    sizes = sorted(len(f) for f in _collections(page))
    assert sizes == [2, n_sample]
    (ctx,) = [f for f in _collections(page) if len(f) == 2]
    assert [f["properties"]["id"] for f in ctx] == ["90", "91"]
    assert all(f["properties"]["ctx"] == [["not in sample", "—"]] for f in ctx)
    assert f'fillColor: "{CONTEXT_COLOR}", fillOpacity: 1' in page        # ContextLayer's style


def test_scenario_map_draws_units_outside_the_sample_grey(wider, sdm):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = scenario(sdm, "x2", ["7"], change=0.5, method="delta")
    page = render_html(scenario_map(wider, r, id="id", name_column="name"))
    _assert_context_drawn(page, 30)
    legends = _legend_texts(page)
    assert len(legends) == 3 and all("not in sample (2)" in leg for leg in legends)
    assert not any("no data" in leg for leg in legends)


def test_explore_map_draws_units_outside_the_sample_grey(wider, sdm):
    page = render_html(explore_map(wider, response_columns(sdm, "x1"), id="id", name_column="name", y="y"))
    _assert_context_drawn(page, 30)
    cfg = _cfg(page)
    assert cfg["not_in_sample"] == 2 and cfg["not_in_sample_label"] == "not in sample (2)"
    assert "function keepClear()" in page                                     # legend / title kept off the sample


def test_legend_entries_wrap_inside_the_box(grid, sdm):
    """A long entry (the interval rule) wraps: legend entries are flex rows, not ``nowrap``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = scenario(sdm, "x2", ["7"], change=0.5, method="delta")
    page = render_html(scenario_map(grid, r, id="id"))
    rule = re.search(r"\.spillmap-legend \.e \{([^}]*)\}", page).group(1)
    assert "nowrap" not in rule and "display: flex" in rule
    assert re.search(r"\.spillmap-legend \.e i \{[^}]*flex: none", page)      # the swatch keeps its size


def test_explore_panel_is_compact_and_foldable(grid, sdm):
    page = render_html(explore_map(grid, response_columns(sdm, "x1"), id="id", y="y"))
    assert re.search(r"\.spillmap-panel \{[^}]*max-width: 220px", page)
    assert 'control("topleft", "spillmap-panel spillmap-explore"' in page      # off the title's corner
    assert 'control("bottomleft", "spillmap-legend"' in page                   # as on the other maps
    cfg = _cfg(page)
    assert cfg["notes_below"] == 640 and cfg["collapse_below"] == 420
