"""The immutable result of the average effects (:class:`EffectsResult`) and the effects'
vocabulary shared by :mod:`spillmap.estimation.effects` and its helpers."""
from __future__ import annotations

import dataclasses
import html
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from spillmap.errors import check_choice

from spillmap.spatial._test_display import display_p

from ._results_table import notice_html, notice_lines, notice_tag

__all__ = ["EffectsResult"]

KINDS = ("direct", "indirect", "total")
LAG_MODELS = ("sar", "sdm")
LINEAR_MODELS = ("slx", "sdem", "sem")
ALL_MODELS = LAG_MODELS + LINEAR_MODELS

#: what the tables print for a z or p that does not exist (an effect that is 0 by construction,
#: with se 0: the SEM's indirect effects, an SLX/SDEM regressor without its W_x term)
DASH = "\u2013"


def _num(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


#: what the mark of a heavy-tailed simulated effect says (instead of its stars)
_HEAVY = "† heavy-tailed draws: se, z and p mislead (no stars), read the percentile interval"


def _marks(row: pd.Series, stars) -> str:  # noqa: ANN001 - spillmap.tables.stars
    """The stars of ``row``'s p-value, or † for an effect whose simulated draws are heavy-tailed."""
    return "†" if bool(row.get("heavy_tailed", False)) else stars(row["p"])


def _cell(x: float, spec: str) -> str:
    """``x`` formatted with ``spec``, or :data:`DASH` when it is NaN/inf."""
    return format(x, spec) if np.isfinite(x) else DASH


@dataclass(frozen=True, eq=False)
class EffectsResult:
    """Average direct, indirect and total effects with standard errors (immutable).

    Attributes
    ----------
    model
        The model (``"sar"``, ``"sdm"``, ``"slx"``, ``"sdem"``, ``"sem"``).
    method
        ``"simulation"``, ``"delta"`` or ``"linear"`` (exact, for SLX/SDEM/SEM).
    draws, seed, level
        Simulation draws (0 unless simulated), seed and interval level.
    traces
        ``"exact"``, ``"stochastic"`` or ``"closed form"``.
    n
        Number of spatial units.
    note
        What the effects mean for this model.
    warnings
        What to question (heavy-tailed simulated draws), also raised as warnings; printed under
        :meth:`summary`.
    estimates
        The parameter estimates the effects were computed from (``(name, value)`` pairs; empty when
        made from a bare parameter vector): :func:`spillmap.tables.regression_table` refuses effects
        put beside a fit whose estimates differ.
    notice
        What the data are when every output must say it (``""`` otherwise): the fit's
        :attr:`~spillmap.estimation.SpatialPanelResults.notice` (synthetic demonstration data),
        printed first by :meth:`summary` and the notebook.
    """

    model: str
    method: str
    draws: int
    seed: int
    level: float
    traces: str
    n: int
    _tables: dict = field(repr=False)
    note: str = ""
    warnings: tuple[str, ...] = ()
    estimates: tuple[tuple[str, float], ...] = ()
    notice: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_tables", {k: v.copy() for k, v in self._tables.items()})
        object.__setattr__(self, "estimates", tuple((str(k), float(v)) for k, v in self.estimates))

    def stamped(self, params: Any) -> EffectsResult:
        """This result with ``estimates`` set from ``params``.

        Parameters
        ----------
        params
            The fit's parameter estimates (a pandas Series by name).

        Returns
        -------
        EffectsResult
        """
        return dataclasses.replace(self, estimates=tuple(params.items()))

    def noticed(self, notice: str) -> EffectsResult:
        """This result with the data's ``notice`` (this result itself when it already has it).

        Parameters
        ----------
        notice
            What the data are (e.g. :data:`spillmap.datasets.DEMO_NOTICE`), ``""`` for none.

        Returns
        -------
        EffectsResult
        """
        notice = str(notice or "")
        return self if notice == self.notice else dataclasses.replace(self, notice=notice)

    @property
    def direct(self) -> pd.DataFrame:
        """Average direct effects: estimate, se, z, p, ci_lower, ci_upper by regressor (a copy)."""
        return self._tables["direct"].copy()

    @property
    def indirect(self) -> pd.DataFrame:
        """Average indirect (spillover) effects (a copy)."""
        return self._tables["indirect"].copy()

    @property
    def total(self) -> pd.DataFrame:
        """Average total effects (a copy)."""
        return self._tables["total"].copy()

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(self._tables["direct"].index)

    def to_frame(self, layout: Literal["long", "wide"] = "long") -> pd.DataFrame:
        """All effects in one table.

        Parameters
        ----------
        layout
            ``"long"`` (default): rows (effect, variable), columns estimate, se, z, p,
            ci_lower, ci_upper (simulated effects also ``sim_mean`` and ``heavy_tailed``: draws so
            heavy-tailed that se, z and p mislead); ``"wide"``: rows variable, columns (effect, statistic).
        """
        check_choice("layout", layout, ("long", "wide"))
        long = pd.concat({k: self._tables[k] for k in KINDS}, names=["effect", "variable"])
        if layout == "long":
            return long
        return pd.concat({k: self._tables[k] for k in KINDS}, axis=1, names=["effect", "statistic"])

    def to_dict(self) -> dict:
        """``{"direct"|"indirect"|"total": {"<x>": {"estimate","se","z","p"}}}`` (NaN -> None)."""
        return {
            kind: {
                str(var): {c: _num(row[c]) for c in ("estimate", "se", "z", "p")}
                for var, row in self._tables[kind].iterrows()
            }
            for kind in KINDS
        }

    def _describe(self) -> str:
        how = {
            "simulation": f"simulation, {self.draws} draws, seed {self.seed}; se = sd of draws, percentile {self.level:.0%} interval",
            "delta": f"delta method; normal {self.level:.0%} interval",
            "linear": f"exact (linear in the parameters); normal {self.level:.0%} interval",
        }[self.method]
        return f"{self.model.upper()} effects (N = {self.n}; traces: {self.traces}; {how})"

    def summary(self) -> str:
        """A plain-text table: effect, variable, estimate (stars), se, z, p, interval.

        Returns
        -------
        str
            The data's :attr:`notice` first when there is one; p-values as the notebook shows them
            (``<0.0001`` below 0.0001).
        """
        # the one stars function, from spillmap.tables (imported here: tables sits above estimation)
        from spillmap.tables import star_note, stars

        lines = [*notice_lines(self.notice, 88), self._describe(), self.note, ""]
        head = f"{'effect':<9} {'variable':<14} {'estimate':>12} {'se':>10} {'z':>8} {'p':>8}  {'interval':>23}"
        lines += [head, "-" * len(head)]
        for kind in KINDS:
            for var, r in self._tables[kind].iterrows():
                est = f"{r['estimate']:.4f}{_marks(r, stars):<3}"
                lines.append(
                    f"{kind:<9} {str(var)[:14]:<14} {est:>12} {_cell(r['se'], '.4f'):>10} {_cell(r['z'], '.3f'):>8} "
                    f"{display_p(r['p']):>8}"
                    f"  [{r['ci_lower']:>9.4f}, {r['ci_upper']:>9.4f}]"
                )
        lines.append(f"{star_note()} (two-sided normal)" + (f"; {_HEAVY}" if self._heavy() else ""))
        lines += [f"Warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def _heavy(self) -> bool:
        return any(bool(self._tables[k].get("heavy_tailed", pd.Series(dtype=bool)).any()) for k in KINDS)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return f"<EffectsResult {self.model.upper()} {self.method}: {', '.join(self.variables)}{notice_tag(self.notice)}>"

    def _repr_html_(self) -> str:
        from spillmap.tables import star_note, stars

        rows = []
        for kind in KINDS:
            for var, r in self._tables[kind].iterrows():
                rows.append(
                    f"<tr><td>{kind}</td><td>{html.escape(str(var))}</td>"
                    f"<td>{r['estimate']:.4f}{html.escape(_marks(r, stars))}</td><td>{_cell(r['se'], '.4f')}</td>"
                    f"<td>{_cell(r['z'], '.3f')}</td><td>{display_p(r['p'])}</td>"
                    f"<td>[{r['ci_lower']:.4f}, {r['ci_upper']:.4f}]</td></tr>"
                )
        return (
            f"{notice_html(self.notice)}<table><caption>{html.escape(self._describe())}</caption>"
            "<tr><th>effect</th><th>variable</th><th>estimate</th><th>se</th><th>z</th>"
            f"<th>p</th><th>{self.level:.0%} interval</th></tr>" + "".join(rows) + "</table>"
            f"<p>{html.escape(self.note)} {html.escape(star_note())}"
            f"{html.escape('; ' + _HEAVY) if self._heavy() else ''}.</p>"
            + "".join(f"<p class=\"warnings\">Warning: {html.escape(w)}</p>" for w in self.warnings)
        )
