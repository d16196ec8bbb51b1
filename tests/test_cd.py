"""Pesaran CD (spillmap.spatial.cd) against a pairwise loop written from Pesaran (2004) and R plm's pcdtest."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from spillmap.errors import InputError
from spillmap.spatial.cd import pesaran_cd


def _loop(e, W=None):
    """Pesaran (2004) eq. (30) and the local CD of sec. 7 (neighbour pairs i < j), by loops."""
    t, n = e.shape
    s = m = 0.0
    tot = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            r = np.corrcoef(e[:, i], e[:, j])[0, 1]
            tot += r
            if W is not None and (W[i, j] != 0 or W[j, i] != 0):
                s += r
                m += 1
    cd = np.sqrt(2 * t / (n * (n - 1))) * tot
    return cd, (np.sqrt(t / m) * s if W is not None else None)


def test_equals_loop_and_accepts_inputs(us48_queen):
    rng = np.random.default_rng(0)
    e = rng.normal(size=(10, us48_queen.n)) + 0.3 * rng.normal(size=(10, 1))
    W = us48_queen.toarray()
    ours = pesaran_cd(e, us48_queen)
    cd, cdl = _loop(e, W)
    # two exact evaluations of the same sums: 1e-12
    assert ours.cd.stat == pytest.approx(cd, rel=1e-12)  # same 1,128 correlations summed in another order: rounding ~1e-15
    assert ours.cd_local.stat == pytest.approx(cdl, rel=1e-12)  # same ~100 neighbour correlations, another order: ~1e-15
    # a stacked (time-major) vector and a results-like object give the same
    assert pesaran_cd(e.ravel(), n=48, t=10).cd.stat == ours.cd.stat

    class R:
        resid, n, t = e.ravel(), 48, 10

    assert pesaran_cd(R(), sp.csr_matrix(W)).cd_local.stat == ours.cd_local.stat
    assert ours.to_dict()["pesaran_cd"]["dist"] == "normal"
    with pytest.raises(InputError):
        pesaran_cd(e.ravel())


def test_common_factor_is_detected():
    rng = np.random.default_rng(3)
    e = rng.normal(size=(20, 30)) + rng.normal(size=(20, 1))
    assert pesaran_cd(e).cd.pvalue < 1e-6


@pytest.mark.slow
def test_size_on_independent_data(us48_queen):
    """CD on independent normal panels: a closed-form null (N(0,1) as N, T grow)."""
    rng = np.random.default_rng(11)
    reps = 2000
    rej = np.zeros(2)
    for _ in range(reps):
        r = pesaran_cd(rng.normal(size=(20, us48_queen.n)), us48_queen)
        rej += [r.cd.pvalue < 0.05, r.cd_local.pvalue < 0.05]
    # binomial SE 0.5 % at 2000 replications: 3-7 % is +-4 SE
    assert np.all((rej / reps >= 0.03) & (rej / reps <= 0.07)), rej / reps


def test_within_and_spatial_fits_are_accepted(produc_logs, us48_queen):
    from spillmap.estimation import SpatialPanel
    from spillmap.estimation.within import within_table

    x = ["lpcap", "lpc", "lemp", "unemp"]
    tab = within_table(produc_logs, id="state_abbr", time="year", y="lgsp", x=x)
    fit = tab.fits["twoways"]
    r = pesaran_cd(fit, us48_queen)
    # the same residuals reordered by hand to w's order: identical sums (1e-12)
    e = fit.resid.reshape(fit.t, fit.n)[:, [list(fit.ids).index(u) for u in us48_queen.ids]]
    assert r.cd_local.stat == pytest.approx(pesaran_cd(e, us48_queen).cd_local.stat, rel=1e-12)  # same sums reordered: ~1e-15
    sem = SpatialPanel(produc_logs, y="lgsp", x=x, id="state_abbr", time="year", w=us48_queen, model="sem",
                       fe="twoways").fit()
    assert np.isfinite(pesaran_cd(sem, us48_queen).cd.stat)


@pytest.mark.parametrize(("model", "kw"), [("sem", {"fe": "twoways"}), ("sdem", {"fe": "individual"}),
                                           ("sem", {"re": True}), ("sac", {"fe": "individual"}),
                                           ("sac", {"fe": "twoways"})])
def test_an_error_model_gives_the_cd_its_innovations(produc_logs, us48_queen, model, kw):
    """An error model's ``resid`` is the structural ``u`` (before the error filter); ``resid_filtered``
    is the innovation ``(u - lambda W u)`` of the transformed model, and it is what the CD test takes.

    References: without period effects the unit demeaning commutes with ``I_T kron W``, so the
    innovation is a dense ``I_T kron W`` product of ``u`` (the same closed form two ways: 1e-10 on
    residuals of order 0.1); with fixed effects the ML variance is ``e'e / nobs`` at the estimate
    (closed form of the concentrated likelihood; sums of ~800 squares, rounding 1e-13: 1e-9)."""
    from spillmap.estimation import SpatialPanel

    x = ["lpcap", "lpc", "lemp", "unemp"]
    fit = SpatialPanel(produc_logs, y="lgsp", x=x, id="state_abbr", time="year", w=us48_queen, model=model,
                       **kw).fit()
    u, e = fit.resid, fit.resid_filtered
    t = u.size // fit.n
    if fit.effects != "random":
        assert e @ e / fit.nobs == pytest.approx(fit.sigma2, rel=1e-9)  # closed form at the estimate; ~800 squares, rounding 1e-13
    if fit.effects in ("individual", "random"):
        dense = u - fit.params["lambda"] * np.kron(np.eye(t), fit.w.sparse.toarray()) @ u
        np.testing.assert_allclose(e, dense, rtol=0, atol=1e-10)  # one closed form two ways, residuals ~0.1: rounding ~1e-16
    assert not np.allclose(e, u, atol=1e-3)  # lambda is far from 0 on Produc
    m = e.reshape(t, fit.n)[:, [list(fit.ids).index(i) for i in us48_queen.ids]]
    local = pesaran_cd(m, us48_queen).cd_local.stat
    # the same residuals from the fit and as a matrix: the same ~100 pair correlations, summed in another order
    assert pesaran_cd(fit, us48_queen).cd_local.stat == pytest.approx(local, rel=1e-9)  # rounding ~1e-14: margin


def test_a_w_linking_every_pair_gives_the_cd_itself():
    # closed form: with every pair a neighbour, M = N(N-1)/2 and sqrt(T/M) = sqrt(2T/(N(N-1))), the
    # same sum over the same pairs (the report's note says so; the demo's W2 links every pair)
    rng = np.random.default_rng(3)
    e = rng.normal(size=(12, 9)) + rng.normal(size=(12, 1))
    full = np.ones((9, 9)) - np.eye(9)
    r = pesaran_cd(e, full / 8.0)
    assert r.cd_local.stat == pytest.approx(r.cd.stat, rel=1e-12)  # two sums of the same 36 terms


#: plm 2.6-2 ``pcdtest(plm(lgsp ~ lpcap + lpc + lemp + unemp, model = "within", effect = ...),
#: test = "cd"[, w = binary queen pattern])`` on Produc (R 4.2.2, run 2026-12-01;
#: tests/r_reference/plm_cd.R): global CD, local CD; "%.12g"
PLM_CD = {"individual": (30.3685013093, 17.552130804), "twoways": (-1.55785255839, 10.6261574301)}


@pytest.mark.parametrize("effects", sorted(PLM_CD))
def test_within_residuals_equal_plm_pcdtest(produc_logs, us48_queen, effects):
    """Global and local CD of the within regression's residuals (spillmap's baseline fit) against
    R plm's ``pcdtest``, an independent implementation: sums of correlations, 1e-9 relative."""
    from spillmap.estimation.within import within_fit
    from spillmap.spatial.autocorrelation import panel_array

    x = ["lpcap", "lpc", "lemp", "unemp"]
    arr, periods = panel_array(produc_logs, id="state_abbr", time="year", columns=["lgsp", *x], w=us48_queen)
    flat = arr.reshape(len(periods) * us48_queen.n, -1)
    fit = within_fit(flat[:, 0], flat[:, 1:], x, us48_queen.n, len(periods), effects, ids=us48_queen.ids)
    r = pesaran_cd(fit, us48_queen)
    # sums of ~1,100 correlations of the same residuals, R's printed 12 digits (5e-12): 1e-9 for margin
    np.testing.assert_allclose([r.cd.stat, r.cd_local.stat], PLM_CD[effects], rtol=1e-9)  # R's 12 digits + sums' order
