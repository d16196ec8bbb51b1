"""Per-unit values handed to a weights method, put in W's unit order (private helpers of
:class:`~spillmap.spatial.weights.SpatialWeights` and of the autocorrelation tests).

The one rule of every spatial method that takes values per unit (``w.lag``, ``w.lag_panel``,
``moran``, ``geary``, ``local_moran``):

* a pandas Series or DataFrame whose index holds unit ids is reordered to ``w.ids`` by its
  index (a panel's by its ``(id, time)`` MultiIndex); ids missing on either side, or repeated,
  are a :class:`~spillmap.errors.WeightsError` that lists them;
* a default ``RangeIndex`` holds no ids (unless its labels are exactly W's ids), and NumPy
  arrays and lists have none: their rows are taken to be in W's order already.

Written by hand (pandas indexing); no library aligns values to a weights matrix.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from spillmap.errors import InputError, WeightsError, format_items

if TYPE_CHECKING:
    from spillmap.spatial.weights import SpatialWeights

__all__ = ["is_pandas", "carries_ids", "align_units", "align_panel", "float_values", "check_periods_arg"]


def is_pandas(x: object) -> bool:
    """True for a pandas Series or DataFrame (values that may carry ids in their index)."""
    return isinstance(x, (pd.Series, pd.DataFrame))


def carries_ids(index: pd.Index, ids: tuple[str, ...]) -> bool:
    """True when ``index`` holds unit ids: any index but a default ``RangeIndex`` whose labels
    are not W's ids (``df[col]`` of a frame with a default index is positional)."""
    if isinstance(index, pd.RangeIndex):
        return len(index) == len(ids) and {str(i) for i in index} == set(ids)
    return True


def _mismatch(what: str, dup: list, missing: list, extra: list) -> str:
    parts = []
    if dup:
        parts.append(f"repeated ids {format_items(dup)}")
    if extra:
        parts.append(f"ids not in W: {format_items(extra)}")
    if missing:
        parts.append(f"W's ids missing from it: {format_items(missing)}")
    return (f"the index of {what} does not match the units of W; " + "; ".join(parts)
            + ". Index it by W's ids (w.ids), one row per unit, or pass a NumPy array in W's order.")


def _positions(labels: list[str], w: SpatialWeights, what: str) -> np.ndarray:
    """Position in ``labels`` of each of ``w.ids``; a WeightsError listing any mismatch."""
    pos: dict[str, int] = {}
    dup = []
    for i, u in enumerate(labels):
        if u in pos:
            dup.append(u)
        else:
            pos[u] = i
    known = set(w.ids)
    missing = [u for u in w.ids if u not in pos]
    extra = [u for u in pos if u not in known]
    if dup or missing or extra:
        raise WeightsError(_mismatch(what, dup, missing, extra))
    return np.array([pos[u] for u in w.ids], dtype=np.intp)


def align_units(x: pd.Series | pd.DataFrame, w: SpatialWeights, what: str) -> pd.Series | pd.DataFrame:
    """``x`` with its rows in the order of ``w.ids`` (by its index), or as is when its index holds no ids.

    Raises
    ------
    WeightsError
        A MultiIndex (panel data: use ``lag_panel``), or index ids that are not W's ids
        (repeated, missing and extra ids listed).
    """
    if isinstance(x.index, pd.MultiIndex):
        raise WeightsError(f"{what} has a {x.index.nlevels}-level index but takes one value per unit, indexed "
                           "by W's ids; for a panel indexed by (id, time) use w.lag_panel(x, t).")
    if not carries_ids(x.index, w.ids):
        return x
    labels = [str(u) for u in x.index]
    if labels == list(w.ids):
        return x
    return x.iloc[_positions(labels, w, what)]


def _id_level(index: pd.MultiIndex, w: SpatialWeights) -> int:
    """The level of a 2-level index that holds W's ids (the other is time)."""
    known = set(w.ids)
    overlap = [len({str(u) for u in index.levels[k]} & known) for k in (0, 1)]
    return int(np.argmax(overlap))


def _sorted_periods(values: pd.Index, t: int, what: str) -> pd.Index:
    periods = values.unique()
    try:
        periods = periods.sort_values()
    except TypeError:
        raise WeightsError(f"the periods of {what} mix types ({format_items(list(periods[:5]))}); "
                           "make the time level one type.") from None
    if len(periods) != t:
        raise WeightsError(f"{what} covers {len(periods)} periods but t={t}; pass t={len(periods)} "
                           "or select the periods first.")
    return periods


def align_panel(x: pd.Series | pd.DataFrame, w: SpatialWeights, t: int, what: str) -> pd.Series | pd.DataFrame:
    """``x`` with its rows stacked time-major (periods sorted), id-minor in ``w.ids`` order, by its
    ``(id, time)`` (or ``(time, id)``) MultiIndex; as is with a default ``RangeIndex``.

    Raises
    ------
    WeightsError
        A one-level index other than a default ``RangeIndex`` (the rows' (id, time) is unknown),
        an index of more than 2 levels, ids that are not W's, a number of periods other than
        ``t``, or repeated or missing (id, time) cells (listed).
    """
    index = x.index
    if isinstance(index, pd.RangeIndex):
        return x
    if not isinstance(index, pd.MultiIndex) or index.nlevels != 2:
        raise WeightsError(f"{what} has a {index.nlevels}-level index: lag_panel cannot tell each row's (id, time); "
                           "index it by (id, time), e.g. panel.set_index([id, time])[col], or pass a NumPy array "
                           "stacked time-major, id-minor.")
    k = _id_level(index, w)
    ids = pd.Index([str(u) for u in index.get_level_values(k)])
    times = index.get_level_values(1 - k)
    _positions(list(dict.fromkeys(ids)), w, what)  # the id sets must match (mismatches listed)
    key = pd.MultiIndex.from_arrays([times, ids])
    if key.has_duplicates:
        cells = [(i, p) for p, i in key[key.duplicated()].unique()]
        raise WeightsError(f"{what} repeats (id, time) cells {format_items(cells)}; keep one row per cell.")
    target = pd.MultiIndex.from_product([_sorted_periods(times, t, what), list(w.ids)])
    pos = key.get_indexer(target)
    if (pos < 0).any():
        cells = [(i, p) for p, i in target[pos < 0]]
        raise WeightsError(f"{what} has no row for the (id, time) cells {format_items(cells)}; "
                           "lag_panel needs a balanced panel.")
    return x if np.array_equal(pos, np.arange(pos.size)) else x.iloc[pos]


def float_values(x: object, what: str) -> np.ndarray:
    """``x`` as a float array of 1 or 2 dimensions.

    Raises
    ------
    InputError
        Text, a scalar, non-numeric values or more than 2 dimensions.
    """
    if isinstance(x, (str, bytes)):
        raise InputError(f"{what} must be numbers (a vector or an (N, k) array), got the text {x!r}.")
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be numbers (a vector or an (N, k) array); "
                         f"got a {type(x).__name__} with non-numeric values.") from None
    if arr.ndim == 0:
        raise InputError(f"{what} must be a vector or an (N, k) array of numbers, one row per unit; "
                         f"got the single {type(x).__name__} {x!r:.40}.")
    if arr.ndim > 2:
        raise InputError(f"{what} must be a vector or an (N, k) array, got {arr.ndim} dimensions.")
    return arr


def check_periods_arg(t: object) -> int:
    """``t`` (number of periods) as an int >= 1; InputError otherwise (a bool or a float too)."""
    if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 1:
        raise InputError(f"t must be the number of periods, an integer >= 1; got {t!r}.")
    return int(t)
