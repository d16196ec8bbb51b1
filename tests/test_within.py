"""Non-spatial FE table (spillmap.estimation.within): Elhorst (2014) Table 3.1 and linearmodels."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spillmap import datasets
from spillmap.estimation.within import within_table


@pytest.fixture(scope="module")
def cigar():
    df = datasets.cigar()
    # Elhorst (2014, sec. 3.2): log per-capita sales on log real price and log real income per capita
    df["logc"] = np.log(df["sales"])
    df["logp"] = np.log(df["price"] / df["cpi"])
    df["logy"] = np.log(df["ndi"] / df["cpi"])
    return df


def test_elhorst_table_3_1_lr_tests(cigar):
    tab = within_table(cigar, id="state", time="year", y="logc", x=["logp", "logy"])
    # Elhorst (2014), Spatial Econometrics, p. 58 / Table 3.1: LR spatial FE 2315.7 (46 df),
    # LR time FE 473.1 (30 df); printed to one decimal, hence abs 0.05
    assert tab.lr_unit.stat == pytest.approx(2315.7, abs=0.05)
    assert tab.lr_time.stat == pytest.approx(473.1, abs=0.05)
    assert (tab.lr_unit.df, tab.lr_time.df) == (45, 29)  # N-1, T-1 restrictions (Elhorst prints N, T)
    assert set(tab.to_frame().columns) == {"pooled", "unit", "time", "twoways"}
    assert tab.to_dict()["lr_unit_effects"]["stat"] == tab.lr_unit.stat


def test_coefficients_and_ses_equal_linearmodels(cigar):
    lm = pytest.importorskip("linearmodels")
    tab = within_table(cigar, id="state", time="year", y="logc", x=["logp", "logy"])
    d = cigar.set_index(["state", "year"])
    exog = d[["logp", "logy"]]
    refs = {
        "pooled": lm.PooledOLS(d["logc"], exog.assign(const=1.0)[["const", "logp", "logy"]]).fit(),
        "unit": lm.PanelOLS(d["logc"], exog, entity_effects=True).fit(),
        "time": lm.PanelOLS(d["logc"], exog, time_effects=True).fit(),
        "twoways": lm.PanelOLS(d["logc"], exog, entity_effects=True, time_effects=True).fit(),
    }
    for name, ref in refs.items():
        f = tab.fits[name]
        # closed-form least squares on both sides (no iteration): a backward-stable solver is
        # accurate to c eps cond(X)^2 relative, 2.6e-12 for the pooled design (cond 109; the FE
        # designs 30); the SEs are the same closed form.  Observed <= 2e-13 on numpy 1.26 and 2.4;
        # 1e-10 leaves a factor ~40 over the bound
        assert f.params.to_numpy() == pytest.approx(ref.params.to_numpy(), rel=1e-10), name  # LS bound above
        # the SEs: the same closed form from the same residuals and (X'X)^-1, so the same bound as above
        assert f.std_errors.to_numpy() == pytest.approx(ref.std_errors.to_numpy(), rel=1e-10), name  # as params
    assert isinstance(tab.fits["twoways"].to_frame(), pd.DataFrame)


def test_f_tests_of_the_effects_equal_plm_pftest(produc):
    """F tests of the unit and the period effects against R plm 2.6-2's ``pFtest`` of the two-way
    within regression against the period-only and the unit-only one, on Produc (R 4.2.2, run
    2026-12-01; tests/r_reference/plm_ftest.R): F(47, 748) = 93.8023373641 and F(16, 748) =
    12.3194794379 (p 4.11748956392e-29).  Sums of squares of the same least squares: 1e-9 relative."""
    df = produc.assign(lgsp=np.log(produc.gsp), lpcap=np.log(produc.pcap), lpc=np.log(produc.pc),
                       lemp=np.log(produc.emp))
    t = within_table(df, "state_abbr", time="year", y="lgsp", x=["lpcap", "lpc", "lemp", "unemp"])
    # R printed 12 digits (rounding 5e-12 relative); each sum of squares is closed-form least squares on
    # both sides (c eps cond^2 ~ 1e-12), and the F's difference of sums of squares costs at most a factor
    # SSE_unit / (SSE_unit - SSE_tw) = 4.8 more: ~1e-11 in all (observed 1.3e-13, 5.6e-13); 1e-9 for margin
    assert t.f_unit.stat == pytest.approx(93.8023373641, rel=1e-9) and t.f_unit.df == 47  # ~1e-11 bound above
    assert t.f_time.stat == pytest.approx(12.3194794379, rel=1e-9) and t.f_time.df == 16  # same ~1e-11 bound
    # the p-value's relative error is ~|d ln p / d ln F| x the F's (about 30 x 1e-11 here): 1e-8
    assert t.f_time.pvalue == pytest.approx(4.11748956392e-29, rel=1e-8)  # F(16, 748): the denominator df too
