"""The report's messages and scenario tables (user audit): a time-varying W and scenarios, the Hausman
form reported and the advice given, failed models on stderr, the scenario tables in every format and
labelled, the count of the figures."""
from __future__ import annotations

import json
import re
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from spillmap.cli import main
from spillmap.errors import InputError
from spillmap.study import Study, run

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the shared helper sits next to this file
from _demo_shared import build_demo_once  # noqa: E402
from _specs import US_TWOWAY_MODEL  # noqa: E402

BASE = """
title = "Produc"
unit_label = "state"
[layer]
path = "us48"
id = "STATE_ABBR"
name_column = "STATE_NAME"
group_column = "SUB_REGION"
[panel]
path = "produc"
id = "state_abbr"
time = "year"
""" + US_TWOWAY_MODEL + """[diagnostics]
tests = ["lm", "hausman"]
[tables]
include = ["diagnostics", "effects"]
[maps]
permutations = 9
year = 1980
[output]
figures = false
"""
W1 = '[weights.W1]\nkind = "contiguity"\n'
#: economic distance of gsp, one matrix per period (a time-varying W), and a scenario on every W
W3 = '[weights.W3]\nkind = "economic_distance"\nvar = "gsp"\nby_period = true\n'
SCENARIO = '[scenarios.ne]\nvariable = "unemp"\nchange = 1\nunits = { SUB_REGION = "N Eng" }\n'
#: the economic-product W on gsp: rho and lambda run to their bound, so the SDM, SAR and SEM all fail
EP = '[weights.EP]\nkind = "economic_product"\nvar = "gsp"\n'


@pytest.fixture(scope="module")
def tv_run():
    return run(Study.from_dict(tomllib.loads(BASE + W1 + W3 + SCENARIO), source="s.toml"))


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    return build_demo_once(tmp_path_factory)  # shared with test_demo.py and test_report_formats.py


# ------------------------------------------------------------------ 1. time-varying W and scenarios
def test_a_time_varying_w_is_said_to_take_no_scenario_not_to_have_failed(tv_run):
    r = tv_run
    # its description says each period's values build its matrix (it said "(all periods); one matrix per period")
    from spillmap.study import Study
    from spillmap.study.weights import describe_weights

    spec = Study.from_dict(tomllib.loads(BASE + W1 + W3 + SCENARIO), source="s.toml").weight("W3")
    words = describe_weights(spec, {"n": 48, "links": 0, "min_neighbors": 0, "mean_neighbors": 0, "max_neighbors": 0,
                                    "islands": [], "components": 1, "symmetric": True, "symmetric_pattern": True,
                                    "row_standardized": True, "transform": "R"})
    assert "each period's values" in words and "all periods" not in words, words
    assert "W3:sdm" in r.fits and set(r.scenarios["runs"]["ne"]) == {"W1"}
    assert not [m for m in r.missing if "was not estimated" in m], r.missing
    about = [m for m in r.missing if "scenario" in m and "W3" in m]
    assert len(about) == 1 and "time-varying" in about[0] and "no scenario is computed on it" in about[0]


# ------------------------------------------------------------------ 2. the Hausman form
def test_no_advice_to_choose_the_form_in_effect(tv_run):
    """hausman = "auto" and the classic test undefined here (Var(FE) - Var(RE) indefinite): the note says
    the Mundlak form is reported and why, not to set "auto" or "mundlak"; the table's note names the form."""
    from spillmap.maps._report_tables import build_tables

    d = tv_run.diagnostics["W1"]
    assert d["hausman"]["stat"] is None and d["hausman_selected"]["form"] == "mundlak"  # the case of the audit
    line = next(m for m in tv_run.missing if m.startswith("W1: hausman: "))
    assert "not positive definite" in line and "The classic test is not defined for these fits." in line
    assert "The regression (Mundlak) form is reported instead (hausman = \"auto\"" in line
    assert '"auto" or "mundlak"' not in line and "--hausman" not in line
    assert all("undefined" not in row for row in d.values())
    notes = next(t for t in build_tables(tv_run) if t.stem == "diagnostics").table.notes[0]
    assert 'hausman = "auto"' in notes and "chose the form shown: the regression (Mundlak) form for W1" in notes


def test_the_advice_stays_when_the_form_asked_for_is_undefined():
    from spillmap.study._diagnostics_extra import hausman_advice, refusal_note

    msg = ("Hausman test: Var(FE) - Var(RE) is not positive definite (smallest eigenvalue -1e-3). The test is not "
           "defined for these fits; use spillmap.estimation.mundlak_test.")
    for choice, advice in (("classic", True), ("sphtest", True), ("auto", False), ("mundlak", False)):
        table = {"hausman": refusal_note(msg, "classic"), "hausman_conditional": refusal_note(msg, "sphtest"),
                 "hausman_mundlak": {"stat": 3.0, "df": 2.0, "p": 0.2}}
        from spillmap.study.diagnostics import select_hausman

        table["hausman_selected"] = select_hausman(table, choice)
        hausman_advice(table, choice)
        for key in ("hausman", "hausman_conditional", "hausman_selected"):
            note = table[key].get("note", "")
            assert "mundlak_test" not in note and "undefined" not in table[key]  # the Python advice is not shown
            if key != "hausman_selected" or advice:
                assert ('--hausman auto|mundlak' in note) == advice, (choice, key, note)
                assert ("is reported instead" in note) == (not advice), (choice, key, note)


def test_diagnose_names_the_form_it_reports(tmp_path, capsys):
    from spillmap import datasets
    from spillmap.spatial.builders import contiguity
    from spillmap.spatial.io import write_weights

    write_weights(contiguity(datasets.us48(), "STATE_ABBR", kind="queen"), tmp_path / "w.mtx")
    p = datasets.produc()
    p["lgsp"], p["lpcap"], p["lpc"] = np.log(p.gsp), np.log(p.pcap), np.log(p.pc)
    p.to_csv(tmp_path / "panel.csv", index=False)
    assert main(["diagnose", "--data", str(tmp_path / "panel.csv"), "--id", "state_abbr", "--time", "year",
                 "--y", "lgsp", "--x", "lpcap", "lpc", "unemp", "--w", str(tmp_path / "w.mtx"), "--fe", "twoways",
                 "--tests", "hausman", "--permutations", "0"]) == 0
    out = capsys.readouterr().out
    selected = next(line for line in out.splitlines() if line.strip().startswith("hausman_selected"))
    assert "Hausman (FE vs RE), Mundlak form; --hausman auto" in selected
    classic = next(line for line in out.splitlines() if line.strip().startswith("hausman "))
    assert "Mundlak) form is reported instead" in classic and "--hausman auto|mundlak" not in classic


# ------------------------------------------------------------------ 3. failed models on stderr
def test_each_failed_model_is_one_warning_line_even_quiet(tmp_path, capsys):
    spec = tmp_path / "ep.toml"
    spec.write_text(BASE + EP, encoding="utf-8")
    assert main(["report", str(spec), "--out", str(tmp_path / "out"), "--quiet"]) == 0  # the report was written
    err = capsys.readouterr().err
    warned = [line for line in err.splitlines() if line.startswith("spillmap report: warning: EP: ")]
    assert [w.split(": ")[3] for w in warned] == ["the SDM fit failed", "the SAR fit failed", "the SEM fit failed"]
    assert all("lies at the bound" in w for w in warned)
    res = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert any(m.startswith("EP: the SAR fit failed") for m in res["missing"])  # listed in Not available too


# ------------------------------------------------------------------ 4. the scenario tables
@pytest.mark.e2e
def test_scenario_tables_in_every_format_and_in_the_combined_files(demo_out):
    import docx
    import openpyxl

    from spillmap.maps._report_sections import FILE_KINDS

    names = {p.name for p in (demo_out / "tables").iterdir()}
    stems = [f"scenario_hubei_{w}_{t}" for w in ("W1", "W2") for t in ("groups", "top")]
    for stem in stems:
        for suffix, _ in FILE_KINDS:
            assert stem + suffix in names, stem + suffix
    sheets = openpyxl.load_workbook(demo_out / "tables" / "tables.xlsx").sheetnames
    assert [s for s in sheets if s.startswith("scenario_")] == stems
    assert len(docx.Document(demo_out / "tables" / "tables.docx").tables) == len(sheets)


@pytest.mark.e2e
def test_fixed_effects_map_title_starts_with_a_capital(demo_out):
    """Newcomer audit 29 #4.6: the HTML map's title read "city fixed effects of the SDM (W1), ..." (the
    figure's was fixed in stop 27)."""
    text = (demo_out / "maps" / "fixed_effects.html").read_text(encoding="utf-8")
    assert "City fixed effects of the SDM (W1)" in text and "city fixed effects of the SDM" not in text


@pytest.mark.e2e
def test_header_and_group_outlines_use_the_labels(demo_out):
    """Newcomer audit 29 #2.3: the report's header listed the raw names (y = gtfp; x = int, ...) and the
    maps' and figures' legends said "province boundaries" though [model] labels name them."""
    page = (demo_out / "index.html").read_text(encoding="utf-8")
    sub = re.search(r'<div class="sub">(.*?)</div>', page).group(1)
    assert "y = Green TFP; x = Industrial intelligence, Industrial structure" in sub, sub
    for name in ("choropleth.html", "lisa.html", "spillover_W1.html"):
        html_text = (demo_out / "maps" / name).read_text(encoding="utf-8")
        assert "Province boundaries" in html_text and "province boundaries" not in html_text, name


@pytest.mark.e2e
def test_scenario_tables_are_labelled_and_formatted(demo_out):
    page = (demo_out / "index.html").read_text(encoding="utf-8")
    scen = page[page.index("<h2>Scenarios</h2>"):page.index("<h3>Click to explore</h3>")]
    tables = re.findall(r"<table.*?</table>", scen, re.S)
    assert len(tables) == 4
    for raw in ("grouping", "n_shocked", "mean_total", "ci_includes_zero", "ci_lower", "is_key_city = 1"):
        assert raw not in scen, raw
    for head in ("Changed units", "Total change", "95% CI, lower", "CI includes 0", "Rank, city (id)"):
        assert head in scen, head
    # the spec's [heterogeneity] labels name the groups of is_key_city, its [model] labels the grouping columns
    groups = tables[0]
    assert ">key cities<" in groups and ">other cities<" in groups
    assert "By Key city" in groups and "By Province" in groups and "By is_key_city" not in scen
    assert ">Key city<" in tables[1] and ">Province<" in tables[1] and "province_en" not in scen  # top table heads
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", "".join(tables))
    numbers = [c for c in cells if re.fullmatch(r"-?[\d,]*\.\d+", c)]
    assert numbers and not [c for c in cells if "e-" in c or "e+" in c]  # no scientific notation
    for table in tables:  # one number of decimals per table
        decimals = {len(c.split(".")[1]) for c in re.findall(r"<td[^>]*>(-?[\d,]*\.\d+)</td>", table)}
        assert len(decimals) == 1, decimals


# ------------------------------------------------------------------ 5. the count of the figures
@pytest.mark.e2e
def test_the_figures_line_counts_every_figure(demo_out):
    err = (demo_out.parent / "progress.txt").read_text(encoding="utf-8")
    m = re.search(r"figures: (\d+) static figures \(\+(\d+) scenario figures\)", err)
    assert m, err
    assert int(m[1]) + int(m[2]) == len(list((demo_out / "figures").glob("*.png")))


# ------------------------------------------------------------------ heterogeneity keys checked with the data
@pytest.mark.parametrize(("extra", "match"), [
    ('columns = ["country"]', r"heterogeneity.columns: 'country' has one group \('US'\)"),
    ('columns = ["REGION9"]\nlabels = { REGION9 = { "Nowhere" = "x" } }',
     r"heterogeneity.labels.REGION9: no unit has REGION9 = 'Nowhere'"),
])
def test_heterogeneity_one_group_or_unknown_label_fails_before_any_fit(tmp_path, monkeypatch, extra, match):
    """A heterogeneity column with one group repeated the whole sample as a 'comparison', and labels of
    groups that do not exist were ignored (study audit 2026-12-01): both are refused before any fit."""
    import spillmap.study._steps_model as steps
    from spillmap import datasets
    from spillmap.errors import DataError

    p = datasets.produc().assign(country="US", REGION9=lambda d: d["region"].astype(str))
    p.to_csv(tmp_path / "p.csv", index=False)
    text = (BASE.replace('path = "produc"', f'path = "{(tmp_path / "p.csv").as_posix()}"')
            .replace('include = ["diagnostics", "effects"]', 'include = ["heterogeneity"]')
            + W1 + f"[heterogeneity]\n{extra}\n")
    monkeypatch.setattr(steps, "model_block", lambda *a, **k: pytest.fail("a model was fitted before the check"))
    with pytest.raises(DataError, match=match):
        run(Study.from_dict(tomllib.loads(text), source="s.toml"))


def test_permutation_p_values_are_shown_when_asked():
    """[diagnostics] permutations: the pseudo p-values were computed and stored but shown nowhere (study
    audit 2026-12-01); the by-year table gets a 'p (perm.)' column (the stored numbers) and the
    diagnostics table's note the pooled one per W."""
    from spillmap.maps._report_tables import build_tables

    text = (BASE.replace('tests = ["lm", "hausman"]', 'tests = ["lm"]\npermutations = 19')
            .replace('include = ["diagnostics", "effects"]', 'include = ["moran_by_year", "diagnostics"]') + W1)
    r = run(Study.from_dict(tomllib.loads(text), source="s.toml"))
    tables = {t.stem: t.table for t in build_tables(r)}
    by_year = tables["moran_by_year"]
    cols = [c for c in by_year.columns.index if by_year.columns.at[c, "label"] == "p (perm.)"]
    assert len(cols) == 1
    stored = {p: m["p_perm"] for p, m in r.moran_by_year["W1"]["log(gsp)"].items()}
    shown = by_year.body[cols[0]].astype(float)
    assert all(abs(shown[p] - v) < 1e-15 for p, v in stored.items()) and all(0 < v <= 1 for v in stored.values())
    assert any("19 permutations" in n for n in by_year.all_notes())
    p_pooled = r.diagnostics["W1"]["moran"]["p_perm"]
    assert any(f"W1 {p_pooled:.3g}" in n for n in tables["diagnostics"].all_notes())


def test_map_year_as_text_and_a_scenario_on_a_dropped_unit(monkeypatch):
    """[maps] year = "1980" (text) names the period 1980 (it was 'not a period of the panel'); a scenario
    on a unit that panel.drop leaves out says so, before any fit (it said 'unknown unit, closest WA')
    (study audit 2026-12-01)."""
    import spillmap.study._steps_model as steps
    from spillmap.study._steps_maps import map_year
    from spillmap.study.inputs import load_inputs

    study = Study.from_dict(tomllib.loads(BASE.replace("year = 1980", 'year = "1980"') + W1), source="s.toml")
    assert map_year(study, load_inputs(study)) == 1980
    text = (BASE.replace('time = "year"', 'time = "year"\ndrop = ["CA"]') + W1
            + '[scenarios.ca]\nvariable = "unemp"\nchange = 1\nunits = ["CA"]\n')
    monkeypatch.setattr(steps, "model_block", lambda *a, **k: pytest.fail("a model was fitted before the check"))
    with pytest.raises(InputError, match=r"scenarios.ca.units: 'CA' is left out of the study by panel.drop"):
        run(Study.from_dict(tomllib.loads(text), source="s.toml"))


def test_diagnostics_table_shows_and_explains_only_the_tests_asked_for():
    """tests = ["lm", "cd"]: the table had 'Posterior probability of this W' and a Hausman row reading
    n/a with nothing under Not available, and its note described BSK, LR/Wald, Hausman... (study audit
    2026-12-01)."""
    from spillmap.maps._report_tables import build_tables

    text = (BASE.replace('tests = ["lm", "hausman"]', 'tests = ["lm", "cd"]\nhausman = "sphtest"')
            .replace('include = ["diagnostics", "effects"]', 'include = ["diagnostics"]') + W1)
    r = run(Study.from_dict(tomllib.loads(text), source="s.toml"))
    t = {x.stem: x.table for x in build_tables(r)}["diagnostics"]
    labels = " ".join(t.rows["label"])
    assert "Posterior" not in labels and "Hausman" not in labels and "LM" in labels and "CD" in labels
    note = " ".join(t.all_notes())
    assert "Pesaran CD" in note and "LM tests" in note
    assert not any(word in note for word in ("BSK", "Posterior", "Hausman", "LR and Wald"))
    # the pooled Moran's I says a common trend adds to it (paper audit 2026-12-01: it exceeded every yearly
    # value of the demo); the yearly table is pointed to only when the report has it (not here)
    assert "one mean over all periods, so a trend common to the units adds to it." in note
    assert "Moran's I by year table" not in note


@pytest.mark.e2e
def test_scenario_changes_use_the_variables_labels(demo_out):
    """The scenario map's legend said 'int +0.02' where every table says 'Industrial intelligence' (study
    audit 2026-12-01): the changes carry the variable's label."""
    html = (demo_out / "maps" / "scenario_hubei_W1.html").read_text(encoding="utf-8")
    assert "Industrial intelligence +0.02" in html and "int +0.02\\u003c/summary" not in html
    # and name the units in the study's word (planner audit 2026-12-01: "received from other units")
    assert "received from other cities" in html and "from other units" not in html
