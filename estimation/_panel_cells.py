"""The unit and period keys of a panel: its id and time columns, its cells and their match with W.

Used by :func:`~spillmap.estimation._data.build_panel_data` before any estimation: ids as text
(as :func:`spillmap.geo.normalise_ids` reads them), empty keys and unlike periods by file line,
duplicate (id, time) cells, units that W lacks or has in excess, and an unbalanced panel (the
missing cells listed).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from spillmap._rowplace import check_keys_filled, check_periods
from spillmap.errors import DataError, Shown, WeightsError, format_items
from spillmap.spatial.weights import SpatialWeights


def _id_column(data: pd.DataFrame, id: str) -> pd.Series:
    check_keys_filled(data, id)
    from spillmap.geo import normalise_ids

    if pd.api.types.is_string_dtype(data[id].dtype) and not isinstance(data[id].dtype, pd.CategoricalDtype):
        return data[id].astype(str).str.strip()  # vectorised; same result as normalise_ids for text
    return normalise_ids(data[id], what=f"panel column {id!r}")[0]


def _time_column(data: pd.DataFrame, time: str | None) -> pd.Series:
    if time is None:
        return pd.Series(np.zeros(len(data), dtype=int), index=data.index)
    check_keys_filled(data, None, time)
    check_periods(data, time)
    return data[time]


def _check_w_ids(key: pd.DataFrame, w: SpatialWeights, id: str) -> None:
    data_ids = pd.unique(key.id).tolist()  # a list: iterating an Arrow string array is ~10x slower
    w_ids = set(w.ids)
    not_in_w = [i for i in data_ids if i not in w_ids]
    dset = set(data_ids)
    not_in_data = [i for i in w.ids if i not in dset]
    if not_in_w or not_in_data:
        parts = []
        if not_in_w:
            parts.append(f"ids in column {id!r} but not in W: {format_items(not_in_w, limit=10)}")
        if not_in_data:
            parts.append(f"ids in W but not in column {id!r}: {format_items(not_in_data, limit=10)}")
        raise WeightsError(
            f"the weights {w.name or ''} do not match the panel's units; " + "; ".join(parts)
            + ".  Use w.subset(ids).row_standardize() or add the missing units."
        )


def _check_cells(key: pd.DataFrame, w: SpatialWeights, id: str, time: str | None,  # noqa: A002
                 data: pd.DataFrame) -> np.ndarray:
    """Duplicate and missing (id, time) cells (with the file lines and the file of ``data`` when it
    was read from one); returns the sorted periods."""
    from spillmap._rowplace import rows_place, source_name

    dup = key.duplicated(keep=False).to_numpy()
    if dup.any() and time is None:  # time= forgotten: the periods of a panel read as repeated units
        per = int(key.id.value_counts().max())
        raise DataError(f"time=None means a cross-section (one row per unit), but {id!r} repeats (up to {per} rows "
                        f"per unit, e.g. {key.id[dup].iloc[0]!r}): pass time= (--time) the column of the periods.")
    if dup.any():
        cells = sorted({f"({i}, {t})" for i, t in zip(key.id[dup], key.time[dup])})
        lines = rows_place(data, data.index[dup][:20])
        raise DataError(f"duplicate (id, time) rows in columns {id!r}/{time!r}: {format_items(map(Shown, cells))}"
                        f"{f' ({lines})' if lines else ''}.")
    _check_w_ids(key, w, id)
    times = np.sort(pd.unique(key.time))
    if len(key) != w.n * len(times):
        have = set(zip(key.id, key.time))
        missing = [Shown(f"({i}, {tt})") for tt in times for i in w.ids if (i, tt) not in have]
        source = source_name(data)
        raise DataError(
            f"{f'{source}: ' if source else ''}the panel is unbalanced: {len(missing)} (id, time) cells are "
            f"missing: {format_items(missing)}. "
            "Spatial panel ML needs every unit in every period; fill or drop units/periods."
        )
    return times


def unit_positions(ids: pd.Series, w: SpatialWeights) -> np.ndarray:
    """Each row's unit position in ``w`` (every id is in ``w``: checked before), the same integers as
    ``ids.map(w._id_index)``: the dict is read once per distinct id instead of once per row
    (about 4 against 47 ms for 100,000 rows)."""
    codes, distinct = pd.factorize(ids)
    at = np.fromiter((w._id_index[u] for u in distinct.tolist()), dtype=np.int64, count=len(distinct))
    return at[codes]


def key_ids(ids: pd.Series) -> Any:
    """The id column's values for the panel's key frame, as that frame would hold them: its own
    array when it already has the dtype pandas gives text (pandas 3: Arrow-backed ``str``), which
    skips a round trip through 100,000 Python strings (0.1 against 16 ms); else a numpy array."""
    text_dtype = pd.Series(np.array([""], dtype=object)).dtype  # what pandas infers for text, under its options
    return ids.array if ids.dtype == text_dtype else ids.to_numpy()
