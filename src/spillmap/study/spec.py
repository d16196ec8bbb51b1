"""The study specification: everything a paper's pipeline needs, as frozen, validated data.

A :class:`Study` is built from TOML (:meth:`Study.from_toml`), from a dict
(:meth:`Study.from_dict`) or directly in Python, and round-trips to TOML
(:meth:`Study.to_toml`).  Every section is a frozen dataclass whose fields document
themselves (:func:`spillmap.study._schema.key`); ``docs/config.md`` is generated from
them (:func:`reference_markdown`).  Unknown keys and bad values raise
:class:`~spillmap.study._schema.SpecError` naming the key (``weights.W2.phi``) and the
allowed values; nothing is read or computed before the whole specification validates.

Vocabulary (one word per idea, the same in Python, TOML and on the command line):
``fe`` = fixed effects (``none``, ``individual``, ``time``, ``twoways``); "effects" =
the direct / indirect / total (LeSage–Pace) effects; weights kinds are the names of the
builders in :mod:`spillmap.spatial.builders`; a weights transform is ``R`` (row-standardised),
``B`` (binary) or ``O`` (as built).
"""
from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from spillmap.errors import InputError
from spillmap.study._schema import (
    SpecError,
    check_unknown,
    from_mapping,
    key as opt,
    spec_error,
    to_mapping,
)
from spillmap.study._diagnostics_extra import TEST_FAMILIES
from spillmap.study.indicators import IndicatorSpec, indicators_from
from spillmap.study.scenarios import ScenarioSpec, check_scenarios, scenarios_from
from spillmap.study.weights import WeightSpec

__all__ = [
    "Study", "LayerSpec", "PanelSpec", "ModelSpec", "DiagnosticsSpec", "TablesSpec",
    "HeterogeneitySpec", "MapsSpec", "OutputSpec", "WeightSpec", "ScenarioSpec", "SpecError", "reference_markdown",
    "LAYER_DATASETS", "TABLE_DATASETS", "FE", "LEE_YU", "HAUSMAN", "TABLES", "MAPS",
]

#: bundled datasets that can stand wherever a layer path is accepted
LAYER_DATASETS = ("china_prefectures", "us48")
#: bundled datasets that can stand wherever a table (panel, attributes) path is accepted
TABLE_DATASETS = ("demo_panel", "produc", "cigar", "china_city_attributes")
from spillmap._vocab import DYNAMIC, FE, LEE_YU_STATIC  # noqa: E402  (one vocabulary)

#: the Lee-Yu options of a study's models ("ydjl" is for a dynamic model alone: ``SpatialPanel``, ``spillmap fit``)
LEE_YU = LEE_YU_STATIC
HAUSMAN = ("auto", "classic", "sphtest", "mundlak")
TABLES = ("indicators", "descriptive", "moran_by_year", "baseline", "within", "heterogeneity", "diagnostics",
          "effects")
MAPS = ("choropleth", "lisa", "spillover", "response", "fixed_effects")
CLUSTER = ("entity", "time", "both", "none")


def _nonempty(v: str) -> str | None:
    return None if v.strip() else "must not be empty."


def _draws(v: int) -> str | None:
    return None if v == 0 or v >= 100 else f"must be 0 (delta-method SEs) or >= 100 (simulation), got {v}."


def _positive(v: int) -> str | None:
    return None if v >= 1 else f"must be >= 1, got {v}."


def _alpha(v: float) -> str | None:
    return None if 0 < v < 1 else f"must be between 0 and 1, got {v}."


def _simplify(v: Any) -> str | None:
    ok = v == "auto" or v is False or (isinstance(v, float) and 0 <= v < 1)
    return None if ok else f"must be 'auto', false or a tolerance in degrees (e.g. 0.01), got {v!r}."


def _crs(v: str | int) -> str | None:
    """None when pyproj can parse ``v`` as a CRS, else why not."""
    import pyproj

    from spillmap.errors import one_line

    try:
        pyproj.CRS.from_user_input(v)
    except Exception as exc:  # pyproj.exceptions.CRSError, and TypeError for odd values
        return f"{v!r} is not a CRS pyproj understands ({one_line(exc)}); write e.g. \"EPSG:4326\"."
    return None


def _subset(v: Mapping) -> dict:
    return {k: tuple(x if isinstance(x, list | tuple) else [x]) for k, x in v.items()}


def _lee_yu(v: Any) -> str:
    if isinstance(v, bool):  # true = the Lee-Yu transformation, false = none (first release)
        return "transformation" if v else "none"
    return v


# --------------------------------------------------------------------- sections
@dataclass(frozen=True, kw_only=True)
class LayerSpec:
    """``[layer]``: the boundary layer, its id column and an optional subset."""

    id: str = opt("Unit id column of the layer.", example="adcode", check=_nonempty)
    dataset: str | None = opt("A bundled layer instead of a file.", default=None, choices=LAYER_DATASETS + (None,),
                              example="china_prefectures")
    path: str | None = opt("Polygon file (.gpkg, .geojson, .shp), relative to the spec file; a bundled "
                           "dataset name also works here.", default=None, example="cities.gpkg")
    layer: str | None = opt("Layer name inside a multi-layer GeoPackage.", default=None)
    assume_crs: str | int | None = opt("CRS of a layer file that has none (a GeoPackage without a CRS, a "
                                       "shapefile without its .prj), anything pyproj reads: \"EPSG:4326\" for "
                                       "longitude/latitude degrees, a projected CRS's code for metres. Ignored "
                                       "when the file has a CRS.", default=None, example="EPSG:4326", check=_crs)
    name_column: str | None = opt("Column of readable unit names (labels, tooltips).", default=None, example="name")
    subset: Mapping[str, Any] = opt("Keep only the units whose column has one of the listed values; the "
                                    "panel follows.", default=None,
                                    example={"level": ["municipality", "prefecture_city"]}, convert=_subset)
    attributes: str | None = opt("A table (bundled name or CSV path) merged into the layer by id, e.g. "
                                 "city groups for the heterogeneity table.", default=None,
                                 example="china_city_attributes")
    group_column: str | None = opt("Column of higher-level units (e.g. province) outlined on maps.",
                                   default=None, example="province")

    def __post_init__(self) -> None:
        if self.subset is None:
            object.__setattr__(self, "subset", {})


@dataclass(frozen=True, kw_only=True)
class PanelSpec:
    """``[panel]``: the long panel (one row per unit and period)."""

    id: str = opt("Unit id column of the panel (may differ from the layer's).", example="adcode", check=_nonempty)
    time: str = opt("Period column.", example="year", check=_nonempty)
    dataset: str | None = opt("A bundled panel instead of a file.", default=None,
                              choices=TABLE_DATASETS + (None,), example="demo_panel")
    path: str | None = opt("CSV, Excel (.xlsx) or Parquet file, relative to the spec file; a bundled dataset name also "
                           "works here.", default=None, example="panel.csv")
    drop: tuple[str | int, ...] = opt("Unit ids of the panel to leave out of the study (e.g. units the layer "
                                      "lacks); the report lists them.", default=(), example=("DC",),
                                      convert=lambda v: tuple(str(x).strip() for x in v))


@dataclass(frozen=True, kw_only=True)
class ModelSpec:
    """``[model]``: the variables and the estimation options shared by every model."""

    y: str = opt("Dependent variable (a column or a formula transform such as \"log(gsp)\").",
                 example="gtfp", check=_nonempty)
    x: tuple[str, ...] = opt("Regressors (columns or transforms), the key regressor first by default.",
                             example=("int", "ins", "pgdp"))
    key: str | None = opt("The regressor whose effects are mapped (default: the first of x).", default=None,
                          example="int")
    fe: str = opt("Fixed effects of every fixed-effects model and of the LM tests.", default="twoways",
                  choices=FE, old_names=("effects",))
    lee_yu: str = opt("Lee–Yu (2010) treatment of the fixed effects (of every model here; the published "
                      "Lee–Yu / Yu–de Jong–Lee estimator of a dynamic model alone, lee_yu = \"ydjl\", is an "
                      "option of SpatialPanel and spillmap fit).", default="transformation", choices=LEE_YU,
                      aliases={True: "transformation", False: "none"},
                      elsewhere={"ydjl": "is the published estimator of a dynamic model alone: use it with "
                                         "SpatialPanel(..., dynamic=...).fit(lee_yu='ydjl') or spillmap fit --dynamic"})
    dynamic: str | None = opt("Also fit a dynamic SDM per W with y(t−1) (y), W·y(t−1) (wy) or both, conditional "
                              "on the first period, bias-corrected as lee_yu says; short- and long-run effects.",
                              default=None, choices=DYNAMIC + (None,), example="both")
    draws: int = opt("Simulation draws for the SEs of the effects; 0 = delta method.", default=1000, check=_draws)
    labels: Mapping[str, str] = opt("Readable names of the variables in every table, figure and map of the report, "
                                    "e.g. { int = \"Industrial intelligence\" } (Chinese works too).", default=None,
                                    convert=lambda v: MappingProxyType(dict(v)))
    seed: int = opt("Seed of every random step (effects draws, permutations).", default=0)

    def __post_init__(self) -> None:
        if self.labels is None:
            object.__setattr__(self, "labels", MappingProxyType({}))


@dataclass(frozen=True, kw_only=True)
class DiagnosticsSpec:
    """``[diagnostics]``: the model-choice table (Table 8)."""

    hausman: str = opt("Which Hausman test the table reports: the classic one when it is defined and "
                       "otherwise the regression (Mundlak) form (auto), or always one of them (sphtest = splm's "
                       "form with the random-effects covariance conditional on the variance ratio and rho).",
                       default="auto", choices=HAUSMAN)
    tests: tuple[str, ...] = opt("Test families of the table: lm (LM-lag/error and robust), lr_wald (SDM vs "
                                 "SAR/SEM), hausman, lm_sarma, moran_residuals, cd (Pesaran CD), bsk "
                                 "(Baltagi-Song-Koh), bsjk, within (LR/F tests of the fixed effects), bayes "
                                 "(posterior model and W probabilities).", default=TEST_FAMILIES,
                                 check=lambda v: _in(v, TEST_FAMILIES))
    lm_convention: str = opt("Convention of the panel LM tests: elhorst (Elhorst's MATLAB code, splm "
                             "slmtest) or demeaned.", default="elhorst", choices=("elhorst", "demeaned"))
    permutations: int = opt("Permutations for Moran's I pseudo p-values in the diagnostics and the "
                            "by-year table (0 = analytic inference only).", default=0,
                            check=lambda v: None if v >= 0 else f"must be >= 0, got {v}.")


@dataclass(frozen=True, kw_only=True)
class TablesSpec:
    """``[tables]``: which tables to compute and their options."""

    include: tuple[str, ...] = opt("Tables to compute.", default=TABLES,
                                   check=lambda v: _in(v, TABLES))
    moran_variables: tuple[str, ...] = opt("Variables of the Moran's I by-period table (default: y).",
                                           default=(), example=("gtfp", "int"))
    baseline_cluster: str = opt("Clustering of the baseline (non-spatial) standard errors.",
                                default="entity", choices=CLUSTER)


@dataclass(frozen=True, kw_only=True)
class HeterogeneitySpec:
    """``[heterogeneity]``: the baseline and the SDM estimated separately by group (Table 6)."""

    columns: tuple[str, ...] = opt("Group columns (in the layer, its attributes or the panel); one block "
                                   "per column.", example=("is_key_city",))
    labels: Mapping[str, Any] = opt("Readable group names per column, e.g. {is_key_city = {\"1\" = \"key "
                                    "cities\", \"0\" = \"other cities\"}}.", default=None)
    w: str | None = opt("Weights matrix of the group SDMs (default: the first); it is rebuilt on each "
                        "group's units with the same options.", default=None, example="W1")

    def __post_init__(self) -> None:
        if self.labels is None:
            object.__setattr__(self, "labels", {})


@dataclass(frozen=True, kw_only=True)
class MapsSpec:
    """``[maps]``: the interactive maps of the report."""

    year: Any = opt("Period shown first and used for the LISA map (default: the last).", default=None,
                    example=2019)
    permutations: int = opt("LISA permutations.", default=999, check=_positive)
    alpha: float = opt("LISA significance level.", default=0.05, check=_alpha)
    spillover_city: str | None = opt("Unit whose change is traced on the response map (default: the unit "
                                     "emitting the largest spillover).", default=None, example="420100")
    simplify: Any = opt("Geometry simplification for the maps: \"auto\", false or a tolerance in degrees.",
                        default="auto", check=_simplify, convert=lambda v: float(v) if isinstance(v, int) and not
                        isinstance(v, bool) else v)
    include: tuple[str, ...] = opt("Maps to draw.", default=MAPS, check=lambda v: _in(v, MAPS))


@dataclass(frozen=True, kw_only=True)
class OutputSpec:
    """``[output]``: where the report goes."""

    dir: str | None = opt("Output folder, relative to the spec file (the command line's --out wins).",
                          default=None, example="report")
    figures: bool = opt("Write the static figures of the report (figures/*.png at 300 dpi and vector *.pdf: "
                        "maps, Moran scatterplots and trend, effects); false skips them (faster). On Linux with "
                        "two or more CPUs they are drawn by a second (forked) process while the tables and HTML "
                        "maps are written, with the same files as in one process; the environment variable "
                        "`SPILLMAP_NO_FORK=1` keeps everything in one process.", default=True)


def _in(values: tuple, allowed: tuple) -> str | None:
    bad = [v for v in values if v not in allowed]
    return None if not bad else f"{bad[0]!r} is not one of {', '.join(map(repr, allowed))}."


SECTIONS: dict[str, type] = {
    "layer": LayerSpec, "panel": PanelSpec, "model": ModelSpec, "diagnostics": DiagnosticsSpec,
    "tables": TablesSpec, "heterogeneity": HeterogeneitySpec, "maps": MapsSpec, "output": OutputSpec,
}
_TOP_KEYS = {"title": str, "demo": bool, "unit_label": str}


# ------------------------------------------------------------------------ Study
@dataclass(frozen=True, kw_only=True)
class Study:
    """A whole study: data, weights, models, tables, maps and output, validated.

    Build it with :meth:`from_toml`, :meth:`from_dict` or the constructor (sections as
    the dataclasses of this module; ``weights`` a tuple of :class:`WeightSpec`).
    ``base_dir`` resolves relative paths (the spec file's folder); ``source`` names the
    spec in error messages.

    Examples
    --------
    >>> from spillmap.study import Study, run                                # doctest: +SKIP
    >>> results = run(Study.from_toml("demo_report.toml"))                   # doctest: +SKIP
    """

    layer: LayerSpec
    panel: PanelSpec
    model: ModelSpec
    weights: tuple[WeightSpec, ...]
    diagnostics: DiagnosticsSpec = DiagnosticsSpec()
    tables: TablesSpec = TablesSpec()
    heterogeneity: HeterogeneitySpec | None = None
    maps: MapsSpec = MapsSpec()
    output: OutputSpec = OutputSpec()
    scenarios: tuple[ScenarioSpec, ...] = ()
    indicators: tuple[IndicatorSpec, ...] = ()
    title: str = "spillmap report"
    demo: bool = False
    unit_label: str = "unit"
    base_dir: str = "."
    source: str = ""

    def __post_init__(self) -> None:
        _cross_checks(self)

    # ---------------------------------------------------------- conveniences
    @property
    def y(self) -> str:
        return self.model.y

    @property
    def x(self) -> tuple[str, ...]:
        return self.model.x

    @property
    def key(self) -> str:
        """The key regressor (``model.key`` or the first of ``model.x``)."""
        return self.model.key or self.model.x[0]

    def resolve(self, path: str) -> Path:
        """``path`` relative to the spec file's folder."""
        p = Path(path)
        return p if p.is_absolute() else Path(self.base_dir) / p

    def input_files(self) -> dict[str, Path]:
        """The files this study reads, by what they are (``"panel.path"``, ``"weights.W1.path"``,
        ``"the study spec"``): an output folder must not hold them (``--force`` would delete them)."""
        out = {}
        for key, value in (("layer.path", self.layer.path), ("panel.path", self.panel.path),
                           ("layer.attributes", self.layer.attributes)):
            if value is not None and self.resolve(value).is_file():
                out[key] = self.resolve(value)
        for w in self.weights:
            if w.kind == "file":
                out[f"weights.{w.name}.path"] = self.resolve(w.settings.path)
        if self.source:
            out["the study spec"] = Path(self.source)
        return out

    def weight(self, name: str) -> WeightSpec:
        for w in self.weights:
            if w.name == name:
                return w
        raise InputError(f"no weights matrix {name!r}; the study defines {', '.join(w.name for w in self.weights)}.")

    # ------------------------------------------------------------ building
    @classmethod
    def from_dict(cls, raw: Mapping, *, source: str = "", base_dir: str | os.PathLike = ".") -> Study:
        """Validate a parsed TOML document (a dict) and build the study."""
        if not isinstance(raw, Mapping):
            raise spec_error(source, "(top level)", f"must be a table, got {type(raw).__name__}.")
        check_unknown(raw, [*_TOP_KEYS, *SECTIONS, "weights", "scenarios", "indicators"], source, "")
        top = {}
        for name, tp in _TOP_KEYS.items():
            if name in raw:
                if not isinstance(raw[name], tp):
                    raise spec_error(source, name, f"must be {'text' if tp is str else 'true or false'}, "
                                                   f"got {raw[name]!r}.")
                top[name] = raw[name]
        sections: dict[str, Any] = {}
        for name, section in SECTIONS.items():
            if name in raw:
                sections[name] = from_mapping(section, raw[name], source=source, prefix=f"{name}.")
            elif name in ("layer", "panel", "model"):
                raise spec_error(source, name, "is required but missing.")
        weights = _weights_from(raw.get("weights"), source)
        scenarios = scenarios_from(raw.get("scenarios"), source)
        indicators = indicators_from(raw.get("indicators"), source)
        return cls(**sections, weights=weights, scenarios=scenarios, indicators=indicators, **top,
                   base_dir=str(base_dir), source=source)

    @classmethod
    def from_toml(cls, path: str | os.PathLike) -> Study:
        """Read and validate a study TOML file (relative paths are relative to it)."""
        path = Path(path)
        if not path.is_file():
            raise InputError(f"study spec {path} not found.")
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))  # a BOM (Windows editors) is read as a CSV's is
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"study spec {path}: not valid TOML: {exc}.") from None
        except UnicodeDecodeError as exc:
            raise InputError(f"study spec {path}: not UTF-8 text ({exc.reason} at byte {exc.start}).") from None
        return cls.from_dict(raw, source=str(path), base_dir=path.resolve().parent)

    # ------------------------------------------------------------ writing
    def to_dict(self) -> dict:
        """The TOML document of this study (``from_dict(s.to_dict()) == s`` up to ``source``)."""
        out: dict[str, Any] = {"title": self.title, "demo": self.demo, "unit_label": self.unit_label}
        for name in SECTIONS:
            section = getattr(self, name)
            if section is not None:
                out[name] = to_mapping(section)
        out["weights"] = {w.name: w.to_dict() for w in self.weights}
        if self.scenarios:
            out["scenarios"] = {s.name: s.to_dict() for s in self.scenarios}
        if self.indicators:
            out["indicators"] = {i.name: i.to_dict() for i in self.indicators}
        return out

    def to_toml(self) -> str:
        """The study as TOML text (round-trips through :meth:`from_toml`)."""
        from spillmap.study._toml import dumps

        return dumps(self.to_dict())

    def replace(self, **changes: Any) -> Study:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)


def _weights_from(raw: Any, source: str) -> tuple[WeightSpec, ...]:
    if raw is None:
        raise spec_error(source, "weights", "is required but missing: define at least one matrix, e.g. "
                                            "[weights.W1] kind = 'contiguity'.")
    if not isinstance(raw, Mapping) or not raw:
        raise spec_error(source, "weights", "define at least one matrix, e.g. [weights.W1] kind = 'contiguity'.")
    return tuple(WeightSpec.from_dict(name, spec, source=source) for name, spec in raw.items())


def _cross_checks(s: Study) -> None:
    """Rules between keys (each error names the key)."""
    src = s.source
    for name, sec, datasets in (("layer", s.layer, LAYER_DATASETS), ("panel", s.panel, TABLE_DATASETS)):
        if (sec.dataset is None) == (sec.path is None):
            raise spec_error(src, name, "give exactly one of 'dataset' or 'path'.")
    m = s.model
    if not m.x:
        raise spec_error(src, "model.x", "must be a non-empty list of column names.")
    if len(set(m.x)) != len(m.x):
        raise spec_error(src, "model.x", f"repeats a regressor: {list(m.x)}.")
    if m.y in m.x:
        raise spec_error(src, "model.x", f"contains the dependent variable {m.y!r}.")
    if m.key is not None and m.key not in m.x:
        raise spec_error(src, "model.key", f"{m.key!r} is not among model.x = {list(m.x)}.")
    if not s.weights:
        raise spec_error(src, "weights", "define at least one matrix, e.g. [weights.W1] kind = 'contiguity'.")
    from spillmap.study._names import safe_names

    try:  # weights names become file names: two that slug alike would overwrite each other
        safe_names({w.name: f"weights.{w.name}" for w in s.weights})
    except InputError as exc:
        raise spec_error(src, "weights", str(exc)) from None
    h = s.heterogeneity
    if h is not None:
        if not h.columns:
            raise spec_error(src, "heterogeneity.columns", "must list at least one group column.")
        if h.w is not None and h.w not in {w.name for w in s.weights}:
            raise spec_error(src, "heterogeneity.w", f"{h.w!r} is not one of the weights "
                                                     f"{', '.join(repr(w.name) for w in s.weights)}.")
        extra = sorted(set(h.labels) - set(h.columns))
        if extra:
            raise spec_error(src, f"heterogeneity.labels.{extra[0]}", "labels a column not in heterogeneity.columns.")
    check_scenarios(s)


def reference_markdown() -> str:
    """The TOML reference (``docs/config.md``), generated from the section classes."""
    from spillmap.study._reference import markdown

    return markdown()
