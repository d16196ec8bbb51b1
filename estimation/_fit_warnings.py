"""The warnings a spatial panel fit raises: islands in W, a spatial parameter at its bound.

Computed from the results (:class:`~spillmap.estimation.results.SpatialPanelResults`
keeps their messages in ``warnings``) and emitted through :mod:`warnings` once, by the
fitting function, when it returns.  Plain numpy; written here because no library
flags a spatial parameter that sits on the edge of its admissible interval.
"""
from __future__ import annotations

import warnings as _warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from spillmap.errors import EstimationWarning, SpillmapWarning, WeightsWarning
from spillmap.spatial.weights import SpatialWeights

__all__ = ["BOUND_WARNING_DISTANCE", "bound_warning", "fit_warning_records", "emit_fit_warnings"]

#: a spatial parameter closer than this to a bound of its admissible interval is flagged
#: (an EstimationWarning): there the likelihood is cut off by the bound, so the usual
#: standard error, z and p of rho/lambda (and the effects) do not apply
BOUND_WARNING_DISTANCE = 1e-3


def bound_warning(name: str, value: float, bounds: Sequence[float]) -> str:
    """The warning for a spatial parameter within :data:`BOUND_WARNING_DISTANCE` of a bound ("" otherwise).

    ``bounds`` is the admissible interval ``(lo, hi)`` the optimiser searched
    (``results.extra["bounds"]``); an infinite end is never close.
    """
    lo, hi = (float(b) for b in bounds)
    if not np.isfinite(value):
        return ""
    side, bound = min((("lower", lo), ("upper", hi)), key=lambda sb: abs(value - sb[1]))
    dist = abs(value - bound)
    if not np.isfinite(bound) or dist >= BOUND_WARNING_DISTANCE:
        return ""
    return (
        f"{name} = {value:.6g} is within {dist:.1e} of the {side} bound {bound:.6g} of its admissible interval "
        f"({lo:.6g}, {hi:.6g}): the likelihood is cut off by the bound, so the standard error, z and p of {name} "
        "(and the effects) are not reliable. The model is probably misspecified for these data (e.g. a trend "
        "without time effects) or W does not suit them."
    )


def fit_warning_records(model: str, params: pd.Series, extra: Mapping[str, Any], w: Any
                        ) -> tuple[tuple[type[SpillmapWarning], str], ...]:
    """``(category, message)`` of what a fit must warn about: islands in W, rho/lambda at a bound."""
    out: list[tuple[type[SpillmapWarning], str]] = []
    islands = getattr(w, "islands_warning", "") if isinstance(w, SpatialWeights) or hasattr(w, "groups") else ""
    if islands:  # one W, or one per period (PanelWeights)
        out.append((WeightsWarning, islands))
    names = {"sar": ("rho",), "sdm": ("rho",), "sem": ("lambda",), "sdem": ("lambda",),
             "sac": ("rho", "lambda")}.get(model, ())
    for name in names:
        if name in params.index and extra.get("bounds") is not None:
            msg = bound_warning(name, float(params[name]), extra["bounds"])
            if msg:
                out.append((EstimationWarning, msg))
    return tuple(out)


def emit_fit_warnings(res: Any, *, stacklevel: int = 2) -> None:
    """Emit the fit-time warnings of ``res`` (islands, a bound) through :mod:`warnings`.

    Called once by every fitting function when it returns (``SpatialPanel.fit``,
    ``fit_random``); ``res.warnings`` keeps the messages.  ``stacklevel`` as in
    :func:`warnings.warn`, counted from the function that calls this one (2: its caller).
    """
    for category, msg in res._warning_records:
        _warnings.warn(msg, category, stacklevel=stacklevel + 1)
