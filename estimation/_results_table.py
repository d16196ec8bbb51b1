"""The coefficient table shared by every results type (:class:`ResultsTableMixin`).

Split from :mod:`spillmap.estimation.results` (which re-exports it): ``conf_int``,
``to_frame``, ``summary`` and ``_repr_html_`` from ``params`` and ``std_errors``; the
layout follows linearmodels' ``PanelResults`` and statsmodels' ``summary()``.
"""
from __future__ import annotations

import html
import textwrap

import numpy as np
import pandas as pd

from spillmap.estimation._normal import normal_isf, normal_sf
from spillmap.spatial._test_display import display_p

from ._checks import check_level

__all__ = ["ResultsTableMixin", "notice_tag", "notice_lines", "notice_html"]


def notice_tag(notice: str) -> str:
    """The short form of a data notice for a one-line repr: ``" [SYNTHETIC DEMONSTRATION DATA]"`` (the
    notice up to its first colon), ``""`` without one."""
    return f" [{notice.split(':', 1)[0].strip()}]" if notice else ""


def notice_lines(notice: str, width: int) -> list[str]:
    """A data notice as the first lines of a text ``summary()`` (none without one)."""
    return textwrap.wrap(notice, width, break_on_hyphens=False) if notice else []


def notice_html(notice: str) -> str:
    """A data notice as the first paragraph of a notebook display (``""`` without one)."""
    return f'<p class="notice"><strong>{html.escape(notice)}</strong></p>' if notice else ""


class ResultsTableMixin:
    """Coefficient table, confidence intervals and text/HTML rendering.

    Needs ``params`` and ``std_errors`` (pandas Series) and a ``_header_rows()``
    method returning ``[(label, value), ...]`` and a ``_title`` attribute.
    """

    _title = "Estimation results"

    #: parameters whose z = 0 tests nothing anyone asks: the random-effects ratio ``phi``
    #: (``phi = 0`` is an infinite unit-effect variance; its meaningful null, ``sigma2_mu = 0``, is
    #: ``phi = 1``, on the boundary): printed without z, p and stars (API audit 29 #4)
    NO_TEST = ("phi",)

    @property
    def tvalues(self) -> pd.Series:
        """z statistics ``params / std_errors`` (NaN for :attr:`NO_TEST` parameters)."""
        z = (self.params / self.std_errors).rename("z")
        return z.mask(z.index.isin(self.NO_TEST))

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided normal p-values ``2 * norm.sf(|z|)``."""
        return pd.Series(2.0 * normal_sf(np.abs(self.tvalues.to_numpy())), index=self.params.index, name="p")

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Normal confidence intervals with columns ``lower``, ``upper``.

        Parameters
        ----------
        level
            Confidence level, a probability in (0, 1) such as 0.95 (``95`` is an InputError).
        """
        level = check_level(level)
        q = normal_isf((1 - level) / 2)
        return pd.DataFrame(
            {"lower": self.params - q * self.std_errors, "upper": self.params + q * self.std_errors},
            index=self.params.index,
        )

    def to_frame(self, level: float = 0.95) -> pd.DataFrame:
        """``estimate``, ``std_error``, ``z``, ``p``, ``ci_lower``, ``ci_upper`` per parameter.

        Parameters
        ----------
        level
            Confidence level of ``ci_lower``/``ci_upper``, a probability in (0, 1) such as 0.95.
        """
        ci = self.conf_int(level)
        return pd.DataFrame(
            {
                "estimate": self.params,
                "std_error": self.std_errors,
                "z": self.tvalues,
                "p": self.pvalues,
                "ci_lower": ci["lower"],
                "ci_upper": ci["upper"],
            },
            index=self.params.index,
        )

    def _header_rows(self) -> list[tuple[str, str]]:  # pragma: no cover - overridden
        return []

    def _notes(self) -> list[str]:
        """Footnotes printed under the table (approximations the reader should know of)."""
        return []

    def summary(self) -> str:
        """A text table in the style of statsmodels/linearmodels.

        Returns
        -------
        str
            The data's notice first when there is one (synthetic demonstration data), then the
            header, the coefficients (p-values as the notebook shows them: ``<0.0001`` below
            0.0001), notes and warnings.
        """
        rows = self._header_rows()
        head = [(k, v) for k, v in rows if len(str(v)) <= 17]
        long = [(k, v) for k, v in rows if len(str(v)) > 17]  # on lines of their own, not past the box
        frame = self.to_frame()
        name_w = max([len(str(i)) for i in frame.index] + [10])
        width = max(78, name_w + 66)
        lines = [*notice_lines(getattr(self, "notice", ""), width), self._title.center(width), "=" * width]
        half = (len(head) + 1) // 2
        left, right = head[:half], head[half:]
        for i in range(half):
            a = f"{left[i][0] + ':':<20}{left[i][1]:>17}"
            b = f"{right[i][0] + ':':<20}{right[i][1]:>17}" if i < len(right) else ""
            lines.append(f"{a}    {b}".rstrip())
        lines += [textwrap.fill(f"{k + ':':<20}{v}", width, subsequent_indent=" " * 20, break_on_hyphens=False)
                  for k, v in long]
        lines.append("=" * width)
        hdr = f"{'':<{name_w}} {'coef':>12} {'std err':>12} {'z':>9} {'P>|z|':>8} {'[0.025':>10} {'0.975]':>10}"
        lines += [hdr, "-" * width]
        for name, r in frame.iterrows():
            z, pv = (f"{r.z:>9.3f}", f"{display_p(r.p, ''):>8}") if np.isfinite(r.z) else (f"{'':>9}", f"{'':>8}")  # no test
            lines.append(
                f"{str(name):<{name_w}} {r.estimate:>12.6g} {r.std_error:>12.6g} {z} "
                f"{pv} {r.ci_lower:>10.5g} {r.ci_upper:>10.5g}"
            )
        lines.append("=" * width)
        lines += [f"Note: {note}" for note in self._notes()]
        lines += [textwrap.fill(f"Warning: {msg}", width, subsequent_indent="  ") for msg in getattr(self, "warnings", ())]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        # formatting (p-values, stars) from spillmap.tables, imported here: tables sits above estimation
        from spillmap.tables import star_note, stars

        frame = self.to_frame()
        head = "".join(
            f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in self._header_rows()
        )
        cols = ["coef", "std err", "z", "P>|z|", "[0.025", "0.975]"]
        rows = "".join(
            f"<tr><th>{html.escape(str(name))}</th><td>{r.estimate:.6g}{stars(r.p)}</td>"
            + f"<td>{r.std_error:.6g}</td><td>{f'{r.z:.6g}' if np.isfinite(r.z) else ''}</td>"
            + f"<td>{html.escape(display_p(r.p, ''))}</td>"
            + "".join(f"<td>{v:.6g}</td>" for v in (r.ci_lower, r.ci_upper))
            + "</tr>"
            for name, r in frame.iterrows()
        )
        notes = "".join(f"<br>{html.escape(n)}" for n in self._notes())
        return (
            f"<div>{notice_html(getattr(self, 'notice', ''))}"
            f"<table><caption>{html.escape(self._title)}</caption>{head}</table>"
            f"<table><tr><th></th>{''.join(f'<th>{html.escape(c)}</th>' for c in cols)}</tr>{rows}</table>"
            f"<p style=\"font-size:85%\">{html.escape(star_note())} (two-sided normal){notes}</p></div>"
        )
