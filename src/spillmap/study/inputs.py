"""Reading a study's data: layer, attributes, panel, variable transforms, and the join.

Composes :mod:`spillmap.datasets` (bundled data named wherever a path is accepted),
:func:`spillmap.geo.read_boundaries` and :func:`spillmap.geo.join_panel`; variable
transforms such as ``log(gsp)`` are evaluated by formulaic, the same engine as
:class:`spillmap.estimation.SpatialPanel`'s formulas.  Every error names the spec key
(``layer.path``, ``panel.id``, ``layer.subset``) and the file, column or id at fault.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from spillmap.errors import DataError, InputError, did_you_mean, format_items, one_line
from spillmap.study._names import user_path

if TYPE_CHECKING:
    import geopandas as gpd

    from spillmap.study.spec import Study

__all__ = ["StudyInputs", "load_inputs", "load_layer", "load_table", "evaluate_variables", "is_dataset"]

_LAYERS = {"china_prefectures": "china_prefectures", "us48": "us48"}
_TABLES = {"demo_panel": "demo_panel", "produc": "produc", "cigar": "cigar",
           "china_city_attributes": "china_city_attributes"}


def is_dataset(name: str, kind: str) -> bool:
    """Whether ``name`` is a bundled ``"layer"`` or ``"table"`` dataset."""
    return name in (_LAYERS if kind == "layer" else _TABLES)


#: what read_boundaries' errors tell the author of a study file to do
STUDY_ADVICE = {
    "assume_crs": "set it in the study file's [layer] table, e.g. assume_crs = \"EPSG:4326\" for "
                  "longitude/latitude degrees",
    "layer": "say which one to read in the study file's [layer] table, e.g. layer = \"NAME\"",
}


def load_layer(source: str, id: str, *, resolve: Callable[[str], Path] = user_path, where: str = "layer.path",  # noqa: A002
               layer: str | None = None, dataset: bool | None = None, assume_crs: str | int | None = None,
               require_crs: bool = True, advice: dict[str, str] | None = None) -> gpd.GeoDataFrame:
    """A boundary layer from a bundled name (``us48``, ``china_prefectures``) or a file.

    A path that exists as a file wins over a dataset name of the same spelling.

    Parameters
    ----------
    source
        A file path (resolved by ``resolve``) or a bundled layer's name.
    id
        The layer's unit id column.
    resolve
        Turns ``source`` into a path (default: ``~`` expanded; a study also resolves it against the
        study file's folder).
    where
        The key or argument that gave ``source``, for messages (``layer.path``, ``BOUNDARY``).
    layer
        The layer of a multi-layer file.
    dataset
        True: ``source`` is a bundled layer; False: a file; None: decide as above.
    assume_crs, require_crs
        As in :func:`spillmap.geo.read_boundaries` (bundled layers have their CRS).
    advice
        How the reader's errors tell the user to give a CRS or a layer (see
        :func:`spillmap.geo.read_boundaries`); default :data:`STUDY_ADVICE`, the study file's keys.

    Returns
    -------
    geopandas.GeoDataFrame
        The layer, its ids as text.
    """
    from spillmap import datasets

    path = resolve(source)
    if dataset or (dataset is None and not Path(path).exists() and source in _LAYERS):
        gdf = datasets.china_prefectures(web=True) if source == "china_prefectures" else datasets.us48()
    else:
        if not Path(path).exists():
            raise InputError(f"{where}: file {path} does not exist (bundled layers: {', '.join(_LAYERS)}).")
        from spillmap.geo import read_boundaries

        gdf = read_boundaries(path, id, layer=layer, assume_crs=assume_crs, require_crs=require_crs,
                              advice=STUDY_ADVICE if advice is None else advice)
    if len(gdf) == 0:
        raise DataError(f"{where}: the layer {source} has no features.")
    if id not in gdf.columns:
        raise DataError(f"{where.split('.')[0]}.id: column {id!r} not in the layer {source}; "
                        f"available: {format_items([c for c in gdf.columns if c != 'geometry'])}.")
    return gdf


def load_table(source: str, *, resolve: Callable[[str], Path] = user_path, where: str = "panel.path",  # noqa: A002
               id: str | None = None,
               dataset: bool | None = None) -> pd.DataFrame:
    """A table from a bundled name (``demo_panel``, ``produc``, ``cigar``,
    ``china_city_attributes``) or a CSV, Excel (``.xlsx``) or Parquet file (ids read as text)."""
    from spillmap import datasets

    path = resolve(source)
    if dataset or (dataset is None and not Path(path).exists() and source in _TABLES):
        return getattr(datasets, _TABLES[source])()
    p = Path(path)
    if not p.exists():
        raise InputError(f"{where}: file {p} does not exist (bundled tables: {', '.join(_TABLES)}).")
    if p.suffix.lower() == ".parquet":
        try:
            return pd.read_parquet(p)
        except (OSError, ValueError, ImportError) as exc:
            raise DataError(f"{where}: cannot read {p} as Parquet: {exc}") from None
    from spillmap._readcsv import read_csv_table
    from spillmap._readexcel import EXCEL_SUFFIXES, read_excel_table

    if p.suffix.lower() == ".xls":
        raise DataError(f"{where}: {p} is an old Excel workbook (.xls); save it as .xlsx or as 'CSV UTF-8'.")
    try:
        return (read_excel_table if p.suffix.lower() in EXCEL_SUFFIXES else read_csv_table)(p, id_col=id)
    except InputError as exc:
        raise type(exc)(f"{where}: {exc}") from None


def _text_input(df: pd.DataFrame, name: str, id: str | None, time: str | None) -> str:
    """Why the transform ``name`` failed when a column it uses holds text (its first text cell
    by (id, time), else by row); ``""`` when every column it uses is numeric."""
    from spillmap.estimation._checks import text_columns_in

    def cell(k: int) -> str:
        if id in df.columns and time in df.columns:
            return f"({df[id].iloc[k]}, {df[time].iloc[k]})"
        return f"row {k + 1} of the panel"

    return text_columns_in(df, name, cell)


def _formula_failure(exc: Exception, cols: list[str]) -> str:
    """Why formulaic could not evaluate a transform, in words without Python's exception names:
    ``"(no column 'GSP'); columns: ... Did you mean 'gsp'?"``."""
    import re

    text = one_line(exc)
    unknown = re.search(r"name '([^']+)' is not defined", text) or re.search(r"`([^`]+)` is not present", text)
    shown = format_items(cols, limit=30)
    if unknown:
        return f"(no column {unknown.group(1)!r}); columns: {shown}.{did_you_mean(unknown.group(1), cols)}"
    text = re.sub(r"\b[A-Z]\w*(Error|Exception): ", "", text)  # keep the reason, not the exception's name
    return f"({text}); columns: {shown}."


def evaluate_variables(df: pd.DataFrame, names: Sequence[str], *, where: str, id: str | None = None,
                       time: str | None = None) -> pd.DataFrame:
    """``df`` with a column for every name that is a transform (``log(gsp)``), named as written.

    Plain column names are left alone; anything else is evaluated by formulaic
    (``model_matrix(name + " - 1")``) and must give exactly one numeric column.  A transform
    of a column holding text is an error naming its first text cell by (``id``, ``time``) when
    those columns are given, else by row.
    """
    todo = [n for n in dict.fromkeys(names) if n not in df.columns]
    if not todo:
        return df
    import formulaic

    cols = [str(c) for c in df.columns]
    for name in todo:
        if str(name).isidentifier():  # a plain name, not a transform: a missing (or misspelt) column
            raise DataError(f"{where}: no column {name!r} in the panel; it has {format_items(cols, limit=30)}."
                            f"{did_you_mean(name, cols)}")
    from spillmap._safe_formula import check_term

    for name in todo:  # nothing but columns and transforms of them is evaluated (no Python of a received spec)
        check_term(name, cols, where=where)
    out = df.copy()
    for name in todo:
        text = _text_input(df, name, id, time)  # before formulaic: its error would not name the cell
        if text:
            raise DataError(f"{where}: {name!r}: {text}.")
        try:  # log(0), log(-1) give -inf / NaN: reported below by (id, time), not as NumPy's warning
            with np.errstate(divide="ignore", invalid="ignore"):
                mm = formulaic.model_matrix(f"{name} - 1", df, na_action="ignore")
        except Exception as exc:  # formulaic raises many types; the message says which name failed
            raise DataError(f"{where}: {name!r} is neither a column nor a formula transform of the columns "
                            f"{_formula_failure(exc, cols)}") from None
        frame = pd.DataFrame(mm)
        if frame.shape[1] != 1:
            arith = any(op in name for op in "+-*/") and not name.startswith("I(")
            hint = (f" In a formula + - * / combine terms; for arithmetic write 'I({name})'." if arith else "")
            raise DataError(f"{where}: {name!r} gives {frame.shape[1]} columns ({list(frame.columns)}); "
                            f"a variable must be one numeric column.{hint}")
        out[name] = frame.iloc[:, 0].to_numpy(dtype=float)
    return out


@dataclass(frozen=True)
class StudyInputs:
    """The joined data every later step uses (units in one fixed order).

    ``panel`` uses the layer's id column name; ``layer`` holds the panel's units only,
    sorted like ``ids``; ``full_layer`` is the whole layer, before the subset (for maps:
    units outside the sample are drawn grey).
    """

    layer: Any
    panel: pd.DataFrame
    full_layer: Any
    id: str
    time: str
    ids: tuple[str, ...]
    times: tuple
    join: Any
    dropped_by_subset: tuple[str, ...] = ()
    dropped_by_spec: tuple[str, ...] = ()
    variables: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())
    indicators: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def t(self) -> int:
        return len(self.times)


def _merge_attributes(layer, study) -> Any:
    spec = study.layer
    if spec.attributes is None:
        return layer
    table = load_table(spec.attributes, resolve=study.resolve, where="layer.attributes", id=spec.id)
    if spec.id not in table.columns:
        raise DataError(f"layer.attributes: the table {spec.attributes} has no id column {spec.id!r}; "
                        f"columns: {format_items(list(table.columns))}.")
    table = table.copy()
    table[spec.id] = table[spec.id].astype(str).str.strip()
    extra = [c for c in table.columns if c != spec.id and c not in layer.columns]
    layer = layer.copy()
    layer[spec.id] = layer[spec.id].astype(str)
    return layer.merge(table[[spec.id, *extra]], on=spec.id, how="left")


def _subset(layer, study):
    for col, values in study.layer.subset.items():
        if col not in layer.columns:
            raise DataError(f"layer.subset: column {col!r} not in the layer; available: "
                            f"{format_items([c for c in layer.columns if c != 'geometry'])}.")
        keep = layer[col].astype(str).isin([str(v) for v in values])
        if not keep.any():
            raise DataError(f"layer.subset: no unit has {col} in {list(values)}.")
        layer = layer[keep.to_numpy()]
    return layer.reset_index(drop=True)


def _panel_ids(panel: pd.DataFrame, pid: str) -> pd.Series:
    """The panel's ids as spillmap's text ids, on the panel's index (NaN where missing)."""
    from spillmap.geo import normalise_ids

    return normalise_ids(panel[pid].dropna(), what=f"panel column {pid!r}")[0].reindex(panel.index)


def _restrict_panel(panel: pd.DataFrame, layer, study) -> tuple[pd.DataFrame, tuple[str, ...]]:
    from spillmap.geo import normalise_ids

    pid, lid = study.panel.id, study.layer.id
    keep = set(normalise_ids(layer[lid], what=f"layer column {lid!r}")[0])
    ids = _panel_ids(panel, pid)
    inside = ids.isin(keep).to_numpy()
    if not inside.any():  # nothing in common (ids written otherwise?): the join reports it, with its hints
        return panel, ()
    return panel[inside], tuple(sorted(set(ids[~inside].dropna())))  # index kept: errors name file lines


def _drop_units(panel: pd.DataFrame, study) -> pd.DataFrame:
    """The panel without the units listed in ``[panel] drop`` (every one must be in the panel)."""
    drop, pid = study.panel.drop, study.panel.id
    if not drop:
        return panel
    ids = _panel_ids(panel, pid)
    present = set(ids.dropna())
    unknown = [i for i in drop if i not in present]
    if unknown:
        raise DataError(f"panel.drop: {format_items(unknown)} not among the ids of panel column {pid!r} "
                        f"(e.g. {format_items(list(dict.fromkeys(ids.dropna()))[:5])}).")
    return panel[~ids.isin(drop).to_numpy()]  # index kept: errors name the rows' file lines


#: how :func:`~spillmap.geo.join_panel` advises a Python user on an unbalanced panel
_PYTHON_ADVICE = "Fill them, drop the units or periods, or pass allow_unbalanced=True."


def _join(layer, panel: pd.DataFrame, study, variables: list[str]):
    """:func:`~spillmap.geo.join_panel`; panel ids the layer lacks get the spec's remedy in the error."""
    from spillmap.errors import JoinError
    from spillmap.geo import join_panel

    ps, ls = study.panel, study.layer
    try:
        return join_panel(layer, panel, id=ps.id, time=ps.time, layer_id=ls.id, variables=variables)
    except JoinError as exc:
        report = getattr(exc, "report", None)
        missing = getattr(report, "panel_ids_not_in_layer", ())
        if _PYTHON_ADVICE in str(exc):  # an unbalanced panel: the study file's remedy, not join_panel's argument
            units = list(dict.fromkeys(i for i, _ in report.missing_cells))
            listed = ", ".join(f'"{i}"' for i in units[:10]) + (", ..." if len(units) > 10 else "")
            better = JoinError(str(exc).replace(_PYTHON_ADVICE, "Add the missing rows to the panel, or leave those "
                                                f"units out with [panel] drop = [{listed}] in the study file."))
            better.report = report
            raise better from None
        if not missing or len(missing) == getattr(report, "n_panel_ids", -1):  # none, or ids written otherwise
            raise
        listed = ", ".join(f'"{i}"' for i in missing[:10]) + (", ..." if len(missing) > 10 else "")
        better = JoinError(f"{exc} In the spec, [panel] drop = [{listed}] leaves them out.")
        better.report = report
        raise better from None


def _check_key_columns(panel: pd.DataFrame, ps) -> None:
    """``panel.id`` and ``panel.time`` name columns of the panel (else the file, the columns and the
    closest name, letter case ignored)."""
    from spillmap._rowplace import source_name

    source = source_name(panel)
    for key, col in (("panel.id", ps.id), ("panel.time", ps.time)):
        if col not in panel.columns:
            cols = [str(c) for c in panel.columns]
            raise DataError(f"{key}: column {col!r} not in the panel{f' ({source})' if source else ''}; available: "
                            f"{format_items(cols)}.{did_you_mean(col, cols)}")


def variable_keys(study) -> dict[str, str]:
    """Every variable the study names, with the spec key that first names it (``model.y``,
    ``model.x``, ``tables.moran_variables``, ``weights.NAME.var``): an error names that key."""
    out: dict[str, str] = {}
    for names, where in (([study.y], "model.y"), (study.x, "model.x"),
                         (study.tables.moran_variables, "tables.moran_variables"),
                         *(([w.settings.var], f"weights.{w.name}.var") for w in study.weights
                           if getattr(w.settings, "var", None))):
        for name in names:
            out.setdefault(name, where)
    return out


def load_inputs(study: Study) -> StudyInputs:
    """Read, subset, transform and join the study's layer and panel."""

    ls, ps = study.layer, study.panel
    layer = load_layer(ls.dataset or ls.path, ls.id, resolve=study.resolve, layer=ls.layer, assume_crs=ls.assume_crs,
                       where="layer.dataset" if ls.dataset else "layer.path", dataset=ls.dataset is not None or None)
    whole = _merge_attributes(layer, study)
    layer = _subset(whole, study)
    for key, col in (("name_column", ls.name_column), ("group_column", ls.group_column)):
        if col is not None and col not in layer.columns:  # group_column was ignored (bad-input audit 29 C3)
            cols = [str(c) for c in layer.columns if c != "geometry"]
            raise DataError(f"layer.{key}: column {col!r} not in the layer; available: {format_items(cols)}."
                            f"{did_you_mean(str(col), cols)}")
    panel = load_table(ps.dataset or ps.path, resolve=study.resolve, id=ps.id,
                       where="panel.dataset" if ps.dataset else "panel.path", dataset=ps.dataset is not None or None)
    _check_key_columns(panel, ps)
    panel = _drop_units(panel, study)
    indicator_tables: dict = {}
    if study.indicators:
        from spillmap.study.indicators import build_indicators

        panel, indicator_tables = build_indicators(panel, study.indicators, time=ps.time)
    keys = variable_keys(study)
    variables = list(keys)
    for where in dict.fromkeys(keys.values()):
        panel = evaluate_variables(panel, [v for v, k in keys.items() if k == where], where=where, id=ps.id,
                                   time=ps.time)
    dropped: tuple[str, ...] = ()
    if ls.subset:
        panel, dropped = _restrict_panel(panel, layer, study)
    joined = _join(layer, panel, study, variables)
    jpanel = joined.panel
    if ps.id != ls.id:  # one id column name from here on: the layer's
        jpanel = jpanel.drop(columns=[ls.id], errors="ignore").rename(columns={ps.id: ls.id})
    full = whole.copy()
    full[ls.id] = full[ls.id].astype(str)
    return StudyInputs(layer=joined.layer, panel=jpanel, full_layer=full, id=ls.id, time=ps.time,
                       ids=tuple(joined.ids), times=tuple(joined.times), join=joined, dropped_by_subset=dropped,
                       dropped_by_spec=ps.drop,
                       variables=tuple(variables), indicators=indicator_tables)
