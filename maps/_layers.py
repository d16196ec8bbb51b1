"""Building blocks shared by every spillmap map: geometry, safe JSON, layers, legends.

Library used: **folium**/**branca** for the map object model and templates, **shapely**
for reprojection-free geometry work (``coverage_simplify``, coordinate rounding,
GeoJSON writing), **geopandas** for reprojection.  Written by hand, and why:

* The polygon layer (:class:`ColoredGeoJson`) instead of ``folium.GeoJson`` +
  ``GeoJsonTooltip``: folium's tooltip puts property values into ``innerHTML``
  unescaped (a city called ``<img src=x onerror=...>`` would run script), and one
  ``folium.GeoJson`` per period would repeat the geometry in every layer.  Here the
  geometry is embedded **once** (:class:`GeoData`) and each layer only carries a colour
  and tooltip rows per feature; tooltips are built with ``textContent``.
* JSON placed inside ``<script>`` is escaped (``<``, ``>``, ``&`` as ``\\u003c`` ...) so
  no string can close the script element; HTML fragments (legend, layer names, which
  Leaflet inserts with ``innerHTML``) are built with :func:`html.escape`.

The Leaflet elements themselves (templates) live in :mod:`spillmap.maps._elements`.
Units of the layer outside the sample are drawn hatched ("not in sample",
:func:`split_sample`); higher-level boundaries (``group``, e.g. provinces) are the
units dissolved by geopandas (:func:`group_lines`).
"""
from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

import folium
import numpy as np
import pandas as pd
import shapely
from branca.element import Element

from spillmap.errors import CRSError, DataError, GeometryError, InputError
from spillmap.maps._classify import NO_DATA_COLOR, display_number
from spillmap.maps._display import OfflineMap
from spillmap.maps._elements import (
    CSS,
    ColoredGeoJson,
    ContextLayer,
    GeoData,
    GroupOutlines,
    Legend,
    ScaleBar,
    js_json,
)
from spillmap.maps._controls import PanelSwitcher, Title

__all__ = [
    "NO_DATA_COLOR",
    "js_json",
    "prepare_geometry",
    "new_map",
    "GeoData",
    "ColoredGeoJson",
    "Legend",
    "Title",
    "legend_html",
    "add_layer_control",
    "keyed_layer",
]

LINE_COLOR = "#5f5f5f"
#: tooltip and legend words for units of the layer outside the sample
NOT_IN_SAMPLE = "not in sample"


def _check_frame(gdf, id: str, columns: Sequence[str] = ()) -> None:
    import geopandas as gpd

    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"a map needs a GeoDataFrame, got {type(gdf).__name__}.")
    missing = [c for c in [id, *columns] if c is not None and c not in gdf.columns]
    if missing:
        raise DataError(
            f"column(s) {', '.join(map(repr, missing))} not in the layer; available: "
            f"{', '.join(map(repr, [c for c in gdf.columns if c != gdf.geometry.name]))}."
        )
    if gdf.crs is None:
        raise CRSError(
            "the boundary layer has no CRS; set it with gdf.set_crs(...) before mapping."
        )
    ids = gdf[id].astype(str)
    dup = ids[ids.duplicated()].unique().tolist()
    if dup:
        from spillmap.errors import format_items

        raise DataError(f"id column {id!r} has duplicate ids: {format_items(dup)}; one row per unit.")
    from spillmap.errors import format_items

    empty = gdf.geometry.isna() | gdf.geometry.is_empty
    if empty.any():
        raise GeometryError(
            f"units with empty geometry in {id!r}: {format_items(ids[empty].tolist())}; drop them."
        )
    kinds = gdf.geometry.geom_type
    not_poly = ~kinds.isin(["Polygon", "MultiPolygon"])
    if not_poly.any():
        raise GeometryError(
            f"maps draw polygons; units {format_items(ids[not_poly].tolist())} in {id!r} have "
            f"{', '.join(sorted(set(kinds[not_poly])))} geometry. Use the boundary layer."
        )


def keyed_layer(gdf, *, id: str, layer_id: str | None):  # noqa: A002
    """``gdf`` with its id column ``layer_id`` renamed to the panel's ``id`` (a column of that name
    already in the layer is dropped), so that one name keys both; ``gdf`` itself when ``layer_id`` is
    ``None`` or ``id``."""
    if layer_id is None or layer_id == id:
        return gdf
    if layer_id not in gdf.columns:
        raise DataError(
            f"layer_id column {layer_id!r} not in the layer; available: "
            f"{', '.join(map(repr, [c for c in gdf.columns if c != gdf.geometry.name]))}."
        )
    return gdf.drop(columns=[id], errors="ignore").rename(columns={layer_id: id})


def prepare_geometry(gdf, *, id: str, decimals: int = 5, simplify: float | str | None = "auto"):
    """Reproject to EPSG:4326, optionally coverage-simplify, round coordinates.

    Parameters
    ----------
    gdf
        Boundary layer (any CRS).
    id
        Id column (converted to ``str``).
    decimals
        Coordinate decimals kept (5 = about 1 m).
    simplify
        Tolerance in degrees for :func:`shapely.coverage_simplify`, which keeps the
        edges neighbours share (no gaps/slivers); ``"auto"`` (default, as a study's ``[maps]
        simplify``): 0.01 degrees (about 1 km) for a layer of more than
        :data:`spillmap.geo.display.AUTO_SIMPLIFY_VERTICES` vertices, e.g. the bundled 200 m
        analysis layer (a 9.5 MB map otherwise), none for a smaller one (the web layers);
        ``None`` or ``False`` keeps the geometry.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy in EPSG:4326 with ``id`` as str.
    """
    _check_frame(gdf, id)
    simplify = _tolerance(gdf, simplify)
    out = gdf.to_crs(4326) if gdf.crs.to_epsg() != 4326 else gdf.copy()
    out[id] = out[id].astype(str)
    geoms = out.geometry.values
    if simplify:
        geoms = shapely.coverage_simplify(np.asarray(geoms), simplify)
    geoms = shapely.transform(np.asarray(geoms), lambda c: np.round(c, decimals))
    out = out.set_geometry(list(geoms), crs=4326)
    return out


def _tolerance(gdf, simplify) -> float | None:
    """The tolerance in degrees of ``simplify`` ("auto", a number, None/False), or a one-line error
    (a raw ufunc TypeError of shapely's before: notebook audit 32 #6)."""
    from spillmap.geo.display import auto_tolerance

    if simplify is None or simplify is False or simplify == "auto":
        return auto_tolerance(gdf, simplify, bundled=False)
    if isinstance(simplify, bool) or not isinstance(simplify, (int, float, np.integer, np.floating)) \
            or not np.isfinite(simplify) or simplify < 0:
        raise InputError(f'simplify must be "auto", a tolerance in degrees (a number >= 0) or None; got {simplify!r}.')
    return float(simplify) or None


def new_map(gdf, *, tiles: str | None = None, m: folium.Map | None = None) -> folium.Map:
    """A folium map fitted to ``gdf`` (EPSG:4326; pass the sample, not the context), or ``m``."""
    if m is not None:
        if not isinstance(m, folium.Map):
            raise InputError(f"m must be a folium.Map, got {type(m).__name__}.")
        return m
    minx, miny, maxx, maxy = gdf.total_bounds
    m = OfflineMap(  # a folium.Map that displays and saves offline
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        tiles=tiles,
        zoom_start=4,
        zoom_snap=0.1,
        control_scale=False,
        prefer_canvas=False,
    )
    # the title box sits top right: keep the top strip free so it does not cover the sample
    m.fit_bounds([[miny, minx], [maxy, maxx]], padding_top_left=(6, 62), padding_bottom_right=(6, 6))
    m.add_child(ScaleBar())
    _ensure_css(m)
    return m


def _ensure_css(m: folium.Map) -> None:
    header = m.get_root().header
    if "spillmap_css" not in header._children:
        header.add_child(Element(CSS), name="spillmap_css")


def legend_html(
    title: str,
    entries: Sequence[tuple[str, str]],
    *,
    note: str | None = None,
    no_data: int | None = None,
    not_in_sample: int | None = None,
    group: str | None = None,
    caveat: str | None = None,
) -> str:
    """Escaped HTML of a legend: a collapsible title, ``(colour, label)`` entries (``("", text)``: a line
    of text), rows for
    no data, units not in the sample (a striped swatch, as :func:`add_context` draws them) and
    group outlines, a ``caveat`` line that
    never folds (e.g. an average effect that is not significant), then a note."""
    out = [f"<details open><summary>{html.escape(str(title))}</summary>"]
    for color, label in entries:  # an entry without a colour is a line of text (e.g. the scale of the numbers)
        out.append(
            f'<div class="e"><i style="background:{html.escape(color)}"></i>{html.escape(str(label))}</div>' if color
            else f'<div class="n">{html.escape(str(label))}</div>'
        )
    if no_data:
        out.append(
            f'<div class="e nodata-entry"><i class="nodata" style="background:{NO_DATA_COLOR}"></i>'
            f"no data ({int(no_data)})</div>"
        )
    if not_in_sample:
        out.append(f'<div class="e context-entry"><i class="hatch"></i>{NOT_IN_SAMPLE} ({int(not_in_sample)})</div>')
    if group:
        out.append(f'<div class="e"><i class="group"></i>{html.escape(str(group))} boundaries</div>')
    if caveat:
        out.append(f'<div class="n caveat">{html.escape(str(caveat))}</div>')
    if note:
        out.append(f'<details class="n" open><summary>notes</summary>{html.escape(str(note))}</details>')
    out.append("</details>")
    return "".join(out)


def add_layer_control(m: folium.Map) -> None:
    """Add one expanded layer control (no icon image needed), once."""
    if not any(isinstance(c, folium.LayerControl) for c in m._children.values()):
        folium.LayerControl(collapsed=False, position="topleft").add_to(m)


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or bool(pd.isna(v))


def format_value(v: float, decimals: int) -> str:
    """A number for a tooltip: ``decimals`` fixed decimals, thousands separated, a true minus sign
    (:func:`display_number`); missing values as ``"no data"``."""
    return "no data" if _missing(v) else display_number(f"{v:,.{decimals}f}")


def format_significant(v: float, digits: int = 4) -> str:
    """A number for a legend or tooltip with ``digits`` significant digits (``"−0.01738"``), a true minus
    sign, plain decimals (``"0.00002741"``, never ``2.741e-05``: :func:`~spillmap.maps._classify.reading`);
    missing values as ``"no data"``."""
    from spillmap.maps._classify import reading

    return "no data" if _missing(v) else reading(v, digits=digits)


def name_columns(gdf, name_column: str | Sequence[str] | None) -> list[str]:
    """The name column(s) as a list, each checked to exist in the layer."""
    cols = [] if name_column is None else [name_column] if isinstance(name_column, str) else list(name_column)
    missing = [c for c in cols if c not in gdf.columns]
    if missing:
        raise DataError(f"name column(s) {', '.join(map(repr, missing))} not in the layer; available: "
                        f"{', '.join(map(repr, [c for c in gdf.columns if c != gdf.geometry.name]))}.")
    return cols


def base_tips(gdf, *, id: str, name_column: str | Sequence[str] | None, group: str | None = None
              ) -> list[list[list[str]]]:
    """Tooltip rows common to every layer: the names as a heading (``武汉市 · Wuhan``),
    the group (e.g. province) and the id, labelled ``"id"`` (not the raw column name ``adcode`` or
    ``STATE_ABBR``: planner audit 32 #13)."""
    cols = name_columns(gdf, name_column)
    names = [gdf[c].astype(str).tolist() for c in cols]
    groups = gdf[group].astype(str).tolist() if group else None
    rows = []
    for i, ident in enumerate(gdf[id].astype(str).tolist()):
        r = []
        shown = [n[i] for n in names if n[i] and n[i] != "nan"]
        if shown:
            r.append([" · ".join(dict.fromkeys(shown)), ""])
        if groups is not None:
            r.append([str(group), groups[i]])
        r.append(["id", ident])
        rows.append(r)
    return rows


def split_sample(g, *, id: str, sample: Sequence[str] | None):
    """``(in_sample, outside)``: rows of the prepared layer whose id is / is not in ``sample``."""
    if sample is None:
        return g, g.iloc[0:0]
    keep = set(map(str, sample))
    mask = g[id].isin(keep).to_numpy()
    if not mask.any():
        raise DataError(f"no unit of the sample is in the layer's {id!r} column; check the ids.")
    return g[mask].copy(), g[~mask].copy()


_GROUP_CACHE: dict[bytes, object] = {}  # content digest -> boundaries (a report draws them on every map)


def group_boundaries(g, group: str):
    """Boundaries of the units dissolved by ``group`` (e.g. provinces), a GeoSeries of lines.

    The dissolve (shapely ``union_all`` per group) is the slow part of drawing a map; the
    result is kept for the few most recent layers, keyed by a digest of the geometries
    (WKB), the group labels and the CRS, so a changed layer is never served stale lines.
    """
    if group not in g.columns:
        raise DataError(f"group column {group!r} not in the layer; available: "
                        f"{', '.join(map(repr, [c for c in g.columns if c != g.geometry.name]))}.")
    import hashlib

    import geopandas as gpd

    labels = g[group].astype(str).to_numpy()
    h = hashlib.sha256(str(g.crs).encode())
    for blob in shapely.to_wkb(np.asarray(g.geometry.values)):
        h.update(blob or b"")
    h.update("\x00".join(labels).encode())
    key = h.digest()
    if key not in _GROUP_CACHE:
        keyed = gpd.GeoDataFrame({"k": labels}, geometry=g.geometry.values, crs=g.crs)
        if len(_GROUP_CACHE) >= 8:
            _GROUP_CACHE.pop(next(iter(_GROUP_CACHE)))
        _GROUP_CACHE[key] = keyed.dissolve(by="k").geometry.make_valid().boundary
    return _GROUP_CACHE[key].copy()


def group_lines(g, group: str, *, decimals: int = 4) -> str:
    """GeoJSON of :func:`group_boundaries` (coordinates rounded to ``decimals``)."""
    lines = shapely.transform(np.asarray(group_boundaries(g, group).values), lambda c: np.round(c, decimals))
    parts = [shapely.to_geojson(ln) for ln in lines if ln is not None and not ln.is_empty]
    return '{"type":"GeometryCollection","geometries":[' + ",".join(parts) + "]}"


def add_context(m: folium.Map, context, *, id: str, name_column: str | Sequence[str] | None,
                group: str | None = None) -> None:
    """Draw ``context`` (units of the layer outside the sample, from :func:`split_sample`) hatched
    (grey stripes on white, on every map) under the data layers, with a "not in sample" tooltip;
    nothing when it is empty."""
    if context is None or not len(context):
        return
    ctx_tips = base_tips(context, id=id, name_column=name_column, group=group)
    cdata = GeoData(context, id=id, properties={"base_tip": ctx_tips, "ctx": [[[NOT_IN_SAMPLE, "—"]]] * len(context)})
    m.add_child(cdata)
    m.add_child(ContextLayer(cdata))


def add_layers(
    m: folium.Map,
    gdf,
    *,
    id: str,
    name_column: str | Sequence[str] | None,
    layers: Sequence[Mapping],
    title: str | None,
    notice: str | None,
    legend: bool,
    highlight: Sequence[str] = (),
    context=None,
    group: str | None = None,
    group_source=None,
    switcher: Mapping | None = None,
    legend_position: str = "bottomleft",
) -> folium.Map:
    """Embed geometry once and add one coloured layer per spec.

    Each spec has ``name``, ``colors`` (list per feature), ``tips`` (rows per feature),
    ``legend_html`` and ``show``.  ``context`` (units outside the sample) is drawn hatched
    underneath; ``group`` outlines (dissolved from ``group_source``, default the sample
    and the context together) are drawn on top.  ``switcher`` (``variables``, ``periods``,
    ``keys``: one ``(i, j)`` per layer) replaces the layer control by drop-down lists.
    """
    _ensure_css(m)
    add_context(m, context, id=id, name_column=name_column, group=group)
    props: dict[str, list] = {"base_tip": base_tips(gdf, id=id, name_column=name_column, group=group)}
    for j, spec in enumerate(layers):
        props[f"c{j}"] = list(spec["colors"])
        props[f"t{j}"] = list(spec["tips"])
    data = GeoData(gdf, id=id, properties=props)
    m.add_child(data)
    made = []
    for j, spec in enumerate(layers):
        leg = None
        if legend and spec.get("legend_html"):
            leg = Legend(spec["legend_html"], position=legend_position)
            m.add_child(leg)
        layer = ColoredGeoJson(data, colors=f"c{j}", tips=f"t{j}", name=spec["name"], legend=leg,
                               show=bool(spec.get("show", j == 0)), highlight=highlight,
                               control=switcher is None)
        m.add_child(layer)
        made.append(layer)
    if group:
        src = group_source if group_source is not None else pd.concat([gdf, context]) if context is not None else gdf
        m.add_child(GroupOutlines(group_lines(src, group)))
    if title or notice:
        m.add_child(Title(title or "", notice))
    if switcher is not None:
        keys = list(switcher["keys"])
        shown = next((k for k, spec in zip(keys, layers) if spec.get("show")), keys[0])
        m.add_child(PanelSwitcher(switcher["variables"], switcher["periods"], dict(zip(keys, made)), shown))
    elif len(layers) > 1:
        add_layer_control(m)
    if legend or title or notice:
        from spillmap.maps._fit import KeepClear

        m.add_child(KeepClear(gdf.total_bounds))  # refit if the legend / title cover sample units
    return m


__all__ += ["NOT_IN_SAMPLE", "split_sample", "add_context", "group_boundaries", "group_lines", "base_tips", "name_columns", "format_value",
            "format_significant", "display_number",
            "add_layers", "PanelSwitcher", "ContextLayer", "GroupOutlines"]
