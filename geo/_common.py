"""Helpers shared by the geo modules: the warning type and unit-id normalisation.

Written by hand (pandas only): the rules for turning ids read as numbers back into
the text codes a boundary layer carries are spillmap's own and must be the same on
the layer side (:func:`spillmap.geo.read_boundaries`) and on the panel side
(:func:`spillmap.geo.join_panel`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from spillmap.errors import DataError, format_items
from spillmap.errors import DataWarning as SpillmapWarning  # the geo layer's warnings are about data

__all__ = ["SpillmapWarning", "normalise_ids"]


class Shown:
    """An item that :func:`spillmap.errors.format_items` prints as is (not quoted)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


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
