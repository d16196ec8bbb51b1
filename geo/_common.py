"""Helpers shared by the geo modules: the warning type and unit-id normalisation.

Written by hand (pandas only): the rules for turning ids read as numbers back into
the text codes a boundary layer carries are spillmap's own and must be the same on
the layer side (:func:`spillmap.geo.read_boundaries`) and on the panel side
(:func:`spillmap.geo.join_panel`).
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from spillmap.errors import DataError, Shown, format_items, number_hint
from spillmap.errors import DataWarning as SpillmapWarning  # the geo layer's warnings are about data

__all__ = ["SpillmapWarning", "Shown", "normalise_ids", "nonnull_ids", "check_unique_ids", "period_gaps", "warn_period_gaps", "period_values"]


def _int_text(value: float) -> str:
    return str(int(value))


def normalise_ids(values: pd.Series, *, what: str) -> tuple[pd.Series, str]:
    """Turn a column of unit ids into text, the one id type spillmap uses.

    Parameters
    ----------
    values
        The id column, without nulls (callers check and report nulls first, because
        only they know how to name the offending rows).
    what
        How to name the column in messages, e.g. ``"panel column 'adcode'"``.

    Returns
    -------
    ids, note
        ``ids`` is a ``str`` Series with the same index; ``note`` says in words what
        was normalised (``""`` if the column already held clean text).

    Notes
    -----
    * integers become their decimal digits: ``110000`` -> ``"110000"``;
    * floats must be integral and become the integer's digits: ``110000.0`` -> ``"110000"``
      (a non-integral float id such as ``1.5`` is an error);
    * text is kept, with surrounding white space removed;
    * object columns mixing these are normalised element by element;
    * dates and other types are an error: read the column as text instead.

    Leading zeros lost when a file stored codes as numbers cannot be recovered here:
    ``"01001"`` read as ``1001`` becomes ``"1001"``.

    Raises
    ------
    DataError
        For non-integral float ids, or ids of an unsupported type.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):  # e.g. from read_stata
        values = values.astype(object)
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        raise DataError(f"{what} holds True/False values, not unit ids; choose the id column.")
    if pd.api.types.is_integer_dtype(dtype):
        out = pd.Series([str(int(v)) for v in values], index=values.index, dtype="str")
        return out, f"{what}: integer ids converted to text (e.g. {values.iloc[0]} -> {out.iloc[0]!r})" if len(out) else ""
    if pd.api.types.is_float_dtype(dtype):
        arr = values.to_numpy(dtype=float)
        bad = ~np.isfinite(arr) | (arr != np.floor(arr))
        if bad.any():
            raise DataError(
                f"{what} holds non-integer numbers, which cannot be unit ids: "
                f"{format_items(values[bad].tolist())}. Read the column as text (e.g. dtype={{col: str}})."
            )
        out = pd.Series([_int_text(v) for v in arr], index=values.index, dtype="str")
        note = f"{what}: float ids with integer values converted to text (e.g. {float(arr[0])!r} -> {out.iloc[0]!r})" if len(out) else ""
        return out, note
    if pd.api.types.is_string_dtype(dtype) or dtype == object:
        converted: list[str] = []
        kinds: set[str] = set()
        bad_items: list[object] = []
        for v in values:
            if isinstance(v, str):
                converted.append(v.strip())
                if v != v.strip():
                    kinds.add("white space stripped")
            elif isinstance(v, (bool, np.bool_)):
                bad_items.append(v)
            elif isinstance(v, (int, np.integer)):
                converted.append(str(int(v)))
                kinds.add("integers converted to text")
            elif isinstance(v, (float, np.floating)) and np.isfinite(v) and float(v).is_integer():
                converted.append(_int_text(v))
                kinds.add("integer-valued floats converted to text")
            else:
                bad_items.append(v)
        if bad_items:
            raise DataError(
                f"{what} holds values that cannot be unit ids: {format_items(bad_items)}. "
                "Ids must be text codes or integers."
            )
        out = pd.Series(converted, index=values.index, dtype="str")
        return out, (f"{what}: " + ", ".join(sorted(kinds))) if kinds else ""
    raise DataError(
        f"{what} has dtype {dtype}, which cannot hold unit ids; read it as text "
        "(e.g. pandas.read_csv(..., dtype={col: str}))."
    )



def nonnull_ids(values: pd.Series, *, what: str) -> tuple[pd.Series, str]:
    """:func:`normalise_ids` after refusing null ids (their row index labels named).

    ``what`` names the column in both messages, e.g. ``"layer column 'adcode'"``.
    """
    null = values.isna()
    if null.any():
        raise DataError(f"{what} has null ids at row index {format_items(list(values.index[null.to_numpy()]))}.")
    return normalise_ids(values, what=what)


def check_unique_ids(ids: pd.Series, *, what: str, error: type[Exception] = DataError) -> None:
    """Raise ``error`` naming the duplicated ids unless every id in ``ids`` is unique."""
    dup = ids[ids.duplicated()].unique().tolist()
    if dup:
        raise error(f"{what} is not unique; duplicated ids: {format_items(dup)}.")

def period_values(values: object) -> list:
    """The distinct periods of ``values`` in ascending order, as Python objects: numbers, text,
    and dates as Timestamps (pandas 2 turns datetime64[ns] into integers of nanoseconds on
    ``.tolist()`` and ``.item()``, which then match no period of the panel)."""
    return sorted(pd.Index(pd.unique(np.asarray(values))).tolist())


def _dates(times: Sequence[object]) -> pd.DatetimeIndex | None:
    """The periods as dates when every one is a date or timestamp (any resolution), else None."""
    import datetime

    if len(times) and all(isinstance(t, (np.datetime64, datetime.date)) for t in times):
        return pd.DatetimeIndex(pd.to_datetime(list(times)))
    return None


def period_gaps(times: Sequence[object]) -> list[tuple[object, object]]:
    """Consecutive pairs of periods further apart than the usual step.

    ``times`` are the distinct periods in ascending order.  Whole numbers: the usual step
    is the smallest difference (1 for years, 10 for census decades); a pair further apart
    marks periods that are absent for every unit (``[(1981, 1983)]`` for 1980, 1981,
    1983).  Dates: a pair more than 1.5 times the smallest difference apart (months and
    years differ in length by a few days; a missing month or year doubles the step); the
    pair is returned as dates.  Other periods (labels) are not checked and give ``[]``.
    """
    dates = _dates(times)
    if dates is not None:  # before .item(): datetime64[ns] would turn into integers of nanoseconds
        if len(dates) < 3:
            return []
        steps = np.diff(dates.as_unit("ns").asi8).astype(float)
        step = steps.min()
        shown = [d.date() if d == d.normalize() else d for d in dates]
        return [] if step <= 0 else [(shown[k], shown[k + 1]) for k in np.flatnonzero(steps > 1.5 * step)]
    values = [t.item() if isinstance(t, np.generic) else t for t in times]
    if len(values) < 3 or not all(
        isinstance(t, (int, float)) and not isinstance(t, bool) and float(t).is_integer() for t in values
    ):
        return []
    steps = np.diff(np.asarray(values, dtype=float))
    step = steps.min()
    if step <= 0:
        return []
    return [(values[k], values[k + 1]) for k in np.flatnonzero(steps > step)]


def warn_period_gaps(times: Sequence[object], column: str, *, stacklevel: int = 3) -> str:
    """Warn (:class:`~spillmap.errors.DataWarning`) when whole-number periods have gaps; return the message."""
    gaps = period_gaps(times)
    if not gaps:
        return ""
    dates = _dates(times)
    if dates is not None:
        step = f"{np.diff(dates.as_unit('ns').asi8).min() / 86_400e9:g} days"
    else:
        step = f"{min(float(b) - float(a) for a, b in zip(times[:-1], times[1:])):g}"
    shown = [Shown(f"{a} -> {b}") for a, b in gaps]
    msg = (
        f"the periods in column {column!r} are not equally spaced (usual step {step}); no unit has data "
        f"between {format_items(shown, limit=5)}. Check that no period was lost; estimates treat the "
        "periods as exchangeable, so a model with a trend or a lag in time would be wrong."
    )
    warnings.warn(msg, SpillmapWarning, stacklevel=stacklevel)
    return msg


def id_text_hint(ids: Sequence[str], codes: set[str], *, what: str, against: str) -> str:
    """A hint when ids that match nothing are ``codes`` in full-width (or other compatibility)
    characters, e.g. typed with a Chinese input method, or in another letter case (``""``
    otherwise).  ``what`` and ``against`` name the two sides in the sentence."""
    import unicodedata

    wide = next((i for i in ids if unicodedata.normalize("NFKC", i) in codes), None)
    if wide is not None:
        return (f" {what} are {against} written with full-width or other non-ASCII characters "
                f"({wide!r} against {unicodedata.normalize('NFKC', wide)!r}); save them in ASCII.")
    folded = {c.casefold(): c for c in codes}
    case = next((i for i in ids if i.casefold() in folded), None)
    if case is not None:
        return (f" {what} differ from {against} in letter case only ({case!r} against "
                f"{folded[case.casefold()]!r}); recode one of them.")
    pair = _affix_pair(ids, codes)
    if pair is not None:
        return (f" {what} look like {against} with a part left out or added ({pair[0]!r} against {pair[1]!r}: "
                "a suffix such as 市 or County?); use the same spelling on both sides, or join on codes.")
    return ""


def _affix_pair(ids: Sequence[str], codes: set[str], limit: int = 20) -> tuple[str, str] | None:
    """The first ``(id, code)`` where one starts with the other and no other code competes
    ('北京' and '北京市'), among the first ``limit`` ids of two or more characters."""
    for i in [i for i in ids if len(i) >= 2][:limit]:
        longer = [c for c in codes if c.startswith(i) and c != i]
        if len(longer) == 1:
            return i, longer[0]
        shorter = [c for c in codes if len(c) >= 2 and i.startswith(c) and c != i]
        if len(shorter) == 1:
            return i, shorter[0]
    return None


def first_text_cell(s: pd.Series) -> tuple[int, str, int] | None:
    """``(row, shown, count)`` of the first cell of ``s`` that holds something other than a
    number: its position, its value with :func:`~spillmap.errors.number_hint`, and how many such
    cells there are; None when every non-missing cell is a number (or numeric text)."""
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
        return None
    bad = (s.notna() & pd.to_numeric(s, errors="coerce").isna()).to_numpy()
    if not bad.any():
        return None
    k = int(np.flatnonzero(bad)[0])
    return k, f"{s.iloc[k]!r}{number_hint(s.iloc[k])}", int(bad.sum())


def id_format_hint(pan_raw: pd.Series, lay_ids: pd.Series, missing: list[str]) -> str:
    """A hint when the panel's ids are the layer's codes written otherwise: as decimals
    ('110000.0'), with leading zeros the layer's codes lack, or as numbers that lost theirs."""
    layer_set = set(lay_ids.tolist())
    first = [str(i) for i in missing[:50]]
    decimal = next((i for i in first if i.endswith(".0") and i[:-2] in layer_set), None)
    if decimal is not None:
        return (
            f" The panel's ids look like whole numbers written as decimals ({decimal!r} against the layer's "
            f"{decimal[:-2]!r}: a column with empty cells read as floats?); read the id column as text "
            "(spillmap's own readers do) or as integers."
        )
    example = next((i for i in first if i != i.lstrip("0") and (i.lstrip("0") or "0") in layer_set), None)
    if example is not None:
        return (
            f" The panel's ids have leading zeros that the layer's codes lack ({example!r} against "
            f"{example.lstrip('0') or '0'!r}: the layer stores them as numbers?); store the layer's codes as "
            "zero-padded text, or strip the zeros from the panel ids."
        )
    text_hint = id_text_hint(first, layer_set, what="The panel's ids", against="the layer's codes")
    if text_hint:
        return text_hint
    if not (pd.api.types.is_numeric_dtype(pan_raw.dtype) or pan_raw.dtype == object):
        return ""
    widths = {len(i) for i in lay_ids.tolist()}
    if len(widths) != 1:
        return ""
    width = widths.pop()
    if any(i.zfill(width) in layer_set for i in missing[:50]):
        return (
            f" The layer's codes have {width} characters with leading zeros; the panel ids look "
            "like numbers that lost them (read the column as text, e.g. "
            f"pandas.read_csv(..., dtype={{{pan_raw.name!r}: str}}), or zero-pad them)."
        )
    return ""
