"""Options of a screen, checked before any work: indicators, statistics, weights, LM spec.

Everything a user can get wrong is found here and raised as one
:class:`~spillmap.errors.SpillmapError` naming the column, option or id at fault.
"""
from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from spillmap.errors import DataError, InputError, format_items
from spillmap.geo._common import first_text_cell, period_values
from spillmap.spatial.weights import SpatialWeights

__all__ = ["Statistic", "STATISTICS", "LMSpec", "check_regression_cells", "select_indicators", "check_weights",
           "check_statistics", "panel_values", "check_magnitudes", "is_numeric", "is_pattern", "check_keys"]

Statistic = Literal["moran", "geary", "lisa", "lm", "sdm"]
STATISTICS: tuple[str, ...] = get_args(Statistic)
Role = Literal["y", "x"]
from spillmap._vocab import FixedEffects as Effects  # noqa: E402  (one vocabulary)

#: the rows each statistic adds (per period: moran, geary, lisa; pooled: moran, geary, lm, sdm)
ROWS: dict[str, tuple[str, ...]] = {
    "moran": ("moran_I", "moran_EI", "moran_z", "moran_p", "moran_z_norm", "moran_p_norm", "moran_p_perm"),
    "geary": ("geary_C", "geary_z", "geary_p", "geary_z_norm", "geary_p_norm", "geary_p_perm"),
    "lisa": ("lisa_HH", "lisa_LL", "lisa_HL", "lisa_LH", "lisa_threshold"),
    "lm": (
        "lm_lag", "lm_lag_p", "lm_error", "lm_error_p",
        "robust_lm_lag", "robust_lm_lag_p", "robust_lm_error", "robust_lm_error_p",
    ),
    "sdm": (
        "sdm_rho", "sdm_rho_p", "sdm_direct", "sdm_direct_p",
        "sdm_indirect", "sdm_indirect_p", "sdm_total", "sdm_total_p",
    ),
}
PER_PERIOD = ("moran", "geary", "lisa")
POOLED = ("moran", "geary", "lm", "sdm")
POOLED_LABEL = "pooled"


@dataclass(frozen=True)
class LMSpec:
    """The regression in which each indicator is tested (panel LM tests, optional SDM).

    ``role="y"``: the indicator is the dependent variable, regressed on ``x``.
    ``role="x"``: ``y`` is regressed on ``x`` plus the indicator.  ``effects`` are
    the fixed effects swept out (``fe=`` of :func:`spillmap.spatial.lm_tests`; the
    mapping of :meth:`from_value` names them ``fe``, its old key ``effects`` still read).
    """

    x: tuple[str, ...] = ()
    y: str | None = None
    role: Role = "y"
    effects: Effects = "twoways"

    @classmethod
    def from_value(cls, value: LMSpec | Mapping[str, Any] | None) -> LMSpec | None:
        """The spec of ``screen(lm=...)``, checked.

        Parameters
        ----------
        value
            ``None`` (no regression) or an ``LMSpec``, returned as they are, or a mapping with
            keys ``x``, ``y``, ``role`` (default ``"x"`` when ``y`` is given, else ``"y"``) and
            ``fe`` (old name ``effects``).

        Raises
        ------
        InputError
            Not a mapping, an unknown key, or a spec that fails :meth:`check`.
        """
        if value is None or isinstance(value, LMSpec):
            return value
        if not isinstance(value, Mapping):
            raise InputError(f"lm must be a mapping like {{'y': ..., 'x': [...], 'role': 'x'}}, got {type(value).__name__}.")
        unknown = sorted(set(value) - {"x", "y", "role", "fe", "effects"})
        if unknown:
            raise InputError(f"lm has unknown key(s) {format_items(unknown)}; allowed: x, y, role, fe.")
        x = value.get("x", ())
        spec = cls(
            x=(x,) if isinstance(x, str) else tuple(x),
            y=value.get("y"),
            role=value.get("role", "x" if value.get("y") is not None else "y"),
            effects=_fixed_effects(value),
        )
        spec.check()
        return spec

    def check(self) -> None:
        """Raise :class:`~spillmap.errors.InputError` naming the first option that cannot work."""
        if self.role not in get_args(Role):
            raise InputError(f"lm role must be 'y' or 'x', got {self.role!r}.")
        if self.effects not in get_args(Effects):
            raise InputError(f"lm fe must be one of {', '.join(get_args(Effects))}; got {self.effects!r}.")
        if self.role == "x" and not self.y:
            raise InputError("lm role 'x' needs the dependent variable y.")
        if self.role == "y" and not self.x and self.effects != "none":
            raise InputError("lm role 'y' needs at least one regressor in x.")

    @property
    def columns(self) -> tuple[str, ...]:
        return ((self.y,) if self.role == "x" else ()) + self.x


def _fixed_effects(value: Mapping[str, Any]) -> str:
    """The ``fe`` of an ``lm`` mapping; its old key ``effects`` is read with a DeprecationWarning."""
    if "effects" not in value:
        return value.get("fe", "twoways")
    if "fe" in value:
        raise InputError("lm: give fe only: effects is its old name.")
    import warnings

    warnings.warn("screen(lm={'effects': ...}) is deprecated; write lm={'fe': ...} (in spillmap 'effects' are "
                  "the direct, indirect and total effects).", DeprecationWarning, stacklevel=4)
    return value["effects"]


def check_statistics(statistics: Sequence[str] | str) -> tuple[str, ...]:
    stats = (statistics,) if isinstance(statistics, str) else tuple(statistics)
    bad = [s for s in stats if s not in STATISTICS]
    if bad or not stats:
        raise InputError(f"statistics must be among {', '.join(STATISTICS)}; got {format_items(bad) or 'none'}.")
    return tuple(s for s in STATISTICS if s in stats)


def check_weights(weights) -> dict[str, SpatialWeights]:
    """``{name: SpatialWeights}`` in one id order (that of the first)."""
    if isinstance(weights, SpatialWeights):
        weights = {weights.name or "W": weights}
    if not isinstance(weights, Mapping) or not weights:
        raise InputError("weights must be a SpatialWeights or a non-empty mapping name -> SpatialWeights.")
    out: dict[str, SpatialWeights] = {}
    ids = None
    for name, w in weights.items():
        if not isinstance(w, SpatialWeights):
            raise InputError(f"weights {name!r} is a {type(w).__name__}, not a spillmap SpatialWeights.")
        if not isinstance(name, str) or not name:
            raise InputError(f"weights names must be non-empty strings, got {name!r}.")
        if w.nnz == 0:
            raise InputError(f"weights {name!r} have no neighbour links at all; nothing to test.")
        ids = list(w.ids) if ids is None else ids
        out[name] = w if list(w.ids) == ids else w.align(ids)  # align raises naming the ids
    return out


def is_numeric(s: pd.Series) -> bool:
    """Whether the column ``s`` holds numbers (not text, not booleans): a candidate indicator."""
    return pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)


def is_pattern(item: object) -> bool:
    """Whether an ``indicators`` item is a shell pattern (``"edu_*"``) rather than a column name."""
    return any(ch in str(item) for ch in "*?[")


def _not_numeric(panel: pd.DataFrame, col: str, keys: Sequence[str]) -> str:
    """The message for a non-numeric indicator: its first text cell, located by the key columns
    (the id and time), with :func:`~spillmap.errors.number_hint`."""
    s = panel[col]
    text = first_text_cell(s)
    if text is None:
        return f"indicator {col!r} holds numbers stored as text (dtype {s.dtype}); convert it with pandas.to_numeric."
    k, shown, count = text
    where = ", ".join(_label(panel[c].iloc[k]) for c in keys if c in panel.columns)
    return f"indicator {col!r} is not numeric: {shown} at ({where}) ({count} non-numeric cell(s))."


def select_indicators(panel: pd.DataFrame, indicators, *, exclude: Sequence[str]) -> list[str]:
    """Column names from names, shell patterns (``"edu_*"``) or ``"all"`` numeric columns."""
    from spillmap._rowplace import source_name

    candidates = [c for c in panel.columns if c not in set(exclude)]
    source = source_name(panel)  # the file a panel was read from, named as spillmap fit names it
    where = f"{source}: " if source else ""
    if isinstance(indicators, str):
        indicators = [indicators]
    chosen: list[str] = []
    for item in indicators:
        if item == "all":
            found = [c for c in candidates if is_numeric(panel[c])]
        elif is_pattern(item):
            found = [c for c in candidates if fnmatch.fnmatchcase(str(c), item) and is_numeric(panel[c])]
            if not found:
                raise DataError(f"{where}indicator pattern {item!r} matches no numeric column; columns: "
                                f"{format_items(candidates, 30)}.")
        else:
            if item not in panel.columns:
                from spillmap._readcsv import comma_hint
                from spillmap.errors import did_you_mean

                raise DataError(f"{where or 'panel has '}no column {item!r}; available: {format_items(candidates, 30)}."
                                + (comma_hint([item], candidates) or did_you_mean(item, candidates)))
            if not is_numeric(panel[item]):
                raise DataError(_not_numeric(panel, item, exclude))
            found = [item]
        chosen += [c for c in found if c not in chosen]
    if not chosen:
        raise DataError("no indicator selected: the panel has no numeric column besides the id and time.")
    return chosen


def _label(value: object) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)
    if isinstance(value, (pd.Timestamp, np.datetime64)):  # a date at midnight reads as the date: 1972-01-01
        ts = pd.Timestamp(value)
        return ts.date().isoformat() if ts == ts.normalize() else ts.isoformat()
    return str(value)


def check_keys(panel: pd.DataFrame, id: str, time: str | None) -> None:  # noqa: A002
    """Every row has its unit id and period, and a time column of years holds only years.

    Parameters
    ----------
    panel
        The long panel; one read from a file names it in ``attrs`` (:mod:`spillmap._rowplace`).
    id, time
        Its key columns (``time=None``: a cross-section).

    Raises
    ------
    DataError
        One line naming the cell by file line and column (or row index, for a table not read
        from a file): an empty id or period, or a period unlike the others (``1971a``).
    """
    from spillmap._rowplace import check_keys_filled, check_periods

    check_keys_filled(panel, id, time)
    check_periods(panel, time)


def panel_values(
    panel: pd.DataFrame, *, id: str, time: str | None, columns: Sequence[str], ids: Sequence[str], periods=None  # noqa: A002
) -> tuple[np.ndarray, list[str]]:
    """The panel as a ``(T, N, K)`` float array in ``ids`` order; missing cells are NaN.

    Structural problems (unknown columns, ids that differ from the weights',
    repeated ``(id, time)`` cells, unknown periods) raise here, before any work;
    missing values are left to the screen, which records them per indicator.
    """
    keys = [id] + ([time] if time else [])
    missing = [c for c in keys + list(columns) if c not in panel.columns]
    if missing:
        raise DataError(f"panel has no column(s) {format_items(missing)}.")
    check_keys(panel, id, time)
    unit = panel[id].astype(str)
    extra, absent = sorted(set(unit) - set(ids)), sorted(set(ids) - set(unit))
    if extra or absent:
        raise DataError(
            f"panel ids and weights ids differ: in the panel only {format_items(extra) or 'none'}; "
            f"in the weights only {format_items(absent) or 'none'}."
        )
    tlab = panel[time].map(_label) if time else pd.Series("all", index=panel.index)
    dup = pd.DataFrame({"i": unit, "t": tlab}).duplicated(keep=False)
    if dup.any():
        from spillmap._rowplace import file_place

        cells = sorted(set(zip(unit[dup], tlab[dup])))
        lines = file_place(panel, panel.index[dup.to_numpy()][:40])
        raise DataError(f"panel repeats (id, time) cells {format_items(cells)}{lines}; keep one row per cell.")
    order = period_values(panel[time]) if time else ["all"]
    labels = [_label(v) for v in order]
    if periods is not None:
        wanted = [_label(p) for p in (periods if isinstance(periods, (list, tuple)) else [periods])]
        bad = [p for p in wanted if p not in labels]
        if bad:
            raise DataError(f"period(s) {format_items(bad)} not in the panel's {time!r}: {format_items(labels)}.")
        labels = [p for p in labels if p in wanted]
    ti = pd.Index(labels).get_indexer(tlab)
    ii = pd.Index(list(ids)).get_indexer(unit)
    keep = ti >= 0
    arr = np.full((len(labels), len(ids), len(columns)), np.nan)
    for k, col in enumerate(columns):
        vals = pd.to_numeric(panel[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        arr[ti[keep], ii[keep], k] = vals[keep]
    return arr, labels


def check_regression_cells(values: np.ndarray, names: Sequence[str], columns: Sequence[str], *,
                           ids: Sequence[str], labels: Sequence[str]) -> None:
    """Refuse a missing or infinite cell in a column of the screen's regression (``lm`` ``y`` and
    ``x``), before any work: unlike an indicator's, such a cell would fail every indicator's test.

    Raises
    ------
    DataError
        Naming the column, the number of bad cells and the first ones as (id, period).
    """
    for name in columns:
        col = values[:, :, list(names).index(name)]
        bad = ~np.isfinite(col)
        if bad.any():
            cells = [(ids[i], labels[t]) for t, i in zip(*np.nonzero(bad))]
            raise DataError(f"regression column {name!r} has {len(cells)} missing or infinite cell(s) at (id, period) "
                            f"{format_items(cells, 5)}; drop or impute them, or choose the periods without them.")


def check_magnitudes(values: np.ndarray, names: Sequence[str], *, ids: Sequence[str], labels: Sequence[str]) -> None:
    """Refuse a column whose values would overflow the statistics, as ``spillmap fit`` does.

    Parameters
    ----------
    values
        The ``(T, N, K)`` array of :func:`panel_values`; missing cells (NaN, inf) are left to the
        screen, which records them per indicator.
    names, ids, labels
        The ``K`` column names, the ``N`` unit ids and the ``T`` period labels, for the message.

    Raises
    ------
    DataError
        :func:`spillmap.estimation._data.check_scale`'s message (the limit 1e+100), naming the
        column and its largest cell by (id, period).
    """
    from spillmap.estimation._data import check_scale

    for k, name in enumerate(names):
        col = values[:, :, k]
        ok = np.isfinite(col)
        try:
            check_scale(col[ok].reshape(-1, 1), [name], what="column")
        except DataError as exc:
            t, i = np.unravel_index(int(np.argmax(np.where(ok, np.abs(col), -1.0))), col.shape)
            raise DataError(f"{exc} Largest cell: ({ids[i]}, {labels[t]}).") from None


def align_layer(layer, panel: pd.DataFrame, *, id: str, layer_id: str, quiet: bool = True):  # noqa: A002
    """The layer's units that the panel has (in layer order); a panel id missing from it is an error."""
    if layer_id not in layer.columns:
        from spillmap.errors import did_you_mean

        raise DataError(f"layer has no id column {layer_id!r}; columns: {format_items(list(layer.columns), 30)}."
                        + did_you_mean(layer_id, [c for c in layer.columns if c != "geometry"]))
    have = set(panel[id].astype(str))
    lids = layer[layer_id].astype(str)
    missing = sorted(have - set(lids))
    if missing:
        raise DataError(f"panel ids {format_items(missing)} are not in the layer's {layer_id!r}.")
    keep = lids.isin(have)
    if not keep.all() and not quiet:
        import sys  # a note, like every command's notes: stdout keeps the results (new-user audit 31)

        print(f"layer: {int((~keep).sum())} unit(s) without data left out ({int(keep.sum())} kept)", file=sys.stderr)
    return layer[keep].reset_index(drop=True)


#: weights kinds built from the panel's ids alone: no boundary layer needed
WITHOUT_GEOMETRY = ("file", "economic_distance")


def _panel_units(panel: pd.DataFrame, id: str) -> pd.DataFrame:  # noqa: A002
    """The panel's unit ids (text, in order of appearance) as a one-column table, the stand-in
    for a layer of the kinds in :data:`WITHOUT_GEOMETRY`."""
    if id not in panel.columns:
        raise DataError(f"panel has no id column {id!r}; columns: {format_items(list(panel.columns), 30)}.")
    return pd.DataFrame({id: pd.unique(panel[id].dropna().astype(str))})


def _build_spec(name, spec, *, panel, layer, id: str, time: str | None, layer_id: str, name_column):  # noqa: A002
    """One study weights spec over the units of ``layer`` (or of the panel, for a file or an
    economic distance); a geometry-based kind without a layer is an error naming it."""
    from spillmap.study.weights import WeightsInputs, build_weights

    if layer is None and spec.kind not in WITHOUT_GEOMETRY:
        raise InputError(
            f"weights {name!r} ({spec.kind}) are built from the geometry of a boundary layer: "
            "give layer= (--layer on the command line), or a weights file."
        )
    if layer is None:
        lay = _panel_units(panel, id)
    else:
        lay = layer if layer_id == id else layer.rename(columns={layer_id: id})
    return build_weights(spec, WeightsInputs(lay, panel, id, time or "", name_column))


def materialise_weights(weights, *, panel, layer, id: str, time: str | None, layer_id: str, name_column=None) -> dict:  # noqa: A002
    """``{name: SpatialWeights}`` from matrices, study :class:`WeightSpec` objects or their TOML dicts.

    Specs are built by :func:`spillmap.study.weights.build_weights` (``[weights.NAME]``
    vocabulary: contiguity, knn, inverse_distance, economic_distance, economic_product,
    nested, file) over the units of ``layer``; a ``file`` or an ``economic_distance``
    needs no layer and is then built over the panel's ids (a file's ids must be those).
    """
    if isinstance(weights, SpatialWeights):
        return {weights.name or "W": weights}
    if not isinstance(weights, Mapping):
        from spillmap.study.weights import WeightSpec

        if isinstance(weights, WeightSpec):
            weights = {weights.name: weights}
        else:
            return weights  # check_weights names the problem
    from spillmap.study.weights import WeightSpec

    out = {}
    for name, w in weights.items():
        if isinstance(w, SpatialWeights):
            out[name] = w
            continue
        spec = w if isinstance(w, WeightSpec) else WeightSpec.from_dict(str(name), w)
        out[name] = _build_spec(name, spec, panel=panel, layer=layer, id=id, time=time, layer_id=layer_id,
                                name_column=name_column)
    return out
