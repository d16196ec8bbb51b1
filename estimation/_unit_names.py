"""Units named by the user: ids, or names in a column of readable names (matched regardless of
case), with the closest ids or names suggested for an unknown one.  The one resolver of the scenarios'
``units`` / ``to_unit`` (:func:`spillmap.estimation._scenario_input.select_units`) and of a study's
``[maps] spillover_city`` (:func:`unit_id`)."""
from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from spillmap.errors import InputError, format_items

__all__ = ["unit_id"]


def _closest(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=3, cutoff=0.5)
    return f" (closest: {', '.join(map(repr, close))})" if close else ""


def _attributes(attributes: pd.DataFrame | None, ids: Sequence[str]) -> pd.DataFrame:
    if attributes is None:
        return pd.DataFrame(index=pd.Index(ids, name="id"))
    if not isinstance(attributes, pd.DataFrame):
        raise InputError(f"attributes must be a DataFrame indexed by unit id, got {type(attributes).__name__}.")
    a = attributes.copy()
    a.index = a.index.astype(str)
    if a.index.has_duplicates:
        raise InputError(f"attributes: unit ids repeated: {format_items(sorted(set(a.index[a.index.duplicated()])))}.")
    return a.reindex(list(ids))


def _other_column_hint(item: str, attrs: pd.DataFrame | None, skip: Any, what: str = "units") -> str:
    """`` (it is the COLUMN of ID: ...)`` when ``item`` is the value of another text column of
    ``attrs`` (e.g. an English name while names are matched in the Chinese column)."""
    if attrs is None:
        return ""
    key = item.casefold()
    for col in attrs.columns:
        if col == skip or not pd.api.types.is_string_dtype(attrs[col]):
            continue
        hit = attrs.index[attrs[col].astype(str).str.casefold() == key]
        if len(hit) and what != "units":  # one unit named elsewhere (maps.spillover_city): its id
            return f" (the {col} of {format_items(list(map(str, hit)))}: give the id)"
        if len(hit):
            return (f" (the {col} of {format_items(list(map(str, hit)))}: select it by that column, "
                    f"units = {{ {col} = \"{item}\" }} or --units {col}={item}, or give the id)")
    return ""


def unit_id(item: Any, ids: Sequence[str], attributes: pd.DataFrame | None = None, names: str | None = None, *,
            what: str = "unit") -> str:
    """The id of one unit given by its id or by its name in the column ``names`` of ``attributes``,
    matched as :func:`select_units` matches the units of a scenario; an unknown one is an error
    starting with ``what`` (e.g. ``maps.spillover_city``) that gives the closest ids or names."""
    ids = [str(i) for i in ids]
    attrs = _attributes(attributes, ids)
    name_col = _name_column(attrs, names)
    found, unknown = _positions([item], ids, name_col, what)
    if unknown:
        known = f"neither a unit id nor a {names} value" if names is not None else "not a unit id"
        raise InputError(f"{what}: {str(item)!r} is {known}{_hint(str(item), ids, name_col, attrs, what)}.")
    return ids[found[0]]


def _name_column(attrs: pd.DataFrame, names: str | None) -> pd.Series | None:
    """The column of readable names (``None`` without one); a column not in ``attrs`` is an error."""
    if names is not None and names not in attrs.columns:
        raise InputError(f"names: column {names!r} not in the attributes; available: "
                         f"{format_items(list(attrs.columns))}.")
    return None if names is None else attrs[names]


def _positions(items: Sequence[Any], ids: Sequence[str], names: pd.Series | None,
               what: str) -> tuple[list[int], list[str]]:
    """Positions of the ``items`` that are ids or (case aside) names in ``names``, and the others;
    a name shared by several ids is an error."""
    pos = {i: k for k, i in enumerate(ids)}
    lookup: dict[str, list[int]] = {}
    if names is not None:
        for k, nm in enumerate(names.astype(str)):
            lookup.setdefault(nm.casefold(), []).append(k)
    out, unknown = [], []
    for item in items:
        s = str(item)
        if s in pos:
            out.append(pos[s])
        elif s.casefold() in lookup:
            hit = lookup[s.casefold()]
            if len(hit) > 1:
                raise InputError(f"{what}: the name {s!r} is shared by the ids "
                                 f"{format_items([ids[h] for h in hit])}; give the id.")
            out.append(hit[0])
        else:
            unknown.append(s)
    return out, unknown


def _hint(item: str, ids: Sequence[str], names: pd.Series | None, attrs: pd.DataFrame | None, what: str) -> str:
    """Why ``item`` may have been meant: the other column of ``attrs`` holding it, or the closest ids or names."""
    pool = list(ids) + ([] if names is None else list(names.astype(str)))
    return _other_column_hint(item, attrs, None if names is None else names.name, what) or _closest(item, pool)


def _by_name(items: Sequence[Any], ids: Sequence[str], names: pd.Series | None,
             attrs: pd.DataFrame | None = None) -> np.ndarray:
    """Positions of ``items`` (ids, or names in ``names``); unknown ones listed with the closest
    matches, or with the other column of ``attrs`` that holds them."""
    out, unknown = _positions(items, ids, names, "units")
    if unknown:
        hints = "; ".join(f"{u!r}{_hint(u, ids, names, attrs, 'units')}" for u in unknown[:10])
        more = f" (and {len(unknown) - 10} more)" if len(unknown) > 10 else ""
        raise InputError(f"units: {len(unknown)} unknown unit(s): {hints}{more}. Give ids of the model's W"
                         + (" or names" if names is not None else "") + ".")
    return np.array(out, dtype=int)
