"""A weights file screens without a boundary layer (``--w W.gal`` on its own, as ``--help`` says).

The GAL is built from the bundled data with the package's own API (queen contiguity of the
bundled China layer over the demo panel's units, written by ``write_weights``).  Reference:
the same matrix held in memory, given to ``spillmap.screen`` or to ``moran`` directly (a GAL
round trip is exact: binary links), so the rows agree to rounding (1e-12 relative, as
``test_screen.py``) or byte for byte.
"""
from __future__ import annotations

import contextlib

import pandas as pd
import pytest

import spillmap
from spillmap.cli import main
from spillmap.errors import InputError
from spillmap.screen._output import parquet_bytes
from spillmap.spatial import moran

distributed = pytest.importorskip("distributed")
PERMS = 19


@pytest.fixture(scope="module")
def demo():
    from spillmap import datasets

    return datasets.demo_panel()


@pytest.fixture(scope="module")
def queen(demo):
    """Queen contiguity of the China layer's units that the demo panel has (binary, as a GAL stores it)."""
    from spillmap import datasets
    from spillmap.spatial.builders import contiguity

    layer = datasets.china_prefectures()
    layer = layer[layer["adcode"].astype(str).isin(set(demo["adcode"]))]
    return contiguity(layer, "adcode", kind="queen", islands="nearest", transform="B")


@pytest.fixture(scope="module")
def gal(queen, tmp_path_factory):
    from spillmap.spatial.io import write_weights

    path = tmp_path_factory.mktemp("w") / "W297.gal"
    write_weights(queen, path)
    return path


@pytest.fixture(scope="module")
def client():
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as c:
        yield c


@pytest.fixture
def in_process(monkeypatch, client):
    import spillmap.screen._api as api

    shared = client

    @contextlib.contextmanager
    def fake(*, client=None, scheduler=None, workers=None):
        yield shared

    monkeypatch.setattr(api, "dask_client", fake)


def test_cli_weights_file_without_layer(in_process, gal, queen, demo, tmp_path, capsys):
    """The audit's command: spillmap screen --data demo_panel --id adcode --time year --w W297.gal --out sF."""
    out = tmp_path / "sF"
    rc = main(["screen", "--data", "demo_panel", "--id", "adcode", "--time", "year", "--w", str(gal),
               "--indicators", "gtfp", "pgdp", "--permutations", str(PERMS), "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    for name in ("screen.parquet", "screen.csv", "ranking.csv", "index.html"):
        assert (out / name).is_file(), name
    assert not (out / "maps").exists()  # no layer, no maps (and no error for the default --maps-top-k)
    table = pd.read_parquet(out / "screen.parquet")
    assert set(table.w) == {"W297"} and set(table.indicator) == {"gtfp", "pgdp"}
    row = table[(table.indicator == "gtfp") & (table.period == "2010") & (table.statistic == "moran_I")]
    y = demo[demo.year == 2010].set_index("adcode")["gtfp"].reindex(list(queen.ids)).to_numpy()
    # the same closed form z'Wz / z'z on the same float64 numbers, summed in another order: ~N eps = 3e-14
    assert row.value.iloc[0] == pytest.approx(moran(y, queen.row_standardize(), permutations=0).I, rel=1e-12)  # one formula, reordered sums


def test_cli_maps_without_layer_and_id_mismatch_exit_2(in_process, gal, demo, tmp_path, capsys):
    base = ["screen", "--id", "adcode", "--time", "year", "--w", str(gal), "--out", str(tmp_path / "o")]
    assert main(base + ["--data", "demo_panel", "--maps-top-k", "3"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--maps-top-k" in err and "--layer" in err and len(err.splitlines()) == 1
    csv = tmp_path / "panel.csv"
    demo[demo.adcode != "130100"].to_csv(csv, index=False)
    assert main(base + ["--data", str(csv)]) == 2
    err = capsys.readouterr().err.strip()
    assert "130100" in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "o").exists()


def test_api_file_spec_without_layer_equals_the_matrix(gal, queen, demo, client):
    kw = dict(id="adcode", time="year", indicators=["gtfp", "fdi"], permutations=PERMS, client=client,
              statistics=("moran", "lisa"))
    for transform, w in (("R", queen.row_standardize()), ("O", queen)):
        by_file = spillmap.screen(demo, weights={"f": {"kind": "file", "path": str(gal), "transform": transform}}, **kw)
        by_matrix = spillmap.screen(demo, weights={"f": w}, **kw)
        assert parquet_bytes(by_file.table) == parquet_bytes(by_matrix.table), transform
    with pytest.raises(InputError, match="130100"):
        spillmap.screen(demo[demo.adcode != "130100"], weights={"f": {"kind": "file", "path": str(gal)}}, **kw)
    with pytest.raises(InputError, match=r"'q' \(contiguity\).*layer="):
        spillmap.screen(demo, weights={"q": {"kind": "contiguity"}}, **kw)


def test_api_economic_distance_needs_no_layer(demo, client):
    """An economic distance uses the panel only: built over the panel's ids it is the matrix built
    over the layer's (other order), so the analytic Moran's I agree."""
    from spillmap import datasets

    kw = dict(id="adcode", time="year", indicators=["gtfp"], permutations=0, client=client, statistics=("moran",))
    spec = {"e": {"kind": "economic_distance", "var": "pgdp"}}
    alone = spillmap.screen(demo, weights=spec, **kw).table
    over = spillmap.screen(demo, weights=spec, layer=datasets.china_prefectures(), **kw).table
    pick = ["period", "statistic"]
    a = alone[alone.statistic == "moran_I"].set_index(pick).value
    b = over[over.statistic == "moran_I"].set_index(pick).value
    # the same closed-form I of the same W in another unit order: only the order of the sums differs, which moves
    # a double by a few ulps (~1e-15 relative over 297 terms), hence 1e-12
    assert len(a) == 13 and a.to_numpy() == pytest.approx(b.loc[a.index].to_numpy(), rel=1e-12)  # summation order
