"""The report's maps, drawn from a :class:`~spillmap.study.StudyResults` (values and GeoJSON
stored in it) with the map functions of :mod:`spillmap.maps`.  Layout only."""
from __future__ import annotations

import html
from collections.abc import Collection
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["draw_maps", "full_layer", "unit_label", "average_effects"]


def average_effects(fit, var: str, horizon: str = "short") -> tuple[dict | None, float]:
    """The average effects of ``var`` in ``fit``'s effects table (``{part: {"estimate", "se",
    "p", ...}}``; ``horizon="long"``: a dynamic model's long-run ones) and the level of its
    intervals, as the spillover and response maps print them; ``(None, 0.95)`` without them."""
    if fit is None:
        return None, 0.95
    source = fit.effects_long_run if horizon == "long" else fit.effects
    parts = {part: dict(by[var]) for part, by in (source or {}).items() if var in by}
    return parts or None, float(fit.stats.get("effects_level") or 0.95)


def full_layer(r):
    """The whole display layer (GeoDataFrame in EPSG:4326, units outside the sample
    included), its id column, name columns (the spec's ``name_column`` first, then every
    other text column stored, e.g. ``name_en``) and group column."""
    import geopandas as gpd

    g = r.geometry
    gdf = layer_frame(g)
    idc, group = g["id_column"], g.get("group_column")
    gdf[idc] = gdf[idc].astype(str)
    first = [g["name_column"]] if g.get("name_column") in gdf.columns else []
    names = first + [c for c in gdf.columns if c not in (idc, group, "geometry", *first)
                     and gdf[c].dtype == object]
    if group not in gdf.columns:
        return gdf, idc, names or None, None
    shown = r.labels.get(group, group)  # "Census division boundaries", not "SUB_REGION boundaries"
    if shown != group and shown not in gdf.columns:
        gdf, group = gdf.rename(columns={group: shown}), shown
    return gdf, idc, names or None, group


def layer_frame(geometry: Any):
    """The stored display GeoJSON as a GeoDataFrame (EPSG:4326): the cached frame of a
    :class:`~spillmap.study.records.GeoJSONText`, else built from the features."""
    import geopandas as gpd

    frame = getattr(geometry, "frame", None)
    return frame() if frame is not None else gpd.GeoDataFrame.from_features(list(geometry["features"]), crs=4326)


def _panel(r, idc: str, time: str) -> pd.DataFrame:
    frames = []
    for var, by_period in r.map_data["variables"].items():
        s = pd.DataFrame([(p, i, v) for p, by_id in by_period.items() for i, v in by_id.items()],
                         columns=[time, idc, var]).set_index([time, idc])
        frames.append(s)
    panel = pd.concat(frames, axis=1).reset_index()
    periods = {str(p): p for p in r.map_data["periods"]}
    panel[time] = panel[time].map(periods)
    return panel


def _shown_names(r, variables: list[str]) -> dict[str, str]:
    """Each variable as the tables show it (its ``[model] labels`` entry), unless that label is
    another variable's name or repeats another variable's label."""
    labels = r.labels
    out: dict[str, str] = {}
    for v in dict.fromkeys(variables):
        name = str(labels.get(v, v))
        clash = name != v and (name in r.map_data["variables"] or name in out.values())
        out[v] = v if clash else name
    return out


def _save(folder: Path, name: str, m, caption: str, stills: Collection[str]) -> str:
    """Write the map; its snippet carries the static figure of the same name (one of
    ``stills``, the stems of ``figures/``), hidden on screen and printed instead of the
    interactive frame."""
    from spillmap.maps._map_frames import map_frame
    from spillmap.maps._offline import save_map

    save_map(m, folder / "maps" / name)
    stem = name.removesuffix(".html")
    still = (f'<img class="print-only" src="figures/{html.escape(stem)}.png" alt="{html.escape(caption)}">'
             if stem in stills else "")
    return (f'<div class="map"><figure>{map_frame(f"maps/{name}", caption)}{still}'
            f'<figcaption>{html.escape(caption)} — '
            f'<a href="maps/{html.escape(name)}">open full screen</a></figcaption></figure></div>')


def unit_label(layer, idc: str, names, ident: str) -> str:
    """``"武汉市 (420100)"``: the unit's first name and its id (the id alone without names)."""
    if names and names[0] in layer.columns:
        hit = layer.loc[layer[idc] == str(ident), names[0]]
        if len(hit):
            return f"{hit.iloc[0]} ({ident})"
    return str(ident)


def draw_maps(r, folder: Path, step, file_names: dict[str, str], stills: Collection[str] = ()) -> list[str]:
    """Write every map of ``r`` under ``folder/maps``; return the figure snippets of the page
    (``stills``: the stems of the report's static figures, printed in place of their maps)."""
    from spillmap.maps.choropleth import choropleth_panel
    from spillmap.maps.lisa import lisa_map
    from spillmap.maps._significance import log_reading
    from spillmap.maps.spillover import spillover_map, unit_response_map

    include = set(r.spec.get("maps", {}).get("include", ("choropleth", "lisa", "spillover", "response")))
    layer, idc, names, group = full_layer(r)  # simplified as the study's [maps] simplify says: simplify=None below
    sample = [str(i) for i in r.map_data["sample_ids"]]
    time = r.spec["panel"]["time"]
    y, key = r.spec["model"]["y"], r.spec["model"].get("key") or r.spec["model"]["x"][0]
    raw_key = key  # the effects table's name of the mapped regressor
    shown = _shown_names(r, [y, key])  # the tables' labels ([model] labels), as in the figures
    reading = log_reading(key, y, x_label=shown[key], y_label=shown[y])  # a logarithm's reading, on each map
    y, key = shown[y], shown[key]
    periods = {str(p): p for p in r.map_data["periods"]}
    year = r.map_data["year"]
    notice, unit = r.notice, r.unit_label
    out = []
    if "choropleth" in include:
        step("maps: choropleths")
        panel = _panel(r, idc, time).rename(columns={v: k for v, k in shown.items() if k != v})
        order = [p for p in periods.values() if p != year] + [year]
        m = choropleth_panel(layer, panel, id=idc, time=time, columns=list(dict.fromkeys([y, key])), periods=order,
                             name_column=names, group=group, title=f"{y} and {key} by {unit}", notice=notice, simplify=None)
        out.append(_save(folder, "choropleth.html", m, f"{y} and {key} ({year} shown; switch variable/year top left)", stills))
    if "lisa" in include and r.lisa:
        lisa = pd.DataFrame.from_dict(dict(r.lisa["units"]), orient="index")
        lisa.index.name = "id"
        wl = r.lisa["w"]
        m = lisa_map(layer, lisa, id=idc, name_column=names, group=group, variable=f"{y} ({year}, {wl})",
                     alpha=r.lisa["alpha"], permutations=r.lisa["permutations"],
                     title=f"LISA clusters of {y}, {year} ({wl})", notice=notice, simplify=None)
        out.append(_save(folder, "lisa.html", m, f"LISA clusters of {y} in {year}, weights {wl}", stills))
    for wname, ue in r.unit_effects.items():
        slug = file_names[wname]
        avg, level = average_effects(r.sdm(wname), raw_key)
        if "spillover" in include:
            frame = pd.DataFrame.from_dict(dict(ue["units"]), orient="index")
            m = spillover_map(layer, frame, id=idc, var=key, y=y, unit=unit, name_column=names, group=group,
                              title=f"Spillovers of {key} on {y} ({wname})", notice=notice, simplify=None,
                              average_effects=avg, level=level, reading=reading)
            out.append(_save(folder, f"spillover_{slug}.html", m,
                             f"{wname}: per-{unit} direct effect, spillover received and emitted (switch top left)",
                             stills))
        resp = r.unit_response.get(wname)
        if "response" in include and resp:
            city = resp["source_id"]
            label = unit_label(layer, idc, names, city)
            s = pd.Series(dict(resp["effect"]), dtype=float)
            m = unit_response_map(layer, s, id=idc, source_id=city, var=key, y=y, unit=unit, name_column=names,
                                  group=group,
                                  title=f"Effect on {y} of a unit change of {key} in {label} ({wname})",
                                  notice=notice, simplify=None, average_effects=avg, level=level, reading=reading)
            out.append(_save(folder, f"response_{slug}.html", m,
                             f"{wname}: effect on every {unit} of a unit change of {key} in {label}", stills))
    if "spillover" in include:
        for wname, by_h in r.dynamic_unit_effects.items():
            for horizon, ue in by_h.items():
                frame = pd.DataFrame.from_dict(dict(ue["units"]), orient="index")
                words = {"short": "short run", "long": "long run"}[horizon]
                avg, level = average_effects(r.sdm_dynamic(wname), raw_key, horizon)
                m = spillover_map(layer, frame, id=idc, var=key, y=y, unit=unit, name_column=names, group=group,
                                  title=f"Spillovers of {key} on {y}, dynamic SDM, {words} ({wname})", notice=notice, simplify=None,
                                  average_effects=avg, level=level, reading=reading)
                out.append(_save(folder, f"spillover_dynamic_{horizon}_{file_names[wname]}.html", m,
                                 f"{wname}, dynamic SDM, {words}: per-{unit} direct effect, spillover received and "
                                 "emitted (switch top left)", stills))
    out += _fixed_effects_map(r, folder, layer, idc, names, group, sample, include, stills)
    return out


def _fixed_effects_map(r, folder: Path, layer, idc: str, names, group, sample, include,
                       stills: Collection[str]) -> list[str]:
    """The SDM's recovered unit fixed effects (first W), as a choropleth broken at 0: they sum to zero, so
    blue below 0 and red above, quantiles within each sign (``scheme="quantiles_by_sign"``)."""
    from spillmap.maps._layers import format_significant
    from spillmap.maps.choropleth import choropleth

    if "fixed_effects" not in include or not r.fixed_effects:
        return []
    wname, fx = next(iter(r.fixed_effects.items()))
    if not fx.get("unit"):
        return []
    unit = r.unit_label
    col = f"{unit} fixed effect"
    values = {i: d["estimate"] for i, d in fx["unit"].items()}
    gdf = layer.assign(**{col: layer[idc].map(values).astype(float)})
    title = (f"{unit[:1].upper()}{unit[1:]} fixed effects of the SDM ({wname}), deviations from the intercept "
             f"{format_significant(fx['intercept'])}")
    m = choropleth(gdf, col, id=idc, name_column=names, sample=sample, group=group, scheme="quantiles_by_sign", k=6,
                   cmap="RdBu_r", title=title, notice=r.notice, simplify=None)  # 3 classes each side, as the figure
    return [_save(folder, "fixed_effects.html", m, f"{wname}: recovered {unit} fixed effects μ_i of the SDM "
                                                  "(they sum to zero)", stills)]
