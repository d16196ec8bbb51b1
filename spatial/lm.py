r"""Lagrange-multiplier tests for a spatial lag or a spatial error in (panel) OLS.

Written **by hand** (no library computes them for panels with fixed effects and
sparse weights: spreg's ``panel_LM*`` functions only do pooled OLS, use a
``(n-k)`` variance and square the trace term of LM-lag; Elhorst's MATLAB
``LMsarsem_panel.m`` forms a dense NT x NT residual maker).  Only NumPy/SciPy are
used: the spatial lag of stacked data is :meth:`SpatialWeights.lag_panel` (period
by period, ``I_T kron W`` is never formed), the residual maker is applied through a
thin QR of the regressors, and the trace uses sparse element-wise sums.  Memory is
O(nnz(W) + NT k).

The statistics (Anselin, Bera, Florax and Yoon 1996 for T = 1; Elhorst 2010, 2014
ch. 3 for panels), with stacked data (time-major, id-minor), ``W_NT = I_T kron W``,
OLS or within residuals ``e``, ``sigma2 = e'e / NT``:

.. math::

    T_W &= \operatorname{tr}(W'W + WW) = \textstyle\sum_{ij} w_{ij}^2 + \sum_{ij} w_{ij} w_{ji} \\
    J &= \big[(W_{NT} X b)' M (W_{NT} X b) + T\,T_W\,\sigma^2\big] / \sigma^2 \\
    LM_{lag} &= (e' W_{NT} y / \sigma^2)^2 / J \\
    LM_{err} &= (e' W_{NT} e / \sigma^2)^2 / (T\,T_W) \\
    LM^{*}_{lag} &= (e' W_{NT} y/\sigma^2 - e' W_{NT} e/\sigma^2)^2 / (J - T\,T_W) \\
    LM^{*}_{err} &= (e' W_{NT} e/\sigma^2 - (T\,T_W/J)\, e' W_{NT} y/\sigma^2)^2
                    / \big(T\,T_W\,(1 - T\,T_W/J)\big) \\
    LM_{SARMA} &= (e' W_{NT} y/\sigma^2 - e' W_{NT} e/\sigma^2)^2 / (J - T\,T_W)
                  + (e' W_{NT} e/\sigma^2)^2 / (T\,T_W)

the first four asymptotically chi2(1) under their nulls, LM-SARMA (Anselin et al.
1996, eq. 16: no lag and no error, ``= LM*_lag + LM_err = LM_lag + LM*_err``)
chi2(2); p-values are ``chi2.sf``.

Verification (``tests/test_lm.py``): the cross-section equals spreg 1.9 ``LMtests``
(live) and the values printed in its docstring (Columbus, to their 4 decimals); pooled
LM-error equals spreg's ``panel_LMerror`` after its (NT - k) variance is converted; every
fixed-effects form equals a dense NT x NT transcription of the formulas above, and the
default ``convention="elhorst"`` a transcription of Elhorst's MATLAB ``LMsarsem_panel.m``;
the pooled and unit-effects tests equal R splm 1.6-5's ``slmtest`` run on Produc (1e-9,
``tests/test_splm_reference.py``).
"""
from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

import pandas as pd
from scipy import linalg, stats

from spillmap._vocab import fe_keyword
from spillmap._vocab import FixedEffects
from spillmap.errors import DataError, EstimationError, InputError, check_choice
from spillmap.results import TestResult, TestTable
from spillmap.spatial._test_display import display_p
from spillmap.spatial._lm_core import (
    _prepare,
    _qr_basis,
    demean,
    lm_statistics,
    trace_wtw_ww,
)
from spillmap.spatial._panel_array import panel_array
from spillmap.spatial.weights import SpatialWeights

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["LMTests", "Effects", "Convention", "lm_tests", "panel_lm_tests", "lm_statistics", "trace_wtw_ww"]

Effects = FixedEffects  # the fixed-effects vocabulary of spillmap._vocab
Convention = Literal["demeaned", "elhorst"]
_CONVENTIONS = get_args(Convention)


@dataclass(frozen=True)
class LMTests(TestTable):
    """The four (robust) LM tests of a spatial lag / spatial error.

    Attributes
    ----------
    lm_lag, lm_error, robust_lm_lag, robust_lm_error
        :class:`~spillmap.results.TestResult` objects (chi2 with 1 df).
    lm_sarma
        The joint LM test of no lag and no error (chi2 with 2 df).
    n, t, k
        Units, periods and number of regressors (after the transformation,
        including the constant when one is used).
    effects
        The fixed effects swept out before OLS.
    sigma2
        ``e'e / NT``.
    """

    lm_lag: TestResult
    lm_error: TestResult
    robust_lm_lag: TestResult
    robust_lm_error: TestResult
    lm_sarma: TestResult
    n: int
    t: int
    k: int
    effects: str
    sigma2: float

    @property
    def tests(self) -> tuple[TestResult, ...]:
        """The tests in reporting order (the four one-direction tests, then LM-SARMA)."""
        return (self.lm_lag, self.robust_lm_lag, self.lm_error, self.robust_lm_error, self.lm_sarma)

    def to_dict(self) -> dict:
        """``{"lm_lag": {"stat","df","p",...}, ..., "n", "t", "k", "effects", "sigma2"}``."""
        return {
            "lm_lag": self.lm_lag.to_dict(),
            "lm_error": self.lm_error.to_dict(),
            "robust_lm_lag": self.robust_lm_lag.to_dict(),
            "robust_lm_error": self.robust_lm_error.to_dict(),
            "lm_sarma": self.lm_sarma.to_dict(),
            "n": self.n,
            "t": self.t,
            "k": self.k,
            "effects": self.effects,
            "sigma2": self.sigma2,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per test: ``stat``, ``df``, ``p``."""
        return pd.DataFrame(
            {"stat": [r.stat for r in self.tests], "df": [r.df for r in self.tests], "p": [r.pvalue for r in self.tests]},
            index=pd.Index([r.name for r in self.tests], name="test"),
        )

    def _caption(self) -> str:
        return f"LM tests (effects={self.effects}, N={self.n}, T={self.t}, k={self.k})"

    def summary(self) -> str:
        """The tests as a text table (statistic and p; the null hypotheses are in ``to_frame()``)."""
        lines = [self._caption(), f"{'test':<18}{'statistic':>12}{'p':>12}"]
        lines += [f"{r.name:<18}{r.stat:>12.4f}{display_p(r.pvalue):>12}" for r in self.tests]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(r.name)}</td><td>{r.stat:.4f}</td><td>{html.escape(display_p(r.pvalue))}</td>"
            f"<td>{html.escape(r.null)}</td></tr>"
            for r in self.tests
        )
        cap = html.escape(f"LM tests (effects={self.effects}, N={self.n}, T={self.t})")
        return (
            f"<table><caption>{cap}</caption><tr><th>test</th><th>statistic</th><th>p</th>"
            f"<th>H0</th></tr>{rows}</table>"
        )


# ----------------------------------------------------------------------------- public
@fe_keyword
def lm_tests(
    y: ArrayLike,
    X: ArrayLike,
    w: SpatialWeights,
    *,
    t: int,
    fe: Effects = "none",
    add_constant: bool | None = None,
    names: Sequence[str] | None = None,
    convention: Convention = "elhorst",
) -> LMTests:
    r"""LM, robust LM tests of a spatial lag and a spatial error in a (panel) regression.

    Parameters
    ----------
    y
        NT values stacked time-major, id-minor (all units in ``w.ids`` order for the
        first period, then the second...).
    X
        (NT, k) regressors in the same order, **without** a constant unless
        ``add_constant=False`` and you supply one yourself.
    w
        N x N weights (used as given; Elhorst's formulas assume a row-standardised W).
    t
        Number of periods T (1 for a cross-section).
    fe
        ``"none"``: pooled OLS of y on X and a constant.  ``"individual"``: the
        within (unit-demeaned) regression; ``"time"``: period-demeaned;
        ``"twoways"``: unit- and period-demeaned (balanced panel).  In every case
        ``W_NT y`` is formed on the untransformed data and then demeaned like the
        other variables, and ``M`` is the residual maker of the demeaned regressors;
        ``W_NT X b`` in ``J`` follows ``convention``.  ``sigma2 = e'e/NT`` for every option (no
        degrees-of-freedom correction for the k slopes or the swept-out effects,
        as in Elhorst's code and ``spreg.LMtests``), and the trace term is
        ``T tr(W'W + WW)`` (no ``T-1`` correction for the individual effects).
    add_constant
        ``None`` (default): add a constant with ``fe="none"`` unless X already
        has a constant column; never with fixed effects (it would be swept out).
        ``True``: always add one (only valid with ``fe="none"``).
    names
        Regressor names for error messages.
    convention
        How ``W_NT X b`` enters ``J`` under time or two-way effects (the two agree
        for ``"none"``/``"individual"`` and whenever every column sum of W is one).
        ``"elhorst"`` (default): ``W_NT X_dm b``, the lag of the *demeaned*
        regressors, not demeaned again -- the formula of Elhorst's
        ``LMsarsem_panel.m`` (Elhorst 2010; 2014, sec. 3.4) called on demeaned data
        and of R splm's ``slmtest`` (Millo & Piras 2012), the two standard
        references, so published panel LM figures are reproduced.  ``"demeaned"``:
        ``W_NT X b`` formed on the raw X and then demeaned (the information matrix
        of the within likelihood taken literally).  The two differ by the sum of
        squared period means of ``W_NT X_dm b`` in ``J``, a term of order ``T/N``
        relative to ``J`` that vanishes as N grows when W's rows sum alike, so both are
        asymptotically valid; on the Produc panel with the row-standardised queen W they
        differ by at most 2e-3 in the statistics.  With time or two-way effects a W whose
        rows sum differently is refused (neither form holds: LM-lag 718.9 and 18.8 where the
        score test of the model with period dummies gives 13.5 on Produc with binary queen W).  The default follows the
        references because a user's first check is a published table.

    Returns
    -------
    LMTests

    Raises
    ------
    InputError
        Bad ``effects``, ``t`` or shapes.
    DataError
        Missing or infinite values (rows named as ``(unit id, period index)``).
    EstimationError
        Collinear regressors, or zero residual variance.

    References
    ----------
    Anselin, L., Bera, A. K., Florax, R. and Yoon, M. J. (1996). Simple diagnostic
    tests for spatial dependence. Regional Science and Urban Economics 26, 77-104.
    Elhorst, J. P. (2010). Matlab software for spatial panels. IRSR 37, 389-405;
    Elhorst, J. P. (2014). Spatial Econometrics: From Cross-Sectional Data to
    Spatial Panels, ch. 3. Springer.

    Notes
    -----
    **Verification** (``tests/test_lm.py``): for T = 1 all five statistics (LM-SARMA
    included) equal ``spreg.LMtests`` (spreg 1.9) on Columbus (queen and asymmetric 4-nearest
    neighbours) to 1e-9 (spreg forms (X'X)^-1); on the Produc panel (48 states, T = 17,
    queen contiguity) each ``effects`` option equals a dense NT x NT transcription of the
    formulas above to 1e-9 (least-squares rounding times the LM-lag cancellation),
    ``convention="elhorst"`` equals a transcription of Elhorst's ``LMsarsem_panel.m`` to
    1e-8 (it inverts X'X, cond 1.1e5), and pooled LM-error equals spreg's
    ``panel_LMerror`` (after its (NT-k) variance is converted) to 1e-8.  No
    published panel figure could be reproduced (see the skipped test).

    **Size** (Monte Carlo, 5 % nominal, N = 48 US states, queen W row-standardised):
    pooled OLS at T = 6 and unit effects at T = 20 are within 3-7 %
    (``tests/test_size_issue13.py``); unit effects at T = 6 reject 6-8 % (``sigma2 =
    e'e/NT`` ignores the N swept-out means).  With time or two-way effects the LM-error
    family is biased: ``E[e' W_NT e] = sigma2 tr(M W_NT) = -(T-1) sigma2`` for a
    row-standardised W (the period demeaning), which these formulas (and Elhorst's,
    and splm's) ignore; measured with two-way effects: 8-11 % at T = 6, LM-error 15 % and
    LM-SARMA 12 % at T = 20; LM-lag 10.7 % and LM-error 16 % at T = 17 (numerics audit 30, two-way
    effects, Produc's queen W).  :func:`spillmap.spatial.residual_moran.moran_residuals`
    uses the exact moments and is correctly sized there.
    """
    check_choice("convention", convention, _CONVENTIONS)
    yv, xm, names, fe = _prepare(y, X, w, t=t, effects=fe, add_constant=add_constant, names=names)
    t = int(t)
    n = w.n
    nt = n * t
    wy = w.lag_panel(yv, t)
    yd = demean(yv, n, t, fe)
    xd = demean(xm, n, t, fe)
    wyd = demean(wy, n, t, fe)
    q = _qr_basis(xd, names, "" if fe == "none" else f" after removing the {fe} effects")
    b, *_ = linalg.lstsq(xd, yd, lapack_driver="gelsy")
    e = yd - xd @ b
    ee = float(e @ e)
    sigma2 = ee / nt
    if not sigma2 > 0:
        raise EstimationError("the regression fits exactly (zero residual variance); LM tests are undefined.")
    if convention == "elhorst":
        wxb = w.lag_panel(xd @ b, t)
    else:
        wxb = demean(w.lag_panel(xm @ b, t), n, t, fe)
    mwxb = wxb - q @ (q.T @ wxb)
    ingredients = {
        # e'W y = e'M W y exactly; projecting X out of W y first avoids the
        # cancellation between e and the part of W y that lies in the span of X
        "ewy": float(e @ (wyd - q @ (q.T @ wyd))),
        "ewe": float(e @ w.lag_panel(e, t)),
        "wxb_mwxb": float(mwxb @ mwxb),
        "sigma2": sigma2,
        "ttw": t * trace_wtw_ww(w.sparse),
    }
    if not ingredients["ttw"] > 0:
        raise EstimationError("tr(W'W + WW) is zero: the weights have no links.")
    s = lm_statistics(**ingredients)
    nulls = {
        "lm_lag": ("LM-lag", "no spatial lag (rho = 0)"),
        "lm_error": ("LM-error", "no spatial error (lambda = 0)"),
        "robust_lm_lag": ("Robust LM-lag", "no spatial lag, robust to a local spatial error"),
        "robust_lm_error": ("Robust LM-error", "no spatial error, robust to a local spatial lag"),
        "lm_sarma": ("LM-SARMA", "no spatial lag and no spatial error (rho = lambda = 0)"),
    }
    res = {
        key: TestResult(name=lab, stat=float(s[key]), df=(2 if key == "lm_sarma" else 1),
                        pvalue=float(stats.chi2.sf(s[key], 2 if key == "lm_sarma" else 1)), null=null)
        for key, (lab, null) in nulls.items()
    }
    return LMTests(**res, n=n, t=t, k=xm.shape[1], effects=fe, sigma2=sigma2)


@fe_keyword
def panel_lm_tests(
    panel: pd.DataFrame,
    id: str,  # noqa: A002
    *,
    time: str | None,
    y: str,
    x: Sequence[str],
    w: SpatialWeights,
    fe: Effects = "none",
    add_constant: bool | None = None,
    convention: Convention = "elhorst",
) -> LMTests:
    """:func:`lm_tests` on the columns of a long ``(id, time)`` panel.

    The panel is checked and ordered (time-major, in ``w.ids`` order) by
    :func:`spillmap.spatial.autocorrelation.panel_array`: ids must match the
    weights, the panel must be balanced and complete.  ``time=None`` treats the
    frame as a cross-section.

    Parameters
    ----------
    panel
        Long panel, one row per (id, time) cell.
    id, time
        Unit and period columns; ``time=None``: a cross-section.
    y
        Dependent variable column.
    x
        Regressor columns (one name may be given as a string).
    w
        N x N weights over the panel's units (matched as text), used as given.
    fe
        ``"none"`` (default), ``"individual"``, ``"time"`` or ``"twoways"``, as in
        :func:`lm_tests` (``effects=`` is the old name, still read with a DeprecationWarning).
        :class:`~spillmap.estimation.SpatialPanel` defaults to ``"twoways"``: to test the
        specification you then fit, pass the same ``fe`` here (the study and ``spillmap
        diagnose`` do).
    add_constant, convention
        As in :func:`lm_tests` (defaults ``None`` and ``"elhorst"``).

    Raises
    ------
    DataError
        Missing columns, repeated or missing ``(id, time)`` cells, missing values,
        a period without data (all named).
    WeightsError
        Panel and weights ids differ (both sides listed).
    """
    if isinstance(x, str):
        x = [x]
    x = list(x)
    if not x and fe != "none":
        raise InputError("x is empty: give at least one regressor.")
    if y in x:
        raise DataError(f"column {y!r} is both the dependent variable and a regressor.")
    arr, periods = panel_array(panel, id=id, time=time, columns=[y] + x, w=w)
    t = len(periods)
    flat = arr.reshape(t * w.n, -1)
    return lm_tests(
        flat[:, 0], flat[:, 1:], w, t=t, fe=fe, add_constant=add_constant, names=x, convention=convention
    )
