"""The one-command report: config validation, output folder, numbers = direct calls."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spillmap._fileio import MARKER
from spillmap.errors import InputError, OutputError
from spillmap import tables
from spillmap.maps.report import ReportConfig, build_report, load_config

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the shared helper sits next to this file
from _demo_shared import assert_steps_counted  # noqa: E402

#: every digit back from a CSV: pandas < 3's default float parser is not exact; pandas >= 3's is, and
#: deprecates the option
EXACT_CSV = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}

US_CONFIG = """
title = "Produc: public capital and unemployment"
[layer]
dataset = "us48"
id = "STATE_ABBR"
name_column = "STATE_NAME"
[panel]
dataset = "produc"
id = "state_abbr"
time = "year"
[model]
y = "unemp"
x = ["pc", "emp"]
fe = "twoways"
lee_yu = "transformation"
draws = 100
seed = 7
[weights.W1]
kind = "contiguity"
contiguity = "queen"
[weights.Wd]
kind = "inverse_distance"
alpha = 2
[maps]
year = 1980
permutations = 49
spillover_city = "NY"
[output]
dir = "out_report"
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "report.toml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def us_report(tmp_path_factory):
    """The US report, its figures shared with a forked process on Linux (whatever the CPUs
    and threads: compared with a one-process render below)."""
    import sys

    import spillmap._forkshare as forkshare

    tmp = tmp_path_factory.mktemp("rep")
    cfg = _write(tmp, US_CONFIG)
    with pytest.MonkeyPatch.context() as mp:
        if sys.platform.startswith("linux"):
            mp.setattr(forkshare, "fork_available", lambda: True)
        out = build_report(cfg, quiet=True)
    return tmp, out


def test_output_folder(us_report):
    tmp, out = us_report
    assert out == tmp / "out_report"
    names = {p.relative_to(out).as_posix() for p in out.rglob("*")}
    for f in ["index.html", "results.json", "maps/choropleth.html", "maps/lisa.html",
              "maps/spillover_W1.html", "maps/response_Wd.html", "tables/tables.docx", "tables/tables.xlsx"]:
        assert f in names, f
    for stem in ("descriptive", "moran_by_year", "baseline", "within", "diagnostics", "sdm_effects"):
        for ext in ("csv", "tex", "docx", "xlsx", "md"):  # every table in every format
            assert f"tables/{stem}.{ext}" in names, (stem, ext)
        assert f"tables/{stem}_formatted.csv" in names, stem
    for stem in ("choropleth", "small_multiples", "lisa", "spillover_W1", "response_Wd", "fixed_effects",
                 "moran_scatter_W1", "moran_trend", "effects"):
        assert {f"figures/{stem}.png", f"figures/{stem}.pdf"} <= names, stem
    assert not [p for p in tmp.iterdir() if p.name.startswith(".")]  # no temporary leftovers
    index = (out / "index.html").read_text(encoding="utf-8")
    for m in ["maps/choropleth.html", "maps/lisa.html", "maps/spillover_W1.html", "maps/response_W1.html"]:
        assert f'<iframe data-src="{m}"' in index  # loaded near the window (maps/_map_frames.py)
    assert "<iframe src=" not in index and index.count("IntersectionObserver") == 2  # the loader, once
    assert "SYNTHETIC" not in index  # real data: no demo notice
    for f in (out / "maps").iterdir():  # every map is offline
        assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']?(https?:)?//", f.read_text(encoding="utf-8"))


def test_numbers_equal_direct_calls(us_report):
    from spillmap import datasets
    from spillmap.estimation import SpatialPanel
    from spillmap.geo import join_panel
    from spillmap.spatial.builders import contiguity

    _, out = us_report
    res = json.loads((out / "results.json").read_text(encoding="utf-8"))
    panel = datasets.produc()
    # descriptive statistics: pandas directly
    assert res["descriptive"]["unemp"]["N"] == 816
    # sums of 816 values in another order at most: rounding ~1e-14
    assert res["descriptive"]["unemp"]["mean"] == pytest.approx(panel["unemp"].mean(), rel=1e-12)
    assert res["descriptive"]["pc"]["sd"] == pytest.approx(panel["pc"].std(ddof=1), rel=1e-12)
    # the SDM column for W1 = a direct SpatialPanel fit + impacts with the same seed
    j = join_panel(datasets.us48(), panel, id="state_abbr", time="year", layer_id="STATE_ABBR")
    w = contiguity(j.layer, "STATE_ABBR")
    fit = SpatialPanel(j.panel, y="unemp", x=["pc", "emp"], id="state_abbr", time="year", w=w,
                       model="sdm", fe="twoways").fit(lee_yu="transformation")
    eff = fit.impacts(draws=100, seed=7)
    sdm = res["sdm"]["W1"]
    # the same estimator on the same joined data (identical numbers observed); should the report's rows
    # come in another order, rho is only as equal as the search's xatol 1e-10 -> 1e-8 on estimates,
    # effects (same seed, same draws) and statistics derived from them
    assert sdm["rho"]["estimate"] == pytest.approx(fit.params["rho"], rel=1e-8)
    assert sdm["effects"]["indirect"]["pc"]["estimate"] == pytest.approx(eff.indirect.loc["pc", "estimate"], rel=1e-8)
    assert sdm["effects"]["total"]["emp"]["se"] == pytest.approx(eff.total.loc["emp", "se"], rel=1e-8)
    assert sdm["nobs"] == 816
    # Table 9: machine-readable CSV = the stored numbers exactly; the printed table has the estimate
    # (with stars) on one row and the SE in parentheses on the row below, both to the stated decimals
    d = eff.direct.loc["pc"]
    long = pd.read_csv(out / "tables" / "sdm_effects.csv", **EXACT_CSV)
    cell = long[(long["row"] == "direct:pc") & (long["column"] == "(1)")].iloc[0]
    assert (cell["estimate"], cell["se"], cell["p"]) == tuple(sdm["effects"]["direct"]["pc"][k] for k in ("estimate", "se", "p"))
    assert cell["estimate"] == pytest.approx(d["estimate"], rel=1e-8) and cell["W"] == "W1"  # as above
    printed = pd.read_csv(out / "tables" / "sdm_effects_formatted.csv", header=None, dtype=str, keep_default_na=False)
    labels = printed[0].tolist()
    at = labels.index("pc", labels.index("Direct effects"))
    est, se = printed.iloc[at, 1].replace("\u2212", "-"), printed.iloc[at + 1, 1].replace("\u2212", "-")
    dec = len(est.rstrip("*").split(".")[1])  # the decimals the table states for this row
    assert dec >= 3 and est == tables.format_number(d["estimate"], dec) + tables.stars(d["p"])
    assert se == f"({tables.format_number(d['se'], dec)})" and printed.iloc[at + 1, 0] == ""
    diag = res["diagnostics"]["W1"]
    for key in ["moran", "lm_lag", "lm_error", "robust_lm_lag", "robust_lm_error", "lr_sdm_sar", "lr_sdm_sem"]:
        assert diag[key]["stat"] is not None and 0 <= diag[key]["p"] <= 1, key
    # Mundlak-form Hausman: 2 means of x + 2 means of W x (SDM), equal to the direct call
    from spillmap.estimation.hausman import mundlak_test

    mt = mundlak_test(j.panel, id="state_abbr", time="year", y="unemp", x=["pc", "emp"], w=w, model="sdm", time_effects=True)
    assert diag["hausman_mundlak"]["df"] == 4
    assert diag["hausman_mundlak"]["stat"] == pytest.approx(mt.stat, rel=1e-8)  # RE fits inside: as above
    dt = pd.read_csv(out / "tables" / "diagnostics.csv", **EXACT_CSV)
    dt = dt[dt["column"] == "W1"]
    # one Hausman row ([diagnostics] hausman = "auto"): the classic test when it is defined, otherwise the
    # Mundlak form; the row label says which, and the row shows a number
    sel = diag["hausman_selected"]
    assert dt["label"].iloc[-1] == sel["label"] and sel["stat"] is not None
    assert (dt["statistic"].iloc[-1], dt["p"].iloc[-1]) == (sel["stat"], sel["p"])
    want = diag["hausman"] if diag["hausman"]["stat"] is not None else diag["hausman_mundlak"]
    assert sel["stat"] == want["stat"] and sel["form"] == ("classic" if want is diag["hausman"] else "mundlak")
    printed = pd.read_csv(out / "tables" / "diagnostics_formatted.csv", header=None, dtype=str, keep_default_na=False)
    row = printed[printed[0] == sel["label"]].iloc[0]
    assert row[1].replace("\u2212", "-") == tables.stat_cell(sel["stat"], sel["p"])
    assert res["lisa"]["permutations"] == 49 and sum(res["lisa"]["counts"].values()) == 48
    assert res["unit_response"]["W1"]["source_id"] == "NY"
    from spillmap.estimation.effects import unit_effects, unit_response

    ue = unit_effects(fit, "pc", seed=7)
    got = pd.DataFrame.from_dict(res["unit_effects"]["W1"]["units"], orient="index").loc[list(ue.index), list(ue.columns)]
    np.testing.assert_allclose(got.to_numpy(float), ue.to_numpy(float), rtol=1e-8)  # from the fit: as above
    r = unit_response(fit, "pc", "NY")
    np.testing.assert_allclose([res["unit_response"]["W1"]["effect"][i] for i in r.index], r.to_numpy(), rtol=1e-8)
    assert res["lisa"]["units"]["NY"]["cluster"] in {"HH", "LL", "LH", "HL", "ns"}


def test_stars_and_cells():
    # thresholds of the seed study: *** 1 %, ** 5 %, * 10 %
    assert [tables.stars(p) for p in (0.0099, 0.01, 0.049, 0.05, 0.099, 0.1, np.nan)] == \
        ["***", "**", "**", "*", "*", "", ""]
    assert tables.cell(0.3654, 0.0431, 0.001) == "0.365*** (0.043)"
    assert tables.stat_cell(15.5134, 0.0) == "15.513 (0.000)"
    tex = tables.to_latex(tables.frame_table(pd.DataFrame({"a_b": ["50%"]}, index=pd.Index(["x&y"]))))
    assert r"a\_b" in tex and r"50\%" in tex and r"x\&y" in tex


def test_existing_folder_needs_force(us_report, tmp_path):
    tmp, out = us_report
    with pytest.raises(OutputError, match="--force"):
        build_report(tmp / "report.toml", out, quiet=True)
    assert (out / "index.html").is_file()


def test_failure_leaves_nothing(tmp_path, capsys):
    cfg = _write(tmp_path, US_CONFIG.replace("year = 1980", "year = 1901"))
    with pytest.raises(InputError, match="maps.year: 1901"):
        build_report(cfg, tmp_path / "never", quiet=True)
    assert not (tmp_path / "never").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["report.toml"]


def test_force_replaces_and_progress(tmp_path, capsys):
    small = US_CONFIG.replace('[weights.Wd]\nkind = "inverse_distance"\nalpha = 2\n', "").replace(
        'dir = "out_report"', 'dir = "out_report"\nfigures = false')  # figures: checked on us_report
    cfg = _write(tmp_path, small)
    out = tmp_path / "o"
    out.mkdir()
    (out / "old.txt").write_text("x")
    (out / MARKER).write_text("")  # an earlier spillmap output: --force may replace only those
    build_report(cfg, out, force=True)
    assert not (out / "old.txt").exists() and (out / "index.html").is_file()
    err = capsys.readouterr().err
    assert "LISA" in err and "49 permutations" in err and "100 simulation draws" in err
    assert_steps_counted(err)



@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (("[model]\n", "[model]\nfoo = 1\n"), "'model.foo': unknown key"),
        (('y = "unemp"\n', ""), "'model.y': is required"),
        (('kind = "contiguity"', 'kind = "queen"'), "'weights.W1.kind': 'queen' is not one of"),
        (('lee_yu = "transformation"', 'lee_yu = "yes"'), "'model.lee_yu'"),
        (('x = ["pc", "emp"]', 'x = ["pc", "unemp"]'), "'model.x': contains the dependent"),
        (('dataset = "produc"', 'dataset = "produc"\npath = "p.csv"'), "'panel': give exactly one"),
        (("permutations = 49", "permutations = 0"), "'maps.permutations'"),
        (("draws = 100", 'draws = "many"'), "'model.draws': must be int"),
        (("draws = 100", "draws = 50"), "'model.draws': must be 0 (delta-method SEs) or >= 100"),
        (('dataset = "us48"', 'dataset = "world"'), "'layer.dataset'"),
    ],
)
def test_config_errors_name_the_key(tmp_path, edit, match):
    text = US_CONFIG.replace(*edit)
    assert text != US_CONFIG
    with pytest.raises(InputError, match=re.escape(match) if "'" in match else match):
        load_config(_write(tmp_path, text))


def test_config_file_errors(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(InputError, match="not valid TOML"):
        load_config(_write(tmp_path, "title = \n"))


def test_cli_report_errors_without_traceback(tmp_path, capsys):
    from spillmap.cli import main

    cfg = _write(tmp_path, US_CONFIG.replace('kind = "contiguity"', 'kind = "rook"'))
    assert main(["report", str(cfg), "--out", str(tmp_path / "x"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "weights.W1.kind" in err and "Traceback" not in err


def test_config_object(tmp_path):
    cfg = load_config(_write(tmp_path, US_CONFIG))
    assert isinstance(cfg, ReportConfig)
    assert cfg.key == "pc" and cfg.x == ("pc", "emp") and cfg.weights[1].options == {"alpha": 2}
    with pytest.raises(Exception):
        cfg.y = "other"  # frozen


def test_files_config_with_subset_and_delta_method(tmp_path, us48, produc):
    """Layer and panel from files (other id column name, unsorted rows), a subset filter."""
    us48.to_file(tmp_path / "states.gpkg", engine="pyogrio")
    produc.sample(frac=1.0, random_state=0).to_csv(tmp_path / "produc.csv", index=False)
    text = (US_CONFIG.replace('dataset = "us48"', 'path = "states.gpkg"')
            .replace('dataset = "produc"', 'path = "produc.csv"')
            .replace('name_column = "STATE_NAME"', 'name_column = "STATE_NAME"\nsubset = {SUB_REGION = ["Pacific", "Mtn", "W N Cen", "W S Cen", "E N Cen"]}')
            .replace("draws = 100", "draws = 0")
            .replace('[weights.Wd]\nkind = "inverse_distance"\nalpha = 2\n', "")
            .replace('spillover_city = "NY"', 'spillover_city = "TX"')
            .replace('dir = "out_report"', 'dir = "out_report"\nfigures = false'))
    out = build_report(_write(tmp_path, text), quiet=True)
    res = json.loads((out / "results.json").read_text(encoding="utf-8"))
    n = int(us48["SUB_REGION"].isin(["Pacific", "Mtn", "W N Cen", "W S Cen", "E N Cen"]).sum())
    assert res["data"]["n"] == n and res["data"]["nobs"] == n * 17
    assert res["sdm"]["W1"]["draws"] == 0 and res["sdm"]["W1"]["effects"]["direct"]["pc"]["se"] > 0
    assert "delta method" in (out / "index.html").read_text(encoding="utf-8")
    assert len(res["data"]["panel_ids_dropped_by_subset"]) == 48 - n
    assert not (out / "figures").exists()  # [output] figures = false


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (('dataset = "us48"', 'path = "nowhere.gpkg"'), "layer.path: file"),
        (('name_column = "STATE_NAME"', 'name_column = "STATE_NAME"\nsubset = {REGION = ["x"]}'),
         "layer.subset: column 'REGION'"),
        (('spillover_city = "NY"', 'spillover_city = "ZZ"'), "maps.spillover_city: 'ZZ'"),
        # bad-input audit 29 C3: a missing group column was ignored (or blamed on scenarios.NAME.groups)
        (('name_column = "STATE_NAME"', 'name_column = "STATE_NAME"\ngroup_column = "SUB_REGIONX"'),
         r"layer.group_column: column 'SUB_REGIONX' not in the layer; .* Did you mean 'SUB_REGION'\?"),
        (("permutations = 49", 'permutations = 49\nsimplify = "lots"'), "'maps.simplify'"),
        (('dataset = "produc"', 'path = "none.csv"'), "panel.path: file"),
        # a variable that is not in the panel: the error names the key that asks for it
        (('y = "unemp"', 'y = "unemployment"'), r"model.y: no column 'unemployment' in the panel; it has 'state', 'state_abbr', "),
        (('y = "unemp"', 'y = "Unemp"'), r"model.y: no column 'Unemp' in the panel; .* Did you mean 'unemp'\?"),
        (('x = ["pc", "emp"]', 'x = ["pc", "log(empl)"]'), r"model.x: 'log\(empl\)' is neither a column"),
        (("[maps]", '[tables]\nmoran_variables = ["unemp", "hwy2"]\n[maps]'),
         r"tables.moran_variables: no column 'hwy2' in the panel; .* Did you mean 'hwy'\?"),
        (("alpha = 2\n", 'alpha = 2\n[weights.We]\nkind = "economic_distance"\nvar = "gsp_pc"\n'),
         r"weights.We.var: no column 'gsp_pc' in the panel"),
    ],
)
def test_bad_inputs_fail_early(tmp_path, edit, match):
    with pytest.raises(InputError, match=match):
        build_report(_write(tmp_path, US_CONFIG.replace(*edit)), tmp_path / "o", quiet=True)
    assert not (tmp_path / "o").exists()


def test_a_transform_of_a_text_cell_names_the_key_and_the_cell(tmp_path):
    """model.x = log(pc) where one pc cell holds text: the key, the column and (id, year), before any work."""
    from spillmap import datasets
    from spillmap.errors import DataError

    p = datasets.produc().astype({"pc": object})
    p.loc[(p.state_abbr == "NY") & (p.year == 1975), "pc"] = "1.2e5x"
    p.to_csv(tmp_path / "panel.csv", index=False)
    text = US_CONFIG.replace('dataset = "produc"', 'path = "panel.csv"').replace('x = ["pc", "emp"]',
                                                                               'x = ["log(pc)", "emp"]')
    with pytest.raises(DataError, match=r"model.x: 'log\(pc\)': column 'pc' is not numeric: '1.2e5x' at \(NY, 1975\)"):
        build_report(_write(tmp_path, text), tmp_path / "o", quiet=True)
    assert not (tmp_path / "o").exists()


def test_a_subset_layer_with_no_panel_id_in_common_reports_the_join(tmp_path):
    """With layer.subset, panel units outside the subset are dropped; when no panel id is in the layer
    at all (here written in lower case) the join's error is reported, not an IndexError on an empty panel."""
    from spillmap import datasets
    from spillmap.errors import JoinError

    p = datasets.produc()
    p.assign(state_abbr=p.state_abbr.str.lower()).to_csv(tmp_path / "panel.csv", index=False)
    text = (US_CONFIG.replace('dataset = "produc"', 'path = "panel.csv"')
            .replace('name_column = "STATE_NAME"', 'name_column = "STATE_NAME"\nsubset = {SUB_REGION = ["Pacific"]}'))
    with pytest.raises(JoinError, match=r"48 panel id\(s\) in 'state_abbr' have no unit in the layer column "
                                        r"'STATE_ABBR': 'al', 'ar'"):
        build_report(_write(tmp_path, text), tmp_path / "o", quiet=True)
    assert not (tmp_path / "o").exists()


def test_latex_is_ascii_safe():
    tex = tables.to_latex(tables.frame_table(pd.DataFrame({"x": [1.0]}), caption="I_T ⊗ W – α ≤ 0.05"))
    assert r"I\_T $\otimes$ W -- $\alpha$ $\le$ 0.05" in tex


@pytest.mark.slow
def test_the_report_does_not_depend_on_which_process_drew_a_figure(us_report, tmp_path, monkeypatch):
    """On Linux the report's figures are shared between a forked process and the main one
    (``spillmap._forkshare``; forced in the fixture); drawn all in one process from the
    written ``results.json``, every file is byte-identical.  Slow (~8 s: a second report, all
    figures drawn in one process): a reproducibility check, like the slow suite's demo run as a
    program (tests/bad_inputs/test_interrupt.py)."""
    import spillmap._forkshare as forkshare
    from spillmap.maps.report import render_report

    _, out = us_report
    monkeypatch.setattr(forkshare, "fork_available", lambda: False)
    serial = render_report(out / "results.json", tmp_path / "serial")
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(serial).as_posix() for p in serial.rglob("*") if p.is_file())
    assert sum(f.startswith("figures/") for f in files) >= 18
    differ = [f for f in files if (out / f).read_bytes() != (serial / f).read_bytes()]
    assert differ == []


def test_layer_units_without_panel_rows_are_said_on_the_terminal(tmp_path):
    """Bad-input audit 29 C7: a layer unit without rows in the panel was left out of the sample and of W
    (its neighbours lose it) and said only inside the report; run() now warns, naming it (the CLI prints
    the warning as one line)."""
    import tomllib

    from spillmap import datasets
    from spillmap.errors import DataWarning
    from spillmap.study import Study, run

    datasets.produc().query("state_abbr != 'AZ'").to_csv(tmp_path / "panel.csv", index=False)
    text = (US_CONFIG.replace('dataset = "produc"', f'path = "{(tmp_path / "panel.csv").as_posix()}"')
            .replace('spillover_city = "NY"', "") + '[tables]\ninclude = ["descriptive"]\n')
    study = Study.from_dict(tomllib.loads(text), source=str(tmp_path / "s.toml"))
    with pytest.warns(DataWarning) as said:
        res = run(study)
    assert any("1 unit(s) of the layer have no rows in the panel and are left out of the sample and of the "
               "weights (their neighbours lose them): 'AZ'." in str(w.message) for w in said)
    assert list(res.data["layer_units_dropped"]) == ["AZ"]


def test_labels_that_name_nothing_are_said(tmp_path):
    """Bad-input audit 29 C4: a [model] labels key naming no variable or column (a typo) was ignored
    without a word."""
    import tomllib

    from spillmap.errors import DataWarning
    from spillmap.study import Study, run

    text = (US_CONFIG.replace('spillover_city = "NY"', "").replace("draws = 100", 'draws = 100\nlabels = { unemp = '
                                                                   '"Unemployment", gspx = "GSP" }')
            + '[tables]\ninclude = ["descriptive"]\n')
    with pytest.warns(DataWarning) as said:
        run(Study.from_dict(tomllib.loads(text), source="s.toml"))
    texts = [str(w.message) for w in said]
    assert any(t.startswith("model.labels: 'gspx' name(s) no variable or column") for t in texts), texts
    assert not any("'unemp'" in t for t in texts if t.startswith("model.labels"))
