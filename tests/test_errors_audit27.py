"""Audit 27 (a regional planner on the CLI), items 4-8: ids with leading zeros matched to W in both
directions, decimal commas inside a formula, the file and lines of missing, duplicate and empty
cells with advice in the interface used, "did you mean" for letter case, the weights summary's
symmetry line."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from spillmap.cli import main

_STUDY = """title = "t"
[layer]
path = "us48"
id = "STATE_ABBR"
[panel]
path = "{panel}"
id = "state_abbr"
time = "{time}"
[model]
y = "log(gsp)"
x = ["log(pcap)", "unemp"]
draws = 100
[weights.W1]
kind = "contiguity"
"""


def _error(capsys, argv: list[str]) -> str:
    """The one-line error of a command that must refuse its input (exit status 2)."""
    rc = main(argv)
    err = capsys.readouterr().err.strip()
    assert rc == 2, err
    assert "\n" not in err and not re.search(r"\b[A-Z]\w*(Error|Exception)\b", err), err
    return err


def _small_panel(ids: list[str]) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = [(i, t, float(rng.uniform(1, 2)), float(rng.uniform(1, 2))) for t in (2000, 2001, 2002) for i in ids]
    return pd.DataFrame(rows, columns=["code", "year", "y", "x"])


def _gal(path, ids: list[str]) -> str:
    n = len(ids)
    lines = [str(n)]
    for k, u in enumerate(ids):
        lines += [f"{u} 2", f"{ids[k - 1]} {ids[(k + 1) % n]}"]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _produc_csv(tmp_path, name: str = "p.csv", *, drop=None, dup=None, cells=None, rename=None) -> str:
    """The bundled Produc panel written as a planner's CSV, with one row dropped or repeated, cells
    replaced (``{(row, column): text}``) or columns renamed."""
    from spillmap import datasets

    df = datasets.produc().reset_index(drop=True)
    df = df.astype({c: object for c in {c for _, c in (cells or {})}})
    for (row, col), value in (cells or {}).items():
        df.loc[row, col] = value
    if dup is not None:
        df = pd.concat([df, df.iloc[[dup]]], ignore_index=True)
    if drop is not None:
        df = df.drop(index=drop)
    df = df.rename(columns=rename or {})
    path = tmp_path / name
    df.to_csv(path, index=False)
    return str(path)


def _study(tmp_path, panel: str, time: str = "year") -> str:
    path = tmp_path / "study.toml"
    path.write_text(_STUDY.format(panel=panel, time=time))
    return str(path)


# --------------------------------------------------------------- 1 (#4) leading zeros, both directions
@pytest.mark.parametrize("command", ["fit", "moran", "diagnose"])
def test_data_ids_with_leading_zeros_against_w_without(tmp_path, capsys, command):
    csv = tmp_path / "p.csv"
    _small_panel(["01", "02", "04", "05"]).to_csv(csv, index=False)
    w = _gal(tmp_path / "w.gal", ["1", "2", "4", "5"])
    data = ["--data", str(csv), "--id", "code", "--time", "year", "--w", w]
    extra = ["--var", "y"] if command == "moran" else ["--y", "y", "--x", "x"]
    err = _error(capsys, [command, *data, *extra])
    assert "w.gal" in err and "ids in the data but not in W: '01'" in err
    assert "match the file's only without their leading zeros (e.g. '01' in the data, '1' in the file)" in err


def test_w_ids_with_leading_zeros_against_data_without_unchanged(tmp_path, capsys):
    csv = tmp_path / "p.csv"
    _small_panel(["1", "2", "4", "5"]).to_csv(csv, index=False)
    w = _gal(tmp_path / "w.gal", ["01", "02", "04", "05"])
    err = _error(capsys, ["moran", "--data", str(csv), "--id", "code", "--time", "year", "--w", w, "--var", "y"])
    assert "4 id(s) of the file match the data's only without their leading zeros (e.g. '01' in the file" in err


# --------------------------------------------------------------- 2 (#5) decimal commas inside a formula
def test_decimal_comma_in_a_formula_names_the_cell(tmp_path, capsys):
    csv = tmp_path / "p.csv"
    df = _small_panel(["a", "b", "c", "d"])
    df["x"] = [f"{v:.2f}".replace(".", ",") for v in df["x"]]
    df.to_csv(csv, index=False)
    w = _gal(tmp_path / "w.gal", ["a", "b", "c", "d"])
    err = _error(capsys, ["fit", "--data", str(csv), "--id", "code", "--time", "year", "--w", w,
                          "--y", "y", "--x", "log(x)"])
    assert f"--y/--x: 'log(x)': column 'x' is not numeric: {df['x'][0]!r} (written with a decimal comma" in err
    assert "at (a, 2000)" in err and "neither a column nor a formula" not in err


def test_decimal_comma_in_a_study_formula(tmp_path):
    from spillmap.errors import DataError
    from spillmap.study.inputs import evaluate_variables

    df = pd.DataFrame({"id": ["a", "b"], "year": [1, 1], "pcap": ["15032,67", "1,5"]})
    with pytest.raises(DataError, match=r"^model\.x: 'log\(pcap\)': column 'pcap' is not numeric: '15032,67' "
                                        r"\(written with a decimal comma.* at \(a, 1\)"):
        evaluate_variables(df, ["log(pcap)"], where="model.x", id="id", time="year")


# --------------------------------------------------------------- 3 (#6) file, lines, interface advice
def test_fit_duplicate_rows_name_the_file_lines(tmp_path, capsys):
    csv = _produc_csv(tmp_path, dup=5)  # row 5 is on line 7 of the file, its copy on the last line (818)
    w = _us48_gal(tmp_path)
    capsys.readouterr()
    err = _error(capsys, ["fit", "--data", csv, "--id", "state_abbr", "--time", "year", "--w", w,
                          "--y", "log(gsp)", "--x", "log(pcap)", "unemp"])
    assert "duplicate (id, time) rows in columns 'state_abbr'/'year': (AL, 1975) (p.csv: lines 7, 818)." in err


def _us48_gal(tmp_path) -> str:
    out = tmp_path / "us.gal"
    assert main(["weights", "us48", "--id", "STATE_ABBR", "--kind", "contiguity", "--out", str(out)]) == 0
    return str(out)


def test_fit_missing_cell_names_the_file(tmp_path, capsys):
    csv = _produc_csv(tmp_path, drop=[20])
    w = _us48_gal(tmp_path)
    capsys.readouterr()
    err = _error(capsys, ["fit", "--data", csv, "--id", "state_abbr", "--time", "year", "--w", w,
                          "--y", "log(gsp)", "--x", "log(pcap)", "unemp"])
    assert err.startswith("spillmap fit: error: p.csv: the panel is unbalanced: 1 (id, time) cells are missing")


def test_fit_empty_cell_in_a_log_is_not_a_value_below_zero(tmp_path, capsys):
    csv = _produc_csv(tmp_path, cells={(99, "gsp"): "n/a"})  # row 99: line 101
    w = _us48_gal(tmp_path)
    capsys.readouterr()
    err = _error(capsys, ["fit", "--data", csv, "--id", "state_abbr", "--time", "year", "--w", w,
                          "--y", "log(gsp)", "--x", "log(pcap)", "unemp"])
    assert "(p.csv: line 101, column 'gsp': an empty or non-numeric cell)" in err
    assert "<= 0" not in err


def test_report_unbalanced_panel_gives_the_study_file_remedy(tmp_path, capsys):
    study = _study(tmp_path, _produc_csv(tmp_path, drop=[20]))
    err = _error(capsys, ["report", study, "--out", str(tmp_path / "rep"), "--quiet"])
    assert "p.csv: the panel is unbalanced: 1 (id, time) cell(s) missing out of 816: ('AZ', 1973)" in err
    assert 'leave those units out with [panel] drop = ["AZ"] in the study file.' in err
    assert "allow_unbalanced" not in err and not (tmp_path / "rep").exists()


def test_report_duplicate_rows_name_the_file_lines(tmp_path, capsys):
    study = _study(tmp_path, _produc_csv(tmp_path, dup=5))
    err = _error(capsys, ["report", study, "--out", str(tmp_path / "rep"), "--quiet"])
    assert "('AL', 1975) (p.csv: lines 7, 818). Keep one row per unit and period." in err


# --------------------------------------------------------------- 4 (#7) did you mean, letter case
def test_report_panel_time_in_another_letter_case(tmp_path, capsys):
    study = _study(tmp_path, _produc_csv(tmp_path, rename={"year": "Year"}))
    err = _error(capsys, ["report", study, "--out", str(tmp_path / "rep"), "--quiet"])
    assert "panel.time: column 'year' not in the panel (p.csv); available:" in err
    assert err.endswith("Did you mean 'Year'?")


def test_formula_column_in_another_letter_case(tmp_path, capsys):
    csv = _produc_csv(tmp_path)
    w = _us48_gal(tmp_path)
    capsys.readouterr()
    err = _error(capsys, ["fit", "--data", csv, "--id", "state_abbr", "--time", "year", "--w", w,
                          "--y", "log(GSP)", "--x", "log(pcap)", "unemp"])
    assert "'log(GSP)' is neither a column nor a formula transform of the columns (no column 'GSP')" in err
    assert err.endswith("Did you mean 'gsp'?")


# --------------------------------------------------------------- 5 (#8) the weights summary
def test_weights_summary_says_neighbours_mutual_weights_not_symmetric(tmp_path, capsys):
    assert main(["weights", "us48", "--id", "STATE_ABBR", "--kind", "contiguity", "--out",
                 str(tmp_path / "w.gal")]) == 0
    out = capsys.readouterr().out
    assert ("symmetry              neighbours mutual (every link goes both ways); weights not symmetric after "
            "row-standardisation") in out
    assert "neighbour pattern" not in out


def test_weights_summary_words_its_symmetry_in_python_too(us48_queen):
    """The same words in ``str(w.summary())`` and its notebook table, for each of the three cases."""
    s = us48_queen.summary()
    mutual = "neighbours mutual (every link goes both ways); weights not symmetric after row-standardisation"
    assert f"symmetry              {mutual}" in str(s) and mutual in s._repr_html_()
    assert "symmetry              neighbours mutual; weights symmetric" in str(us48_queen.binary().summary())


def test_report_duplicate_lines_after_panel_drop(tmp_path, capsys):
    """[panel] drop leaves the rows' file lines as they are (no renumbering)."""
    study = _study(tmp_path, _produc_csv(tmp_path, dup=40))  # row 40 (AR, 1976): line 42
    text = open(study).read().replace('time = "year"\n', 'time = "year"\ndrop = ["AL"]\n', 1)
    open(study, "w").write(text)
    err = _error(capsys, ["report", study, "--out", str(tmp_path / "rep"), "--quiet"])
    assert "('AR', 1976) (p.csv: lines 42, 818)." in err
