"""One weights matrix per period from the economic builders (``by_period=True``).

``economic_distance`` / ``economic_product`` average the economic variable over a window of
periods; with ``by_period=True`` each period gets its own matrix from that period's values
(``period=(p, p)``): the time-varying W of ``SpatialPanel(..., w={period: W_t})``.  Pure
composition of the builders; nothing numerical here.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from spillmap.errors import DataError, InputError, format_items
from spillmap.geo._common import period_values

__all__ = ["per_period", "nested_per_period"]


def _periods(panel: pd.DataFrame, time: str, window: tuple[Any, Any] | None) -> list[Any]:
    if time not in panel.columns:
        raise DataError(f"panel has no time column {time!r}; available: {format_items(list(panel.columns))}.")
    values = np.sort(pd.unique(panel[time].dropna()))
    if window is not None:
        lo, hi = window
        try:
            values = values[(values >= type(values[0])(lo)) & (values <= type(values[0])(hi))]
        except (TypeError, ValueError):
            values = np.array([v for v in values if str(lo) <= str(v) <= str(hi)], dtype=object)
    if not len(values):
        raise DataError(f"no periods of column {time!r} in the window {window!r}.")
    return period_values(values)  # Python objects, dates as Timestamps (not pandas 2's nanoseconds)


def per_period(build: Callable[[tuple[Any, Any]], Any], panel: pd.DataFrame, time: str,
               window: tuple[Any, Any] | None) -> dict[Any, Any]:
    """``{p: build((p, p))}`` for every period ``p`` of ``panel[time]`` (within ``window``); each
    matrix's name says its period (``"<name> [p]"`` unless the builder's name has it already), so
    that an error or a report says which period."""
    from spillmap.spatial.weights import SpatialWeights

    out = {}
    for p in _periods(panel, time, window):
        w = build((p, p))
        name = w.name if str(p) in (w.name or "") else f"{w.name} [{p}]"
        out[p] = SpatialWeights(w.sparse, w.ids, w.transform, name)
    return out


def nested_per_period(w_d: Any, w_e: Mapping, phi: float, build: Callable[[Any, Any, float], Any]) -> dict[Any, Any]:
    """``{p: nested(w_d, w_e[p], phi)}`` for an economic part given per period."""
    if not isinstance(w_e, Mapping) or not w_e:
        raise InputError("nested(): a per-period economic part must be a non-empty mapping period -> weights.")
    return {p: build(w_d, w, phi) for p, w in w_e.items()}
