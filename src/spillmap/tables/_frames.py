"""The DataFrames of a :class:`~spillmap.tables.Table` (``Table.to_frame``): the machine-readable
long frame and the printed grid as text.

The long frame has one row per (row, column) cell: the row's label, block and kind, every
field of the column's header (hidden ones too, e.g. the dependent variable ``y`` that the
printed table names once in a note), the main value, ``se`` and ``p``.  Counts (rows of kind
``count``, integer cells) stay integers, so the CSV says ``752``, not ``752.0``.
"""
from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from spillmap.tables._format import is_missing

if TYPE_CHECKING:
    from spillmap.tables._model import Table

__all__ = ["long_frame", "formatted_frame"]


def _value(v: object, kind: str) -> object:
    """The machine-readable main value of a numeric cell: an ``int`` for a count, else a float (NaN if missing)."""
    if is_missing(v):
        return np.nan
    if kind == "count" or (isinstance(v, numbers.Integral) and not isinstance(v, bool | np.bool_)):
        return int(round(float(v)))
    return float(v)


def long_frame(t: Table) -> pd.DataFrame:
    """One row per cell of ``t`` (see the module docstring)."""
    recs = []
    head = list(t.columns.columns)
    for r in t.body.index:
        meta = t.rows.loc[r]
        for c in t.body.columns:
            v = t.body.at[r, c]
            num = is_missing(v) or not isinstance(v, str)
            rec = {"row": r, "label": meta["label"], "block": meta["block"], "kind": meta["kind"], "column": c}
            rec.update({(f"column_{h}" if h in rec else h): t.columns.at[c, h] for h in head})
            rec[t.value_name] = _value(v, str(meta["kind"])) if num else np.nan
            rec["text"] = "" if num else str(v)
            if t.se is not None:
                rec["se"] = t.se.at[r, c]
            if t.pvalues is not None:
                rec["p"] = t.pvalues.at[r, c]
            recs.append(rec)
    out = pd.DataFrame.from_records(recs)
    if len(out):  # from_records turns a column of ints and floats into floats: keep the ints
        values = [rec[t.value_name] for rec in recs]
        if any(isinstance(v, int) for v in values):
            out[t.value_name] = pd.Series(values, index=out.index, dtype=object)
    if not (out["text"] != "").any():
        out = out.drop(columns="text")
    return out


def formatted_frame(t: Table) -> pd.DataFrame:
    """The printed grid of ``t`` as text: the printed header fields as the column MultiIndex."""
    g = t.grid()
    names = t.printed_header()
    if names:
        cols = pd.MultiIndex.from_arrays([[str(v) for v in t.columns[h]] for h in names], names=names)
    else:
        cols = pd.Index(list(t.body.columns))
    data = [list(row.cells) if row.kind != "block" else [""] * g.ncols for row in g.rows]
    labels = [row.label for row in g.rows]
    return pd.DataFrame(data, index=pd.Index(labels, name=t.stub or None), columns=cols)
