"""How the study's stored results show in a notebook and as text (display only: nothing computed).

:class:`~spillmap.study.StudyResults` and :class:`~spillmap.study.records.FitRecord` print the
numbers they hold: the synthetic-data notice first (as regression tables and the CLI do),
empty cells blank, p-values as the fit results' notebook table prints them (four decimals,
``<0.0001`` below; :func:`spillmap.tables.format_p`), rows with no number left out.  The
stored numbers (``results.json``) are untouched: ``to_frame()`` / ``tables`` keep full
precision and NaN.
"""
from __future__ import annotations

import html
import textwrap
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from spillmap.estimation._results_table import notice_tag
from spillmap.results import display_number

if TYPE_CHECKING:
    from spillmap.study.results import StudyResults

__all__ = ["RecordDisplay", "study_repr", "study_summary", "study_html"]

_HAUSMAN_FORMS = ("hausman", "hausman_mundlak", "hausman_conditional")


def _cell(v: Any, *, p: bool = False) -> str:
    """One displayed cell: ``""`` for a missing value, a p-value by every result display's rule, else 6 digits."""
    from spillmap.spatial._test_display import display_p

    if isinstance(v, bool | np.bool_):  # a flag (heavy_tailed): shown where set
        return "yes" if v else ""
    if v is None or pd.isna(v):
        return ""
    return display_p(v) if p else display_number(float(v))


def readable(frame: pd.DataFrame, p_columns: tuple[str, ...] = ("p",)) -> pd.DataFrame:
    """``frame`` as text cells (see :func:`_cell`; a column whose name, or last level, is in
    ``p_columns`` holds p-values), without the rows that show nothing."""
    out = pd.DataFrame(index=frame.index, columns=frame.columns, dtype=object)
    for col in frame.columns:
        is_p = (col[-1] if isinstance(col, tuple) else col) in p_columns
        out[col] = [_cell(v, p=is_p) for v in frame[col]]
    return out[(out != "").any(axis=1)] if len(out.columns) else out


def _block(title: str, frame: pd.DataFrame) -> tuple[str, str]:
    """``(text, html)`` of one displayed table under ``title``."""
    text = frame.to_string() if len(frame) else "(none)"
    return f"{title}\n{text}", f"<p>{html.escape(title)}</p>" + frame.to_html(border=0)


def _notice_html(notice: str | None) -> str:
    return f'<p style="color:#a40000"><b>{html.escape(notice)}</b></p>' if notice else ""


# ------------------------------------------------------------------------------------ StudyResults
def study_headline(r: StudyResults) -> str:
    d = r.data
    return (f"<StudyResults {r.title!r}: {d.get('n')} units × {d.get('t')} periods, "
            f"W = {', '.join(r.weights)}, {len(r.fits)} fits>")


def study_repr(r: StudyResults) -> str:
    """One line, the data notice first (``repr(results)``)."""
    return f"{r.notice} {study_headline(r)}" if r.notice else study_headline(r)


def _hausman_label(r: StudyResults) -> str:
    """The label of the ``hausman_selected`` row: the form each W reports."""
    labels = {w: str(t.get("hausman_selected", {}).get("label") or "") for w, t in r.diagnostics.items()}
    forms = {w: lab.split(", ", 1)[-1] for w, lab in labels.items() if lab}
    if len(set(forms.values())) == 1:
        return f"Hausman (FE vs RE) reported: {next(iter(forms.values()))}"
    return "Hausman (FE vs RE) reported: " + ", ".join(f"{w} {f}" for w, f in forms.items())


def diagnostics_display(r: StudyResults) -> pd.DataFrame:
    """The diagnostics table as shown: rows named as in the report, the Hausman form the study
    reports once (a form equal to it in every cell, or empty, is not repeated), empty rows out."""
    from spillmap.study.diagnostics import DIAGNOSTIC_LABELS
    from spillmap.study.tables import diagnostics_frame

    frame = diagnostics_frame(r)
    if not len(frame):
        return frame
    if "hausman_selected" in frame.index:
        chosen = frame.loc["hausman_selected"]
        frame = frame.drop(index=[k for k in _HAUSMAN_FORMS if k in frame.index and frame.loc[k].equals(chosen)])
    y = r.spec["model"]["y"]
    y = r.labels.get(y, y)
    shown = readable(frame)
    shown.index = pd.Index([_hausman_label(r) if k == "hausman_selected" else
                            DIAGNOSTIC_LABELS.get(k, k).format(y=y) for k in shown.index], name="test")
    return shown


def missing_display(r: StudyResults) -> tuple[list[str], list[str]]:
    """``results.missing`` split for the reader: ``(not computed, reported in another form)``.

    The classic Hausman test that is not defined stays in ``missing`` (it was not computed, and
    the reason is kept); when the study reports the Mundlak (or sphtest) form in its place, the
    display lists it apart, so "missing" does not contradict the table that shows a Hausman row.
    """
    other = []
    for w, t in r.diagnostics.items():
        sel = t.get("hausman_selected", {})
        if sel.get("form") not in (None, "classic") and sel.get("stat") is not None:
            other.append(f"{w}: hausman: ")
    replaced = [m for m in r.missing if m.startswith(tuple(other))] if other else []
    return [m for m in r.missing if m not in replaced], replaced


def _study_parts(r: StudyResults) -> list[tuple[str, str]]:
    from spillmap.study.tables import effects_frame

    parts = []
    diag = diagnostics_display(r)
    if len(diag):
        parts.append(_block("Spatial diagnostics: statistic, df, p (blank: not computed or no df)", diag))
    eff = readable(effects_frame(r))
    if len(eff):
        parts.append(_block("Effects of the SDM: estimate, se, p", eff))
    return parts


_MISSING_TITLES = ("Not computed", "Reported in another form")


def study_summary(r: StudyResults) -> str:
    """The text of ``results.summary()``: notice, headline, tables, what was not computed."""
    lines = [r.notice, ""] if r.notice else []
    lines.append(study_headline(r))
    for text, _ in _study_parts(r):
        lines += ["", text]
    for title, items in zip(_MISSING_TITLES, missing_display(r), strict=True):
        if items:
            lines += ["", f"{title}:", *(textwrap.fill(m, 110, initial_indent="- ", subsequent_indent="  ")
                                         for m in items)]
    lines += ["", "Full-precision numbers: results.tables (DataFrames) and results.json."]
    return "\n".join(lines)


def study_html(r: StudyResults) -> str:
    """The notebook view of the results (``_repr_html_``), the notice first."""
    parts = [_notice_html(r.notice), f"<p><b>{html.escape(study_headline(r))}</b></p>"]
    parts += [h for _, h in _study_parts(r)]
    for title, items in zip(_MISSING_TITLES, missing_display(r), strict=True):
        if items:
            parts.append(f"<p>{title}:</p><ul>" + "".join(f"<li>{html.escape(m)}</li>" for m in items) + "</ul>")
    parts.append("<small>Full-precision numbers: <code>results.tables</code> and <code>results.json</code>."
                 "</small>")
    return "<div>" + "".join(parts) + "</div>"


# -------------------------------------------------------------------------------------- FitRecord
_FACTS = (("model", "Model"), ("y", "Dep. variable"), ("w", "W"), ("fixed_effects", "Fixed effects"),
          ("lee_yu", "Lee-Yu"), ("n", "Units (N)"), ("t", "Periods (T)"), ("nobs", "Observations"),
          ("cov_type", "Covariance"), ("hessian", "Hessian"), ("loglik", "Log-likelihood"), ("aic", "AIC"),
          ("bic", "BIC"), ("sigma2", "sigma2"), ("r2", "R2"), ("effects_method", "Effects' SEs"))

_FACT_FORMATS = {"loglik": ".4f", "aic": ".4f", "bic": ".4f", "sigma2": ".6g", "r2": ".4f"}


class RecordDisplay:
    """``summary()``, ``to_frame()``, ``_repr_html_()`` and a one-line ``repr`` of a stored fit
    (a mixin of :class:`~spillmap.study.records.FitRecord`: it uses ``tidy()``, ``glance()``,
    ``effects_frame()`` and the record's fields; it computes nothing)."""

    __slots__ = ()

    def to_frame(self) -> pd.DataFrame:
        """The record's :meth:`tidy` frame indexed by ``term`` (the same numbers: estimate,
        std_error, p; the effects also ci_lower, ci_upper, heavy_tailed).

        Returns
        -------
        pandas.DataFrame
        """
        return self.tidy().set_index("term")  # type: ignore[attr-defined]

    def _facts(self) -> list[tuple[str, str]]:
        g = self.glance()  # type: ignore[attr-defined]
        for key, fmt in _FACT_FORMATS.items():  # as the fit's own summary prints them
            if g.get(key) is not None:
                g[key] = format(g[key], fmt)
        if g.get("r2_kind") and g.get("r2") is not None:
            g["r2"] += f" ({g['r2_kind']})"
        return [(label, v if isinstance(v, str) else display_number(v)) for key, label in _FACTS
                if (v := g.get(key)) is not None]

    def _tables(self) -> list[tuple[str, pd.DataFrame]]:
        """``(title, displayed frame)``: coefficients (estimate with stars), then the stored effects."""
        from spillmap.tables import stars

        tidy = self.tidy().set_index("term")  # type: ignore[attr-defined]
        coef = tidy[~tidy["kind"].isin(("direct", "indirect", "total"))][["estimate", "std_error", "p"]]
        out = [("Coefficients", self._starred(coef, stars))]
        long_run = self.effects_long_run  # type: ignore[attr-defined]
        for horizon, title in (("short", "Effects (short run)" if long_run else "Effects"), ("long", "Effects (long run)")):
            eff = self.effects_frame(horizon)  # type: ignore[attr-defined]
            if "heavy_tailed" in eff.columns:  # 1.0 where stored as true, NaN elsewhere
                eff["heavy_tailed"] = eff["heavy_tailed"].eq(1.0)
            if len(eff):
                out.append((title, self._starred(eff, stars)))
        return out

    @staticmethod
    def _starred(frame: pd.DataFrame, stars) -> pd.DataFrame:  # noqa: ANN001 - spillmap.tables.stars
        shown = readable(frame)
        est = [display_number(float(e)) + stars(p) if pd.notna(e) else "" for e, p in
               zip(frame["estimate"], frame["p"], strict=True)]
        shown["estimate"] = pd.Series(est, index=frame.index).reindex(shown.index)
        return shown

    def _notes(self) -> list[str]:
        from spillmap.tables import star_note

        return [star_note() + " (stored p-values)", *self.notes,  # type: ignore[attr-defined]
                *(f"Warning: {m}" for m in self.warnings)]  # type: ignore[attr-defined]

    def _title(self) -> str:
        return f"{self.label}: stored fit (spillmap.study.FitRecord)"  # type: ignore[attr-defined]

    def summary(self) -> str:
        """The stored fit as text: the data notice first, then the model facts, the coefficients
        and the effects with the p-values stored (nothing is recomputed), the notes.

        Returns
        -------
        str
        """
        facts = self._facts()
        width = max(len(k) for k, _ in facts)
        lines = [self.notice, ""] if self.notice else []  # type: ignore[attr-defined]
        lines += [self._title(), *(f"  {k:<{width}}  {v}" for k, v in facts)]
        for title, frame in self._tables():
            lines += ["", title, frame.to_string()]
        lines += ["", *(textwrap.fill(n, 100, subsequent_indent="  ") for n in self._notes())]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from spillmap.spatial._moran_results import _html_table

        parts = [_notice_html(self.notice),  # type: ignore[attr-defined]
                 _html_table(html.escape(self._title()), self._facts())]
        parts += [h for _, h in (_block(title, frame) for title, frame in self._tables())]
        parts.append("<small>" + "<br>".join(html.escape(n) for n in self._notes()) + "</small>")
        return "<div>" + "".join(parts) + "</div>"

    def __repr__(self) -> str:
        g = self.glance()  # type: ignore[attr-defined]
        tag = notice_tag(self.notice).lstrip() + " " if self.notice else ""  # type: ignore[attr-defined]
        loglik = "" if g.get("loglik") is None else f" loglik={g['loglik']:.4f}"
        n_eff = sum(len(v) for v in self.effects.values())  # type: ignore[attr-defined]
        return (f"<FitRecord {tag}{self.label!r}: {g['model']} fe={g['fixed_effects']} y={self.y} "  # type: ignore[attr-defined]
                f"W={self.w} N={g.get('n')} T={g.get('t')}{loglik}, {len(self.params)} terms, "  # type: ignore[attr-defined]
                f"{n_eff} effects>")
