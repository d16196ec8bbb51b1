"""``spillmap diagnose --lm-convention`` (issue 13)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from spillmap.cli import main

X = ["lpc", "lemp"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from spillmap import datasets
    from spillmap.spatial.builders import contiguity
    from spillmap.spatial.io import write_weights

    d = tmp_path_factory.mktemp("lmconv")
    w = contiguity(datasets.us48(), "STATE_ABBR", kind="queen")
    write_weights(w.binary(), d / "w.gal")
    p = datasets.produc()
    p = p[p.year >= 1982].copy()
    p["lgsp"], p["lpc"], p["lemp"] = np.log(p.gsp), np.log(p.pc), np.log(p.emp)
    p.to_csv(d / "panel.csv", index=False)
    return d, w.row_standardize(), p


@pytest.mark.parametrize("conv", ["elhorst", "demeaned"])
def test_lm_rows_follow_the_convention(files, conv, capsys):
    from spillmap.spatial.lm import panel_lm_tests

    d, w, p = files
    out = d / f"diag_{conv}.json"
    args = ["diagnose", "--data", str(d / "panel.csv"), "--id", "state_abbr", "--time", "year", "--y", "lgsp",
            "--x", *X, "--w", str(d / "w.gal"), "--permutations", "0", "--no-hausman", "--lm-convention", conv,
            "--json", str(out)]
    assert main(args) == 0
    assert f"LM convention = {conv}" in capsys.readouterr().out
    doc = json.loads(out.read_text())
    ref = panel_lm_tests(p, id="state_abbr", time="year", y="lgsp", x=X, w=w, fe="twoways", convention=conv)
    for key in ("lm_lag", "lm_error", "robust_lm_lag", "robust_lm_error"):
        # the same computation through the CLI: JSON floats round-trip exactly (1e-12 for safety)
        assert doc[key]["stat"] == pytest.approx(getattr(ref, key).stat, rel=1e-12), key


def test_console_says_what_each_number_is(files, capsys):
    """The console lines carry the report's row label beside the JSON key, Moran's I of the
    residuals prints I and z (I was only in the JSON), and a p-value that underflowed to 0 is
    printed as p < 1e-300 (the chi-squared statistics of the within tests run into thousands)."""
    from spillmap.cli._diagnose import _fmt

    d, _, _ = files
    out = d / "diag_console.json"
    args = ["diagnose", "--data", str(d / "panel.csv"), "--id", "state_abbr", "--time", "year", "--y", "lgsp",
            "--x", *X, "--w", str(d / "w.gal"), "--permutations", "0", "--tests", "moran_residuals", "lm",
            "--json", str(out)]
    assert main(args) == 0
    lines = {ln.split()[0]: ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("  ")}
    doc = json.loads(out.read_text())
    res = doc["moran_residuals"]
    assert f"I = {res['I']:.4f}" in lines["moran_residuals"] and f"z = {res['stat']:.3f}" in lines["moran_residuals"]
    assert lines["moran_residuals"].endswith("Moran's I of the within residuals (z, exact moments)")
    assert lines["lm_lag"].endswith("LM-lag") and lines["moran"].endswith("Moran's I of lgsp (z, pooled)")
    assert _fmt({"stat": 4194.0, "df": 2.0, "p": 0.0}).endswith("df = 2   p < 1e-300")
