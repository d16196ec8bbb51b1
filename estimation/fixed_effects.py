r"""Recovered fixed effects of a spatial panel fit: the overall intercept, the unit
effects ``mu_i`` and the period effects ``alpha_t``, with standard errors.

As Elhorst's MATLAB routines (``sar_panel_FE.m``, ``sem_panel_FE.m``) and R splm's
``effects()`` (``R/fixed_effects.R``, ``felag``/``feerror``) give them, with bars
for means over all observations, over time (unit i) or over units (period t), ``Z``
the regressors (with ``W X`` for Durbin models) and ``Wy`` the spatial lag:

.. math::

    \hat a &= \bar y - \rho\,\overline{Wy} - \bar Z \beta \\
    \hat\mu_i &= \bar y_{i\cdot} - \rho\,\overline{Wy}_{i\cdot} - \bar Z_{i\cdot}\beta - \hat a \\
    \hat\alpha_t &= \bar y_{\cdot t} - \rho\,\overline{Wy}_{\cdot t} - \bar Z_{\cdot t}\beta - \hat a

(``rho = 0`` for SEM/SDEM/SLX: the error process has mean zero), so the effects are
deviations that sum to zero.  Standard errors (as both references; they treat
``rho`` as known):

.. math::

    se(\hat\mu_i)^2 = \sigma^2/T + \sigma^2\,\bar Z_{i\cdot}' (\tilde Z'\tilde Z)^{-1}\bar Z_{i\cdot}, \quad
    se(\hat\alpha_t)^2 = \sigma^2/N + \sigma^2\,\bar Z_{\cdot t}' (\tilde Z'\tilde Z)^{-1}\bar Z_{\cdot t}, \quad
    se(\hat a)^2 = \sigma^2/NT + \sigma^2\,\bar Z' (\tilde Z'\tilde Z)^{-1}\bar Z,

``tilde Z`` the within-transformed regressors and ``sigma^2`` the fit's.  Written by
hand (a few means; no library recovers spatial fixed effects).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from spillmap._vocab import FIXED_EFFECTS
from spillmap.errors import InputError
from spillmap.results import FrameDisplay

__all__ = ["RecoveredEffects", "recover_fixed_effects"]


@dataclass(frozen=True)
class RecoveredEffects(FrameDisplay):
    """Intercept, unit and period effects with SEs.

    ``unit`` is indexed by unit id and ``period`` by period (columns ``estimate``,
    ``se``, ``z``, ``p``); either is ``None`` when the fit has no such effects.
    ``unit`` joins a boundary layer on its id column for a map.
    """

    intercept: float
    intercept_se: float
    unit: pd.DataFrame | None
    period: pd.DataFrame | None
    effects: str

    def to_frame(self) -> pd.DataFrame:
        """Every effect in one frame, indexed by (``effect``, ``label``): the intercept, then the
        unit effects (label: unit id) and the period effects (label: period); columns
        ``estimate``, ``se``, ``z``, ``p``."""
        parts = [_frame(np.array([self.intercept]), np.array([self.intercept_se]), [""], "label")]
        keys = ["intercept"]
        for key, frame in (("unit", self.unit), ("period", self.period)):
            if frame is not None:
                parts.append(frame.rename_axis("label").set_axis(frame.index.astype(str), axis=0))
                keys.append(key)
        return pd.concat(parts, keys=keys, names=["effect", "label"])

    def _caption(self) -> str:
        counts = ", ".join(f"{len(f)} {k} effects" for k, f in (("unit", self.unit), ("period", self.period))
                           if f is not None)
        return f"Recovered fixed effects ({self.effects}): intercept and {counts}"

    def to_dict(self) -> dict:
        f = lambda d: None if d is None else {str(k): v for k, v in d["estimate"].items()}  # noqa: E731
        g = lambda d: None if d is None else {str(k): v for k, v in d["se"].items()}  # noqa: E731
        return {"intercept": self.intercept, "intercept_se": self.intercept_se, "unit": f(self.unit),
                "unit_se": g(self.unit), "period": f(self.period), "period_se": g(self.period)}


def _frame(est: np.ndarray, se: np.ndarray, index, name: str) -> pd.DataFrame:
    z = est / se
    return pd.DataFrame({"estimate": est, "se": se, "z": z, "p": 2 * stats.norm.sf(np.abs(z))},
                        index=pd.Index(index, name=name))


def recover_fixed_effects(results: Any) -> RecoveredEffects:
    """Recover the intercept and the unit/period fixed effects of a fixed-effects fit.

    Parameters
    ----------
    results
        A :class:`~spillmap.estimation.SpatialPanelResults` with ``effects`` in
        ``individual``, ``time``, ``twoways`` (any model, including ``sac``).

    Returns
    -------
    RecoveredEffects

    Notes
    -----
    Formulas in the module docstring.  With the Lee-Yu transformation the fit's
    ``sigma2`` is the transformation-approach estimate; the effects themselves depend
    only on ``rho`` and ``beta``.

    **Verification** (``tests/test_fixed_effects.py``): equal to a transcription of
    splm 1.6-5's ``felag``/``feerror`` (R/fixed_effects.R) to 1e-12; for the non-spatial
    case the effects equal the dummy coefficients of the LSDV regression (centred)
    to 1e-9 and the effects sum to zero; the state effects of Produc's SAR and their SEs equal
    splm's ``effects()`` run in R (``tests/test_splm_reference.py``, 1e-6).
    """
    d = getattr(results, "data", None)
    if getattr(results, "effects", None) not in FIXED_EFFECTS or d is None:
        raise InputError("recover_fixed_effects needs a fixed-effects fit (effects individual, time or twoways).")
    n, t = d.n, d.t
    z = d.Z
    k = z.shape[1]
    beta = results.params.iloc[:k].to_numpy()
    rho = float(results.params["rho"]) if "rho" in results.params.index else 0.0
    r = d.y - rho * d.Wy - z @ beta  # the effects plus noise
    zt = d.transformed[2]
    a_inv = np.linalg.inv(zt.T @ zt)
    s2 = float(results.sigma2)
    a = float(r.mean())
    zbar = z.mean(axis=0)
    a_se = float(np.sqrt(s2 / (n * t) + s2 * zbar @ a_inv @ zbar))
    rr, zr = r.reshape(t, n), z.reshape(t, n, k)
    unit = period = None
    if d.effects in ("individual", "twoways"):
        zi = zr.mean(axis=0)
        se = np.sqrt(s2 / t + s2 * np.einsum("ij,jk,ik->i", zi, a_inv, zi))
        unit = _frame(rr.mean(axis=0) - a, se, list(d.ids), "id")
    if d.effects in ("time", "twoways"):
        zt_ = zr.mean(axis=1)
        se = np.sqrt(s2 / n + s2 * np.einsum("ij,jk,ik->i", zt_, a_inv, zt_))
        period = _frame(rr.mean(axis=1) - a, se, list(d.times), "time")
    return RecoveredEffects(intercept=a, intercept_se=a_se, unit=unit, period=period, effects=d.effects)
