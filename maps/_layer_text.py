"""The words of a spillmap map: tooltip rows, numbers as the maps print them, and legends.

Everything here is text for the page; the HTML fragments a legend becomes (which Leaflet
inserts with ``innerHTML``) are escaped with :func:`html.escape`, tooltip rows are set with
``textContent`` by the layers of :mod:`spillmap.maps._elements`.  Numbers are printed by
:mod:`spillmap.maps._classify`'s :func:`~spillmap.maps._classify.display_number` and
:func:`~spillmap.maps._classify.reading`.
"""
from __future__ import annotations

import html
import math
from collections.abc import Sequence

import pandas as pd

from spillmap.errors import DataError
from spillmap.maps._classify import NO_DATA_COLOR, display_number

#: tooltip and legend words for units of the layer outside the sample
NOT_IN_SAMPLE = "not in sample"


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
