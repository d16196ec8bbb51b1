"""Recovered fixed effects (spillmap.estimation.fixed_effects).

Oracles: a transcription of splm 1.6-5 ``felag`` (R/fixed_effects.R) and the LSDV
regression with explicit dummies.
"""
from __future__ import annotations

import numpy as np
import pytest

from spillmap.errors import InputError
from spillmap.estimation import SpatialPanel
from spillmap.estimation.fixed_effects import recover_fixed_effects

X = ["lpcap", "lpc", "lemp", "unemp"]


def _fit(df, w, model, effects):
    return SpatialPanel(df, y="lgsp", x=X, id="state_abbr", time="year", w=w, model=model, fe=effects).fit()


def test_sar_twoways_equals_splm_felag_transcription(produc_logs, us48_queen):
    res = _fit(produc_logs, us48_queen, "sar", "twoways")
    fx = recover_fixed_effects(res)
    d = res.data
    n, t = d.n, d.t
    lam, beta, sige = res.params["rho"], res.params[X].to_numpy(), res.sigma2
    y, wy, x = d.y, d.Wy, d.X
    xt = d.transformed[2]
    # felag, effects == "sptpfe"
    intercept = y.mean() - wy.mean() * lam - x.mean(0) @ beta
    ysms, wysms, xsms = y.reshape(t, n).mean(0), wy.reshape(t, n).mean(0), x.reshape(t, n, -1).mean(0)
    ytms, wytms, xtms = y.reshape(t, n).mean(1), wy.reshape(t, n).mean(1), x.reshape(t, n, -1).mean(1)
    res_sfe = ysms - wysms * lam - xsms @ beta - intercept
    res_tfe = ytms - wytms * lam - xtms @ beta - intercept
    xi = np.linalg.inv(xt.T @ xt)
    se_sfe = np.sqrt(np.diag(sige / t + sige * xsms @ xi @ xsms.T))
    se_tfe = np.sqrt(np.diag(sige / n + sige * xtms @ xi @ xtms.T))
    se_con = np.sqrt(sige / (n * t) + sige * x.mean(0) @ xi @ x.mean(0))
    # same arithmetic, different order: 1e-12
    assert fx.intercept == pytest.approx(intercept, rel=1e-12)
    assert fx.intercept_se == pytest.approx(se_con, rel=1e-12)
    assert fx.unit["estimate"].to_numpy() == pytest.approx(res_sfe, rel=1e-12, abs=1e-13)
    assert fx.unit["se"].to_numpy() == pytest.approx(se_sfe, rel=1e-12)
    assert fx.period["estimate"].to_numpy() == pytest.approx(res_tfe, rel=1e-12, abs=1e-13)
    assert fx.period["se"].to_numpy() == pytest.approx(se_tfe, rel=1e-12)
    assert list(fx.unit.index) == list(us48_queen.ids) and fx.unit.index.name == "id"
    assert abs(fx.unit["estimate"].sum()) < 1e-10 and abs(fx.period["estimate"].sum()) < 1e-10


def test_individual_equals_lsdv_dummies(produc_logs, us48_queen):
    res = _fit(produc_logs, us48_queen, "sar", "individual")
    fx = recover_fixed_effects(res)
    d = res.data
    n, t = d.n, d.t
    dummies = np.tile(np.eye(n), (t, 1))
    coef = np.linalg.lstsq(np.column_stack([d.X, dummies]), d.y - res.params["rho"] * d.Wy, rcond=None)[0]
    mu = coef[len(X):]
    # LSDV at the same rho: two least-squares solutions, 1e-9
    assert fx.unit["estimate"].to_numpy() == pytest.approx(mu - mu.mean(), abs=1e-9)
    assert fx.intercept == pytest.approx(mu.mean(), rel=1e-9)
    assert fx.period is None
    with pytest.raises(InputError):
        recover_fixed_effects(_fit(produc_logs, us48_queen, "sar", "none"))
