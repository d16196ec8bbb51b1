"""The report's "Scenarios" section and the files of ``spillmap scenario``: for each scenario and W a
map, the table of the largest spillovers received and the group totals, and a figure; then the
click-to-explore map of each changed variable.  Layout only: every number comes from
``StudyResults.scenarios`` (:mod:`spillmap.study.scenarios`) or a
:class:`~spillmap.estimation.ScenarioResult`.

Tables: ``STEM.csv`` with every digit and the unit's names and groups (formula-injection safe), and
the printed table (:mod:`spillmap.maps._scenario_tables`: readable heads, the spec's group labels, one
number of decimals per table) in the formats of the report's other tables: ``STEM_formatted.csv``,
LaTeX, Word, Excel and Markdown (the Office files are reproducible, :mod:`spillmap.tables._zip`);
``office=True`` (``spillmap scenario``) also puts both tables in one DOCX and one XLSX.  Figure: PNG
and PDF (:func:`spillmap.figures.save_figure`).
"""
from __future__ import annotations

import dataclasses
import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spillmap.maps._map_frames import map_frame

__all__ = ["scenarios_section", "write_scenario", "write_explore", "top_table", "groups_table", "display_layer",
           "labelled_group",
           "english_labels", "explore_columns"]


def top_table(result, k: int) -> pd.DataFrame:
    """The ``k`` units not changed that receive the largest spillovers (by ``|received|``; all units when
    every unit is changed), with their own and total change."""
    top = result.top_receivers(k, by="received", shocked=result.n_shocked == len(result.units))
    keep = [c for c in ("name",) if c in top.columns]
    groups = [c for c in top.columns if c not in ("own", "received", "total", "ci_lower", "ci_upper", "se",
                                                  "ci_includes_zero", "shocked", "name")
              and not c.startswith("change: ")]
    out = top[keep + groups + ["shocked", "own", "received", "total", "ci_lower", "ci_upper"]].copy()
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out


def groups_table(result) -> pd.DataFrame:
    """Totals of the region, the changed units and each group."""
    g = result.groups[["n_units", "n_shocked", "own", "received", "total", "mean_total", "ci_lower", "ci_upper",
                       "ci_includes_zero"]].reset_index()
    return g.set_index("grouping")


def _tables(result, top_df: pd.DataFrame, grp_df: pd.DataFrame, title: str, notes: str,
            group_labels: Mapping[str, Mapping[str, str]] | None, unit: str,
            notice: str | None = None, titles: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``{"groups": Table, "top": Table}``: the two frames labelled and formatted (:mod:`._scenario_tables`);
    ``notice`` (e.g. synthetic data) is their first note, ``titles`` name the grouping columns."""
    from spillmap.maps._scenario_tables import scenario_groups_table, scenario_top_table

    all_notes = (notice, notes) if notice else (notes,)

    top_caption = (f"{title}: the {len(top_df)} largest spillovers received by units not changed"
                   if result.n_shocked < len(result.units) else f"{title}: the {len(top_df)} largest spillovers "
                   "received")
    return {"groups": scenario_groups_table(grp_df, level=result.level, labels=group_labels, titles=titles,
                                            caption=f"{title}: totals by group", notes=all_notes),
            "top": scenario_top_table(top_df, level=result.level, labels=group_labels, unit=unit, titles=titles,
                                      caption=top_caption, notes=all_notes)}


def _files(folder: Path, stem: str, df: pd.DataFrame, table) -> None:
    """``tables/STEM.csv`` (every digit, the units' ids, names and groups) and the table in the formats of
    the report's other tables (:data:`spillmap.maps._report_sections.FILE_KINDS`)."""
    from spillmap._fileio import atomic_write_text
    from spillmap._textsafe import csv_text
    from spillmap.tables import save, save_formats

    (folder / "tables").mkdir(exist_ok=True)
    atomic_write_text(folder / "tables" / f"{stem}.csv", csv_text(df))
    save(table, folder / "tables" / f"{stem}_formatted.csv", csv="formatted", overwrite=True)
    save_formats(table, folder / "tables", stem, formats=("tex", "docx", "xlsx", "md"), overwrite=True)


def _office(folder: Path, stem: str, tables: Mapping[str, Any]) -> None:
    """Both tables in ``tables/STEM.docx`` and ``tables/STEM.xlsx`` (one sheet each, named for what it
    holds, not by its caption cut to Excel's 31 characters: new-user audit 31)."""
    from spillmap._fileio import atomic_write_bytes
    from spillmap.tables import save, to_xlsx_bytes

    both = [tables["top"], tables["groups"]]
    save(both, folder / "tables" / f"{stem}.docx", overwrite=True)
    atomic_write_bytes(folder / "tables" / f"{stem}.xlsx",
                       to_xlsx_bytes(both, sheet_names=["largest spillovers", "totals by group"]), overwrite=True)


def _house_title(fig):  # noqa: ANN001, ANN202 - a matplotlib Figure in and out
    """The figure's title bold, as every other figure title of the report."""
    from spillmap.figures._style import figure_style

    with figure_style():
        fig.axes[0].title.set_fontweight("bold")
        fig.tight_layout()  # the bold title is wider
    return fig


def labelled_title(title: str, variables, shown: Mapping[str, Any]) -> str:  # noqa: ANN001
    """``title`` with each changed variable as the tables name it where it states a change
    ("Industrial intelligence +0.02 in every city of Hubei", not "int +0.02 ..."): the name as a
    whole word followed by ``+``, ``-``, ``−``, ``=``, ``×`` or ``*``; other words are kept."""
    import re

    for var in variables:
        label = str(shown.get(var, var))
        if label != var:
            title = re.sub(rf"(?<![\w.]){re.escape(var)}(?=\s*[-+−=×*])", lambda _m, lab=label: lab, title)
    return title


def scenario_title(title: str | None, result, wname: str, shown: Mapping[str, Any]) -> str:  # noqa: ANN001
    """A scenario's title under ``wname`` as the map, heading, tables and figure print it: the spec's ``title``
    (else the changes) with each changed variable named as the tables name it (:func:`labelled_title`: the
    demo's "int +0.02 ..." map title stood above a legend saying "Industrial intelligence +0.02")."""
    return labelled_title(f"{title or '; '.join(result.changes)} ({wname})", result.variables, shown)


def _links(stem: str) -> str:
    from spillmap.maps._report_sections import FILE_KINDS

    return "".join(f'<a href="tables/{html.escape(stem + suffix)}">{text}</a>' for suffix, text in FILE_KINDS)


def is_natural_log(name: str) -> bool:
    """Whether the variable ``name`` is written as a natural logarithm (``log(gsp)``, ``np.log(gsp)``): the
    scenarios' own reading of a logarithm (:func:`spillmap.estimation._scenario_input.log_argument`)."""
    import math

    from spillmap.estimation._scenario_input import log_argument

    logged = log_argument(str(name))
    return logged is not None and logged[1] == math.e


def write_scenario(result, folder: Path, stem: str, *, layer, idc: str, gname: str | None,
                   labels: Mapping[str, str] | None, notice: str | None, top: int, title: str,
                   office: bool = False, group_labels: Mapping[str, Mapping[str, str]] | None = None,
                   unit: str = "unit", figure_title: str | None = None,
                   column_titles: Mapping[str, str] | None = None, y_is_log: bool = False,
                   figure_width: float | None = None, group: str | None = None) -> dict[str, Any]:
    """Write the map (``maps/STEM.html``), the tables (``tables/STEM_top`` and ``tables/STEM_groups``: CSV
    with every digit, and as printed in CSV, LaTeX, Word, Excel and Markdown; with ``office`` also both in
    ``tables/STEM.docx|.xlsx``) and the figure (``figures/STEM.png|.pdf``) of one scenario result.

    ``group_labels`` (``{column: {value: label}}``, the spec's ``[heterogeneity] labels``) name the
    groups in the printed tables and ``column_titles`` (the spec's ``[model] labels``) their columns; ``y_is_log``
    (y is a natural logarithm) adds a note on reading its changes as percentages; ``unit`` names a row of the largest spillovers (e.g. ``"city"``);
    ``figure_title`` is the figure's title (default "TITLE: largest spillovers received"), bold as the
    report's other figure titles; ``figure_width`` its width in inches (default: 7, a journal's text
    width; the report's ``[output] figure_width``, :func:`spillmap.study._sections.figure_inches`); ``group`` a
    column of ``layer`` (named as the report labels it, e.g. "Census division") for the map's tooltips and outlines.
    Returns the page's HTML pieces, the paths and the tables (``{"STEM_groups": Table, "STEM_top": Table}``).
    """
    from spillmap.figures import save_figure
    from spillmap.maps._offline import save_map
    from spillmap.tables import to_html
    from spillmap.maps.scenario import scenario_figure, scenario_map

    (folder / "maps").mkdir(exist_ok=True)
    (folder / "figures").mkdir(exist_ok=True)
    log_note = ([f"{result.y} is a natural logarithm: a change of 0.01 in a {unit} is about a 1 % change of its "
                 "level; 'Total change' adds these over the units and is not the % change of their total."]
                if y_is_log else [])
    notes = " ".join([*result.notes, *log_note, f"Intervals: {result.level:.0%}, " + {
        "simulation": f"percentiles of {result.draws:,} parameter draws (seed {result.seed}), the effects' draws.",
        "delta": "delta method.", "closed form": "exact (linear in the parameters)."}[result.method]])
    top_df, grp_df = top_table(result, top), groups_table(result)
    tables = _tables(result, top_df, grp_df, title, notes, group_labels, unit, notice, column_titles)
    _files(folder, f"{stem}_top", top_df, tables["top"])
    _files(folder, f"{stem}_groups", grp_df, tables["groups"])
    if office:
        _office(folder, stem, tables)
    m = scenario_map(layer, result, id=idc, name_column=gname, title=title, notice=notice, unit=unit, group=group,
                     simplify=None)  # the study's display layer, simplified as its spec says
    save_map(m, folder / "maps" / f"{stem}.html")
    fig = _house_title(scenario_figure(result, k=top, names=labels, unit=unit,
                                       title=figure_title or f"{title}: largest spillovers received",
                                       **({"width": figure_width} if figure_width else {})))
    if notice:  # e.g. synthetic data, under the figure as on the report's other figures
        from spillmap.figures._narrow import is_narrow
        from spillmap.figures._style import add_notice

        add_notice(fig, notice, grow=is_narrow(fig))  # a narrow figure grows by it, as the report's others
    save_figure(fig, folder / "figures" / stem, formats=("png", "pdf"), overwrite=True)
    cap = html.escape(title)
    files = [(f"tables/{stem}.docx", "both tables, Word"), (f"tables/{stem}.xlsx", "both tables, Excel")] if office else []
    files += [(f"figures/{stem}.png", "figure PNG"), (f"figures/{stem}.pdf", "figure PDF"), (f"maps/{stem}.html", "map")]
    links = "".join(f'<a href="{p}">{html.escape(t)}</a>' for p, t in files)
    page = (f'<div class="map"><figure>{map_frame(f"maps/{stem}.html", title)}'
            f'<figcaption>{cap}: predicted change per unit (changed units outlined; greyed: interval '
            f'includes 0) — <a href="maps/{html.escape(stem)}.html">open full screen</a></figcaption></figure></div>'
            + to_html(tables["groups"]) + f'<div class="files">download: {_links(f"{stem}_groups")}</div>'
            + to_html(tables["top"]) + f'<div class="files">download: {_links(f"{stem}_top")}</div>'
            + f'<p><img src="figures/{html.escape(stem)}.png" alt="{cap}" style="width:100%;max-width:720px"></p>'
            + f'<div class="files">download: {links}</div>')
    kinds = [".csv", "_formatted.csv", ".tex", ".docx", ".xlsx", ".md"]
    return {"html": page, "map": folder / "maps" / f"{stem}.html", "figure": folder / "figures" / f"{stem}.png",
            "tables": [folder / "tables" / f"{stem}_{t}{k}" for t in ("top", "groups") for k in kinds]
            + ([folder / "tables" / f"{stem}.{e}" for e in ("docx", "xlsx")] if office else []),
            "table_objects": {f"{stem}_groups": tables["groups"], f"{stem}_top": tables["top"]}}


def explore_columns(doc: Mapping, ids) -> dict:
    """The stored click-map columns (``StudyResults.scenarios["explore"][W][var]``) as arrays."""
    from spillmap.study.scenarios import decode_array

    out = {"ids": list(ids), "variable": doc["variable"], "own": decode_array(doc["own"]),
           "emitted": decode_array(doc["emitted"])}
    if "matrix" in doc:
        out["matrix"] = decode_array(doc["matrix"])
    else:
        out.update(index=decode_array(doc["index"]), value=decode_array(doc["value"]))
    return out


def write_explore(columns: Mapping, folder: Path, stem: str, *, layer, idc: str, gname: str | None, y: str,
                  notice: str | None, caption: str, x_name: str | None = None, y_name: str | None = None,
                  group: str | None = None) -> str:
    """The click-to-explore map ``maps/STEM.html``; returns its figure snippet.  ``x_name`` and ``y_name``:
    the model's names of the variable and of y when ``columns["variable"]`` and ``y`` are labels (a
    logarithm is read from them: :func:`spillmap.maps.explore.explore_map`)."""
    from spillmap.maps._offline import save_map
    from spillmap.maps.scenario import explore_map

    (folder / "maps").mkdir(exist_ok=True)
    m = explore_map(layer, columns, id=idc, name_column=gname, y=y, notice=notice, x_name=x_name, y_name=y_name,
                    group=group, simplify=None)  # the study's display layer, simplified as its spec says
    save_map(m, folder / "maps" / f"{stem}.html")
    return (f'<div class="map"><figure>{map_frame(f"maps/{stem}.html", caption)}'
            f'<figcaption>{html.escape(caption)} — '
            f'<a href="maps/{html.escape(stem)}.html">open full screen</a></figcaption></figure></div>')


def shown_changes(res: Any, shown: Mapping[str, Any]) -> tuple[str, ...]:
    """The changes in words with each variable as the tables name it ("Industrial intelligence +0.02",
    not "int +0.02"): the descriptions start with the variable."""
    out = []
    for var, text in zip(res.variables, res.changes):
        label = str(shown.get(var, var))
        out.append(label + text[len(var):] if text.startswith(f"{var} ") else text)
    return tuple(out)


def display_layer(geometry: Mapping) -> tuple[Any, str, str | None]:
    """The stored display GeoJSON (``StudyResults.geometry``) as a GeoDataFrame: the whole layer,
    so that the scenario and explore maps draw the units outside the model grey ("not in
    sample"), as the report's other maps do."""
    from spillmap.maps._report_maps import layer_frame

    gdf = layer_frame(geometry)
    idc = geometry["id_column"]
    gdf[idc] = gdf[idc].astype(str)
    return gdf.reset_index(drop=True), idc, geometry.get("name_column")


def labelled_group(layer, geometry: Mapping, labels: Mapping[str, str]) -> tuple[Any, str | None]:
    """``(layer, column)``: the layer's group column (``geometry["group_column"]``) renamed to its label (e.g.
    ``"Census division"`` for ``SUB_REGION``) for the scenario and explore maps' tooltip row, as on the report's
    other maps; ``None`` when the layer has no group column.

    Parameters
    ----------
    layer
        The display layer (:func:`display_layer`).
    geometry
        The stored display GeoJSON's metadata (``StudyResults.geometry``), naming ``group_column``.
    labels
        The study's labels (``{column: label}``).
    """
    group = geometry.get("group_column")
    if group not in layer.columns:
        return layer, None
    shown = str(labels.get(group, group))
    if shown == group or shown in layer.columns:  # no label, or a column of that name already: the raw name
        return layer, group
    return layer.rename(columns={group: shown}), shown


def english_labels(geometry: Mapping) -> dict[str, str] | None:
    """``id → name_en`` when the layer has English names (the figure's fonts lack CJK glyphs)."""
    from spillmap.maps._report_maps import layer_frame

    idc = geometry.get("id_column")
    if "features" not in geometry:
        return None
    gdf = layer_frame(geometry)
    if gdf.empty or "name_en" not in gdf.columns:
        return None
    return dict(zip(gdf[idc].astype(str), gdf["name_en"].astype(str)))


def scenarios_section(r, folder: Path, step, file_names: Mapping[str, str]) -> tuple[str | None, dict[str, Any]]:
    """The "Scenarios" section of the report (``None`` when the study defines none) and its tables
    (``{file stem: Table}``, for the report's ``tables.docx`` / ``tables.xlsx``)."""
    from spillmap.estimation import ScenarioResult
    from spillmap.maps.explore import unit_change
    from spillmap.study._names import safe_names
    from spillmap.study._sections import figure_inches

    runs = r.scenarios.get("runs") or {}
    if not runs:
        return None, {}
    group_labels = (r.spec.get("heterogeneity") or {}).get("labels") or {}
    layer, idc, gname = display_layer(r.geometry)
    layer, shown_group = labelled_group(layer, r.geometry, r.labels)
    labels = english_labels(r.geometry)
    shown = r.labels  # variables as the tables show them
    y = str(shown.get(r.spec["model"]["y"], r.spec["model"]["y"]))
    specs = r.spec.get("scenarios", {})
    snames = safe_names({n: f"scenarios.{n}" for n in runs})
    parts = ["<h2>Scenarios</h2><p class=\"notes\">Predicted change of "
             f"{html.escape(y)} in every {html.escape(r.unit_label)} after the change, split "
             "into the part from its own change and the part received from the others (S_k Δx, exact sparse "
             "solves), with intervals from the effects' parameter draws.</p>"]
    tables: dict[str, Any] = {}
    for name, by_w in runs.items():
        for wname, doc in by_w.items():
            res = ScenarioResult.from_dict(doc)
            res = dataclasses.replace(res, y=y, changes=shown_changes(res, shown))
            title = scenario_title(specs.get(name, {}).get("title"), res, wname, shown)
            step(f"scenario {name}: map, tables and figure ({wname})")
            out = write_scenario(res, folder, f"scenario_{snames[name]}_{file_names[wname]}", layer=layer, idc=idc,
                                 gname=gname, labels=labels, notice=r.notice, top=int(specs.get(name, {}).get(
                                     "top", 10)), title=title, group_labels=group_labels, unit=r.unit_label,
                                 column_titles=shown, y_is_log=is_natural_log(r.spec["model"]["y"]),
                                 figure_width=figure_inches(r.spec.get("output", {}).get("figure_width")),
                                 group=shown_group)
            tables.update(out["table_objects"])
            parts.append(f"<h3>{html.escape(title)}</h3>{out['html']}")
    explore = r.scenarios.get("explore") or {}
    ids = r.scenarios["inputs"]["ids"]
    maps = []
    for wname, by_var in explore.items():
        for var, doc in by_var.items():
            step(f"click-to-explore map of {var} ({wname})")
            stem = f"explore_{file_names[wname]}_{safe_names({var: var})[var]}"
            columns = {**explore_columns(doc, ids), "variable": str(shown.get(var, var))}
            words = unit_change(var, columns["variable"])[1]  # "+1 x"; "+10 % of pcap (...)" for log(pcap)
            maps.append(write_explore(columns, folder, stem, layer=layer, idc=idc, gname=gname, y=y, notice=r.notice,
                                      caption=f"{wname}: click a {r.unit_label} to see every {r.unit_label}'s "
                                              f"response to {words} there", x_name=var, group=shown_group,
                                      y_name=r.spec["model"]["y"]))
    if maps:
        parts.append("<h3>Click to explore</h3><div class=\"maps\">" + "".join(maps) + "</div>")
    return "".join(parts), tables
