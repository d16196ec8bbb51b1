"""What :func:`spillmap.geo.join_panel` returns: the matched panel and the report of the match."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from spillmap.errors import format_items
from spillmap.results import FrameDisplay

__all__ = ["JoinReport", "PanelJoin"]


@dataclass(frozen=True)
class JoinReport(FrameDisplay):
    """What :func:`join_panel` found when matching a panel to a layer.

    Attributes
    ----------
    id, time, layer_id
        Column names used.
    n_layer_units
        Units in the layer as given.
    n_panel_ids, n_times, n_rows
        Distinct ids, distinct periods and rows of the panel as given.
    panel_ids_not_in_layer
        Panel ids with no polygon (an error).
    layer_ids_not_in_panel
        Layer units without panel rows (reported, then dropped from the layer).
    duplicate_cells
        (id, time) cells with more than one row (an error).
    missing_cells
        (id, time) cells absent from the panel (an error unless ``allow_unbalanced``).
    variables
        The value columns checked.
    non_numeric
        (column, example bad value) for value columns that are not numbers (an error).
    converted_columns
        Text columns whose every value is a number, converted to float.
    nan_cells
        (column, id, time) of NaN or infinite values in the value columns (an error).
    id_notes
        What was normalised in the ids, in words.
    """

    id: str
    time: str
    layer_id: str
    n_layer_units: int
    n_panel_ids: int
    n_times: int
    n_rows: int
    panel_ids_not_in_layer: tuple[str, ...] = ()
    layer_ids_not_in_panel: tuple[str, ...] = ()
    duplicate_cells: tuple[tuple[str, object], ...] = ()
    missing_cells: tuple[tuple[str, object], ...] = ()
    variables: tuple[str, ...] = ()
    non_numeric: tuple[tuple[str, object], ...] = ()
    converted_columns: tuple[str, ...] = ()
    nan_cells: tuple[tuple[str, str, object], ...] = ()
    id_notes: tuple[str, ...] = field(default=())

    @property
    def balanced(self) -> bool:
        """True when every (id, time) cell has exactly one row."""
        return not self.missing_cells and not self.duplicate_cells

    @property
    def ok(self) -> bool:
        """True when nothing that :func:`join_panel` treats as an error was found."""
        return not (
            self.panel_ids_not_in_layer or self.duplicate_cells or self.non_numeric or self.nan_cells
        )

    def _checks(self) -> list[tuple[str, tuple]]:
        return [("panel ids not in the layer", self.panel_ids_not_in_layer),
                ("layer units not in the panel (dropped)", self.layer_ids_not_in_panel),
                ("duplicate (id, time) rows", self.duplicate_cells),
                ("missing (id, time) cells", self.missing_cells),
                ("non-numeric variables (column, example)", self.non_numeric),
                ("text columns converted to numbers", self.converted_columns),
                ("NaN/infinite cells (column, id, time)", self.nan_cells)]

    def to_frame(self) -> pd.DataFrame:
        """One row per check: how many cases it found and up to ten of them."""
        rows = {label: {"count": len(items), "examples": format_items(items) if items else ""}
                for label, items in self._checks()}
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("check")

    def _caption(self) -> str:
        return (f"Panel joined to the layer: {self.n_rows} rows, {self.n_panel_ids} ids x {self.n_times} periods; "
                f"layer {self.n_layer_units} units; {'balanced' if self.balanced else 'unbalanced'}")

    def summary(self) -> str:
        return str(self)

    def __str__(self) -> str:
        lines = [
            f"panel: {self.n_rows} rows, {self.n_panel_ids} ids ({self.id!r}) x {self.n_times} periods ({self.time!r}); "
            f"layer: {self.n_layer_units} units ({self.layer_id!r})",
        ]

        def add(label: str, items: Sequence[object]) -> None:
            lines.append(f"{label}: {len(items)}" + (f" -> {format_items(items)}" if items else ""))

        checks = self._checks()
        for label, items in checks[:4]:  # ids and cells
            add(label, items)
        lines.append(f"variables checked: {format_items(self.variables)}" if self.variables else "variables checked: none")
        for label, items in checks[4:]:  # values (the conversions only when there were some)
            if items or label != "text columns converted to numbers":
                add(label, items)
        for note in self.id_notes:
            lines.append(f"ids normalised: {note}")
        lines.append("balanced" if self.balanced else "unbalanced")
        return "\n".join(lines)


@dataclass(frozen=True)
class PanelJoin:
    """A panel matched to its boundary layer, in the order every later step uses.

    Attributes
    ----------
    layer
        GeoDataFrame restricted to the panel's units, rows sorted by id (as text),
        index reset, id column (``layer_id``) as ``str``.
    panel
        DataFrame sorted by (time, id) with ids in the layer's order, index reset,
        id column as ``str``, value columns numeric.
    ids
        Unit ids (text) in that order.
    times
        Periods in ascending order.
    n, t
        Number of units and of periods.
    report
        The :class:`JoinReport`.
    """

    layer: gpd.GeoDataFrame = field(repr=False)
    panel: pd.DataFrame = field(repr=False)
    ids: tuple[str, ...] = field(repr=False)
    times: tuple = field(repr=False)
    n: int
    t: int
    report: JoinReport = field(repr=False)

    def summary(self) -> str:
        """What was joined, then the report of the join (:class:`JoinReport`)."""
        return f"{self!r}\n{self.report.summary()}"

    def _repr_html_(self) -> str:
        import html

        return f"<p>{html.escape(repr(self))}</p>{self.report._repr_html_()}"

    def __repr__(self) -> str:
        t0, t1 = (self.times[0], self.times[-1]) if self.times else ("", "")
        bal = "balanced" if self.report.balanced else f"unbalanced ({len(self.report.missing_cells)} missing cells)"
        return f"PanelJoin(n={self.n}, t={self.t}, times={t0}..{t1}, rows={len(self.panel)}, {bal})"
