"""Identification checks of a panel model: variation after the fixed effects, perfect collinearity.

:func:`check_identification` refuses, before any estimation, a dependent variable without
variation, regressors absorbed by the fixed effects (time-invariant ones by the unit effects,
unit-invariant ones by the period effects, ``a_i + b_t`` by both) and perfectly collinear
regressors, naming every column involved.  Norms are taken on columns scaled by their largest
value first, so that the checks do not overflow.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from spillmap.errors import DataError, InputError, format_items

from ._transform import demean

__all__ = ["check_identification"]

_FIXED = ("individual", "time", "twoways")
_DURBIN = ("sdm", "slx", "sdem")


def _scaled_norms(z: np.ndarray) -> np.ndarray:
    """Euclidean column norms without overflow (columns scaled by their largest value first)."""
    top = np.max(np.abs(z), axis=0) if z.size else np.zeros(z.shape[1])
    safe = np.where(top > 0, top, 1.0)
    return np.sqrt(np.sum((z / safe) ** 2, axis=0)) * top


def _absorbed(d: Any, Z: np.ndarray, names: Sequence[str], scale: np.ndarray, dead: np.ndarray) -> None:
    dead_names = [names[j] for j in dead]
    if d.effects in ("individual", "twoways"):
        zi = demean(Z[:, dead], d.n, d.t, "individual")
        rel = _scaled_norms(zi) / scale[dead]
        tinv = [dead_names[i] for i in range(dead.size) if rel[i] < 1e-10]
        if tinv:
            raise DataError(
                f"regressors {format_items(tinv)} do not vary over time within units: they are absorbed by the "
                "individual fixed effects.  Drop them or use fe='time' or 'none' (--fe time / none)."
            )
    if d.effects == "twoways":
        zt = demean(Z[:, dead], d.n, d.t, "time")
        rel = _scaled_norms(zt) / scale[dead]
        both = [dead_names[i] for i in range(dead.size) if rel[i] >= 1e-10]
        if both:
            raise DataError(
                f"regressors {format_items(both)} are a unit part plus a period part (x_it = a_i + b_t): they are "
                "absorbed by the two-way fixed effects together.  Drop them or use one-way effects."
            )
    if d.effects in ("time", "twoways"):
        raise DataError(
            f"regressors {format_items(dead_names)} do not vary across units within periods: they are absorbed "
            "by the time fixed effects.  Drop them or use fe='individual' (--fe individual)."
        )
    raise DataError(f"regressors {format_items(dead_names)} have no variation; drop them.")


def _collinear(d: Any, zd: np.ndarray, names: Sequence[str]) -> None:
    """The first column (in model order) that is a combination of earlier ones, with all of them named."""
    zs = zd / _scaled_norms(zd)
    after = " after the fixed-effects transformation" if d.effects in _FIXED else ""
    kept: list[int] = []
    for j in range(zs.shape[1]):
        if kept:
            coef, *_ = np.linalg.lstsq(zs[:, kept], zs[:, j], rcond=None)
            r = zs[:, j] - zs[:, kept] @ coef
            if np.sqrt(r @ r) < 1e-8:
                involved = [names[kept[i]] for i in np.flatnonzero(np.abs(coef) > 1e-8)]
                if involved == ["const"]:
                    raise DataError(f"regressor {names[j]!r} is constant: it duplicates the constant term; drop it.")
                raise DataError(
                    f"regressor {names[j]!r} is perfectly collinear with {format_items(involved)}{after}; "
                    "drop one of them."
                )
        kept.append(j)


def check_identification(d: Any, *, share: bool = False) -> None:
    """A dependent variable or regressors without variation after the fixed effects, and perfect collinearity.

    ``share``: take ``Q y`` and ``Q Z`` from ``d.transformed`` when the fixed-effects fit will read it
    (lag, error and SLX models), so that they are formed once for the checks and the fit (the same
    :func:`demean` of the same arrays)."""
    fixed = d.effects in _FIXED
    shared = share and fixed and d.kind in ("lag", "error", "none")
    yd = d.transformed[0] if shared else demean(d.y, d.n, d.t, d.effects) if fixed else d.y - d.y.mean()
    if _scaled_norms(yd[:, None])[0] <= 1e-10 * max(_scaled_norms(d.y[:, None])[0], 1e-300):
        how = f"after the {d.effects} fixed effects" if d.effects in _FIXED else "at all"
        raise DataError(f"the dependent variable {d.y_name!r} has no variation {how}; there is nothing to explain.")
    Z, names = d.Z, d.z_names
    if not Z.shape[1]:
        if d.model in _DURBIN:
            raise InputError("the model has no regressors.")
        return
    zd = d.transformed[2] if shared else demean(Z, d.n, d.t, d.effects)
    scale = np.maximum(_scaled_norms(Z), 1e-300)
    dead = np.flatnonzero(_scaled_norms(zd) / scale < 1e-10)
    if dead.size:
        _absorbed(d, Z, names, scale, dead)
    _collinear(d, zd, names)
