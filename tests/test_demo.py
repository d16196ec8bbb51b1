"""`spillmap demo`: the full report on the synthetic China panel, labelled as synthetic."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from spillmap import datasets

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the shared helper sits next to this file
from _demo_shared import assert_steps_counted, build_demo_once, demo_results  # noqa: E402

pytestmark = pytest.mark.e2e  # every test reads the demo report (built once per session): pytest -m "e2e and not slow"


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    return build_demo_once(tmp_path_factory)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """The demo's ``results.json``, read once per worker (``_demo_shared.demo_results``)."""
    return demo_results(tmp_path_factory)


def test_progress_steps_are_counted(demo_out):
    """The demo's [k/total] lines: one total from the spec (run and report: the scenario, click-to-explore
    and figure steps included), numbered 1, 2, ... and reached by the last line."""
    err = (demo_out.parent / "progress.txt").read_text(encoding="utf-8")
    assert "figures: 12 static figures" in err and "scenario hubei: map" in err
    assert_steps_counted(err)


def test_demo_outputs_are_labelled(demo_out, capsys):
    index = (demo_out / "index.html").read_text(encoding="utf-8")
    assert datasets.DEMO_NOTICE in index
    maps = sorted((demo_out / "maps").glob("*.html"))
    # choropleth, LISA, spillover + response for W1 and W2, and the recovered city fixed effects (issue 13),
    # the scenario hubei and the click-to-explore map for W1 and W2 (issue 15)
    assert len(maps) == 11 and (demo_out / "maps" / "fixed_effects.html") in maps
    for m in maps:
        assert json.dumps(datasets.DEMO_NOTICE)[1:-1] in m.read_text(encoding="utf-8"), m.name
    res = json.loads((demo_out / "results.json").read_text(encoding="utf-8"))
    assert res["notice"] == datasets.DEMO_NOTICE


def test_demo_content(demo_out):
    res = json.loads((demo_out / "results.json").read_text(encoding="utf-8"))
    assert res["data"]["n"] == 297 and res["data"]["t"] == 12 and res["data"]["nobs"] == 3564
    assert set(res["sdm"]) == {"W1", "W2"}
    # the synthetic panel was simulated with rho = 0.26 on W1 (data/china_demo_panel_params.json)
    truth = json.loads(datasets.data_path("china_demo_panel_params.json").read_text())
    rho = res["sdm"]["W1"]["rho"]
    assert abs(rho["estimate"] - truth["rho"]) < 3 * rho["se"]  # sampling error: within 3 standard errors
    html = (demo_out / "maps" / "choropleth.html").read_text(encoding="utf-8")
    feats = [len(json.loads(m)["features"]) for m in re.findall(r"var spillmap_geo_data_\w+ = (\{.*?\});\n", html, re.S)]
    # the 297 cities of the sample, and the 75 other units of the layer drawn grey ("not in sample")
    assert sorted(feats) == [75, 297] and "Province boundaries" in html  # the outlines, named by [model] labels
    # each map embeds the 297 cities (about 1.9 MB), and since issue 10 also the layer's 75 units outside
    # the sample (0.55 MB) and the province outlines (0.87 MB); the sample alone stays under 3 MB (test_maps)
    for m in (demo_out / "maps").glob("*.html"):
        assert len(m.read_bytes()) <= 4_000_000, m.name


def test_figures_and_maps_name_variables_as_the_tables_do(demo_out):
    """[model] labels of the demo spec (gtfp = "Green TFP", int = "Industrial intelligence") are used by
    every table (the Moran-by-period heads too), the figures' captions and titles and the maps' titles,
    legends and switchers."""
    index = (demo_out / "index.html").read_text(encoding="utf-8")
    for caption in ("Green TFP by city, 2019", "Moran scatterplots of Green TFP (W1)",
                    "LISA clusters of Green TFP in 2019", "Green TFP and Industrial intelligence (2019 shown"):
        assert caption in index, caption
    for raw in ("gtfp by city", "Moran scatterplots of gtfp", "LISA clusters of gtfp", "of int on gtfp"):
        assert raw not in index, raw
    maps = {m.stem: m.read_text(encoding="utf-8") for m in (demo_out / "maps").glob("*.html")}
    assert "Spillovers of Industrial intelligence on Green TFP (W1)" in maps["spillover_W1"]
    assert "Green TFP (2019)" in maps["choropleth"] and "gtfp (2019)" not in maps["choropleth"]
    assert "Green TFP after +1 Industrial intelligence" in maps["explore_W1_int"]
    assert "Green TFP received from other cities" in maps["scenario_hubei_W1"]
    moran = (demo_out / "tables" / "moran_by_year.md").read_text(encoding="utf-8")
    assert "| Green TFP, W1 |" in moran and "gtfp, W1" not in moran  # the column heads, as in the other tables
    assert "Moran's I of Green TFP (z, pooled)" in (demo_out / "tables" / "diagnostics.md").read_text(encoding="utf-8")
    het = (demo_out / "tables" / "heterogeneity_is_key_city.md").read_text(encoding="utf-8")
    assert "Equal Industrial intelligence across groups" in het and "Equal int " not in het


def test_demo_refuses_to_overwrite(demo_out, capsys):
    from spillmap.cli import main

    assert main(["demo", "--out", str(demo_out), "--quiet"]) == 2
    assert "--force" in capsys.readouterr().err


def test_demo_printed_tables_are_labelled(demo_out):
    """Every printed table (Word, Excel, LaTeX, Markdown, formatted CSV; each alone and in the combined
    tables.docx / tables.xlsx) says the data are synthetic: a table pasted into a paper keeps it (paper
    audit 2026-12-01).  The machine-readable CSV files carry numbers only (results.json has the notice)."""
    import docx
    import openpyxl

    folder = demo_out / "tables"
    stems = sorted(p.stem for p in folder.glob("*.tex"))
    assert len(stems) >= 12 and {"sdm_effects", "scenario_hubei_W1_top"} <= set(stems)
    for path in [folder / f"{s}{ext}" for s in stems for ext in (".tex", ".md", "_formatted.csv")]:
        assert datasets.DEMO_NOTICE in path.read_text(encoding="utf-8"), path.name
    for path in [folder / f"{s}.docx" for s in stems] + [folder / "tables.docx"]:
        text = "\n".join(p.text for p in docx.Document(path).paragraphs)
        assert text.count(datasets.DEMO_NOTICE) == (len(stems) if path.name == "tables.docx" else 1), path.name
    for path in [folder / f"{s}.xlsx" for s in stems] + [folder / "tables.xlsx"]:
        book = openpyxl.load_workbook(path, read_only=True)
        for sheet in book.worksheets:
            cells = [c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]
            assert any(datasets.DEMO_NOTICE in c for c in cells), (path.name, sheet.title)


def test_demo_figures_fit_a_journal_text_width(demo_out, results):
    """Every figure the demo writes, the scenario bar charts included, is at most 7.0 in wide at its
    300 dpi (a journal's full text width; paper audit 2026-12-01: 7.5-10.8 in), and the scenario chart's
    title stays inside the figure (it ran off the right edge at 7 in)."""
    from PIL import Image

    from spillmap.maps.scenario import scenario_figure

    pngs = sorted((demo_out / "figures").glob("*.png"))
    assert len(pngs) == 14
    for png in pngs:
        with Image.open(png) as im:
            assert im.size[0] <= 7.0 * 300, (png.name, im.size)
    from spillmap.estimation.scenario import ScenarioResult

    r = results
    run = next(iter(next(iter(r.scenarios["runs"].values())).values()))
    fig = scenario_figure(ScenarioResult.from_dict(run), title="Industrial intelligence +0.02 " * 5)
    fig.canvas.draw()
    box = fig.axes[0].title.get_window_extent()
    assert box.x0 >= 0 and box.x1 <= fig.bbox.width


def test_demo_figures_are_labelled(results):
    """Every static figure of a report on labelled data carries the notice under it (a figure
    copied into a paper keeps it); without a notice nothing is added (user audit 2026-12-01)."""
    import dataclasses

    from spillmap.maps._report_figures import figure_jobs

    r = results
    names = {w: w for w in r.weights}
    jobs = {stem: draw for stem, _, draw in figure_jobs(r, names)}
    def notices(fig):
        return [" ".join(t.get_text().split()) for t in fig.texts if t.get_gid() == "spillmap-notice"]  # lines joined

    for stem in ("moran_trend", "small_multiples"):  # both in the bottom strip (small multiples: under its legend)
        fig = jobs[stem]()
        assert notices(fig) == [datasets.DEMO_NOTICE], stem
        fig.canvas.draw()  # the notice's strip is clear of every other text (the suptitle and legend included)
        note = next(t for t in fig.texts if t.get_gid() == "spillmap-notice").get_window_extent()
        others = [t for ax in fig.axes for t in ax.texts] + [leg for leg in fig.legends]
        others += [fig._suptitle] if fig._suptitle is not None else []
        assert not any(note.overlaps(o.get_window_extent()) for o in others), stem
    plain = {stem: draw for stem, _, draw in figure_jobs(dataclasses.replace(r, notice=None), names)}
    assert notices(plain["moran_trend"]()) == []


def test_printed_choropleth_has_the_interactive_maps_classes(demo_out, results):
    """The report prints the choropleth as its static figure: the figure's classes are the interactive
    map's (quantiles of all periods pooled), so a printed legend matches the screen's (user audit
    2026-12-01: the figure classified the map year alone).  The first class's lower label differs only
    by design: the figure shows the map year's minimum."""
    import html as html_lib

    from spillmap.maps._report_figures import figure_jobs

    r = results
    draw = {stem: d for stem, _, d in figure_jobs(r, {w: w for w in r.weights})}["choropleth"]
    fig = draw()
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    page = json.loads('"' + re.search(r"Green TFP, 2019(.*?)not in sample",
                                      (demo_out / "maps" / "choropleth.html").read_text(encoding="utf-8")).group(1)
                      .replace('\\"', "'") + '"')
    screen = re.findall(r"</i>([^<]+?\(\d+\))</div>", html_lib.unescape(page))
    assert len(screen) == 5 and legend[1:5] == screen[1:5], (legend, screen)
    assert legend[0].endswith(screen[0].split(" ")[-1])  # same count in the first class
    assert any("pooled over 12 periods" in " ".join(t.split()) for t in legend)  # the note is wrapped
