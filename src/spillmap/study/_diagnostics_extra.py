"""The further rows of the diagnostics table: LM-SARMA, the residual Moran test, Pesaran's CD,
the Baltagi–Song–Koh and Baltagi–Song–Jung–Koh tests, the LR / F tests of the fixed effects,
the conditional (``sphtest``) Hausman form and the Bayesian posterior model probabilities.

Composition only; every statistic is computed by its own function, verified there:
:func:`spillmap.spatial.residual_moran.moran_residuals`, :func:`spillmap.spatial.cd.pesaran_cd`,
:func:`spillmap.estimation.bsk.bsk_tests`, :func:`spillmap.estimation.bsk.bsjk_joint_test`,
:func:`spillmap.estimation.within.within_table`, :func:`spillmap.estimation.hausman.hausman`
(``cov="conditional"``), :func:`spillmap.estimation.bayes.model_probabilities`.  A row that
cannot be computed has ``None`` values and a ``note`` saying why.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from spillmap._vocab import TEST_FAMILIES
from spillmap.errors import SpillmapError
from spillmap.results import finite_or_none as _num

__all__ = ["TEST_FAMILIES", "DEFAULT_TESTS", "extra_rows", "BAYES_KEYS", "EXTRA_DEPENDENCE", "EXTRA_CHOICE",
           "EXTRA_FE_RE"]

#: the test families (``[diagnostics] tests``, ``diagnose --tests``) are defined once, in spillmap._vocab
DEFAULT_TESTS = TEST_FAMILIES
BAYES_KEYS = ("bayes_ols", "bayes_slx", "bayes_sar", "bayes_sdm", "bayes_sem", "bayes_sdem")
EXTRA_DEPENDENCE = ("lm_sarma", "moran_residuals", "cd", "cd_local", "cd_sdm", "cd_local_sdm", "bsk_lmh", "bsk_lm1",
                    "bsk_lm2", "bsk_slm1", "bsk_slm2", "bsk_clm_lambda", "bsk_clm_mu", "bsjk_j")
EXTRA_CHOICE = (*BAYES_KEYS, "bayes_w")
EXTRA_FE_RE = ("lr_unit_effects", "lr_time_effects", "f_unit_effects", "f_time_effects", "hausman_conditional")
_EMPTY = {"stat": None, "df": None, "p": None}




def _row(r) -> dict:
    if r is None:
        return {**_EMPTY, "note": "not defined here"}
    return {"stat": _num(r.stat), "df": _num(r.df), "p": _num(r.pvalue)}


def _note(msg: str) -> dict:
    return {**_EMPTY, "note": msg}


def _guard(keys: Sequence[str], make: Callable[[], dict]) -> dict:
    """``make()`` or, on a spillmap error, every key with the reason."""
    try:
        return make()
    except SpillmapError as exc:
        return {k: _note(f"not computed: {exc}") for k in keys}


def _arrays(panel, *, id, time, y, x, w):  # noqa: A002
    from spillmap.spatial.autocorrelation import panel_array

    arr, _ = panel_array(panel, id=id, time=time, columns=[y, *x], w=w)
    t, n, _ = arr.shape
    return arr[:, :, 0].reshape(-1), arr[:, :, 1:].reshape(t * n, -1), n, t


def _residual_moran(panel, a, w, fe) -> dict:
    from spillmap.spatial.residual_moran import moran_residuals

    yv, xv, n, t = a
    r = moran_residuals(yv, xv, w, t=t, fe=fe)
    return {"moran_residuals": {**_row(r.test), "I": _num(r.I), "expected": _num(r.expected)}}


def _cd(within, sdm, w) -> dict:
    from spillmap.spatial.cd import pesaran_cd

    out = {}
    base = pesaran_cd(within, w)
    out["cd"], out["cd_local"] = _row(base.cd), _row(base.cd_local)
    if sdm is None:
        out["cd_sdm"] = out["cd_local_sdm"] = _note("no SDM fit")
    else:
        after = pesaran_cd(sdm, w)
        out["cd_sdm"], out["cd_local_sdm"] = _row(after.cd), _row(after.cd_local)
    return out


def _bsk(a, w) -> dict:
    from spillmap.estimation.bsk import bsk_tests

    yv, xv, n, t = a
    if t < 2:
        raise _t_error("the Baltagi-Song-Koh tests")
    b = bsk_tests(yv, xv, w, t=t)
    return {f"bsk_{k}": _row(getattr(b, k)) for k in ("lmh", "lm1", "lm2", "slm1", "slm2", "clm_lambda", "clm_mu")}


def _bsjk(a, w) -> dict:
    from spillmap.estimation.bsk import bsjk_joint_test

    yv, xv, n, t = a
    if t < 2:
        raise _t_error("the Baltagi-Song-Jung-Koh test")
    return {"bsjk_j": _row(bsjk_joint_test(yv, xv, w, t=t))}


def _t_error(what: str):
    from spillmap.errors import InputError

    return InputError(f"{what} need a panel (T > 1)")


def _within_rows(wt) -> dict:
    return {"lr_unit_effects": _row(wt.lr_unit), "lr_time_effects": _row(wt.lr_time),
            "f_unit_effects": _row(wt.f_unit), "f_time_effects": _row(wt.f_time)}


def _bayes(panel, *, id, time, y, x, w, fe) -> dict:  # noqa: A002
    from spillmap.estimation.bayes import model_probabilities

    mp = model_probabilities(panel, id=id, time=time, y=y, x=x, w=w, fe=fe)
    return {f"bayes_{m}": {"stat": _num(mp.probability[m]), "df": None, "p": None,
                           "log_marginal": _num(mp.log_marginal[m])} for m in mp.probability.index}


#: how a note names each Hausman form
FORM_WORDS = {"classic": "classic test", "sphtest": "conditional (sphtest) form", "mundlak": "regression (Mundlak) form"}
_ADVICE = ("The regression (Mundlak) form always is: [diagnostics] hausman = \"auto\" or \"mundlak\" in the spec, "
           "--hausman auto|mundlak on the command line.")


def refusal_note(msg: str, form: str) -> dict:
    """The row of a Hausman form that was not computed (``form``: ``"classic"`` or ``"sphtest"``).

    A refusal because ``Var(FE) - Var(RE)`` is not positive definite keeps the diagnosis without the
    Python-API advice of :func:`spillmap.estimation.hausman.hausman` and is marked ``"undefined"``:
    :func:`hausman_advice` then says what to do, once the reported form is known.
    """
    cut = msg.find("The test is not defined for these fits")
    if "positive definite" in msg and cut >= 0:
        return {**_note(f"not computed: {msg[:cut]}The {FORM_WORDS[form]} is not defined for these fits."),
                "undefined": form}
    return _note(f"not computed: {msg}")


def hausman_advice(table: dict, choice: str) -> None:
    """Complete the notes of the Hausman forms refused as undefined (:func:`refusal_note`), in place.

    When another form is reported (``table["hausman_selected"]``), the note names it and the option
    that chose it, and gives no advice to choose what is already in effect; when the refused form is the
    one asked for, the note says how to get the regression (Mundlak) form, which is always defined.
    """
    sel = table.get("hausman_selected", {})
    for key in ("hausman", "hausman_conditional"):
        row = table.get(key, {})
        form = row.pop("undefined", None)
        if form is None:
            continue
        if sel.get("stat") is not None and sel.get("form") != form:
            how = ": the classic test when it is defined, otherwise the Mundlak form" if choice == "auto" else ""
            row["note"] += (f" The {FORM_WORDS.get(sel['form'], sel['form'])} is reported instead "
                            f"(hausman = \"{choice}\"{how}).")
        elif sel.get("form") != "mundlak":
            row["note"] += " " + _ADVICE
    if sel.pop("undefined", None):  # the selected row is a refused form's row: the same note
        sel["note"] = table[{"classic": "hausman", "sphtest": "hausman_conditional"}[sel["form"]]]["note"]


def _conditional_hausman(sdm, re_fit) -> dict:
    from spillmap.estimation.hausman import hausman

    if sdm is None or re_fit is None:
        return {"hausman_conditional": _note("needs the fixed- and random-effects SDM fits")}
    try:
        return {"hausman_conditional": _row(hausman(sdm, re_fit, cov="conditional"))}
    except SpillmapError as exc:
        return {"hausman_conditional": refusal_note(str(exc), "sphtest")}


def extra_rows(panel, *, id, time, y, x, w, fe, tests: Sequence[str], sdm, re_fit) -> dict:  # noqa: A002
    """Every extra row asked for by ``tests`` (a subset of :data:`TEST_FAMILIES`)."""
    tests = set(tests)
    out: dict[str, dict] = {}
    keys_of = {"moran_residuals": ("moran_residuals",), "cd": ("cd", "cd_local", "cd_sdm", "cd_local_sdm"),
               "bsk": tuple(k for k in EXTRA_DEPENDENCE if k.startswith("bsk_")), "bsjk": ("bsjk_j",),
               "within": ("lr_unit_effects", "lr_time_effects", "f_unit_effects", "f_time_effects"),
               "bayes": BAYES_KEYS, "hausman": ("hausman_conditional",)}
    for family, keys in keys_of.items():
        if family not in tests:
            out.update({k: _note("not requested") for k in keys})
    panel_ok = time is not None
    a = None
    if tests & {"moran_residuals", "bsk", "bsjk"}:
        a = _arrays(panel, id=id, time=time, y=y, x=x, w=w)
    within = None
    if tests & {"cd", "within"} and panel_ok:
        from spillmap.estimation.within import within_table

        try:
            within = within_table(panel, id=id, time=time, y=y, x=x)
        except SpillmapError as exc:
            out.update({k: _note(f"not computed: {exc}") for k in (*keys_of["within"], *keys_of["cd"])})
            tests = tests - {"cd", "within"}
    if "moran_residuals" in tests:
        out.update(_guard(keys_of["moran_residuals"], lambda: _residual_moran(panel, a, w, fe)))
    if "cd" in tests:
        if within is None:
            out.update({k: _note("Pesaran's CD needs a panel (T > 1)") for k in keys_of["cd"]})
        else:
            base = within.fits.get(fe) or within.fits.get("twoways")
            out.update(_guard(keys_of["cd"], lambda: _cd(base, sdm, w)))
    if "bsk" in tests:
        out.update(_guard(keys_of["bsk"], lambda: _bsk(a, w)))
    if "bsjk" in tests:
        out.update(_guard(keys_of["bsjk"], lambda: _bsjk(a, w)))
    if "within" in tests:
        out.update(_within_rows(within) if within is not None else
                   {k: _note("the LR tests of the fixed effects need a panel (T > 1)") for k in keys_of["within"]})
    if "bayes" in tests:
        out.update(_guard(BAYES_KEYS, lambda: _bayes(panel, id=id, time=time, y=y, x=x, w=w, fe=fe)))
    if "hausman" in tests:
        out.update(_guard(("hausman_conditional",), lambda: _conditional_hausman(sdm, re_fit)))
    out["bayes_w"] = _note("computed by a study across its weights matrices (one W here)" if "bayes" in tests
                           else "not requested")
    return out
