"""The seed study's diagnostics table (Table 8) in one call.

Composes, without numerics of its own:

* pooled Moran's I of the dependent variable (:func:`spillmap.spatial.autocorrelation.moran_pooled`,
  esda on ``I_T kron W``; randomisation z and p);
* LM-lag, LM-error and their robust versions on the (fixed-effects) non-spatial
  regression (:func:`spillmap.spatial.lm.panel_lm_tests`, Elhorst 2014 sec. 3.4 / Anselin et al. 1996);
* SDM, SAR and SEM fitted by ML with the same effects and Lee-Yu option
  (:class:`spillmap.estimation.model.SpatialPanel`), then LR and Wald tests of
  SDM against SAR and SEM (:mod:`spillmap.estimation.hypothesis`);
* the Hausman test of the SDM with fixed against random effects
  (:func:`spillmap.estimation.hausman.hausman`; refused, with a note, when
  ``Var(FE) - Var(RE)`` is not positive definite) and its regression (Mundlak) form
  (:func:`spillmap.estimation.hausman.mundlak_test`: the RE SDM augmented with the unit
  means of ``x`` and ``W x``, Wald test of the mean terms), which is always defined.

:func:`diagnostics_table` returns plain JSON-ready dicts, each ``{"stat","df","p"}``
(Moran: ``{"I","z","p"}``); ``spillmap diagnose`` writes them to a file.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from spillmap.errors import EstimationError, InputError, SpillmapError
from spillmap.results import TestResult

__all__ = ["diagnostics_table", "DiagnosticsFits", "TABLE8_KEYS"]

#: keys of the table, in the study's order
TABLE8_KEYS = (
    "moran",
    "lm_lag",
    "lm_error",
    "robust_lm_lag",
    "robust_lm_error",
    "lr_sdm_sar",
    "lr_sdm_sem",
    "wald_sdm_sar",
    "wald_sdm_sem",
    "hausman",
    "hausman_mundlak",
)


def _num(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _test_dict(r: TestResult) -> dict:
    return {"stat": _num(r.stat), "df": _num(r.df), "p": _num(r.pvalue)}


@dataclass(frozen=True)
class DiagnosticsFits:
    """The fits behind the LR/Wald/Hausman rows (``return_fits=True``); ``None`` for a fit that failed."""

    sdm: Any
    sar: Any
    sem: Any
    sdm_random: Any = None


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
    return_fits: bool = False,
) -> dict | tuple[dict, DiagnosticsFits]:
    """Moran's I, LM tests, LR/Wald SDM-vs-SAR/SEM and Hausman, as in the study's Table 8.

    Parameters
    ----------
    panel
        Long panel, one row per (id, time).
    id, time, y, x, w
        As for :class:`~spillmap.estimation.model.SpatialPanel` (``time=None``: cross-section).
    fe
        ``"none"``, ``"individual"``, ``"time"`` or ``"twoways"``: the effects of the
        LM tests and of the SDM/SAR/SEM fits.
    lee_yu
        Lee-Yu option of the fixed-effects fits (the same for all, so LR is valid).
    permutations, seed
        Moran permutations (seeded).
    hausman_test
        Also fit the random-effects SDM and run the Hausman test and its Mundlak
        (regression) form (need ``fe`` with individual effects and T > 1; RE with
        time-period effects when ``fe="twoways"``); otherwise the ``hausman`` and
        ``hausman_mundlak`` rows are ``None`` values with a note.
    return_fits
        Also return the fitted models.

    Returns
    -------
    dict
        Keys :data:`TABLE8_KEYS`; ``moran`` is ``{"I", "z", "p"}`` (randomisation
        inference), the others ``{"stat", "df", "p"}`` (``hausman_mundlak`` also has
        ``"dropped"``, the collinear mean terms left out, when there are any); a row that does not apply or
        whose fit failed (:class:`~spillmap.errors.EstimationError`, e.g. an SEM whose
        lambda runs to its bound) has ``None`` values and a ``"note"`` saying why.
    """
    from spillmap.estimation.hypothesis import lr_sdm_sar, lr_sdm_sem, wald_sdm_sar, wald_sdm_sem
    from spillmap.estimation.model import SpatialPanel
    from spillmap.spatial.autocorrelation import moran_pooled
    from spillmap.spatial.lm import panel_lm_tests

    if fe not in ("none", "individual", "time", "twoways"):
        raise InputError(f"fe must be one of 'none', 'individual', 'time', 'twoways'; got {fe!r}.")
    x = [x] if isinstance(x, str) else list(x)
    out: dict[str, dict] = {}
    if time is None:
        m = _moran_cross_section(panel, id=id, var=y, w=w, permutations=permutations, seed=seed)
    else:
        m = moran_pooled(panel, id=id, time=time, var=y, w=w, permutations=permutations, seed=seed)
    md = m.to_dict()
    out["moran"] = {"I": _num(md["I"]), "z": _num(md["z"]), "p": _num(md["p"])}

    lm = panel_lm_tests(panel, id=id, time=time, y=y, x=x, w=w, effects=fe)
    out["lm_lag"] = _test_dict(lm.lm_lag)
    out["lm_error"] = _test_dict(lm.lm_error)
    out["robust_lm_lag"] = _test_dict(lm.robust_lm_lag)
    out["robust_lm_error"] = _test_dict(lm.robust_lm_error)

    def fit(model: str):
        spec = SpatialPanel(panel, y=y, x=x, id=id, time=time, w=w, model=model, effects=fe)
        return spec.fit(lee_yu=lee_yu)

    empty = {"stat": None, "df": None, "p": None}
    fits: dict[str, Any] = {}
    failed: dict[str, str] = {}
    for name in ("sdm", "sar", "sem"):
        try:
            fits[name] = fit(name)
        except EstimationError as exc:  # e.g. lambda at its bound: report, keep the other rows
            failed[name] = f"the {name.upper()} fit failed: {exc}"
    sdm, sar, sem = fits.get("sdm"), fits.get("sar"), fits.get("sem")

    def row(needs: tuple[str, ...], make) -> dict:
        for name in needs:
            if name in failed:
                return {**empty, "note": failed[name]}
        return _test_dict(make())

    out["lr_sdm_sar"] = row(("sdm", "sar"), lambda: lr_sdm_sar(sdm, sar))
    out["lr_sdm_sem"] = row(("sdm", "sem"), lambda: lr_sdm_sem(sdm, sem))
    out["wald_sdm_sar"] = row(("sdm",), lambda: wald_sdm_sar(sdm))
    out["wald_sdm_sem"] = row(("sdm",), lambda: wald_sdm_sem(sdm))

    re_fit = None
    if not hausman_test:
        out["hausman"] = {**empty, "note": "not requested"}
    elif sdm is None:
        out["hausman"] = {**empty, "note": failed["sdm"]}
    elif fe not in ("individual", "twoways") or sdm.t < 2:
        out["hausman"] = {**empty, "note": "Hausman FE vs RE needs individual effects and T > 1"}
    else:
        from spillmap.estimation.hausman import hausman
        from spillmap.estimation.random_effects import fit_random

        try:
            # RE must absorb the same period shifts as two-way FE, or the pair is not comparable
            spec = SpatialPanel(panel, y=y, x=x, id=id, time=time, w=w, model="sdm", effects="random")
            re_fit = fit_random(spec, time_effects=(fe == "twoways"))
            out["hausman"] = _test_dict(hausman(sdm, re_fit))
        except SpillmapError as exc:  # one failing row should not lose the table
            out["hausman"] = {**empty, "note": f"not computed: {exc}"}
    out["hausman_mundlak"] = _mundlak_row(panel, id=id, time=time, y=y, x=x, w=w, fe=fe, requested=hausman_test)
    table = {k: out[k] for k in TABLE8_KEYS}
    if return_fits:
        return table, DiagnosticsFits(sdm, sar, sem, re_fit)
    return table


def _mundlak_row(panel: pd.DataFrame, *, id: str, time: str | None, y: str, x: list, w: Any, fe: str, requested: bool) -> dict:  # noqa: A002
    """The ``hausman_mundlak`` row: :func:`~spillmap.estimation.hausman.mundlak_test` of the SDM, or a note."""
    empty = {"stat": None, "df": None, "p": None}
    if not requested:
        return {**empty, "note": "not requested"}
    n_periods = 1 if time is None or time not in panel.columns else int(panel[time].nunique())
    if fe not in ("individual", "twoways") or n_periods < 2:
        return {**empty, "note": "Hausman (Mundlak form) FE vs RE needs individual effects and T > 1"}
    from spillmap.estimation.hausman import mundlak_spec, mundlak_wald
    from spillmap.estimation.random_effects import fit_random

    try:
        spec, terms, dropped = mundlak_spec(panel, id=id, time=time, y=y, x=x, w=w, model="sdm", time_effects=(fe == "twoways"))
        r = mundlak_wald(fit_random(spec, time_effects=(fe == "twoways")), terms, dropped)
    except SpillmapError as exc:  # one failing row should not lose the table
        return {**empty, "note": f"not computed: {exc}"}
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
