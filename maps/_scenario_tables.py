"""A scenario's two tables -- the group totals and the largest spillovers received -- as
:class:`spillmap.tables.Table` objects, labelled and formatted as the report's other tables:
readable column heads, the grouping columns under the spec's variable labels (``[model] labels``,
e.g. ``is_key_city = "Key city"``), the groups under its group labels (``[heterogeneity] labels``), one
number of decimals per table, no scientific notation; a number those decimals would print as zero but which
is not zero prints as the bound it lies within (``<0.00001``, ``>−0.00001``), with a note.  The frames come from
:func:`spillmap.maps._report_scenarios.groups_table` and ``top_table``; layout only.

The writers of :mod:`spillmap.tables` then give every format (printed CSV, LaTeX, Word, Excel,
Markdown, HTML); the CSV with every digit is the frame itself.
"""
from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from spillmap.tables import PrintedNumber, Table, decimals_for, format_number

__all__ = ["COLUMN_LABELS", "below_resolution", "group_label", "scenario_groups_table", "scenario_top_table",
           "table_decimals", "scenario_decimals"]

#: column heads of the frames' columns (the interval columns get the level in front)
COLUMN_LABELS = {"n_units": "Units", "n_shocked": "Changed units", "shocked": "Changed", "own": "Own change",
                 "received": "Received", "total": "Total change", "mean_total": "Total per unit",
                 "ci_lower": "CI lower", "ci_upper": "CI upper", "ci_includes_zero": "CI includes 0"}
_TOTALS = {("all", "all units"): "All units", ("shocked", "shocked units"): "Changed units",
           ("shocked", "other units"): "Other units"}
_NUMBERS = ("own", "received", "total", "mean_total", "ci_lower", "ci_upper")


def group_label(column: str, value: object, labels: Mapping[str, Mapping[str, str]] | None) -> str:
    """The label of group ``value`` of grouping ``column``: the spec's label when it has one, else the value."""
    return str(dict((labels or {}).get(column, {})).get(str(value), value))


def table_decimals(values: Sequence[float], *, floor: float = 1e-3) -> int:
    """One number of decimals for a table: two significant digits of its smallest number that is at least
    ``floor`` times its largest (3 to 6 decimals; smaller numbers print as zeros, the CSV keeps them)."""
    v = np.abs(np.asarray([x for x in values if x is not None], dtype=float))
    v = v[np.isfinite(v) & (v > 0)]
    if not v.size:
        return 3
    return decimals_for(v[v >= floor * v.max()], digits=2, least=3, most=6)


def scenario_decimals(result: object, k: int = 10) -> int:
    """The decimals a scenario's tables print (the more of its two tables': the group totals and the ``k`` largest
    spillovers received, ``[scenarios] top``, 10 by default), for its map's legend and tooltips to read alike."""
    from spillmap.maps._report_scenarios import groups_table, top_table

    grp, top = groups_table(result), top_table(result, k)
    return max(table_decimals(f[[c for c in _NUMBERS if c in f.columns]].to_numpy(dtype=float).ravel())
               for f in (grp, top))


def _cell(v: object) -> object:
    """A body cell: yes / no for a flag, a Python int for a count, a float for a number, text as is."""
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real):
        return float(v)
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)


def _heads(columns: Sequence[str], level: float, titles: Mapping[str, str] | None = None) -> list[str]:
    """Column heads: the interval bounds with the level, the frame's numbers by :data:`COLUMN_LABELS`, a
    grouping column by ``titles`` (the spec's variable labels) or its name."""
    ci = f"{level:.0%} CI"
    return [f"{ci}, {'lower' if c == 'ci_lower' else 'upper'}" if c in ("ci_lower", "ci_upper")
            else COLUMN_LABELS.get(c, str((titles or {}).get(c, c))) for c in columns]


def below_resolution(v: object, decimals: int) -> str | None:
    """``"<0.00001"`` (``">−0.00001"`` below 0) for a number that is not zero but that ``decimals`` decimals
    would print as zero (newcomer audit 29 #3.1: Beijing's change 8.3e-11 printed ``0.00000``, "CI 0.00000
    to 0.00000, includes 0: no"); ``None`` for any other value."""
    if isinstance(v, bool | np.bool_) or not isinstance(v, numbers.Real) or isinstance(v, numbers.Integral):
        return None
    x = float(v)
    if x == 0 or not np.isfinite(x) or float(format_number(x, decimals, thousands=False)) != 0:
        return None
    step = f"{10.0 ** -decimals:.{decimals}f}"
    return f"<{step}" if x > 0 else f">\u2212{step}"


def _bounds_note(decimals: int) -> str:
    step = f"{10.0 ** -decimals:.{decimals}f}"
    return (f"<{step}: a change above 0 but below {step}; >\u2212{step}: below 0 but above \u2212{step} (the CSV "
            "of numbers has every digit).")


def _table(body: pd.DataFrame, labels: list[str], blocks: list[str], heads: list[str], *, numbers: Sequence[str],
           caption: str, notes: Sequence[str], stub: str, titles: Sequence[tuple[str, str]] = ()) -> Table:
    keys = [f"r{i}" for i in range(len(body))]
    dec = table_decimals(body[list(numbers)].to_numpy(dtype=float).ravel())
    cells = pd.DataFrame([[_cell(v) for v in row] for row in body.itertuples(index=False)], index=keys,
                         columns=list(body.columns), dtype=object)
    tiny = False
    for c in numbers:  # a number printed as zero that is not zero prints as the bound it lies within
        for k in keys:
            bound = below_resolution(cells.at[k, c], dec)
            if bound is not None:
                cells.at[k, c], tiny = PrintedNumber(bound, cells.at[k, c]), True  # the XLSX keeps the number
    rows = pd.DataFrame({"label": labels, "block": blocks, "kind": "stat", "decimals": dec}, index=keys)
    return Table(body=cells, rows=rows, columns=pd.DataFrame({"label": heads}, index=list(body.columns)),
                 caption=caption, notes=(*notes, *([_bounds_note(dec)] if tiny else [])), paren=None, star_levels=(),
                 block_titles=tuple(titles), stub=stub, value_name="value")


def scenario_groups_table(frame: pd.DataFrame, *, level: float, labels: Mapping[str, Mapping[str, str]] | None,
                          caption: str, notes: Sequence[str] = (), titles: Mapping[str, str] | None = None) -> Table:
    """The totals of the region, the changed units and each group (``frame``: index ``grouping``,
    a ``group`` column and the numbers), one block per grouping column, titled "By TITLE" (``titles``:
    the spec's variable labels; the column's name without one)."""
    cols = [c for c in frame.columns if c != "group"]
    names, blocks, blocks_titles = [], [], {}
    for grouping, group in zip(frame.index, frame["group"]):
        if (grouping, group) in _TOTALS:
            names.append(_TOTALS[(grouping, group)])
            blocks.append("totals")
        else:
            names.append(group_label(str(grouping), group, labels))
            blocks.append(str(grouping))
            blocks_titles[str(grouping)] = f"By {(titles or {}).get(str(grouping), grouping)}"
    return _table(frame[cols], names, blocks, _heads(cols, level), numbers=[c for c in cols if c in _NUMBERS],
                  caption=caption, notes=notes, stub="Group", titles=tuple(blocks_titles.items()))


def scenario_top_table(frame: pd.DataFrame, *, level: float, labels: Mapping[str, Mapping[str, str]] | None,
                       unit: str, caption: str, notes: Sequence[str] = (),
                       titles: Mapping[str, str] | None = None) -> Table:
    """The units receiving the largest spillovers (``frame``: index id; ``rank``, ``name``, the group
    columns, ``shocked`` and the numbers), one row per unit labelled ``rank. name (id)``; a group column
    headed by ``titles`` (the spec's variable labels) or its name."""
    names = [f"{r['rank']}. {r['name']} ({i})" if isinstance(r.get("name"), str) and r["name"] else
             f"{r['rank']}. {i}" for i, r in frame.iterrows()]
    cols = [c for c in frame.columns if c not in ("rank", "name")]
    body = frame[cols].copy()
    groups = [c for c in cols if c not in COLUMN_LABELS]
    for c in groups:
        body[c] = [group_label(c, v, labels) for v in body[c]]
    return _table(body, names, [""] * len(body), _heads(cols, level, titles),
                  numbers=[c for c in cols if c in _NUMBERS], caption=caption, notes=notes, stub=f"Rank, {unit} (id)")
