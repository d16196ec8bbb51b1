"""Notebook audit 32, the engine's displays (display only: no number changes).

* #9: the scenario's "largest spillovers received" table (``summary()``, notebook) lists the units
  *not changed*, as the report (``maps/_report_scenarios.top_table``) and docs/config.md do, with the
  units' names when the scenario was given ``names=``; ``top_receivers``' own default is unchanged.
* #14: every p-value display of the spatial results (Moran, pooled Moran, Geary, the CD table) and
  the fit / effects text follows the fit table's rule (``spillmap.tables.format_p`` with 4 decimals):
  a p that underflows reads ``<0.0001``, never ``0`` / ``0.0000``.
* #7: a data frame carrying ``attrs["notice"]`` (``datasets.demo_panel()``'s synthetic-data notice)
  makes the fit and its effects print the notice first (summary, notebook) and name it in the repr;
  the estimates are identical to the same fit without the notice.

Every expected value is computed here from the result's own per-unit table or from
``scipy.stats.norm`` (independent of the display code), never hard-coded.
"""
from __future__ import annotations

import pickle
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from spillmap.estimation import SpatialPanel, scenario
from spillmap.spatial import pesaran_cd
from spillmap.spatial._moran_results import GearyResult, MoranResult

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the simulated panel sits next to this file
from test_scenario import _lattice, simulate_panel  # noqa: E402

NOTICE = "SYNTHETIC DEMONSTRATION DATA: simulated, not real observations."


@pytest.fixture(scope="module")
def w_rs():
    return _lattice(6, 5).row_standardize()


@pytest.fixture(scope="module")
def panel(w_rs):
    return simulate_panel(w_rs, t=8, seed=1)


@pytest.fixture(scope="module")
def fit(panel, w_rs):
    return SpatialPanel(panel, y="y", x=["x1", "x2"], id="id", time="t", w=w_rs, model="sdm").fit()


@pytest.fixture(scope="module")
def noticed(panel, w_rs):
    df = panel.copy()
    df.attrs["notice"] = NOTICE
    return SpatialPanel(df, y="y", x=["x1", "x2"], id="id", time="t", w=w_rs, model="sdm").fit()


# ------------------------------------------------------------------ #9 scenario table
def _expected_unchanged(r, k=10) -> list[str]:
    """The k units not changed with the largest |received| (ties by W's order), from r.units."""
    u = r.units[~r.units["shocked"]]
    order = sorted(range(len(u)), key=lambda i: (-abs(u["received"].iloc[i]), i))
    return [str(u.index[i]) for i in order[:k]]


def _section(text: str, head: str) -> list[str]:
    lines = text.split(head, 1)[1].strip("\n").splitlines()
    return [ln for ln in lines[2:] if ln.strip() and not ln.startswith("*")]  # after the column heads


def test_scenario_table_lists_units_not_changed_with_names(fit, w_rs):
    ids = list(w_rs.ids)
    attrs = pd.DataFrame({"name": [f"City {i}" for i in range(len(ids))]}, index=ids)
    r = scenario(fit, "x1", ids[:5], change=1.0, attributes=attrs, names="name", method="delta")  # one lattice row
    want = _expected_unchanged(r)
    rows = _section(r.summary(), "Largest spillovers received by units not changed")
    assert [ln.split()[0] for ln in rows] == want
    assert [" ".join(ln.split()[1:3]) for ln in rows] == [attrs.loc[i, "name"] for i in want]
    html = r._repr_html_()
    table = html.split("Largest spillovers received by units not changed", 1)[1]
    assert [table.index(f"<th>{i}</th><td>{attrs.loc[i, 'name']}</td>") for i in want] == sorted(
        table.index(f"<th>{i}</th><td>{attrs.loc[i, 'name']}</td>") for i in want)
    assert not any(f"<th>{i}</th>" in table for i in ids[:5])  # no changed unit
    # the public method keeps its documented default (every unit)
    assert r.top_receivers(3).index.tolist() == r.top_receivers(3, shocked=True).index.tolist()
    # every unit changed: the table lists them all (as the report's), under the plain caption
    r = scenario(fit, "x1", "all", change=1.0, method="delta")
    text = r.summary()
    assert "by units not changed" not in text and "Largest spillovers received" in text
    u = r.units
    order = sorted(range(len(u)), key=lambda i: (-abs(u["received"].iloc[i]), i))
    assert [ln.split()[0] for ln in _section(text, "Largest spillovers received")] == [str(u.index[i])
                                                                                       for i in order[:10]]


# ------------------------------------------------------------------ #14 p-values
def _moran(p: float) -> MoranResult:
    z = stats.norm.isf(p / 2)
    return MoranResult(I=0.5, EI=-0.01, var_norm=1e-4, var_rand=1e-4, z_norm=z, z_rand=z, p_norm=p, p_rand=p,
                       p_perm=float("nan"), permutations=0, n=3564)


def test_moran_and_geary_p_underflow_reads_below_not_zero():
    z = 50.3856  # the pooled Moran z of the notebook (nb2_cell1): p underflows to 0.0
    p = 2 * stats.norm.sf(z)
    assert p == 0.0
    m = _moran(p)
    for text in (m.summary(), m._repr_html_(), repr(m)):
        assert "<0.0001" in text or "&lt;0.0001" in text
    row = [ln for ln in m.summary().splitlines() if "p (randomisation" in ln][0]
    assert row.split()[-1] == "<0.0001"
    assert "nan" not in m.summary()  # no permutations: a dash, not "nan"
    g = GearyResult(C=0.4, EC=1.0, var_norm=1e-4, var_rand=1e-4, z_norm=-z, z_rand=-z, p_norm=p, p_rand=p,
                    p_perm=0.001, permutations=999, n=3564)
    assert "&lt;0.0001" in g._repr_html_() and "0.0010 (999)" in g.summary()


def test_moran_p_above_floor_has_four_decimals():
    p = 2 * stats.norm.sf(2.5)  # 0.012419...: 4 decimals "0.0124" (4 significant digits read "0.01242")
    assert f"p={p:.4f} (randomisation" in repr(_moran(p))


def test_pooled_moran_html_on_a_strong_panel(panel, w_rs):
    from spillmap.spatial import moran_pooled

    df = panel.assign(s=np.repeat(np.arange(8.0), 30) * 0 + np.tile(np.arange(30.0) // 5, 8))  # lattice rows
    m = moran_pooled(df, "id", w=w_rs, time="t", var="s", permutations=0)
    assert m.p_rand < 1e-4
    assert "&lt;0.0001" in m._repr_html_()


def test_cd_table_p_column_follows_the_rule(w_rs):
    rng = np.random.default_rng(0)
    common = rng.normal(size=8)
    resid = (np.repeat(common, 30) + 0.01 * rng.normal(size=240))  # one common factor: CD huge
    cd = pesaran_cd(resid, n=30, t=8)
    assert cd.cd.pvalue < 1e-4
    assert "<0.0001" in cd.summary() and "&lt;0.0001" in cd._repr_html_()
    assert cd.to_frame()["p"].iloc[0] == cd.cd.pvalue  # the data keep the number


def test_fit_and_effects_text_p_below_floor(fit):
    z = fit.tvalues["x1"]
    assert 2 * stats.norm.sf(abs(z)) < 1e-4  # the reference p of x1 (independent of the display)
    row = [ln for ln in fit.summary().splitlines() if ln.startswith("x1 ")][0]
    assert "<0.0001" in row and "0.0000" not in row
    eff = fit.impacts(draws=0)
    row = [ln for ln in eff.summary().splitlines() if ln.startswith("direct") and " x1 " in ln][0]
    assert "<0.0001" in row


# ------------------------------------------------------------------ #7 data notice
def test_notice_printed_first_and_numbers_identical(fit, noticed):
    assert fit.notice == "" and noticed.notice == NOTICE
    pd.testing.assert_series_equal(noticed.params, fit.params, check_exact=True)
    pd.testing.assert_frame_equal(noticed.cov_full, fit.cov_full, check_exact=True)
    assert noticed.loglik == fit.loglik
    assert noticed.summary().startswith("SYNTHETIC DEMONSTRATION DATA")
    assert not fit.summary().lstrip().startswith("SYNTHETIC")
    assert noticed._repr_html_().startswith('<div><p class="notice"><strong>SYNTHETIC DEMONSTRATION DATA')
    assert "[SYNTHETIC DEMONSTRATION DATA]" in repr(noticed) and "[" not in repr(fit)
    eff, eff0 = noticed.impacts(draws=0), fit.impacts(draws=0)
    pd.testing.assert_frame_equal(eff.to_frame(), eff0.to_frame(), check_exact=True)
    assert eff.notice == NOTICE and eff0.notice == ""
    assert eff.summary().startswith("SYNTHETIC") and eff._repr_html_().startswith('<p class="notice">')
    assert "[SYNTHETIC DEMONSTRATION DATA]" in repr(eff)


def test_noticed_results_stay_immutable_and_pickle(noticed):
    with pytest.raises(AttributeError):
        noticed.notice = ""  # type: ignore[misc]
    back = pickle.loads(pickle.dumps(noticed))
    assert back.notice == NOTICE and back.summary() == noticed.summary()
    pd.testing.assert_series_equal(back.params, noticed.params, check_exact=True)
    eff = pickle.loads(pickle.dumps(noticed.impacts(draws=0)))
    assert eff.notice == NOTICE


def test_dynamic_fit_prints_the_notice(panel, w_rs):
    df = panel.copy()
    df.attrs["notice"] = NOTICE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = SpatialPanel(df, y="y", x=["x1", "x2"], id="id", time="t", w=w_rs, model="sdm", dynamic="y").fit()
    assert res.notice == NOTICE and res.summary().startswith("SYNTHETIC")


def test_demo_panel_through_join_panel_reaches_the_fit():
    """The README's path: demo_panel() -> join_panel -> SpatialPanel -> fit, impacts."""
    from spillmap import datasets
    from spillmap.geo import join_panel
    from spillmap.spatial import contiguity

    layer = datasets.china_prefectures(web=True)
    layer = layer[layer["level"].isin(["municipality", "prefecture_city"])]
    joined = join_panel(layer, datasets.demo_panel(), id="adcode", time="year")
    w = contiguity(joined.layer, "adcode", kind="queen", islands="nearest")
    panel = joined.panel[joined.panel["year"] >= 2017]
    res = SpatialPanel(panel, "gtfp ~ int + ins", id="adcode", time="year", w=w, model="sar").fit()
    assert res.notice == datasets.DEMO_NOTICE
    assert res.summary().startswith("SYNTHETIC DEMONSTRATION DATA")
    assert res.impacts(draws=0).summary().startswith("SYNTHETIC DEMONSTRATION DATA")


# ------------------------------------------------------------------ the lead's patch (stop 32)
def test_the_notice_reaches_compute_effects_dynamic_effects_and_the_regression_table(noticed, panel, w_rs):
    from spillmap.estimation import compute_effects
    from spillmap.tables import regression_table

    assert compute_effects(noticed, draws=0).notice == NOTICE  # not through impacts(): was ""
    assert regression_table({"SDM": noticed}).__str__().count(NOTICE) == 1  # said once, in the notes
    df = panel.copy()
    df.attrs["notice"] = NOTICE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dyn = SpatialPanel(df, y="y", x=["x1", "x2"], id="id", time="t", w=w_rs, model="sdm", dynamic="y").fit()
    assert dyn.impacts(draws=0, method="delta").notice == NOTICE
    assert all(e.notice == NOTICE for e in dyn.effects_both(draws=0, method="delta").values())
    assert repr(dyn).endswith("[SYNTHETIC DEMONSTRATION DATA]>")


def test_lm_tests_and_a_test_result_print_a_tiny_p_as_the_fit_table(panel, w_rs):
    from spillmap.results import TestResult

    tiny = TestResult("LM-lag", 400.0, 1.0, 1e-90, "rho = 0")  # name, stat, df, p, H0
    assert "p<0.0001" in repr(tiny) and "1e-90" not in repr(tiny)  # was p=1e-90
    assert "&lt;0.0001" in tiny._repr_html_()
    assert "p=0.0312" in repr(TestResult("x", 4.6, None, 0.0312, "h"))
