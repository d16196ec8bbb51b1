"""Warnings reach the user and every output (issue 8 §4): spillmap._warnings and the CLI mirrors.

A command that warns exits 0, prints one ``spillmap CMD: warning: ...`` line per distinct
warning on stderr, and writes the same messages as ``"warnings": [...]`` in its JSON.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from spillmap._warnings import capture_warnings, cli_warnings, format_cli_warning
from spillmap.errors import EstimationWarning, WeightsWarning

sys.path.insert(0, str(Path(__file__).parent))
from _catalogue_inputs import run_cli  # noqa: E402


# ----------------------------------------------------------- capture_warnings
def _islands():
    warnings.warn("W has 1 island", WeightsWarning)


def test_capture_records_each_message_once_in_order_and_shows_it_once():
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("default")
        with capture_warnings() as log:
            _islands()
            warnings.warn("rho near a bound", EstimationWarning)
            _islands()
    assert log.messages == ("W has 1 island", "rho near a bound")
    assert [r.category for r in log.records] == ["WeightsWarning", "EstimationWarning"]
    assert [str(r.message) for r in shown] == ["W has 1 island", "rho near a bound"]
    assert shown[0].filename == __file__  # shown at the place where it was raised


def test_capture_leaves_other_warnings_alone():
    with pytest.warns(UserWarning, match="not ours"):
        with capture_warnings() as log:
            warnings.warn("not ours", UserWarning)
    assert log.messages == ()


def test_ignored_warnings_are_still_recorded():
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("ignore")
        with capture_warnings() as log:
            _islands()
    assert shown == [] and log.messages == ("W has 1 island",)


def test_error_filter_raises_where_the_warning_is_raised():
    reached = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", WeightsWarning)
        with pytest.raises(WeightsWarning, match="1 island"):
            with capture_warnings():
                _islands()
                reached.append(True)
    assert reached == []


def test_cli_format_is_one_line(capsys):
    assert format_cli_warning("fit", "a\nb  c") == "spillmap fit: warning: a b c"
    with cli_warnings("moran") as log:
        _islands()
    assert capsys.readouterr().err == "spillmap moran: warning: W has 1 island\n"
    assert log.messages == ("W has 1 island",)


def test_nested_captures_both_record_and_the_user_sees_it_once(capsys):
    """A study run (inner capture) inside a CLI command (outer): both outputs list it, stderr once."""
    with cli_warnings("report") as outer:
        with capture_warnings() as inner:
            _islands()
            _islands()
    assert outer.messages == inner.messages == ("W has 1 island",)
    assert capsys.readouterr().err == "spillmap report: warning: W has 1 island\n"


# ---------------------------------------------------------------------- CLI
@pytest.fixture(scope="module")
def island_files(tmp_path_factory):
    """Five boxes, 'HI' far from the others; W built by the CLI with --islands keep; a 3-period panel."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    from spillmap.cli import main

    d = tmp_path_factory.mktemp("islands")
    boxes = [shapely.box(k, 0, k + 1, 1) for k in range(4)] + [shapely.box(10, 10, 11, 11)]
    codes = ["a", "b", "c", "d", "HI"]
    gpd.GeoDataFrame({"code": codes}, geometry=boxes, crs="EPSG:4326").to_file(d / "isl.gpkg")
    rng = np.random.default_rng(0)
    rows = [{"code": c, "year": y, "v": float(k * k + y % 3) + rng.normal(), "x": float(k + y % 2) + rng.normal()}
            for y in (2001, 2002, 2003, 2004) for k, c in enumerate(codes)]
    pd.DataFrame(rows).to_csv(d / "panel.csv", index=False)
    assert main(["weights", str(d / "isl.gpkg"), "--id", "code", "--kind", "contiguity", "--islands", "keep",
                 "--out", str(d / "isl.gal")]) == 0
    return d


def _one_warning(err: str, command: str) -> str:
    lines = [line for line in err.splitlines() if "warning:" in line]
    assert len(lines) == 1 and lines[0].startswith(f"spillmap {command}: warning: "), err
    return lines[0][len(f"spillmap {command}: warning: "):]


ISLAND = "W 'isl' has 1 island(s), units without neighbours (zero rows, spatial lag 0): 'HI'; W has 2 connected components"


@pytest.mark.parametrize("command", ["moran", "fit", "diagnose"])
def test_islands_reach_stderr_and_json(island_files, tmp_path, capsys, command):
    d = island_files
    common = ["--data", d / "panel.csv", "--id", "code", "--time", "year", "--w", d / "isl.gal",
              "--json", tmp_path / "out.json"]
    extra = {
        "moran": ["--var", "v", "--permutations", "0"],
        "fit": ["--y", "v", "--x", "x", "--model", "sar", "--fe", "individual", "--draws", "0"],
        "diagnose": ["--y", "v", "--x", "x", "--fe", "individual", "--permutations", "0", "--no-hausman"],
    }[command]
    rc, _, err = run_cli([command, *common, *extra], capsys)
    assert rc == 0, err
    msg = _one_warning(err, command)
    assert msg.startswith(ISLAND)
    assert json.loads((tmp_path / "out.json").read_text())["warnings"] == [msg]


def test_rho_near_its_bound_reaches_stderr_and_json(produc, us48_queen, tmp_path, capsys):
    """The case measured in issue 8: rho = -1.3919 against the bound -1.39239 (us48 queen), exit 0."""
    from spillmap.spatial.io import write_weights

    w = us48_queen
    ids, years = list(w.ids), sorted(produc.year.unique())
    df = produc.set_index(["year", "state_abbr"]).loc[[(t, i) for t in years for i in ids]].reset_index()
    x = np.log(df.pc.to_numpy())
    e = np.random.default_rng(1).normal(size=len(df)) * 0.01
    a = np.eye(w.n) - (w.rho_bounds[0] + 5e-4) * w.toarray()  # see test_estimation_warnings.near_bound
    n = w.n
    df["y"] = np.concatenate([np.linalg.solve(a, x[k * n:(k + 1) * n] + e[k * n:(k + 1) * n]) for k in range(len(years))])
    df["x"] = x
    df.to_csv(tmp_path / "p.csv", index=False)
    write_weights(w, tmp_path / "w.mtx")
    rc, _, err = run_cli(["fit", "--data", tmp_path / "p.csv", "--id", "state_abbr", "--time", "year", "--y", "y",
                          "--x", "x", "--w", tmp_path / "w.mtx", "--model", "sar", "--fe", "individual",
                          "--lee-yu", "none", "--draws", "0", "--json", tmp_path / "out.json"], capsys)
    assert rc == 0, err
    msg = _one_warning(err, "fit")
    assert msg.startswith("rho = -1.391") and "lower bound -1.39239" in msg
    assert json.loads((tmp_path / "out.json").read_text())["warnings"] == [msg]


def test_pythonwarnings_ignore_hides_the_line_but_not_the_json(island_files, tmp_path):
    d = island_files
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [sys.executable, "-m", "spillmap", "moran", "--data", str(d / "panel.csv"), "--id", "code", "--time", "year",
         "--var", "v", "--w", str(d / "isl.gal"), "--permutations", "0", "--json", str(tmp_path / "m.json")],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert proc.returncode == 0 and "warning" not in proc.stderr
    assert json.loads((tmp_path / "m.json").read_text())["warnings"][0].startswith(ISLAND)


@pytest.mark.parametrize("command", ["weights", "screen"])
def test_every_command_prints_its_warnings_as_one_line(island_files, tmp_path, capsys, command, monkeypatch):
    """weights, report, scenario and screen have no JSON of warnings, but their warnings reach stderr
    in the same one-line form (they were Python's two-line display: file path, then the source line)."""
    import geopandas as gpd
    import shapely

    d = island_files
    g = gpd.read_file(d / "isl.gpkg")
    g.loc[1, "geometry"] = shapely.Polygon([(1, 0), (2, 1), (2, 0), (1, 1), (1, 0)])  # a bow tie: repaired
    g.to_file(tmp_path / "bow.gpkg")
    if command == "weights":
        argv = ["weights", tmp_path / "bow.gpkg", "--id", "code", "--kind", "knn", "--k", "2",
                "--out", tmp_path / "w.gal"]
    else:
        import contextlib

        import distributed

        import spillmap.screen._api as api

        @contextlib.contextmanager
        def in_process(**kw):
            with distributed.Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as c:
                yield c

        monkeypatch.setattr(api, "dask_client", in_process)
        argv = ["screen", "--data", d / "panel.csv", "--id", "code", "--time", "year", "--layer", tmp_path / "bow.gpkg",
                "--indicators", "v", "--w", "knn:2", "--statistics", "moran", "--permutations", "0",
                "--out", tmp_path / "scr", "--quiet"]
    rc, _, err = run_cli(argv, capsys)
    assert rc == 0, err
    assert _one_warning(err, command) == f"{tmp_path / 'bow.gpkg'}: repaired 1 invalid geometry with " \
                                         "shapely.make_valid: 'b'"
