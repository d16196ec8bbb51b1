"""``spillmap scenario`` and ``spillmap screen`` on the command line: mistakes found before any work,
named by the options the user typed, and the scenario tables labelled as in the report."""
from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

import pytest

from spillmap.cli import main

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the shared spec sits next to this file
from test_study_scenarios import US  # noqa: E402

#: the [heterogeneity] labels put into the stored spec (the tables name the groups by them)
LABELS = {"SUB_REGION": {"N Eng": "New England (label)", "Mtn": "Mountain (label)"}}


@pytest.fixture(scope="module")
def results_json(tmp_path_factory) -> Path:
    """A results.json of the US study, its spec given [heterogeneity] labels and unit_label "state"."""
    from spillmap.study import Study, run

    res = run(Study.from_dict(tomllib.loads(US), source="s.toml"))
    doc = json.loads(res.to_json())
    doc["spec"]["heterogeneity"] = {"columns": ["SUB_REGION"], "labels": LABELS}
    path = tmp_path_factory.mktemp("res") / "results.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def _scenario(results_json, tmp_path, *args) -> list[str]:
    return ["scenario", str(results_json), "--variable", "unemp", *args, "--out", str(tmp_path / "o")]


# ------------------------------------------------------------------ scenario: found before any model work
@pytest.mark.parametrize(("args", "match"), [
    (["--change", "1", "--units", "Texs"], "error: --units: 1 unknown unit(s): 'Texs'"),
    (["--change", "1", "--period", "1900"], "error: --period: 1900 is not a period of the panel"),
    (["--change", "1", "--groups", "nope"], "error: --groups: column(s) 'nope' not in the attributes"),
    (["--change", "Nowhere", "--kind", "to_unit"], "error: --change: 1 unknown unit(s): 'Nowhere'"),
])
def test_scenario_from_results_refuses_bad_data_values_before_any_model_work(results_json, tmp_path, capsys,
                                                                            monkeypatch, args, match):
    monkeypatch.setattr("spillmap.study.scenarios.stored_model", lambda *a, **k: pytest.fail("model work started"))
    assert main(_scenario(results_json, tmp_path, *args)) == 2
    err = capsys.readouterr().err
    assert match in err and "[1/" not in err, err
    assert err.count("\n") == 1 and not (tmp_path / "o").exists()


@pytest.mark.parametrize(("args", "match"), [
    (["--change", "1", "--within", "SUB_REGION"], "error: --within sets the reference group of --kind to_quantile "
                                                  "and does nothing with --kind absolute"),
    (["--change", "1", "--kind", "percent", "--within", "SUB_REGION"], "does nothing with --kind percent"),
    (["--change", "1", "--method", "delta", "--draws", "500"], "error: --draws sets the parameter draws of "
                                                               "--method simulation and does nothing with --method delta"),
])
def test_scenario_refuses_options_that_do_nothing(results_json, tmp_path, capsys, args, match):
    assert main(_scenario(results_json, tmp_path, *args)) == 2
    err = capsys.readouterr().err
    assert match in err and err.count("\n") == 1, err


def test_scenario_flags_without_variable_are_refused(results_json, tmp_path, capsys):
    assert main(["scenario", str(results_json), "--units", "TX", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "error: --units describes a scenario written with --variable" in err and err.count("\n") == 1, err


def test_scenario_within_is_refused_only_where_it_does_nothing(results_json, tmp_path, capsys):
    within = ["--within", "SUB_REGION", "--units", "TX", "--method", "delta", "--quiet"]
    assert main(_scenario(results_json, tmp_path, "--change", "0.9", "--kind", "to_quantile", "--variable",
                          "log(pcap)", "--kind", "percent", *within)) == 0  # one variable to_quantile: it matters
    assert main(_scenario(results_json, tmp_path, "--change", "0.9", "--kind", "percent", *within)) == 2
    assert "error: --within sets the reference group" in capsys.readouterr().err


@pytest.mark.parametrize(("args", "match"), [
    (["--change", "abc"], "error: --change: must be a finite number for --kind absolute (variable 'unemp'); "
                          "got 'abc'."),
    (["--change", "1", "--change", "2"], "error: --change: has 2 values for 1 variables; give one, or one per "
                                         "--variable."),
    (["--change", "1", "--level", "2"], "error: --level: must be between 0 and 1, got 2.0."),
    (["--change", "1", "--draws", "5"], "error: --draws: must be >= 100 (or --method delta), got 5."),
    (["--change", "1", "--top", "0"], "error: --top: must be >= 1, got 0."),
    (["--change", "1", "--w", "W9"], "error: --w: 'W9' is not one of the weights 'W1'."),
    (["--change", "2", "--kind", "to_quantile"], "error: --change: must be a quantile between 0 and 1 for --kind "
                                                 "to_quantile"),
])
def test_scenario_messages_name_the_flags(results_json, tmp_path, capsys, args, match):
    assert main(_scenario(results_json, tmp_path, *args)) == 2
    err = capsys.readouterr().err
    assert match in err and "scenarios." not in err, err


def test_scenario_tables_use_the_group_labels_and_the_unit_word(results_json, tmp_path, capsys):
    assert main(_scenario(results_json, tmp_path, "--change", "-1", "--units", "TX", "--groups", "SUB_REGION",
                          "--method", "delta", "--quiet")) == 0
    groups = (tmp_path / "o" / "tables" / "scenario_unemp_W1_groups_formatted.csv").read_text(encoding="utf-8")
    assert "New England (label)" in groups and "Mountain (label)" in groups
    assert '"N Eng"' not in groups
    top = (tmp_path / "o" / "tables" / "scenario_unemp_W1_top_formatted.csv").read_text(encoding="utf-8")
    assert top.startswith('"Rank, state (id)"'), top[:80]  # the spec's unit_label, not "unit"
    # the map's tooltips name each state's group, as the report's maps do (no group row before c7538cd)
    page = (tmp_path / "o" / "maps" / "scenario_unemp_W1.html").read_text(encoding="utf-8")
    assert '["SUB_REGION","Pacific"]' in page.replace(", ", ",")  # Washington's row


# ------------------------------------------------------------------ screen
@pytest.fixture
def screen_files(tmp_path, produc):
    """``(write(panel) -> path of its CSV, the args of a screen of it on a ring W file)``."""
    ids = sorted(produc.state_abbr.astype(str).unique())
    gal = tmp_path / "ring.gal"
    lines = [str(len(ids))]
    for i, u in enumerate(ids):
        lines += [f"{u} 2", f"{ids[i - 1]} {ids[(i + 1) % len(ids)]}"]
    gal.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def write(panel, name="p.csv"):
        path = tmp_path / name
        panel.to_csv(path, index=False)
        return path

    def args(path, *extra):
        return ["screen", "--data", str(path), "--id", "state_abbr", "--time", "year", "--w", str(gal),
                "--statistics", "moran", "--permutations", "9", "--out", str(tmp_path / "o"), "--quiet", *extra]

    return write, args


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if the screen starts building its weights (the first of its work)."""
    monkeypatch.setattr("spillmap.screen._api.materialise_weights", lambda *a, **k: pytest.fail("work started"))


def _csv_line(frame_row: int) -> int:
    return frame_row + 2  # the header is line 1


@pytest.mark.parametrize(("column", "value", "match"), [
    ("state_abbr", None, "column 'state_abbr': empty; every row needs its unit id."),
    ("year", None, "column 'year': empty; every row needs its period."),
    ("year", "1971a", "column 'year': '1971a' is not a period like the others (integers)."),
])
def test_screen_names_a_bad_key_cell_by_file_line(produc, screen_files, no_work, capsys, tmp_path, column, value,
                                                  match):
    write, args = screen_files
    panel = produc.astype({column: object})
    panel.loc[19, column] = value
    assert main(args(write(panel))) == 2
    err = capsys.readouterr().err
    assert f"error: p.csv: line {_csv_line(19)}, {match}" in err and err.count("\n") == 1, err
    assert not (tmp_path / "o").exists()


def test_screen_key_cells_checked_by_the_python_api_too(produc):
    """``spillmap.screen`` on a frame: a missing id named as the key check names it, before any work."""
    import spillmap
    from spillmap.errors import DataError

    panel = produc.astype({"state_abbr": object})
    panel.loc[19, "state_abbr"] = None
    with pytest.raises(DataError, match=r"column 'state_abbr', row index 19: empty; every row needs its unit id"):
        spillmap.screen(panel, id="state_abbr", time="year", weights={"W": {"kind": "knn", "k": 4}},
                        statistics=["moran"], permutations=0)


@pytest.mark.parametrize(("extra", "match", "python"), [
    (["--statistics", "lm"], "error: --statistics lm needs the regression: give --lm-x REGRESSORS", "lm={"),
    (["--statistics", "moran", "sdm"], "error: --statistics sdm needs the regression", "lm={"),
    (["--statistics", "moran", "lisa", "--permutations", "0"], "error: --statistics lisa (a default) needs "
                                                               "--permutations >= 1", "raise permutations"),
])
def test_screen_statistics_messages_name_the_options(produc, screen_files, capsys, extra, match, python):
    write, args = screen_files
    assert main(args(write(produc), *extra)) == 2
    err = capsys.readouterr().err
    assert match in err and python not in err and err.count("\n") == 1, err


@pytest.mark.parametrize(("item", "match"), [
    ("W2=knn:kk=3", "--w W2=knn:kk=3: unknown option 'kk' (did you mean 'k'?); knn takes: k, transform."),
    ("W2=knn:k=abc", "--w W2=knn:k=abc: option 'k': must be integer, got 'abc'."),
    ("knn:0", "--w knn:0: option 'k': must be >= 1, got 0."),
])
def test_screen_weights_option_messages_name_the_w_item(item, match, capsys, tmp_path):
    from spillmap.cli._screen import weight_specs
    from spillmap.errors import InputError

    with pytest.raises(InputError) as info:
        weight_specs([item], islands="nearest", transform="row")
    assert str(info.value) == match
    assert main(["screen", "--data", "produc", "--id", "state_abbr", "--w", item, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert match in err and "weights." not in err, err


def test_screen_refuses_an_infinite_cell_of_a_listed_indicator(produc, screen_files, no_work, capsys):
    write, args = screen_files
    panel = produc.copy()
    panel.loc[49, "unemp"] = float("inf")
    assert main(args(write(panel), "--indicators", "pc", "unemp")) == 2
    err = capsys.readouterr().err
    assert (f"error: p.csv: line {_csv_line(49)}, column 'unemp': inf is not a finite number (1 infinite cell(s)); "
            "clean it or leave 'unemp' out of --indicators.") in err and err.count("\n") == 1, err




@pytest.mark.parametrize(("option", "names"), [("--lm-x", ["unemp"]), ("--lm-y", ["unemp", "--lm-x", "emp"])])
def test_screen_refuses_an_infinite_cell_of_a_regression_column(produc, screen_files, no_work, capsys, option,
                                                                 names):
    write, args = screen_files
    panel = produc.copy()
    panel.loc[49, "unemp"] = float("inf")
    assert main(args(write(panel), "--indicators", "pc", "--statistics", "lm", option, *names)) == 2
    err = capsys.readouterr().err
    assert (f"error: p.csv: line {_csv_line(49)}, column 'unemp': inf is not a finite number (1 infinite cell(s)); "
            f"clean it or choose another {option}.") in err and err.count("\n") == 1, err


def test_screen_with_only_the_lm_tests_writes_its_folder(produc, screen_files, in_process, capsys, tmp_path):
    """No Moran's I to rank by: the ranking keeps one row per indicator with empty figures (it crashed
    on the missing Moran series), the table has the LM tests."""
    import pandas as pd

    write, args = screen_files
    assert main(args(write(produc), "--indicators", "pc", "pcap", "--statistics", "lm", "--lm-x", "unemp")) == 0
    ranking = pd.read_csv(tmp_path / "o" / "ranking.csv")
    assert list(ranking.indicator) == ["pc", "pcap"] and ranking["I_1970"].isna().all()
    table = pd.read_parquet(tmp_path / "o" / "screen.parquet")
    assert {"lm_lag", "lm_error"} <= set(table.statistic) and (table.status == "ok").all()


@pytest.mark.parametrize("indicators", [["all"], ["un*", "pc"]])
def test_screen_all_leaves_out_a_column_with_an_infinite_cell(produc, screen_files, in_process, capsys, tmp_path,
                                                              indicators):
    import pandas as pd

    write, args = screen_files
    panel = produc.copy()
    panel.loc[49, "unemp"] = float("-inf")
    assert main(args(write(panel), "--indicators", *indicators)) == 0
    err = capsys.readouterr().err
    assert f"warning: --indicators {' '.join(indicators)} leaves out " in err, err
    assert (f"the column(s) 'unemp' with infinite values; p.csv: line {_csv_line(49)}, column 'unemp': -inf is not "
            "a finite number") in err, err
    assert err.count("\n") == 1, err
    table = pd.read_parquet(tmp_path / "o" / "screen.parquet")
    assert "unemp" not in set(table.indicator) and "pc" in set(table.indicator)


# ------------------------------------------------------------------ scenario: a W whose SDM fails
#: the US study with a second matrix, economic_product of gsp, on which the two-way SDM has no interior
#: maximum (rho runs to 1: the dense W y is nearly the period mean, which the year effects absorb)
US_EP = US + '[weights.EP]\nkind = "economic_product"\nvar = "gsp"\nalpha = 1\n'


def test_scenario_on_a_spec_skips_a_matrix_whose_sdm_fails(tmp_path, capsys):
    """Newcomer audit 29 #1.1: `spillmap scenario spec.toml` stopped (exit 2, nothing written) when the
    SDM of one matrix failed, though `spillmap report` answers on the others; --w with the spec's own
    scenarios was refused.  Now the failed matrix is skipped with a warning, the step count stays whole,
    and --w picks the matrices of the spec's scenarios."""
    from _demo_shared import assert_steps_counted

    spec = tmp_path / "s.toml"
    spec.write_text(US_EP, encoding="utf-8")
    assert main(["scenario", str(spec), "--name", "newengland", "--out", str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    assert "warning: the SDM of weights EP could not be estimated, so its scenarios are skipped" in err, err
    assert_steps_counted(err)
    written = sorted(p.name for p in (tmp_path / "o" / "maps").iterdir())
    assert written == ["scenario_newengland_W1.html"], written
    assert main(["scenario", str(spec), "--name", "newengland", "--w", "EP", "--out", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err
    assert "error: no SDM could be estimated for the scenarios (EP: the estimate of rho" in err, err
    assert not (tmp_path / "p").exists()
    assert main(["scenario", str(spec), "--w", "W2", "--out", str(tmp_path / "q")]) == 2
    assert "error: --w W2: no weights 'W2' in" in capsys.readouterr().err
    assert main(["scenario", str(spec), "--name", "newengland", "--w", "W1", "--quiet", "--out",
                 str(tmp_path / "r")]) == 0
    assert "EP" not in capsys.readouterr().err  # EP not asked for: neither fitted nor mentioned


def test_scenario_on_results_skips_a_matrix_without_its_sdm(tmp_path, capsys):
    """The same from the results of a run (the report's): EP's SDM failed there, so the results hold no
    scenario inputs for EP; a scenario on every matrix answers on W1 and says why EP is skipped (it said
    "results written before spillmap 0.2 ... run the study again"), --w EP names what is missing."""
    from _demo_shared import assert_steps_counted

    from spillmap.study import Study, run

    from spillmap.errors import EstimationWarning

    path = tmp_path / "results.json"
    with pytest.warns(EstimationWarning) as said:  # as the report says it
        res = run(Study.from_dict(tomllib.loads(US_EP), source="s.toml"))
    assert any("EP: the SDM fit failed" in str(w.message) for w in said)
    path.write_text(res.to_json(), encoding="utf-8")
    flags = ["--variable", "unemp", "--change", "1", "--units", "TX", "--method", "delta"]
    assert main(["scenario", str(path), *flags, "--out", str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    assert "warning: the results hold no SDM of weights EP (its fit failed when the study ran" in err, err
    assert "scenario unemp on EP: skipped, its SDM could not be estimated" in err
    assert_steps_counted(err)
    assert sorted(p.name for p in (tmp_path / "o" / "maps").iterdir()) == ["scenario_unemp_W1.html"]
    assert main(["scenario", str(path), *flags, "--w", "EP", "--out", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err
    assert "no scenario inputs for weights 'EP' (available: W1): its SDM was not estimated" in err, err


def test_screen_evaluates_transforms_as_fit_and_moran_do(produc, screen_files, in_process, tmp_path, capsys):
    """Newcomer audit 29 #1.2: the README promises transforms wherever a variable is named, but
    `screen --indicators "log(gsp)"` said "panel has no column 'log(gsp)'" (and so did --lm-x).  The
    screened log(gsp) is the column log(gsp) screened: the same Moran's I per period.  On a threaded client
    in this process (``in_process``): the transforms are evaluated before any work is sent to a worker, and a
    local cluster of processes took 3.5 s to start and close."""
    import numpy as np
    import pandas as pd

    write, args = screen_files
    panel = produc.copy()
    panel["lgsp"] = np.log(panel["gsp"])
    path = write(panel)
    assert main(args(path, "--indicators", "log(gsp)", "lgsp", "--statistics", "moran", "lm", "--lm-x",
                     "log(pcap)", "unemp")) == 0
    rows = pd.read_csv(tmp_path / "o" / "screen.csv")
    moran = rows[rows["statistic"] == "moran_I"] if "statistic" in rows else rows
    got = {ind: moran[moran["indicator"] == ind].sort_values("period") for ind in ("log(gsp)", "lgsp")}
    assert len(got["log(gsp)"]) == len(got["lgsp"]) > 0
    value = [c for c in ("I", "value", "moran_I") if c in rows.columns][0]
    # rtol 1e-12: formulaic takes the log of a Series, the test of an array; the two paths may round the
    # last bit differently (2.6e-15 relative seen with numpy 1.26 and OpenBLAS's Prescott kernels), and
    # Moran's I is a smooth ratio of sums of them
    np.testing.assert_allclose(got["log(gsp)"][value].to_numpy(), got["lgsp"][value].to_numpy(),
                               rtol=1e-12)  # same numbers but a last-bit rounding of the log (2.6e-15 seen)
    assert main(args(path, "--indicators", "log(nope)", "--out", str(tmp_path / "p"))) == 2
    assert "nope" in capsys.readouterr().err


@pytest.mark.parametrize(("doc", "match"), [
    ('{"a": 1}', "not a spillmap results file (no 'schema' key"),
    ('{"schema": 1}', "results written with layout version 1"),
    ("[1, 2", "not a spillmap results file (JSONDecodeError"),
])
def test_scenario_on_a_json_that_is_not_results_names_the_file(doc, match, tmp_path, capsys):
    """Bad-input audit 29 C5: another JSON file gave "results written with layout version None" without
    naming the file."""
    path = tmp_path / "other.json"
    path.write_text(doc, encoding="utf-8")
    assert main(["scenario", str(path), "--variable", "int", "--change", "0.02", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"error: {path}: " in err and match in err and err.count("\n") == 1, err


def test_screen_names_an_empty_cell_of_a_named_indicator(produc, screen_files, no_work, capsys, tmp_path):
    """Bad-input audit 29 C2: an empty cell in a column given to --indicators was screened as '1 failure'
    with exit 0; like a text cell it is now a one-line error naming the file, the line and the column."""
    write, args = screen_files
    panel = produc.copy()
    panel.loc[(panel.state_abbr == "AZ") & (panel.year == 1973), "unemp"] = None
    path = write(panel)
    assert main(args(path, "--indicators", "unemp")) == 2
    err = capsys.readouterr().err
    line = 2 + int(((panel.state_abbr == "AZ") & (panel.year == 1973)).to_numpy().nonzero()[0][0])  # header line 1
    assert f"p.csv: line {line}, column 'unemp': empty cell (1 empty cell(s))" in err and err.count("\n") == 1, err


def test_scenario_tables_say_how_to_read_changes_of_a_log(results_json, tmp_path, capsys):
    """Newcomer audit 29 #3.1: with y = log(gsp), "Total change" adds changes of log GSP over the states,
    which a planner reads as a % change of output; the tables now say how to read them."""
    assert main(["scenario", str(results_json), "--variable", "unemp", "--change", "1", "--units", "TX",
                 "--method", "delta", "--quiet", "--out", str(tmp_path / "o")]) == 0
    text = (tmp_path / "o" / "tables" / "scenario_unemp_W1_groups.md").read_text(encoding="utf-8")
    assert ("is a natural logarithm: a change of 0.01 in a state is about a 1 % change of its level; 'Total "
            "change' adds these over the units and is not the % change of their total.") in " ".join(text.split())
    from spillmap.maps._report_scenarios import is_natural_log

    assert is_natural_log("log(gsp)") and is_natural_log("np.log( gsp )") and not is_natural_log("log10(gsp)")
    assert not is_natural_log("gtfp")
