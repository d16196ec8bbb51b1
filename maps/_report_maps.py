"""The report's maps, drawn from a :class:`~spillmap.study.StudyResults` (values and GeoJSON
stored in it) with the map functions of :mod:`spillmap.maps`.  Layout only."""
from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

__all__ = ["draw_maps"]


def _layer(r):
    """The display layer of the sampled units (GeoDataFrame in EPSG:4326)."""
    import geopandas as gpd

    g = r.geometry
    gdf = gpd.GeoDataFrame.from_features(list(g["features"]), crs=4326)
    idc = g["id_column"]
    gdf[idc] = gdf[idc].astype(str)
    sample = set(r.map_data["sample_ids"])
    return gdf[gdf[idc].isin(sample)].reset_index(drop=True), idc, g.get("name_column")


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


def _save(folder: Path, name: str, m, caption: str) -> str:
    from spillmap.maps._offline import save_map

    save_map(m, folder / "maps" / name)
    return (f'<div class="map"><figure><iframe src="maps/{html.escape(name)}" loading="lazy" '
            f'title="{html.escape(caption)}"></iframe><figcaption>{html.escape(caption)} — '
            f'<a href="maps/{html.escape(name)}">open full screen</a></figcaption></figure></div>')


def _unit_label(layer, idc: str, name_column: str | None, ident: str) -> str:
    if name_column and name_column in layer.columns:
        hit = layer.loc[layer[idc] == str(ident), name_column]
        if len(hit):
            return f"{hit.iloc[0]} ({ident})"
    return str(ident)


def draw_maps(r, folder: Path, step, file_names: dict[str, str]) -> list[str]:
    """Write every map of ``r`` under ``folder/maps``; return the figure snippets of the page."""
    from spillmap.maps.choropleth import choropleth_panel
    from spillmap.maps.lisa import lisa_map
    from spillmap.maps.spillover import spillover_map, unit_response_map

    include = set(r.spec.get("maps", {}).get("include", ("choropleth", "lisa", "spillover", "response")))
    layer, idc, gname = _layer(r)
    time = r.spec["panel"]["time"]
    y, key = r.spec["model"]["y"], r.spec["model"].get("key") or r.spec["model"]["x"][0]
    periods = {str(p): p for p in r.map_data["periods"]}
    year = r.map_data["year"]
    notice, unit = r.notice, r.unit_label
    out = []
    if "choropleth" in include:
        step("maps: choropleths")
        panel = _panel(r, idc, time)
        order = [p for p in periods.values() if p != year] + [year]
        m = choropleth_panel(layer, panel, id=idc, time=time, columns=list(dict.fromkeys([y, key])), periods=order,
                             name_column=gname, title=f"{y} and {key} by {unit}", notice=notice)
        out.append(_save(folder, "choropleth.html", m, f"{y} and {key} ({year} shown; switch variable/year top left)"))
    if "lisa" in include and r.lisa:
        lisa = pd.DataFrame.from_dict(dict(r.lisa["units"]), orient="index")
        lisa.index.name = "id"
        wl = r.lisa["w"]
        m = lisa_map(layer, lisa, id=idc, name_column=gname, variable=f"{y} ({year}, {wl})",
                     alpha=r.lisa["alpha"], permutations=r.lisa["permutations"],
                     title=f"LISA clusters of {y}, {year} ({wl})", notice=notice)
        out.append(_save(folder, "lisa.html", m, f"LISA clusters of {y} in {year}, weights {wl}"))
    for wname, ue in r.unit_effects.items():
        slug = file_names[wname]
        if "spillover" in include:
            frame = pd.DataFrame.from_dict(dict(ue["units"]), orient="index")
            m = spillover_map(layer, frame, id=idc, var=key, y=y, name_column=gname,
                              title=f"Spillovers of {key} on {y} ({wname})", notice=notice)
            out.append(_save(folder, f"spillover_{slug}.html", m,
                             f"{wname}: per-{unit} direct effect, spillover received and emitted (switch top left)"))
        resp = r.unit_response.get(wname)
        if "response" in include and resp:
            city = resp["source_id"]
            label = _unit_label(layer, idc, gname, city)
            s = pd.Series(dict(resp["effect"]), dtype=float)
            m = unit_response_map(layer, s, id=idc, source_id=city, var=key, y=y, name_column=gname,
                                  title=f"Effect on {y} of a unit change of {key} in {label} ({wname})",
                                  notice=notice)
            out.append(_save(folder, f"response_{slug}.html", m,
                             f"{wname}: effect on every {unit} of a unit change of {key} in {label}"))
    out += _fixed_effects_map(r, folder, layer, idc, gname, include)
    return out


def _fixed_effects_map(r, folder: Path, layer, idc: str, gname, include) -> list[str]:
    """The SDM's recovered unit fixed effects (first W), as a choropleth."""
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
    m = choropleth(gdf, col, id=idc, name_column=gname, scheme="quantiles", cmap="RdBu_r",
                   title=f"{unit} fixed effects of the SDM ({wname}), deviations from the intercept "
                         f"{fx['intercept']:.4g}", notice=r.notice)
    return [_save(folder, "fixed_effects.html", m, f"{wname}: recovered {unit} fixed effects μ_i of the SDM "
                                                  "(they sum to zero)")]
