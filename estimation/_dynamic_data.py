"""The panel of a dynamic spatial model: periods 2..T with ``y_{t-1}`` and ``W_{t-1} y_{t-1}``.

Quasi-ML conditional on the first period: the first period only supplies the lags, and the
likelihood runs over the remaining ``T - 1`` periods.  The lags are formed on the raw data
(before any fixed-effects transformation), like the spatial lags: ``y_{t-1}`` is the previous
period's ``y`` and the space-time lag is the previous period's spatial lag,
``W_{t-1} y_{t-1}`` (with a constant W simply ``W y_{t-1}``; with one W per period the
convention of Lee & Yu 2012, *Spatial Economic Analysis* 7:31-74, and Elhorst's
``sar_sdpd_Wt``).  The lag columns are appended to the lagged regressors, so that every
piece of the static fixed-effects machinery (concentrated likelihood, surrogate search,
information matrix) serves the dynamic model unchanged: the dynamic SAR/SDM is the static
one on periods 2..T with two more regressors.

Checks (each a one-line error naming what is wrong): fewer than three periods, periods given
as text that is not in time order (text sorts alphabetically), gaps between whole-number or date
periods (``y_{t-1}`` would be undefined: the period after a gap is named), a model or effects
the dynamic estimator does not cover.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from spillmap.errors import DataError, InputError, Shown, format_items

__all__ = ["DYNAMIC", "LAG_NAMES", "build_dynamic_data", "dynamic_lags"]

from spillmap._vocab import DYNAMIC  # noqa: E402  (which lags of y enter: SpatialPanel(dynamic=...))
#: parameter name of each lag and its readable label
LAG_NAMES = {"tau": "y(t−1)", "eta": "W·y(t−1)"}
#: models with a dynamic version (SAR/SDM: the lag likelihood; SLX: least squares)
DYNAMIC_MODELS = ("sar", "sdm", "slx")


def dynamic_lags(dynamic: str) -> tuple[str, ...]:
    """The lag parameters of ``dynamic``: ``("tau",)``, ``("eta",)`` or ``("tau", "eta")``."""
    return {"y": ("tau",), "wy": ("eta",), "both": ("tau", "eta")}[dynamic]


def _check(d: Any, dynamic: str) -> None:
    if dynamic not in DYNAMIC:
        raise InputError(f"dynamic must be one of {', '.join(map(repr, DYNAMIC))} or None; got {dynamic!r}.")
    if d.model not in DYNAMIC_MODELS:
        raise InputError(
            f"a dynamic {d.model.upper()} is not available: the dynamic estimator covers "
            f"{', '.join(m.upper() for m in DYNAMIC_MODELS)} (an error process plus y_t-1 needs another bias "
            "correction). Use model='sdm' or 'sar'.")
    if d.effects == "random":
        raise InputError("a dynamic model with random effects is not available (the unit effects would be "
                         "correlated with y_t-1); use fixed effects (fe='individual' or 'twoways', without re=True).")
    taken = [c for c in ("tau", "eta") if c in d.x_names]
    if taken:
        raise InputError(f"regressor(s) {format_items(taken)} take the names of the dynamic model's lag parameters "
                         "(tau: y_t-1, eta: W y_t-1); rename them.")
    if d.t < 3:
        raise DataError(
            f"a dynamic model needs at least 3 periods (the first only supplies y_t-1, and the unit effects "
            f"need two more); the panel has {d.t} ({format_items([Shown(str(p)) for p in d.times])}).")
    from spillmap.geo._common import period_gaps

    order = _time_values(list(d.times))
    gaps = period_gaps(order)
    if gaps:
        after = [Shown(f"{b} (previous period {a})") for a, b in gaps]
        raise DataError(
            f"the periods have gaps, so y_t-1 is undefined for period(s) {format_items(after)}: no unit has "
            "data in the period just before. A dynamic model needs consecutive periods; fill the missing "
            "period or estimate on the consecutive stretch.")


def _time_values(times: list) -> list:
    """The periods as values whose order is time order: numbers and dates as they are; text
    only when it reads as numbers or ISO dates ('2008', '2008-12-31') in the same order as
    the text itself (the panel is sorted by it), returned parsed for the gap check.  Other
    text ('Apr' < 'Aug' < 'Dec', '10' < '9') would make y_t-1 another period's y: refused."""
    if not any(isinstance(p, str) for p in times):
        return times
    s = pd.Series([str(p) for p in times])
    for parsed in (pd.to_numeric(s, errors="coerce"), pd.to_datetime(s, errors="coerce", format="ISO8601")):
        if parsed.notna().all() and parsed.is_monotonic_increasing and parsed.is_unique:
            return parsed.tolist()
    raise DataError(
        f"a dynamic model needs periods in time order, but the time column holds text, which is ordered "
        f"alphabetically ({format_items([Shown(repr(p)) for p in times], limit=6)}); give the periods as "
        "numbers (2008, 2009, ...) or dates (ISO text such as 2008-12-31 is read as dates).")


def build_dynamic_data(d: Any, dynamic: str) -> Any:
    """The ``_PanelData`` of the dynamic model from the validated full panel ``d`` (module notes).

    Its regressors are ``[X, W X, y_{t-1}, W_{t-1} y_{t-1}]`` (the lags requested) over periods
    2..T; ``wx_names`` end with ``"tau"`` / ``"eta"`` so that the parameters are named
    ``x..., W_x..., tau, eta, rho``.
    """
    from ._data import check_identification
    from ._timevarying import PanelWeights
    from .model import _PanelData

    _check(d, dynamic)
    n, t = d.n, d.t
    lags = dynamic_lags(dynamic)
    cols = {"tau": d.y[: n * (t - 1)], "eta": d.Wy[: n * (t - 1)]}
    lag_cols = np.column_stack([cols[name] for name in lags])
    w = d.w.sub(range(1, t)) if isinstance(d.w, PanelWeights) else d.w
    out = _PanelData(
        y=d.y[n:], X=d.X[n:], WX=np.column_stack([d.WX[n:], lag_cols]), x_names=d.x_names,
        wx_names=d.wx_names + lags, w=w, n=n, t=t - 1, ids=d.ids, times=d.times[1:], y_name=d.y_name,
        effects=d.effects, model=d.model, Wy=d.Wy[n:], wx_source=d.wx_source, has_const=d.has_const,
        warnings=d.warnings,
    )
    check_identification(out)
    return out
