"""The HTML report: draws a :class:`~spillmap.study.StudyResults` into a self-contained folder.

``render_report(results, out_dir)`` writes::

    index.html          the tables (descriptive, data and weights, Moran by period, baseline,
                        diagnostics per W, SDM coefficients and effects per W, heterogeneity),
                        the maps and the figures; it prints with the maps as static figures
    maps/*.html         offline Folium maps, embedded as iframes
    figures/*.png|.pdf  static figures (300 dpi PNG, vector PDF; :mod:`spillmap.maps._report_figures`)
    tables/*            every table as CSV (numbers, and as printed), LaTeX, Word, Excel and
                        Markdown, all of them in tables.docx / tables.xlsx; per-unit CSVs
    results.json        every number (``StudyResults.to_json()``; the page re-renders from it)

This module computes nothing statistical: the pipeline runs in :mod:`spillmap.study.run`.
``build_report(spec, out_dir)`` (``spillmap report``) is load spec → run → render, with the
output folder claimed before any work (it must not exist unless ``force``) and built in a
temporary sibling moved into place at the end (:func:`spillmap._fileio.atomic_directory`).
"""
from __future__ import annotations

import html
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from spillmap._fileio import atomic_directory
from spillmap.errors import InputError
from spillmap.maps._map_frames import LOAD_NEAR_JS
from spillmap.study import Study, StudyResults, print_progress, run
from spillmap.study._names import safe_names

__all__ = ["render_report", "build_report", "load_config", "ReportConfig"]

#: the first release's names for the specification (kept for existing scripts)
ReportConfig = Study
load_config = Study.from_toml

_PAGE_CSS = """
body { font-family: "Helvetica Neue", Arial, "Noto Sans CJK SC", "WenQuanYi Zen Hei", sans-serif; margin: 0;
  color: #222; background: #fafafa; }
header { background: #1f3a5f; color: white; padding: 18px 32px; }
header h1 { margin: 0; font-size: 24px; } header .sub { opacity: .85; margin-top: 4px; font-size: 13px; }
.notice { background: #fff3cd; color: #7a4d00; border-bottom: 2px solid #e0a800; padding: 10px 32px; font-weight: bold; }
main { padding: 8px 32px 40px; max-width: 1200px; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: 4px; margin-top: 32px; font-size: 19px; }
table.spillmap-table { margin: 8px 0; background: white; font-size: 13px; }
table.spillmap-table tfoot td { color: #555; max-width: 900px; }
@media screen {  /* a wide table (Moran's I by period, 3 variables x 3 W) scrolls in its own box, not the page */
  table.spillmap-table { display: block; width: fit-content; max-width: 100%; overflow-x: auto; }
}
p.notes { font-size: 12px; color: #555; max-width: 900px; }
.maps { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(540px, 100%), 1fr)); gap: 16px; }
.map figure { margin: 0; } .map iframe { width: 100%; height: 520px; border: 1px solid #ccc; background: white; }
.map figcaption, .fig figcaption { font-size: 13px; margin: 4px 0 0; } .missing, .warnings { color: #a40000; }
.print-only { display: none; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(360px, 100%), 1fr)); gap: 16px; }
dl.glossary { font-size: 13px; max-width: 900px; } dl.glossary dt { font-weight: bold; float: left; margin-right: 6px; }
dl.glossary dd { margin: 0 0 4px; }
@media screen and (max-width: 600px) {  /* a phone: the page's width (viewport meta), narrower margins */
  header { padding: 14px 12px; } .notice { padding: 10px 12px; } main { padding: 8px 12px 32px; }
  .map iframe { height: 420px; }
}
.fig { margin: 0; } .fig img { width: 100%; border: 1px solid #ddd; background: white; }
.files a { margin-right: 10px; font-size: 12px; }
@media print {
  body { background: white; }
  header, .notice { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  main { max-width: none; padding: 0 8mm; }
  table.spillmap-table { page-break-inside: avoid; break-inside: avoid; font-size: 10px; }
  table.spillmap-table thead { display: table-header-group; }
  table.spillmap-table tfoot { display: table-row-group; }  /* the notes once, under the table, not on every page */
  table.spillmap-table tr.paren { page-break-before: avoid; break-before: avoid; }  /* an SE stays with its estimate */
  table.spillmap-table tr { page-break-inside: avoid; break-inside: avoid; }
  h2 { page-break-after: avoid; break-after: avoid; }
  .files { display: none; }
  .maps, .figures { display: block; } .map iframe { display: none; }
  .map, .fig { page-break-inside: avoid; break-inside: avoid; margin-bottom: 6mm; }
  .print-only { display: block; width: 100%; max-height: 230mm; object-fit: contain; }
  .fig.map-twin { display: none; } .fig img { max-height: 230mm; object-fit: contain; border: 0; }
}
"""

Step = Callable[[str], None]


def _page(r: StudyResults, sections: Sequence[str]) -> str:
    title = html.escape(r.title)
    d = r.data
    m = r.spec["model"]
    periods = d.get("periods") or [""]
    from spillmap.tables import plural

    units = plural(r.unit_label or "unit")
    sub = (f"{d.get('n')} {units} × {d.get('t')} periods ({periods[0]}–{periods[-1]}), N = {d.get('nobs', 0):,}; "
           f"y = {r.labels.get(m['y'], m['y'])}; x = {', '.join(r.labels.get(x, x) for x in m['x'])}")
    banner = f'<div class="notice" id="demo-notice">{html.escape(r.notice)}</div>' if r.notice else ""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{title}</title><style>{_PAGE_CSS}</style></head><body>"
            f"<header><h1>{title}</h1><div class=\"sub\">{html.escape(sub)}</div></header>{banner}"
            f"<main>{chr(10).join(sections)}</main>{LOAD_NEAR_JS}</body></html>\n")


def _per_unit_csvs(r: StudyResults, folder: Path, names: dict[str, str]) -> None:
    import pandas as pd

    from spillmap._fileio import atomic_write_text
    from spillmap._textsafe import csv_text

    if r.lisa:
        lisa = pd.DataFrame.from_dict(dict(r.lisa["units"]), orient="index")
        lisa.index.name = "id"
        atomic_write_text(folder / "tables" / "lisa.csv", csv_text(lisa))
    for wname, ue in r.unit_effects.items():
        frame = pd.DataFrame.from_dict(dict(ue["units"]), orient="index")
        frame.index.name = "id"
        atomic_write_text(folder / "tables" / f"unit_effects_{names[wname]}.csv", csv_text(frame))


def _closing(r: StudyResults, folder: Path) -> list[str]:
    from spillmap.maps._report_sections import readable_missing

    out = []
    if r.warnings:
        out.append("<h2>Warnings</h2><ul class=\"warnings\">"
                   + "".join(f"<li>{html.escape(s)}</li>" for s in r.warnings) + "</ul>")
    from spillmap.study._display import missing_display

    # a classic Hausman test not defined, whose Mundlak (or sphtest) form the diagnostics table reports, is
    # listed apart: "not available" beside a table that shows a Hausman row read as a contradiction
    missing, replaced = missing_display(r)
    if missing:
        out.append("<h2>Not available</h2><ul class=\"missing\">"
                   + "".join(f"<li>{html.escape(readable_missing(r, s))}</li>" for s in missing) + "</ul>")
    if replaced:
        out.append("<h2>Reported in another form</h2><ul>"
                   + "".join(f"<li>{html.escape(readable_missing(r, s))}</li>" for s in replaced) + "</ul>")
    files = sorted(p.relative_to(folder).as_posix() for p in (folder / "tables").iterdir())
    out.append("<section class=\"files\"><h2>Files</h2><p>"
               + " ".join(f'<a href="{html.escape(f)}">{html.escape(f)}</a>' for f in [*files, "results.json"])
               + "</p></section>")
    return out


def render_into(r: StudyResults, folder: Path, step: Step = lambda msg: None) -> None:
    """Write the report of ``r`` into the (empty, temporary) folder ``folder``."""
    from spillmap._fileio import atomic_write_text
    from spillmap._forkshare import SharedJobs
    from spillmap._warnings import call_holding_warnings, release_warnings
    from spillmap.maps._report_figures import figure_jobs, figure_section, save_job

    (folder / "maps").mkdir(exist_ok=True)
    (folder / "tables").mkdir(exist_ok=True)
    names = safe_names({w: f"weights.{w}" for w in r.weights})
    jobs = figure_jobs(r, names) if r.spec.get("output", {}).get("figures", True) else []
    if jobs:
        from spillmap.figures._style import warm_up

        (folder / "figures").mkdir(exist_ok=True)
        warm_up()
    # the figures are drawn by a forked process from the start and by this one after the rest;
    # their spillmap warnings (e.g. text drawn as boxes) come back and are raised here, in job order
    shared = SharedJobs(len(jobs), lambda i, in_child: call_holding_warnings(save_job, folder, jobs[i])[1]).start()
    try:
        sections = _sections(r, folder, step, names, {stem for stem, _, _ in jobs})
        sections.append(figure_section([(stem, caption) for stem, caption, _ in jobs],
                                       {p.stem for p in (folder / "maps").glob("*.html")}))
        sections += _closing(r, folder)
        atomic_write_text(folder / "results.json", r.to_json() + "\n")
        atomic_write_text(folder / "index.html", _page(r, sections))
        if jobs:
            step(_figures_step(len(jobs), r))
        held = shared.finish()
    except BaseException:
        shared.abort()
        raise
    for h in held:
        release_warnings(h)


def _figures_step(n: int, r: StudyResults) -> str:
    """The progress line of the static figures: those drawn now, and those the scenarios drew with their
    tables (one per scenario and W), so that the count is every figure written."""
    scen = sum(len(by_w) for by_w in (r.scenarios.get("runs") or {}).values())
    more = f" (+{scen} scenario figure{'s' if scen != 1 else ''})" if scen else ""
    return f"figures: {n} static figures{more}, PNG (300 dpi) and PDF"


def _sections(r: StudyResults, folder: Path, step: Step, names: dict[str, str], stills: set[str]) -> list[str]:
    """Tables, per-unit CSVs, HTML maps and scenarios: the page's sections before the figures
    (``stills``: the stems of the static figures being drawn)."""
    from spillmap.maps._report_maps import draw_maps
    from spillmap.maps._report_sections import table_sections

    step("tables: CSV, LaTeX, Word, Excel and Markdown; per-unit CSVs")
    sections, tables = table_sections(r, folder)
    _per_unit_csvs(r, folder, names)
    maps = draw_maps(r, folder, step, names, stills)
    if maps:
        if r.unit_effects:  # the words of the spillover maps, defined once on the page
            sections.append(_glossary(r))
        sections.append("<h2>Maps</h2><div class=\"maps\">" + "".join(maps) + "</div>")
    from spillmap.maps._report_scenarios import scenarios_section
    from spillmap.maps._report_sections import write_combined

    scen, scen_tables = scenarios_section(r, folder, step, names)
    if scen:
        sections.append(scen)
    write_combined({**tables, **scen_tables}, folder)  # every table, the scenarios' too
    return sections


def _glossary(r: StudyResults) -> str:
    """The maps' words (:func:`~spillmap.maps._report_sections.glossary`) for y and the key variable as the
    maps name them."""
    from spillmap.maps._report_maps import _shown_names
    from spillmap.maps._report_sections import glossary

    y, key = r.spec["model"]["y"], r.spec["model"].get("key") or r.spec["model"]["x"][0]
    shown = _shown_names(r, [y, key])
    return glossary(r, y=shown[y], key=shown[key])


def render_report(results: StudyResults | str | os.PathLike, out_dir: str | os.PathLike, *, force: bool = False,
                  quiet: bool = True) -> Path:
    """Write the HTML report of ``results`` (a :class:`StudyResults` or a ``results.json`` path).

    The folder is built in a temporary sibling and moved into place at the end; an
    existing non-empty ``out_dir`` is replaced only with ``force=True``.

    Parameters
    ----------
    results
        A :class:`StudyResults`, or the path of a ``results.json`` it was saved to.
    out_dir
        The report folder to write.
    force
        Replace an existing non-empty ``out_dir`` (default ``False``: an error).
    quiet
        ``True`` (default): no progress lines; ``False`` prints them.

    Returns
    -------
    pathlib.Path
        ``out_dir``.
    """
    from spillmap.study._plan import Steps, planned_steps

    r = results if isinstance(results, StudyResults) else StudyResults.read(results)
    out_dir = Path(os.path.expanduser(out_dir))  # "~/report": in the home folder, as in a shell
    step = Steps(None if quiet else print_progress(), planned_steps(Study.from_dict(r.spec)).render - 1)  # no "writing"
    with atomic_directory(out_dir, force=force) as tmp:
        render_into(r, tmp, step)
    return out_dir


def _default_out(study: Study) -> Path:
    """``[output] dir`` relative to the spec's folder, the bundled demo spec's relative to the current
    folder: its own folder is the installed package's (``spillmap report data/demo_report.toml`` wrote the
    report there, inside site-packages, once the spec was found from any folder)."""
    from spillmap import datasets

    try:
        bundled = Path(study.source).resolve() == datasets.data_path("demo_report.toml").resolve()
    except (OSError, InputError):
        bundled = False
    return Path(os.path.expanduser(study.output.dir)) if bundled else study.resolve(study.output.dir)


def build_report(config: Study | str | os.PathLike, out_dir: str | os.PathLike | None = None, *,
                 force: bool = False, quiet: bool = False) -> Path:
    """Load a study spec, run it and render the report (``spillmap report``).

    Parameters
    ----------
    config
        A :class:`~spillmap.study.Study` or the path of its TOML file.
    out_dir
        Output folder; default the spec's ``[output] dir``.
    force
        Replace an existing non-empty folder.
    quiet
        No progress messages on stderr.

    Raises
    ------
    OutputError
        ``out_dir`` exists and ``force`` is False (raised before any work).
    InputError, DataError, WeightsError, ...
        Bad spec or data, with the key/column/id at fault; nothing is written.
    """
    study = config if isinstance(config, Study) else Study.from_toml(config)
    if out_dir is None:
        if study.output.dir is None:
            raise InputError("no output folder: give one (--out on the command line, out_dir in Python) or set "
                             "[output] dir in the spec.")
        out_dir = _default_out(study)
    out_dir = Path(os.path.expanduser(out_dir))  # "~/report": in the home folder, as in a shell
    from spillmap.study._plan import Steps, planned_steps

    plan = planned_steps(study)
    after = Steps(None if quiet else print_progress(), plan.run + plan.render)  # the run's steps, then the rendering's

    def relay(k: int, total: int, msg: str) -> None:
        after.k = k - 1
        after(msg)

    with atomic_directory(out_dir, force=force, inputs=study.input_files()) as tmp:
        results = run(study, progress=relay)
        render_into(results, tmp, after)
        after(f"writing {out_dir}")
    return out_dir
