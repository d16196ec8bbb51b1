"""Study steps on one weights matrix: Moran's I by period, the diagnostics table, the fits
and the SDM effects.  Composition only (see :mod:`spillmap.study.diagnostics`)."""
from __future__ import annotations

from typing import Any

from spillmap.errors import SpillmapError
from spillmap.study.diagnostics import diagnostics_table
from spillmap.study.records import FitRecord, num

__all__ = ["moran_block", "model_block", "fixed_effects_block", "within_block", "weights_probability_rows",
           "dynamic_block", "timevarying_block", "fit_failed"]


def fit_failed(message: str) -> str:
    """Warn that a model could not be estimated and return ``message`` for ``StudyResults.missing``.

    One :class:`~spillmap.errors.EstimationWarning` per failed model (``message`` says which and
    why): the command line prints it as ``spillmap report: warning: ...`` even with ``--quiet``, and
    the run keeps it in ``StudyResults.warnings``.
    """
    import warnings

    from spillmap._warnings import outside_stacklevel
    from spillmap.errors import EstimationWarning

    warnings.warn(message, EstimationWarning, stacklevel=outside_stacklevel())
    return message


def fixed_effects_block(sdm) -> dict:
    """The intercept and the unit / period fixed effects of the SDM, with SEs (for the table and a map)."""
    from spillmap.estimation.fixed_effects import recover_fixed_effects

    fx = recover_fixed_effects(sdm)

    def frame(d):
        if d is None:
            return None
        return {str(i): {"estimate": num(r["estimate"]), "se": num(r["se"]), "p": num(r["p"])} for i, r in d.iterrows()}

    return {"intercept": num(fx.intercept), "intercept_se": num(fx.intercept_se), "unit": frame(fx.unit),
            "period": frame(fx.period)}


def within_block(study, inputs) -> tuple[dict, dict[str, FitRecord]]:
    """Elhorst's Table 3.1: pooled, unit, period and two-way OLS, and the LR / F tests of the effects."""
    from spillmap.estimation.within import within_table

    wt = within_table(inputs.panel, id=inputs.id, time=inputs.time, y=study.y, x=list(study.x))
    labels = {"pooled": "pooled OLS", "unit": "unit FE", "time": "period FE", "twoways": "two-way FE"}
    fe_of = {"pooled": "none", "unit": "individual", "time": "time", "twoways": "twoways"}
    records = {}
    for name, f in wt.fits.items():
        fe = fe_of.get(name, name)
        p = f.to_frame()
        records[f"within:{name}"] = FitRecord(
            label=labels.get(name, name), model="ols", fe=fe, y=study.y, w=None,
            params={k: num(v) for k, v in f.params.items()}, std_errors={k: num(v) for k, v in f.std_errors.items()},
            pvalues={k: num(v) for k, v in p["p"].items()},
            stats={"r2": f.r2, "r2_kind": "within" if fe != "none" else "R²", "sigma2": f.sigma2, "loglik": f.loglik,
                   "nobs": f.nobs, "n": f.n, "t": f.t, "nobs_data": f.nobs,
                   "cov_type": "unadjusted"})  # classical OLS SEs (WithinFit), as the table's note says
    tests = {k: {"stat": num(r.stat), "df": num(r.df), "p": num(r.pvalue)} for k, r in
             (("lr_unit_effects", wt.lr_unit), ("lr_time_effects", wt.lr_time), ("f_unit_effects", wt.f_unit),
              ("f_time_effects", wt.f_time)) if r is not None}
    return {"columns": list(records), "tests": tests}, records


def weights_probability_rows(study, inputs, weights: dict) -> dict[str, dict]:
    """Posterior probability of each W for the SDM (equal prior odds), one row per W."""
    from spillmap.estimation.bayes import weights_probabilities

    m = study.model
    wp = weights_probabilities(inputs.panel, id=inputs.id, time=inputs.time, y=m.y, x=list(m.x), weights=weights,
                               model="sdm", fe=m.fe)
    return {name: {"stat": num(wp.probability[name]), "df": None, "p": None,
                   "log_marginal": num(wp.log_marginal[name])} for name in weights}


def _moran_dict(m) -> dict:
    return {"I": num(m.I), "EI": num(m.EI), "sd": num(m.var_rand ** 0.5), "z": num(m.z_rand), "p": num(m.p_rand),
            "p_perm": num(m.p_perm)}


def moran_block(study, inputs, w) -> dict:
    """``{variable: {period: {...}, "pooled": {...}}}`` for the study's Moran variables."""
    from spillmap.spatial.autocorrelation import moran_by_period, moran_pooled

    variables = study.tables.moran_variables or (study.y,)
    perms, seed = study.diagnostics.permutations, study.model.seed
    out: dict[str, dict] = {}
    for var in variables:
        by = moran_by_period(inputs.panel, id=inputs.id, time=inputs.time, var=var, w=w, permutations=perms,
                             seed=seed)
        block = {str(t): _moran_dict(m) for t, m in by.items()}
        block["pooled"] = _moran_dict(moran_pooled(inputs.panel, id=inputs.id, time=inputs.time, var=var, w=w,
                                                   permutations=perms, seed=seed,
                                                   demean=study.diagnostics.moran_demean))
        out[var] = block
    return out


def model_block(study, inputs, wname: str, w, *, effects_step) -> tuple[dict, dict[str, FitRecord], Any, list[str]]:
    """Table 8 rows, the fit records (``W:sdm``, ``W:sar``, ``W:sem``, ``W:sdm_re``) and the live SDM.

    ``effects_step(message)`` reports progress before the effects are simulated.
    Returns ``(diagnostics, records, sdm_results_or_None, missing)``.
    """
    m = study.model
    diag, fits = diagnostics_table(
        inputs.panel, id=inputs.id, time=inputs.time, y=m.y, x=list(m.x), w=w, fe=m.fe, lee_yu=m.lee_yu,
        permutations=study.diagnostics.permutations, seed=m.seed, hausman=study.diagnostics.hausman,
        tests=study.diagnostics.tests, lm_convention=study.diagnostics.lm_convention,
        moran_demean=study.diagnostics.moran_demean, return_fits=True,
    )
    diag["moran"] = {**diag["moran"], "stat": diag["moran"].get("z")}  # every row has a "stat" (z for Moran)
    missing = [f"{wname}: {k}: {row['note']}" for k, row in diag.items()
               if isinstance(row, dict) and row.get("note") and k not in ("hausman_selected", "bayes_w")
               and row["note"] != "not requested"]
    for reason in fits.failed.values():  # "the SAR fit failed: ...": warned; listed unless a row says it
        fit_failed(f"{wname}: {reason}")
        if not any(m.endswith(reason) for m in missing):
            missing.append(f"{wname}: {reason}")
    nobs = len(inputs.panel)
    records: dict[str, FitRecord] = {}
    for name, label in (("sar", "SAR"), ("sem", "SEM")):
        res = getattr(fits, name)
        if res is not None:
            records[f"{wname}:{name}"] = FitRecord.from_spatial(res, label=f"{label}, {wname}", w=wname,
                                                                nobs_data=nobs)
    if fits.sdm_random is not None:
        records[f"{wname}:sdm_re"] = FitRecord.from_spatial(fits.sdm_random, label=f"SDM (RE), {wname}", w=wname,
                                                            nobs_data=nobs)
    sdm = fits.sdm
    if sdm is not None:
        effects_step(f"{wname}: effects ({m.draws} simulation draws, seed {m.seed})" if m.draws
                     else f"{wname}: effects (delta method)")
        try:
            eff = sdm.impacts(draws=m.draws, seed=m.seed)
        except SpillmapError as exc:
            eff = None
            missing.append(f"{wname}: SDM effects: {exc}")
        records[f"{wname}:sdm"] = FitRecord.from_spatial(sdm, label=f"SDM, {wname}", w=wname, effects=eff,
                                                         nobs_data=nobs)
    return diag, records, sdm, missing


def _fit_sdm(study, inputs, w, dynamic=None):
    from spillmap.estimation import SpatialPanel

    m = study.model
    return SpatialPanel(inputs.panel, y=m.y, x=list(m.x), id=inputs.id, time=inputs.time, w=w, model="sdm",
                        fe=m.fe, dynamic=dynamic).fit(lee_yu=m.lee_yu)


def dynamic_block(study, inputs, wname: str, w, *, effects_step) -> tuple[dict[str, FitRecord], list[str], Any]:
    """The dynamic SDM of ``[model] dynamic`` on ``w`` (one W or one per period) with its short- and
    long-run effects: ``{"W:sdm_dynamic": FitRecord}``, what could not be computed, the live fit."""
    m = study.model
    effects_step(f"{wname}: dynamic SDM ({m.dynamic}; Lee-Yu {m.lee_yu}), short- and long-run effects")
    try:
        res = _fit_sdm(study, inputs, w, dynamic=m.dynamic)
    except SpillmapError as exc:
        return {}, [fit_failed(f"{wname}: the dynamic SDM fit failed: {exc}")], None
    missing, both = [], {}
    try:
        both = res.effects_both(draws=m.draws, seed=m.seed, method="simulation" if m.draws else "delta")
    except SpillmapError as exc:
        missing.append(f"{wname}: dynamic SDM effects: {exc}")
    rec = FitRecord.from_spatial(res, label=f"Dynamic SDM, {wname}", w=wname, effects=both.get("short"),
                                 long_run=both.get("long"), nobs_data=len(inputs.panel))
    return {f"{wname}:sdm_dynamic": rec}, missing, res


def timevarying_block(study, inputs, wname: str, w, *, effects_step) -> tuple[dict, dict[str, FitRecord], Any,
                                                                               list[str]]:
    """For one W per period: the SDM (with ``W_t``) and its effects averaged over periods; the
    diagnostics, which need one W for all periods (``I_T kron W``), are listed as not computed."""
    m = study.model
    missing = [f"{wname}: the diagnostics table (LM tests, SAR/SEM, LR/Wald, Hausman, random effects) needs one "
               "W for all periods; it is not computed for a time-varying W."]
    try:
        sdm = _fit_sdm(study, inputs, w)
    except SpillmapError as exc:
        return {}, {}, None, missing + [fit_failed(f"{wname}: the SDM fit failed: {exc}")]
    effects_step(f"{wname}: effects averaged over the periods' W_t")
    try:
        eff = sdm.impacts(draws=m.draws, seed=m.seed)
    except SpillmapError as exc:
        eff = None
        missing.append(f"{wname}: SDM effects: {exc}")
    rec = FitRecord.from_spatial(sdm, label=f"SDM, {wname}", w=wname, effects=eff, nobs_data=len(inputs.panel))
    return {}, {f"{wname}:sdm": rec}, sdm, missing
