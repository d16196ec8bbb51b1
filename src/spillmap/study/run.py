"""``run(study) -> StudyResults``: the study's pipeline, geo → spatial → estimation, once, in order.

Steps (each reported to ``progress``): read and join the data; build every weights
matrix; descriptive statistics; per W: Moran's I by period, the diagnostics table
(Moran, LM, SDM/SAR/SEM fits, LR, Wald, Hausman) and the SDM effects, and with
``[model] dynamic`` the dynamic SDM with short- and long-run effects (a W built ``by_period``
gets the SDMs only, with ``W_t`` in every period; what needs one W is listed in ``missing``; its
maps use the map year's W); the non-spatial
baseline; the heterogeneity table; what the maps show (LISA, per-unit effects, one
unit's response, values and geometry).  Nothing is rendered or written here.

The within table, the baseline and the per-group fits of the heterogeneity table need no
spatial fit: on Linux with two CPUs a forked process computes them while this one fits the
models on each W (:mod:`spillmap.study._side`); the results, messages and warnings are those
of the serial order (``SPILLMAP_NO_FORK=1`` runs everything here).  Grouping columns are
checked right after loading, before any fit.

A section that cannot be computed (e.g. an SEM whose λ runs to its bound) is listed in
``StudyResults.missing`` with the reason; a model that cannot be estimated also raises one
:class:`~spillmap.errors.EstimationWarning` saying which and why (the command line prints it as
``spillmap report: warning: ...``); every spillmap warning raised while running is kept in
``StudyResults.warnings``.
"""
from __future__ import annotations

import sys
import time as _time
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from spillmap._threads import single_threaded_blas
from spillmap.study import _side, _steps_groups, _steps_maps, _steps_model, _steps_scenarios
from spillmap.study.inputs import load_inputs
from spillmap.study.records import num
from spillmap.study.results import StudyResults
from spillmap.study.weights import WeightsInputs, align_weights, build_weights, describe_weights, weights_facts

if TYPE_CHECKING:
    from spillmap.study.spec import Study

__all__ = ["run", "Progress", "print_progress"]

#: ``progress(step, total, message)``
Progress = Callable[[int, int, str], None]


def print_progress(stream: TextIO | None = None) -> Progress:
    """A progress reporter printing ``[k/total  elapsed] message`` lines (to stderr by default).

    Parameters
    ----------
    stream
        Where the lines go (default: ``sys.stderr`` at the time of each line).
    """
    t0 = _time.perf_counter()

    def report(step: int, total: int, message: str) -> None:
        k = f"{step:>{len(str(total))}}"  # aligned: [ 9/27 ...] above [10/27 ...]
        print(f"[{k}/{total} {_time.perf_counter() - t0:5.1f}s] {message}", file=stream or sys.stderr, flush=True)

    return report


def _describe(panel, columns) -> dict:
    """N, mean, sd (ddof = 1), min, max of each column (:func:`spillmap.tables.describe`), as numbers."""
    from spillmap.tables import describe

    frame = describe(panel, list(columns))
    return {c: {"N": int(row["N"]), **{k: num(row[k]) for k in ("mean", "sd", "min", "max")}}
            for c, row in frame.iterrows()}


def _weights(study, inputs, step) -> tuple[dict, dict]:
    from spillmap.study.weights import WeightSpec

    built, info = {}, {}
    winp = WeightsInputs(inputs.layer, inputs.panel, inputs.id, inputs.time, study.layer.name_column, study.resolve)
    for spec in study.weights:
        step(f"building weights {spec.name} ({spec.describe()})")
        w = align_weights(build_weights(spec, winp), inputs.ids, inputs.times)  # by_period: one W per period
        built[spec.name] = w
        facts = weights_facts(w)
        raw = None
        if spec.kind == "contiguity" and spec.settings.islands in ("nearest", "drop"):
            raw_spec = WeightSpec(spec.name, "contiguity", {**spec.options, "islands": "keep"})
            raw = weights_facts(build_weights(raw_spec, winp))
        info[spec.name] = {"kind": spec.kind, "options": dict(spec.options),
                           "description": describe_weights(spec, facts, raw), "facts": facts,
                           "before_islands": raw}
    return built, info


def _say_about_inputs(study, inputs) -> None:
    """What the join left out, said on the terminal too (a DataWarning each): layer units without panel
    rows (out of the sample and of W; said only in the report before: bad-input audit 29 C7) and
    ``[model] labels`` keys that name no variable or column (a typo, ignored before: C4)."""
    import warnings

    from spillmap.errors import DataWarning, format_items

    ids = inputs.join.report.layer_ids_not_in_panel
    if ids:
        warnings.warn(f"{len(ids)} unit(s) of the layer have no rows in the panel and are left out of the sample "
                      f"and of the weights (their neighbours lose them): {format_items(ids, limit=10)}.",
                      DataWarning, stacklevel=2)
    named = {str(c) for c in inputs.panel.columns} | {str(c) for c in inputs.full_layer.columns}
    named |= {study.y, *study.x, *(i.name for i in study.indicators)}
    unused = [k for k in (study.model.labels or {}) if str(k) not in named]
    if unused:
        warnings.warn(f"model.labels: {format_items(unused)} name(s) no variable or column of the panel or the "
                      "layer, so no label is used for them.", DataWarning, stacklevel=2)


def _data_block(inputs) -> dict:
    rep = inputs.join.report
    return {"n": inputs.n, "t": inputs.t, "nobs": int(len(inputs.panel)), "periods": list(inputs.times),
            "ids": list(inputs.ids), "layer_units_dropped": list(rep.layer_ids_not_in_panel),
            "panel_ids_not_in_layer": list(rep.panel_ids_not_in_layer),
            "panel_ids_dropped_by_subset": list(inputs.dropped_by_subset),
            "panel_ids_dropped_by_spec": list(inputs.dropped_by_spec)}


@single_threaded_blas
def run(study: Study, *, progress: Progress | None = None) -> StudyResults:
    """Run every step of ``study`` and return its :class:`StudyResults`.

    BLAS runs single-threaded inside (:mod:`spillmap._threads`; a thread count the user chose
    is kept): the study's dense algebra is small, e.g. linearmodels' least squares of the
    baseline tables took 62 ms per regression with OpenBLAS's two threads and 41 ms with one
    (297 x 12 panel, quiet 2-core machine).

    Parameters
    ----------
    study
        A :class:`~spillmap.study.Study`.
    progress
        ``progress(step, total, message)`` called before each step, e.g. ``print_progress()`` (the
        reporter it returns; :func:`print_progress` itself is taken as ``print_progress()``);
        ``None`` for silence.
    """
    from spillmap._warnings import capture_warnings

    from spillmap.study._plan import Steps, planned_steps

    if progress is print_progress:  # the factory for its reporter: a TypeError deep inside (notebook audit 32 #4)
        progress = print_progress()
    step = Steps(progress, planned_steps(study).run if progress is not None else 0)
    with capture_warnings() as caught:
        step("loading the boundary layer and the panel, joining them")
        inputs = load_inputs(study)
        _say_about_inputs(study, inputs)
        year = _steps_maps.map_year(study, inputs)
        city = _steps_maps.city_id(study, inputs)
        _steps_scenarios.check_block(study, inputs)
        _steps_groups.check_columns(study, inputs)
        weights, winfo = _weights(study, inputs, step)
        side = _side.SideSteps(study, inputs).start()  # within, baseline, heterogeneity: beside the fits
        try:
            spatial = _spatial_blocks(study, inputs, weights, step)
            out = _after_fits(study, inputs, weights, year, spatial, side.gather(weights, step), step, city)
        except BaseException:
            side.abort()
            raise
    return StudyResults(
        spec=study.to_dict(), title=study.title, notice=study.notice,
        unit_label=study.unit_label, data=_data_block(inputs), descriptive=_describe(inputs.panel, [study.y, *study.x]),
        weights=winfo, **out, indicators=inputs.indicators, warnings=tuple(caught.messages),
    )


def _spatial_blocks(study, inputs, weights: dict, step) -> dict:
    """Per W: Moran's I by period, the SDM/SAR/SEM fits and diagnostics (or the SDM with one W per
    period), the dynamic SDM, the fixed effects; then the posterior probabilities of the W's."""
    include = set(study.tables.include)
    fits, diag, moran, missing, live_dynamic, live, fixed = {}, {}, {}, [], {}, {}, {}
    for wname, w in weights.items():
        varying = hasattr(w, "groups")  # one W per period: the SDMs only (module notes)
        if "moran_by_year" in include and not varying:
            moran[wname] = _steps_model.moran_block(study, inputs, w)
        elif "moran_by_year" in include:
            missing.append(f"{wname}: Moran's I by period is computed for one W; it is not for a W built "
                           "by period.")
        if varying:
            step(f"{wname}: fitting the SDM with one W per period (Lee-Yu {study.model.lee_yu})")
            _, recs, sdm, miss = _steps_model.timevarying_block(study, inputs, wname, w, effects_step=step)
        else:
            step(f"{wname}: fitting SDM, SAR, SEM (Lee-Yu {study.model.lee_yu}) and diagnostics")
            diag[wname], recs, sdm, miss = _steps_model.model_block(study, inputs, wname, w, effects_step=step)
        fits.update(recs)
        missing += miss
        if study.model.dynamic:
            recs, miss, dyn = _steps_model.dynamic_block(study, inputs, wname, w, effects_step=step)
            fits.update(recs)
            missing += miss
            if dyn is not None:
                live_dynamic[wname] = dyn
        if sdm is not None:
            live[wname] = sdm
            if study.model.fe != "none":
                fixed[wname] = _steps_model.fixed_effects_block(sdm)
    single = {k: v for k, v in weights.items() if not hasattr(v, "groups")}
    if "bayes" in study.diagnostics.tests and len(single) > 1:
        step("posterior probabilities of the weights matrices (SDM)")
        for wname, row in _steps_model.weights_probability_rows(study, inputs, single).items():
            diag[wname] = {**diag[wname], "bayes_w": row}
    return {"fits": fits, "diag": diag, "moran": moran, "missing": missing, "live": live,
            "live_dynamic": live_dynamic, "fixed": fixed}


def _after_fits(study, inputs, weights: dict, year, spatial: dict, side: dict, step, city=None) -> dict:
    """The side steps' results merged in the serial order, then LISA, the units' effects and
    responses (of ``city``, the id of ``[maps] spillover_city``), the scenarios and the map data;
    the StudyResults fields."""
    fits, missing, live = {**spatial["fits"], **side["fits"]}, [*spatial["missing"], *side["missing"]], spatial["live"]
    unit_effects, unit_response, dynamic_units = {}, {}, {}
    first = next(iter(weights))
    step(f"maps: LISA of {study.y} in {year} ({study.maps.permutations} permutations, {first})")
    lisa = _steps_maps.lisa_block(study, inputs, first, _steps_maps.at_period(weights[first], year), year)
    for wname, sdm in live.items():
        step(f"maps: spillovers of {study.key} ({wname})")
        unit_effects[wname], unit_response[wname] = _steps_maps.unit_blocks(study, wname, sdm, year, city)
    for wname, dyn in spatial["live_dynamic"].items():
        step(f"maps: short- and long-run spillovers of {study.key} (dynamic SDM, {wname})")
        dynamic_units[wname] = _steps_maps.dynamic_unit_blocks(study, dyn, year)
    varying = {k for k, w in weights.items() if hasattr(w, "groups")}  # built by period: no scenarios
    one_w = {k: v for k, v in live.items() if k not in varying}
    scenarios, miss = _steps_scenarios.scenario_block(study, inputs, one_w, step, varying=varying)
    missing += miss
    map_data = {**_steps_maps.map_values(study, inputs), "year": year,
                "lags": _steps_maps.moran_lags(study, inputs, weights)}
    geometry = _steps_maps.geometry_block(study, inputs)
    return dict(moran_by_year=spatial["moran"], diagnostics=spatial["diag"], fits=fits, baseline=side["baseline"],
                within=side["within"], heterogeneity=side["heterogeneity"], fixed_effects=spatial["fixed"], lisa=lisa,
                unit_effects=unit_effects, unit_response=unit_response, map_data=map_data, geometry=geometry,
                scenarios=scenarios, dynamic_unit_effects=dynamic_units, missing=tuple(missing))
