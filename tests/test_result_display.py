"""Every result type shows itself the same way: ``summary()`` (text), ``to_frame()`` (numbers)
and ``_repr_html_()`` (notebooks), as the developers' guide asks of result objects.

Each type is built here from a real computation on the US Produc panel (48 states, 1970-1986)
or the bundled layers, and each check ties the text to the numbers: a value of ``to_frame()``
must be printed by ``summary()``.  No number is compared with a reference here: the
statistics themselves are verified in their own test modules.
"""
from __future__ import annotations

import importlib
import inspect

import numpy as np
import pandas as pd
import pytest

from spillmap.results import display_number

X = ["lpcap", "lpc", "lemp", "unemp"]


def _six(v: float) -> str:
    return display_number(float(v))


@pytest.fixture(scope="module")
def panel(produc_logs, us48_queen):
    ids = list(us48_queen.ids)
    df = produc_logs[produc_logs["state_abbr"].isin(ids)].copy()
    df["state_abbr"] = pd.Categorical(df["state_abbr"], categories=ids)
    return df.sort_values(["year", "state_abbr"]).assign(state_abbr=lambda d: d["state_abbr"].astype(str))


@pytest.fixture(scope="module")
def arrays(panel):
    return panel["lgsp"].to_numpy(), panel[X].to_numpy(), panel["year"].nunique()


@pytest.fixture(scope="module")
def results(panel, arrays, us48_queen, us48):
    from spillmap.estimation import SpatialPanel, bsk_tests, model_probabilities, recover_fixed_effects, within_table
    from spillmap.geo import join_panel, read_boundaries
    from spillmap.indicators import composite_index
    from spillmap.results import TestResult
    from spillmap.spatial import geary, moran, pesaran_cd
    from spillmap.spatial.lm import panel_lm_tests
    from spillmap.spatial.residual_moran import moran_residuals
    from spillmap.datasets import data_path

    y, x, t = arrays
    w = us48_queen
    wt = within_table(panel, "state_abbr", time="year", y="lgsp", x=X)
    fit = SpatialPanel(panel, y="lgsp", x=X, id="state_abbr", time="year", w=w, model="sdm", fe="twoways").fit()
    layer = us48.rename(columns={"STATE_ABBR": "state_abbr"})
    read = read_boundaries(data_path("us48_states.geojson"), "STATE_ABBR")
    return {
        "TestResult": TestResult("LM-lag", 3.25, 1.0, 0.0715, "no spatial lag"),
        "MoranResult": moran(y[: w.n], w, permutations=99),
        "GearyResult": geary(y[: w.n], w, permutations=99),
        "LMTests": panel_lm_tests(panel, "state_abbr", time="year", y="lgsp", x=X, w=w, fe="twoways"),
        "CDTests": pesaran_cd(wt.fits["twoways"], w),
        "ResidualMoran": moran_residuals(y, x, w, t=t, fe="twoways"),
        "BSKTests": bsk_tests(y, x, w, t=t),
        "WithinTable": wt,
        "WithinFit": wt.fits["twoways"],
        "RecoveredEffects": recover_fixed_effects(fit),
        "ModelProbabilities": model_probabilities(panel, "state_abbr", time="year", y="lgsp", x=X, w=w),
        "WeightsSummary": w.summary(),
        "ReadReport": read.attrs["spillmap_read_report"],
        "JoinReport": join_panel(layer, panel, "state_abbr", time="year", variables=X).report,
        "CompositeIndex": composite_index(panel[X], name="inputs", positive=X),
    }


DISPLAYED = ["TestResult", "MoranResult", "GearyResult", "LMTests", "CDTests", "ResidualMoran", "BSKTests",
             "WithinTable", "WithinFit", "RecoveredEffects", "ModelProbabilities", "WeightsSummary", "ReadReport",
             "JoinReport", "CompositeIndex"]


@pytest.mark.parametrize("name", DISPLAYED)
def test_summary_frame_and_html(results, name):
    r = results[name]
    frame = r.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) >= 1
    text = r.summary()
    assert isinstance(text, str) and text.count("\n") >= 1
    page = r._repr_html_()
    assert "<table" in page
    # the text shows the numbers of the frame: its first finite number, at the precision
    # the text uses (6 significant digits, or the fixed decimals of the Moran/LM tables)
    numbers = frame.select_dtypes("number").to_numpy(dtype=float).ravel()
    first = next(v for v in numbers if np.isfinite(v))
    shown = {_six(first), f"{first:.6f}", f"{first:.4f}", f"{first:.2f}", f"{first:g}", str(int(first)) if first == int(first) else ""}
    assert any(s and s in text for s in shown), (name, first, text[:400])


def test_the_frames_carry_the_statistics(results):
    m = results["MoranResult"]
    assert m.to_frame().loc["Moran's I", "I"] == m.I and m.to_frame().loc["Moran's I", "p_perm"] == m.p_perm
    lm = results["LMTests"].to_frame()
    assert lm.loc["LM-lag", "stat"] == results["LMTests"].lm_lag.stat
    rm = results["ResidualMoran"]
    assert rm.to_frame().iloc[0][["I", "E[I]", "Var[I]", "stat", "p"]].tolist() == [
        rm.I, rm.expected, rm.variance, rm.test.stat, rm.test.pvalue]
    fe = results["RecoveredEffects"]
    f = fe.to_frame()
    assert f.loc[("intercept", ""), "estimate"] == fe.intercept
    assert len(f) == 1 + len(fe.unit) + len(fe.period)
    assert f.loc["unit", "estimate"].to_numpy().tolist() == fe.unit["estimate"].tolist()
    cd = results["CDTests"]
    assert cd.to_frame()["stat"].tolist() == [cd.cd.stat, cd.cd_local.stat]
    assert f"{cd.mean_abs_rho:.4f}" in cd.summary()


def test_join_report_frame_counts_what_the_report_found(results):
    rep = results["JoinReport"]
    frame = rep.to_frame()
    assert frame.loc["layer units not in the panel (dropped)", "count"] == len(rep.layer_ids_not_in_panel)
    assert frame["count"].sum() == sum(len(v) for _, v in rep._checks())
    assert rep.summary() == str(rep)


def test_study_results_and_panel_join_show_their_tables(panel, us48):
    from spillmap.geo import join_panel
    from spillmap.study import StudyResults

    layer = us48.rename(columns={"STATE_ABBR": "state_abbr"})
    pj = join_panel(layer, panel, "state_abbr", time="year", variables=X)
    assert pj.summary().startswith(repr(pj)) and str(pj.report) in pj.summary()
    assert "<table" in pj._repr_html_()
    assert hasattr(StudyResults, "summary") and hasattr(StudyResults, "_repr_html_")


def test_every_exported_result_type_has_the_three():
    """Every exported class that holds a result (named ...Result(s), ...Tests, ...Table,
    ...Probabilities, ...Effects, ...Report, ...Summary, ...Fit, ...Index) has summary(),
    to_frame() and _repr_html_(); StudyResults and PanelJoin hold several tables and have
    no single frame (their tables are ``tables`` / ``panel`` and ``report``)."""
    suffixes = ("Result", "Results", "Tests", "Table", "Probabilities", "Effects", "Report", "Summary", "Fit", "Index")
    no_frame = {"StudyResults", "PanelJoin", "ResultsTableMixin"}
    missing = []
    for module in ("spillmap.geo", "spillmap.spatial", "spillmap.estimation", "spillmap.study", "spillmap.screen",
                   "spillmap.indicators"):
        mod = importlib.import_module(module)
        for name in mod.__all__:
            obj = getattr(mod, name)
            if not (inspect.isclass(obj) and name.endswith(suffixes)) or issubclass(obj, BaseException):
                continue
            wanted = ("summary", "_repr_html_") if name in no_frame else ("summary", "to_frame", "_repr_html_")
            missing += [f"{module}.{name}.{a}" for a in wanted if not callable(getattr(obj, a, None))]
    assert not missing, missing


def test_weights_to_frame_lists_every_link(us48_queen):
    import scipy.sparse as sp

    w = us48_queen
    links = w.to_frame()
    assert list(links.columns) == ["focal", "neighbor", "weight"] and len(links) == w.nnz
    pos = {u: i for i, u in enumerate(w.ids)}
    back = sp.csr_matrix((links["weight"], (links["focal"].map(pos), links["neighbor"].map(pos))), shape=(w.n, w.n))
    assert (back != w.sparse).nnz == 0  # the same matrix, entry for entry
    assert set(links.loc[links["focal"] == "CA", "neighbor"]) == {"OR", "NV", "AZ"}  # California's land borders


def test_a_long_header_value_gets_a_line_of_its_own(panel, us48_queen):
    """A W named "queen contiguity + 1-nearest for islands" ran past the summary's box (newcomer
    audit 29 #4.7): a header value too long for its column is printed whole on a line of its own."""
    from spillmap.estimation import SpatialPanel
    from spillmap.spatial.weights import SpatialWeights

    w = SpatialWeights(us48_queen.sparse, us48_queen.ids, name="queen contiguity + 1-nearest for islands",
                       transform=us48_queen.transform)
    text = SpatialPanel(panel, y="lgsp", x=X, id="state_abbr", time="year", w=w, model="sar").fit().summary()
    lines = text.splitlines()
    width = len(lines[1])  # the rule under the title
    assert all(len(line) <= width for line in lines), text
    # the W's label: its name and its transform (a name such as "..._binary" on a row-standardised W
    # must not hide the transform, API audit 29 #11), wrapped under its key
    assert " ".join(text.split()).count("W: queen contiguity + 1-nearest for islands (row-standardised)") == 1
