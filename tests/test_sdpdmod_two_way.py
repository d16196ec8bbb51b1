"""spillmap against R SDPDmod 0.0.6 on the Cigar panel: its vignette's two-way dynamic SDM.

Data and method as in tests/test_sdpdmod_reference.py (SDPDmod's vignette ``inst/doc/spatial_model.html``,
github.com/cran/SDPDmod tag 0.0.6).

The vignette's two-way dynamic SDM (``mod5``: ``effect = "twoways"``, ``LYtrans = T``, Lee & Yu's
transformation approach: ``F_N`` for the time effects, unit demeaning, the YdJL correction on
``W* = F' W F``) is spillmap's ``lee_yu="ydjl"``.  Its printed estimate (rho 0.162189) is that
estimator's correction *after* SDPDmod passes its average information matrix through
``Matrix::nearPD`` (defaults: eigenvalues below ``1e-6`` of the largest are dropped, then floored at
``1e-8`` of it).  That matrix is ill-conditioned here (smallest / largest eigenvalue 7.9e-7: the
sigma2 entry ``1/(2 sigma^4)`` is 3.6e5, and ``W y_t`` and ``W y_{t-1}`` are nearly collinear with tau
near 0.86), so nearPD replaces its smallest eigenvalue (0.29) by 0.0036 and the correction moves
(rho, eta) 80 times further along the flat direction: rho 0.0766 -> 0.1622 instead of -> 0.0760.
The tests check the whole chain: the uncorrected likelihood, the correction with a plain inverse,
the correction through a transcription of ``nearPD`` (which gives every printed digit), and the
standard errors.  Numbers not printed in the vignette (the uncorrected estimate; the correction with
``solve(SIG)`` in place of ``solve(nearPD(SIG)$mat)``, one line of R/SDPDm.R changed) come from
running SDPDmod 0.0.6 on 2026-12-01 under R 4.2.2 (Debian bookworm's r-base-core, plm 2.6-2,
Matrix 1.5-3), printed with ``sprintf("%.12g")``; that run also printed the vignette's values
(``tests/r_reference/sdpdmod_reference.R`` reprints them).
spillmap's default ``lee_yu="transformation"`` is a different estimator (module notes of
estimation/_dynamic_ml.py) and gives rho 0.0763 here.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from spillmap.estimation import SpatialPanel

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the helpers sit next to this file
from _dynamic_oracle import DenseDynamic, orthonormal_complement  # noqa: E402
from _sdpdmod_common import as_printed, cigar_panel, epsilon, numbers, sdpdmod_se  # noqa: E402

# the dense reference computations here run on one BLAS thread (see conftest.one_blas_thread)
pytestmark = pytest.mark.usefixtures("one_blas_thread")


@pytest.fixture(scope="module")
def cigar():
    return cigar_panel()


# ------------------------------------------------------------------ mod5: the two-way dynamic SDM
#: oracle order of the mod5 parameters (tests/_dynamic_oracle.py: X, W X, y(t-1), W y(t-1); rho, sigma2)
_MOD5 = ("logp", "logy", "W_logp", "W_logy", "tau", "eta", "rho", "sigma2")
#: SDPDmod 0.0.6 run here (module notes): ``mod5$coefficients``, ``$rho``, ``$sige``, sprintf("%.12g")
_MOD5_UNCORRECTED = ("-0.300024268461", "0.121938177418", "0.159369212376", "-0.0338087934921",
                     "0.823598636551", "-0.0107011249067", "0.0766386724971", "0.00117158869139")
#: the same run with ``solve(SIG)`` for ``solve(nearPD(SIG)$mat)``: ``$coefficients1``, ``$rho1``, ``$sige1``
_MOD5_PLAIN_INVERSE = ("-0.265966296267", "0.0997955842084", "0.170279252998", "-0.022349934606",
                       "0.864577738892", "-0.0150507914711", "0.0760345700386", "0.00121198260208")
#: the same run unchanged: ``$coefficients1``, ``$rho1``, ``$sige1`` (the vignette's numbers, all digits)
_MOD5_NEARPD = ("-0.270872239461", "0.104261680891", "0.19559460033", "-0.0324638959758",
                "0.864411768344", "-0.0962702927587", "0.162188969718", "0.0012127951679")
#: the vignette's printed ``summary(mod5)`` (sigma2 is not printed)
_MOD5_PRINTED = ("-0.270872", "0.104262", "0.195595", "-0.032464", "0.864412", "-0.096270", "0.162189")
_MOD5_PRINTED_SE = ("0.023145", "0.029783", "0.043870", "0.039520", "0.012879", "0.038810", "0.036753")


def _two_way(cigar) -> DenseDynamic:
    c, w = cigar
    n, t0 = w.n, c["year"].nunique()
    y = c["logc"].to_numpy().reshape(t0, n)
    x = c[["logp", "logy"]].to_numpy().reshape(t0, n, 2)
    return DenseDynamic(y, x, [w.toarray()] * t0, durbin=True)


def _near_pd(x: np.ndarray, eig_tol=1e-6, conv_tol=1e-7, posd_tol=1e-8, maxit=100) -> np.ndarray:
    """``Matrix::nearPD(x)`` with its defaults (Matrix 1.5-3, ``print(Matrix::nearPD)``; Higham 2002):
    Dykstra-corrected projections that drop the eigenvalues below ``eig_tol`` times the largest, then
    eigenvalues floored at ``posd_tol`` times the largest and the diagonal rescaled to the old one."""
    ds, big = np.zeros_like(x), x.copy()
    for _ in range(maxit):
        prev = big
        r = prev - ds
        d, q = np.linalg.eigh(r)
        keep = d > eig_tol * d[-1]
        big = (q[:, keep] * d[keep]) @ q[:, keep].T
        ds = big - r
        if np.abs(prev - big).sum(axis=1).max() / np.abs(prev).sum(axis=1).max() <= conv_tol:  # norm "I"
            break
    d, q = np.linalg.eigh(big)
    eps = posd_tol * abs(d[-1])
    if d[0] < eps:
        old = np.diag(big).copy()
        big = (q * np.maximum(d, eps)) @ q.T
        scale = np.sqrt(np.maximum(eps, old) / np.diag(big))
        big = scale[:, None] * big * scale[None, :]
    return big


def _mod5_corrected(oracle: DenseDynamic, theta: np.ndarray, *, near_pd: bool = False) -> np.ndarray:
    """``theta + C s``: ``s`` the YdJL vector of ``W* = F' W F`` (N - 1 units), ``C`` the inverse
    information of the ``"ydjl"`` likelihood; ``near_pd``: as SDPDmod, ``C = nearPD(C^{-1}/(n T))^{-1}/(n T)``."""
    coef, rho, s2 = theta[:6], theta[6], theta[7]
    cov = oracle.information(coef, rho, s2, "twoways", "ydjl")
    if near_pd:
        nt = (oracle.n - 1) * oracle.t
        cov = np.linalg.inv(_near_pd(np.linalg.inv(cov) / nt)) / nt
    v = oracle.ydjl_vector(theta[4], theta[5], rho, s2, transformed=True, static_part=True)
    s = np.zeros(theta.size)
    s[4:] = [v["tau"], v["eta"], v["rho"], v["sigma2"]]
    return theta + cov @ s


def test_two_way_dynamic_sdm_uncorrected_likelihood(cigar):
    """``mod5`` before its correction: Lee & Yu's transformed likelihood (``F_N'`` for the time
    effects, then unit demeaning; ``(N-1) T`` observations, ``T ln|I - rho W*|``) concentrated at
    SDPDmod's rho gives its coefficients and sigma2, and its rho is an epsilon-maximiser."""
    oracle = _two_way(cigar)
    y, wy, z = oracle.design()
    ref = numbers(_MOD5_UNCORRECTED)
    coef, s2 = oracle._ls(y - ref[6] * wy, z, "twoways", "ydjl")
    # 12 significant digits; R solves the normal equations, numpy least squares: they agree to about
    # cond(Z*'Z*) x 1e-16 (1e-10 here; measured 3e-12), hence 1e-9 beyond the printed rounding
    as_printed(np.r_[coef, s2], list(_MOD5_UNCORRECTED[:6]) + [_MOD5_UNCORRECTED[7]], slack=1e-9)
    f = orthonormal_complement(oracle.n)
    w_star = f.T @ oracle.ws[0] @ f
    exact = oracle.fit("twoways", "ydjl")

    def loglik(rho):
        c, v = oracle._ls(y - rho * wy, z, "twoways", "ydjl")
        return oracle.loglik(c, rho, v, "twoways", "ydjl")

    gap = loglik(exact[1]) - loglik(ref[6])
    assert 0 <= gap <= epsilon(w_star, oracle.t, 0.0, 0.15)


def test_two_way_dynamic_sdm_correction_and_nearpd(cigar):
    """``mod5``'s correction at its uncorrected estimate: with a plain inverse (SDPDmod with
    ``solve(SIG)``) and through ``nearPD`` (the vignette's printed numbers); and spillmap's
    ``lee_yu="ydjl"`` is that plain-inverse correction at the exact maximiser."""
    oracle = _two_way(cigar)
    base = numbers(_MOD5_UNCORRECTED)
    half = np.array([0.5 * 10.0 ** -len(p.split(".")[1]) for p in _MOD5_UNCORRECTED])
    plain = _mod5_corrected(oracle, base)
    # what the rounding of the 8 printed inputs can move the result (first order, each input by its
    # half unit; central differences of the same smooth function) plus 1e-9 for the two programs'
    # linear algebra (cond ~1e6 x 1e-16, as above)
    moved = sum(np.abs(_mod5_corrected(oracle, base + h * e) - plain)
                for h, e in zip(half, np.eye(base.size)))
    as_printed(plain, _MOD5_PLAIN_INVERSE, slack=moved + 1e-9)
    near = _mod5_corrected(oracle, base, near_pd=True)
    # nearPD's floor multiplies the flat direction's variance by 80: so does the inputs' rounding
    moved_pd = sum(np.abs(_mod5_corrected(oracle, base + h * e, near_pd=True) - near)
                   for h, e in zip(half, np.eye(base.size)))
    as_printed(near[:7], _MOD5_PRINTED, slack=moved_pd[:7] + 1e-9)
    as_printed(near, _MOD5_NEARPD, slack=moved_pd + 1e-9)
    assert abs(near[6] - plain[6]) > 0.08  # the printed rho comes from nearPD, not from the estimator
    # the engine: the same correction of its own (exact) uncorrected estimate
    c, w = cigar
    res = SpatialPanel(c, y="logc", x=["logp", "logy"], id="state", time="year", w=w, model="sdm",
                       fe="twoways", dynamic="both").fit(lee_yu="ydjl")
    coef, rho, s2 = oracle.fit("twoways", "ydjl")
    ref = _mod5_corrected(oracle, np.r_[coef, rho, s2])
    mine = np.r_[res.params[list(_MOD5[:7])].to_numpy(), res.sigma2]
    np.testing.assert_allclose(mine, ref, rtol=0, atol=1e-7)  # as tests/test_dynamic.py (search tolerances)


def test_two_way_dynamic_sdm_standard_errors(cigar):
    """``mod5``'s printed standard errors (at its nearPD-corrected estimate, its information inverted
    directly there).  Their fourth moment ``mu4`` is taken over residuals in the basis ``F_N`` that
    R's ``eigen`` returns for the N - 1 fold eigenvalue of ``J_N``; any orthonormal basis is as
    valid and ``mu4`` (unlike everything else) depends on it.  So the printed SEs must lie in the
    range spanned by 50 random bases (plus half a printed unit and the inputs' rounding)."""
    oracle = _two_way(cigar)
    theta = _mod5_corrected(oracle, numbers(_MOD5_UNCORRECTED), near_pd=True)
    f = orthonormal_complement(oracle.n)
    rng = np.random.default_rng(0)
    cov = oracle.information(theta[:6], theta[6], theta[7], "twoways", "ydjl")
    ses = np.array([sdpdmod_se(oracle, theta[:6], theta[6], theta[7], cov=cov,
                                basis=f @ np.linalg.qr(rng.normal(size=(f.shape[1],) * 2))[0])[:7]
                    for _ in range(50)])
    printed = numbers(_MOD5_PRINTED_SE)
    half = 5e-7 + 1e-8  # half a printed unit, plus the estimate's rounding (moves the SEs < 1e-8)
    assert np.all(printed >= ses.min(axis=0) - half) and np.all(printed <= ses.max(axis=0) + half), \
        list(zip(_MOD5_PRINTED_SE, ses.min(axis=0), ses.max(axis=0)))
    # not a vacuous range: for the coefficients of X and W X it is below 1e-3 relative (measured
    # 5e-4 for W*logp); for tau 2e-5; for eta and rho, which load on Omega's rho entry, about 1 %
    assert np.all((ses.max(axis=0) - ses.min(axis=0))[:5] < 1e-3 * printed[:5])
