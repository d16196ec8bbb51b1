"""Bad inputs found by the input-safety audit: exit status 2 and one line naming the culprit.

1. a layer in a geographic CRS whose coordinates are not degrees (a pyproj traceback before);
2. a value of 1e308 in ``moran``/``diagnose`` (NumPy warnings, NaN, a JSON traceback before);
3. a period unlike the others (``1971a``) reported as an unbalanced panel;
4. 0-based row positions instead of file lines (and an empty id shown as ``'nan'``);
5. a CSV with a header and no rows (a misleading error later).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent / "bad_inputs"))
from _catalogue_inputs import expect_cli_error, expect_error  # noqa: E402

from spillmap.errors import CRSError, DataError  # noqa: E402

FIT = ["--id", "state_abbr", "--time", "year", "--y", "lgsp", "--x", "lpc", "lemp"]
MORAN = ["--id", "state_abbr", "--time", "year", "--var", "lgsp", "--permutations", "0"]


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    """Produc 1980-1986 with logs, in file order (state, year)."""
    from spillmap import datasets

    p = datasets.produc()
    p = p[p.year >= 1980].reset_index(drop=True)
    p["lgsp"], p["lpc"], p["lemp"] = np.log(p.gsp), np.log(p.pc), np.log(p.emp)
    return p


@pytest.fixture(scope="module")
def wfile(tmp_path_factory) -> Path:
    from spillmap import datasets
    from spillmap.spatial.builders import contiguity
    from spillmap.spatial.io import write_weights

    path = tmp_path_factory.mktemp("audit_w") / "w.gal"
    write_weights(contiguity(datasets.us48(), "STATE_ABBR", kind="queen").binary(), path)  # GAL: lists
    return path


def _csv(df: pd.DataFrame, folder: Path, name: str = "panel.csv") -> Path:
    path = folder / name
    df.to_csv(path, index=False)
    return path


# ------------------------------------------------------------ 1. coordinates
@pytest.fixture(scope="module")
def metres_as_degrees(tmp_path_factory) -> Path:
    """The US-48 layer with coordinates x 1e5, still labelled EPSG:4326."""
    from spillmap import datasets

    layer = datasets.us48()[["STATE_ABBR", "geometry"]]
    layer = layer.set_geometry(layer.geometry.scale(1e5, 1e5, origin=(0, 0)))
    path = tmp_path_factory.mktemp("audit_layer") / "bad.geojson"
    layer.to_file(path, driver="GeoJSON")
    return path


@pytest.mark.parametrize("kind", [["--kind", "knn", "--k", "4"], ["--kind", "inverse_distance"]])
def test_weights_on_coordinates_out_of_degree_range(metres_as_degrees, tmp_path, capsys, kind):
    expect_cli_error(["weights", metres_as_degrees, "--id", "STATE_ABBR", *kind, "--out", tmp_path / "o.gwt"],
                     tmp_path, capsys, "bad.geojson: coordinates outside the longitude/latitude range of its CRS",
                     "EPSG:4326", "re:e\\.g\\. unit '[A-Z]{2}': x = ")


def test_read_boundaries_refuses_coordinates_out_of_range(metres_as_degrees, tmp_path):
    from spillmap.geo import read_boundaries

    expect_error(CRSError, lambda: read_boundaries(metres_as_degrees, "STATE_ABBR"), tmp_path,
                 "coordinates outside the longitude/latitude range")


def test_layer_built_in_python_out_of_range_is_named(us48, tmp_path):
    from spillmap.geo import centroids

    bad = us48.set_geometry(us48.geometry.scale(1e5, 1e5, origin=(0, 0)))
    expect_error(CRSError, lambda: centroids(bad, "STATE_ABBR"), tmp_path, "the layer: coordinates outside")


def test_longitudes_0_to_360_are_accepted(us48):
    from spillmap.geo._lonlat import check_lonlat_range

    check_lonlat_range(us48.set_geometry(us48.geometry.translate(360.0, 0.0)), where="x")  # no error


# ------------------------------------------------------------- 2. huge values
@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_moran_refuses_a_value_beyond_the_limit(panel, wfile, tmp_path, capsys):
    p = panel.copy()
    p.loc[5, "lgsp"] = 1e308
    data = _csv(p, tmp_path)
    expect_cli_error(["moran", "--data", data, *MORAN, "--w", wfile, "--json", tmp_path / "m.json"], tmp_path,
                     capsys, "'lgsp' reaches 1e+308", "limit 1e+100")


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_diagnose_refuses_a_huge_value_before_any_numpy_warning(panel, wfile, tmp_path, capsys):
    p = panel.copy()
    p.loc[5, "lemp"] = 1e308
    data = _csv(p, tmp_path)
    expect_cli_error(["diagnose", "--data", data, *FIT, "--w", wfile, "--permutations", "0"], tmp_path, capsys,
                     "'lemp' reaches 1e+308")


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_within_table_refuses_a_huge_value(panel, tmp_path):
    from spillmap.estimation.within import within_table

    p = panel.copy()
    p.loc[5, "lemp"] = 1e308
    expect_error(DataError, lambda: within_table(p, "state_abbr", time="year", y="lgsp", x=["lemp"]), tmp_path,
                 "'lemp' reaches 1e+308")


# ------------------------------------------------------- 3. a period unlike the others
@pytest.mark.parametrize("value", ["1981a", "1981.5", "99999999999999999999"])
@pytest.mark.parametrize("command", ["fit", "moran", "diagnose"])
def test_a_period_unlike_the_others_is_named_by_line(panel, wfile, tmp_path, capsys, value, command):
    p = panel.astype({"year": object})
    p.loc[30, "year"] = value  # file line 32
    data = _csv(p, tmp_path)
    args = MORAN if command == "moran" else [*FIT, "--model", "sar"] if command == "fit" else FIT
    expect_cli_error([command, "--data", data, *args, "--w", wfile], tmp_path, capsys,
                     f"panel.csv: line 32, column 'year': '{value}' is not a period like the others (integers)")


def test_text_and_date_periods_are_left_alone(panel):
    from spillmap._rowplace import check_periods

    for periods in (["2001Q1", "2001Q2"], ["2001-01-01", "2001-02-01"], ["y1981", "1982"]):
        df = pd.DataFrame({"t": periods * 3})
        check_periods(df, "t")  # no error
    check_periods(panel.assign(year=panel.year + 0.25 * (panel.index % 4)), "year")  # quarters as decimals


def test_join_panel_names_the_odd_period(us48, panel, tmp_path):
    from spillmap._readcsv import read_csv_table
    from spillmap.geo import join_panel

    p = panel.astype({"year": object})
    p.loc[30, "year"] = "1981a"
    df = read_csv_table(_csv(p, tmp_path), id_col="state_abbr")
    expect_error(DataError, lambda: join_panel(us48, df, id="state_abbr", time="year", layer_id="STATE_ABBR"),
                 tmp_path, "panel.csv: line 32, column 'year': '1981a'")


# ------------------------------------------------------------ 4. file lines
@pytest.mark.parametrize("command", ["fit", "moran", "diagnose"])
@pytest.mark.parametrize("column", ["year", "state_abbr"])
def test_an_empty_key_is_named_by_file_line(panel, wfile, tmp_path, capsys, command, column):
    p = panel.astype({column: object})
    p.loc[19, column] = None  # file line 21
    data = _csv(p, tmp_path)
    args = MORAN if command == "moran" else [*FIT, "--model", "sar"] if command == "fit" else FIT
    expect_cli_error([command, "--data", data, *args, "--w", wfile], tmp_path, capsys,
                     f"panel.csv: line 21, column '{column}': empty")


def test_file_lines_count_blank_lines_and_quoted_line_breaks(panel, tmp_path):
    from spillmap._readcsv import read_csv_table
    from spillmap._rowplace import check_keys_filled

    p = panel[["state", "state_abbr", "year", "lgsp"]].astype({"year": object, "state": object})
    p.loc[0, "state"] = "ALA\nBAMA"  # the first record spans lines 2-3
    p.loc[9, "year"] = None  # record 10: line 12, plus the blank line below = 13
    text = p.to_csv(index=False)
    lines = text.split("\n")
    lines.insert(5, "")  # a blank line (file line 6), skipped by pandas
    data = tmp_path / "panel.csv"
    data.write_text("\n".join(lines), encoding="utf-8")
    df = read_csv_table(data, id_col="state_abbr")
    expect_error(DataError, lambda: check_keys_filled(df, "state_abbr", "year"), tmp_path,
                 "panel.csv: line 13, column 'year': empty")


def test_excel_sheet_row(panel, wfile, tmp_path, capsys):
    p = panel.astype({"year": object})
    p.loc[19, "year"] = None
    data = tmp_path / "panel.xlsx"
    p.to_excel(data, index=False)
    expect_cli_error(["fit", "--data", data, *FIT, "--model", "sar", "--w", wfile], tmp_path, capsys,
                     "panel.xlsx, sheet 'Sheet1': row 21, column 'year': empty")


def test_a_frame_from_python_is_named_by_row_index(panel, tmp_path):
    from spillmap.estimation._data import _time_column

    p = panel.copy()
    p.loc[19, "year"] = np.nan
    expect_error(DataError, lambda: _time_column(p, "year"), tmp_path, "column 'year', row index 19: empty")


def test_layer_empty_id_is_named_by_feature_number(us48, tmp_path):
    from spillmap.geo import read_boundaries

    layer = us48[["STATE_ABBR", "geometry"]].copy()
    layer.loc[38, "STATE_ABBR"] = None
    path = tmp_path / "l.geojson"
    layer.to_file(path, driver="GeoJSON")
    expect_error(DataError, lambda: read_boundaries(path, "STATE_ABBR"), tmp_path, "number(s) 39 counting from 1")


# ------------------------------------------------------------ 5. header only
@pytest.mark.parametrize("command", ["fit", "moran", "diagnose"])
def test_header_without_rows(panel, wfile, tmp_path, capsys, command):
    data = _csv(panel.iloc[:0], tmp_path)
    args = MORAN if command == "moran" else [*FIT, "--model", "sar"] if command == "fit" else FIT
    expect_cli_error([command, "--data", data, *args, "--w", wfile], tmp_path, capsys,
                     "panel.csv has a header but no data rows")


@pytest.mark.parametrize("dtype", [object, "string[python]", "string[pyarrow]"])
def test_blank_text_key_cells_are_empty_in_every_string_dtype(dtype):
    """'', spaces and a tab are empty key cells (named by row); missing values too; a number, a
    str subclass with text, and text with inner spaces are not (the vectorised test of
    check_keys_filled)."""
    import numpy as np

    from spillmap._rowplace import check_keys_filled
    from spillmap.errors import DataError

    for blank in ("", "   ", "\t"):
        ids = pd.Series(["a", "b c", np.str_("d"), blank], dtype=dtype)
        with pytest.raises(DataError, match=r"column 'id', row index 3: empty; every row needs its unit id"):
            check_keys_filled(pd.DataFrame({"id": ids}), "id")
    check_keys_filled(pd.DataFrame({"id": pd.Series(["a", " b ", np.str_("d")], dtype=dtype)}), "id")
    if dtype is object:
        check_keys_filled(pd.DataFrame({"id": pd.Series(["a", 7, 2.5], dtype=object)}), "id")
        with pytest.raises(DataError, match=r"row index 1: empty"):
            check_keys_filled(pd.DataFrame({"id": pd.Series(["a", np.str_("  ")], dtype=object)}), "id")
