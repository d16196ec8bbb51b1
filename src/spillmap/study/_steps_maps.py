"""Study steps that produce what the maps show: LISA clusters, per-unit effects, one unit's
response, the values of the choropleths and the display geometry.  Composition only:
:func:`spillmap.spatial.local_moran`, :func:`spillmap.estimation.unit_effects`,
:func:`spillmap.estimation.unit_response`, :func:`spillmap.geo.display.for_display`."""
from __future__ import annotations

import json
from typing import Any

import numpy as np

from spillmap.errors import InputError
from spillmap.study.records import GeoJSONText, num

__all__ = ["map_year", "lisa_block", "unit_blocks", "map_values", "moran_lags", "geometry_block"]


def map_year(study, inputs) -> Any:
    """The period the maps show (``[maps] year`` or the last), checked against the panel."""
    year = study.maps.year if study.maps.year is not None else inputs.times[-1]
    if year not in set(inputs.times):
        same = [t for t in inputs.times if str(t) == str(year)]  # year = "1986" for the period 1986
        if same:
            return same[0]
        raise InputError(f"maps.year: {year!r} is not a period of the panel ({inputs.times[0]}–{inputs.times[-1]}).")
    return year


def city_id(study, inputs) -> str | None:
    """``[maps] spillover_city`` as a unit id (``None`` when not set): an id of the joined panel or a
    name in ``layer.name_column``, matched as the scenarios match their units
    (:func:`spillmap.estimation._unit_names.unit_id`); an unknown one is refused, with the
    closest ids or names, before any model is fitted."""
    city = study.maps.spillover_city
    if city is None:
        return None
    from spillmap.estimation._unit_names import unit_id
    from spillmap.study._steps_scenarios import unit_table

    return unit_id(city, list(inputs.ids), unit_table(inputs), study.layer.name_column, what="maps.spillover_city")


def lisa_block(study, inputs, wname: str, w, year) -> dict:
    from spillmap.spatial.autocorrelation import local_moran

    mp = study.maps
    cross = inputs.panel[inputs.panel[inputs.time] == year].set_index(inputs.id)[study.y].reindex(list(w.ids))
    lisa = local_moran(cross.to_numpy(float), w, permutations=mp.permutations, seed=study.model.seed,
                       alpha=mp.alpha, name=study.y)
    counts = {k: int(v) for k, v in lisa["cluster"].value_counts().sort_index().items()}
    units = {str(i): {"Ii": num(r.Ii), "z": num(r.z), "lag": num(r.lag), "quadrant": str(r.quadrant),
                      "p_perm": num(r.p_perm), "significant": bool(r.significant), "cluster": str(r.cluster)}
             for i, r in lisa.iterrows()}
    return {"year": year, "w": wname, "variable": study.y, "alpha": mp.alpha, "permutations": mp.permutations,
            "seed": study.model.seed, "threshold": num(lisa.attrs.get("threshold")), "counts": counts, "units": units}


def at_period(w, year):
    """``w``, or its matrix of ``year`` when it has one per period."""
    return w.for_period(year) if hasattr(w, "groups") else w


def dynamic_unit_blocks(study, dyn, year=None) -> dict:
    """``{"short": ..., "long": ...}``: the dynamic SDM's per-unit effects of the key regressor at both
    horizons (with one W per period, the map year's W), in the layout of :func:`unit_blocks`."""
    from spillmap.estimation import unit_effects_at

    out = {}
    for horizon in ("short", "long"):
        ue = unit_effects_at(dyn, study.key, horizon=horizon, period=year if hasattr(dyn.w, "groups") else None,
                             seed=study.model.seed)
        out[horizon] = {"var": study.key, "units": {str(i): {c: num(v) for c, v in row.items()}
                                                    for i, row in ue.iterrows()}}
    return out


def unit_blocks(study, wname: str, sdm, year=None, city: str | None = None) -> tuple[dict, dict]:
    """Per-unit effects of the key regressor and one unit's response (for the maps); with one W
    per period those of the map year's W.  ``city``: the id of the unit traced (:func:`city_id`;
    default the unit emitting the largest spillover)."""
    from spillmap.estimation.effects import unit_effects, unit_response

    key = study.key
    if hasattr(sdm.w, "groups"):
        from spillmap.estimation._dynamic_effects import period_view

        sdm = period_view(sdm, year)
    ue = unit_effects(sdm, key, seed=study.model.seed)
    effects = {"var": key, "units": {str(i): {c: num(v) for c, v in row.items()} for i, row in ue.iterrows()}}
    city = str(city) if city is not None else str(ue["indirect_emitted"].abs().idxmax())
    resp = unit_response(sdm, key, city)
    response = {"source_id": city, "var": key, "effect": {str(i): num(v) for i, v in resp.items()}}
    return effects, response


def map_values(study, inputs) -> dict:
    """Values of y and the key regressor by period and unit; names and groups of every unit."""
    out: dict[str, Any] = {"variables": {}, "id": inputs.id, "periods": list(inputs.times),
                           "sample_ids": list(inputs.ids)}
    for var in dict.fromkeys([study.y, study.key]):
        wide = inputs.panel.pivot(index=inputs.id, columns=inputs.time, values=var)
        out["variables"][var] = {str(t): {str(i): num(v) for i, v in wide[t].items()} for t in wide.columns}
    return out


def moran_lags(study, inputs, weights: dict) -> dict:
    """Per W, what a Moran scatterplot of y needs without W itself: the spatial lag
    ``W y_t`` of every period and the row sums of W, as lists in ``sample_ids`` order
    (``W z = (W y - ȳ W1) / s`` for any mean ȳ and scale s, since W is linear)."""
    out = {}
    for wname, w in weights.items():
        ids = [str(i) for i in w.ids]
        if ids != [str(i) for i in inputs.ids]:  # pragma: no cover - run() aligns every W to the panel
            raise InputError(f"weights {wname}: ids not aligned with the panel.")
        wide = inputs.panel.pivot(index=inputs.id, columns=inputs.time, values=study.y)
        wide.index = wide.index.astype(str)
        values = wide.reindex(ids).to_numpy(dtype=float)
        if hasattr(w, "groups"):  # one W per period: each period's lag with its W; row sums of the last W
            lag = np.column_stack([w.for_period(t).sparse @ values[:, j] for j, t in enumerate(wide.columns)])
            last = w.matrices[-1].sparse
        else:
            lag, last = w.sparse @ values, w.sparse
        out[wname] = {"variable": study.y, "row_sums": [num(v) for v in np.asarray(last.sum(axis=1)).ravel()],
                      "lag": {str(t): [num(v) for v in lag[:, j]] for j, t in enumerate(wide.columns)}}
    return out


def geometry_block(study, inputs) -> GeoJSONText:
    """The layer (after the subset; units outside the panel included) as GeoJSON for display.

    The document's text is geopandas' own, in the compact form of
    :class:`~spillmap.study.records.GeoJSONText`, with the three column names appended: the
    same text as encoding the parsed document (tested), without parsing and re-encoding
    2.4 MB of coordinates (0.15 s of the demo's study)."""
    from spillmap.geo.display import auto_tolerance, for_display

    layer = inputs.full_layer
    tol = auto_tolerance(layer, study.maps.simplify, bundled=study.layer.dataset is not None)
    keep = [c for c in (inputs.id, study.layer.name_column, study.layer.group_column, "name_en") if c]
    gdf = for_display(layer[list(dict.fromkeys(c for c in keep if c in layer.columns)) + ["geometry"]],
                      id=inputs.id, simplify=tol)
    text = gdf.to_json(drop_id=True, **GeoJSONText.ENCODING)
    extra = json.dumps({"name_column": study.layer.name_column, "id_column": inputs.id,
                        "group_column": study.layer.group_column}, **GeoJSONText.ENCODING)
    if not (text.endswith("}") and extra.startswith("{")):  # pragma: no cover - geopandas writes an object
        raise AssertionError("unexpected GeoJSON text from geopandas")
    return GeoJSONText(text[:-1] + "," + extra[1:])
