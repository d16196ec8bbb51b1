"""Panels in Excel workbooks (.xlsx): read as the table pandas' own ``read_excel`` reads, fitted
like any panel, or refused with a message naming the file and the sheets.  References: pandas'
``read_excel`` of the same sheet (the values exactly), and the Python API's fit of that table with
the same W file (the same data; rho's search within its xatol 1e-10: 1e-8)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from spillmap.cli import main
from spillmap.errors import DataError
from spillmap.study.inputs import load_table


@pytest.fixture(scope="module")
def files(tmp_path_factory, produc_logs, us48_queen):
    from spillmap.spatial.io import write_weights

    d = tmp_path_factory.mktemp("excel")
    df = produc_logs[["state_abbr", "year", "lgsp", "lpc", "lemp"]]
    df.to_csv(d / "p.csv", index=False)
    with pd.ExcelWriter(d / "p.xlsx") as xw:  # the panel, an empty sheet, empty rows below the table
        pd.concat([df, pd.DataFrame(index=range(3), columns=df.columns)]).to_excel(xw, sheet_name="panel", index=False)
        pd.DataFrame().to_excel(xw, sheet_name="notes", index=False)
    write_weights(us48_queen.binary(), d / "w.gal")
    return d, df


def _fit(d, data, out):
    return main(["fit", "--data", str(d / data), "--id", "state_abbr", "--time", "year", "--y", "lgsp", "--x", "lpc",
                 "lemp", "--w", str(d / "w.gal"), "--model", "sdm", "--fe", "twoways", "--draws", "0",
                 "--json", str(out)])


def test_excel_panel_reads_and_fits_as_pandas_reads_it(files, tmp_path, capsys):
    from spillmap.estimation import SpatialPanel
    from spillmap.spatial.io import read_weights

    d, df = files
    table = load_table(str(d / "p.xlsx"), id="state_abbr")
    ref = pd.read_excel(d / "p.xlsx", sheet_name="panel", dtype={"state_abbr": str}).dropna(how="all")
    pd.testing.assert_frame_equal(table, ref.reset_index(drop=True), check_dtype=False, check_exact=True)
    assert len(table) == len(df)  # the empty rows below the table and the empty sheet are left out
    assert _fit(d, "p.xlsx", tmp_path / "x.json") == 0, capsys.readouterr().err
    x = json.loads((tmp_path / "x.json").read_text())
    api = SpatialPanel(ref, y="lgsp", x=["lpc", "lemp"], id="state_abbr", time="year",
                       w=read_weights(d / "w.gal").row_standardize(), model="sdm", fe="twoways").fit()
    got = pd.Series({k: v["estimate"] for k, v in x["params"].items()})[api.params.index]
    # the same numbers fitted twice; a last-bit difference (another BLAS build's summation order) can move the
    # search for rho within its xatol 1e-10, and the coefficients first order with it: ~1e-9 -> 1e-8
    np.testing.assert_allclose(got.to_numpy(), api.params.to_numpy(), rtol=1e-8)  # rho's xatol 1e-10, first order


def test_leading_zero_ids_stay_text(tmp_path):
    pd.DataFrame({"code": ["01001", "01003"], "year": [2000, 2000], "y": [1.0, 2.0]}).to_excel(
        tmp_path / "z.xlsx", index=False)
    assert load_table(str(tmp_path / "z.xlsx"), id="code")["code"].tolist() == ["01001", "01003"]


@pytest.mark.parametrize(("make", "match"), [
    (lambda p: _two_sheets(p), r"2 sheets hold data \('a', 'b'\); keep the panel alone in the workbook"),
    (lambda p: pd.DataFrame([[1, 2, 3]], columns=["id", "x", "x"]).to_excel(p, index=False),
     r"sheet 'Sheet1': the header repeats the column name\(s\) 'x'"),
    (lambda p: pd.DataFrame().to_excel(p, index=False), "no sheet of the workbook holds data"),
    (lambda p: p.write_bytes(b"not a workbook"), "cannot be read as an Excel workbook"),
])
def test_bad_workbooks(tmp_path, make, match):
    path = tmp_path / "bad.xlsx"
    make(path)
    with pytest.raises(DataError, match=match):
        load_table(str(path), id="id")


def _two_sheets(path):
    with pd.ExcelWriter(path) as xw:
        for name in ("a", "b"):
            pd.DataFrame({"id": ["u"], "v": [1.0]}).to_excel(xw, sheet_name=name, index=False)


def test_old_xls_and_a_workbook_named_csv(files, tmp_path):
    d, _ = files
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(DataError, match=r"old Excel workbook \(\.xls\); save it as \.xlsx"):
        load_table(str(tmp_path / "old.xls"))
    (tmp_path / "named.csv").write_bytes((d / "p.xlsx").read_bytes())
    with pytest.raises(DataError, match=r"named\.csv is a zip archive \(an Excel workbook\?\), not CSV text"):
        load_table(str(tmp_path / "named.csv"))
