"""The one table model every writer renders: numbers plus what each row and column is.

A :class:`Table` keeps numbers, never formatted strings: ``body`` holds the main value
of each cell (an estimate, a statistic, a count, or a short text such as ``"yes"``),
``se`` and ``pvalues`` the standard error and p-value behind it.  What is printed in
parentheses (SE, t or p), the stars, the decimals and the layout are options of the
table, applied only by :meth:`Table.grid` (the formatted text every text writer uses)
and by the XLSX writer (which keeps numbers as numbers with number formats).

The shape follows pyfixest/maketables ``MTable`` (a DataFrame plus notes rendered at the
end) and R modelsummary (one intermediate, many formats).  Written by hand: the grid
(header spans, estimate row + parenthesis row) is a few loops over pandas frames.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from spillmap.errors import InputError
from spillmap.tables._format import STAR_LEVELS, format_number, format_p, format_value, is_missing, star_note, stars

__all__ = ["Table", "Grid", "GridRow", "ParenStat", "PAREN_STATS", "ROW_KINDS", "table_from_frame"]

ParenStat = Literal["se", "t", "p"]
PAREN_STATS: tuple[str, ...] = ("se", "t", "p")
#: ``coef``: estimate (+ stars) with SE/t/p in parentheses; ``stat``: a number with
#: ``decimals``; ``count``: an integer; ``text``: shown as is; ``test``: a statistic
#: with its p-value in parentheses (diagnostics).
ROW_KINDS: tuple[str, ...] = ("coef", "stat", "count", "text", "test")
_PAREN_NOTE = {
    "se": "Standard errors in parentheses.",
    "t": "z (or t) statistics in parentheses.",
    "p": "p-values in parentheses.",
}


def _check_choice(name: str, value: object, choices: Sequence[object]) -> None:
    if value not in choices:
        raise InputError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}.")


@dataclass(frozen=True)
class GridRow:
    """One printed row: ``kind`` is ``"main"`` (label + values), ``"paren"`` (the
    parenthesis row under a main row) or ``"block"`` (a block title spanning the table);
    ``rule_above`` marks the first row of a new block."""

    kind: str
    label: str
    cells: tuple[str, ...]
    key: str = ""
    rule_above: bool = False


@dataclass(frozen=True)
class Grid:
    """The formatted table: header rows as ``(text, span)`` runs, body rows, notes."""

    stub: str
    header: tuple[tuple[tuple[str, int], ...], ...]
    rows: tuple[GridRow, ...]
    notes: tuple[str, ...]
    caption: str
    ncols: int


def _frame_like(df: pd.DataFrame | None, body: pd.DataFrame, name: str) -> pd.DataFrame | None:
    if df is None:
        return None
    out = pd.DataFrame(df).reindex(index=body.index, columns=body.columns)
    if not (out.index.equals(body.index) and out.columns.equals(body.columns)):  # pragma: no cover
        raise InputError(f"{name} must have the body's rows and columns.")
    return out.astype(float)


@dataclass(frozen=True, eq=False)
class Table:
    """An immutable table of numbers with row and column metadata.

    Attributes
    ----------
    body
        Rows x columns of main values (floats, ints or short texts), indexed by unique
        row and column keys (strings).
    rows
        Indexed like ``body.index``: ``label`` (printed), ``block`` (rows of one block are
        printed together; a rule separates blocks), ``kind`` (one of :data:`ROW_KINDS`)
        and ``decimals``.
    columns
        Indexed like ``body.columns``; each column is one header row (e.g. ``label``,
        ``model``, ``W``, ``effects``); equal neighbours are merged into one spanning cell.
    se, pvalues
        Standard errors and p-values aligned with ``body`` (NaN where none).
    caption, notes
        Caption and the user's notes (the parenthesis and star notes are added by
        :meth:`all_notes`).
    paren
        What ``coef`` rows show in parentheses: ``"se"``, ``"t"`` (``body / se``) or
        ``"p"``; ``None`` for nothing.
    star_levels
        Significance levels of the stars (empty: no stars).
    block_titles
        ``(block, title)`` pairs: a title row printed above the block.
    stub
        Header of the label column.
    value_name
        Name of the main value in the machine-readable frame (``"estimate"``, ``"statistic"``,
        ``"value"``).
    hidden
        Fields of ``columns`` kept in the machine-readable frame but not printed as header
        rows (e.g. the dependent variable when a note names it once).
    paren_note
        The note on what the parentheses hold, in place of the default ("Standard errors in
        parentheses.") -- e.g. saying which standard errors they are.
    decimals_chosen
        ``True`` when the builder chose each row's decimals from that row's own numbers, before
        any rows were left out (:func:`~spillmap.tables.regression_table`): ``readable`` then
        keeps them, so a row prints alike in every table of the same fits.
    """

    body: pd.DataFrame
    rows: pd.DataFrame
    columns: pd.DataFrame
    se: pd.DataFrame | None = None
    pvalues: pd.DataFrame | None = None
    caption: str = ""
    notes: tuple[str, ...] = ()
    paren: ParenStat | None = "se"
    star_levels: tuple[float, ...] = STAR_LEVELS
    block_titles: tuple[tuple[str, str], ...] = ()
    stub: str = ""
    value_name: str = "estimate"
    hidden: tuple[str, ...] = ()
    paren_note: str = ""
    decimals_chosen: bool = False

    def __post_init__(self) -> None:
        body = pd.DataFrame(self.body).copy()
        body.index = pd.Index([str(i) for i in body.index])
        body.columns = pd.Index([str(c) for c in body.columns])
        for what, idx in (("row", body.index), ("column", body.columns)):
            if idx.has_duplicates:
                raise InputError(f"table {what} keys must be unique; repeated: {sorted(set(idx[idx.duplicated()]))}.")
        rows = pd.DataFrame(self.rows).copy()
        rows.index = pd.Index([str(i) for i in rows.index])
        rows = rows.reindex(body.index)
        rows["label"] = [str(k) if is_missing(v) else str(v) for k, v in zip(rows.index, rows.get("label", pd.Series(index=rows.index, dtype=object)))]
        rows["block"] = rows.get("block", pd.Series("", index=rows.index)).fillna("").astype(str)
        rows["kind"] = rows.get("kind", pd.Series("stat", index=rows.index)).fillna("stat").astype(str)
        rows["decimals"] = rows.get("decimals", pd.Series(3, index=rows.index)).fillna(3).astype(int)
        bad = sorted(set(rows["kind"]) - set(ROW_KINDS))
        if bad:
            raise InputError(f"row kind(s) {bad} unknown; choose from {', '.join(ROW_KINDS)}.")
        cols = pd.DataFrame(self.columns).copy()
        cols.index = pd.Index([str(c) for c in cols.index])
        cols = cols.reindex(body.columns).astype(object).where(lambda f: f.notna(), "")
        if self.paren is not None:
            _check_choice("paren", self.paren, PAREN_STATS)
        stars(0.5, self.star_levels) if self.star_levels else None  # validates the levels
        values = dict(
            body=body, rows=rows, columns=cols,
            se=_frame_like(self.se, body, "se"), pvalues=_frame_like(self.pvalues, body, "pvalues"),
            caption=str(self.caption or ""), notes=tuple(str(n) for n in self.notes),
            star_levels=tuple(float(a) for a in self.star_levels), block_titles=tuple(self.block_titles),
            hidden=tuple(str(h) for h in self.hidden), paren_note=str(self.paren_note or ""),
            decimals_chosen=bool(self.decimals_chosen),
        )
        for k, v in values.items():
            object.__setattr__(self, k, v)

    # ------------------------------------------------------------- derived
    @property
    def shape(self) -> tuple[int, int]:
        return self.body.shape

    def with_options(self, **changes) -> Table:
        """A copy with other options (``paren``, ``star_levels``, ``caption``, ``notes`` ...)."""
        return replace(self, **changes)

    def paren_values(self) -> pd.DataFrame | None:
        """The numbers printed in parentheses under ``coef`` rows (NaN where none)."""
        if self.paren is None:
            return None
        if self.paren == "se":
            return self.se
        if self.paren == "p":
            return self.pvalues
        if self.se is None:
            return None
        num = pd.DataFrame(self.body).apply(pd.to_numeric, errors="coerce").astype(float)
        return num / self.se.where(self.se != 0)

    def has(self, kind: str) -> bool:
        """Whether some row is of ``kind``.

        Parameters
        ----------
        kind
            A row kind, one of :data:`ROW_KINDS` (``"coef"``, ``"stat"``, ``"count"``, ``"text"``,
            ``"test"``).
        """
        return bool((self.rows["kind"] == kind).any())

    def all_notes(self) -> tuple[str, ...]:
        """The user's notes, then what the parentheses hold and what the stars mean."""
        out = list(self.notes)
        if self.has("coef") and self.paren is not None and self.paren_values() is not None:
            out.append(self.paren_note or _PAREN_NOTE[self.paren])
        if self.has("test") and self.pvalues is not None:
            out.append("Tests: statistic with p-value in parentheses." if self.has("coef") else
                       "p-values in parentheses.")
        if self.star_levels and self.pvalues is not None and self.has("coef"):
            out.append(star_note(self.star_levels) + ".")
        return tuple(out)

    # ------------------------------------------------------------- formatting
    def _main_text(self, v: object, p: float, kind: str, dec: int) -> str:
        """The printed cell of body value ``v`` (``p``: its p-value, NaN when none)."""
        if kind == "text" or isinstance(v, str):
            return "" if is_missing(v) else str(v)
        if kind == "count":
            return "" if is_missing(v) else format_number(int(round(float(v))))
        if kind == "coef":
            text = format_number(v, dec)
            return text + (stars(p, self.star_levels) if self.star_levels and text else "")
        if kind == "test":
            text = format_number(v, dec)
            return "n/a" if not text else text if is_missing(p) else f"{text} ({format_p(p, 3, below=False)})"
        return format_value(v, dec)

    def _paren_text(self, v: float, main: object, dec: int) -> str:
        """The parenthesis under a ``coef`` cell: its value ``v`` (NaN when none) under body value ``main``."""
        if is_missing(v) or is_missing(main):
            return ""
        return f"({format_p(v, dec) if self.paren == 'p' else format_number(v, dec)})"

    def printed_header(self) -> list[str]:
        """The fields of ``columns`` printed as header rows (not ``hidden``, not all empty)."""
        return [h for h in self.columns.columns if h not in self.hidden and any(str(v) for v in self.columns[h])]

    def header_runs(self) -> tuple[tuple[tuple[str, int], ...], ...]:
        """Each header row as ``(text, span)`` runs (equal neighbours merged); empty rows dropped."""
        out = []
        for name in self.printed_header():
            vals = [str(v) for v in self.columns[name]]
            if not any(vals):
                continue
            runs: list[list] = []
            for v in vals:
                if runs and runs[-1][0] == v and v:
                    runs[-1][1] += 1
                else:
                    runs.append([v, 1])
            out.append(tuple((t, n) for t, n in runs))
        return tuple(out)

    def grid(self) -> Grid:
        """The table as formatted text: one ``main`` row per table row, a ``paren`` row under
        each ``coef`` row, block titles and a rule between blocks."""
        paren = self.paren_values()
        titles = dict(self.block_titles)
        out: list[GridRow] = []
        prev_block = None
        # the cells read by position, one array per column (se, p and paren are aligned to body): a lookup
        # by label per cell took a third of a Word table's time (stop 32)
        body = [self.body.iloc[:, j].to_numpy() for j in range(self.body.shape[1])]
        nan = np.full(self.body.shape, np.nan)
        pv = nan if self.pvalues is None else self.pvalues.to_numpy(dtype=float)
        pa = nan if paren is None else paren.to_numpy(dtype=float)
        meta = self.rows.loc[self.body.index]  # once, not a .loc per row (a tenth of the demo's tables)
        metas = zip(meta["kind"].tolist(), meta["decimals"].tolist(), meta["block"].tolist(), meta["label"].tolist())
        for i, (r, (kind, dec, block, label)) in enumerate(zip(self.body.index, metas)):
            kind, dec, block = str(kind), int(dec), str(block)
            new_block = prev_block is not None and block != prev_block
            if block != prev_block and titles.get(block):
                out.append(GridRow("block", titles[block], (), key=block, rule_above=new_block))
                new_block = False
            prev_block = block
            cells = tuple(self._main_text(col[i], pv[i, j], kind, dec) for j, col in enumerate(body))
            out.append(GridRow("main", str(label), cells, key=r, rule_above=new_block))
            if kind == "coef" and paren is not None:
                pc = tuple(self._paren_text(pa[i, j], col[i], dec) for j, col in enumerate(body))
                if any(pc):
                    out.append(GridRow("paren", "", pc, key=r))
        return Grid(self.stub, self.header_runs(), tuple(out), self.all_notes(), self.caption, self.body.shape[1])

    # ------------------------------------------------------------- frames
    def to_frame(self, kind: Literal["long", "formatted", "body"] = "long") -> pd.DataFrame:
        """The table as a DataFrame.

        Parameters
        ----------
        kind
            ``"long"`` (default; machine-readable): one row per (row, column) cell with the
            row's label, block and kind, the column's header fields, the main value
            (``value_name``), ``se`` and ``p`` as numbers.  ``"formatted"``: the printed grid
            as text (parenthesis rows included, header fields as the column MultiIndex).
            ``"body"``: a copy of ``body``.
        """
        from spillmap.tables._frames import formatted_frame, long_frame

        _check_choice("kind", kind, ("long", "formatted", "body"))
        if kind == "body":
            return self.body.copy()
        if kind == "formatted":
            return formatted_frame(self)
        return long_frame(self)

    def _repr_html_(self) -> str:
        from spillmap.tables._html import to_html

        return to_html(self)

    def __repr__(self) -> str:
        return f"<Table {self.caption!r}: {self.body.shape[0]} rows x {self.body.shape[1]} columns>"

    def __str__(self) -> str:
        from spillmap.tables._text import to_markdown

        return to_markdown(self)


def table_from_frame(
    frame: pd.DataFrame,
    *,
    kinds: Mapping[str, str] | str = "stat",
    decimals: Mapping[str, int] | int = 3,
    labels: Mapping[str, str] | None = None,
    caption: str = "",
    notes: Sequence[str] = (),
    stub: str = "",
    value_name: str = "value",
) -> Table:
    """A :class:`Table` of a plain DataFrame of numbers (rows x columns), one kind per row.

    Parameters
    ----------
    frame
        The numbers: rows and columns of the table (labels are their text).
    kinds
        Row kind (one of :data:`ROW_KINDS`) for every row, or ``{row: kind}`` (others
        ``"stat"``); default ``"stat"``.
    decimals
        Decimals for every row, or ``{row: decimals}`` (others 3); default 3.
    labels
        Row and column labels (``{"int": "Industrial intelligence"}``); default the index text.
    caption, notes
        Caption and notes (default none).
    stub
        Header of the label column (default ``""``).
    value_name
        Name of the main value in ``to_frame("long")`` (default ``"value"``).
    """
    labels = dict(labels or {})
    idx = [str(i) for i in frame.index]
    rows = pd.DataFrame(
        {
            "label": [labels.get(i, i) for i in idx],
            "block": "",
            "kind": [kinds.get(i, "stat") if isinstance(kinds, Mapping) else kinds for i in idx],
            "decimals": [decimals.get(i, 3) if isinstance(decimals, Mapping) else decimals for i in idx],
        },
        index=idx,
    )
    body = frame.copy()
    body.index = idx
    cols = pd.DataFrame({"label": [labels.get(str(c), str(c)) for c in frame.columns]},
                        index=[str(c) for c in frame.columns])
    return Table(body=body, rows=rows, columns=cols, caption=caption, notes=tuple(notes), paren=None,
                 star_levels=(), stub=stub, value_name=value_name)
