"""Planner audit 32 #3 and #8: a diverging palette breaks at 0.

#3: the fixed-effects map (HTML and static) classed the recovered fixed effects, which sum to zero, by quantiles
over all values on RdBu_r: its white middle class was −0.324 – −0.004 and a light-red class straddled 0.  The map
now classes each sign apart (:mod:`spillmap.maps._diverging`): blue classes below 0, red ones above, a class limit
at 0, no white class.  #8: the scenario figure's bars take the colour of their sign, as the scenario map does
(:func:`spillmap.maps._diverging.signed_barh`).

The colour checks need no reference number: a ColorBrewer blue has more blue than red in it, a red more red than
blue, and each class's limits are read back from the legend the reader sees.
"""
from __future__ import annotations

import json
import re
from types import SimpleNamespace

import numpy as np
import pytest

MINUS = "\u2212"
#: skewed like the demo's fixed effects: most units a little below 0, a few far above; the sum is 0
VALUES = np.array([-0.5, -0.42, -0.33, -0.3, -0.25, -0.2, -0.12, -0.06, -0.01, -0.003, 0.25, 0.6, 0.75, 0.603])
VALUES = VALUES - VALUES.mean()


def _hue(color: str) -> str:
    """``"blue"``, ``"red"`` or ``"white"`` (a grey: red and blue within 8 of 255) of a ``#rrggbb`` colour."""
    r, b = int(color[1:3], 16), int(color[5:7], 16)
    return "white" if abs(r - b) <= 8 else "blue" if b > r else "red"


def _number(text: str) -> float:
    return float(text.replace(MINUS, "-").replace(",", ""))


def _layer():
    import geopandas as gpd
    from shapely.geometry import box

    ids = [f"u{i:02d}" for i in range(VALUES.size)]
    return gpd.GeoDataFrame({"id": ids, "name": ids}, geometry=[box(i, 0, i + 1, 1) for i in range(len(ids))],
                            crs=4326)


def _check_classes(entries: list[tuple[str, str]]) -> None:
    """Each legend class ``(colour, "lo – hi (n)")``: blue ones end at or below 0, red ones start at or above it,
    one class limit is 0, and none is white."""
    limits = []
    for color, label in entries:
        lo, hi = (_number(t) for t in re.match(r"(\S+) – (\S+)", label).groups())
        limits += [lo, hi]
        assert _hue(color) != "white", (color, label)
        assert (hi <= 0) if _hue(color) == "blue" else (lo >= 0), (color, label)
    assert 0.0 in limits


def test_classes_are_quantiles_within_each_sign():
    from spillmap.maps._classify import class_labels
    from spillmap.maps._diverging import classify_by_sign, sign_palette

    c = classify_by_sign(VALUES, k=3)
    neg, pos = VALUES[VALUES < 0], VALUES[VALUES >= 0]
    # the reference: numpy's linear-interpolation quantiles of each sign apart (mapclassify.Quantiles' rule)
    expected = [*np.quantile(neg, [1 / 3, 2 / 3]), 0.0, *np.quantile(pos, [1 / 3, 2 / 3]), pos.max()]
    np.testing.assert_allclose(c.bins, expected, rtol=1e-12)  # tolerance: the same quantiles, float rounding only
    assert c.negative == 3 and sum(c.counts) == VALUES.size
    assert all((VALUES[c.yb == j] < 0).all() for j in range(3)) and (VALUES[c.yb >= 3] >= 0).all()
    colors = sign_palette(c, "RdBu_r")
    assert [_hue(x) for x in colors] == ["blue"] * 3 + ["red"] * 3
    assert colors[2] != colors[0] and colors[3] != colors[5]  # lightest next to 0, darkest at the ends
    _check_classes(list(zip(colors, class_labels(c))))


def test_one_sided_and_missing_values():
    from spillmap.maps._diverging import classify_by_sign, sign_palette

    c = classify_by_sign([-3.0, -2.0, -1.0, np.nan], k=2)
    assert c.negative == c.k == 2 and c.bins[-1] == -1.0 and c.yb[-1] == -1  # all below 0: ends at the maximum
    assert {_hue(x) for x in sign_palette(c)} == {"blue"}
    c = classify_by_sign([-1.0, 2.0], k=1)
    assert c.bins == (0.0, 2.0) and [_hue(x) for x in sign_palette(c)] == ["blue", "red"]


def test_html_fixed_effects_map_breaks_at_zero(tmp_path, monkeypatch):
    from spillmap.maps import _report_maps

    saved = {}
    monkeypatch.setattr(_report_maps, "_save", lambda folder, name, m, caption, stills: saved.setdefault(name, m))
    layer = _layer()
    ids = layer["id"].tolist()
    fx = {"W1": {"unit": {i: {"estimate": float(v)} for i, v in zip(ids, VALUES)}, "intercept": 1.5}}
    r = SimpleNamespace(fixed_effects=fx, unit_label="city", notice=None)
    _report_maps._fixed_effects_map(r, tmp_path, layer, "id", ["name"], None, ids, {"fixed_effects"}, ())
    children = list(saved["fixed_effects.html"]._children.values())
    data = next(ch for ch in children if hasattr(ch, "data_js"))  # the features and their colours
    page = json.loads(next(ch for ch in children if hasattr(ch, "html_js")).html_js)  # the legend
    features = json.loads(data.data_js)["features"]
    assert len(features) == VALUES.size
    for f in features:
        value = dict(zip(ids, VALUES))[f["properties"]["id"]]
        assert _hue(f["properties"]["c0"]) == ("blue" if value < 0 else "red"), (value, f["properties"]["c0"])
    entries = re.findall(r'<i style="background:(#[0-9a-fA-F]{6})"></i>([^<]*–[^<]*\(\d+\))', page)
    assert len(entries) == 6
    _check_classes(entries)
    assert "quantiles within each sign, broken at 0" in page


def test_static_fixed_effects_figure_breaks_at_zero():
    from spillmap.maps._report_figures import _fixed_effects

    layer = _layer()
    ids = layer["id"].tolist()
    fx = {"W1": {"unit": {i: {"estimate": float(v)} for i, v in zip(ids, VALUES)}, "intercept": 1.5}}
    drawn = []
    _fixed_effects(SimpleNamespace(fixed_effects=fx), {"unit": "city", "layer": layer, "id": "id", "group": None},
                   lambda stem, caption, draw: drawn.append(draw()))
    from matplotlib.colors import to_hex
    from matplotlib.patches import Patch

    legend = drawn[0].axes[0].get_legend()
    entries = [(to_hex(h.get_facecolor()), t.get_text()) for h, t in zip(legend.legend_handles, legend.get_texts())
               if isinstance(h, Patch) and "–" in t.get_text()]
    assert len(entries) == 6
    _check_classes(entries)


@pytest.mark.parametrize("values", [[-0.3, -0.1, -0.02], [-0.2, 0.1, 0.3]])
def test_signed_bars_take_the_colour_of_their_sign(values):
    from matplotlib.colors import to_hex
    from matplotlib.figure import Figure

    from spillmap.maps._diverging import signed_barh

    ax = Figure().subplots()
    signed_barh(ax, np.arange(len(values)), values, label="received", negative="#92c5de", positive="#f4a582")
    bars = sorted(ax.patches, key=lambda p: p.get_y())
    assert [to_hex(p.get_facecolor()) for p in bars] == ["#92c5de" if v < 0 else "#f4a582" for v in values]
    labels = ax.get_legend_handles_labels()[1]
    assert labels == (["received"] if max(values) < 0 else [f"received ({MINUS})", "received (+)"])
