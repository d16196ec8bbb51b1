"""The sections of a study specification ([layer], [panel], [model], [diagnostics], [tables],
[heterogeneity], [maps], [output]): frozen dataclasses whose fields document and validate
themselves (:func:`spillmap.study._schema.key`).  :class:`spillmap.study.Study` composes them;
``docs/config.md`` is generated from them.  Split from :mod:`spillmap.study.spec` (one module
per concern: the sections here, the whole study and its cross-checks there).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from spillmap._vocab import DYNAMIC, FE, LEE_YU_STATIC
from spillmap.study._diagnostics_extra import TEST_FAMILIES
from spillmap.study._schema import key as opt

#: bundled datasets that can stand wherever a layer path is accepted
LAYER_DATASETS = ("china_prefectures", "us48")
#: bundled datasets that can stand wherever a table (panel, attributes) path is accepted
TABLE_DATASETS = ("demo_panel", "produc", "cigar", "china_city_attributes")

#: the Lee-Yu options of a study's models ("ydjl" is for a dynamic model alone: ``SpatialPanel``, ``spillmap fit``)
LEE_YU = LEE_YU_STATIC
HAUSMAN = ("auto", "classic", "sphtest", "mundlak")
TABLES = ("indicators", "descriptive", "moran_by_year", "baseline", "within", "heterogeneity", "diagnostics",
          "effects")
MAPS = ("choropleth", "lisa", "spillover", "response", "fixed_effects")
CLUSTER = ("entity", "time", "both", "none")
#: ``[output] figure_width``: the named widths (``"full"``: the figures' own layout, up to 7 in) and the range of a
#: width in inches (below 3 in a map with its legend is unreadable; above 7 in is wider than any text block)
FIGURE_WIDTHS = ("full", "column")
COLUMN_INCHES = 3.5
FIGURE_WIDTH_RANGE = (3.0, 7.0)


def _nonempty(v: str) -> str | None:
    return None if v.strip() else "must not be empty."


def _draws(v: int) -> str | None:
    return None if v == 0 or v >= 100 else f"must be 0 (delta-method SEs) or >= 100 (simulation), got {v}."


def _positive(v: int) -> str | None:
    return None if v >= 1 else f"must be >= 1, got {v}."


def _decimals(v: int) -> str | None:
    return None if 0 <= v <= 6 else f"must be a whole number from 0 to 6, got {v}."


def _alpha(v: float) -> str | None:
    return None if 0 < v < 1 else f"must be between 0 and 1, got {v}."


def _figure_width(v: str | float) -> str | None:
    lo, hi = FIGURE_WIDTH_RANGE
    if v in FIGURE_WIDTHS if isinstance(v, str) else lo <= v <= hi:
        return None
    return f"must be \"full\", \"column\" or a width in inches from {lo:g} to {hi:g}, got {v!r}."


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
                      "Lee–Yu / Yu–de Jong–Lee estimator of a dynamic model alone is an option of the fit in "
                      "Python, SpatialPanel(...).fit(lee_yu=\"ydjl\"), and of spillmap fit --lee-yu ydjl).",
                      default="transformation", choices=LEE_YU,
                      aliases={True: "transformation", False: "none"},
                      elsewhere={"ydjl": "is the published estimator of a dynamic model alone: use it with "
                                         "SpatialPanel(..., dynamic=...).fit(lee_yu='ydjl') or spillmap fit --dynamic"})
    dynamic: str | None = opt("Also fit a dynamic SDM per W with y(t−1) (y), W·y(t−1) (wy) or both, conditional "
                              "on the first period, bias-corrected as lee_yu says; short- and long-run effects.",
                              default=None, choices=DYNAMIC + (None,), example="both")
    draws: int = opt("Simulation draws for the SEs of the effects; 0 = delta method.", default=1000, check=_draws)
    labels: Mapping[str, str] = opt("Readable names of the variables in every table, figure and map of the report, "
                                    "e.g. { int = \"Industrial intelligence\" } (Chinese works too); also the "
                                    "titles of the group columns of the heterogeneity and scenario tables "
                                    "(is_key_city = \"Key city\").", default=None,
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
    moran_demean: str = opt("Mean of the pooled Moran's I (diagnostics table and the by-year table's "
                            "'pooled' row): pooled (one over all periods: a trend common to the units adds "
                            "to I) or period (each period's own: the trend drops out; permutations within "
                            "periods).", default="pooled", choices=("pooled", "period"))


@dataclass(frozen=True, kw_only=True)
class TablesSpec:
    """``[tables]``: which tables to compute and their options."""

    include: tuple[str, ...] = opt("Tables to compute.", default=TABLES,
                                   check=lambda v: _in(v, TABLES))
    moran_variables: tuple[str, ...] = opt("Variables of the Moran's I by-period table (default: y).",
                                           default=(), example=("gtfp", "int"))
    baseline_cluster: str = opt("Clustering of the baseline (non-spatial) standard errors.",
                                default="entity", choices=CLUSTER)
    decimals: int | None = opt("Decimals of every estimate, SE and statistic in the tables (one number per "
                               "table, as journals ask; σ² rows keep two significant digits, up to 6). "
                               "Default: 3, with more on a coefficient row that would print as 0.000 (two "
                               "significant digits of its smallest value, up to 6).", default=None, example=3,
                               check=_decimals)


@dataclass(frozen=True, kw_only=True)
class HeterogeneitySpec:
    """``[heterogeneity]``: the baseline and the SDM estimated separately by group (Table 6)."""

    columns: tuple[str, ...] = opt("Group columns (in the layer, its attributes or the panel); one block "
                                   "per column, two groups or more, titled by the column's [model] labels "
                                   "name. A group of fewer than 10 units is not "
                                   "estimated on its own (listed under Not available).", example=("is_key_city",))
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
    spillover_city: str | None = opt("Unit whose change is traced on the response map: its id or its name in "
                                     "layer.name_column (default: the unit emitting the largest spillover).",
                                     default=None, example="420100")
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
    figure_width: str | float = opt("Width the report's static figures are laid out for, their type printing at its "
                                    "size at that width (7-9 pt; notes and scale bars 6.5 pt): \"full\", a journal's "
                                    "full text width (each figure as wide as it needs, up to 7 in); \"column\", one "
                                    f"column of a two-column page ({COLUMN_INCHES:g} in): maps with their legends under "
                                    "them, panels too narrow side by side stacked, so figures are taller (up to 9 "
                                    "in); or a width in inches from "
                                    f"{FIGURE_WIDTH_RANGE[0]:g} to {FIGURE_WIDTH_RANGE[1]:g} (7 = \"full\"). PNG at "
                                    "300 dpi and vector PDF either way.", default="full", example="column",
                                    check=_figure_width)


def figure_inches(value: str | float | None) -> float | None:
    """The width in inches the report's figures are laid out for: ``None`` for ``"full"`` (and a width of 7 in
    or more, the same layout; and a stored spec without the key), :data:`COLUMN_INCHES` for ``"column"``.

    Parameters
    ----------
    value
        ``[output] figure_width`` as validated (or as read back from a ``results.json``).

    Raises
    ------
    SpecError
        A value the key does not accept (a hand-edited ``results.json``), with the key's message.
    """
    from spillmap.study._schema import spec_error

    value = "full" if value is None else value
    number = isinstance(value, int | float) and not isinstance(value, bool)
    msg = _figure_width(value) if number or isinstance(value, str) else _figure_width("?")
    if msg:
        raise spec_error("", "output.figure_width", msg.replace("'?'", repr(value)))
    inches = float(value) if number else {"full": None, "column": COLUMN_INCHES}[value]
    return None if inches is None or inches >= FIGURE_WIDTH_RANGE[1] else inches


def _in(values: tuple, allowed: tuple) -> str | None:
    bad = [v for v in values if v not in allowed]
    return None if not bad else f"{bad[0]!r} is not one of {', '.join(map(repr, allowed))}."


SECTIONS: dict[str, type] = {
    "layer": LayerSpec, "panel": PanelSpec, "model": ModelSpec, "diagnostics": DiagnosticsSpec,
    "tables": TablesSpec, "heterogeneity": HeterogeneitySpec, "maps": MapsSpec, "output": OutputSpec,
}
