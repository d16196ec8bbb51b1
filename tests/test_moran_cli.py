"""``spillmap moran`` command line."""
from __future__ import annotations

import json

import numpy as np
import pytest

from spillmap.cli import main
from spillmap.spatial.autocorrelation import moran, moran_by_period, moran_pooled
from spillmap.spatial.io import write_weights
from spillmap.spatial.weights import SpatialWeights

libpysal = pytest.importorskip("libpysal")


@pytest.fixture(scope="module")
def files(tmp_path_factory, us48, produc):
    d = tmp_path_factory.mktemp("moran_cli")
    wq = libpysal.weights.Queen.from_dataframe(
        us48, ids=us48["STATE_ABBR"].tolist(), use_index=False, silence_warnings=True
    )
    w = SpatialWeights.from_libpysal(wq).binary()
    write_weights(w, d / "us.gal")
    df = produc.copy()
    df["lgsp"] = np.log(df["gsp"])
    df.to_csv(d / "produc.csv", index=False)
    df[df.year == 1975].to_csv(d / "cs.csv", index=False)
    return d, w, df


def test_panel_json_matches_library(files, capsys):
    d, w, df = files
    out = d / "m.json"
    rc = main(["moran", "--data", str(d / "produc.csv"), "--id", "state_abbr", "--time", "year",
               "--var", "lgsp", "--w", str(d / "us.gal"), "--permutations", "49", "--seed", "3",
               "--json", str(out)])
    assert rc == 0
    doc = json.loads(out.read_text())
    assert set(doc) == {"by_time", "pooled", "demean", "warnings"} and doc["warnings"] == []
    assert doc["demean"] == "pooled"  # the pooled test's mean (--demean)
    assert list(doc["by_time"]) == [str(y) for y in range(1970, 1987)]
    wr = w.row_standardize()
    by = moran_by_period(df, id="state_abbr", time="year", var="lgsp", w=wr, permutations=49, seed=3)
    # the CLI reads the data back from CSV (pandas < 3 parses floats to within 1 ulp, not exactly):
    # I, z, p are closed forms of the data, well conditioned -> ~1e-15 relative; 1e-12
    assert doc["by_time"]["1980"] == pytest.approx(by[1980].to_dict(), rel=1e-12)
    pooled = moran_pooled(df, id="state_abbr", time="year", var="lgsp", w=wr, permutations=49, seed=3)
    assert doc["pooled"] == pytest.approx(pooled.to_dict(), rel=1e-12)
    assert set(doc["pooled"]) == {"I", "EI", "z", "p", "p_perm"}
    printed = capsys.readouterr().out
    assert "pooled" in printed and "1986" in printed
    # the header says which p is two-sided and which one-sided (esda's folded p_sim)
    assert "randomisation z, two-sided p; 49 permutations, seed 3: p_perm is the folded pseudo p-value, " \
           "one-sided on the side of the observed I" in printed


def test_cross_section_has_no_by_time(files, capsys):
    d, w, df = files
    out = d / "cs.json"
    rc = main(["moran", "--data", str(d / "cs.csv"), "--id", "state_abbr", "--var", "lgsp",
               "--w", str(d / "us.gal"), "--transform", "B", "--permutations", "0", "--json", str(out)])
    assert rc == 0
    assert "two-sided p; no permutations)" in capsys.readouterr().out
    doc = json.loads(out.read_text())
    assert set(doc) == {"pooled", "warnings"} and doc["warnings"] == []
    cs = df[df.year == 1975].set_index("state_abbr")["lgsp"].reindex(list(w.ids))
    ref = moran(cs.to_numpy(), w, permutations=0).to_dict()
    # CSV round trip (see above): closed forms of data read back to within 1 ulp -> 1e-12
    numbers = {k: v for k, v in ref.items() if v is not None}
    assert {k: doc["pooled"][k] for k in numbers} == pytest.approx(numbers, rel=1e-12)
    assert set(doc["pooled"]) == set(ref) and doc["pooled"]["p_perm"] is None


def test_errors_exit_2_without_output(files, capsys, tmp_path):
    d, w, df = files
    bad = df.copy()
    bad.loc[bad.state_abbr == "TX", "state_abbr"] = "TEX"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    out = tmp_path / "o.json"
    rc = main(["moran", "--data", str(tmp_path / "bad.csv"), "--id", "state_abbr", "--time", "year",
               "--var", "lgsp", "--w", str(d / "us.gal"), "--json", str(out)])
    assert rc == 2 and not out.exists()
    err = capsys.readouterr().err
    assert "'TEX'" in err and "'TX'" in err and "Traceback" not in err
    rc = main(["moran", "--data", str(tmp_path / "nope.csv"), "--id", "state_abbr", "--var", "lgsp",
               "--w", str(d / "us.gal")])
    assert rc == 2 and "does not exist" in capsys.readouterr().err
    rc = main(["moran", "--data", str(d / "produc.csv"), "--id", "state_abbr", "--var", "lgsp",
               "--w", str(d / "us.gal")])
    assert rc == 2 and "give the period column" in capsys.readouterr().err
    # one file per period is spillmap fit's: said so, not "weights file W_{time}.gal does not exist"
    rc = main(["moran", "--data", str(d / "produc.csv"), "--id", "state_abbr", "--time", "year", "--var", "lgsp",
               "--w", str(d / "W_{time}.gal")])
    assert rc == 2 and "moran takes one W file for all periods" in capsys.readouterr().err
