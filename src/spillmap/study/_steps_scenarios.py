"""Study steps of the policy scenarios: check them against the data (before any fit), store what
``spillmap scenario results.json`` needs, compute each scenario on each W's SDM and the columns of
``S_k`` for the click-to-explore map.  Composition only: :func:`spillmap.estimation.scenario`,
:func:`spillmap.estimation.response_columns` (see :mod:`spillmap.study.scenarios`)."""
from __future__ import annotations

import warnings
from typing import Any

import pandas as pd

from spillmap.errors import EstimationError, EstimationWarning, InputError, SpillmapError

__all__ = ["unit_table", "check_block", "scenario_block", "scenario_options"]


def unit_table(inputs) -> pd.DataFrame:
    """The layer's (and its attributes') columns for the model's units, indexed by id (W's order)."""
    layer = pd.DataFrame(inputs.layer).drop(columns=["geometry"], errors="ignore")
    layer[inputs.id] = layer[inputs.id].astype(str)
    table = layer.drop_duplicates(inputs.id).set_index(inputs.id).reindex(list(inputs.ids))
    table.index.name = "id"
    return table


def _groups(study, spec) -> tuple[str, ...]:
    if spec.groups:
        return spec.groups
    return (study.layer.group_column,) if study.layer.group_column else ()


def scenario_options(study, spec, attributes: pd.DataFrame) -> dict:
    """Keyword arguments of :func:`spillmap.estimation.scenario` for ``[scenarios.NAME]``."""
    draws = spec.draws if spec.draws is not None else study.model.draws
    method = spec.method if draws else "delta"
    return {"variable": list(spec.variable), "units": spec.units if not isinstance(spec.units, tuple)
            else list(spec.units), "change": list(spec.change), "kind": list(spec.kind), "attributes": attributes,
            "names": study.layer.name_column, "groups": list(_groups(study, spec)), "within": spec.within,
            "period": spec.period, "method": method, "draws": draws or 1000, "seed": study.model.seed,
            "level": spec.level}


def _pairs(spec) -> list[tuple[Any, str]]:
    n = len(spec.variable)
    return [(spec.change[i if len(spec.change) > 1 else 0], spec.kind[i if len(spec.kind) > 1 else 0])
            for i in range(n)]


def _ref(change: Any) -> Any:
    return str(int(change)) if isinstance(change, float) and change.is_integer() else change


def check_block(study, inputs) -> None:
    """Every scenario's units, groups, ``within``, period and reference unit against the data.

    Raises the error of :mod:`spillmap.estimation.scenario` prefixed with the key
    (``scenarios.hubei.units: ...``), before any model is fitted.
    """
    from spillmap.estimation._scenario_input import group_labels, select_units

    if not study.scenarios:
        return
    attrs = unit_table(inputs)
    ids = list(inputs.ids)
    dropped = {str(d) for d in study.panel.drop}
    for s in study.scenarios:
        opts = scenario_options(study, s, attrs)
        named = [s.units] if isinstance(s.units, str | int) else list(s.units) if isinstance(s.units, tuple) else []
        out = [str(u) for u in named if str(u) in dropped]
        if out:
            raise InputError(f"scenarios.{s.name}.units: {out[0]!r} is left out of the study by panel.drop; "
                             "remove it from one of the two.")
        for key, check in (
            ("units", lambda: select_units(opts["units"], ids, attrs, opts["names"])),
            ("groups", lambda: group_labels(opts["groups"], ids, attrs)),
            ("within", lambda: s.within is None or group_labels([s.within], ids, attrs)),
            ("change", lambda: [select_units([_ref(c)], ids, attrs, opts["names"]) for c, k in _pairs(s)
                                if k == "to_unit"]),
        ):
            try:
                check()
            except SpillmapError as exc:
                raise type(exc)(f"scenarios.{s.name}.{key}: {exc}") from None
        if s.period is not None and str(s.period) not in {str(t) for t in inputs.times}:
            raise InputError(f"scenarios.{s.name}.period: {s.period!r} is not a period of the panel "
                                      f"({inputs.times[0]}–{inputs.times[-1]}).")


def _inputs(sdm, wname: str) -> dict:
    import scipy.sparse as sp

    from spillmap.study.scenarios import encode_array

    w = sp.csr_matrix(sdm.w.sparse)
    cov = sdm.cov
    return {"fit": f"{wname}:sdm",
            "cov": {"names": [str(c) for c in cov.columns], "matrix": cov.to_numpy(dtype=float).tolist()},
            "w": {"indptr": encode_array(w.indptr), "indices": encode_array(w.indices),
                  "data": encode_array(w.data), "transform": sdm.w.transform}}


def _explore(sdm, variable: str) -> dict:
    from spillmap.estimation import response_columns
    from spillmap.study.scenarios import encode_array

    cols = response_columns(sdm, variable)
    out = {"variable": variable, "own": encode_array(cols["own"]), "emitted": encode_array(cols["emitted"])}
    if "matrix" in cols:
        out["matrix"] = encode_array(cols["matrix"])
    else:
        out.update(index=encode_array(cols["index"]), value=encode_array(cols["value"]))
    return out


def _varying_notes(study, varying) -> list[str]:
    """One line per weights matrix built by period that a scenario would use: scenarios need one W."""
    asked = dict.fromkeys(w for s in study.scenarios for w in (s.w or tuple(w.name for w in study.weights)))
    return [f"scenarios on {w}: a scenario needs one W for all periods and {w} is built by period (a time-varying "
            "W), so no scenario is computed on it." for w in asked if w in varying]


def scenario_block(study, inputs, live: dict, step, varying=frozenset()) -> tuple[dict, list[str]]:
    """``StudyResults.scenarios`` (inputs, runs, explore) and what could not be computed.

    Parameters
    ----------
    study, inputs
        The study and its loaded inputs.
    live
        The SDM fit of each weights matrix that is one W for all periods.
    step
        ``step(message)`` before each scenario and each click-to-explore computation.
    varying
        The names of the weights matrices built by period: no scenario runs on them, and one line
        per such W says so (not that its SDM was not estimated).
    """
    from spillmap.estimation import scenario
    from spillmap.estimation._scenario_result import json_cell
    from spillmap.estimation.scenario import ScenarioModel
    from spillmap.study.scenarios import encode_array

    missing = _varying_notes(study, varying) if study.scenarios else []
    if not live:
        return {}, missing
    attrs = unit_table(inputs)
    first = ScenarioModel.from_fit(next(iter(live.values())))
    values = first.values.to_numpy(dtype=float).reshape(len(inputs.times), len(inputs.ids), -1)
    block: dict[str, Any] = {"inputs": {
        "ids": list(inputs.ids), "periods": list(inputs.times), "x_names": list(first.x_names),
        "values": encode_array(values), "id_column": inputs.id, "name_column": study.layer.name_column,
        "attributes": {str(c): [json_cell(v) for v in attrs[c].tolist()] for c in attrs.columns},
        "models": {w: _inputs(sdm, w) for w, sdm in live.items()}}, "runs": {}, "explore": {}}
    for s in study.scenarios:
        block["runs"][s.name] = {}
        for wname in s.w or tuple(w.name for w in study.weights):
            if wname in varying:
                continue  # said once per W above
            if wname not in live:
                missing.append(f"scenario {s.name} on {wname}: the SDM of {wname} was not estimated.")
                continue
            step(f"scenario {s.name} on the SDM of {wname}")
            res = scenario(ScenarioModel.from_fit(live[wname], label=f"SDM, {wname}"), **scenario_options(
                study, s, attrs))
            block["runs"][s.name][wname] = res.to_dict()
    variables = list(dict.fromkeys(v for s in study.scenarios for v in s.variable))
    for wname, sdm in live.items():
        if variables:
            step(f"click-to-explore responses of {', '.join(variables)} ({wname})")
        block["explore"][wname] = {v: _explore(sdm, v) for v in variables}
    return block, missing


def fit_models(study, wnames, step) -> tuple[dict, pd.DataFrame, dict]:
    """The SDM of each weights matrix in ``wnames`` fitted as the study fits it, without the other
    steps (``spillmap scenario`` on a spec); returns ``(models, unit table, display geometry)``."""
    from spillmap.estimation import SpatialPanel
    from spillmap.estimation.scenario import ScenarioModel
    from spillmap.study._steps_maps import geometry_block
    from spillmap.study.inputs import load_inputs
    from spillmap.study.weights import WeightsInputs, align_weights, build_weights

    step("loading the boundary layer and the panel, joining them")
    inputs = load_inputs(study)
    check_block(study, inputs)
    winp = WeightsInputs(inputs.layer, inputs.panel, inputs.id, inputs.time, study.layer.name_column, study.resolve)
    m = study.model
    models = {}
    failed: list[str] = []
    for wname in wnames:
        spec = study.weight(wname)
        step(f"building weights {wname} ({spec.describe()})")
        w = align_weights(build_weights(spec, winp), inputs.ids, inputs.times)  # by_period: one W per period
        step(f"{wname}: fitting the SDM (Lee-Yu {m.lee_yu})")
        try:
            fit = SpatialPanel(inputs.panel, y=m.y, x=list(m.x), id=inputs.id, time=inputs.time, w=w, model="sdm",
                               fe=m.fe).fit(lee_yu=m.lee_yu)
        except EstimationError as exc:  # as the report does: say so, answer on the other matrices
            failed.append(f"{wname}: {str(exc).rstrip('.')}")
            warnings.warn(f"the SDM of weights {wname} could not be estimated, so its scenarios are skipped: {exc}",
                          EstimationWarning, stacklevel=2)
            continue
        models[wname] = ScenarioModel.from_fit(fit, label=f"SDM, {wname}")
    if not models:
        raise EstimationError(f"no SDM could be estimated for the scenarios ({'; '.join(failed)}).")
    return models, unit_table(inputs), geometry_block(study, inputs)
