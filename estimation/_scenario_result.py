"""The frozen result of a policy scenario (:func:`spillmap.estimation.scenario`)."""
from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ScenarioResult", "UNIT_COLUMNS", "GROUP_COLUMNS", "json_cell"]

#: the numeric per-unit columns, in :meth:`ScenarioResult.to_frame` order
UNIT_COLUMNS = ("own", "received", "total", "ci_lower", "ci_upper", "se")
#: the columns of :attr:`ScenarioResult.groups`
GROUP_COLUMNS = ("n_units", "n_shocked", "own", "received", "total", "mean_total", "ci_lower", "ci_upper", "se",
                 "ci_includes_zero")
_MULTIPLIER_WORDS = {
    "global": "global multiplier (I - rho W)^-1: the change reaches every unit connected to the shocked ones",
    "local": "no global multiplier: spillovers reach only the shocked units' neighbours in W",
    "none": "no spillover of x: the change stays in the shocked units",
}


def json_cell(v: Any) -> Any:
    """A table cell as JSON: bool, int, float (``None`` if not finite), text, or ``None`` if missing."""
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        return float(v) if math.isfinite(v) else None
    return None if pd.isna(v) else str(v)


def _frame_to_dict(df: pd.DataFrame) -> dict:
    return {"index": [list(map(str, i)) if isinstance(i, tuple) else str(i) for i in df.index],
            "index_names": [None if n is None else str(n) for n in df.index.names],
            "columns": {str(c): [json_cell(v) for v in df[c].tolist()] for c in df.columns},
            "dtypes": {str(c): str(df[c].dtype) for c in df.columns}}


def _frame_from_dict(d: Mapping) -> pd.DataFrame:
    names = list(d["index_names"])
    if len(names) > 1:
        index = pd.MultiIndex.from_tuples([tuple(i) for i in d["index"]], names=names)
    else:
        index = pd.Index(list(d["index"]), name=names[0], dtype=object)
    cols = {}
    for c, values in d["columns"].items():
        dtype = d["dtypes"][c]
        if dtype == "float64":
            cols[c] = np.array([np.nan if v is None else v for v in values], dtype=float)
        elif dtype in ("bool", "int64"):
            cols[c] = np.array(values, dtype=dtype)
        else:
            cols[c] = pd.Series(list(values), dtype=object).to_numpy()
    return pd.DataFrame(cols, index=index)


@dataclass(frozen=True, eq=False)
class ScenarioResult:
    """The predicted change in y of every unit after a change of x in some units.

    Attributes
    ----------
    units
        Per unit (index: id, W's order): ``own`` (the part of the change from the unit's
        own change: ``S_k[i, i] Δx_i`` summed over the changed variables), ``received``
        (from the other units' changes), ``total`` = own + received, ``ci_lower`` /
        ``ci_upper`` / ``se`` of ``total``, ``ci_includes_zero``, ``shocked``, the change
        applied (``change: <var>``), the unit's name and its group labels.
    groups
        Totals per group (index: ``(grouping, group)``): the whole region (``all``), the
        shocked units and the others (``shocked``), and each user grouping; sums of
        own / received / total with the interval of the total.
    model, y, variables, changes, kinds
        The model (``sdm`` …), the dependent variable, the changed regressors, the changes
        in words and their kinds.
    method, draws, seed, level
        How the intervals were obtained (``simulation`` with ``draws`` parameter draws and
        ``seed`` — the same draws as the effects' —, ``delta``, or ``closed form`` for the
        models linear in their parameters), and the confidence level.
    period
        The period whose data set the base values (percent / to_unit / to_quantile).
    multiplier
        ``global`` (SAR, SDM), ``local`` (SLX, SDEM) or ``none`` (SEM).
    notes, warnings
        What the result means for this model; warnings raised while computing it.
    """

    units: pd.DataFrame
    groups: pd.DataFrame
    model: str
    y: str
    variables: tuple[str, ...]
    changes: tuple[str, ...]
    kinds: tuple[str, ...]
    method: str
    draws: int
    seed: int
    level: float
    period: Any
    multiplier: str
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    label: str = ""
    horizon: Any = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------ accessors
    def to_frame(self) -> pd.DataFrame:
        """Per-unit results (a copy), indexed by unit id."""
        return self.units.copy()

    @property
    def n_shocked(self) -> int:
        return int(self.units["shocked"].sum())

    @property
    def region(self) -> pd.Series:
        """The totals of the whole region (row ``("all", "all units")`` of :attr:`groups`)."""
        return self.groups.loc[("all", "all units")].copy()

    def top_receivers(self, k: int = 10, *, by: str = "received", shocked: bool = True) -> pd.DataFrame:
        """The ``k`` units with the largest ``by`` change in absolute value (ties by id).

        Parameters
        ----------
        k
            Number of units (default 10).
        by
            The column of :attr:`units` to rank by: ``"received"`` (default), ``"own"`` or
            ``"total"``.
        shocked
            ``False`` leaves out the units that were changed themselves (default ``True``).
        """
        df = self.units if shocked else self.units[~self.units["shocked"]]
        key = df[by].abs().to_numpy()
        order = np.lexsort((np.arange(len(df)), -np.nan_to_num(key, nan=-np.inf)))
        return df.iloc[order[:k]].copy()

    # --------------------------------------------------------------- text
    def _header(self) -> list[tuple[str, str]]:
        meth = {"simulation": f"simulation, {self.draws} parameter draws (seed {self.seed})",
                "delta": "delta method", "closed form": "closed form (linear in the parameters)"}[self.method]
        return [("Model", self.label or self.model.upper()), ("Dependent", self.y),
                ("Change", "; ".join(self.changes)), ("Units changed", f"{self.n_shocked} of {len(self.units)}"),
                ("Period of the data", str(self.period)), ("Spillovers", _MULTIPLIER_WORDS[self.multiplier]),
                (f"{self.level:.0%} interval", meth)]

    def _received(self, k: int = 10) -> tuple[str, pd.DataFrame, list[str]]:
        """The caption, rows and columns of the "largest spillovers received" table of :meth:`summary` and
        the notebook: the units *not changed* (all units when every unit is changed), as the report's table
        and docs/config.md have it, with their names when the scenario was given ``names=``."""
        everyone = self.n_shocked == len(self.units)
        top = self.top_receivers(k, by="received", shocked=everyone)
        cols = [c for c in ("name",) if c in top.columns] + ["own", "received", "total", "ci_lower", "ci_upper"]
        if "name" in cols:  # a unit without a name: blank, not "None"
            top["name"] = top["name"].where(top["name"].notna(), "")
        caption = "Largest spillovers received" + ("" if everyone else " by units not changed")
        return caption, top, cols

    def summary(self) -> str:
        """Header, group totals and the ten largest spillovers received by units not changed, as text.

        Returns
        -------
        str
            The table of spillovers lists the units that were not changed (every unit when all were),
            as the report does; with their names when the scenario was given ``names=``.
        """
        head = "\n".join(f"{k + ':':<22}{v}" for k, v in self._header())
        cols = ["n_units", "n_shocked", "own", "received", "total", "ci_lower", "ci_upper"]
        g = self.groups[cols].to_string(float_format=lambda v: f"{v:.6g}")
        caption, rows, top_cols = self._received()
        top = rows[top_cols].to_string(float_format=lambda v: f"{v:.6g}")
        notes = "\n".join(f"* {n}" for n in (*self.notes, *self.warnings))
        return (f"Policy scenario: predicted change in {self.y}\n{head}\n\nTotals by group\n{g}\n\n"
                f"{caption}\n{top}" + (f"\n\n{notes}" if notes else ""))

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        r = self.region
        return (f"<ScenarioResult {'; '.join(self.changes)} in {self.n_shocked} of {len(self.units)} units: "
                f"total change of {self.y} {r['total']:.6g} [{r['ci_lower']:.6g}, {r['ci_upper']:.6g}]>")

    def _repr_html_(self) -> str:
        esc = html.escape
        head = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in self._header())

        def table(df: pd.DataFrame, cols: list[str]) -> str:
            rows = []
            for idx, r in df[cols].iterrows():
                label = " / ".join(map(str, idx)) if isinstance(idx, tuple) else str(idx)
                rows.append(f"<tr><th>{esc(label)}</th>" + "".join(
                    f"<td>{esc(f'{v:.6g}' if isinstance(v, float) else str(v))}</td>" for v in r) + "</tr>")
            return ("<table><tr><th></th>" + "".join(f"<th>{esc(c)}</th>" for c in cols) + "</tr>"
                    + "".join(rows) + "</table>")

        notes = "".join(f"<li>{esc(n)}</li>" for n in (*self.notes, *self.warnings))
        caption, top, top_cols = self._received()
        return (f"<div><strong>Policy scenario: predicted change in {esc(self.y)}</strong><table>{head}</table>"
                f"<p>Totals by group</p>{table(self.groups, ['n_units', 'own', 'received', 'total', 'ci_lower', 'ci_upper'])}"
                f"<p>{esc(caption)}</p>{table(top, top_cols)}"
                + (f"<ul>{notes}</ul>" if notes else "") + "</div>")

    # ---------------------------------------------------------------- JSON
    def to_dict(self) -> dict:
        """JSON-ready, every number at full precision (``from_dict(r.to_dict()).to_dict() == r.to_dict()``)."""
        period = self.period.item() if isinstance(self.period, np.generic) else self.period
        return {"units": _frame_to_dict(self.units), "groups": _frame_to_dict(self.groups), "model": self.model,
                "y": self.y, "variables": list(self.variables), "changes": list(self.changes),
                "kinds": list(self.kinds), "method": self.method, "draws": int(self.draws), "seed": int(self.seed),
                "level": float(self.level), "period": period, "multiplier": self.multiplier,
                "notes": list(self.notes), "warnings": list(self.warnings), "label": self.label,
                "horizon": self.horizon, "extra": {str(k): v for k, v in self.extra.items()}}

    @classmethod
    def from_dict(cls, d: Mapping) -> ScenarioResult:
        """Inverse of :meth:`to_dict` (also accepts the read-only mappings of a ``StudyResults``).

        Parameters
        ----------
        d
            A mapping as written by :meth:`to_dict`.
        """
        return cls(units=_frame_from_dict(d["units"]), groups=_frame_from_dict(d["groups"]), model=d["model"],
                   y=d["y"], variables=tuple(d["variables"]), changes=tuple(d["changes"]), kinds=tuple(d["kinds"]),
                   method=d["method"], draws=int(d["draws"]), seed=int(d["seed"]), level=float(d["level"]),
                   period=d["period"], multiplier=d["multiplier"], notes=tuple(d["notes"]),
                   warnings=tuple(d["warnings"]), label=d["label"], horizon=d.get("horizon"),
                   extra=dict(d.get("extra") or {}))


# ------------------------------------------------------------ building the frames
def _group_rows(mask: np.ndarray, labels: Mapping[str, pd.Series]) -> list[tuple[str, str, np.ndarray]]:
    rows = [("all", "all units", np.ones(mask.size, dtype=bool)), ("shocked", "shocked units", mask),
            ("shocked", "other units", ~mask)]
    for grouping, lab in labels.items():
        values = lab.to_numpy(dtype=object)
        for g in sorted(set(values), key=str):
            rows.append((grouping, str(g), values == g))
    return [r for r in rows if r[2].any()]


def _frames(source, mask, dx, descriptions, total, own, unit_ci, rows, group_ci, labels, attributes, names,
            variables) -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = pd.Index(list(source.ids), name="id")
    se, lo, hi = unit_ci
    units = pd.DataFrame({"own": own, "received": total - own, "total": total, "ci_lower": lo, "ci_upper": hi,
                          "se": se, "ci_includes_zero": (lo <= 0) & (hi >= 0), "shocked": mask}, index=ids)
    for k, v in enumerate(variables):
        units[f"change: {v}"] = dx[:, k]
    if names is not None and attributes is not None:
        a = attributes.copy()
        a.index = a.index.astype(str)
        units["name"] = a[names].reindex(ids).map(lambda x: None if pd.isna(x) else str(x)).to_numpy(dtype=object)
    for grouping, lab in labels.items():
        col = grouping if grouping not in units.columns else f"group: {grouping}"
        units[col] = lab.to_numpy(dtype=object)
    members = np.array([r[2] for r in rows], dtype=float)
    gse, glo, ghi = group_ci
    index = pd.MultiIndex.from_tuples([(r[0], r[1]) for r in rows], names=["grouping", "group"])
    n_units = members.sum(axis=1).astype(np.int64)
    groups = pd.DataFrame({"n_units": n_units, "n_shocked": (members @ mask).astype(np.int64),
                           "own": members @ own, "received": members @ (total - own), "total": members @ total,
                           "mean_total": (members @ total) / n_units, "ci_lower": glo, "ci_upper": ghi, "se": gse,
                           "ci_includes_zero": (glo <= 0) & (ghi >= 0)}, index=index)
    return units, groups


# ------------------------------------------------------------ what a result means
_LAG = ("sar", "sdm")
_MULTIPLIER = {"sdm": "global", "sar": "global", "slx": "local", "sdem": "local", "sem": "none"}
_SEMANTICS = {
    "sdm": "SDM: Δy = (I - rho W)^-1 (beta Δx + theta W Δx); the change reaches every unit connected to the "
           "shocked ones through W (global multiplier).",
    "sar": "SAR: Δy = (I - rho W)^-1 beta Δx; global multiplier, spillovers proportional to the own effect.",
    "slx": "SLX: Δy = beta Δx + theta W Δx; no global multiplier: spillovers reach the shocked units' "
           "neighbours only.",
    "sdem": "SDEM: Δy = beta Δx + theta W Δx; no global multiplier (lambda acts on the errors only and does not "
            "carry a change of x): spillovers reach the shocked units' neighbours only.",
    "sem": "SEM: Δy = beta Δx; no global multiplier and no spillover of x (lambda acts on the errors only): "
           "the change stays in the shocked units, received = 0 everywhere.",
}


def _no_lag_message(model: str, var: str) -> str:
    if model == "sem":
        return (f"the SEM has no spatial lag of {var!r} (no W_{var}) and no rho W y: a change of {var} changes "
                f"y only where it happens; 'received' is 0 for every unit. Fit an SDM or SDEM to let the data "
                "show spillovers.")
    if model == "sar":
        return (f"the SAR has no spatial lag of {var!r} (no W_{var}): its spillovers come only through rho W y "
                f"and are the same multiple of the own effect for every regressor. Fit an SDM to estimate them "
                "freely.")
    return (f"the {model.upper()} has no spatial lag of {var!r} (no W_{var}, theta = 0 imposed): "
            + ("its spillovers come only through rho W y, proportional to its own effect."
               if model in _LAG else f"a change of {var} does not reach the other units at all.")
            + f" Fit the model with {var} among the lagged regressors (wx=) to estimate them.")
