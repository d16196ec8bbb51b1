"""What a regression table's standard errors are, in words, from the results' own covariance type.

Every fitted result states how its covariance was computed (``glance()["cov_type"]``):
``"information"`` / ``"hessian"`` for maximum likelihood (:meth:`SpatialPanel.fit`),
``"clustered (entity)"`` / ``"clustered (time)"`` / ``"clustered (both)"`` /
``"heteroskedasticity-robust"`` for the non-spatial baseline (linearmodels ``PanelOLS``),
``"unadjusted"`` for classical OLS (the within table's fits).  :func:`se_note` turns the
covariance types of a table's columns into the one note on its parentheses, e.g.
"Standard errors in parentheses: clustered by city." or, for columns of several kinds,
"Standard errors in parentheses: OLS, clustered by city; SDM, maximum likelihood (inverse
of the information matrix)." (by column title when one model name has several kinds).  A column
whose results do not say is left out of it.
"""
from __future__ import annotations

from collections.abc import Sequence

__all__ = ["cov_type_words", "column_cov_words", "se_note"]

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


def column_cov_words(g: dict, *, unit: str = "unit", period: str = "period") -> str | None:
    """One column's covariance in words, from its ``glance()``: :func:`cov_type_words`, except that
    a random-effects fit's ``"hessian"`` names its likelihood and, when the glance says
    (``"hessian"``: ``"analytic"`` for SAR/SDM, ``"numerical ..."`` for SEM), how it was computed."""
    words = cov_type_words(g.get("cov_type"), unit=unit, period=period)
    if words and g.get("random") and str(g.get("cov_type")).strip() == "hessian":
        how = str(g.get("hessian") or "")
        kind = next((k + " " for k in ("analytic", "numerical") if how.startswith(k)), "")
        words = f"{_ML} (inverse of minus the {kind}Hessian of the random-effects likelihood)"
    return words


def _in_columns(names: list[str]) -> str:
    if len(names) == 1:
        return f"column {names[0]}"
    return f"columns {', '.join(names[:-1])} and {names[-1]}"


def se_note(glances: Sequence[dict], *, unit: str = "unit", period: str = "period",
            effects: bool = False, columns: Sequence[str] | None = None) -> str:
    """The note on a regression table's parentheses, saying which standard errors they hold.

    One phrase when every column's are of one kind; else one per model name when each model name
    has one kind ("OLS, clustered by city; SDM, maximum likelihood (...)"), and one per kind naming
    its columns when a model name has several (a SAR with fixed and one with random effects:
    "... in column SAR-FE; ... in column SAR-RE").

    Parameters
    ----------
    glances
        ``glance()`` of each column's results (``model``, ``cov_type``, ``random`` and
        ``hessian`` are read).
    unit, period
        Words for the units and periods (for clustered standard errors).
    effects
        Whether the table also prints effects (their standard errors are named in the effects
        note: this one then says it is about the coefficients).
    columns
        The columns' titles, in the order of ``glances`` (default ``(1)``, ``(2)``, ...).

    Returns
    -------
    str
        ``""`` when no column states its covariance type (the table keeps the default note).
    """
    words = [column_cov_words(g, unit=unit, period=period) for g in glances]
    distinct = list(dict.fromkeys(w for w in words if w))
    if not distinct:
        return ""
    by_model: dict[str, list[str]] = {}
    for g, w in zip(glances, words):
        if w and w not in by_model.setdefault(str(g.get("model") or ""), []):
            by_model[str(g.get("model") or "")].append(w)
    if len(distinct) == 1:
        what = distinct[0]
    elif all(len(ws) == 1 for ws in by_model.values()):  # the model name says which
        what = "; ".join(f"{m}, {ws[0]}" if m else ws[0] for m, ws in by_model.items())
    else:  # one model name, several kinds: name the columns
        names = [str(c) for c in columns] if columns is not None else [f"({i + 1})" for i in range(len(glances))]
        what = "; ".join(f"{d} in {_in_columns([n for n, w in zip(names, words) if w == d])}" for d in distinct)
    return f"Standard errors in parentheses{' (coefficients)' if effects else ''}: {what}."
