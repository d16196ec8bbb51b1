r"""Non-spatial panel regressions with pooled, unit, period and two-way fixed effects,
and the LR tests of the joint significance of the unit and the period effects.

The layout of Elhorst (2014, *Spatial Econometrics*, Table 3.1) and of the seed study's
Table 3: for each of the four models the coefficients with SEs, ``R^2``, ``sigma^2``
and the log-likelihood, then

.. math::

    LR_{unit} = 2\,(\ell_{twoways} - \ell_{time}) \sim \chi^2(N - 1), \qquad
    LR_{time} = 2\,(\ell_{twoways} - \ell_{unit}) \sim \chi^2(T - 1),
    \qquad F_{unit} = \frac{(SSE_{time} - SSE_{tw})/(N-1)}{SSE_{tw}/(NT - k - N - T + 1)},

with the Gaussian log-likelihood at the ML variance, ``l = -NT/2 [ln(2 pi
sigma^2) + 1]``, ``sigma^2 = e'e/NT`` (the least-squares-dummy-variable likelihood:
the within regression's residuals are the LSDV residuals).

Written by hand (a within transformation and ``lstsq``): linearmodels' ``PanelOLS``
gives the same coefficients and SEs (the cross-check in the tests) but no
log-likelihood or LR test of the effects; the F tests equal R plm's ``pFtest`` (tests/test_within.py).

The LR tests are asymptotic and over-reject when the number of restrictions is a
sizeable share of NT (10 % at 5 % nominal for N = 30, T = 10 in the Monte Carlo of
``tests/test_size_issue13.py``); the F forms (``f_unit``, ``f_time``; exact under normal
errors, the classical Chow-type test) are reported next to them.

Degrees of freedom: the LR tests count the ``N - 1`` (``T - 1``) restrictions that
the nested models differ by.  Elhorst (2014, p. 58) prints 46 and 30 for his
N = 46, T = 30 Cigar panel (i.e. N and T); the statistics are the same.

SEs use ``s^2 = e'e / (NT - k - n_effects)`` (``n_effects`` = 0, N, T, N + T - 1;
the exact OLS/LSDV variance, as ``PanelOLS(..., cov_type="unadjusted")``); ``sigma^2``
in the table is the ML ``e'e/NT`` (Elhorst's convention for the likelihood).
``R^2`` is ``1 - e'e / (y~ - mean y~)'(y~ - mean y~)`` with ``y~`` the transformed y
(the within R^2; the ordinary R^2 for the pooled model).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from spillmap._vocab import n_fixed_effects
from spillmap.errors import InputError
from spillmap.results import FrameDisplay, TestResult
from spillmap.spatial.lm import demean

from ._data import check_scale

__all__ = ["WithinFit", "WithinTable", "within_table", "within_fit"]

_SPECS = (("pooled", "none"), ("unit", "individual"), ("time", "time"), ("twoways", "twoways"))


@dataclass(frozen=True)
class WithinFit(FrameDisplay):
    """One non-spatial (within) regression: coefficients, SEs and fit statistics.

    ``std_errors`` are the classical OLS ones with the degrees-of-freedom correction,
    ``sqrt(diag(SSE / df_resid (X~'X~)^{-1}))`` with ``df_resid = NT - k - (number of fixed
    effects)`` (linearmodels' ``unadjusted``); ``sigma2 = SSE / NT`` and ``loglik`` are the ML
    ones (Elhorst's Table 3.1 and its LR tests of the effects use them).
    """

    effects: str
    params: pd.Series
    std_errors: pd.Series
    r2: float
    sigma2: float
    loglik: float
    nobs: int
    df_resid: int
    resid: np.ndarray | None = None
    n: int = 0
    t: int = 0
    ids: tuple = ()

    @property
    def tvalues(self) -> pd.Series:
        return self.params / self.std_errors

    def _caption(self) -> str:
        return (f"OLS with {self.effects} effects (within): N x T = {self.nobs}, R2 = {self.r2:.4f}, "
                f"sigma2 = {self.sigma2:.6g}, log-likelihood = {self.loglik:.4f}")

    def to_frame(self) -> pd.DataFrame:
        """One row per coefficient: ``estimate``, ``se``, ``t``, ``p`` (t with ``df_resid``)."""
        t = self.tvalues
        return pd.DataFrame({"estimate": self.params, "se": self.std_errors, "t": t,
                             "p": 2 * stats.t.sf(np.abs(t), self.df_resid)})


@dataclass(frozen=True)
class WithinTable(FrameDisplay):
    """Elhorst's Table 3.1: four fits and the two LR tests."""

    fits: dict
    lr_unit: TestResult
    lr_time: TestResult
    n: int
    t: int
    f_unit: TestResult | None = None
    f_time: TestResult | None = None

    def _caption(self) -> str:
        return f"Non-spatial models: pooled, unit, period and two-way fixed effects (N={self.n}, T={self.t})"

    def _notes(self) -> list[str]:
        tests = [self.lr_unit, self.lr_time, self.f_unit, self.f_time]
        return [repr(r) for r in tests if r is not None]

    def to_frame(self) -> pd.DataFrame:
        """Rows: coefficients (estimate) and their SEs, then R2, sigma2, loglik; columns the models."""
        cols, order = {}, []
        for name, f in self.fits.items():
            est = {}
            for k, v in f.params.items():
                est[f"{k}"], est[f"{k} (se)"] = v, f.std_errors[k]
            est.update(R2=f.r2, sigma2=f.sigma2, loglik=f.loglik)
            order += [k for k in est if k not in order]
            cols[name] = pd.Series(est)
        stats_last = [k for k in order if k not in ("R2", "sigma2", "loglik")] + ["R2", "sigma2", "loglik"]
        return pd.DataFrame(cols).reindex(stats_last)

    def to_dict(self) -> dict:
        """``{"fits": {model: {"params", "se", "r2", "sigma2", "loglik"}}, "lr_unit_effects", "lr_time_effects"}``."""
        fits = {k: {"params": f.params.to_dict(), "se": f.std_errors.to_dict(), "r2": f.r2, "sigma2": f.sigma2,
                    "loglik": f.loglik, "nobs": f.nobs} for k, f in self.fits.items()}
        return {"fits": fits, "lr_unit_effects": self.lr_unit.to_dict(), "lr_time_effects": self.lr_time.to_dict(),
                "f_unit_effects": None if self.f_unit is None else self.f_unit.to_dict(),
                "f_time_effects": None if self.f_time is None else self.f_time.to_dict()}


def within_fit(y: np.ndarray, x: np.ndarray, names: Sequence[str], n: int, t: int, effects: str,
               ids: Sequence = ()) -> WithinFit:
    """OLS of the (within-)transformed data; ``y``, ``x`` stacked time-major, id-minor.

    ``resid`` (the within residuals, stacked like ``y``), ``n``, ``t`` and ``ids`` make the
    fit usable by :func:`spillmap.spatial.cd.pesaran_cd` and the residual Moran test.
    """
    yd = demean(y, n, t, effects)
    xd = demean(x, n, t, effects)
    names = list(names)
    if effects == "none":
        xd = np.column_stack([np.ones(n * t), xd])
        names = ["const", *names]
    b, *_ = np.linalg.lstsq(xd, yd, rcond=None)
    e = yd - xd @ b
    sse = float(e @ e)
    n_fx = n_fixed_effects(effects, n, t)
    dfr = n * t - xd.shape[1] - n_fx
    se = np.sqrt(np.diag(sse / dfr * np.linalg.inv(xd.T @ xd)))
    yc = yd - yd.mean()
    s2 = sse / (n * t)
    return WithinFit(effects=effects, params=pd.Series(b, index=names), std_errors=pd.Series(se, index=names),
                     r2=1.0 - sse / float(yc @ yc), sigma2=s2,
                     loglik=-n * t / 2 * (np.log(2 * np.pi * s2) + 1), nobs=n * t, df_resid=dfr,
                     resid=e, n=n, t=t, ids=tuple(ids))


def within_table(panel: pd.DataFrame, id: str, *, time: str, y: str, x: Sequence[str]) -> WithinTable:  # noqa: A002
    """Pooled, unit, time and two-way fixed-effects OLS with the LR tests of the effects.

    Parameters
    ----------
    panel
        Balanced long panel (one row per ``(id, time)``).
    id, time, y, x
        Column names.

    Returns
    -------
    WithinTable

    Notes
    -----
    Formulas in the module docstring (Elhorst 2014, sec. 3.2 and Table 3.1).

    **Verification** (``tests/test_within.py``): on Baltagi's Cigar panel (N = 46,
    T = 30; ``log sales`` on ``log(price/cpi)`` and ``log(ndi/cpi)``) the LR statistics
    reproduce Elhorst's (2014, p. 58) published 2315.7 and 473.1 to their printed one
    decimal (we get 2315.700 and 473.096); coefficients and SEs of every model equal
    linearmodels ``PooledOLS``/``PanelOLS(cov_type="unadjusted")`` to 1e-10.
    """
    if isinstance(x, str):
        x = [x]
    cols = [id, time, y, *x]
    missing = [c for c in cols if c not in panel.columns]
    if missing:
        raise InputError(f"columns not in the panel: {missing}.")
    df = panel[cols].sort_values([time, id])
    n, t = df[id].nunique(), df[time].nunique()
    if len(df) != n * t or df[[id, time]].duplicated().any():
        raise InputError(f"the panel must be balanced with one row per ({id}, {time}); got {len(df)} rows for "
                         f"{n} units x {t} periods.")
    if df[[y, *x]].isna().any().any():
        raise InputError(f"missing values in {[c for c in [y, *x] if df[c].isna().any()]}; drop or impute them.")
    yv, xv = df[y].to_numpy(float), df[list(x)].to_numpy(float)
    check_scale(np.column_stack([yv, xv]), [y, *x])  # before NumPy's overflow warnings
    ids = tuple(str(i) for i in df[id].iloc[:n])
    fits = {name: within_fit(yv, xv, x, n, t, fx, ids) for name, fx in _SPECS}
    lr_u = 2 * (fits["twoways"].loglik - fits["time"].loglik)
    lr_t = 2 * (fits["twoways"].loglik - fits["unit"].loglik)
    tw = fits["twoways"]
    sse = {k: f.sigma2 * f.nobs for k, f in fits.items()}
    dfr = tw.df_resid
    f_u = (sse["time"] - sse["twoways"]) / (n - 1) / (sse["twoways"] / dfr)
    f_t = (sse["unit"] - sse["twoways"]) / (t - 1) / (sse["twoways"] / dfr)
    return WithinTable(
        f_unit=TestResult(f"F unit fixed effects (df {n - 1}, {dfr})", float(f_u), float(n - 1),
                          float(stats.f.sf(f_u, n - 1, dfr)), "the unit fixed effects are jointly zero", "F"),
        f_time=TestResult(f"F time fixed effects (df {t - 1}, {dfr})", float(f_t), float(t - 1),
                          float(stats.f.sf(f_t, t - 1, dfr)), "the period fixed effects are jointly zero", "F"),
        fits=fits,
        lr_unit=TestResult("LR unit fixed effects", float(lr_u), float(n - 1), float(stats.chi2.sf(lr_u, n - 1)),
                           "the unit fixed effects are jointly zero"),
        lr_time=TestResult("LR time fixed effects", float(lr_t), float(t - 1), float(stats.chi2.sf(lr_t, t - 1)),
                           "the period fixed effects are jointly zero"),
        n=n, t=t,
    )
