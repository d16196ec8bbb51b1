"""The embedded datasets load offline, with the documented shapes, keys and provenance."""
from __future__ import annotations

import json
import runpy
import sys

import numpy as np
import pandas as pd
import pytest

from spillmap import datasets


def test_china_layers_have_372_units_with_string_adcodes():
    for web in (False, True):
        g = datasets.china_prefectures(web=web)
        assert len(g) == 372  # /work/shared/data/README.md: 372 units
        assert g.crs.to_epsg() == 4326
        assert g["adcode"].map(len).eq(6).all()
        assert {"110000", "120000", "310000", "500000"} <= set(g["adcode"])
        assert g.geometry.is_valid.all()


def test_city_attributes_key_cities():
    a = datasets.china_city_attributes()
    assert len(a) == 372
    assert a["adcode"].str.len().eq(6).all()
    assert int(a["is_key_city"].sum()) == 36  # 4 municipalities + 27 capitals + 5 sub-provincial (data README)


def test_us_panels_and_layer():
    p, c, us = datasets.produc(), datasets.cigar(), datasets.us48()
    assert p.shape == (816, 12) and p["state_abbr"].nunique() == 48
    assert c.shape == (1380, 10) and c["state_abbr"].nunique() == 46
    assert len(us) == 48 and set(us["STATE_ABBR"]) == set(p["state_abbr"])


def test_demo_panel_is_balanced_labelled_and_matches_layer():
    d = datasets.demo_panel()
    assert "SYNTHETIC" in d.attrs["notice"]
    assert list(d.columns) == ["adcode", "name", "year", "gtfp", "int", "ins", "pgdp", "fdi", "trans", "inp"]
    assert d.groupby("adcode").size().eq(12).all() and d["adcode"].nunique() == 297
    g = datasets.china_prefectures()
    sub = g[g["level"].isin(["municipality", "prefecture_city"])]
    assert set(d["adcode"]) == set(sub["adcode"])
    assert not d.isna().any().any()


# 2 s: regenerates the whole shipped panel; the default suite checks its W and that the demo fit recovers
# its parameters (tests/test_demo.py)
@pytest.mark.slow
def test_demo_generator_reproduces_the_shipped_panel(tmp_path, monkeypatch):
    """The shipped CSV is exactly what data/make_demo_panel.py writes (no hand edits)."""
    script = datasets.data_path("make_demo_panel.py")
    monkeypatch.setattr(sys, "argv", ["make_demo_panel.py", "--layer", str(datasets.data_path("china_prefectures.gpkg")),
                                      "--out-dir", str(tmp_path)])
    runpy.run_path(str(script), run_name="__main__")
    new = pd.read_csv(tmp_path / "china_demo_panel.csv", dtype={"adcode": str})
    old = datasets.demo_panel()
    # the generator rounds every value to 6 decimals: a ~1e-13 difference of another BLAS in the
    # simulation can flip the last rounded digit (1e-6), nothing more -> atol 2e-6
    pd.testing.assert_frame_equal(new, old, check_exact=False, atol=2e-6, rtol=0)
    params = json.loads((tmp_path / "china_demo_panel_params.json").read_text())
    shipped = json.loads(datasets.data_path("china_demo_panel_params.json").read_text())
    # beta_int from a 2 x 2 solve on traces from dense eigenvalues of the 297 x 297 W (LAPACK geev,
    # D^-1 A is similar to a symmetric matrix: well-conditioned eigenvalues) -> ~1e-13; 1e-9
    assert params["beta"] == pytest.approx(shipped["beta"], rel=1e-9) and params["rho"] == 0.26  # 2x2 solve on geev traces: ~1e-13


def test_missing_embedded_file_is_a_clear_error():
    from spillmap.errors import InputError

    with pytest.raises(InputError, match="nope.csv"):
        datasets.data_path("nope.csv")


def test_demo_true_effects_follow_from_the_stated_coefficients():
    """Closed form check of the generator's solved int coefficients: with exact traces
    (eigenvalues of the generator's W) the direct/indirect effects equal 0.37/0.50."""
    shipped = json.loads(datasets.data_path("china_demo_panel_params.json").read_text())
    b, th, rho = shipped["beta"]["int"], shipped["theta"]["W_int"], shipped["rho"]
    # total effect with row-standardised W: (beta + theta) / (1 - rho)
    assert (b + th) / (1 - rho) == pytest.approx(0.87, abs=1e-12)  # exact 2 x 2 solve, rounding ~1e-16
    assert np.isfinite(b) and np.isfinite(th)


def test_demo_generator_w_equals_spillmaps_contiguity_builder():
    """The W that generated the demo panel (libpysal Queen + hand-written nearest-unit island
    links in data/make_demo_panel.py) equals spillmap.spatial.contiguity(islands="nearest"),
    the W1 the demo report estimates with: two independent constructions of one matrix."""
    import importlib.util

    from spillmap.spatial import contiguity

    spec = importlib.util.spec_from_file_location("make_demo_panel", datasets.data_path("make_demo_panel.py"))
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    layer = gen.units(datasets.data_path("china_prefectures.gpkg"))
    w_gen, ids = gen.contiguity_nearest(layer)
    w1 = contiguity(layer, "adcode", kind="queen", islands="nearest", k=1)
    w1 = w1.align(ids)
    assert w1.is_row_standardized and len(w1.islands) == 0
    # both row-standardise integer neighbour counts: 1/k computed in different orders, <= 1 ulp of 1
    np.testing.assert_allclose(w1.sparse.toarray(), w_gen.toarray(), rtol=0, atol=1e-15)  # 1/k two ways: <= 1 ulp of 1


def test_cigar_w_is_the_literatures_matrix_and_the_us48_contiguity():
    """The bundled 46-state W of Cigar (Elhorst's spat-sym-us via SDPDmod's usa46; data/README.md):
    188 directed binary links, symmetric, keyed by Cigar's state codes.  Independent check: on the 45
    states the us48 polygons have, it equals spillmap's queen contiguity of those polygons (libpysal's
    example layer) link for link; DC, which the layer lacks, borders MD and VA."""
    from spillmap.spatial import builders as B

    w = datasets.cigar_w()
    cigar = datasets.cigar()
    assert w.n == 46 and w.sparse.nnz == 188 and w.transform == "O"
    assert list(w.ids) == [str(s) for s in sorted(cigar["state"].unique())]
    a = w.toarray()
    assert set(np.unique(a)) == {0.0, 1.0} and np.array_equal(a, a.T)
    abbr = dict(zip(cigar["state"].astype(str), cigar["state_abbr"]))
    states = [i for i in w.ids if abbr[i] != "DC"]
    q = B.contiguity(datasets.us48(), "STATE_ABBR", transform="B")
    qi = [q.ids.index(abbr[i]) for i in states]
    wi = [w.ids.index(i) for i in states]
    np.testing.assert_array_equal(a[np.ix_(wi, wi)], q.toarray()[np.ix_(qi, qi)])
    dc = w.ids.index(next(i for i in w.ids if abbr[i] == "DC"))
    assert sorted(abbr[w.ids[j]] for j in np.flatnonzero(a[dc])) == ["MD", "VA"]


def test_bundled_weights_names_resolve_and_a_file_wins(tmp_path, monkeypatch):
    assert datasets.weights_file("cigar_w") == datasets.data_path("cigar_w_usa46_binary.csv")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cigar_w").write_text("mine")
    assert datasets.weights_file("cigar_w") == tmp_path.joinpath("cigar_w").relative_to(tmp_path)
    assert datasets.weights_file("w.gal") == type(tmp_path)("w.gal")
    from spillmap.errors import InputError

    with pytest.raises(InputError, match="weights file cigar_W does not exist; did you mean the bundled matrix 'cigar_w'"):
        datasets.weights_file("cigar_W")
