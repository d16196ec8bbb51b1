"""``spillmap weights`` through :func:`spillmap.cli.main`."""
from __future__ import annotations

import numpy as np
import pytest

from spillmap.cli import main
from spillmap.spatial import builders as B
from spillmap.spatial.io import read_weights


@pytest.fixture(scope="module")
def us_path():
    from spillmap.datasets import data_path

    return str(data_path("us48_states.geojson"))


@pytest.fixture(scope="module")
def panel_csv(tmp_path_factory, produc):
    p = tmp_path_factory.mktemp("cli") / "produc.csv"
    produc.rename(columns={"state_abbr": "STATE_ABBR"}).to_csv(p, index=False)
    return str(p)


@pytest.mark.parametrize("ext", ["gal", "gwt", "mtx", "csv"])
def test_queen_all_formats(tmp_path, us_path, us48, ext, capsys):
    out = tmp_path / f"w.{ext}"
    transform = ["--transform", "b"] if ext == "gal" else []
    assert main(["weights", us_path, "--id", "STATE_ABBR", "--kind", "queen", *transform, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "units                 48" in text and f"wrote {out}" in text
    ref = B.contiguity(us48, "STATE_ABBR", transform="B" if ext == "gal" else "R")
    assert read_weights(out).equals(ref)


def test_knn_distance_and_subset(tmp_path, us_path, us48):
    out = tmp_path / "k.mtx"
    assert main(["weights", us_path, "--id", "STATE_ABBR", "--kind", "knn", "--k", "3", "--out", str(out)]) == 0
    assert read_weights(out).equals(B.knn(us48, "STATE_ABBR", k=3))
    out = tmp_path / "d.csv"
    args = ["weights", us_path, "--id", "STATE_ABBR", "--kind", "distance", "--alpha", "2", "--cutoff-km", "900"]
    assert main([*args, "--transform", "none", "--out", str(out)]) == 0
    assert read_weights(out).equals(B.inverse_distance(us48, "STATE_ABBR", alpha=2, cutoff_km=900, transform=None))
    out = tmp_path / "s.gwt"
    sub = ["--subset-column", "STATE_ABBR", "--subset-values", "WA,OR,ID,CA,NV"]
    assert main(["weights", us_path, "--id", "STATE_ABBR", "--kind", "rook", *sub, "--out", str(out)]) == 0
    w = read_weights(out)
    assert w.ids == tuple(u for u in us48["STATE_ABBR"] if u in {"WA", "OR", "ID", "CA", "NV"})  # layer order
    assert set(w.neighbors()["WA"]) == {"OR", "ID"}


def test_econ_kinds(tmp_path, us_path, us48, produc, panel_csv):
    panel = produc.rename(columns={"state_abbr": "STATE_ABBR"})
    econ = ["--data", panel_csv, "--time", "year", "--var", "gsp", "--period", "1970:1975"]
    out = tmp_path / "e.mtx"
    assert main(["weights", us_path, "--id", "STATE_ABBR", "--kind", "econ-distance", *econ, "--out", str(out)]) == 0
    ref = B.economic_distance(panel, id="STATE_ABBR", time="year", var="gsp", period=(1970, 1975), ids=us48["STATE_ABBR"])
    assert read_weights(out).equals(ref)
    out = tmp_path / "p.mtx"
    assert main(["weights", us_path, "--id", "STATE_ABBR", "--kind", "econ-product", *econ, "--out", str(out)]) == 0
    ref_p = B.economic_product(us48, panel, id="STATE_ABBR", time="year", var="gsp", period=(1970, 1975))
    assert read_weights(out).equals(ref_p)
    out = tmp_path / "n.mtx"
    assert main(["weights", us_path, "--id", "STATE_ABBR", "--kind", "nested", "--phi", "0.3", *econ, "--out", str(out)]) == 0
    ref_n = B.nested(B.inverse_distance(us48, "STATE_ABBR"), ref, 0.3)
    # MTX keeps repr digits (exact round trip) and the CLI does the same arithmetic: a few ulp at most
    np.testing.assert_allclose(read_weights(out).toarray(), ref_n.toarray(), rtol=1e-15)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--kind", "knn"], "--kind knn needs --k"),
        (["--kind", "econ-distance"], "needs --data, --time, --var"),
        (["--kind", "nested", "--data", "X", "--time", "year", "--var", "gsp", "--phi", "2"], None),
        (["--kind", "queen", "--subset-column", "nope", "--subset-values", "a"], "'nope' is not in the layer"),
        (["--kind", "queen", "--subset-column", "STATE_ABBR", "--subset-values", "ZZ"], "not found in column 'STATE_ABBR': 'ZZ'"),
        (["--kind", "econ-distance", "--data", "X", "--time", "year", "--var", "gsp", "--period", "1970"], "START:END"),
        # a ratio written as in a formula: formulaic reads a/b as nesting (two columns); say how to divide
        (["--kind", "econ-distance", "--data", "X", "--time", "year", "--var", "gsp/emp"],
         "--var: 'gsp/emp' gives 2 columns (['gsp', 'gsp:emp']); a variable must be one numeric column. In a formula "
         "+ - * / combine terms; for arithmetic write 'I(gsp/emp)'."),
        # the bundled Cigar panel lacks three states of the layer and has DC, which the layer lacks
        (["--kind", "econ-distance", "--data", "cigar", "--data-id", "state_abbr", "--time", "year", "--var", "ndi"],
         "--data cigar: panel ids do not match the layer/ids; units without 'ndi' data in the period: "),
    ],
)
def test_bad_arguments_exit_2(tmp_path, us_path, panel_csv, extra, message, capsys):
    extra = [panel_csv if a == "X" else a for a in extra]
    rc = main(["weights", us_path, "--id", "STATE_ABBR", *extra, "--out", str(tmp_path / "w.csv")])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err
    assert (message or "phi must be in [0, 1]") in err
    assert "weights.W" not in err  # the study's key path means nothing on the command line
    assert not (tmp_path / "w.csv").exists()


def test_period_without_data_and_unknown_extension(tmp_path, us_path, panel_csv, capsys):
    econ = ["--data", panel_csv, "--time", "year", "--var", "gsp", "--period", "2001:2002"]
    rc = main(["weights", us_path, "--id", "STATE_ABBR", "--kind", "econ-product", *econ, "--out", str(tmp_path / "w.csv")])
    assert rc == 2 and "no data in the period 2001-2002" in capsys.readouterr().err
    rc = main(["weights", us_path, "--id", "STATE_ABBR", "--kind", "queen", "--out", str(tmp_path / "w.txt")])
    assert rc == 2 and "unknown weights file extension '.txt'" in capsys.readouterr().err


def test_existing_output_needs_force(tmp_path, us_path, capsys):
    out = tmp_path / "w.mtx"
    out.write_text("keep me")
    args = ["weights", us_path, "--id", "STATE_ABBR", "--kind", "queen", "--out", str(out)]
    assert main(args) == 2
    assert "exists already; use --force" in capsys.readouterr().err and out.read_text() == "keep me"
    assert main([*args, "--force"]) == 0
    assert read_weights(out).n == 48


def test_ids_with_spaces_refused_before_building(tmp_path, us_path, monkeypatch, capsys):
    # STATE_NAME has 'New York' etc.: a GAL file could not hold them; the command says so
    # (exit 2) before W is built, and writes nothing
    import spillmap.cli._weights as cw

    def never(*a, **k):
        raise AssertionError("W was built before the ids were checked")

    monkeypatch.setattr(cw, "build", never)
    out = tmp_path / "w.gal"
    rc = main(["weights", us_path, "--id", "STATE_NAME", "--kind", "contiguity", "--out", str(out)])
    assert rc == 2
    err = capsys.readouterr().err
    assert "GAL separates fields by spaces" in err and "'New York'" in err and "write .mtx or .csv" in err
    assert not out.exists()
