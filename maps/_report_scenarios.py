"""The report's "Scenarios" section and the files of ``spillmap scenario``: for each scenario and W a
map, the table of the largest spillovers received and the group totals, and a figure; then the
click-to-explore map of each changed variable.  Layout only: every number comes from
``StudyResults.scenarios`` (:mod:`spillmap.study.scenarios`) or a
:class:`~spillmap.estimation.ScenarioResult`.

Tables: CSV with every digit and the unit's names and groups (formula-injection safe), LaTeX as
the report's other tables, and (``office=True``, ``spillmap scenario``) both tables in one DOCX and
one XLSX through the publication writers (:func:`spillmap.tables.save`).  The report leaves the
DOCX / XLSX out: they carry the time they were written (zip entries, document properties), and a
report re-run must be byte-identical.  Figure: PNG and PDF (:func:`spillmap.figures.save_figure`).
"""
from __future__ import annotations

import dataclasses
import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["scenarios_section", "write_scenario", "write_explore", "top_table", "groups_table", "display_layer",
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


def _display(df: pd.DataFrame) -> pd.DataFrame:
    """Floats to 4 significant digits for the page (the CSV keeps every digit)."""
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = [f"{v:.4g}" if np.isfinite(v) else "" for v in out[c]]
        elif pd.api.types.is_bool_dtype(out[c]):
            out[c] = np.where(out[c], "yes", "")
    return out


def _text_table(df: pd.DataFrame, caption: str, notes: str = ""):
    """The page's version of a frame (4 significant digits) as a :class:`spillmap.tables.Table`."""
    from spillmap.tables import frame_table

    shown = _display(df)
    keys = [f"row {i}" for i in range(len(shown))]  # unique keys; the index (e.g. a grouping repeated) labels the rows
    labels = dict(zip(keys, map(str, shown.index)))
    return frame_table(shown.set_axis(keys), labels=labels, caption=caption, notes=(notes,) if notes else (),
                       stub=str(df.index.name or ""))


def _files(folder: Path, stem: str, df: pd.DataFrame, caption: str, notes: str) -> None:
    from spillmap._fileio import atomic_write_text
    from spillmap._textsafe import csv_text
    from spillmap.tables import to_latex

    (folder / "tables").mkdir(exist_ok=True)
    atomic_write_text(folder / "tables" / f"{stem}.csv", csv_text(df))
    atomic_write_text(folder / "tables" / f"{stem}.tex", to_latex(_text_table(df, caption, notes)))


def _publication(df: pd.DataFrame, labels: list[str], caption: str, notes: str, stub: str):
    """A :class:`spillmap.tables.Table` of the numeric columns, one row per labelled unit or group."""
    from spillmap.tables import decimals_for, frame_table

    body = df[["own", "received", "total", "ci_lower", "ci_upper"]].astype(float).copy()
    body.index = labels
    names = {"own": "own", "received": "received", "total": "total", "ci_lower": "CI lower", "ci_upper": "CI upper"}
    # three significant digits of the row's smallest non-zero number (3 to 12 decimals)
    dec = {lab: decimals_for(body.loc[lab], digits=3, least=3, most=12) for lab in labels}
    return frame_table(body, decimals=dec, labels=names,
                       caption=caption, notes=[notes], stub=stub)


def _office(folder: Path, stem: str, top_df: pd.DataFrame, grp_df: pd.DataFrame, title: str,
            notes: str) -> None:
    """Both tables in ``tables/STEM.docx`` and ``tables/STEM.xlsx`` (one sheet each)."""
    from spillmap.tables import save

    top_labels = [f"{r['name']} ({i})" if isinstance(r.get("name"), str) else str(i) for i, r in top_df.iterrows()]
    grp_labels = [f"{g}: {r['group']} ({r['n_units']} units, {r['n_shocked']} changed)" for g, r in grp_df.iterrows()]
    tabs = [_publication(top_df, top_labels, f"{title}: largest spillovers received", notes, "unit"),
            _publication(grp_df, grp_labels, f"{title}: totals by group", notes, "group")]
    for ext in ("docx", "xlsx"):
        save(tabs, folder / "tables" / f"{stem}.{ext}", overwrite=True)


def write_scenario(result, folder: Path, stem: str, *, layer, idc: str, gname: str | None,
                   labels: Mapping[str, str] | None, notice: str | None, top: int, title: str,
                   office: bool = False) -> dict[str, Any]:
    """Write the map (``maps/STEM.html``), the tables (``tables/STEM_top|_groups.csv|.tex``, with
    ``office`` also ``tables/STEM.docx|.xlsx``) and the figure (``figures/STEM.png|.pdf``) of one
    scenario result; return the page's HTML pieces and the paths."""
    from spillmap.figures import save_figure
    from spillmap.maps._offline import save_map
    from spillmap.tables import to_html
    from spillmap.maps.scenario import scenario_figure, scenario_map

    (folder / "maps").mkdir(exist_ok=True)
    (folder / "figures").mkdir(exist_ok=True)
    notes = " ".join([*result.notes, f"Intervals: {result.level:.0%}, " + {
        "simulation": f"percentiles of {result.draws:,} parameter draws (seed {result.seed}), the effects' draws.",
        "delta": "delta method.", "closed form": "exact (linear in the parameters)."}[result.method]])
    top_df, grp_df = top_table(result, top), groups_table(result)
    _files(folder, f"{stem}_top", top_df, f"{title}: largest spillovers received by units not changed", notes)
    _files(folder, f"{stem}_groups", grp_df, f"{title}: totals by group", notes)
    if office:
        _office(folder, stem, top_df, grp_df, title, notes)
    m = scenario_map(layer, result, id=idc, name_column=gname, title=title, notice=notice)
    save_map(m, folder / "maps" / f"{stem}.html")
    fig = scenario_figure(result, k=top, names=labels, title=f"{title}: largest spillovers received")
    save_figure(fig, folder / "figures" / stem, formats=("png", "pdf"), overwrite=True)
    cap = html.escape(title)
    files = [(f"tables/{stem}_top.csv", "top CSV"), (f"tables/{stem}_groups.csv", "groups CSV"),
             (f"tables/{stem}_top.tex", "top LaTeX"), (f"tables/{stem}_groups.tex", "groups LaTeX")]
    files += [(f"tables/{stem}.docx", "DOCX"), (f"tables/{stem}.xlsx", "XLSX")] if office else []
    files += [(f"figures/{stem}.png", "figure PNG"), (f"figures/{stem}.pdf", "figure PDF"), (f"maps/{stem}.html", "map")]
    links = "".join(f'<a href="{p}">{html.escape(t)}</a>' for p, t in files)
    page = (f'<div class="map"><figure><iframe src="maps/{html.escape(stem)}.html" loading="lazy" title="{cap}">'
            f'</iframe><figcaption>{cap}: predicted change per unit (changed units outlined; greyed: interval '
            f'includes 0) — <a href="maps/{html.escape(stem)}.html">open full screen</a></figcaption></figure></div>'
            + to_html(_text_table(grp_df, "Totals by group"))
            + to_html(_text_table(top_df, f"The {len(top_df)} largest spillovers received by units not changed"
                                  if result.n_shocked < len(result.units) else f"The {len(top_df)} largest "
                                  "spillovers received", notes))
            + f'<p><img src="figures/{html.escape(stem)}.png" alt="{cap}" style="max-width:720px"></p>'
            + f'<div class="files">download: {links}</div>')
    return {"html": page, "map": folder / "maps" / f"{stem}.html", "figure": folder / "figures" / f"{stem}.png",
            "tables": [folder / "tables" / f"{stem}_{t}.{e}" for t in ("top", "groups") for e in ("csv", "tex")]
            + ([folder / "tables" / f"{stem}.{e}" for e in ("docx", "xlsx")] if office else [])}


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
                  notice: str | None, caption: str) -> str:
    """The click-to-explore map ``maps/STEM.html``; returns its figure snippet."""
    from spillmap.maps._offline import save_map
    from spillmap.maps.scenario import explore_map

    (folder / "maps").mkdir(exist_ok=True)
    m = explore_map(layer, columns, id=idc, name_column=gname, y=y, notice=notice)
    save_map(m, folder / "maps" / f"{stem}.html")
    return (f'<div class="map"><figure><iframe src="maps/{html.escape(stem)}.html" loading="lazy" '
            f'title="{html.escape(caption)}"></iframe><figcaption>{html.escape(caption)} — '
            f'<a href="maps/{html.escape(stem)}.html">open full screen</a></figcaption></figure></div>')


def display_layer(geometry: Mapping, sample_ids) -> tuple[Any, str, str | None]:
    """The stored display GeoJSON (``StudyResults.geometry``) of the model's units as a GeoDataFrame."""
    from spillmap.maps._report_maps import layer_frame

    gdf = layer_frame(geometry)
    idc = geometry["id_column"]
    gdf[idc] = gdf[idc].astype(str)
    keep = set(map(str, sample_ids))
    return gdf[gdf[idc].isin(keep)].reset_index(drop=True), idc, geometry.get("name_column")


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


def scenarios_section(r, folder: Path, step, file_names: Mapping[str, str]) -> str | None:
    """The "Scenarios" section of the report (``None`` when the study defines none)."""
    from spillmap.estimation import ScenarioResult
    from spillmap.study._names import safe_names

    runs = r.scenarios.get("runs") or {}
    if not runs:
        return None
    layer, idc, gname = display_layer(r.geometry, r.scenarios["inputs"]["ids"])
    labels = english_labels(r.geometry)
    shown = r.labels  # variables as the tables show them
    y = str(shown.get(r.spec["model"]["y"], r.spec["model"]["y"]))
    specs = r.spec.get("scenarios", {})
    snames = safe_names({n: f"scenarios.{n}" for n in runs})
    parts = ["<h2>Scenarios</h2><p class=\"notes\">Predicted change of "
             f"{html.escape(y)} in every {html.escape(r.unit_label)} after the change, split "
             "into the part from its own change and the part received from the others (S_k Δx, exact sparse "
             "solves), with intervals from the effects' parameter draws.</p>"]
    for name, by_w in runs.items():
        for wname, doc in by_w.items():
            res = dataclasses.replace(ScenarioResult.from_dict(doc), y=y)
            title = f"{specs.get(name, {}).get('title') or '; '.join(res.changes)} ({wname})"
            step(f"scenario {name}: map, tables and figure ({wname})")
            out = write_scenario(res, folder, f"scenario_{snames[name]}_{file_names[wname]}", layer=layer, idc=idc,
                                 gname=gname, labels=labels, notice=r.notice, top=int(specs.get(name, {}).get(
                                     "top", 10)), title=title)
            parts.append(f"<h3>{html.escape(title)}</h3>{out['html']}")
    explore = r.scenarios.get("explore") or {}
    ids = r.scenarios["inputs"]["ids"]
    maps = []
    for wname, by_var in explore.items():
        for var, doc in by_var.items():
            step(f"click-to-explore map of {var} ({wname})")
            stem = f"explore_{file_names[wname]}_{safe_names({var: var})[var]}"
            columns = {**explore_columns(doc, ids), "variable": str(shown.get(var, var))}
            maps.append(write_explore(columns, folder, stem, layer=layer, idc=idc, gname=gname, y=y, notice=r.notice,
                                      caption=f"{wname}: click a {r.unit_label} to see every {r.unit_label}'s "
                                              f"response to +1 {columns['variable']} there"))
    if maps:
        parts.append("<h3>Click to explore</h3><div class=\"maps\">" + "".join(maps) + "</div>")
    return "".join(parts)
