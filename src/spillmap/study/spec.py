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
from typing import Any

from spillmap.errors import InputError
from spillmap.study._names import user_path
from spillmap.study._schema import (
    SpecError,
    check_unknown,
    from_mapping,
    spec_error,
    to_mapping,
)
from spillmap.study.indicators import IndicatorSpec, indicators_from
from spillmap.study.scenarios import ScenarioSpec, check_scenarios, scenarios_from
from spillmap.study.weights import WeightSpec

__all__ = [
    "Study", "LayerSpec", "PanelSpec", "ModelSpec", "DiagnosticsSpec", "TablesSpec",
    "HeterogeneitySpec", "MapsSpec", "OutputSpec", "WeightSpec", "ScenarioSpec", "SpecError", "reference_markdown",
    "LAYER_DATASETS", "TABLE_DATASETS", "FE", "LEE_YU", "HAUSMAN", "TABLES", "MAPS",
]

from spillmap.study._sections import (  # noqa: F401  (re-exported: spillmap.study.spec is their public home)
    LAYER_DATASETS,
    TABLE_DATASETS,
    FE,
    LEE_YU,
    HAUSMAN,
    TABLES,
    MAPS,
    LayerSpec,
    PanelSpec,
    ModelSpec,
    DiagnosticsSpec,
    TablesSpec,
    HeterogeneitySpec,
    MapsSpec,
    OutputSpec,
    SECTIONS,
)

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

    @property
    def notice(self) -> str | None:
        """:data:`spillmap.datasets.DEMO_NOTICE` when the study runs on the bundled synthetic panel
        (``demo = true``, ``[panel] dataset = "demo_panel"`` or its file as ``path``), else ``None``:
        the report, the ``spillmap scenario`` command and every table and map say what the data are."""
        from spillmap import datasets

        p = self.panel
        sources = (p.dataset, p.path, self.resolve(p.path) if p.path else None)  # a path may name a dataset
        return datasets.DEMO_NOTICE if self.demo or any(datasets._notice_of(s) for s in sources) else None

    def resolve(self, path: str) -> Path:
        """``path`` relative to the spec file's folder, after expanding a leading ``~`` (``~user``)
        to the home folder.

        Parameters
        ----------
        path
            A path as written in the study file (absolute paths, and ``~/...`` once expanded, are
            returned as they are).
        """
        p = user_path(path)
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
        """The ``[weights.NAME]`` specification called ``name``.

        Parameters
        ----------
        name
            The matrix's name in the study file (``W1``).

        Raises
        ------
        InputError
            No matrix of that name (the defined ones listed).
        """
        for w in self.weights:
            if w.name == name:
                return w
        raise InputError(f"no weights matrix {name!r}; the study defines {', '.join(w.name for w in self.weights)}.")

    # ------------------------------------------------------------ building
    @classmethod
    def from_dict(cls, raw: Mapping, *, source: str = "", base_dir: str | os.PathLike = ".") -> Study:
        """Validate a parsed TOML document (a dict) and build the study.

        Parameters
        ----------
        raw
            The document, as :func:`tomllib.loads` returns it.
        source
            The file it came from, named in error messages.
        base_dir
            The folder relative paths are relative to (the study file's).
        """
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
        """Read and validate a study TOML file (relative paths are relative to it).

        Parameters
        ----------
        path
            The TOML file (UTF-8; a byte-order mark is read past; a leading ``~`` is the home folder).
            ``"demo_report.toml"`` (also ``"demo_report"`` or ``"data/demo_report.toml"``, as the README
            writes it from the repository), when no such file exists here, is the bundled demo study
            (:func:`spillmap.datasets.data_path`).
        """
        path = _bundled_spec(user_path(path))
        if not path.is_file():
            where = "" if path.is_absolute() else f" in the current folder {Path.cwd()}"
            raise InputError(f"study spec {path} not found{where}; the bundled demo study is "
                             "spillmap.datasets.data_path(\"demo_report.toml\") (spillmap demo on the command line).")
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


def _bundled_spec(path: Path) -> Path:
    """``path``, or the bundled demo study when ``path`` names it and no such file exists here
    (the README's ``data/demo_report.toml`` read from outside the repository: notebook audit 32 #5)."""
    if path.is_file() or path.as_posix() not in ("demo_report", "demo_report.toml", "data/demo_report.toml"):
        return path
    from spillmap import datasets

    return datasets.data_path("demo_report.toml")


def _cross_checks(s: Study) -> None:
    """Rules between keys (each error names the key)."""
    src = s.source
    for name, sec, datasets in (("layer", s.layer, LAYER_DATASETS), ("panel", s.panel, TABLE_DATASETS)):
        if (sec.dataset is None) == (sec.path is None):
            raise spec_error(src, name, "give exactly one of 'dataset' or 'path'.")
    lay = s.layer
    bundled = lay.dataset is not None or lay.path in LAYER_DATASETS
    if lay.layer is not None and (bundled or not str(lay.path).lower().endswith(".gpkg")):
        raise spec_error(src, "layer.layer", f"names a layer inside a multi-layer GeoPackage, and "
                                             f"{lay.dataset or lay.path!r} is not one: leave it out.")
    m = s.model
    if not m.x:
        raise spec_error(src, "model.x", "must be a non-empty list of column names.")
    if len(set(m.x)) != len(m.x):
        raise spec_error(src, "model.x", f"repeats a regressor: {list(m.x)}.")
    if m.y in m.x:
        raise spec_error(src, "model.x", f"contains the dependent variable {m.y!r}.")
    if m.key is not None and m.key not in m.x:
        raise spec_error(src, "model.key", f"{m.key!r} is not among model.x = {list(m.x)}.")
    _check_label_rows(s)
    if not s.weights:
        raise spec_error(src, "weights", "define at least one matrix, e.g. [weights.W1] kind = 'contiguity'.")
    from spillmap.study._names import safe_names

    try:  # weights names become file names: two that slug alike would overwrite each other
        safe_names({w.name: f"weights.{w.name}" for w in s.weights})
    except InputError as exc:
        raise spec_error(src, "weights", str(exc)) from None
    _check_weights_keys(s)
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


def _check_label_rows(s: Study) -> None:
    """A ``[model] labels`` key that labels one row (``W_x``, ``W×x``, ``direct:x``) names a regressor
    of ``model.x``: the report's tables refuse it otherwise, after every fit.  Not checked when a
    term of x expands into columns of its own (``C(region)``, ``a:b``), whose names are known later."""
    from spillmap.errors import did_you_mean
    from spillmap.tables._labels import named_variable

    m = s.model
    if any(mark in x for x in m.x for mark in ("C(", ":", "*", "poly(")):
        return
    for key in m.labels:
        var = named_variable(str(key))
        if var is not None and var not in m.x:
            raise spec_error(s.source, f"model.labels.{key}", f"labels the row of {var!r}, which is not one of "
                                                               f"model.x = {list(m.x)}.{did_you_mean(var, m.x)}")


def _check_weights_keys(s: Study) -> None:
    """Weights keys that would do nothing or fail half-way: a contiguity ``k`` without islands =
    "nearest"; a binary W beside period effects (the SEM with period effects, and the Lee-Yu
    transformation of every model, need a row-standardised W: the fit on that W would stop midway)."""
    time_fx = s.model.fe in ("time", "twoways")
    for w in s.weights:
        o = w.settings
        if w.kind == "contiguity" and getattr(o, "islands", "nearest") != "nearest" and getattr(o, "k", 1) != 1:
            raise spec_error(s.source, f"weights.{w.name}.k", f"links islands to their k nearest units "
                                                              f"(islands = \"nearest\"), and islands is {o.islands!r}.")
        if time_fx and getattr(o, "transform", "R") == "B":
            raise spec_error(s.source, f"weights.{w.name}.transform",
                             f"\"B\" (binary) cannot serve model.fe = {s.model.fe!r}: the SEM with period effects and "
                             "the Lee-Yu transformation need a row-standardised W; use \"R\".")


def reference_markdown() -> str:
    """The TOML reference (``docs/config.md``), generated from the section classes."""
    from spillmap.study._reference import markdown

    return markdown()
