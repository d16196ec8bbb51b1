"""Fixed-effects transformations of panels stacked time-major, id-minor, and the
effective observation counts of the Lee-Yu (2010) transformation approach.

Written by hand with numpy reshapes (a panel of N units x T periods is an
array of shape (T, N, ...)): no NT x NT matrix is ever formed.

Demeaning (the within transformation) of a variable ``x_it``:

* individual: ``x_it - xbar_i.``
* time:       ``x_it - xbar_.t``
* twoways:    ``x_it - xbar_i. - xbar_.t + xbar_..``

Spatial lags are formed on the raw data first and demeaned afterwards
(Elhorst 2014, sec. 3.4); that is the exact within likelihood whether or not W's
columns sum to one.

Lee & Yu (2010) transformation approach: the orthonormal (Helmert-type) matrix
``F_{T,T-1}`` removes individual effects and ``F_{N,N-1}`` removes time effects
(the latter needs a row-standardised W so that ``F' W = F' W F F'``).  Because
``F F' = I - J/T`` the transformed sum of squares equals the demeaned one, so
only the observation count and the log-determinant weight change:

==========  ==============  =========  ======================================
effects     observations    T_eff      Jacobian
==========  ==============  =========  ======================================
individual  N (T-1)         T - 1      (T-1) ln|I - rho W|
time        (N-1) T         T          T [ln|I - rho W| - ln(1 - rho)]
twoways     (N-1)(T-1)      T - 1      (T-1) [ln|I - rho W| - ln(1 - rho)]
==========  ==============  =========  ======================================

(Lee & Yu 2010, sections 2-4; the approach of Stata's ``xsmle, fe type(..., leeyu)`` and
``spxtregress, fe`` -- not run here: verified against a dense transcription with explicit
``F`` matrices in ``tests/test_est_panel.py``, and the individual and time rows against R
SDPDmod 0.0.6's ``LYtrans = TRUE`` in ``tests/test_sdpdmod_reference.py``).

Verification (``tests/test_est_logdet.py``): :func:`demean` equals the explicit projection ``Q x``
(``I_T - J_T/T`` and ``I_N - J_N/N`` Kronecker products) for all four effects to 1e-12, and
:func:`effective_counts` reproduces the table above at N = 10, T = 5.  Through the fit
(``tests/test_est_panel.py``): Lee-Yu estimates equal the dense ``F``-matrix transcription (2e-7),
with its observation count, and the log-likelihood surface equals it to 1e-10 relative.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["demean", "EffectiveCounts", "effective_counts"]


def demean(x: np.ndarray, n: int, t: int, effects: str) -> np.ndarray:
    """Within transformation of a panel vector or (NT, k) array stacked time-major.

    Parameters
    ----------
    x
        ``(N*T,)`` or ``(N*T, k)``.
    n, t
        Units and periods.
    effects
        ``"none"``, ``"individual"``, ``"time"`` or ``"twoways"`` (``"random"`` is
        treated as ``"none"``).

    Returns
    -------
    numpy.ndarray
        A new array of the same shape.
    """
    x = np.asarray(x, dtype=float)
    tail = x.shape[1:]
    xr = x.reshape((t, n) + tail)
    if effects in ("none", "random"):
        return x.copy()
    if effects == "individual":
        out = xr - xr.mean(axis=0, keepdims=True)
    elif effects == "time":
        out = xr - xr.mean(axis=1, keepdims=True)
    elif effects == "twoways":
        out = xr - xr.mean(axis=0, keepdims=True) - xr.mean(axis=1, keepdims=True) + xr.mean(axis=(0, 1), keepdims=True)
    else:
        raise ValueError(f"unknown effects {effects!r}")
    return out.reshape(x.shape)


@dataclass(frozen=True)
class EffectiveCounts:
    """Observation count and log-determinant weights of the likelihood.

    The Jacobian term is ``t_eff * (ln|I - rho W| - time_adj * ln(1 - rho))``.
    """

    nobs: int
    t_eff: int
    time_adj: bool


def effective_counts(n: int, t: int, effects: str, lee_yu: str) -> EffectiveCounts:
    """Counts for the direct approach (``lee_yu`` "none"/"bias-correction") or the
    Lee-Yu transformation approach (``"transformation"``); see the module table.
    ``"ydjl"`` (dynamic models: Lee & Yu's transformation of the time effects only, the unit
    effects kept by the direct approach) takes the time row's counts whenever there are time
    effects."""
    if lee_yu == "ydjl" and effects in ("time", "twoways"):
        return EffectiveCounts((n - 1) * t, t, True)
    if lee_yu != "transformation" or effects in ("none", "random"):
        return EffectiveCounts(n * t, t, False)
    if effects == "individual":
        return EffectiveCounts(n * (t - 1), t - 1, False)
    if effects == "time":
        return EffectiveCounts((n - 1) * t, t, True)
    if effects == "twoways":
        return EffectiveCounts((n - 1) * (t - 1), t - 1, True)
    raise ValueError(f"unknown effects {effects!r}")
