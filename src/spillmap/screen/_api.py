"""``spillmap.screen(...)``: screen many indicators for spatial dependence.

Composes the panel checks (:mod:`spillmap.screen._spec`), the Dask engine
(:mod:`spillmap.screen._engine`), the tasks (:mod:`spillmap.screen._tasks`, which
call the array-level statistics of :mod:`spillmap.spatial._batch` and
:func:`spillmap.spatial.lm_tests`) and the results (:mod:`spillmap.screen._results`).
No numerics here.
"""
from __future__ import annotations

import time as _time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from spillmap.errors import DataError, InputError
from spillmap.screen._engine import dask_client, plan_jobs, run_jobs
from spillmap.screen._results import ScreenResults, assemble, rank
from spillmap.screen._spec import (
    LMSpec,
    Statistic,
    align_layer,
    check_keys,
    check_magnitudes,
    check_regression_cells,
    check_statistics,
    check_weights,
    materialise_weights,
    panel_values,
    select_indicators,
)
from spillmap.spatial.weights import SpatialWeights

if TYPE_CHECKING:
    import distributed
    import geopandas as gpd

__all__ = ["screen"]


def _check_options(permutations, seed, alpha) -> None:
    if isinstance(permutations, bool) or not isinstance(permutations, (int, np.integer)) or permutations < 0:
        raise InputError(f"permutations must be a non-negative integer, got {permutations!r}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}.")
    if not (isinstance(alpha, (int, float)) and 0 < alpha < 1):
        raise InputError(f"alpha must be between 0 and 1, got {alpha!r}.")


def _with_composites(panel: pd.DataFrame, composites, time: str | None) -> tuple[pd.DataFrame, dict]:
    if not composites:
        return panel, {}
    from spillmap.indicators import composite_index

    out, built = panel.copy(), {}
    out.attrs = dict(panel.attrs)
    for name, spec in composites.items():
        if name in out.columns:
            raise DataError(f"composite indicator {name!r} would overwrite the panel column of that name.")
        options = dict(spec)
        options.setdefault("time", time)
        built[name] = composite_index(out, name=name, **options)
        out[name] = built[name].index
    return out, built


def _regression_columns(panel: pd.DataFrame, lm: LMSpec | None) -> list[str]:
    if lm is None:
        return []
    cols = list(lm.columns)
    missing = [c for c in cols if c not in panel.columns]
    if missing:
        raise DataError(f"regression column(s) {missing} not in the panel.")
    bad = [c for c in cols if not pd.api.types.is_numeric_dtype(panel[c].dtype)]
    if bad:
        raise DataError(f"regression column(s) {bad} are not numeric.")
    return cols


def screen(
    panel: pd.DataFrame,
    *,
    id: str,  # noqa: A002 - the public keyword of every panel function
    time: str | None,
    weights: SpatialWeights | Mapping[str, SpatialWeights | Mapping],
    indicators: str | Sequence[str] = "all",
    periods: Sequence | None = None,
    statistics: Sequence[Statistic] = ("moran", "geary", "lisa"),
    pooled: bool = True,
    permutations: int = 999,
    seed: int = 0,
    alpha: float = 0.05,
    fdr: bool = False,
    lm: LMSpec | Mapping | None = None,
    composites: Mapping[str, Mapping] | None = None,
    layer: gpd.GeoDataFrame | None = None,
    maps_layer: gpd.GeoDataFrame | None = None,
    layer_id: str | None = None,
    name_column: str | None = None,
    client: distributed.Client | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    chunk: int | None = None,
    progress: bool = False,
) -> ScreenResults:
    """Spatial-dependence screen of many indicators under several W, period by period.

    For every indicator, W and period: global Moran's I and Geary's C (analytic
    and permutation p-values), LISA cluster counts; for all periods together
    (``"pooled"``): Moran's I and Geary's C of the stacked panel with ``I_T kron W``,
    the panel LM tests of ``lm`` and optionally an SDM with effects.

    Parameters
    ----------
    panel
        Long panel, one row per ``(id, time)``; ``time=None`` for a cross-section.  A value
        beyond 1e+100 in absolute value (the limit of ``spillmap fit``) is a
        :class:`~spillmap.errors.DataError` naming the column and the cell, raised before any work.
    id, time
        Unit and period columns of ``panel`` (``time=None``: a cross-section).
    weights
        A :class:`SpatialWeights` or ``{name: SpatialWeights or spec}``, where a spec
        is a study weights spec (:class:`spillmap.study.WeightSpec`, or its TOML table
        as a dict, e.g. ``{"kind": "contiguity", "islands": "nearest"}``) built over
        the units of ``layer``; a ``"file"`` or ``"economic_distance"`` spec needs no
        layer and is then built over the panel's ids.  Matrices are used as given
        (row-standardise first for the usual statistics); all must have the panel's ids.
    indicators
        Column names, shell patterns (``"edu_*"``) or ``"all"`` numeric columns
        (besides ``id`` and ``time``).
    periods
        The periods to test (default: all); pooled statistics use these periods.
    statistics
        Any of ``"moran"``, ``"geary"``, ``"lisa"``, ``"lm"``, ``"sdm"``.
    pooled
        Also Moran's I and Geary's C of the stacked panel (about T times the cost of
        one period with permutations).
    permutations, seed
        Permutations of every pseudo p-value, and the seed from which each (W,
        period) stream is derived (:func:`spillmap.spatial._permutation.derive_seed`,
        stored per row in ``seed``): results never depend on workers or chunking.
        The indicators of one (W, period) share their permutations.
    alpha, fdr
        LISA significance level, optionally as a Benjamini-Hochberg FDR cut-off;
        also the level of ``share_significant`` in the ranking.
    lm
        ``{"y": ..., "x": [...], "role": "y"|"x", "fe": ...}`` (:class:`LMSpec`):
        the regression of the ``"lm"`` (panel LM tests) and ``"sdm"`` statistics,
        with the indicator as dependent variable (``role="y"``) or as an extra
        regressor of ``y`` (``role="x"``), and its fixed effects ``fe`` (``"none"``,
        ``"individual"``, ``"time"`` or ``"twoways"``, the default; the old key
        ``"effects"`` is still read, with a DeprecationWarning).  A missing or
        infinite cell of its ``y`` or ``x`` columns (in the screened periods) is a
        :class:`~spillmap.errors.DataError` naming the cells, raised before any work.
    composites
        ``{name: {method: ..., positive: [...], ...}}``: composite indicators built
        first by :func:`spillmap.indicators.composite_index` and screened too.
    layer, maps_layer, layer_id, name_column
        Boundary layer (its units without data are left out) for the weights specs
        and the top-k maps of :meth:`ScreenResults.save` (``maps_layer``: another
        geometry of the same units for the maps, e.g. a simplified one).
    client, scheduler, workers, chunk
        The Dask cluster (see :mod:`spillmap.screen._engine`; ``$SPILLMAP_SCHEDULER``
        is read when neither ``client`` nor ``scheduler`` is given) and an optional
        fixed number of indicators per task.  Without ``client`` or a scheduler, a
        local cluster of ``workers`` processes is started; each re-runs the main
        script, so a script must call this under ``if __name__ == "__main__":``
        (refused otherwise) or pass ``client=distributed.Client(processes=False)``
        to run on threads in this process.
    progress
        Show Dask's text progress bar on stderr (and, for a long run, the dashboard's address).

    Returns
    -------
    ScreenResults
        ``table`` (tidy: indicator x W x period x statistic), ``ranking``, ``save()``.

    Notes
    -----
    A constant indicator, its missing values or too few units in a period, or a singular
    regression, is recorded in the table (``status="failed"`` and ``reason``) and
    the run goes on.  **Verification** (``tests/test_screen.py``): sampled rows equal
    :func:`~spillmap.spatial.moran`, :func:`~spillmap.spatial.geary`,
    :func:`~spillmap.spatial.moran_pooled`, :func:`~spillmap.spatial.local_moran`
    and :func:`~spillmap.spatial.lm_tests` to 1e-12 (pseudo p-values exactly, with
    the row's seed); the tables of 1 and 2 workers and of a separate scheduler
    process are byte-identical.
    """
    _check_options(permutations, seed, alpha)
    stats = check_statistics(statistics)
    if permutations < 1 and "lisa" in stats:
        raise InputError("statistic 'lisa' needs permutations >= 1 (its clusters come from the pseudo p-values); "
                         "raise permutations or leave 'lisa' out of statistics.")
    spec = LMSpec.from_value(lm)
    if spec is None and {"lm", "sdm"} & set(stats):
        raise InputError("statistics 'lm' and 'sdm' need the regression: give lm={'y': ..., 'x': [...]}.")
    check_keys(panel, id, time)
    panel, built = _with_composites(panel, composites, time)
    layer_id = layer_id or id
    if layer is not None:
        layer = align_layer(layer, panel, id=id, layer_id=layer_id)
    ws = check_weights(materialise_weights(weights, panel=panel, layer=layer, id=id, time=time, layer_id=layer_id,
                                           name_column=name_column))
    chosen = select_indicators(panel, indicators, exclude=[id] + ([time] if time else []))
    chosen += [n for n in built if n not in chosen]
    extra = [c for c in _regression_columns(panel, spec) if c not in chosen]
    names = chosen + extra
    first = next(iter(ws.values()))
    values, labels = panel_values(panel, id=id, time=time, columns=names, ids=first.ids, periods=periods)
    check_magnitudes(values, names, ids=first.ids, labels=labels)
    if spec is not None:
        check_regression_cells(values, names, spec.columns, ids=first.ids, labels=labels)
    lm_cols = [names.index(c) for c in spec.columns] if spec else []
    with dask_client(client=client, scheduler=scheduler, workers=workers) as c:
        n_workers = max(1, len(c.scheduler_info().get("workers", {})))
        jobs = plan_jobs(
            weights=list(ws), labels=labels, n=first.n, k=len(chosen), stats=stats, permutations=int(permutations),
            seed=int(seed), alpha=float(alpha), fdr=bool(fdr), names=names, lm=spec, lm_cols=lm_cols,
            n_workers=n_workers, chunk=chunk, pooled=pooled,
        )
        t0 = _time.perf_counter()
        results = run_jobs(c, values, ws, jobs, progress=progress)
        wall = _time.perf_counter() - t0
    table = assemble(jobs, results, indicators=chosen, weights=list(ws), labels=labels)
    settings = {
        "indicators": tuple(chosen), "weights": tuple(ws), "periods": tuple(labels), "statistics": stats,
        "permutations": int(permutations), "seed": int(seed), "alpha": float(alpha), "fdr": bool(fdr),
        "pooled": bool(pooled),
        "lm": None if spec is None else f"{spec.y or 'indicator'} ~ {' + '.join(spec.x) or '1'}"
        f"{' + indicator' if spec.role == 'x' else ''} ({spec.effects} effects)",
        "notice": panel.attrs.get("notice"),
    }
    timing = {
        "wall_seconds": wall, "task_seconds": float(sum(getattr(r, "seconds", 0.0) for r in results)),
        "tasks": len(jobs), "workers": n_workers,
    }
    context = {
        "layer": layer if maps_layer is None else align_layer(maps_layer, panel, id=id, layer_id=layer_id),
        "layer_id": layer_id, "name_column": name_column, "values": values,
        "names": names, "weights": ws, "notice": settings["notice"],
    }
    ranking = rank(table, labels=labels, alpha=float(alpha), permutations=int(permutations))
    return ScreenResults(table, ranking, settings, timing, built, context)
