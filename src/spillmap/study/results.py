"""The results of a study run: immutable, every number at full precision, JSON round trip.

:class:`StudyResults` is what :func:`spillmap.study.run` returns and what every renderer
(the HTML report, the tables, the figures) reads; a renderer never recomputes a statistic.
``StudyResults.from_json(r.to_json()) == r`` holds exactly (floats are written with
Python's shortest round-trip repr; non-finite numbers are stored as ``null``), so a
report can be re-rendered from its ``results.json`` alone: the JSON carries the map
geometry and the values the maps show.
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

import pandas as pd

from spillmap.study.records import FitRecord, GeoJSONText, freeze, thaw

__all__ = ["StudyResults", "SCHEMA_VERSION"]

#: version of the ``results.json`` layout (raised when a key changes meaning)
SCHEMA_VERSION = 2

_MAPPINGS = ("spec", "data", "descriptive", "weights", "moran_by_year", "diagnostics", "baseline", "within",
             "heterogeneity", "fixed_effects", "lisa", "unit_effects", "unit_response", "map_data",
             "scenarios", "indicators", "dynamic_unit_effects")


@dataclass(frozen=True, eq=True)
class StudyResults:
    """Everything a study computed (see :func:`spillmap.study.run`).

    Attributes
    ----------
    spec
        The study specification as a TOML-ready dict (``Study.from_dict(r.spec)``).
    title, notice, unit_label
        Page title, the synthetic-data notice (or ``None``) and the word for a unit.
    data
        Units, periods, observations, and the join's explained mismatches.
    descriptive
        Variable → N, mean, sd, min, max.
    weights
        Name → kind, options, description in words, facts (links, neighbours, components…).
    moran_by_year
        W → variable → period (and ``"pooled"``) → I, EI, sd, z, p.
    diagnostics
        W → Table 8 rows (see :mod:`spillmap.study.diagnostics`).
    fits
        Key (``"W1:sdm"``, ``"baseline:(1)"``, ``"heterogeneity:is_key_city=1:sdm"``…) →
        :class:`~spillmap.study.records.FitRecord`.
    baseline, within, heterogeneity
        Which fits form the Table 3, Elhorst Table 3.1 and Table 6 columns, and their tests.
    fixed_effects
        W → the SDM's recovered intercept and unit / period fixed effects with SEs.
    lisa, unit_effects, unit_response
        Per-unit map values.
    map_data, geometry
        The values and the GeoJSON the maps draw (so a report re-renders from JSON alone);
        ``map_data["lags"]`` holds, per W, the spatial lag of y in every period and the
        row sums of W (the Moran scatterplots are drawn from them).
    scenarios
        ``inputs`` (per W: the SDM's covariance and W; the regressors' data; the unit table),
        ``runs`` (scenario → W → :meth:`ScenarioResult.to_dict`) and ``explore`` (W → variable →
        columns of S_k); see :mod:`spillmap.study.scenarios`.
    indicators
        Composite indicators built by the study: name → method, weighting, note and the weights
        table (dimension, indicator, direction, weight; the seed study's Table 1).
    dynamic_unit_effects
        W → ``{"short": {...}, "long": {...}}``: the per-unit effects of the key regressor in the
        dynamic SDM (``[model] dynamic``) at both horizons, in the layout of ``unit_effects``.
    warnings, missing
        Warnings raised while running, and sections that could not be computed (why).  The
        classic Hausman test that is not defined is listed (with the reason) even when the
        Mundlak form is reported in its place (``hausman = "auto"``); :meth:`summary` and the
        notebook view list such entries apart, as "reported in another form".
    """

    spec: Mapping[str, Any]
    title: str
    notice: str | None
    unit_label: str
    data: Mapping[str, Any]
    descriptive: Mapping[str, Any]
    weights: Mapping[str, Any]
    moran_by_year: Mapping[str, Any]
    diagnostics: Mapping[str, Any]
    fits: Mapping[str, FitRecord]
    baseline: Mapping[str, Any] = field(default_factory=dict)
    within: Mapping[str, Any] = field(default_factory=dict)
    heterogeneity: Mapping[str, Any] = field(default_factory=dict)
    fixed_effects: Mapping[str, Any] = field(default_factory=dict)
    lisa: Mapping[str, Any] = field(default_factory=dict)
    unit_effects: Mapping[str, Any] = field(default_factory=dict)
    unit_response: Mapping[str, Any] = field(default_factory=dict)
    map_data: Mapping[str, Any] = field(default_factory=dict)
    geometry: Mapping[str, Any] = field(default_factory=dict)
    scenarios: Mapping[str, Any] = field(default_factory=dict)
    indicators: Mapping[str, Any] = field(default_factory=dict)
    dynamic_unit_effects: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.geometry, GeoJSONText):
            object.__setattr__(self, "geometry", GeoJSONText(self.geometry or {}))
        for name in _MAPPINGS:
            object.__setattr__(self, name, freeze(getattr(self, name) or {}))
        fits = {k: v if isinstance(v, FitRecord) else FitRecord.from_dict(v) for k, v in self.fits.items()}
        if self.notice:  # each fit says what the data are, wherever its numbers are printed (audit 31)
            fits = {k: v if v.notice == self.notice else replace(v, notice=self.notice) for k, v in fits.items()}
        object.__setattr__(self, "fits", freeze(fits))
        object.__setattr__(self, "warnings", tuple(self.warnings))
        object.__setattr__(self, "missing", tuple(self.missing))

    # ------------------------------------------------------------ accessors
    @property
    def weights_names(self) -> tuple[str, ...]:
        return tuple(self.weights)

    @property
    def labels(self) -> dict[str, str]:
        """Readable variable names (``[model] labels``, e.g. int -> "Industrial intelligence"): how
        the report's tables, figures and maps name the variables."""
        return {str(k): str(v) for k, v in (self.spec["model"].get("labels") or {}).items()}

    def sdm(self, w: str) -> FitRecord | None:
        """The main (fixed-effects SDM) fit of weights ``w``, or ``None`` if it failed.

        Parameters
        ----------
        w
            The weights matrix's name in the study (``W1``).
        """
        return self.fits.get(f"{w}:sdm")

    def sdm_dynamic(self, w: str) -> FitRecord | None:
        """The dynamic SDM of weights ``w`` (``[model] dynamic``), or ``None``.

        Parameters
        ----------
        w
            The weights matrix's name in the study (``W1``).
        """
        return self.fits.get(f"{w}:sdm_dynamic")

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Table name → DataFrame of numbers (see :mod:`spillmap.study.tables`)."""
        from spillmap.study.tables import build_tables

        return build_tables(self)

    # ----------------------------------------------------------------- JSON
    def to_dict(self) -> dict:
        """The JSON document (``results.json``); ``sdm`` repeats the SDM fits per W in the
        first release's layout for existing readers."""
        doc: dict[str, Any] = {"schema": SCHEMA_VERSION}
        for f in fields(self):
            doc[f.name] = thaw(getattr(self, f.name))
        doc["sdm"] = {w: _sdm_compat(self, w) for w in self.weights if self.sdm(w) is not None}
        return doc

    def to_json(self, *, indent: int | None = 1) -> str:
        """JSON text (UTF-8 names kept; no NaN: non-finite numbers are ``null``).

        The numbers are indented for reading; the GeoJSON geometry is written compactly
        on one line (indenting every coordinate would triple the file).

        Parameters
        ----------
        indent
            Spaces per level of the numbers' JSON (``None``: one line).
        """
        doc: dict[str, Any] = {"schema": SCHEMA_VERSION}
        for f in fields(self):
            if f.name != "geometry":
                doc[f.name] = thaw(getattr(self, f.name))
        doc["sdm"] = {w: _sdm_compat(self, w) for w in self.weights if self.sdm(w) is not None}
        text = json.dumps(doc, indent=indent, ensure_ascii=False, allow_nan=False)
        return text[: text.rindex("}")].rstrip() + f',\n "geometry": {self.geometry.text}\n}}'

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> StudyResults:
        """The results of a parsed ``results.json`` document.

        Parameters
        ----------
        doc
            The document (``json.loads`` of :meth:`to_json`'s text); its layout version must be
            this spillmap's.
        """
        from spillmap.errors import InputError

        if doc.get("schema") != SCHEMA_VERSION:
            raise InputError(f"results written with layout version {doc.get('schema')!r}; this spillmap reads "
                             f"version {SCHEMA_VERSION}. Run the study again to refresh it.")
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in doc.items() if k in names})

    @classmethod
    def from_json(cls, text: str) -> StudyResults:
        """Inverse of :meth:`to_json` (``from_json(r.to_json()) == r``).

        Parameters
        ----------
        text
            JSON text written by :meth:`to_json`.
        """
        return cls.from_dict(json.loads(text))

    @classmethod
    def read(cls, path: str | os.PathLike) -> StudyResults:
        """Read a ``results.json`` file.

        Parameters
        ----------
        path
            The file, or a report folder holding it.
        """
        from pathlib import Path

        from spillmap.errors import InputError

        p = Path(path)
        if p.is_dir():
            p = p / "results.json"
        if not p.is_file():
            raise InputError(f"results file {p} not found.")
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{p}: not a spillmap results file ({type(exc).__name__}: {exc}).") from None
        if not isinstance(doc, dict) or "schema" not in doc:  # some other JSON (bad-input audit 29 C5)
            raise InputError(f"{p}: not a spillmap results file (no 'schema' key: spillmap report writes "
                             "results.json).")
        try:
            return cls.from_dict(doc)
        except InputError as exc:
            raise InputError(f"{p}: {exc}") from None
        except (TypeError, KeyError) as exc:
            raise InputError(f"{p}: not a spillmap results file ({type(exc).__name__}: {exc}).") from None

    def summary(self) -> str:
        """What the study ran, as text: the data notice first (synthetic demonstration data), its
        spatial diagnostics and the SDM's effects per W (empty cells blank, p-values below 0.0001
        as ``<0.0001``), and what was not computed.  Every table at full precision is in
        :attr:`tables`; ``spillmap report`` lays them out as the papers do.

        Returns
        -------
        str
        """
        from spillmap.study._display import study_summary

        return study_summary(self)

    def _repr_html_(self) -> str:
        from spillmap.study._display import study_html

        return study_html(self)

    def __repr__(self) -> str:
        from spillmap.study._display import study_repr

        return study_repr(self)


def _sdm_compat(r: StudyResults, w: str) -> dict:
    fit = r.sdm(w)
    assert fit is not None
    rho = {"estimate": fit.params.get("rho"), "se": fit.std_errors.get("rho"), "p": fit.pvalues.get("rho")}
    spec_model = r.spec.get("model", {})
    return {
        "params": thaw(fit.params), "std_errors": thaw(fit.std_errors), "pvalues": thaw(fit.pvalues),
        "rho": rho, "loglik": fit.stats.get("loglik"), "nobs": fit.stats.get("nobs_data"),
        "nobs_effective": fit.stats.get("nobs"), "effects": thaw(fit.effects),
        "draws": spec_model.get("draws"), "seed": spec_model.get("seed"), "lee_yu": fit.stats.get("lee_yu"),
    }
