"""What a regression table's standard errors are, in words, from the results' own covariance type.

Every fitted result states how its covariance was computed (``glance()["cov_type"]``):
``"information"`` / ``"hessian"`` for maximum likelihood (:meth:`SpatialPanel.fit`),
``"clustered (entity)"`` / ``"clustered (time)"`` / ``"clustered (both)"`` /
``"heteroskedasticity-robust"`` for the non-spatial baseline (linearmodels ``PanelOLS``),
``"unadjusted"`` for classical OLS (the within table's fits).  :func:`se_note` turns the
covariance types of a table's columns into the one note on its parentheses, e.g.
"Standard errors in parentheses: clustered by city." or, for columns of several kinds,
"Standard errors in parentheses: OLS, clustered by city; SDM, maximum likelihood (inverse
of the information matrix)."  A column whose results do not say is left out of it.
"""
from __future__ import annotations

from collections.abc import Sequence

__all__ = ["cov_type_words", "se_note"]

_ML = "maximum likelihood"
_WORDS = {
    "information": f"{_ML} (inverse of the information matrix)",
    "hessian": f"{_ML} (inverse of minus the numerical Hessian)",
    "heteroskedasticity-robust": "heteroskedasticity-robust (White)",
    "robust": "heteroskedasticity-robust (White)",
    "unadjusted": "classical OLS (homoskedastic; s² = e'e / (NT − k − number of fixed effects))",
    "classical": "classical OLS (homoskedastic; s² = e'e / (NT − k − number of fixed effects))",
}


def cov_type_words(cov_type: str | None, *, unit: str = "unit", period: str = "period") -> str | None:
    """A results' covariance type in words (``None`` when it is not given).

    Parameters
    ----------
    cov_type
        The ``cov_type`` of the results: ``"information"``, ``"hessian"``, ``"unadjusted"``,
        ``"heteroskedasticity-robust"``, ``"clustered (entity)"``, ``"clustered (time)"``,
        ``"clustered (both)"`` or another (printed as it is).
    unit, period
        Words for the units and periods (``"clustered (entity)"`` is "clustered by city").

    Returns
    -------
    str or None
        E.g. ``"clustered by city"``, ``"maximum likelihood (inverse of the information matrix)"``.

    Examples
    --------
    >>> cov_type_words("clustered (entity)", unit="city")
    'clustered by city'
    """
    if not cov_type:
        return None
    text = str(cov_type).strip()
    if text.startswith("clustered"):
        by = text[len("clustered"):].strip(" ()") or "entity"
        words = {"entity": unit, "time": period, "both": f"{unit} and {period} (two-way)"}
        return f"clustered by {words.get(by, by)}"
    return _WORDS.get(text, text)


def se_note(glances: Sequence[dict], *, unit: str = "unit", period: str = "period",
            effects: bool = False) -> str:
    """The note on a regression table's parentheses, saying which standard errors they hold.

    Parameters
    ----------
    glances
        ``glance()`` of each column's results (``model`` and ``cov_type`` are read).
    unit, period
        Words for the units and periods (for clustered standard errors).
    effects
        Whether the table also prints effects (their standard errors are named in the effects
        note: this one then says it is about the coefficients).

    Returns
    -------
    str
        ``""`` when no column states its covariance type (the table keeps the default note).
    """
    by_model: dict[str, list[str]] = {}
    for g in glances:
        words = cov_type_words(g.get("cov_type"), unit=unit, period=period)
        seen = by_model.setdefault(str(g.get("model") or ""), []) if words else None
        if words and words not in seen:
            seen.append(words)
    distinct = list(dict.fromkeys(w for ws in by_model.values() for w in ws))
    if not distinct:
        return ""
    if len(distinct) == 1:
        what = distinct[0]
    else:
        what = "; ".join(f"{m}, {' or '.join(ws)}" if m else " or ".join(ws) for m, ws in by_model.items())
    return f"Standard errors in parentheses{' (coefficients)' if effects else ''}: {what}."
