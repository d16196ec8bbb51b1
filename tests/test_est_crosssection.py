"""Cross-section (T = 1) ML of SAR, SDM and SEM against spreg 1.9 (ML_Lag, ML_Lag with
slx_lags=1, ML_Error, method="full") on Produc 1970 with the us48 queen W,
row-standardised.  spreg is an independent implementation; the reference numbers are
computed live (spreg is a test dependency), so there is no hard-coded figure here."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from spillmap.estimation import SpatialPanel

FORMULA = "np.log(gsp) ~ np.log(pcap) + np.log(pc) + np.log(emp) + unemp"
XCOLS = ["lpcap", "lpc", "lemp", "unemp"]


@pytest.fixture(scope="module")
def queen(us48_queen):
    return us48_queen


@pytest.fixture(scope="module")
def cross(produc_logs, queen):
    df = produc_logs[produc_logs.year == 1970].copy()
    df = df.set_index("state_abbr").loc[list(queen.ids)].reset_index()
    return df


def _spreg(cls, df, queen, **kw):
    """spreg fit with a tight tolerance.  ML_Error uses method="lu": with "full"/"ord" spreg
    computes e'e in its concentrated likelihood as y'y - b'X'y, whose rounding noise (2e-9 here,
    curvature 50) lets the bounded search stop up to ~1e-5 from the optimum; "lu" forms the
    residuals from spreg 1.9 on (hence spreg >= 1.9; checked against a dense oracle: spillmap and
    spreg 1.9 "lu" agree with it to 1e-9, spreg "full" is 1e-6..1e-4 away depending on the BLAS)."""
    w = queen.to_libpysal()
    w.transform = "r"
    y = df[["lgsp"]].to_numpy()
    x = df[XCOLS].to_numpy()
    method = "lu" if cls.__name__ == "ML_Error" else "full"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(y, x, w, method=method, epsilon=1e-12, **kw)


@pytest.mark.parametrize(
    "model, cls, kw",
    [("sar", "ML_Lag", {}), ("sdm", "ML_Lag", {"slx_lags": 1}), ("sem", "ML_Error", {})],
)
def test_cross_section_matches_spreg(model, cls, kw, cross, queen):
    import spreg

    ref = _spreg(getattr(spreg, cls), cross, queen, **kw)
    res = SpatialPanel(cross, FORMULA, id="state_abbr", w=queen, model=model, fe="none").fit()
    assert res.t == 1 and res.nobs == 48 and res.lee_yu == "none"
    # spreg orders: const, x, [W_x], rho/lambda  -- same as spillmap
    # spreg's bounded Brent (scipy fminbound) stops within ~4 sqrt(eps) |rho| = 6e-8 of its optimum
    # whatever its epsilon (ours polishes rho to ~1e-14); |d beta / d rho| <= ~1 -> <= 1e-7 on the
    # coefficients, less on sigma2 (first order, small slope) and the log-likelihood (second order)
    np.testing.assert_allclose(res.params.to_numpy(), np.asarray(ref.betas).ravel(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(res.sigma2, float(np.squeeze(ref.sig2)), rtol=1e-6)
    np.testing.assert_allclose(res.loglik, float(np.squeeze(ref.logll)), rtol=0, atol=1e-6)
    # standard errors from the inverse information matrix: spreg's vm uses the same
    # formula (Anselin 1988 eqs. 6.5/6.21), evaluated at estimates ~6e-8 apart (~1e-7 relative)
    # and inverted (spreg: explicit inverse, eps cond^2 of the design ~1e-10) -> 1e-5
    np.testing.assert_allclose(res.std_errors.to_numpy(), np.sqrt(np.diag(ref.vm)), rtol=1e-5)


def test_columns_equal_formula(cross, queen):
    """y=/x= columns give the same fit as the formula."""
    a = SpatialPanel(cross, FORMULA, id="state_abbr", w=queen, model="sdm", fe="none").fit()
    b = SpatialPanel(cross, y="lgsp", x=XCOLS, id="state_abbr", w=queen, model="sdm", fe="none").fit()
    # the same design either way (identical to the last bit: difference 0 observed on numpy 1.26 and
    # 2.4); should formulaic round a column by an ulp, the estimate (the root of the analytic score,
    # polished by brentq to xtol 1e-15, then least squares with cond ~1e3) moves by ~eps cond ~1e-13,
    # far inside 1e-10
    np.testing.assert_allclose(a.params.to_numpy(), b.params.to_numpy(), rtol=0, atol=1e-10)  # ~eps cond
    assert list(b.params.index) == ["const", *XCOLS, *[f"W_{c}" for c in XCOLS], "rho"]


def test_wx_subset_and_slx(cross, queen):
    """wx= lags only some regressors; SLX equals OLS on [X, WX] (closed form)."""
    res = SpatialPanel(cross, y="lgsp", x=XCOLS, id="state_abbr", w=queen, model="slx", fe="none",
                       wx=["lpc"]).fit()
    assert list(res.params.index) == ["const", *XCOLS, "W_lpc"]
    wl = queen.lag(cross["lpc"].to_numpy())
    z = np.column_stack([np.ones(48), cross[XCOLS].to_numpy(), wl])
    b, *_ = np.linalg.lstsq(z, cross.lgsp.to_numpy(), rcond=None)
    e = cross.lgsp.to_numpy() - z @ b
    # two least-squares closed forms, cond(Z) = 533: coefficients ~eps (cond + cond^2 |e|/|Zb|) ~ 1e-12;
    # e'e relative 2 eps cond |y|/|e| (|y|/|e| = 98) = 2e-11; (Z'Z)^-1: eps cond^2 = 6e-11
    np.testing.assert_allclose(res.params.to_numpy(), b, atol=1e-10)  # least squares both ways: ~1e-12
    np.testing.assert_allclose(res.sigma2, e @ e / 48, rtol=1e-10)  # e'e both ways: 2 eps cond |y|/|e| = 2e-11
    cov = np.linalg.inv(z.T @ z) * (e @ e / 48)
    se = np.sqrt(np.diag(cov))
    np.testing.assert_allclose(res.std_errors.to_numpy(), se, rtol=1e-9)  # (Z'Z)^-1: eps cond^2 = 6e-11


def test_sdem_cross_section_vs_spreg(cross, queen):
    """SDEM = ML_Error on [X, WX]: spreg ML_Error with slx_lags=1 (method "lu")."""
    import spreg

    ref = _spreg(spreg.ML_Error, cross, queen, slx_lags=1)
    res = SpatialPanel(cross, y="lgsp", x=XCOLS, id="state_abbr", w=queen, model="sdem", fe="none").fit()
    # spreg's lambda to ~4 sqrt(eps) |lambda| (fminbound), see test_cross_section_matches_spreg
    np.testing.assert_allclose(res.params.to_numpy(), np.asarray(ref.betas).ravel(), atol=1e-6)
    np.testing.assert_allclose(res.loglik, float(np.squeeze(ref.logll)), atol=1e-6)
