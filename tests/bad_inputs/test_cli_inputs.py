"""Catalogue of bad command-line inputs: exit status 2, one line naming the culprit, nothing written.

Every case passes ``--json``/``--out`` into the test's folder and checks (hash before and
after) that nothing was created or changed.  Already covered elsewhere and not repeated:
missing --data file, unknown regressor, W without a unit of the panel, --draws
(tests/test_cli_fit.py); ids not in W for moran (tests/test_moran_cli.py); weights
argument combinations (tests/test_weights_cli.py).
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _catalogue_inputs import expect_cli_error, write  # noqa: E402

FIT = ["--id", "state_abbr", "--time", "year", "--y", "lgsp", "--x", "lpc", "lemp"]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """Produc 1980-1986 with logs (panel.csv) and the us48 queen W (w.mtx), written once."""
    from spillmap import datasets
    from spillmap.spatial.builders import contiguity
    from spillmap.spatial.io import write_weights

    d = tmp_path_factory.mktemp("cli_inputs")
    write_weights(contiguity(datasets.us48(), "STATE_ABBR", kind="queen"), d / "w.mtx")
    p = datasets.produc()
    p = p[p.year >= 1980].copy()
    p["lgsp"], p["lpc"], p["lemp"] = np.log(p.gsp), np.log(p.pc), np.log(p.emp)
    p.to_csv(d / "panel.csv", index=False)
    return d


@pytest.fixture
def folder(base, tmp_path):
    """The test's own folder with copies of the inputs (hashed by every case)."""
    for name in ("panel.csv", "w.mtx"):
        shutil.copy(base / name, tmp_path / name)
    return tmp_path


def _fit(folder, *extra, data="panel.csv", w="w.mtx", x=None):
    args = ["fit", "--data", folder / data, *FIT, "--w", folder / w, "--json", folder / "out.json"]
    if x is not None:
        i = args.index("--x")
        args[i + 1:i + 3] = x
    return args + list(extra)


def _panel_text(folder) -> str:
    return (folder / "panel.csv").read_text()


# ------------------------------------------------------------------- --data
def test_semicolon_separated_panel(folder, capsys):
    write(folder, "semi.csv", _panel_text(folder).replace(",", ";"))
    expect_cli_error(_fit(folder, data="semi.csv"), folder, capsys, "semi.csv: line 1", "separated by semicolons")


def test_panel_in_latin1(folder, capsys):
    write(folder, "latin.csv", _panel_text(folder).replace("ALABAMA", "ALABAMÄ").encode("latin-1"))
    expect_cli_error(_fit(folder, data="latin.csv"), folder, capsys, "latin.csv: line 2: byte 0xc4 is not UTF-8")


def test_panel_in_gbk_is_recognised(folder, capsys):
    """Excel's 'CSV' on a Chinese Windows writes GBK: the error shows the line as GBK would read it."""
    text = _panel_text(folder).replace("ALABAMA", "阿拉巴马州", 1)
    write(folder, "gbk.csv", text.encode("gbk"))
    expect_cli_error(_fit(folder, data="gbk.csv"), folder, capsys, "gbk.csv: line 2: byte 0xb0 is not UTF-8 text",
                     "it reads as Chinese in GBK", "阿拉巴马州", "'CSV UTF-8' in Excel")


def test_panel_with_byte_order_mark_is_read(folder, capsys):
    from _catalogue_inputs import run_cli

    write(folder, "bom.csv", b"\xef\xbb\xbf" + _panel_text(folder).encode("utf-8"))
    rc, out, err = run_cli(_fit(folder, "--draws", "0", "--model", "sar", data="bom.csv"), capsys)
    assert rc == 0 and "Traceback" not in err and (folder / "out.json").exists()


def test_empty_panel_file(folder, capsys):
    write(folder, "empty.csv", "")
    expect_cli_error(_fit(folder, data="empty.csv"), folder, capsys, "empty.csv is empty")


def test_panel_path_is_a_directory(folder, capsys):
    (folder / "dir.csv").mkdir()
    expect_cli_error(_fit(folder, data="dir.csv"), folder, capsys, "dir.csv is a directory")


def test_repeated_column_name(folder, capsys):
    lines = _panel_text(folder).splitlines()
    lines[0] = lines[0].replace("hwy", "pc")
    write(folder, "dup.csv", "\n".join(lines) + "\n")
    expect_cli_error(_fit(folder, data="dup.csv"), folder, capsys, "dup.csv: line 1 repeats the column name(s) 'pc'")


def test_row_with_too_many_fields(folder, capsys):
    lines = _panel_text(folder).splitlines()
    lines[4] += ",99"
    write(folder, "extra.csv", "\n".join(lines) + "\n")
    expect_cli_error(_fit(folder, data="extra.csv"), folder, capsys, "extra.csv", "Expected 15 fields in line 5, saw 16")


def test_misspelt_id_column(folder, capsys):
    args = _fit(folder)
    args[args.index("state_abbr")] = "State_Abbr"
    expect_cli_error(args, folder, capsys, "panel.csv: no column(s) 'State_Abbr'", "Did you mean 'state_abbr'?")


def test_text_cell_in_a_regressor(folder, capsys):
    write(folder, "text.csv", _panel_text(folder).replace("6,40380,", "6,4038O,", 1))  # letter O for zero in gsp
    args = _fit(folder, data="text.csv", x=["lpc", "gsp"])
    expect_cli_error(args, folder, capsys, "column 'gsp' is not numeric: '4038O' at (AL, 1980)")


def test_nan_cell_named_by_id_and_year(folder, capsys):
    import pandas as pd

    df = pd.read_csv(folder / "panel.csv")
    df.loc[(df.state_abbr == "NY") & (df.year == 1984), "lemp"] = np.nan
    df.to_csv(folder / "nan.csv", index=False)
    expect_cli_error(_fit(folder, data="nan.csv"), folder, capsys, "'lemp' at (id, time) (NY, 1984)")


def _negative_gsp(folder):
    import pandas as pd

    df = pd.read_csv(folder / "panel.csv")
    df.loc[(df.state_abbr == "TX") & (df.year == 1982), "gsp"] = -1.0
    df.to_csv(folder / "neg.csv", index=False)
    return df


@pytest.mark.filterwarnings("error::RuntimeWarning")  # NumPy's "invalid value in log" must not reach the user
def test_log_of_a_negative_value_named_by_id_and_year(folder, capsys):
    _negative_gsp(folder)
    args = _fit(folder, data="neg.csv")
    args[args.index("lgsp")] = "log(gsp)"
    expect_cli_error(args, folder, capsys, "missing or infinite values in 'log(gsp)' at (id, time) (TX, 1982)")


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_log_of_a_negative_value_in_a_formula(folder):
    from spillmap.errors import DataError
    from spillmap.estimation import SpatialPanel
    from spillmap.spatial.io import read_weights

    df = _negative_gsp(folder)
    with pytest.raises(DataError, match=r"missing or infinite values in 'log\(gsp\)' at \(id, time\) \(TX, 1982\)"):
        SpatialPanel(df, formula="log(gsp) ~ lpc + lemp", id="state_abbr", time="year",
                     w=read_weights(folder / "w.mtx"), model="sar", fe="individual")


def test_unbalanced_panel_in_diagnose(folder, capsys):
    import pandas as pd

    df = pd.read_csv(folder / "panel.csv")
    df[~((df.state_abbr == "OH") & (df.year == 1983))].to_csv(folder / "unbal.csv", index=False)
    args = _fit(folder, data="unbal.csv")
    args[0] = "diagnose"
    expect_cli_error(args, folder, capsys, "unbalanced", "cells are missing: (OH, 1983)")


def test_column_of_1e300(folder, capsys):
    import pandas as pd

    pd.read_csv(folder / "panel.csv").assign(huge=1e300).assign(huge=lambda d: d.huge * (1 + d.year % 3)) \
        .to_csv(folder / "huge.csv", index=False)
    err = expect_cli_error(_fit(folder, data="huge.csv", x=["lpc", "huge"]), folder, capsys,
                           "the variable 'huge' reaches 3e+300")
    assert "RuntimeWarning" not in err


def test_dependent_variable_near_1e200(folder, capsys):
    import pandas as pd

    df = pd.read_csv(folder / "panel.csv")
    df.assign(lgsp=df.lgsp * 1e200).to_csv(folder / "ybig.csv", index=False)
    expect_cli_error(_fit(folder, data="ybig.csv"), folder, capsys, "the variable 'lgsp' reaches")


# ---------------------------------------------------------------------- --w
def test_empty_gal(folder, capsys):
    write(folder, "empty.gal", "")
    expect_cli_error(_fit(folder, w="empty.gal"), folder, capsys, "empty.gal: the file is empty")


def test_gal_with_a_neighbour_that_is_not_a_unit(folder, capsys):
    write(folder, "two.gal", "2\nOR 2\nWA ID\nID 1\nOR\n")
    expect_cli_error(_fit(folder, w="two.gal"), folder, capsys, "two.gal", "'WA' (line 3)")


def test_weights_file_with_an_unknown_extension(folder, capsys):
    shutil.copy(folder / "w.mtx", folder / "w.txt")
    args = ["moran", "--data", folder / "panel.csv", "--id", "state_abbr", "--time", "year", "--var", "lgsp",
            "--w", folder / "w.txt", "--json", folder / "out.json"]
    expect_cli_error(args, folder, capsys, "w.txt: unknown weights file extension '.txt'")


def test_moran_variable_not_in_the_file(folder, capsys):
    args = ["moran", "--data", folder / "panel.csv", "--id", "state_abbr", "--time", "year", "--var", "gdp",
            "--w", folder / "w.mtx", "--json", folder / "out.json"]
    expect_cli_error(args, folder, capsys, "panel.csv: no column(s) 'gdp'")


def test_moran_negative_permutations(folder, capsys):
    args = ["moran", "--data", folder / "panel.csv", "--id", "state_abbr", "--var", "lgsp", "--time", "year",
            "--w", folder / "w.mtx", "--permutations", "-1", "--json", folder / "out.json"]
    expect_cli_error(args, folder, capsys, "--permutations must be >= 0, got -1")


# ------------------------------------------------------ unknown option values
@pytest.mark.parametrize(
    "option, value, needle",
    [("--model", "sarr", "argument --model: invalid choice: 'sarr'"),
     ("--fe", "two-ways", "argument --fe: invalid choice: 'two-ways'"),
     ("--lee-yu", "yes", "argument --lee-yu: invalid choice: 'yes'"),
     ("--transform", "W", "argument --transform: invalid choice: 'W'")],
)
def test_unknown_option_values(folder, capsys, option, value, needle):
    expect_cli_error(_fit(folder, option, value), folder, capsys, needle)


# -------------------------------------------------------------- weights layer
def _boxes(folder, name, geoms=None, crs="EPSG:4326", empty=False):
    import geopandas as gpd
    import shapely

    geoms = geoms or [shapely.box(k, 0, k + 1, 1) for k in range(3)]
    g = gpd.GeoDataFrame({"code": [f"c{k}" for k in range(len(geoms))]}, geometry=geoms, crs=crs)
    path = folder / name
    (g.iloc[:0] if empty else g).to_file(path)
    return path


def _weights(folder, layer, *extra):
    return ["weights", layer, "--id", "code", "--kind", "contiguity", "--out", folder / "w.gal", *extra]


def test_weights_from_a_layer_without_features(folder, capsys):
    layer = _boxes(folder, "none.gpkg", empty=True)
    expect_cli_error(_weights(folder, layer), folder, capsys, "none.gpkg has no features")


def test_weights_from_a_shapefile_without_prj(folder, capsys):
    layer = _boxes(folder, "noprj.shp")
    layer.with_suffix(".prj").unlink()
    # contiguity needs no CRS (it only asks which polygons touch); a distance kind does, and says how to give it
    expect_cli_error(["weights", layer, "--id", "code", "--kind", "knn", "--k", "1", "--out", folder / "w.gwt"], folder,
                     capsys, "noprj.shp has no coordinate reference system", ".prj", "--assume-crs")


def test_weights_from_a_layer_mixing_points_and_polygons(folder, capsys):
    import shapely

    layer = _boxes(folder, "mixed.gpkg", geoms=[shapely.box(0, 0, 1, 1), shapely.Point(5, 5), shapely.box(1, 0, 2, 1)])
    expect_cli_error(_weights(folder, layer), folder, capsys, "mixed.gpkg: spillmap needs polygons", "'c1' (Point)")


def test_weights_misspelt_id(folder, capsys):
    layer = _boxes(folder, "l.gpkg")
    args = _weights(folder, layer)
    args[args.index("code")] = "CODE"
    expect_cli_error(args, folder, capsys, "no id column 'CODE'", "Did you mean 'code'?")


@pytest.mark.parametrize(
    "extra, needle",
    [(["--kind", "knn", "--k", "0"], "--k: k must be >= 1, got 0"),
     (["--kind", "knn", "--k", "5"], "k must be between 1 and N-1 = 2; got 5"),
     (["--kind", "inverse_distance", "--alpha", "-1"], "--alpha: alpha must be a positive number"),
     (["--islands", "ignore"], "argument --islands: invalid choice: 'ignore'")],
)
def test_weights_bad_option_values(folder, capsys, extra, needle):
    layer = _boxes(folder, "l.gpkg")
    expect_cli_error(_weights(folder, layer, *extra), folder, capsys, needle)


# --------------------------------------------------------- a real process
def test_a_real_process_prints_no_traceback(folder):
    """End to end in a child process: exit 2, one stderr line, no traceback, nothing written."""
    from _catalogue_inputs import snapshot

    write(folder, "bad.gal", "2\nOR 2\nWA ID\nID 1\nOR\n")
    before = snapshot(folder)
    proc = subprocess.run([sys.executable, "-m", "spillmap", *map(str, _fit(folder, w="bad.gal"))],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert proc.stderr.startswith("spillmap fit: error: ") and "'WA' (line 3)" in proc.stderr
    assert snapshot(folder) == before


def test_ids_that_lost_their_leading_zeros_get_a_hint(folder, capsys):
    """W written with 5-digit codes ('01001'); the panel's codes were saved as numbers (1001)."""
    import pandas as pd

    df = pd.read_csv(folder / "panel.csv")
    codes = {s: f"{k:05d}" for k, s in enumerate(sorted(df.state_abbr.unique()), start=1001)}
    text = (folder / "w.mtx").read_text()
    for s, c in codes.items():
        text = text.replace(f"%spillmap-id {s}\n", f"%spillmap-id {c}\n")
    write(folder, "zeros.mtx", text)
    df.assign(state_abbr=df.state_abbr.map(codes).astype(int)).to_csv(folder / "num.csv", index=False)
    expect_cli_error(_fit(folder, data="num.csv", w="zeros.mtx"), folder, capsys,
                     "zeros.mtx", "ids in the data but not in W: '1001'",
                     "48 id(s) of the file match the data's only without their leading zeros (e.g. '01001' in the file")


def test_ids_in_another_letter_case_get_a_hint(folder, capsys):
    """W's ids in lower case ('al'), the panel's in upper case ('AL')."""
    import re

    text = re.sub(r"^%spillmap-id (\w+)$", lambda m: f"%spillmap-id {m.group(1).lower()}",
                  (folder / "w.mtx").read_text(), flags=re.M)
    write(folder, "lower.mtx", text)
    expect_cli_error(_fit(folder, w="lower.mtx"), folder, capsys, "lower.mtx",
                     "The data's ids differ from the file's ids in letter case only ('AL' against 'al')")


@pytest.mark.parametrize("cell, why", [("40,380", "written with thousands separators"),
                                       ("4.1%", "a percentage with its sign"),
                                       (".", "a missing-value mark: leave the cell empty"),
                                       ("\uff14\uff10\uff13\uff18\uff10", "a number written with non-ASCII "
                                        "characters, '40380' in ASCII"),  # full-width digits (Chinese IME)
                                       ("\u221240380", "a number written with non-ASCII characters, '-40380'")])
def test_export_habits_in_a_cell_are_explained(folder, capsys, cell, why):
    # the first gsp cell of (AL, 1980) is 40380; the CSV quotes the edited cell when it holds a comma
    write(folder, "habit.csv", _panel_text(folder).replace("6,40380,", f'6,"{cell}",', 1))
    fit = _fit(folder, data="habit.csv", x=["lpc", "gsp"])
    expect_cli_error(fit, folder, capsys, f"column 'gsp' is not numeric: '{cell}' ({why}", "at (AL, 1980)")
    moran = ["moran", "--data", folder / "habit.csv", "--id", "state_abbr", "--time", "year", "--var", "gsp",
             "--w", folder / "w.mtx", "--json", folder / "out.json"]
    expect_cli_error(moran, folder, capsys, f"column 'gsp' is not numeric: '{cell}' ({why}", "at (AL, 1980)")


def test_moran_text_cell_is_named_by_id_and_year(folder, capsys):
    write(folder, "text.csv", _panel_text(folder).replace("6,40380,", "6,4038O,", 1))
    args = ["moran", "--data", folder / "text.csv", "--id", "state_abbr", "--time", "year", "--var", "gsp",
            "--w", folder / "w.mtx", "--json", folder / "out.json"]
    expect_cli_error(args, folder, capsys, "column 'gsp' is not numeric: '4038O' at (AL, 1980)")


def test_transform_of_a_text_cell_is_named_by_id_and_year(folder, capsys):
    # was formulaic's "Unable to evaluate factor `log(gsp)` [TypeError: loop of ufunc ...]"
    write(folder, "text.csv", _panel_text(folder).replace("6,40380,", "6,4038O,", 1))
    fit = _fit(folder, data="text.csv", x=["lpc", "log(gsp)"])
    expect_cli_error(fit, folder, capsys, "--y/--x: 'log(gsp)': column 'gsp' is not numeric: '4038O' at (AL, 1980)")
    moran = ["moran", "--data", folder / "text.csv", "--id", "state_abbr", "--time", "year", "--var", "log(gsp)",
             "--w", folder / "w.mtx", "--json", folder / "out.json"]
    expect_cli_error(moran, folder, capsys, "--var: 'log(gsp)': column 'gsp' is not numeric: '4038O' at (AL, 1980)")


def test_economic_weights_variable_not_in_the_panel(folder, capsys):
    layer = _boxes(folder, "l.gpkg")
    write(folder, "p.csv", "code,year,gdp\nc0,2001,1\nc1,2001,2\nc2,2001,3\n")
    args = ["weights", layer, "--id", "code", "--kind", "economic_distance", "--data", folder / "p.csv",
            "--time", "year", "--var", "GDP", "--out", folder / "w.gal"]
    expect_cli_error(args, folder, capsys, "p.csv: no column(s) 'GDP'", "Did you mean 'gdp'?")
