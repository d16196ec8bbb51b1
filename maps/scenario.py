"""Maps of policy scenarios: the predicted change per unit (and the colours of the
click-to-explore map, :mod:`spillmap.maps.explore`, still importable from here).

* :func:`scenario_map` draws a :class:`~spillmap.estimation.ScenarioResult`: the predicted
  change of y per unit in diverging colours centred on 0, the changed units outlined,
  units whose interval of the change includes 0 greyed, tooltips with the unit's group (``group=``)
  and own / received / total change and the interval, a legend stating the interval rule.
* It and the explore map draw the units of the layer outside the model light grey ("not in
  sample", with a legend entry and tooltip), as the other maps do
  (:func:`spillmap.maps._layers.add_context`).
* :func:`scenario_figure` (:mod:`spillmap.maps._scenario_figure`, imported here): the largest receivers as
  a bar chart.

Library used: **folium** through :mod:`spillmap.maps._layers`.  The numbers come from
:mod:`spillmap.estimation.scenario`; this module only colours them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import folium
import numpy as np
import pandas as pd
from spillmap.maps import _layers
from spillmap.maps._classify import (
    NEGLIGIBLE_FRACTION,
    ZERO_BELOW,
    display_number,
    fixed_labels,
    magnitude_labels,
    reading,
    scale_words,
)

from spillmap.errors import DataError
from spillmap.maps._scenario_figure import scenario_figure
from spillmap.maps._scenario_tables import scenario_decimals

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["GREYED_NEGATIVE", "GREYED_POSITIVE", "NEGATIVE", "POSITIVE", "diverging_classes", "scenario_classes",
           "scenario_figure", "scenario_map"]


def __getattr__(name: str) -> Any:
    """``explore_map`` lives in :mod:`spillmap.maps.explore` (imported from here as before)."""
    if name == "explore_map":
        from spillmap.maps.explore import explore_map

        return explore_map
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

#: ColorBrewer RdBu (light → dark): positive changes red, negative blue, exactly 0 white
POSITIVE = ("#fddbc7", "#f4a582", "#d6604d", "#b2182b")
NEGATIVE = ("#d1e5f0", "#92c5de", "#4393c3", "#2166ac")
ZERO = "#f7f7f7"
SOURCE = "#6a3d9a"
#: greyed units (the interval of the change includes 0): one dull tint per sign, CIE L* 65-68, chroma <= 9, darker
#: than "not in sample" (#d9d9d9, L* 87: CIE76 delta E 23 and 20) and the negligible grey (#c6c6c6: 17 and 14),
#: duller than every class colour (delta E >= 17); the legend's swatches are these colours (planner audit 32 #4)
GREYED_POSITIVE = "#b09a94"
GREYED_NEGATIVE = "#9aa6b0"


#: the columns of a scenario's units the tooltips print (their largest magnitude scales what reads as 0)
_SOLVED = ("total", "own", "received", "ci_lower", "ci_upper")


def diverging_classes(values: np.ndarray, *, largest: float | None = None) -> tuple[list[str], list[tuple[str, str]]]:
    """Colours per value and legend entries, classes symmetric around 0.

    Upper bounds of ``|v|``: its 50th, 80th and 95th percentiles over the non-zero
    values and the maximum (the same bounds for both signs); 0 is white, and so is a value numerically
    zero (below :data:`~spillmap.maps._classify.ZERO_BELOW` times ``largest``, default the largest
    ``|v|``: float rounding of the solve, which a tooltip reads "0"), NaN is the no-data grey.
    When the limits are printed scaled (in millionths ...:
    :func:`~spillmap.maps._classify.magnitude_labels`), the first entry is ``("", words)``, the
    line naming the scale (:func:`~spillmap.maps._layers.legend_html` prints it as text).
    """
    v = np.asarray(values, dtype=float)
    finite = np.isfinite(v)
    top = float(np.abs(v[finite]).max()) if largest is None and finite.any() else float(largest or 0.0)
    v = np.where(finite & (np.abs(v) < ZERO_BELOW * top), 0.0, v)  # numerically zero: drawn and read as 0
    mag = np.abs(v[np.isfinite(v) & (v != 0)])
    if mag.size == 0:
        return [ZERO if np.isfinite(x) else _layers.NO_DATA_COLOR for x in v], [(ZERO, "0")]
    bounds = np.unique(np.concatenate([np.quantile(mag, [0.5, 0.8, 0.95]), [mag.max()]]))
    cls = np.minimum(np.searchsorted(bounds, np.abs(v), side="left"), bounds.size - 1)
    colors = []
    for x, c in zip(v, cls):
        if not np.isfinite(x):
            colors.append(_layers.NO_DATA_COLOR)
        else:
            colors.append(ZERO if x == 0 else (POSITIVE if x > 0 else NEGATIVE)[c + 4 - bounds.size])
    # limits of |v| printed as the other legends' (decimals from the class width, no 9.451e-05); limits
    # below 1e-5 in thousandths, millionths ..., which the first line says (no 7.4e-08)
    text, exponent = magnitude_labels([0.0, *bounds.tolist()])
    lows, highs = ["0", *text[1:-1]], text[1:]
    entries = [("", scale_words(exponent))] if exponent else []
    if (v[np.isfinite(v)] > 0).any():
        entries += [(POSITIVE[c + 4 - bounds.size], f"{'+' + lo if c else '0'} to +{hi}")
                    for c, (lo, hi) in reversed(list(enumerate(zip(lows, highs))))]
    if (v == 0).any():
        entries.append((ZERO, "0 (no change)"))
    if (v[np.isfinite(v)] < 0).any():
        entries += [(NEGATIVE[c + 4 - bounds.size], f"{'−' + lo if c else '0'} to −{hi}")
                    for c, (lo, hi) in enumerate(zip(lows, highs))]
    return colors, entries


def _greyed(color: str) -> str:
    """The fill of a greyed unit (its interval includes 0) drawn ``color``: one dull tint per sign
    (:data:`GREYED_NEGATIVE` for a blue class, :data:`GREYED_POSITIVE` otherwise), so that the legend's
    swatches are the colours on the map."""
    return GREYED_NEGATIVE if color in NEGATIVE else GREYED_POSITIVE


def _class_bounds(mag: np.ndarray, big: np.ndarray, changed: np.ndarray) -> tuple[np.ndarray, bool]:
    """Upper bounds of ``|change|`` classes over the ``big`` (not negligible, not 0) units, and whether the
    last class holds the changed units' own totals: with changed and other units, the 50th and 80th
    percentiles and the largest of the others (3 classes), then one class above them when a changed unit
    exceeds them; else the 50th, 80th and 95th percentiles and the largest (planner audit 32 #7: one class
    held changed cities at 0.026-0.041 and neighbours at 0.0012-0.009)."""
    others, own = big & ~changed, big & changed
    if others.any() and own.any():
        bounds = np.unique(np.r_[np.quantile(mag[others], [0.5, 0.8]), mag[others].max()])
        if (mag[own] > bounds[-1]).any():
            return np.r_[bounds, mag[own].max()], True
        return bounds, False
    if not big.any():
        return np.array([]), False
    return np.unique(np.r_[np.quantile(mag[big], [0.5, 0.8, 0.95]), mag[big].max()]), False


def scenario_classes(values: np.ndarray, *, cut: float, decimals: int, changed: np.ndarray | None = None,
                     units: str = "units", zero: str = "no path from the changed units"
                     ) -> tuple[list[str], list[tuple[str, str]], str]:
    """``(colours, legend entries, note)`` of a scenario layer: ``|change| < cut`` negligible (grey, the response
    map's :data:`~spillmap.maps.spillover.NEGLIGIBLE`), exactly 0 white (``zero`` says why), the rest in
    classes symmetric around 0 (:func:`_class_bounds`), limits printed with the tables' ``decimals``
    (:func:`~spillmap.maps._classify.fixed_labels`), counts in brackets; ``changed`` flags the changed units."""
    from spillmap.maps.spillover import NEGLIGIBLE

    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v)
    mag = np.where(ok, np.abs(v), np.nan)
    small = ok & (v != 0) & (mag < cut)
    big = ok & (v != 0) & ~small
    changed = np.zeros(v.shape, bool) if changed is None else np.asarray(changed, dtype=bool)
    bounds, apart = _class_bounds(mag, big, changed)
    cls = np.minimum(np.searchsorted(bounds, np.where(big, mag, 0.0), side="left"), max(bounds.size - 1, 0))
    shift = 4 - bounds.size
    colors = [_layers.NO_DATA_COLOR if not o else ZERO if x == 0 else NEGLIGIBLE if s else
              (POSITIVE if x > 0 else NEGATIVE)[c + shift] for x, o, s, c in zip(v, ok, small, cls)]
    cut_text = reading(cut, digits=2)
    text = fixed_labels(bounds.tolist(), decimals)
    lows = [cut_text, *text[:-1]]
    entries = []
    for sign, pal, mark in ((1, POSITIVE, "+"), (-1, NEGATIVE, "−")):
        rows = []
        for c, (lo, hi) in enumerate(zip(lows, text)):
            n = int((big & (np.sign(v) == sign) & (cls == c)).sum())
            only = f", changed {units}" if apart and c == bounds.size - 1 else ""
            if n:
                rows.append((pal[c + shift], f"{mark}{lo} to {mark}{hi} ({n}{only})"))
        entries += list(reversed(rows)) if sign > 0 else rows
        if sign > 0:
            entries += [(NEGLIGIBLE, f"negligible: |change| < {cut_text} ({int(small.sum())})")] if small.any() else []
            entries += [(ZERO, f"0: {zero} ({int((ok & (v == 0)).sum())})")] if (ok & (v == 0)).any() else []
    how = (f"50th and 80th percentiles and the largest |change| of the {units} not changed; above them, in their "
           f"own class, the changed {units}" if apart else "50th, 80th and 95th percentiles and the largest |change|")
    return colors, entries, f"classes: |change| from {cut_text} up, split at the {how}; the same limits for both signs"


def _number(v: float, decimals: int) -> str:
    """A bound as the scenario tables print it: ``decimals`` fixed decimals, ``<0.00001`` for a number above 0
    that they would print as zero (:func:`~spillmap.maps._scenario_tables.below_resolution`)."""
    from spillmap.maps._scenario_tables import below_resolution
    from spillmap.tables import format_number

    if not np.isfinite(v):
        return "no data"
    return below_resolution(float(v), decimals) or display_number(format_number(float(v), decimals))


def _unit_tips(row: pd.Series, result, y: str, largest: float, *, cut: float | None = None,
               decimals: int = 5) -> list[list[str]]:
    """A unit's tooltip: its changes and their interval.  With ``cut`` (the map's negligible threshold) as the
    tables print them: ``decimals`` fixed decimals, "negligible (< cut)" for a change below ``cut`` other than 0,
    bounds below the decimals as ``<0.00001`` (never ``[0, 0]`` for an interval that excludes 0).  Without, four
    significant digits (:func:`~spillmap.maps._classify.reading`), 0 below 1e-9 of ``largest``."""
    def fmt(v: float) -> str:
        if cut is None or not np.isfinite(v) or v == 0 or abs(v) >= cut:
            return reading(v, largest=largest) if cut is None else _number(v, decimals)
        return f"negligible (< {reading(cut, digits=2)})"

    bound = (lambda v: reading(v, largest=largest)) if cut is None else (lambda v: _number(v, decimals))
    tips = [[f"change of {y}", fmt(row["total"])], ["own change", fmt(row["own"])],
            ["received from others", fmt(row["received"])],
            [f"{result.level:.0%} interval", f"[{bound(row['ci_lower'])}, {bound(row['ci_upper'])}]"]]
    if row["ci_includes_zero"]:
        tips.append(["", "interval includes 0"])
    if row["shocked"]:
        tips += [[f"change of {v}", reading(row[f"change: {v}"])] for v in result.variables]
    return tips


def _sample_and_context(gdf: gpd.GeoDataFrame, ids, *, id: str, simplify: float | None, what: str):
    """``(sample, context)``: the prepared layer's units among ``ids`` and the other units of the
    layer (drawn grey, "not in sample"); an id missing from the layer is an error."""
    full = _layers.prepare_geometry(gdf, id=id, simplify=simplify)
    unknown = sorted(set(map(str, ids)) - set(full[id]))
    if unknown:
        from spillmap.errors import format_items

        raise DataError(f"{what} ids not in the layer's {id!r}: {format_items(unknown)}.")
    return _layers.split_sample(full, id=id, sample=[str(i) for i in ids])


def _rule(result) -> str:
    how = {"simulation": f"{result.draws:,} parameter draws", "delta": "delta method",
           "closed form": "exact, linear in the parameters"}[result.method]
    return f"the {result.level:.0%} interval of the change includes 0 ({how})"


def _grey(colors: list[str], grey: np.ndarray) -> tuple[list[str], list[tuple[str, str, int]]]:
    """The colours with the ``grey`` units in class colours greyed (:func:`_greyed`; a negligible or 0 unit keeps
    its grey or white), and ``(swatch, "above 0" | "below 0", count)`` per sign present."""
    hit = [bool(g) and c in POSITIVE + NEGATIVE for c, g in zip(colors, grey)]
    out = [_greyed(c) if h else c for c, h in zip(colors, hit)]
    return out, [(col, word, n) for col, word in ((GREYED_POSITIVE, "above 0"), (GREYED_NEGATIVE, "below 0"))
                 if (n := sum(h and o == col for h, o in zip(hit, out)))]


def scenario_map(
    gdf: gpd.GeoDataFrame,
    result: Any,
    *,
    id: str,
    name_column: str | None = None,
    title: str | None = None,
    notice: str | None = None,
    tiles: str | None = None,
    simplify: float | str | None = "auto",
    m: folium.Map | None = None,
    unit: str = "unit",
    decimals: int | None = None,
    group: str | None = None,
) -> folium.Map:
    """The predicted change of y per unit under a scenario.

    Layers (switch top left): the total change (own + received; units whose interval
    includes 0 greyed), the part received from the other units, and the own part.
    The units changed by the scenario are outlined.

    Parameters
    ----------
    gdf
        Boundary layer with ``id``; its units absent from ``result`` are drawn grey
        ("not in sample", as on the other maps) and the map is fitted to the sample.
    result
        A :class:`~spillmap.estimation.ScenarioResult`.
    id, name_column
        Unit id column of ``gdf`` and its column of names (tooltips).
    title, notice
        Title box text (default: the scenario's changes) and an optional notice under it.
    tiles, simplify, m
        As :func:`~spillmap.maps.choropleth.choropleth`.
    unit
        The word for a unit in the layers' labels (``"city"``: "received from other cities").
    decimals
        Decimals of the legend's limits and the tooltips' numbers (default: those of the scenario's tables,
        :func:`~spillmap.maps._scenario_tables.scenario_decimals`).
    group
        A column of ``gdf`` (e.g. a province, a census division; its name is the row's label) shown in the
        tooltips under the names and drawn as outlines, as on the report's other maps.

    Legend: ``|change|`` below 0.1 % of the largest is "negligible" (grey, as on the response map), exactly 0
    white (no path from the changed units), the rest in classes symmetric around 0 (:func:`scenario_classes`);
    greyed units one dull tint per sign.

    Returns
    -------
    folium.Map
    """
    from spillmap.tables import plural

    units_word = plural(unit)
    units = result.to_frame()
    units.index = units.index.astype(str)
    g, ctx = _sample_and_context(gdf, units.index, id=id, simplify=simplify, what="scenario")
    frame = units.reindex(g[id].tolist())
    inside = frame["total"].notna().to_numpy()
    y = result.y
    change = "; ".join(result.changes)
    totals = np.abs(frame["total"].to_numpy(dtype=float))
    largest = float(np.nanmax(totals)) if np.isfinite(totals).any() else 0.0
    cut = NEGLIGIBLE_FRACTION * largest   # the response map's rule: below 0.1 % of the largest |change|
    dec = scenario_decimals(result) if decimals is None else int(decimals)
    changed = frame["shocked"].fillna(False).to_numpy(dtype=bool)
    exact_zero = ((frame["ci_lower"] == 0) & (frame["ci_upper"] == 0)).to_numpy()   # no path from the changed units
    step = f"{10.0 ** -dec:.{dec}f}"
    notes = [f"negligible: |change| below {NEGLIGIBLE_FRACTION * 100:.3g} % of the largest |change| on the map "
             f"({_number(largest, dec)}; a display threshold, not a test, as on the response map), in grey; 0: exactly "
             f"no change (no path through W from the changed {units_word}); numbers with {dec} decimals, as the "
             f"scenario's tables (<{step}: above 0 but below {step}).", *result.notes]
    tips = [_unit_tips(r, result, y, largest, cut=cut, decimals=dec) if ok else [[f"change of {y}", "no data"]]
            for (_, r), ok in zip(frame.iterrows(), inside)]
    specs = []
    for col, label, zero in (
            ("total", f"change of {y}", f"no path from the changed {units_word}"),
            ("received", f"change of {y} received from other {units_word}", f"no path from the changed {units_word}"),
            ("own", f"change of {y} from the {unit}'s own change", "not changed")):
        colors, entries, how = scenario_classes(frame[col].to_numpy(dtype=float), cut=cut, decimals=dec,
                                                changed=changed if col == "total" else None, units=units_word,
                                                zero=zero)
        extra = [("#ffffff", f"outlined: the {int(result.n_shocked)} {units_word} changed")]
        if col == "total":
            colors, greyed = _grey(colors, inside & frame["ci_includes_zero"].fillna(False).to_numpy(dtype=bool)
                                   & ~exact_zero)
            extra += [(c, f"greyed, {w}: {_rule(result)} ({n})") for c, w, n in greyed]
        specs.append({"name": label, "colors": colors, "tips": tips, "show": col == "total",
                      "legend_html": _layers.legend_html(f"{label}: {change}", [*entries, *extra],
                                                         note=" ".join([how + ";", *notes]),
                                                         no_data=int((~inside).sum()), not_in_sample=len(ctx),
                                                         group=group)})
    m = _layers.new_map(g, tiles=tiles, m=m)
    shocked = frame.index[frame["shocked"].fillna(False).to_numpy(dtype=bool)].tolist()
    return _layers.add_layers(m, g, id=id, name_column=name_column, layers=specs,
                              title=title or f"Scenario: {change} → change of {y}", notice=notice, legend=True,
                              highlight=shocked, context=ctx, group=group)
