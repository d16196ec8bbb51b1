"""Study steps without W or by group: the non-spatial baseline (seed Table 3) and the
heterogeneity table (seed Table 6).  Composition only:
:func:`spillmap.estimation.baseline.twoway_fe_baseline` (linearmodels ``PanelOLS``),
:class:`spillmap.estimation.SpatialPanel`, :func:`spillmap.estimation.hypothesis.wald_test`.

Heterogeneity: for each grouping column, the baseline and the SDM are estimated
separately on each group's units (the SDM with its weights matrix rebuilt on those
units by the same specification, as a researcher would build it for the subsample),
and the difference of the key coefficient between groups is tested on the interacted
full-sample model: ``key × 1[group = g]`` for every group but the first, a cluster-robust
Wald test in the baseline and an ML Wald test of the interaction and its spatial lag in
the SDM (Chow-type tests of equal slopes).
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from spillmap.errors import DataError, SpillmapError, format_items
from spillmap.study.records import FitRecord, num
from spillmap.study._steps_model import fit_failed

__all__ = ["baseline_block", "check_columns", "heterogeneity_block", "heterogeneity_column", "heterogeneity_tests"]

MIN_GROUP_UNITS = 10


def _cluster(study) -> str | None:
    c = study.tables.baseline_cluster
    return None if c == "none" else c


def baseline_block(study, inputs) -> tuple[dict, dict[str, FitRecord]]:
    """Columns (1)…(k): the key regressor alone, then one control added per column."""
    from spillmap.estimation.baseline import twoway_fe_baseline

    key = study.key
    order = [key, *[v for v in study.x if v != key]]
    records: dict[str, FitRecord] = {}
    columns = []
    for j in range(1, len(order) + 1):
        label = f"({j})"
        res = twoway_fe_baseline(inputs.panel, id=inputs.id, time=inputs.time, y=study.y, x=order[:j],
                                 cluster=_cluster(study))
        records[f"baseline:{label}"] = FitRecord.from_baseline(res, label=label)
        columns.append(f"baseline:{label}")
    return {"columns": columns, "cluster": study.tables.baseline_cluster, "order": order}, records


def _unit_groups(inputs, col: str) -> pd.Series:
    """Group value (as text) of each unit, from the layer or a time-invariant panel column."""
    if col in inputs.layer.columns:
        s = inputs.layer.set_index(inputs.layer[inputs.id].astype(str))[col]
    elif col in inputs.panel.columns:
        per_unit = inputs.panel.groupby(inputs.id)[col].nunique(dropna=False)
        varying = per_unit[per_unit > 1]
        if len(varying):
            raise DataError(f"heterogeneity.columns: {col!r} changes over time for units "
                            f"{list(varying.index[:5])}; a group must be fixed per unit.")
        s = inputs.panel.groupby(inputs.id)[col].first()
    else:
        raise DataError(f"heterogeneity.columns: {col!r} is neither a layer (or layer.attributes) nor a panel "
                        f"column; layer columns: {[c for c in inputs.layer.columns if c != 'geometry']}.")
    s = s.reindex(list(inputs.ids))
    if s.isna().any():
        raise DataError(f"heterogeneity.columns: {col!r} is missing for units {list(s.index[s.isna()][:5])}.")
    return s.map(lambda v: str(int(v)) if isinstance(v, float) and float(v).is_integer() else str(v))


def _sub_inputs(inputs, ids: list[str]):
    from dataclasses import replace

    keep = set(ids)
    layer = inputs.layer[inputs.layer[inputs.id].astype(str).isin(keep)].reset_index(drop=True)
    panel = inputs.panel[inputs.panel[inputs.id].astype(str).isin(keep)].reset_index(drop=True)
    order = [i for i in inputs.ids if i in keep]
    return replace(inputs, layer=layer, panel=panel, ids=tuple(order))


def _group_sdm(study, sub, wspec, label: str) -> FitRecord:
    from spillmap.estimation import SpatialPanel
    from spillmap.study.weights import WeightsInputs, build_weights

    w = build_weights(wspec, WeightsInputs(sub.layer, sub.panel, sub.id, sub.time,
                                           study.layer.name_column, study.resolve))
    m = study.model
    res = SpatialPanel(sub.panel, y=m.y, x=list(m.x), id=sub.id, time=sub.time, w=w, model="sdm",
                       fe=m.fe).fit(lee_yu=m.lee_yu)
    eff = res.impacts(draws=m.draws, seed=m.seed)
    return FitRecord.from_spatial(res, label=label, w=wspec.name, effects=eff, nobs_data=len(sub.panel))


def _interaction(panel: pd.DataFrame, inputs, groups: pd.Series, key: str, col: str, values: list[str]):
    """``panel`` with ``key × 1[col = g]`` for every group but the first; the new column names."""
    unit_group = panel[inputs.id].astype(str).map(groups)
    out, names = panel.copy(), []
    for g in values[1:]:
        name = f"{key}×{col}={g}"
        out[name] = panel[key].to_numpy(float) * (unit_group == g).to_numpy(float)
        names.append(name)
    return out, names


def _wald(params: pd.Series, cov: pd.DataFrame, names: list[str], label: str) -> dict:
    from spillmap.estimation.hypothesis import wald_test

    r = wald_test(params[names].to_numpy(), cov.loc[names, names].to_numpy(), name=label,
                  null="the key coefficient is the same in every group")
    return {"stat": num(r.stat), "df": num(r.df), "p": num(r.pvalue), "terms": names}


def _tests(study, inputs, groups, values, col, wfull) -> dict:
    from spillmap.estimation import SpatialPanel
    from spillmap.estimation.baseline import twoway_fe_baseline

    m, key = study.model, study.key
    panel, inter = _interaction(inputs.panel, inputs, groups, key, col, values)
    out: dict[str, Any] = {}
    try:
        b = twoway_fe_baseline(panel, id=inputs.id, time=inputs.time, y=m.y, x=[*m.x, *inter],
                               cluster=_cluster(study))
        out["baseline_wald"] = _wald(b.params, b.cov, inter, "Wald (baseline, interacted)")
    except SpillmapError as exc:
        out["baseline_wald"] = {"stat": None, "df": None, "p": None, "note": f"not computed: {exc}"}
    try:
        res = SpatialPanel(panel, y=m.y, x=[*m.x, *inter], id=inputs.id, time=inputs.time, w=wfull, model="sdm",
                           fe=m.fe).fit(lee_yu=m.lee_yu)
        out["sdm_wald"] = _wald(res.params, res.cov, [*inter, *[f"W_{n}" for n in inter]], "Wald (SDM, interacted)")
    except SpillmapError as exc:
        out["sdm_wald"] = {"stat": None, "df": None, "p": None, "note": f"not computed: {exc}"}
    return out


def check_columns(study, inputs) -> None:
    """Raise the DataError of a grouping column that cannot be used (missing, or changing over
    time within a unit) before any model is fitted."""
    if "heterogeneity" in study.tables.include and study.heterogeneity is not None:
        h = study.heterogeneity
        for col in h.columns:
            groups = _unit_groups(inputs, col)
            values = sorted(set(groups))
            if len(values) < 2:  # a "comparison" of one group is the whole sample again
                raise DataError(f"heterogeneity.columns: {col!r} has one group ({values[0]!r}) among the units of "
                                "the study; a heterogeneity table compares two or more.")
            unknown = sorted(set(map(str, (h.labels or {}).get(col, {}))) - set(map(str, values)))
            if unknown:
                raise DataError(f"heterogeneity.labels.{col}: no unit has {col} = {unknown[0]!r}; its groups are "
                                f"{format_items(values)}.")


def _grouping(inputs, col: str) -> tuple[pd.Series, list[str]]:
    groups = _unit_groups(inputs, col)
    return groups, sorted(groups.unique(), key=lambda v: (len(v), v))


def heterogeneity_column(study, inputs, col: str, progress) -> tuple[dict, dict[str, FitRecord], list[str]]:
    """One grouping column of Table 6: each group's baseline and SDM (on the group's own W), without
    the interaction tests (:func:`heterogeneity_tests`); ``(block, records, missing)``."""
    from spillmap.estimation.baseline import twoway_fe_baseline

    h = study.heterogeneity
    wname = h.w or study.weights[0].name
    wspec = study.weight(wname)
    records: dict[str, FitRecord] = {}
    missing: list[str] = []
    groups, values = _grouping(inputs, col)
    labels = {str(k): str(v) for k, v in dict(h.labels.get(col, {})).items()}
    heading = str(dict(study.model.labels or {}).get(col, col))  # the column as [model] labels name it
    block: dict[str, Any] = {"groups": [], "baseline": [], "sdm": []}
    sizes = {g: int((groups == g).sum()) for g in values}
    shown = ", ".join(f"{labels.get(g, f'{heading} = {g}')} ({n})" for g, n in sizes.items() if n >= MIN_GROUP_UNITS)
    progress(f"heterogeneity by {col}: baseline and SDM of each group: {shown or 'none large enough'} ({wname})")
    for g in values:
        ids = list(groups.index[groups == g])
        label = labels.get(g, f"{heading} = {g}")
        block["groups"].append({"value": g, "label": label, "n": len(ids)})
        if len(ids) < MIN_GROUP_UNITS:
            missing.append(f"heterogeneity {col} = {g}: {len(ids)} units, fewer than {MIN_GROUP_UNITS}; "
                           "not estimated separately.")
            continue
        sub = _sub_inputs(inputs, ids)
        key = f"heterogeneity:{col}={g}"
        try:
            b = twoway_fe_baseline(sub.panel, id=sub.id, time=sub.time, y=study.y, x=list(study.x),
                                   cluster=_cluster(study))
            records[f"{key}:baseline"] = FitRecord.from_baseline(b, label=label)
            block["baseline"].append(f"{key}:baseline")
        except SpillmapError as exc:
            missing.append(fit_failed(f"heterogeneity {label}: the baseline fit failed: {exc}"))
        try:
            records[f"{key}:sdm"] = _group_sdm(study, sub, wspec, label)
            block["sdm"].append(f"{key}:sdm")
        except SpillmapError as exc:
            missing.append(fit_failed(f"heterogeneity {label}: the SDM fit failed: {exc}"))
    return block, records, missing


def heterogeneity_tests(study, inputs, weights: dict, col: str, block: dict) -> None:
    """Add the interaction tests of one grouping column to its ``block`` (when it has two groups or
    more): the full-sample models on the study's W, so they run after the spatial fits on it."""
    groups, values = _grouping(inputs, col)
    if len(values) > 1:
        block["tests"] = _tests(study, inputs, groups, values, col, weights[study.heterogeneity.w or
                                                                            study.weights[0].name])


def heterogeneity_block(study, inputs, weights: dict, progress) -> tuple[dict, dict[str, FitRecord], list[str]]:
    """Table 6: per grouping column, per group baseline + SDM fits, and the interaction tests."""
    out: dict[str, Any] = {"w": study.heterogeneity.w or study.weights[0].name, "groupings": {}}
    records: dict[str, FitRecord] = {}
    missing: list[str] = []
    for col in study.heterogeneity.columns:
        block, recs, miss = heterogeneity_column(study, inputs, col, progress)
        heterogeneity_tests(study, inputs, weights, col, block)
        out["groupings"][col] = block
        records.update(recs)
        missing += miss
    return out, records, missing
