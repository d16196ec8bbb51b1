"""API audit 2026-12-01, maps and tables: display-then-save, offline notebook display,
remote tiles, and tables that printed blanks instead of refusing bad input.

The reference page of each map is :func:`render_html` of an equal map never rendered
before; the display path (folium's ``_repr_html_`` / ``get_root().render()``) must not
change what :func:`save_map` writes afterwards, byte for byte.
"""
from __future__ import annotations

import html as html_mod
import re
import warnings

import folium
import numpy as np
import pandas as pd
import pytest

from spillmap.errors import DataError, InputError, OutputError, SpillmapWarning
from spillmap.maps import choropleth, choropleth_panel, render_html, save_map
from spillmap.maps._offline import remote_urls
from spillmap.tables import describe, descriptive_table, regression_table, register


@pytest.fixture()
def states(us48):
    g = us48.copy()
    g["v"] = np.random.default_rng(3).normal(size=len(g))
    return g


def _panel_map(states):
    panel = pd.DataFrame({"STATE_ABBR": np.repeat(states["STATE_ABBR"].to_numpy(), 2),
                          "t": np.tile([1, 2], len(states)),
                          "a": np.arange(2 * len(states), dtype=float)})
    return choropleth_panel(states, panel, id="STATE_ABBR", time="t", columns=["a"])


_MAKERS = {
    "choropleth": lambda s: choropleth(s, "v", id="STATE_ABBR"),
    "choropleth_panel": _panel_map,
    "on a plain folium.Map (m=)": lambda s: choropleth(s, "v", id="STATE_ABBR", m=folium.Map(tiles=None)),
}
_FIRST_RENDERS = {
    "folium display": lambda m: folium.Map._repr_html_(m),
    "get_root().render()": lambda m: m.get_root().render(),
}


def _srcdoc(iframe: str) -> str:
    """The page inside a notebook ``<iframe srcdoc="...">``."""
    found = re.search(r'srcdoc="([^"]*)"', iframe)
    assert found, "no srcdoc iframe"
    return html_mod.unescape(found.group(1))


# ------------------------------------------------------------ 1. display, then save
@pytest.mark.parametrize("first", list(_FIRST_RENDERS))
@pytest.mark.parametrize("make", list(_MAKERS))
def test_save_after_display_is_offline_and_the_same_page(states, tmp_path, make, first):
    reference = render_html(_MAKERS[make](states))
    m = _MAKERS[make](states)
    _FIRST_RENDERS[first](m)  # fills the figure's header with folium's CDN tags
    path = save_map(m, tmp_path / "m.html")
    page = path.read_text(encoding="utf-8")
    assert remote_urls(page) == [] and "cdn.jsdelivr.net" not in page
    # complete: byte for byte the page of a map never displayed (each layer added once)
    assert page == reference
    assert render_html(m) == reference  # and again: rendering does not change the map


# ------------------------------------------------------------ 2. notebook display and m.save()
def test_notebook_display_and_m_save_are_offline(states, tmp_path):
    m = choropleth(states, "v", id="STATE_ABBR")
    shown = m._repr_html_()  # what Jupyter calls
    assert isinstance(m, folium.Map)
    assert "cdn.jsdelivr.net" not in shown and "code.jquery.com" not in shown
    assert _srcdoc(shown) == render_html(m)
    m.save(str(tmp_path / "m.html"))  # folium's own save
    assert (tmp_path / "m.html").read_text(encoding="utf-8") == render_html(m)
    assert remote_urls(render_html(m)) == []



def test_offline_map_gives_the_page_of_a_plain_folium_map(states):
    # element ids hash class names: the subclass must not change the pages spillmap wrote before
    m = choropleth(states, "v", id="STATE_ABBR")
    page = render_html(m)
    m.__class__ = folium.Map
    assert render_html(m) == page


# ------------------------------------------------------------ 3. remote tiles
def test_offline_render_refuses_remote_tiles(states, tmp_path):
    m = choropleth(states, "v", id="STATE_ABBR", tiles="OpenStreetMap")
    with pytest.raises(OutputError, match=r"tiles='openstreetmap' loads map tiles from https://tile\.openstreetmap"):
        render_html(m)
    with pytest.raises(OutputError, match="tiles=") as err:
        save_map(m, tmp_path / "m.html")
    assert "\n" not in str(err.value) and not (tmp_path / "m.html").exists()
    online = render_html(m, offline=False)  # the way to keep the tiles
    assert any("tile.openstreetmap.org" in u for u in remote_urls(online))


def test_display_of_a_map_with_remote_tiles_warns_and_keeps_them(states):
    m = choropleth(states, "v", id="STATE_ABBR", tiles="OpenStreetMap")
    with pytest.warns(SpillmapWarning, match="tiles='openstreetmap'.*CDN links instead"):
        shown = m._repr_html_()
    assert "tile.openstreetmap.org" in _srcdoc(shown)


def test_offline_maps_without_tiles_do_not_warn(states):
    m = choropleth(states, "v", id="STATE_ABBR")
    with warnings.catch_warnings():
        warnings.simplefilter("error", SpillmapWarning)
        m._repr_html_()


# ------------------------------------------------------------ 4. tables
def test_descriptive_table_refuses_text_columns(produc):
    with pytest.raises(DataError, match=r"'state' is not numeric .*'ALABAMA'") as err:
        descriptive_table(produc, ["state", "year"])
    assert "\n" not in str(err.value)
    mixed = pd.DataFrame({"x": [1.0, 2.0, "n/a", None]})
    with pytest.raises(DataError, match=r"'x' is not numeric \(1 of 4 values are text, e.g. 'n/a'\)"):
        describe(mixed, ["x"])
    with pytest.raises(DataError, match="'d' is not numeric"):
        describe(pd.DataFrame({"d": pd.to_datetime(["2020-01-01", "2021-01-01"])}), ["d"])
    # numbers stored as text, and missing values, are still read
    d = describe(pd.DataFrame({"s": ["1.5", "2.5", None]}), ["s"])
    assert d.loc["s", "N"] == 2 and d.loc["s", "mean"] == 2.0


class _Toy:
    """A results type with two regressors and rho (registered below)."""


@pytest.fixture(scope="module")
def toy():
    register(_Toy, tidy=lambda f: pd.DataFrame({
        "term": ["lpcap", "unemp", "rho"], "kind": ["beta", "beta", "spatial"],
        "variable": ["lpcap", "unemp", "rho"], "estimate": [0.5, -0.1, 0.2],
        "std_error": [0.1, 0.05, 0.05], "p": [0.001, 0.04, 0.02]}),
        glance=lambda f: {"model": "SAR", "nobs": 10})
    return _Toy()


def test_regression_table_refuses_unknown_variables(toy):
    with pytest.raises(InputError, match=r"variables= names 'nope', which no fit has; .*'lpcap', 'unemp'"):
        regression_table([toy], variables=["nope"])
    with pytest.raises(InputError, match=r"'lpcapp'.*Did you mean 'lpcap'\?") as err:
        regression_table([toy], variables=["unemp", "lpcapp"])
    assert "\n" not in str(err.value)
    t = regression_table([toy], variables=["unemp"])
    assert list(t.body.index[:2]) == ["beta:unemp", "rho"]
    assert list(regression_table([toy], variables="unemp").body.index) == list(t.body.index)  # one name


@pytest.mark.parametrize("levels", [[0.5, 2], [0.01, 0.05], 0.05, None, ["a"]])
def test_regression_table_star_levels_must_be_probabilities(toy, levels):
    with pytest.raises(InputError, match=r"stars= must be .*probabilities in \(0, 1\), largest first") as err:
        regression_table([toy], stars=levels)
    assert "\n" not in str(err.value)
    assert regression_table([toy], stars=(0.05, 0.01)).star_levels == (0.05, 0.01)
