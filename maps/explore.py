"""The click-to-explore map: click a unit, every unit is coloured by its response to a unit
change of the variable there (to x +10 % for a logarithm ``log(x)``: :func:`unit_change`).

:func:`explore_map` embeds the columns of ``S_k`` (from
:func:`spillmap.estimation.response_columns`): a panel gives the selected unit's own (direct)
effect and the total spillover it emits (top left, compact; its title folds it, and in short
maps such as the report's frames its list of receivers starts folded).  The columns travel as
base64 little-endian float32 (7 significant digits: display precision), N^2 values up to 1,000
units (297 cities: 0.47 MB), otherwise the k largest responses of each source.  Units of the
layer outside the model are hatched ("not in sample"), as on the other maps.  Responses below
:data:`~spillmap.maps._classify.NEGLIGIBLE_FRACTION` (0.1 %) of the selected unit's largest response to another
unit are "negligible" (the response map's grey, :data:`~spillmap.maps.spillover.NEGLIGIBLE`), kept apart from
exact zeros (no path, white): one rule for the response, scenario and explore maps (planner audit 32 #1).

Library used: **folium** through :mod:`spillmap.maps._layers` (geometry embedded once,
tooltips and panels set with ``textContent``, JSON escaped for ``<script>``).  Written by
hand: the click interaction (folium has no per-click restyling of a shared layer), in
:mod:`spillmap.maps._explore_element`; this module prepares what it embeds.  The
numbers come from :mod:`spillmap.estimation.scenario`; this module only colours them; the
colours are :mod:`spillmap.maps.scenario`'s.
"""
from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import folium
import numpy as np
from spillmap.maps import _layers
from spillmap.maps._elements import (  # noqa: F401  (READING_JS, RenderOnce: re-exported)
    READING_JS,
    COLLAPSE_BELOW_PX,
    CONTEXT_SWATCH,
    NOTES_BELOW_PX,
    RenderOnce,
)
from spillmap.maps._explore_element import _PANEL_CSS, _Explore  # noqa: F401  (re-exported: the element lives there)
from spillmap.maps._classify import NEGLIGIBLE_FRACTION, ZERO_BELOW, _significant, magnitude_labels, reading
from spillmap.maps._fit import KeepClear
from spillmap.maps.scenario import NEGATIVE, POSITIVE, SOURCE, ZERO, _sample_and_context
from spillmap.maps.spillover import NEGLIGIBLE

from spillmap.errors import DataError

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["explore_map", "unit_change"]


def _b64(a: np.ndarray, dtype: str) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype=dtype).tobytes()).decode("ascii")


def unit_change(x_name: str, label: str | None = None) -> tuple[float, str]:
    """``(step, words)``: the change of the regressor ``x_name`` (the model's name) whose response the explore
    map shows, and how it reads.  ``+1`` of ``label`` (default ``x_name``), except for a logarithm
    ``log(x)``, where +1 is x times e, +172 % (newcomer audit 29 #3.5): there the change is x +10 %,
    ``log(1.1)`` = +0.09531 in ``log(x)``.  The model is linear in the change, so its response to ``step``
    is ``step`` times its response to 1: the columns of S are rescaled exactly, nothing else."""
    import math

    from spillmap.estimation._scenario_input import log_argument

    label = label or x_name
    logged = log_argument(str(x_name))
    if logged is None:
        return 1.0, f"+1 {label}"
    inner, base = logged
    step = math.log(1.1) / math.log(base)
    return step, f"+10 % of {inner} ({label} {step:+.4g})"


def _log_note(y_name: str | None, y: str) -> str:
    """The reading of a response of a natural logarithm y (as the scenario tables say it)."""
    import math

    from spillmap.estimation._scenario_input import log_argument

    logged = log_argument(str(y_name)) if y_name else None
    if logged is None or logged[1] != math.e:
        return ""
    return f" {y} is a natural logarithm: a change of 0.01 is about a 1 % change of {logged[0]}."


def _largest_others(values: np.ndarray, receivers: np.ndarray) -> np.ndarray:
    """Per selected unit: ``m``, the largest ``|response|`` of another unit as the page decodes it (``values``: the
    float32 rows sent, ``receivers``: the unit of each), 0 when there is none."""
    v = np.abs(values.astype(float))
    v[(receivers == np.arange(len(v))[:, None]) | ~np.isfinite(v)] = -1.0
    return np.maximum(v.max(axis=1), 0.0)


def _class_limits(values: np.ndarray, receivers: np.ndarray, own: list[float]) -> list[list]:
    """Per selected unit ``j``: ``[labels, exponent]`` of its legend's class limits ``[0, m/64, m/16, m/4, m]``,
    ``m`` the largest ``|response|`` of another unit (:func:`_largest_others`), printed by
    :func:`~spillmap.maps._classify.magnitude_labels` as the scenario legends; all ``"0"`` when ``m`` is 0 or
    numerically zero beside the unit's own effect.  The lowest class starts at the cut (:func:`_cut_labels`)."""
    out = []
    for j, m in enumerate(_largest_others(values, receivers)):
        if m == 0 or m < ZERO_BELOW * max(abs(own[j]), m):
            out.append([["0"] * 5, 0])
            continue
        text, exponent = magnitude_labels([0.0, m / 64, m / 16, m / 4, m])
        out.append([text, exponent])
    return out


def _cut_labels(values: np.ndarray, receivers: np.ndarray, own: list[float], limits: list[list]) -> list[str]:
    """Per selected unit: its negligible cut (also the lowest class's lower limit) as its legend prints it: the
    response map's rule, ``NEGLIGIBLE_FRACTION * m`` (below m/64), or ``ZERO_BELOW`` of the own effect when ``m`` is
    numerically zero beside it; :func:`~spillmap.maps._classify.reading`, in the ``limits``' scale if any."""
    out = []
    for j, m in enumerate(_largest_others(values, receivers)):
        largest = max(abs(own[j]), m)
        cut = ZERO_BELOW * largest if m < ZERO_BELOW * largest else NEGLIGIBLE_FRACTION * m
        exponent = limits[j][1]
        out.append(_significant([cut * 10**exponent])[0] if exponent else reading(cut, digits=2))
    return out


def _explore_cfg(columns: Mapping[str, Any], names: list[str], start: int, y: str, not_in_sample: int = 0, *,
                 change: tuple[float, str] = (1.0, ""), y_note: str = "") -> dict:
    from spillmap.maps._classify import scale_words

    ids = [str(i) for i in columns["ids"]]
    n = len(ids)
    step, words = change
    words = words or f"+1 {columns['variable']}"
    cfg: dict[str, Any] = {"ids": ids, "names": names, "start": int(start), "pos": list(POSITIVE),
                           "neg": list(NEGATIVE), "zero": ZERO, "nodata": _layers.NO_DATA_COLOR, "source": SOURCE,
                           "own": [float(v) * step for v in np.asarray(columns["own"], dtype=float)],
                           "emitted": [float(v) * step for v in np.asarray(columns["emitted"], dtype=float)]}
    if columns.get("matrix") is not None:
        mat = np.asarray(columns["matrix"], dtype=float)
        if mat.shape != (n, n):
            raise DataError(f"the response matrix is {mat.shape}, expected ({n}, {n}).")
        sent, receivers = (mat.T * step).astype("<f4"), np.broadcast_to(np.arange(n), (n, n))
        cfg.update(values=_b64(sent, "<f4"), index=None, k=n)
        scope = "every unit"
    else:
        idx, val = np.asarray(columns["index"]), np.asarray(columns["value"], dtype=float)
        sent, receivers = (val.T * step).astype("<f4"), idx.T
        cfg.update(values=_b64(sent, "<f4"), index=_b64(idx.T, "<i4"), k=int(idx.shape[0]))
        scope = f"the {idx.shape[0]} largest responses of each unit (others grey)"
    cfg["limits"] = _class_limits(sent, receivers, cfg["own"])
    cfg.update(cuts=_cut_labels(sent, receivers, cfg["own"], cfg["limits"]), negligible_fraction=NEGLIGIBLE_FRACTION,
               negligible=NEGLIGIBLE)
    cfg["scales"] = {e: scale_words(e) for e in sorted({e for _, e in cfg["limits"] if e})}
    of_s = "column of S" if step == 1 else f"column of S times {step:.4g}"
    cfg["legend_title"] = f"change of {y} after {words} in the selected unit"
    cfg["legend_note"] = (f"negligible: |response| below {NEGLIGIBLE_FRACTION * 100:.3g} % of the largest |response| "
                          "of another unit to the selected unit (a display threshold, not a test, as on the response "
                          "map), in grey; 0: exactly no response (no path through W from the selected unit); classes: "
                          "|response| from the negligible cut up to 1/64, 1/16, 1/4 and all of the largest; "
                          f"shown: {scope}.{y_note}")
    cfg["help"] = f"Click any unit: every unit's change of {y} after {words} there ({of_s})."
    cfg.update(not_in_sample=int(not_in_sample), context=CONTEXT_SWATCH,
               not_in_sample_label=f"{_layers.NOT_IN_SAMPLE} ({int(not_in_sample)})",
               collapse_below=COLLAPSE_BELOW_PX, notes_below=NOTES_BELOW_PX)
    return cfg


def explore_map(
    gdf: gpd.GeoDataFrame,
    columns: Mapping[str, Any],
    *,
    id: str,
    name_column: str | None = None,
    y: str = "y",
    start: str | None = None,
    title: str | None = None,
    notice: str | None = None,
    tiles: str | None = None,
    simplify: float | str | None = "auto",
    m: folium.Map | None = None,
    x_name: str | None = None,
    y_name: str | None = None,
    group: str | None = None,
) -> folium.Map:
    """Click a unit → every unit's response to a unit change of the variable there.

    Parameters
    ----------
    gdf
        Boundary layer with ``id``.
    columns
        :func:`spillmap.estimation.response_columns` output: ``ids``, ``variable``,
        ``own``, ``emitted`` and ``matrix`` (N x N) or ``index`` / ``value`` (k x N).
    start
        The unit selected when the page opens (default: the largest emitter).
    x_name, y_name
        The model's names of the changed variable and of y (default ``columns["variable"]`` and ``y``),
        read for a logarithm when ``columns["variable"]`` and ``y`` are labels ("Public capital (log)").
        For ``log(x)`` the map shows the response to x +10 % (+0.09531 in ``log(x)``, :func:`unit_change`:
        a +1 change of a log is +172 % of x), the columns rescaled exactly; for a natural-log y its legend
        says that a change of 0.01 is about 1 %.
    group
        A column of ``gdf`` (e.g. a province) shown in the tooltips under the names, as on the other maps.

    Returns
    -------
    folium.Map
        Units of ``gdf`` absent from ``columns["ids"]`` are drawn grey ("not in sample").
        The panel (top left; its title folds it) names the selected unit, its own (direct)
        effect, the total spillover it emits and its five largest receivers (folded in maps
        shorter than 640 px, such as the report's frames); ``window.spillmapExplore``
        offers ``select(id)``, ``current()``, ``values()`` and ``element(id)`` for scripting and tests.
    """
    ids = [str(i) for i in columns["ids"]]
    g, ctx = _sample_and_context(gdf, ids, id=id, simplify=simplify, what="response")
    label = dict(zip(g[id], g[name_column].astype(str))) if name_column and name_column in g.columns else {}
    names = [f"{label[i]} ({i})" if i in label else i for i in ids]
    emitted = np.asarray(columns["emitted"], dtype=float)
    j = int(np.argmax(np.abs(emitted))) if start is None else ids.index(str(start)) if str(start) in ids else None
    if j is None:
        raise DataError(f"start unit {start!r} is not among the response's ids.")
    m = _layers.new_map(g, tiles=tiles, m=m)
    _layers.add_context(m, ctx, id=id, name_column=name_column, group=group)
    tips = _layers.base_tips(g, id=id, name_column=name_column, group=group)
    data = _layers.GeoData(g, id=id, properties={"base_tip": tips})
    m.add_child(data)
    change = unit_change(str(x_name or columns["variable"]), str(columns["variable"]))
    m.add_child(_layers.Title(title or f"Click a unit: response of {y} to {change[1]} there", notice))
    m.add_child(_Explore(data, _explore_cfg(columns, names, j, y, not_in_sample=len(ctx), change=change,
                                            y_note=_log_note(y_name or y, y))))
    m.add_child(KeepClear(g.total_bounds))  # refit if the legend / title cover sample units
    return m
