"""The SAC / SARAR model against R spatialreg, an independent implementation.

Reference numbers: ``spatialreg::sacsarlm(..., method = "eigen")`` 1.2-6 (spdep 1.2-7, R 4.2.2,
Debian bookworm), run on 2026-12-01 on the bundled Produc panel (``lgsp ~ lpcap + lpc + lemp +
unemp``) and the row-standardised queen contiguity of the US-48 states (libpysal, as the
``us48_queen`` fixture), exported to CSV in W's order; printed with ``sprintf("%.12g")``
(``tests/r_reference/spatialreg_sac.R`` reprints them):

* the cross-section of 1970 (T = 1, a constant);
* the panel with state effects by the direct approach: the data demeaned by state, stacked by
  year, with ``W_NT = I_T kron W`` (the same likelihood as spillmap's ``fe="individual"``,
  ``lee_yu="none"``: the unit demeaning commutes with ``I_T kron W``).

Standard errors: spatialreg's "asymptotic vcov", the inverse of the expected (SARAR) information
matrix, which is spillmap's default ``cov_type="information"``.  Not compared: two-way effects.
There spatialreg's lags of the pre-demeaned data ``W (Q y)`` are not time-demeaned (W's columns
do not sum to one), so ML on them is not the within likelihood spillmap maximises (lags on the
raw data, then demeaned: Elhorst 2014 sec. 3.4); and the Lee-Yu ``W* = F' W F`` has a diagonal,
which a spdep neighbour list cannot hold.  The time-effects traces are checked against explicit
``F`` matrices in ``tests/test_sac.py``.

Tolerances: both programs maximise the same function, spillmap to ``xatol = 1e-10`` in
``(rho, lambda)``, spatialreg with ``nlminb``, which stops when the log-likelihood changes by less
than ``rel.tol = 1e-10`` of itself.  Near the maximum a log-likelihood short by ``delta`` leaves a
parameter off by up to ``se sqrt(2 delta)``, so each estimate is checked to
``se_j sqrt(2e-10 |loglik|)`` (plus 1e-9): 1.2e-5 for the cross-section's lambda, where the two
differ by 1.1e-6 and spillmap's concentrated log-likelihood is the higher by 7e-11.  The
log-likelihoods agree to 1e-10 relative (that stopping rule); sigma2 to 1e-6 (it moves with the
estimates at first order); the standard errors, the same formula at estimates that close, 1e-4
relative.
"""
from __future__ import annotations

import numpy as np
import pytest

from spillmap.estimation import SpatialPanel

X = ["lpcap", "lpc", "lemp", "unemp"]

#: cross-section 1970: const, lpcap, lpc, lemp, unemp, rho, lambda; s2; log-likelihood; SEs (same order)
CS = {"coef": [0.481017249719, 0.238325181562, 0.449342209722, 0.406366489585, -0.00401717242753,
               0.0176779191284, 0.630476162678],
      "s2": 0.00784749850803, "loglik": 45.3698144898,
      "se": [0.483459637504, 0.076295521169, 0.0507413410393, 0.0663522988987, 0.0135132949747,
             0.0323756396069, 0.122886666991]}
#: state effects, direct approach: lpcap, lpc, lemp, unemp, rho, lambda; s2; log-likelihood; SEs
FE = {"coef": [-0.0103496539479, 0.190578091552, 0.755237211684, -0.00306128370974,
               0.0885760258684, 0.455311617692],
      "s2": 0.000996628430187, "loglik": 1638.30232107,
      "se": [0.0255344874371, 0.0242828541152, 0.029038543822, 0.00103151298828, 0.0263124610617,
             0.0425383549346]}


def _check(res, ref):
    slack = np.array(ref["se"]) * np.sqrt(2e-10 * abs(ref["loglik"])) + 1e-9  # nlminb's stopping rule
    diff = np.abs(res.params.to_numpy() - ref["coef"])
    assert np.all(diff <= slack), list(zip(res.params.index, diff, slack))
    assert res.sigma2 == pytest.approx(ref["s2"], rel=1e-6)
    assert res.loglik == pytest.approx(ref["loglik"], rel=1e-10)  # nlminb stops at a relative change of 1e-10
    np.testing.assert_allclose(res.std_errors.to_numpy(), ref["se"], rtol=1e-4)


def test_cross_section_equals_spatialreg(produc_logs, us48_queen):
    cs = produc_logs[produc_logs.year == 1970]
    res = SpatialPanel(cs, y="lgsp", x=X, id="state_abbr", w=us48_queen, model="sac", fe="none").fit()
    assert list(res.params.index) == ["const", *X, "rho", "lambda"] and res.cov_type == "information"
    _check(res, CS)


def test_state_effects_panel_equals_spatialreg(produc_logs, us48_queen):
    res = SpatialPanel(produc_logs, y="lgsp", x=X, id="state_abbr", time="year", w=us48_queen, model="sac",
                       fe="individual").fit(lee_yu="none")
    _check(res, FE)
    # the observed information (cov_type="hessian") is another estimate of the same covariance: it
    # differs from the expected one in this sample by up to 18 % (lambda), so it is not a check of it
    hess = SpatialPanel(produc_logs, y="lgsp", x=X, id="state_abbr", time="year", w=us48_queen, model="sac",
                        fe="individual").fit(lee_yu="none", cov_type="hessian")
    # cov_type does not enter the search: the same estimates, computed twice the same way (1e-12)
    np.testing.assert_allclose(hess.params.to_numpy(), res.params.to_numpy(), rtol=0, atol=1e-12)
    assert hess.cov_type == "hessian" and not np.allclose(hess.std_errors, res.std_errors, rtol=0.01)
