"""Maps: render to HTML and inspect it (features, legend classes, no data, escaping, no CDN)."""
from __future__ import annotations

import json
import re

import folium
import numpy as np
import pandas as pd
import pytest

from spillmap.errors import CRSError, DataError, InputError, OutputError
from spillmap.maps import _layers, choropleth, choropleth_panel, classify, render_html, save_map
from spillmap.maps._offline import remote_urls
from spillmap.maps.lisa import LISA_COLORS, lisa_map
from spillmap.maps.spillover import spillover_map, unit_response_map

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture()
def states(us48):
    g = us48.copy()
    rng = np.random.default_rng(1)
    g["v"] = rng.normal(size=len(g))
    return g


def _features(html: str) -> list[dict]:
    """The embedded FeatureCollection (the one ``var SpillmapGeoData_... = {...};``)."""
    m = re.search(r"var spillmap_geo_data_\w+ = (\{.*?\});\n", html, re.S)
    assert m, "no embedded geometry"
    return json.loads(m.group(1))["features"]


def _legends(html: str) -> list[str]:
    return [json.loads(s) for s in re.findall(r"div\.innerHTML = (\".*?\");", html)]


def test_choropleth_features_legend_and_tooltip(states):
    html = render_html(choropleth(states, "v", id="STATE_ABBR", name_column="STATE_NAME", k=5))
    feats = _features(html)
    assert len(feats) == len(states) == 48
    assert {f["properties"]["id"] for f in feats} == set(states["STATE_ABBR"])
    (legend,) = _legends(html)
    assert legend.count('<div class="e">') == 5  # five classes
    counts = [int(c) for c in re.findall(r"\((\d+)\)</div>", legend)]
    assert sum(counts) == 48
    assert "no data" not in legend
    # tooltip rows: the name as a heading (empty value), the id, the value
    tx = feats[0]["properties"]
    name = states.set_index("STATE_ABBR").loc[tx["id"], "STATE_NAME"]
    assert tx["base_tip"][0] == [name, ""] and tx["base_tip"][1] == ["id", tx["id"]]  # "id", not the column name (audit 32 #13)
    assert tx["t0"][0][0] == "v"
    # every tooltip value is the unit's own value
    vals = states.set_index("STATE_ABBR")["v"]
    for f in feats:  # the tooltip shows the value rounded: within half a unit of its last decimal
        shown = float(f["properties"]["t0"][0][1].replace(",", "").replace("\u2212", "-"))  # U+2212 as shown
        assert shown == pytest.approx(vals[f["properties"]["id"]], abs=0.5 * 10 ** -len(f["properties"]["t0"][0][1].split(".")[1]))


def test_classes_match_mapclassify(states):
    import mapclassify

    c = classify(states["v"], scheme="fisher_jenks", k=4)
    ref = mapclassify.FisherJenks(states["v"].to_numpy(), k=4)  # independent: mapclassify itself
    np.testing.assert_allclose(c.bins, ref.bins, rtol=0, atol=0)  # bins are data values mapclassify picks: exact
    np.testing.assert_array_equal(c.yb, ref.yb)
    user = classify([1.0, 2.0, 3.0, np.nan], scheme="user", bins=[1.5, 3.0])
    assert list(user.yb) == [0, 1, 1, -1] and user.counts == (1, 2)


@pytest.mark.parametrize("kind", ["normal", "rounded", "integers", "lognormal"])
def test_fisher_jenks_bounds_equal_mapclassify(kind):
    """spillmap's vectorised Fisher-Jenks gives mapclassify's bounds exactly (its pure-Python
    programme, which the vectorised one reproduces operation for operation in float32), on
    continuous, rounded (many ties), integer and wide-range data, 2-9 classes."""
    from mapclassify.classifiers import _fisher_jenks_means

    from spillmap.maps._fisher_jenks import fisher_jenks_bins

    rng = np.random.default_rng(["normal", "rounded", "integers", "lognormal"].index(kind))
    checked = 0
    for _ in range(40):
        n, k = int(rng.integers(5, 100)), int(rng.integers(2, 10))
        v = {"normal": lambda: rng.normal(size=n), "rounded": lambda: np.round(rng.gamma(1.5, size=n), 1),
             "integers": lambda: rng.integers(0, 7, n).astype(float),
             "lognormal": lambda: rng.lognormal(size=n) * 1e6}[kind]()
        if np.unique(v).size < k:
            continue
        np.testing.assert_array_equal(fisher_jenks_bins(v, k), _fisher_jenks_means(np.sort(v), classes=k))
        checked += 1
    assert checked >= 20


def test_missing_values_are_grey_with_legend_entry(states):
    states.loc[states.index[:3], "v"] = np.nan
    html = render_html(choropleth(states, "v", id="STATE_ABBR"))
    feats = _features(html)
    grey = [f["properties"]["id"] for f in feats if f["properties"]["c0"] == _layers.NO_DATA_COLOR]
    assert sorted(grey) == sorted(states["STATE_ABBR"].iloc[:3])
    (legend,) = _legends(html)
    assert "no data (3)" in legend
    assert [f["properties"]["t0"][0][1] for f in feats if f["properties"]["id"] in grey] == ["no data"] * 3


def test_user_strings_are_escaped(states):
    states.loc[states.index[0], "STATE_NAME"] = XSS
    states[XSS] = states["v"]
    m = choropleth(states, XSS, id="STATE_ABBR", name_column="STATE_NAME", title=XSS, notice=XSS,
                   tooltip_columns=["STATE_NAME"])
    html = render_html(m)
    assert "<img" not in html  # never as markup: JSON-escaped or HTML-escaped
    assert XSS in [f["properties"]["base_tip"][0][0] for f in _features(html)]  # kept as text (name heading)
    (legend,) = _legends(html)
    assert "&lt;img src=x onerror=alert(1)&gt;" in legend and "<img" not in legend
    # layer names go through Leaflet's innerHTML: escaped
    panel = pd.DataFrame({"STATE_ABBR": list(states["STATE_ABBR"]) * 2, "t": [1] * 48 + [2] * 48,
                          XSS: np.arange(96.0)})
    html2 = render_html(choropleth_panel(states, panel, id="STATE_ABBR", time="t", columns=[XSS]))
    assert "<img" not in html2
    # the variable switcher gets the name as JSON (no "<") and sets it with textContent
    assert '"\\u003cimg src=x onerror=alert(1)\\u003e"' in html2 and "opt.textContent = o" in html2


def test_offline_html_has_no_remote_sources(states, tmp_path):
    m = choropleth(states, "v", id="STATE_ABBR")
    html = render_html(m)
    assert remote_urls(html) == []
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']?(https?:)?//", html)
    assert "L.version" in html or "Leaflet" in html  # Leaflet inlined
    path = save_map(m, tmp_path / "m.html")
    assert path.read_text(encoding="utf-8") == render_html(m)
    online = render_html(choropleth(states, "v", id="STATE_ABBR"), offline=False)
    assert any("leaflet" in u for u in remote_urls(online))  # the check does detect CDN links


def test_offline_refuses_elements_with_remote_assets(states):
    from folium.plugins import Fullscreen

    m = choropleth(states, "v", id="STATE_ABBR")
    Fullscreen().add_to(m)
    with pytest.raises(OutputError, match="Fullscreen"):
        render_html(m)


def test_reprojects_to_lonlat(states):
    html = render_html(choropleth(states.to_crs(3857), "v", id="STATE_ABBR"))
    xy = np.array(re.findall(r"\[(-?\d+\.\d+),(-?\d+\.\d+)\]", _json_geom(html, 48)), dtype=float)
    assert xy.size and (xy[:, 0] > -125).all() and (xy[:, 0] < -66).all() and (xy[:, 1] > 24).all()
    # coordinates rounded to 5 decimals
    decimals = [len(s.split(".")[1]) for s in re.findall(r"-?\d+\.\d+", _json_geom(html))]
    assert max(decimals) <= 5


def _json_geom(html: str, n: int = 3) -> str:
    return json.dumps([f["geometry"] for f in _features(html)][:n], separators=(",", ":"))


def test_m_adds_a_layer(states):
    m = choropleth(states, "v", id="STATE_ABBR")
    m2 = choropleth(states.assign(w=-states["v"]), "w", id="STATE_ABBR", m=m)
    assert m2 is m
    html = render_html(m)
    assert len(re.findall(r"var spillmap_geo_data_\w+ =", html)) == 2


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        ({"column": "nope"}, DataError, "'nope'"),
        ({"column": "STATE_NAME"}, DataError, "not numeric"),
        ({"column": "v", "scheme": "jenks"}, InputError, "quantiles, fisher_jenks"),
        ({"column": "v", "scheme": "user"}, InputError, "bins"),
        ({"column": "v", "k": 12}, InputError, "k=12"),
        ({"column": "v", "cmap": "NotAMap"}, InputError, "NotAMap"),
    ],
)
def test_bad_input(states, kwargs, err, match):
    with pytest.raises(err, match=match):
        choropleth(states, id="STATE_ABBR", **kwargs)


def test_bad_layer(states):
    with pytest.raises(CRSError, match="no CRS"):
        choropleth(states.set_crs(None, allow_override=True), "v", id="STATE_ABBR")
    dup = pd.concat([states, states.iloc[:1]])
    with pytest.raises(DataError, match="duplicate ids: 'AL'|duplicate ids"):
        choropleth(dup, "v", id="STATE_ABBR")
    with pytest.raises(DataError, match="'FIPS'"):
        choropleth(states, "v", id="FIPS")
    from spillmap.errors import GeometryError

    pts = states.copy()
    pts.loc[pts.index[2], "geometry"] = pts.geometry.iloc[2].centroid
    with pytest.raises(GeometryError, match=f"'{pts['STATE_ABBR'].iloc[2]}'.*Point"):
        choropleth(pts, "v", id="STATE_ABBR")
    empty = states.copy()
    empty.loc[empty.index[1], "geometry"] = None
    with pytest.raises(GeometryError, match=f"empty geometry.*'{empty['STATE_ABBR'].iloc[1]}'"):
        choropleth(empty, "v", id="STATE_ABBR")


def test_choropleth_panel_layers_and_pooled_classes(states):
    ids = list(states["STATE_ABBR"])
    panel = pd.DataFrame({"STATE_ABBR": ids * 3, "year": np.repeat([2000, 2001, 2002], 48),
                          "a": np.arange(144.0), "b": np.arange(144.0) ** 2})
    panel = panel.iloc[1:]  # AL missing in 2000 -> no data in that layer
    m = choropleth_panel(states, panel, id="STATE_ABBR", time="year", columns=["a", "b"], k=4)
    html = render_html(m)
    assert len(re.findall(r"= L\.geoJSON\(", html)) == 6  # 2 variables x 3 years
    assert "spillmap-switch" in html and "L.control.layers" not in html  # two drop-down lists, no radio list
    legends = _legends(html)
    assert len(legends) == 6 and "no data (1)" in legends[0]
    # pooled classes: the same bounds in every period of a variable
    bounds = [re.findall(r"(\d[\d,.]*) – ", lg) for lg in legends[:3]]
    assert bounds[0] == bounds[1] == bounds[2]
    with pytest.raises(DataError, match=r"duplicate \(id, time\)"):
        choropleth_panel(states, pd.concat([panel, panel.iloc[:1]]), id="STATE_ABBR", time="year", columns=["a"])
    with pytest.raises(DataError, match="periods not in column 'year'"):
        choropleth_panel(states, panel, id="STATE_ABBR", time="year", columns=["a"], periods=[1999])
    # a panel keyed by another name than the layer's: layer_id= gives the same page as renaming
    low = panel.rename(columns={"STATE_ABBR": "state"})
    assert render_html(choropleth_panel(states, low, id="state", layer_id="STATE_ABBR", time="year",
                                        columns=["a", "b"], k=4)) == html.replace("STATE_ABBR", "state")
    with pytest.raises(DataError, match="layer_id column 'abbr' not in the layer"):
        choropleth_panel(states, low, id="state", layer_id="abbr", time="year", columns=["a"])


def test_lisa_map(states):
    from spillmap.spatial.autocorrelation import local_moran
    from spillmap.spatial.builders import contiguity

    w = contiguity(states, "STATE_ABBR")
    y = states.set_index("STATE_ABBR")["v"].reindex(list(w.ids)).to_numpy()
    lisa = local_moran(y, w, permutations=99, seed=3, alpha=0.1)
    html = render_html(lisa_map(states, lisa, id="STATE_ABBR", variable="v"))
    (legend,) = _legends(html)
    assert "99 conditional permutations" in legend and "α = 0.1" in legend
    feats = {f["properties"]["id"]: f["properties"]["c0"] for f in _features(html)}
    for ident, cl in lisa["cluster"].astype(str).items():
        assert feats[ident] == LISA_COLORS[cl]
    counts = lisa["cluster"].value_counts()
    assert f"not significant ({counts['ns']})" in legend
    with pytest.raises(DataError, match="'cluster'"):
        lisa_map(states, lisa.drop(columns=["cluster", "quadrant"]), id="STATE_ABBR")
    bad = lisa.rename(index={lisa.index[0]: "XX"})
    with pytest.raises(DataError, match="'XX'"):
        lisa_map(states, bad, id="STATE_ABBR")


def test_spillover_maps(states):
    ids = list(states["STATE_ABBR"])
    rng = np.random.default_rng(0)
    ue = pd.DataFrame({"direct": rng.uniform(0.3, 0.4, 48), "indirect_received": rng.normal(0, 1, 48),
                       "indirect_emitted": rng.uniform(0.1, 1, 48)}, index=pd.Index(ids, name="id"))
    html = render_html(spillover_map(states, ue, id="STATE_ABBR", var="x1"))
    assert len(re.findall(r"= L\.geoJSON\(", html)) == 3
    legends = _legends(html)
    assert "spillover received" in legends[1] and "spillover emitted" in legends[2]
    # the received layer mixes signs: diverging classes with a bound at 0
    assert re.search(r"– 0\.0+ \(\d+\)</div>", legends[1])
    resp = pd.Series(rng.uniform(0, 0.01, 48), index=ids)
    resp["TX"] = 0.5
    html = render_html(unit_response_map(states, resp, id="STATE_ABBR", source_id="TX", var="x1"))
    assert '["TX"]' in html  # outlined (highlight list)
    (legend,) = _legends(html)
    assert "TX itself (direct): 0.5" in legend and "no data" not in legend
    with pytest.raises(DataError, match="lacks column"):
        spillover_map(states, ue.drop(columns="direct"), id="STATE_ABBR", var="x1")
    with pytest.raises(DataError, match="'ZZ'"):
        unit_response_map(states, resp, id="STATE_ABBR", source_id="ZZ", var="x1")


def test_china_map_size_under_3mb():
    from spillmap import datasets

    g = datasets.china_prefectures(web=True)
    g = g[g["level"].isin(["municipality", "prefecture_city"])].copy()
    g["v"] = np.arange(len(g), dtype=float)
    html = render_html(choropleth(g, "v", id="adcode", name_column="name"))
    assert len(_features(html)) == 297
    assert len(html.encode("utf-8")) <= 3_000_000
