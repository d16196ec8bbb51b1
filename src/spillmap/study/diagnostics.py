"""The model-choice table (the seed study's Table 8) for one weights matrix.

Composes, without numerics of its own:

* pooled Moran's I of the dependent variable (:func:`spillmap.spatial.moran_pooled`,
  esda on ``I_T kron W``; randomisation z and p);
* LM-lag, LM-error and their robust versions on the fixed-effects non-spatial
  regression (:func:`spillmap.spatial.panel_lm_tests`);
* SDM, SAR and SEM fitted by ML with the same fixed effects and Lee–Yu option
  (:class:`spillmap.estimation.SpatialPanel`), then LR and Wald tests of SDM against
  SAR and SEM (:mod:`spillmap.estimation.hypothesis`);
* the Hausman test of the fixed- against the random-effects SDM in its classic form
  (:func:`spillmap.estimation.hausman.hausman`; refused, with a note, when
  ``Var(FE) - Var(RE)`` is not positive definite) and its regression (Mundlak) form
  (:func:`spillmap.estimation.hausman.mundlak_test`), which is always defined; the
  ``hausman_selected`` row is the one the table reports (``hausman = "auto"``: the
  classic test when it is defined, otherwise the Mundlak form; its ``label`` says which).

Each row is a plain dict ``{"stat", "df", "p"}`` (Moran: ``{"I", "z", "p"}``); a row
that does not apply or whose computation failed has ``None`` values and a ``"note"``
saying why and what to do, so one failure never loses the table.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from spillmap.errors import EstimationError, InputError, SpillmapError
from spillmap._vocab import FE
from spillmap.errors import check_choice
from spillmap.results import TestResult
from spillmap.results import finite_or_none as _num
from spillmap.study._diagnostics_extra import (
    DEFAULT_TESTS,
    EXTRA_CHOICE,
    EXTRA_DEPENDENCE,
    EXTRA_FE_RE,
    TEST_FAMILIES,
    extra_rows,
    hausman_advice,
    refusal_note,
)

__all__ = ["diagnostics_table", "DiagnosticsFits", "DIAGNOSTIC_KEYS", "DIAGNOSTIC_LABELS", "DIAGNOSTIC_GROUPS",
           "select_hausman", "TEST_FAMILIES", "DEFAULT_TESTS"]

#: keys of the table, in the study's order: spatial dependence, model choice, fixed vs random effects
DIAGNOSTIC_KEYS = (
    "moran",
    "lm_lag",
    "lm_error",
    "robust_lm_lag",
    "robust_lm_error",
    *EXTRA_DEPENDENCE,
    "lr_sdm_sar",
    "lr_sdm_sem",
    "wald_sdm_sar",
    "wald_sdm_sem",
    *EXTRA_CHOICE,
    *EXTRA_FE_RE,
    "hausman_selected",
    "hausman",
    "hausman_mundlak",
)
#: the group of each row in the printed table
DIAGNOSTIC_GROUPS = {
    **{k: "Spatial dependence" for k in ("moran", "lm_lag", "lm_error", "robust_lm_lag", "robust_lm_error",
                                         *EXTRA_DEPENDENCE)},
    **{k: "Model choice" for k in ("lr_sdm_sar", "lr_sdm_sem", "wald_sdm_sar", "wald_sdm_sem", *EXTRA_CHOICE)},
    **{k: "Fixed or random effects" for k in (*EXTRA_FE_RE, "hausman_selected", "hausman", "hausman_mundlak")},
}
#: row labels of the printed table (``{y}`` is replaced by the dependent variable)
DIAGNOSTIC_LABELS = {
    "moran": "Moran's I of {y} (z, pooled)",
    "lm_lag": "LM-lag",
    "lm_error": "LM-err",
    "robust_lm_lag": "Robust LM-lag",
    "robust_lm_error": "Robust LM-err",
    "lr_sdm_sar": "LR (SDM vs SAR)",
    "lr_sdm_sem": "LR (SDM vs SEM)",
    "wald_sdm_sar": "Wald (SDM vs SAR)",
    "wald_sdm_sem": "Wald (SDM vs SEM)",
    "hausman": "Hausman (FE vs RE), classic",
    "hausman_mundlak": "Hausman (FE vs RE), Mundlak form",
    "hausman_conditional": "Hausman (FE vs RE), conditional RE covariance (splm sphtest)",
    "lm_sarma": "LM-SARMA (lag and error)",
    "moran_residuals": "Moran's I of the within residuals (z, exact moments)",
    "cd": "Pesaran CD (baseline residuals)",
    "cd_local": "Local CD, W-weighted (baseline residuals)",
    "cd_sdm": "Pesaran CD (SDM residuals)",
    "cd_local_sdm": "Local CD, W-weighted (SDM residuals)",
    "bsk_lmh": "BSK joint LM-H (RE and spatial error)",
    "bsk_lm1": "BSK LM1 (random effects)",
    "bsk_lm2": "BSK LM2 (spatial error)",
    "bsk_slm1": "BSK standardised LM1",
    "bsk_slm2": "BSK standardised LM2",
    "bsk_clm_lambda": "BSK conditional LM-λ (error, given RE)",
    "bsk_clm_mu": "BSK conditional LM-μ (RE, given error)",
    "bsjk_j": "BSJK joint J (RE, serial and spatial correlation)",
    "bayes_ols": "Posterior model probability: OLS",
    "bayes_slx": "Posterior model probability: SLX",
    "bayes_sar": "Posterior model probability: SAR",
    "bayes_sdm": "Posterior model probability: SDM",
    "bayes_sem": "Posterior model probability: SEM",
    "bayes_sdem": "Posterior model probability: SDEM",
    "bayes_w": "Posterior probability of this W (SDM)",
    "lr_unit_effects": "LR, joint significance of unit effects",
    "lr_time_effects": "LR, joint significance of period effects",
    "f_unit_effects": "F, joint significance of unit effects",
    "f_time_effects": "F, joint significance of period effects",
}
HausmanChoice = Literal["auto", "classic", "sphtest", "mundlak"]
_EMPTY = {"stat": None, "df": None, "p": None}




def _test_dict(r: TestResult) -> dict:
    return {"stat": _num(r.stat), "df": _num(r.df), "p": _num(r.pvalue)}


def _note(msg: str) -> dict:
    return {**_EMPTY, "note": msg}


@dataclass(frozen=True)
class DiagnosticsFits:
    """The fits behind the LR/Wald/Hausman rows (``return_fits=True``); ``None`` for a fit that failed,
    and ``failed``: ``{"sdm" | "sar" | "sem": "the SDM fit failed: <why>"}``."""

    sdm: Any
    sar: Any
    sem: Any
    sdm_random: Any = None
    failed: dict[str, str] = field(default_factory=dict)


def select_hausman(table: dict, choice: HausmanChoice = "auto") -> dict:
    """The Hausman row the table reports, with a ``label`` and ``form`` saying which test it is.

    ``"auto"``: the classic test when it was computed, otherwise the Mundlak form;
    ``"classic"`` / ``"sphtest"`` (conditional RE covariance) / ``"mundlak"``: that form
    (possibly ``None`` with its note).
    """
    classic, mundlak = table.get("hausman", _EMPTY), table.get("hausman_mundlak", _EMPTY)
    if choice == "sphtest":
        form, row, key = "sphtest", table.get("hausman_conditional", _EMPTY), "hausman_conditional"
    elif choice == "classic" or (choice == "auto" and classic.get("stat") is not None):
        form, row, key = "classic", classic, "hausman"
    else:
        form, row, key = "mundlak", mundlak, "hausman_mundlak"
    out = {**row, "form": form, "label": DIAGNOSTIC_LABELS[key]}
    if choice == "auto" and form == "mundlak" and classic.get("note"):
        out["why"] = f"classic form not available ({classic['note']}); the regression (Mundlak) form is reported"
    return out


def _moran_row(panel, *, id, time, y, w, permutations, seed, demean="pooled") -> dict:  # noqa: A002
    from spillmap.spatial.autocorrelation import moran_pooled

    try:
        if time is None:
            m = _moran_cross_section(panel, id=id, var=y, w=w, permutations=permutations, seed=seed)
        else:
            m = moran_pooled(panel, id=id, time=time, var=y, w=w, permutations=permutations, seed=seed,
                             demean=demean)
    except SpillmapError as exc:
        return {"I": None, "z": None, "p": None, "note": f"not computed: {exc}"}
    md = m.to_dict()
    row = {"I": _num(md["I"]), "z": _num(md["z"]), "p": _num(md["p"])}
    if permutations:  # the folded pseudo p-value (as esda's p_sim)
        row["p_perm"] = _num(md.get("p_perm"))
    return row


def _lm_rows(panel, *, id, time, y, x, w, fe, convention) -> dict:  # noqa: A002
    from spillmap.spatial.lm import panel_lm_tests

    keys = ("lm_lag", "lm_error", "robust_lm_lag", "robust_lm_error", "lm_sarma")
    try:
        lm = panel_lm_tests(panel, id=id, time=time, y=y, x=x, w=w, fe=fe, convention=convention)
    except SpillmapError as exc:
        return {k: _note(f"not computed: {exc}") for k in keys}
    return {k: _test_dict(getattr(lm, k)) for k in keys}


def _fits(panel, *, id, time, y, x, w, fe, lee_yu) -> tuple[dict, dict]:  # noqa: A002
    from spillmap.estimation.model import SpatialPanel

    fits: dict[str, Any] = {}
    failed: dict[str, str] = {}
    for name in ("sdm", "sar", "sem"):
        try:
            spec = SpatialPanel(panel, y=y, x=x, id=id, time=time, w=w, model=name, fe=fe)
            fits[name] = spec.fit(lee_yu=lee_yu)
        except EstimationError as exc:  # e.g. lambda at its bound: report, keep the other rows
            failed[name] = f"the {name.upper()} fit failed: {exc}"
    return fits, failed


def _model_rows(fits: dict, failed: dict) -> dict:
    from spillmap.estimation.hypothesis import lr_sdm_sar, lr_sdm_sem, wald_sdm_sar, wald_sdm_sem

    def row(needs: tuple[str, ...], make) -> dict:
        for name in needs:
            if name in failed:
                return _note(failed[name])
        try:
            return _test_dict(make())
        except SpillmapError as exc:
            return _note(f"not computed: {exc}")

    sdm, sar, sem = fits.get("sdm"), fits.get("sar"), fits.get("sem")
    return {
        "lr_sdm_sar": row(("sdm", "sar"), lambda: lr_sdm_sar(sdm, sar)),
        "lr_sdm_sem": row(("sdm", "sem"), lambda: lr_sdm_sem(sdm, sem)),
        "wald_sdm_sar": row(("sdm",), lambda: wald_sdm_sar(sdm)),
        "wald_sdm_sem": row(("sdm",), lambda: wald_sdm_sem(sdm)),
    }


def _classic_hausman(panel, sdm, failed, *, id, time, y, x, w, fe, requested) -> tuple[dict, Any]:  # noqa: A002
    if not requested:
        return _note("not requested"), None
    if sdm is None:
        return _note(failed["sdm"]), None
    if fe not in ("individual", "twoways") or sdm.t < 2:
        return _note("Hausman FE vs RE needs individual effects and T > 1"), None
    from spillmap.estimation.hausman import hausman
    from spillmap.estimation.model import SpatialPanel

    try:
        # RE must absorb the same period shifts as two-way FE, or the pair is not comparable
        # RE must absorb the same period shifts as two-way FE (re=True with fe="twoways" adds them)
        re_fit = SpatialPanel(panel, y=y, x=x, id=id, time=time, w=w, model="sdm", fe=fe, re=True).fit()
    except SpillmapError as exc:
        return _note(f"not computed: the random-effects SDM failed: {exc}"), None
    try:
        return _test_dict(hausman(sdm, re_fit)), re_fit
    except SpillmapError as exc:  # e.g. V_FE - V_RE not positive definite
        return refusal_note(str(exc), "classic"), re_fit


def diagnostics_table(
    panel: pd.DataFrame,
    *,
    id: str,  # noqa: A002
    time: str | None,
    y: str,
    x: Sequence[str],
    w: Any,
    fe: str = "twoways",
    lee_yu: str = "transformation",
    permutations: int = 999,
    seed: int = 0,
    hausman_test: bool = True,
    hausman: HausmanChoice = "auto",
    tests: Sequence[str] = DEFAULT_TESTS,
    lm_convention: Literal["elhorst", "demeaned"] = "elhorst",
    moran_demean: Literal["pooled", "period"] = "pooled",
    return_fits: bool = False,
) -> dict | tuple[dict, DiagnosticsFits]:
    """Moran's I, LM tests, LR/Wald SDM-vs-SAR/SEM and Hausman, as in the study's Table 8.

    Parameters
    ----------
    panel
        Long panel, one row per (id, time).
    id, time, y, x, w
        As for :class:`~spillmap.estimation.SpatialPanel` (``time=None``: cross-section).
    fe
        ``"none"``, ``"individual"``, ``"time"`` or ``"twoways"``: the fixed effects of the
        LM tests and of the SDM/SAR/SEM fits.
    lee_yu
        Lee–Yu option of the fixed-effects fits (the same for all, so LR is valid).
    permutations, seed
        Moran permutations (seeded).
    hausman_test
        Fit the random-effects SDM and run both Hausman forms (need individual effects
        and T > 1; RE with period effects when ``fe="twoways"``); otherwise those rows
        are ``None`` with the note "not requested".
    hausman
        Which Hausman row ``hausman_selected`` reports (see :func:`select_hausman`).
    tests
        The test families to compute (:data:`TEST_FAMILIES`; default all): ``lm`` (LM-lag,
        LM-error, robust), ``lr_wald``, ``hausman`` (classic, Mundlak form, conditional),
        ``lm_sarma``, ``moran_residuals``, ``cd`` (Pesaran CD of the baseline and SDM
        residuals), ``bsk`` (Baltagi-Song-Koh, on the pooled / random-effects specification
        whatever ``fe`` says), ``bsjk``, ``within`` (LR and F tests of the fixed effects),
        ``bayes`` (posterior model probabilities).  Rows not asked for say "not requested".
    lm_convention
        ``"elhorst"`` (default; Elhorst's MATLAB code and splm's ``slmtest``) or
        ``"demeaned"`` (see :func:`spillmap.spatial.lm.lm_tests`).
    moran_demean
        Mean of the pooled Moran's I: ``"pooled"`` (one over all periods) or ``"period"``
        (each period's; see :func:`spillmap.spatial.autocorrelation.moran_pooled`).
    return_fits
        Also return the fitted models (:class:`DiagnosticsFits`).

    Returns
    -------
    dict
        Keys :data:`DIAGNOSTIC_KEYS`; ``moran`` is ``{"I", "z", "p"}`` (randomisation
        inference), the others ``{"stat", "df", "p"}`` (``hausman_mundlak`` also lists
        ``"dropped"`` collinear mean terms; ``hausman_selected`` adds ``form`` and
        ``label``); a row that does not apply or failed has ``None`` values and a ``"note"``.
    """
    check_choice("fe", fe, FE)
    check_choice("hausman", hausman, ("auto", "classic", "sphtest", "mundlak"))
    bad = [t for t in tests if t not in TEST_FAMILIES]
    if bad:
        raise InputError(f"unknown test {bad[0]!r}; the tests are {', '.join(TEST_FAMILIES)}.")
    x = [x] if isinstance(x, str) else list(x)
    hausman_test = hausman_test and "hausman" in tests
    args = dict(id=id, time=time, y=y, w=w)
    out: dict[str, dict] = {"moran": _moran_row(panel, **args, permutations=permutations, seed=seed,
                                                demean=moran_demean)}
    lm = _lm_rows(panel, **args, x=x, fe=fe, convention=lm_convention)
    for k in ("lm_lag", "lm_error", "robust_lm_lag", "robust_lm_error"):
        out[k] = lm[k] if "lm" in tests else _note("not requested")
    out["lm_sarma"] = lm["lm_sarma"] if "lm_sarma" in tests else _note("not requested")
    fits, failed = _fits(panel, **args, x=x, fe=fe, lee_yu=lee_yu)
    rows = _model_rows(fits, failed)
    out.update(rows if "lr_wald" in tests else {k: _note("not requested") for k in rows})
    out["hausman"], re_fit = _classic_hausman(panel, fits.get("sdm"), failed, **args, x=x, fe=fe,
                                              requested=hausman_test)
    out["hausman_mundlak"] = _mundlak_row(panel, **args, x=x, fe=fe, requested=hausman_test)
    out.update(extra_rows(panel, **args, x=x, fe=fe, tests=tests if hausman_test else
                          [t for t in tests if t != "hausman"], sdm=fits.get("sdm"), re_fit=re_fit))
    out["hausman_selected"] = select_hausman(out, hausman)
    hausman_advice(out, hausman)
    table = {k: out[k] for k in DIAGNOSTIC_KEYS}
    if return_fits:
        return table, DiagnosticsFits(fits.get("sdm"), fits.get("sar"), fits.get("sem"), re_fit, dict(failed))
    return table


def _mundlak_row(panel: pd.DataFrame, *, id: str, time: str | None, y: str, x: list, w: Any, fe: str,  # noqa: A002
                 requested: bool) -> dict:
    """The ``hausman_mundlak`` row: :func:`~spillmap.estimation.hausman.mundlak_test` of the SDM, or a note."""
    if not requested:
        return _note("not requested")
    n_periods = 1 if time is None or time not in panel.columns else int(panel[time].nunique())
    if fe not in ("individual", "twoways") or n_periods < 2:
        return _note("Hausman (Mundlak form) FE vs RE needs individual effects and T > 1")
    import importlib

    from spillmap.estimation.random_effects import fit_random

    hmod = importlib.import_module("spillmap.estimation.hausman")  # the module (the package exports a function)

    try:
        spec, terms, dropped = hmod.mundlak_spec(panel, id=id, time=time, y=y, x=x, w=w, model="sdm",
                                                 time_effects=(fe == "twoways"))
        r = hmod.mundlak_wald(fit_random(spec, time_effects=(fe == "twoways")), terms, dropped)
    except SpillmapError as exc:  # one failing row should not lose the table
        return _note(f"not computed: {exc}")
    row = _test_dict(r)
    if dropped:
        row["dropped"] = list(dropped)
    return row


def _moran_cross_section(panel: pd.DataFrame, *, id: str, var: str, w: Any, permutations: int, seed: int):  # noqa: A002
    """Moran's I of one cross-section (T = 1), values aligned to W's ids."""
    from spillmap.spatial.autocorrelation import moran

    if id not in panel.columns or var not in panel.columns:
        missing = [c for c in (id, var) if c not in panel.columns]
        raise InputError(f"the data have no column(s) {missing}.")
    s = panel.set_index(panel[id].astype(str))[var]
    return moran(s, w, permutations=permutations, seed=seed)
