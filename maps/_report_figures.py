"""The report's static figures, drawn from a :class:`~spillmap.study.StudyResults` with the
functions of :mod:`spillmap.figures` and written as ``figures/<name>.png`` (300 dpi) and
``.pdf`` (vector).  Layout only: every value comes from the results (the Moran
scatterplots from the stored spatial lags of y, since W itself is not stored).

======================  =====================================================================
``choropleth``          y in the map year (units outside the sample grey, group outlines)
``small_multiples``     y in up to four periods from first to last, one shared classification
``lisa``                LISA clusters of y in the map year
``spillover_<W>``       per-unit direct effect, spillover received and emitted (key regressor)
``response_<W>``        effect on every unit of a change in the traced unit
``fixed_effects``       the SDM's recovered unit fixed effects (first W)
``moran_scatter_<W>``   Moran scatterplot of y, all periods pooled and the map year
``moran_trend``         Moran's I by period with the band expected without autocorrelation
``effects``             direct / indirect / total effects with intervals, one panel per W
======================  =====================================================================

Widths: ``[output] figure_width`` (:func:`spillmap.study._sections.figure_inches`) lays the figures out
for a journal's full text width (``"full"``, the default: each figure as below, up to 7 in) or for a
narrower one, a column (3.5 in) or a width in inches: each figure is then at most that wide, its type at
its size; under 5 in (:data:`spillmap.figures._narrow.NARROW_INCHES`) maps put their legends under them
(the spillover maps beside them, narrower) and take the height they need, panels too narrow side by side
are stacked (Moran scatterplots and trend, effects), small multiples stay two by two, smaller.

The maps share their names with the interactive maps, whose frames print as these
figures (``index.html``'s print style).  :func:`figure_jobs` lists the figures and
:func:`save_job` draws and writes one, in any order and process (the report shares them
with a forked process: :mod:`spillmap._forkshare`).
"""
from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from spillmap.maps._report_maps import average_effects, full_layer, unit_label

__all__ = ["figure_jobs", "figure_section", "save_job"]


#: a figure to draw: (file stem, caption, function returning the matplotlib Figure)
Job = tuple[str, str, Callable[[], object]]


class _Jobs:
    """Collects the figures to draw (nothing is drawn until :func:`save_job`).

    The drawing functions are called later, possibly in another process: each must bind
    the values of its loop (default arguments), not refer to loop variables."""

    def __init__(self) -> None:
        self.items: list[Job] = []

    def __call__(self, stem: str, caption: str, draw: Callable[[], object]) -> None:
        self.items.append((stem, caption, draw))


#: static figures are 6.5 in wide at 300 dpi (1,950 px): detail under ~2/3 of a pixel is not drawn
FIGURE_PIXELS = 3000
#: the widest figure, in inches: a journal's full text width, so a figure placed at 100 % prints its
#: 6.5-7 pt type at that size (paper audit 27 #8; a column is 3.5 in: ``[output] figure_width``)
FULL_WIDTH = 7.0


def _figure_geometry(layer, idc: str):
    """The display layer coverage-simplified to about two thirds of a figure pixel (degrees).

    The interactive maps keep the full display geometry; a 1,950-px figure of a country
    cannot show detail finer than its pixel, and drawing it costs most of the figure time.
    """
    from spillmap.geo.display import for_display

    minx, miny, maxx, maxy = layer.total_bounds
    tol = max(maxx - minx, maxy - miny) / FIGURE_PIXELS
    return for_display(layer, id=idc, simplify=tol) if tol > 0 else layer


def _context(r):
    from spillmap.study._sections import figure_inches

    layer, idc, names, group = full_layer(r)
    layer = _figure_geometry(layer, idc)
    m = r.spec["model"]
    return {"layer": layer, "id": idc, "names": names, "group": group, "sample": [str(i) for i in r.map_data["sample_ids"]],
            "y": m["y"], "key": m.get("key") or m["x"][0], "year": r.map_data["year"], "unit": r.unit_label,
            "time": r.spec["panel"]["time"], "labels": r.labels,
            "width": figure_inches(r.spec.get("output", {}).get("figure_width"))}


def _shown(c, var: str) -> str:
    """``var`` as the tables show it: its ``[model] labels`` entry, else its name."""
    return str(c["labels"].get(var, var))


def _values(r, var: str, period) -> pd.Series:
    return pd.Series(dict(r.map_data["variables"][var][str(period)]), dtype=float)


def _value_maps(r, c, save) -> None:
    from spillmap import figures as F
    from spillmap.figures import _widths

    y, year, layer = c["y"], c["year"], c["layer"]
    yl = _shown(c, y)
    col = f"{yl}, {year}"
    gdf = layer.assign(**{col: layer[c["id"]].map(_values(r, y, year))})
    periods = [str(p) for p in r.map_data["periods"]]
    bins, note = _pooled_classes(r, y, periods)  # the interactive map's classes, so print and screen agree
    save("choropleth", f"{yl} by {c['unit']}, {year}",
         lambda: F.choropleth(gdf, col, id=c["id"], sample=c["sample"], group=c["group"], scheme="user",
                              bins=bins, note=note, title=f"{yl} by {c['unit']}, {year}",
                              **_widths.map_size(c.get("width"))))
    pick = sorted({int(i) for i in np.linspace(0, len(periods) - 1, min(4, len(periods))).round()})
    shown = [periods[i] for i in pick]
    panel = pd.DataFrame([(p, i, v) for p in shown for i, v in r.map_data["variables"][y][p].items()],
                         columns=[c["time"], c["id"], yl])
    grid = _widths.small_grid(c.get("width"), 2 if len(shown) == 4 else len(shown))
    save("small_multiples", f"{yl} by {c['unit']} in {', '.join(shown)} (one classification for all)",
         lambda: F.small_multiples(layer, panel, id=c["id"], time=c["time"], column=yl, periods=shown,
                                   sample=c["sample"], group=c["group"], title=f"{yl} by {c['unit']}", **grid))


def _pooled_classes(r, y: str, periods: list[str]) -> tuple[list[float], str]:
    """The class bounds and legend note of the interactive choropleth of ``y``
    (:func:`spillmap.maps.choropleth_panel`: quantiles of all periods pooled)."""
    from spillmap.maps._classify import classes_note, classify

    by_period = r.map_data["variables"][y]
    values = np.array([v for p in periods for v in by_period[p].values()], dtype=float)
    c = classify(values, scheme="quantiles", k=5)
    return [float(b) for b in c.bins], classes_note(c, pooled=f"pooled over {len(periods)} periods")


def _lisa(r, c, save) -> None:
    from spillmap import figures as F
    from spillmap.figures import _widths

    lisa = pd.DataFrame.from_dict(dict(r.lisa["units"]), orient="index")
    lisa.attrs.update(alpha=r.lisa["alpha"], permutations=r.lisa["permutations"], seed=r.lisa.get("seed"),
                      **({"threshold": r.lisa["threshold"]} if r.lisa.get("threshold") is not None else {}))
    wl, year, y = r.lisa["w"], r.lisa["year"], _shown(c, c["y"])
    save("lisa", f"LISA clusters of {y} in {year}, weights {wl}",
         lambda: F.lisa_map(c["layer"], lisa, id=c["id"], group=c["group"], variable=f"{y} ({year}, {wl})",
                            title=f"LISA clusters of {y}, {year} ({wl})", **_widths.map_size(c.get("width"))))


def _effect_maps(r, c, save, names: dict[str, str], include: set[str]) -> None:
    from spillmap import figures as F
    from spillmap.figures import _widths

    key, y, unit = _shown(c, c["key"]), _shown(c, c["y"]), c["unit"]
    for wname, ue in r.unit_effects.items():
        slug = names[wname]
        avg, level = average_effects(r.sdm(wname), c["key"])  # the fit's effects table, as the tables print it
        if "spillover" in include:
            frame = pd.DataFrame.from_dict(dict(ue["units"]), orient="index")
            save(f"spillover_{slug}", f"{wname}: per-{unit} direct effect, spillover received and emitted",
                 lambda frame=frame, wname=wname, avg=avg, level=level: F.spillover_maps(
                     c["layer"], frame, id=c["id"], var=key, y=y, unit=unit, group=c["group"],
                     title=f"Spillovers of {key} on {y} ({wname})", average_effects=avg, level=level,
                     **_widths.spillover_size(c.get("width"))))
        for horizon, due in r.dynamic_unit_effects.get(wname, {}).items() if "spillover" in include else ():
            words = {"short": "short run", "long": "long run"}[horizon]
            dframe = pd.DataFrame.from_dict(dict(due["units"]), orient="index")
            davg, dlevel = average_effects(r.sdm_dynamic(wname), c["key"], horizon)
            save(f"spillover_dynamic_{horizon}_{slug}", f"{wname}, dynamic SDM, {words}: per-{unit} direct effect, "
                 "spillover received and emitted",
                 lambda dframe=dframe, words=words, wname=wname, davg=davg, dlevel=dlevel: F.spillover_maps(
                     c["layer"], dframe, id=c["id"], var=key, y=y, unit=unit, group=c["group"],
                     title=f"Spillovers of {key} on {y}, dynamic SDM, {words} ({wname})",
                     average_effects=davg, level=dlevel, **_widths.spillover_size(c.get("width"))))
        resp = r.unit_response.get(wname)
        if "response" in include and resp:
            src = resp["source_id"]
            label = unit_label(c["layer"], c["id"], c["names"], src)
            s = pd.Series(dict(resp["effect"]), dtype=float)
            save(f"response_{slug}", f"{wname}: effect on every {unit} of a unit change of {key} in {label}",
                 lambda s=s, src=src, label=label, wname=wname, avg=avg, level=level: F.response_map(
                     c["layer"], s, id=c["id"], source_id=src, var=key, y=y, unit=unit,
                     name_column=(c["names"] or [None])[0], group=c["group"],
                     title=f"Effect on {y} of +1 {key} in {label} ({wname})", average_effects=avg, level=level,
                     **_widths.map_size(c.get("width"))))


def _fixed_effects(r, c, save) -> None:
    from spillmap import figures as F
    from spillmap.figures import _widths

    wname, fx = next(iter(r.fixed_effects.items()))
    if not fx.get("unit"):
        return
    col = f"{c['unit']} fixed effect"
    values = pd.Series({i: d["estimate"] for i, d in fx["unit"].items()}, dtype=float)
    gdf = c["layer"].assign(**{col: c["layer"][c["id"]].map(values)})
    save("fixed_effects", f"{wname}: recovered {c['unit']} fixed effects μ_i of the SDM (they sum to zero)",
         lambda: F.choropleth(gdf, col, id=c["id"], sample=list(values.index), group=c["group"], cmap="RdBu_r",
                              scheme="quantiles_by_sign", k=6,  # broken at 0 as the HTML map: 3 classes each side
                              title=f"{c['unit'][:1].upper()}{c['unit'][1:]} fixed effects of the SDM ({wname})",
                              **_widths.map_size(c.get("width"))))


def _moran_scatter(r, c, save, names: dict[str, str]) -> None:
    from matplotlib.figure import Figure

    from spillmap import figures as F
    from spillmap.figures import _widths

    ids = [str(i) for i in r.map_data["sample_ids"]]
    for wname, lags in r.map_data.get("lags", {}).items():
        var = lags["variable"]
        periods = list(lags["lag"])
        values = np.array([[r.map_data["variables"][var][p][i] for i in ids] for p in periods], dtype=float)
        lag = np.array([lags["lag"][p] for p in periods], dtype=float)
        year = str(c["year"])

        def draw(wname=wname, var=var, values=values, lag=lag, periods=periods, year=year, rs=lags["row_sums"]):
            from spillmap.figures._narrow import wrap_suptitle

            with F.figure_style():
                size, stacked = _widths.scatter_size(c.get("width"))
                fig = Figure(figsize=size, layout="constrained")
                axes = fig.subplots(2 if stacked else 1, 1 if stacked else 2).ravel()
                for ax, rows, when in ((axes[0], slice(None), "all periods pooled"),
                                       (axes[1], [periods.index(year)], year)):
                    z, wz, i_val = F.moran_scatter_from_lags(values[rows], lag[rows], rs)
                    F.moran_scatter_points(z, wz, moran_i=i_val, var=_shown(c, var), when=when, ax=ax)
                fig.suptitle(f"Moran scatterplots of {_shown(c, var)} ({wname})", fontweight="bold")
                wrap_suptitle(fig)
            return fig

        save(f"moran_scatter_{names[wname]}", f"Moran scatterplots of {_shown(c, var)} ({wname}): pooled and {year}",
             draw)


def _moran_trend(r, c, save) -> None:
    from matplotlib.figure import Figure

    from spillmap import figures as F
    from spillmap.figures import _widths

    series = [(w, var, by) for w, by_var in r.moran_by_year.items() for var, by in by_var.items()]
    variables = list(dict.fromkeys(var for _, var, _ in series))
    ws = list(r.moran_by_year)

    def draw():
        from spillmap.figures._plots import shared_legend, wrap_titles

        with F.figure_style():  # one column per W, one row per variable, one legend under them all
            size, stacked = _widths.trend_size(c.get("width"), len(ws), len(variables))
            fig = Figure(figsize=size, layout="constrained")
            axes = fig.subplots(len(variables) * len(ws) if stacked else len(variables), 1 if stacked else len(ws),
                                squeeze=False)
            for w, var, by in series:
                frame = pd.DataFrame.from_dict({p: dict(d) for p, d in by.items() if p != "pooled"}, orient="index")
                i, j = variables.index(var), ws.index(w)
                F.moran_trend(frame[["I", "EI", "sd"]].astype(float), variable=_shown(c, var), title=f"{_shown(c, var)}, {w}",
                              ax=axes[i * len(ws) + j][0] if stacked else axes[i][j], legend=False)
            shared_legend(fig, axes.ravel())
            fig.suptitle("Moran's I by period", fontweight="bold")
            wrap_titles(fig)  # "Gross state product (log), EP" ran past the figure's edge
        return fig

    save("moran_trend", "Moran's I by period with the 95 % band expected without spatial autocorrelation", draw)


def _effects(r, c, save) -> None:
    """The SDMs' effects per W; with ``[model] dynamic`` a second figure of the dynamic SDMs' short-
    and long-run effects."""
    from spillmap import figures as F
    from spillmap.figures import _widths

    def frame(fit, model: str, horizon: str = "short"):
        f = fit.effects_frame(horizon)
        f.attrs.update(model=model, level=fit.stats.get("effects_level") or 0.95)
        return f

    static = {f"SDM, {w}": frame(r.sdm(w), "SDM") for w in r.weights if r.sdm(w) is not None and r.sdm(w).effects}
    dynamic = {f"{words}, {w}": frame(r.sdm_dynamic(w), "Dynamic SDM", h) for w in r.weights
               for h, words in (("short", "short run"), ("long", "long run"))
               if r.sdm_dynamic(w) is not None and r.sdm_dynamic(w).effects_frame(h).size}
    for stem, frames, caption, title in (
            ("effects", static, "Direct, indirect and total effects of the SDM with their intervals, per W",
             f"Effects on {_shown(c, c['y'])}"),
            ("effects_dynamic", dynamic, "Short-run and long-run effects of the dynamic SDM with their intervals, "
             "per W", f"Dynamic SDM: effects on {_shown(c, c['y'])}")):
        if frames:
            save(stem, caption, lambda frames=frames, title=title: F.effects_plot(
                frames, variables=list(r.spec["model"]["x"]), labels=c["labels"], title=title,
                **_widths.effects_grid(c.get("width"), len(frames))))


def figure_jobs(r, names: dict[str, str]) -> list[Job]:
    """Every figure of ``r``, to be drawn by :func:`save_job` (in any order or process)."""
    from spillmap.figures import _widths

    save = _Jobs()
    include = set(r.spec.get("maps", {}).get("include", ()))
    c = _context(r)
    if "choropleth" in include:
        _value_maps(r, c, save)
    if "lisa" in include and r.lisa:
        _lisa(r, c, save)
    _effect_maps(r, c, save, names, include)
    if "fixed_effects" in include and r.fixed_effects:
        _fixed_effects(r, c, save)
    _moran_scatter(r, c, save, names)
    if r.moran_by_year:
        _moran_trend(r, c, save)
    _effects(r, c, save)
    if r.notice:  # e.g. synthetic data: every figure says so, as every page and table does
        grow = _widths.is_narrow_width(c.get("width"))  # a narrow figure's height fits its content: grows by it
        return [(stem, caption, _noticed(draw, r.notice, grow)) for stem, caption, draw in save.items]
    return save.items


def _noticed(draw: Callable[[], object], notice: str, grow: bool = False) -> Callable[[], object]:
    """``draw`` with the notice added (a narrow figure, whose height fits its content, grows by it)."""
    def noticed() -> object:
        from spillmap.figures._style import add_notice

        return add_notice(draw(), notice, grow=grow)

    return noticed


def save_job(folder: Path, job: Job) -> None:
    """Draw one figure and write it as ``folder/figures/<stem>.png`` and ``.pdf``."""
    from spillmap.figures import save_figure

    stem, _, draw = job
    save_figure(draw(), folder / "figures" / stem)


def figure_section(items: list[tuple[str, str]], maps: set[str]) -> str:
    """The page's figure gallery (PNG thumbnails linking PNG and PDF); figures that are the
    print version of an interactive map are left out of the printed page."""
    if not items:
        return ""
    cards = []
    for stem, caption in items:
        e, cls = html.escape(stem), "fig map-twin" if stem in maps else "fig"
        cards.append(f'<figure class="{cls}"><a href="figures/{e}.png"><img src="figures/{e}.png" loading="lazy" '
                     f'alt="{html.escape(caption)}"></a><figcaption>{html.escape(caption)} — '
                     f'<a href="figures/{e}.png">PNG</a> <a href="figures/{e}.pdf">PDF</a></figcaption></figure>')
    return ("<h2 id=\"figures\">Figures</h2><p class=\"notes\">PNG at 300 dpi and vector PDF, for papers and "
            "planning documents.</p><div class=\"figures\">" + "".join(cards) + "</div>")
