"""The pieces of the LM tests (:mod:`spillmap.spatial.lm`): small pure functions and the input checks.

Written by hand (NumPy/SciPy; formulas in :mod:`spillmap.spatial.lm`): the trace term,
the fixed-effects demeaning of stacked (time-major) data, the five statistics from their
ingredients, and the residual-maker basis by a pivoted QR.  :func:`_prepare` and
:func:`_qr_basis` are shared with the BSK tests and the residual Moran test.

Verification (``tests/test_lm.py``, through :func:`~spillmap.spatial.lm.lm_tests`):
:func:`trace_wtw_ww` equals the dense ``tr(W'W + WW)`` (1e-12); the statistics equal spreg 1.9
``LMtests`` (Columbus queen and kNN, 1e-9) and a dense NT x NT transcription with explicit
demeaning ``Q`` for all four effects (1e-9; LM-SARMA = LM*_lag + LM_err to 1e-10); the robust ones
are NaN when ``W X b`` lies in the span of X; collinear, missing and mis-sized inputs are refused.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from scipy import linalg

from spillmap._vocab import FE
from spillmap.errors import DataError, EstimationError, InputError, check_choice, format_items
from spillmap.spatial.weights import SpatialWeights

__all__ = ["trace_wtw_ww", "demean", "lm_statistics"]


def trace_wtw_ww(w: sp.spmatrix) -> float:
    r"""``tr(W'W + WW) = sum_ij w_ij^2 + sum_ij w_ij w_ji`` from the sparse entries."""
    w = sp.csr_matrix(w)
    return float(np.sum(w.data**2) + w.multiply(w.T).sum())


def demean(x: np.ndarray, n: int, t: int, effects: str) -> np.ndarray:
    """Sweep out unit and/or period means of stacked (time-major) data.

    ``individual``: ``x_it - mean_t x_it``; ``time``: ``x_it - mean_i x_it``;
    ``twoways``: ``x_it - mean_t - mean_i + grand mean`` (exact for balanced panels);
    ``none``: ``x`` unchanged.
    """
    x = np.asarray(x, dtype=float)
    if effects == "none":
        return x
    tail = x.shape[1:]
    a = x.reshape((t, n) + tail)
    if effects == "individual":
        out = a - a.mean(axis=0, keepdims=True)
    elif effects == "time":
        out = a - a.mean(axis=1, keepdims=True)
    else:
        out = a - a.mean(axis=0, keepdims=True) - a.mean(axis=1, keepdims=True) + a.mean(axis=(0, 1), keepdims=True)
    return out.reshape(x.shape)


def lm_statistics(ewy: float, ewe: float, wxb_mwxb: float, sigma2: float, ttw: float) -> dict[str, float]:
    """The five statistics from their ingredients.

    Parameters
    ----------
    ewy, ewe
        ``e' W_NT y`` and ``e' W_NT e``.
    wxb_mwxb
        ``(W_NT X b)' M (W_NT X b)``.
    sigma2
        ``e'e / NT``.
    ttw
        ``T * tr(W'W + WW)``.
    """
    j = (wxb_mwxb + ttw * sigma2) / sigma2
    a = ewy / sigma2
    b = ewe / sigma2
    out = {"lm_lag": a**2 / j, "lm_error": b**2 / ttw}
    if j - ttw <= 1e-12 * j:
        # W X b lies in the span of X (e.g. y on a constant only with a row-standardised
        # W): the robust statistics are 0/0, undefined -> NaN (p-value NaN as well)
        out["robust_lm_lag"] = out["robust_lm_error"] = out["lm_sarma"] = float("nan")
    else:
        out["lm_sarma"] = (a - b) ** 2 / (j - ttw) + b**2 / ttw
        out["robust_lm_lag"] = (a - b) ** 2 / (j - ttw)
        out["robust_lm_error"] = (b - ttw / j * a) ** 2 / (ttw * (1.0 - ttw / j))
    return out


def _has_constant(x: np.ndarray) -> bool:
    return bool(x.shape[1]) and bool(np.any(np.all(x == x[:1], axis=0) & (x[0] != 0)))


def _qr_basis(xd: np.ndarray, names: Sequence[str], context: str = "") -> np.ndarray:
    """Orthonormal basis Q of the columns of ``xd``; error if they are collinear."""
    if xd.shape[1] == 0:
        return xd
    q, r, piv = linalg.qr(xd, mode="economic", pivoting=True)
    d = np.abs(np.diag(r))
    tol = d.max() * max(xd.shape) * np.finfo(float).eps if d.size else 0.0
    rank = int(np.sum(d > tol))
    if rank < xd.shape[1]:
        bad = [names[i] for i in piv[rank:]]
        raise EstimationError(
            f"regressors are collinear{context}: drop "
            f"{format_items(bad)} (constant within units/periods or a combination of others)."
        )
    return q


def _check_equal_row_sums(w: SpatialWeights, effects: str) -> None:
    """Refuse period effects with a W whose rows (islands apart) do not sum alike.

    The tests demean ``W y`` by period as if ``W`` kept the period effects within the span of the
    period dummies, which holds when every row of W sums to the same value (row-standardised W).
    Otherwise ``alpha_t`` times W's unequal row sums is left in the residuals: measured on Produc with
    binary queen contiguity (row sums 1 to 8), LM-lag 718.9 against 13.5 for the score test of the
    model with explicit dummies, and 79.5 % rejections at 5 % nominal without any spatial lag
    (numerics audit 30).  The spatial fits and ``spillmap diagnose`` refuse such a W as well."""
    rs = np.asarray(w.sparse.sum(axis=1)).ravel()
    rs = rs[rs != 0]
    if rs.size and not np.allclose(rs, rs[0], rtol=1e-10, atol=0):  # equal up to the sums' rounding
        raise InputError(
            f"LM tests with {effects!r} effects need W's rows to sum alike (a row-standardised W): the rows of "
            f"{w.label} sum to {rs.min():g}-{rs.max():g}, and the period effects times these sums would inflate "
            "the tests; row-standardise W (w.row_standardize(), --transform R) or use fe='individual'."
        )


def _prepare(y, X, w: SpatialWeights, *, t: int, effects: str, add_constant: bool | None,
             names: Sequence[str] | None) -> tuple[np.ndarray, np.ndarray, list[str], str]:
    """Validated ``(y, X [with the constant], names, effects)`` of :func:`lm_tests`."""
    effects = check_choice("effects", effects, FE)
    if not isinstance(w, SpatialWeights):
        raise InputError(f"w must be a spillmap SpatialWeights, got {type(w).__name__} (see SpatialWeights.from_libpysal).")
    if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 1:
        raise InputError(f"t (number of periods) must be a positive integer, got {t!r}.")
    t = int(t)
    if effects in ("time", "twoways"):
        _check_equal_row_sums(w, effects)
    n = w.n
    nt = n * t
    yv = np.asarray(y, dtype=float).reshape(-1)
    xm = np.asarray(X, dtype=float)
    if xm.ndim == 1:
        xm = xm[:, None]
    if yv.shape[0] != nt or xm.shape[0] != nt:
        raise InputError(
            f"y has {yv.shape[0]} rows and X {xm.shape[0]}, but N={n} units x T={t} periods = {nt} are needed."
        )
    names = list(names) if names is not None else [f"x{i}" for i in range(xm.shape[1])]
    if len(names) != xm.shape[1]:
        raise InputError(f"{len(names)} names given for {xm.shape[1]} regressors.")
    bad = ~np.isfinite(yv) | ~np.all(np.isfinite(xm), axis=1)
    if bad.any():
        rows = np.flatnonzero(bad)
        cells = [(w.ids[r % n], int(r // n)) for r in rows]
        raise DataError(
            f"missing or infinite values in y or X at (id, period index) {format_items(cells)}; drop or impute them."
        )
    if effects == "none":
        if add_constant is None:
            add_constant = not _has_constant(xm)
        if add_constant:
            xm = np.column_stack([np.ones(nt), xm])
            names = ["const"] + names
    elif add_constant:
        raise InputError(f"add_constant=True cannot be used with effects={effects!r}: the constant is swept out.")
    if xm.shape[1] == 0:
        raise InputError("no regressors: give at least one column in X (or a constant with fe='none').")
    if xm.shape[1] >= nt:
        raise EstimationError(f"{xm.shape[1]} regressors for {nt} observations: too few observations.")

    return yv, xm, names, effects
