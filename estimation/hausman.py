"""Spatial Hausman test: fixed against random effects.

Formula (Hausman 1978; spatial version with the spatial parameter among the compared
coefficients: Elhorst 2014, *Spatial Econometrics*, ch. 3, and the Hausman step of his
MATLAB demonstration file for the cigarette-demand panel)::

    H = d' [Var(b_FE) - Var(b_RE)]^{-1} d,     d = b_FE - b_RE,     H ~ chi2(q) under H0,

over the q coefficients the two fits share: regressors, ``W_<x>`` and ``rho``/``lambda``;
never the constant (absorbed by the fixed effects) nor the random-effects variance
parameter ``phi``.  H0: the unit effects are uncorrelated with the regressors, so both
estimators are consistent and RE is efficient.

Notes on the choice: Elhorst's MATLAB demo computes ``d' (Var_RE - Var_FE)^{-1} d`` and
then takes ``abs()``; the textbook orientation ``Var_FE - Var_RE`` is used here, which
is positive semi-definite under H0 and gives a non-negative statistic.  Mutl &
Pfaffermayr (2011) is the GM analogue (spatial GM/IV estimators); it is not used because
spillmap's panel estimators are ML.  When the variance difference is not positive
definite in finite samples the test is refused (no generalised inverse or ``abs()``),
with the smallest eigenvalue in the message.

Practical notes: fit the FE model with the Lee-Yu transformation (the default):
with ``lee_yu="none"`` the FE ``sigma2`` is biased down by ``(T-1)/T`` and
``Var(FE) - Var(RE)`` is typically negative.  In a Monte Carlo (SAR, N = 144, T = 4,
80 replications, H0 true) ``Var(b_FE - b_RE)`` exceeded ``V_FE - V_RE`` by 25-30 %, so
the test over-rejects at small T; on real data such as Produc the full difference is
often indefinite and the test is refused.

Written by hand (a few lines of numpy/scipy): no library provides a Hausman test for
spatial ML panels (linearmodels' ``compare`` has no Hausman; splm's ``sphtest`` is R).

Regression (Mundlak) form, :func:`mundlak_test`: the fallback when the classic test is
refused; written in :mod:`spillmap.estimation._mundlak` and importable from here.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np
from scipy import stats

from spillmap.errors import EstimationError, InputError, check_choice, format_items
from spillmap.results import TestResult

from ._mundlak import MUNDLAK_NAME, mundlak_spec, mundlak_test, mundlak_wald

__all__ = ["hausman", "hausman_statistic", "mundlak_test", "mundlak_spec", "mundlak_wald", "MUNDLAK_NAME"]

#: parameters never compared: the constant and the random-effects variance parameters
_EXCLUDED = ("const", "phi", "sigma2", "sigma2_mu", "theta")


def hausman_statistic(
    b_fe: np.ndarray,
    cov_fe: np.ndarray,
    b_re: np.ndarray,
    cov_re: np.ndarray,
    names: Sequence[str] | None = None,
    *,
    rtol: float = 1e-10,
    on_indefinite: Literal["raise", "elhorst"] = "raise",
) -> TestResult:
    """Hausman statistic from two coefficient vectors and covariance matrices.

    ``H = d' (V_FE - V_RE)^{-1} d``, ``d = b_FE - b_RE``, ``df = len(d)``,
    ``p = chi2(df).sf(H)``.

    Parameters
    ----------
    b_fe, cov_fe
        The consistent (fixed-effects) estimate and its covariance.
    b_re, cov_re
        The efficient-under-H0 (random-effects) estimate and its covariance.
    names
        Coefficient names, for the error message.
    rtol
        ``V_FE - V_RE`` is refused when its smallest eigenvalue is below
        ``rtol * max(|eigenvalue|)``.
    on_indefinite
        ``"raise"`` (default): :class:`EstimationError` when ``V_FE - V_RE`` is not
        positive definite.  ``"elhorst"``: replicate Elhorst's MATLAB demo and report
        ``|d' (V_FE - V_RE)^{-1} d|`` whenever the difference is non-singular (its
        eigenvalues all exceed ``rtol * max|eigenvalue|`` in absolute value); the
        result's ``name`` then says so.  The chi2 reference is not justified in that
        case; use it only to reproduce published tables.

    Returns
    -------
    TestResult
        ``name="Hausman (FE vs RE)"``, ``dist="chi2"``.

    Raises
    ------
    EstimationError
        ``V_FE - V_RE`` is not positive definite (the message gives its smallest
        eigenvalue and the coefficient that loads most on it).

    Verification
    ------------
    Equals a direct transcription ``d @ inv(V_FE - V_RE) @ d`` and, for non-spatial
    panels, the classical Hausman statistic built from linearmodels' ``PanelOLS`` and
    ``RandomEffects`` to 1e-10 (``tests/test_hausman.py``).
    """
    b_fe = np.asarray(b_fe, dtype=float).ravel()
    b_re = np.asarray(b_re, dtype=float).ravel()
    cov_fe = np.asarray(cov_fe, dtype=float)
    cov_re = np.asarray(cov_re, dtype=float)
    q = b_fe.size
    if b_re.size != q or cov_fe.shape != (q, q) or cov_re.shape != (q, q):
        raise InputError(
            f"Hausman test: shapes do not match (b_fe {b_fe.shape}, b_re {b_re.shape}, "
            f"cov_fe {cov_fe.shape}, cov_re {cov_re.shape})."
        )
    names = list(names) if names is not None else [f"b{i}" for i in range(q)]
    d = b_fe - b_re
    v = cov_fe - cov_re
    v = (v + v.T) / 2
    check_choice("on_indefinite", on_indefinite, ("raise", "elhorst"))
    ev, vec = np.linalg.eigh(v)
    scale = max(np.max(np.abs(ev)), np.finfo(float).tiny)
    name = "Hausman (FE vs RE)"
    indefinite = ev[0] <= rtol * scale
    if indefinite and on_indefinite == "elhorst" and np.min(np.abs(ev)) > rtol * scale:
        name = "Hausman (FE vs RE; |H| with an indefinite variance difference, as Elhorst's MATLAB code)"
    elif indefinite:
        worst = names[int(np.argmax(np.abs(vec[:, 0])))]
        raise EstimationError(
            f"Hausman test: Var(FE) - Var(RE) is not positive definite (smallest eigenvalue {ev[0]:.4g}, "
            f"largest {ev[-1]:.4g}; the direction loads most on {worst!r}). The test is not defined for "
            "these fits; compare fewer coefficients (e.g. names=[...] without that one), check that both "
            "models use the same W and regressors, or use the regression-based (Mundlak) test "
            "spillmap.estimation.mundlak_test (always defined); "
            "on_indefinite='elhorst' reproduces the |H| of Elhorst's MATLAB code (for published tables only)."
        )
    # solve via the eigen-decomposition computed above (V symmetric positive definite)
    z = vec.T @ d
    stat = abs(float(np.sum(z * z / ev)))
    return TestResult(
        name=name,
        stat=stat,
        df=float(q),
        pvalue=float(stats.chi2.sf(stat, q)),
        null="random effects are consistent (unit effects uncorrelated with the regressors)",
        dist="chi2",
    )


def _same_weights(a: Any, b: Any) -> bool:
    if a is b:
        return True
    eq = getattr(a, "equals", None)
    if eq is not None:
        return bool(eq(b, rtol=1e-12, atol=1e-14))
    return False


def _check_pair(fe: Any, re: Any) -> None:
    """The two fits are FE and RE of the same model, with the same W and the same treatment of time."""
    if getattr(re, "effects", None) != "random":
        raise InputError(f"hausman(fe, re): the second fit must have random effects (SpatialPanel(..., re=True)), got "
                         f"effects {getattr(re, 'effects', None)!r}.")
    if getattr(fe, "effects", None) not in ("individual", "twoways"):
        raise InputError(
            "hausman(fe, re): the first fit must have individual (or two-way) fixed effects, "
            f"got effects={getattr(fe, 'effects', None)!r}."
        )
    re_time = bool(getattr(re, "extra", {}).get("time_effects", False))
    if (fe.effects == "twoways") != re_time:
        raise InputError(
            "hausman(fe, re): the fits treat time differently: "
            + (
                "FE has two-way effects but RE has no time effects; fit RE with time-period effects "
                "(SpatialPanel(..., re=True, fe='time')) or FE with fe='individual'."
                if not re_time
                else "RE has time-period effects but FE does not; use fe='twoways' for FE."
            )
        )
    if fe.model != re.model:
        raise InputError(f"hausman(fe, re): the fits are different models ({fe.model!r} and {re.model!r}); fit the same model twice.")
    if not _same_weights(fe.w, re.w):
        raise InputError("hausman(fe, re): the fits use different spatial weights; use the same W for both.")


def _compared_names(fe: Any, re: Any, names: Sequence[str] | str | None, *, conditional: bool) -> list[str]:
    """The coefficients to compare: ``names`` checked, or all those the fits share (slopes only if ``conditional``)."""
    fe_names = [c for c in fe.params.index if c not in _EXCLUDED]
    re_names = [c for c in re.params.index if c not in _EXCLUDED]
    if set(fe_names) != set(re_names):
        only_fe = [c for c in fe_names if c not in re_names]
        only_re = [c for c in re_names if c not in fe_names]
        raise InputError(
            "hausman(fe, re): the fits have different regressors"
            + (f"; only in FE: {format_items(only_fe)}" if only_fe else "")
            + (f"; only in RE: {format_items(only_re)}" if only_re else "")
            + "."
        )
    if conditional:
        fe_names = [c for c in fe_names if c in fe.data.z_names]
    if names is None:
        return fe_names
    names = [names] if isinstance(names, str) else list(names)
    unknown = [c for c in names if c not in fe_names]
    if unknown:
        raise InputError(
            f"hausman(fe, re): cannot compare {format_items(unknown)}; comparable coefficients: {format_items(fe_names)}."
        )
    return names


def hausman(
    fe: Any,
    re: Any,
    *,
    names: Sequence[str] | None = None,
    on_indefinite: Literal["raise", "elhorst"] = "raise",
    cov: Literal["marginal", "conditional"] = "marginal",
) -> TestResult:
    """Spatial Hausman test of a fixed-effects fit against a random-effects fit.

    Parameters
    ----------
    fe
        :class:`~spillmap.estimation.SpatialPanelResults` with ``effects="individual"``,
        or ``"twoways"`` (the study's Table 8 compares the two-way FE SDM with RE).
    re
        The same model (same ``W`` and regressors) with ``effects="random"``; with
        time-period effects (``fit_random(spec, time_effects=True)``) exactly when
        ``fe`` has two-way effects.
    names
        Coefficients to compare; default all those the fits share except ``const``
        and the random-effects variance parameters (regressors, ``W_<x>``, ``rho`` /
        ``lambda``).
    on_indefinite
        See :func:`hausman_statistic` (``"elhorst"`` reproduces Elhorst's ``abs()``
        and splm's ``sphtest``, which also takes ``abs()``).
    cov
        ``"marginal"`` (default; what the report shows): each fit's covariance is the
        block of its inverse information matrix, so the estimation of ``rho``/
        ``lambda`` (and ``phi``) is accounted for, and ``rho``/``lambda`` are compared
        too.  ``"conditional"``: R splm's ``sphtest`` form -- only the slopes are
        compared (``names`` defaults to the regressors and ``W_<x>``), with the RE
        covariance ``sigma2 (Z' Sigma^{-1} Z)^{-1}`` conditional on the estimated
        ``phi`` and ``rho``/``lambda`` (see :mod:`spillmap.estimation._conditional_cov`)
        and the FE fit's own slopes covariance (splm's default ``Hess=FALSE`` uses the
        information matrix, as ``cov_type="information"`` here), so a published
        ``sphtest`` figure can be reproduced (fit FE with ``lee_yu="none"``, splm's
        default ``LeeYu=FALSE``; ``on_indefinite="elhorst"`` for its ``abs()``).

    Returns
    -------
    TestResult
        ``stat``, ``df`` (= number compared), ``pvalue = chi2(df).sf(stat)``.

    Raises
    ------
    InputError
        Different models, weights or regressors; ``fe`` not fixed effects or ``re``
        not random effects; time effects in one fit only; unknown ``names``.
    EstimationError
        ``Var(FE) - Var(RE)`` not positive definite.

    Notes
    -----
    ``H = (b_FE - b_RE)' [Var(b_FE) - Var(b_RE)]^{-1} (b_FE - b_RE) ~ chi2(q)``
    (Hausman 1978, Econometrica 46: 1251-1271; Elhorst 2014, ch. 3).  See the module docstring.

    Verification
    ------------
    See :func:`hausman_statistic`; on simulated spatial panels the statistic is
    chi2-sized under H0 and large when the effects are correlated with x
    (``tests/test_hausman.py``).  ``cov="conditional"``: both covariances equal dense
    transcription of splm's ``covB`` (GLS with the explicit ``NT x NT`` Sigma) to 1e-9
    and the statistic to ``R/sphtest.R``'s formula (``tests/test_hausman_conditional.py``);
    on Produc it equals splm 1.6-5's ``sphtest`` itself, lag and (BSK) error models
    (``tests/test_splm_reference.py``, within the random-effects optimiser's 2e-5).
    """
    check_choice("cov", cov, ("marginal", "conditional"))
    _check_pair(fe, re)
    names = _compared_names(fe, re, names, conditional=(cov == "conditional"))
    try:
        return _hausman(fe, re, names, on_indefinite, cov)
    except EstimationError as exc:
        if getattr(fe, "lee_yu", None) != "none":
            raise
        # the direct approach's sigma2 is biased down by (T-1)/T: Var(FE) shrinks below Var(RE) even
        # under H0 (numerics audit 30: indefinite on data simulated with random effects)
        raise EstimationError(f"{exc} One possible cause: the FE fit uses lee_yu='none', whose variances are "
                              f"biased down by (T-1)/T = {(fe.t - 1) / fe.t:.3f} (lee_yu='transformation' removes "
                              "that bias).") from None


def _hausman(fe: Any, re: Any, names: list[str], on_indefinite: str, cov: str) -> TestResult:
    """The statistic of :func:`hausman` for checked fits and the compared ``names``."""
    if cov == "conditional":
        from ._conditional_cov import re_conditional_cov

        rz = list(re.data.z_names)
        ri = [rz.index(c) for c in names]
        res = hausman_statistic(fe.params[names].to_numpy(), fe.cov.loc[names, names].to_numpy(),
                                re.params[names].to_numpy(), re_conditional_cov(re)[np.ix_(ri, ri)], names,
                                on_indefinite=on_indefinite)
        return replace(res, name=res.name.replace("Hausman (FE vs RE", "Hausman (FE vs RE, conditional covariances"))
    return hausman_statistic(
        fe.params[names].to_numpy(),
        fe.cov.loc[names, names].to_numpy(),
        re.params[names].to_numpy(),
        re.cov.loc[names, names].to_numpy(),
        names,
        on_indefinite=on_indefinite,
    )
