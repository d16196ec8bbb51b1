"""The one-command report: TOML config -> a self-contained folder of tables and maps.

``build_report(config, out_dir)`` (CLI: ``spillmap report CONFIG.toml``) runs the seed
study's pipeline on any boundary layer + panel and writes::

    index.html          tables (descriptive, diagnostics per W, SDM effects per W) + maps
    maps/*.html         offline Folium maps (choropleths, LISA, spillovers), in iframes
    tables/*.csv|.tex   every table as CSV and LaTeX
    results.json        every number

Library used: :mod:`tomllib` reads the config; the numbers come from
:mod:`spillmap.geo` (join), :mod:`spillmap.spatial` (weights, Moran, LISA, LM tests) and
:mod:`spillmap.estimation` (SDM/SAR/SEM fits, effects, LR/Hausman); the maps from
:mod:`spillmap.maps`.  Written here: config validation (every error names the key),
the page layout, and orchestration.  The folder is built in a temporary sibling and
moved into place at the end (:func:`spillmap._fileio.atomic_directory`): nothing is
left half-written and an existing folder is only replaced with ``force=True``.

A section whose layer is not available (e.g. an estimator that fails on the data) is
reported in the page and in ``results.json["missing"]`` with the reason; it is never
silently dropped.
"""
from __future__ import annotations

import html
import json
import math
import os
import sys
import time as _time
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spillmap._fileio import atomic_directory
from spillmap.errors import DataError, EstimationError, InputError, SpillmapError
from spillmap.maps import tables

__all__ = ["LayerSpec", "PanelSpec", "WeightSpec", "ReportConfig", "load_config", "build_report"]

WEIGHT_KINDS = ("contiguity", "knn", "inverse_distance", "economic_distance", "economic_product", "nested")
EFFECTS = ("twoways", "individual", "time", "none")
LAYER_DATASETS = ("china_prefectures", "us48")
PANEL_DATASETS = ("demo_panel", "produc", "cigar")


@dataclass(frozen=True)
class LayerSpec:
    """``[layer]``: the boundary layer (``dataset`` or ``path``), its id and a subset."""

    id: str
    dataset: str | None = None
    path: str | None = None
    name_column: str | None = None
    subset: Mapping[str, tuple] = field(default_factory=dict)


@dataclass(frozen=True)
class PanelSpec:
    """``[panel]``: the long panel (``dataset`` or ``path`` to CSV/Parquet), id and time."""

    id: str
    time: str
    dataset: str | None = None
    path: str | None = None


@dataclass(frozen=True)
class WeightSpec:
    """``[weights.NAME]``: how to build one weight matrix (``kind`` + its options)."""

    name: str
    kind: str
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportConfig:
    """A validated report configuration (see :func:`load_config` for the TOML keys)."""

    layer: LayerSpec
    panel: PanelSpec
    y: str
    x: tuple[str, ...]
    weights: tuple[WeightSpec, ...]
    key: str
    effects: str = "twoways"
    lee_yu: str = "transformation"
    draws: int = 500
    seed: int = 0
    permutations: int = 999
    alpha: float = 0.05
    map_year: Any = None
    spillover_city: str | None = None
    simplify: Any = "auto"
    title: str = "spillmap report"
    demo: bool = False
    out: str | None = None
    base_dir: str = "."


# ------------------------------------------------------------------ config parsing
def _err(source: str, key: str, msg: str) -> InputError:
    return InputError(f"report config {source}: key {key!r}: {msg}")


def _get(d: Mapping, key: str, typ, source: str, prefix: str, *, required=False, default=None):
    full = f"{prefix}{key}"
    if key not in d:
        if required:
            raise _err(source, full, "is required but missing.")
        return default
    v = d[key]
    if typ is float and isinstance(v, int) and not isinstance(v, bool):
        v = float(v)
    if typ is not None and not isinstance(v, typ) or (typ is int and isinstance(v, bool)):
        tname = typ.__name__ if isinstance(typ, type) else " or ".join(t.__name__ for t in typ)
        raise _err(source, full, f"must be {tname}, got {v!r}.")
    return v


def _choice(v: str, choices: Sequence[str], source: str, key: str) -> str:
    if v not in choices:
        raise _err(source, key, f"{v!r} is not one of {', '.join(map(repr, choices))}.")
    return v


def _unknown(d: Mapping, allowed: Sequence[str], source: str, prefix: str) -> None:
    extra = sorted(set(d) - set(allowed))
    if extra:
        raise _err(source, prefix + extra[0], f"unknown key; allowed here: {', '.join(allowed)}.")


def _parse(raw: Mapping, source: str, base_dir: str) -> ReportConfig:
    _unknown(raw, ["title", "demo", "layer", "panel", "model", "weights", "maps", "output"], source, "")
    lay = _get(raw, "layer", dict, source, "", required=True)
    _unknown(lay, ["dataset", "path", "id", "name_column", "subset"], source, "layer.")
    if ("dataset" in lay) == ("path" in lay):
        raise _err(source, "layer", "give exactly one of 'dataset' or 'path'.")
    if "dataset" in lay:
        _choice(_get(lay, "dataset", str, source, "layer."), LAYER_DATASETS, source, "layer.dataset")
    subset = _get(lay, "subset", dict, source, "layer.", default={})
    subset = {k: tuple(v if isinstance(v, list) else [v]) for k, v in subset.items()}
    layer = LayerSpec(
        id=_get(lay, "id", str, source, "layer.", required=True),
        dataset=lay.get("dataset"),
        path=_get(lay, "path", str, source, "layer."),
        name_column=_get(lay, "name_column", str, source, "layer."),
        subset=subset,
    )
    pan = _get(raw, "panel", dict, source, "", required=True)
    _unknown(pan, ["dataset", "path", "id", "time"], source, "panel.")
    if ("dataset" in pan) == ("path" in pan):
        raise _err(source, "panel", "give exactly one of 'dataset' or 'path'.")
    if "dataset" in pan:
        _choice(_get(pan, "dataset", str, source, "panel."), PANEL_DATASETS, source, "panel.dataset")
    panel = PanelSpec(
        id=_get(pan, "id", str, source, "panel.", required=True),
        time=_get(pan, "time", str, source, "panel.", required=True),
        dataset=pan.get("dataset"),
        path=_get(pan, "path", str, source, "panel."),
    )
    mod = _get(raw, "model", dict, source, "", required=True)
    _unknown(mod, ["y", "x", "key", "effects", "lee_yu", "draws", "seed"], source, "model.")
    y = _get(mod, "y", str, source, "model.", required=True)
    x = _get(mod, "x", list, source, "model.", required=True)
    if not x or not all(isinstance(v, str) for v in x):
        raise _err(source, "model.x", "must be a non-empty list of column names.")
    if y in x:
        raise _err(source, "model.x", f"contains the dependent variable {y!r}.")
    key = _get(mod, "key", str, source, "model.", default=x[0])
    if key not in x:
        raise _err(source, "model.key", f"{key!r} is not among model.x = {x}.")
    effects = _choice(_get(mod, "effects", str, source, "model.", default="twoways"), EFFECTS, source, "model.effects")
    draws = _get(mod, "draws", int, source, "model.", default=500)
    if draws < 0 or 0 < draws < 100:
        raise _err(source, "model.draws", f"must be 0 (delta-method SEs) or >= 100 (simulation), got {draws}.")
    wts = _get(raw, "weights", dict, source, "", required=True)
    if not wts:
        raise _err(source, "weights", "define at least one matrix, e.g. [weights.W1] kind = 'contiguity'.")
    weights = []
    for name, spec in wts.items():
        if not isinstance(spec, dict):
            raise _err(source, f"weights.{name}", "must be a table with at least 'kind'.")
        kind = _choice(
            _get(spec, "kind", str, source, f"weights.{name}.", required=True),
            WEIGHT_KINDS, source, f"weights.{name}.kind",
        )
        weights.append(WeightSpec(name=name, kind=kind, options={k: v for k, v in spec.items() if k != "kind"}))
    maps = _get(raw, "maps", dict, source, "", default={})
    _unknown(maps, ["year", "permutations", "alpha", "spillover_city", "simplify"], source, "maps.")
    simplify = maps.get("simplify", "auto")
    if not (simplify == "auto" or simplify is False or (isinstance(simplify, int | float) and not isinstance(simplify, bool) and 0 <= simplify < 1)):
        raise _err(source, "maps.simplify", f"must be 'auto', false or a tolerance in degrees (e.g. 0.01), got {simplify!r}.")
    permutations = _get(maps, "permutations", int, source, "maps.", default=999)
    if permutations < 1:
        raise _err(source, "maps.permutations", f"must be >= 1, got {permutations}.")
    alpha = _get(maps, "alpha", float, source, "maps.", default=0.05)
    if not 0 < alpha < 1:
        raise _err(source, "maps.alpha", f"must be between 0 and 1, got {alpha}.")
    out = _get(raw, "output", dict, source, "", default={})
    _unknown(out, ["dir"], source, "output.")
    city = maps.get("spillover_city")
    return ReportConfig(
        layer=layer,
        panel=panel,
        y=y,
        x=tuple(x),
        weights=tuple(weights),
        key=key,
        effects=effects,
        lee_yu=_lee_yu(mod, source),
        draws=draws,
        seed=_get(mod, "seed", int, source, "model.", default=0),
        permutations=permutations,
        alpha=alpha,
        map_year=maps.get("year"),
        spillover_city=None if city is None else str(city),
        simplify=simplify,
        title=_get(raw, "title", str, source, "", default="spillmap report"),
        demo=_get(raw, "demo", bool, source, "", default=False),
        out=_get(out, "dir", str, source, "output."),
        base_dir=base_dir,
    )


LEE_YU = ("transformation", "bias-correction", "none")


def _lee_yu(mod: Mapping, source: str) -> str:
    v = mod.get("lee_yu", "transformation")
    if isinstance(v, bool):  # true = the default Lee-Yu transformation, false = none
        return "transformation" if v else "none"
    if not isinstance(v, str):
        raise _err(source, "model.lee_yu", f"must be one of {', '.join(map(repr, LEE_YU))}, got {v!r}.")
    return _choice(v, LEE_YU, source, "model.lee_yu")


def load_config(path: str | os.PathLike) -> ReportConfig:
    """Read and validate a report TOML file.

    Keys (``[section] key``): ``title``, ``demo``; ``[layer] dataset|path, id,
    name_column, subset = {column = [values]}``; ``[panel] dataset|path, id, time``;
    ``[model] y, x, key, effects, lee_yu, draws, seed`` (SDM, SAR and SEM are
    always fitted: the diagnostics compare them); ``[weights.NAME] kind``
    (one of :data:`WEIGHT_KINDS`) + the builder's options; ``[maps] year,
    permutations, alpha, spillover_city``; ``[output] dir``.  Relative paths are
    relative to the config file.

    Raises
    ------
    InputError
        Unreadable file, TOML syntax error, or a bad key (named in the message).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"report config {path} not found.")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"report config {path}: not valid TOML: {exc}.") from None
    return _parse(raw, str(path), str(path.resolve().parent))


# ------------------------------------------------------------------ progress
class _Progress:
    def __init__(self, quiet: bool, total: int):
        self.quiet = quiet
        self.total = total
        self.k = 0
        self.t0 = _time.perf_counter()

    def step(self, msg: str) -> None:
        self.k += 1
        if not self.quiet:
            el = _time.perf_counter() - self.t0
            print(f"[{self.k}/{self.total} {el:5.1f}s] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ loading
def _resolve(cfg: ReportConfig, p: str) -> Path:
    q = Path(p)
    return q if q.is_absolute() else Path(cfg.base_dir) / q


def _load_layer(cfg: ReportConfig):
    from spillmap import datasets

    spec = cfg.layer
    if spec.dataset == "china_prefectures":
        layer = datasets.china_prefectures(web=True)
    elif spec.dataset == "us48":
        layer = datasets.us48()
    else:
        from spillmap.geo import read_boundaries

        path = _resolve(cfg, spec.path)
        if not path.is_file():
            raise InputError(f"layer.path: file {path} not found.")
        layer = read_boundaries(path, spec.id)
    for col, values in spec.subset.items():
        if col not in layer.columns:
            raise DataError(f"layer.subset: column {col!r} not in the layer; available: {', '.join(map(repr, layer.columns))}.")
        keep = layer[col].astype(str).isin([str(v) for v in values])
        if not keep.any():
            raise DataError(f"layer.subset: no unit has {col} in {list(values)}.")
        layer = layer[keep]
    if spec.id not in layer.columns:
        raise DataError(f"layer.id: column {spec.id!r} not in the layer.")
    return layer.reset_index(drop=True)


def _load_panel(cfg: ReportConfig) -> pd.DataFrame:
    from spillmap import datasets

    spec = cfg.panel
    if spec.dataset is not None:
        return getattr(datasets, spec.dataset)()
    p = _resolve(cfg, spec.path)
    if not p.is_file():
        raise InputError(f"panel.path: file {p} not found.")
    if p.suffix.lower() == ".parquet":
        return pd.read_parquet(p)
    return pd.read_csv(p, dtype={spec.id: str})


def _restrict_panel(panel: pd.DataFrame, layer, cfg: ReportConfig) -> tuple[pd.DataFrame, list[str]]:
    """Keep the panel rows of the units left in the layer by ``[layer] subset``."""
    from spillmap.geo import normalise_ids

    if cfg.panel.id not in panel.columns:
        raise DataError(f"panel.id: column {cfg.panel.id!r} not in the panel; available: {', '.join(map(repr, panel.columns))}.")
    keep_ids = set(normalise_ids(layer[cfg.layer.id], what=f"layer column {cfg.layer.id!r}")[0])
    pid = normalise_ids(panel[cfg.panel.id].dropna(), what=f"panel column {cfg.panel.id!r}")[0]
    pid = pid.reindex(panel.index)
    inside = pid.isin(keep_ids)
    dropped = sorted(set(pid[~inside].dropna()))
    return panel[inside.to_numpy()].reset_index(drop=True), dropped


def _build_weights(spec: WeightSpec, layer, panel: pd.DataFrame, cfg: ReportConfig):
    from spillmap.spatial import builders as b

    o = dict(spec.options)
    lid, pid, t = cfg.layer.id, cfg.panel.id, cfg.panel.time
    where = f"weights.{spec.name}"
    try:
        if spec.kind == "contiguity":
            return b.contiguity(
                layer, lid, kind=o.pop("contiguity", "queen"), islands=o.pop("islands", "nearest"),
                k=o.pop("k", 1), name_column=cfg.layer.name_column, **o,
            )
        if spec.kind == "knn":
            return b.knn(layer, lid, **o)
        if spec.kind == "inverse_distance":
            return b.inverse_distance(layer, lid, **o)
        if spec.kind == "economic_distance":
            var = o.pop("var", None)
            if var is None:
                raise InputError(f"{where}.var is required for kind='economic_distance'.")
            return b.economic_distance(panel, id=pid, time=t, var=var, ids=list(layer[lid]), **o)
        if spec.kind == "economic_product":
            var = o.pop("var", None)
            if var is None:
                raise InputError(f"{where}.var is required for kind='economic_product'.")
            return b.economic_product(layer, panel, id=pid, time=t, var=var, **o)
        if spec.kind == "nested":
            var = o.pop("var", None)
            phi = o.pop("phi", None)
            if var is None or phi is None:
                raise InputError(f"{where}: kind='nested' needs 'var' and 'phi'.")
            alpha = o.pop("alpha", 1)
            period = o.pop("period", None)
            if o:
                raise InputError(
                    f"{where}: unknown option(s) {sorted(o)} for kind='nested' "
                    "(allowed: var, phi, alpha, period)."
                )
            wd = b.inverse_distance(layer, lid, alpha=alpha)
            we = b.economic_distance(
                panel, id=pid, time=t, var=var, ids=list(layer[lid]),
                period=tuple(period) if period is not None else None,
            )
            return b.nested(wd, we, float(phi))
    except TypeError as exc:
        raise InputError(f"{where}: bad option for kind={spec.kind!r}: {exc}.") from None
    raise InputError(f"{where}.kind: {spec.kind!r} unknown.")  # pragma: no cover


# ------------------------------------------------------------------ numbers
def _test_dict(tr) -> dict:
    if tr is None:
        return {"stat": None, "p": None}
    d = tr.to_dict() if hasattr(tr, "to_dict") else dict(tr)
    return {"stat": _num(d.get("stat")), "df": d.get("df"), "p": _num(d.get("p", d.get("pvalue")))}


def _num(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _fit(panel, cfg: ReportConfig, w, model: str, effects: str | None = None):
    from spillmap.estimation import SpatialPanel

    return SpatialPanel(
        panel, y=cfg.y, x=list(cfg.x), id=cfg.panel.id, time=cfg.panel.time, w=w,
        model=model, effects=effects or cfg.effects,
    ).fit(lee_yu=cfg.lee_yu)


def _diagnostics(panel, cfg: ReportConfig, w, missing: list, wname: str) -> tuple[dict, dict]:
    """Table 8 rows for one W and the fits behind them.

    Composes :func:`spillmap.estimation.table8.diagnostics_table`.  When one of its fits
    fails (e.g. an SEM whose lambda runs to the bound), the rows are computed one by
    one so that the others are still reported and the failure is listed in ``missing``.
    """
    from spillmap.estimation.table8 import diagnostics_table

    try:
        table, f = diagnostics_table(
            panel, id=cfg.panel.id, time=cfg.panel.time, y=cfg.y, x=list(cfg.x), w=w,
            fe=cfg.effects, lee_yu=cfg.lee_yu, permutations=0, seed=cfg.seed, return_fits=True,
        )
        fits = {"sdm": f.sdm, "sar": f.sar, "sem": f.sem}
    except EstimationError as exc:
        table, fits = _diagnostics_by_row(panel, cfg, w, missing, wname, exc)
    for key, row in table.items():
        if isinstance(row, dict) and row.get("note"):
            missing.append(f"{wname}: {key}: {row['note']}")
    moran = dict(table.get("moran", {}))
    moran.setdefault("stat", moran.get("z"))
    table["moran"] = moran
    return table, fits


def _diagnostics_by_row(panel, cfg: ReportConfig, w, missing: list, wname: str, first_error) -> tuple[dict, dict]:
    from spillmap.estimation import hypothesis
    from spillmap.spatial.autocorrelation import moran_pooled
    from spillmap.spatial.lm import panel_lm_tests

    out: dict[str, Any] = {}
    mi = moran_pooled(panel, id=cfg.panel.id, time=cfg.panel.time, var=cfg.y, w=w, permutations=0)
    out["moran"] = {"I": _num(mi.I), "z": _num(mi.z_rand), "p": _num(mi.p_rand)}
    lm = panel_lm_tests(
        panel, id=cfg.panel.id, time=cfg.panel.time, y=cfg.y, x=list(cfg.x), w=w, effects=cfg.effects
    )
    for k in ("lm_lag", "lm_error", "robust_lm_lag", "robust_lm_error"):
        out[k] = _test_dict(getattr(lm, k))
    fits = {}
    for mname in ("sdm", "sar", "sem"):
        try:
            fits[mname] = _fit(panel, cfg, w, mname)
        except EstimationError as exc:
            missing.append(f"{wname}: the {mname.upper()} fit failed: {exc}")
    if "sdm" in fits:
        out["wald_sdm_sar"] = _test_dict(hypothesis.wald_sdm_sar(fits["sdm"]))
        out["wald_sdm_sem"] = _test_dict(hypothesis.wald_sdm_sem(fits["sdm"]))
        if "sar" in fits:
            out["lr_sdm_sar"] = _test_dict(hypothesis.lr_sdm_sar(fits["sdm"], fits["sar"]))
        if "sem" in fits:
            out["lr_sdm_sem"] = _test_dict(hypothesis.lr_sdm_sem(fits["sdm"], fits["sem"]))
        try:
            from spillmap.estimation.hausman import hausman

            out["hausman"] = _test_dict(hausman(fits["sdm"], _fit(panel, cfg, w, "sdm", effects="random")))
        except ImportError as exc:
            missing.append(f"{wname}: Hausman test not available ({exc})")
        except SpillmapError as exc:  # refused (V_FE - V_RE indefinite) or fits not comparable
            missing.append(f"{wname}: Hausman test failed ({exc})")
    if cfg.effects in ("individual", "twoways"):
        from spillmap.estimation.hausman import mundlak_test

        try:
            out["hausman_mundlak"] = _test_dict(mundlak_test(
                panel, id=cfg.panel.id, time=cfg.panel.time, y=cfg.y, x=list(cfg.x), w=w, model="sdm",
                time_effects=(cfg.effects == "twoways"),
            ))
        except SpillmapError as exc:
            missing.append(f"{wname}: Hausman (Mundlak form) failed ({exc})")
    return out, fits


_DIAG_ROWS = [
    ("moran", "Moran's I of {y} (z, pooled)"),
    ("lm_lag", "LM-lag"),
    ("lm_error", "LM-err"),
    ("robust_lm_lag", "Robust LM-lag"),
    ("robust_lm_error", "Robust LM-err"),
    ("lr_sdm_sar", "LR (SDM vs SAR)"),
    ("lr_sdm_sem", "LR (SDM vs SEM)"),
    ("wald_sdm_sar", "Wald (SDM vs SAR)"),
    ("wald_sdm_sem", "Wald (SDM vs SEM)"),
    ("hausman", "Hausman (FE vs RE)"),
    ("hausman_mundlak", "Hausman, Mundlak form (FE vs RE)"),
]


def _diag_table(diag: Mapping[str, dict], y: str) -> pd.DataFrame:
    rows = {}
    for key, label in _DIAG_ROWS:
        rows[label.format(y=y)] = {
            wname: tables.stat_cell(d.get(key, {}).get("stat"), d.get(key, {}).get("p"))
            for wname, d in diag.items()
        }
    df = pd.DataFrame.from_dict(rows, orient="index")
    df.index.name = "test"
    return df


def _effects_dict(eff) -> dict:
    out = {}
    for part in ("direct", "indirect", "total"):
        frame = getattr(eff, part)
        out[part] = {
            str(v): {c: _num(frame.loc[v, c]) for c in ("estimate", "se", "z", "p") if c in frame.columns}
            for v in frame.index
        }
    return out


def _sdm_table(sdm: Mapping[str, dict], x: Sequence[str], cfg: ReportConfig) -> pd.DataFrame:
    rows: dict[str, dict] = {}
    for var in x:
        for part in ("direct", "indirect", "total"):
            rows[f"{part} effect of {var}"] = {
                w: tables.cell(
                    d["effects"][part].get(var, {}).get("estimate"),
                    d["effects"][part].get(var, {}).get("se"),
                    d["effects"][part].get(var, {}).get("p"),
                )
                for w, d in sdm.items()
            }
    rows["rho"] = {w: tables.cell(d["rho"]["estimate"], d["rho"]["se"], d["rho"]["p"]) for w, d in sdm.items()}
    fe = {"twoways": ("yes", "yes"), "individual": ("yes", "no"), "time": ("no", "yes"), "none": ("no", "no")}[cfg.effects]
    rows["city FE"] = {w: fe[0] for w in sdm}
    rows["year FE"] = {w: fe[1] for w in sdm}
    rows["log-likelihood"] = {w: f"{d['loglik']:.3f}" if d.get("loglik") is not None else "" for w, d in sdm.items()}
    rows["N"] = {w: f"{d['nobs']:,}" for w, d in sdm.items()}
    df = pd.DataFrame.from_dict(rows, orient="index")
    df.index.name = ""
    return df


# ------------------------------------------------------------------ page
_PAGE_CSS = """
body { font-family: "Helvetica Neue", Arial, "Noto Sans CJK SC", sans-serif; margin: 0; color: #222; background: #fafafa; }
header { background: #1f3a5f; color: white; padding: 18px 32px; }
header h1 { margin: 0; font-size: 24px; } header .sub { opacity: .85; margin-top: 4px; font-size: 13px; }
.notice { background: #fff3cd; color: #7a4d00; border-bottom: 2px solid #e0a800; padding: 10px 32px; font-weight: bold; }
main { padding: 8px 32px 40px; max-width: 1200px; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: 4px; margin-top: 32px; font-size: 19px; }
table.t { border-collapse: collapse; margin: 8px 0; background: white; font-size: 13px; }
table.t caption { text-align: left; font-weight: bold; padding: 4px 0; }
table.t th, table.t td { padding: 4px 12px; border-bottom: 1px solid #e3e3e3; text-align: right; }
table.t th:first-child { text-align: left; } table.t thead th { border-bottom: 2px solid #444; }
p.notes { font-size: 12px; color: #555; max-width: 900px; }
.maps { display: grid; grid-template-columns: repeat(auto-fill, minmax(540px, 1fr)); gap: 16px; }
.map figure { margin: 0; } .map iframe { width: 100%; height: 520px; border: 1px solid #ccc; background: white; }
.map figcaption { font-size: 13px; margin: 4px 0 0; } .missing { color: #a40000; }
.files a { margin-right: 10px; font-size: 12px; }
"""


def _files_links(stem: str) -> str:
    return (
        f'<div class="files">download: <a href="tables/{stem}.csv">CSV</a>'
        f'<a href="tables/{stem}.tex">LaTeX</a><a href="results.json">results.json</a></div>'
    )


def _page(cfg: ReportConfig, sections: Sequence[str], notice: str | None, subtitle: str) -> str:
    title = html.escape(cfg.title)
    body = "\n".join(sections)
    banner = f'<div class="notice" id="demo-notice">{html.escape(notice)}</div>' if notice else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{title}</title><style>{_PAGE_CSS}</style></head><body>"
        f"<header><h1>{title}</h1><div class=\"sub\">{html.escape(subtitle)}</div></header>{banner}"
        f"<main>{body}</main></body></html>\n"
    )


# ------------------------------------------------------------------ build
def build_report(
    config: ReportConfig | str | os.PathLike,
    out_dir: str | os.PathLike | None = None,
    *,
    force: bool = False,
    quiet: bool = False,
) -> Path:
    """Run the pipeline of a report config and write the output folder.

    Parameters
    ----------
    config
        A :class:`ReportConfig` or the path of a TOML file (:func:`load_config`).
    out_dir
        Output folder; default the config's ``[output] dir``.
    force
        Replace an existing non-empty folder.
    quiet
        No progress messages on stderr.

    Returns
    -------
    pathlib.Path
        The output folder (``index.html`` inside).

    Raises
    ------
    OutputError
        ``out_dir`` exists and ``force`` is False (raised before any work).
    InputError, DataError, WeightsError, ...
        Bad config or data, with the key/column/id at fault.
    """
    from spillmap import datasets
    from spillmap._fileio import atomic_write_text
    from spillmap.maps import _offline
    from spillmap.maps.choropleth import choropleth_panel
    from spillmap.maps.lisa import lisa_map
    from spillmap.maps.spillover import spillover_map, unit_response_map

    cfg = config if isinstance(config, ReportConfig) else load_config(config)
    if out_dir is None:
        if cfg.out is None:
            raise InputError("no output folder: pass out_dir (--out) or set [output] dir in the config.")
        out_dir = _resolve(cfg, cfg.out)
    out_dir = Path(out_dir)
    notice = datasets.DEMO_NOTICE if (cfg.demo or cfg.panel.dataset == "demo_panel") else None
    nw = len(cfg.weights)
    prog = _Progress(quiet, total=4 + 4 * nw)
    missing: list[str] = []
    results: dict[str, Any] = {"title": cfg.title, "notice": notice, "config": _config_json(cfg)}

    with atomic_directory(out_dir, force=force) as tmp:
        (tmp / "maps").mkdir()
        (tmp / "tables").mkdir()
        prog.step("loading the boundary layer and the panel, joining them")
        layer = _load_layer(cfg)
        raw_panel = _load_panel(cfg)
        dropped_by_subset: list[str] = []
        if cfg.layer.subset:  # the panel follows the layer's subset
            raw_panel, dropped_by_subset = _restrict_panel(raw_panel, layer, cfg)
        from spillmap.geo import join_panel

        joined = join_panel(
            layer, raw_panel, id=cfg.panel.id, time=cfg.panel.time, layer_id=cfg.layer.id,
            variables=[cfg.y, *cfg.x],
        )
        layer, panel = joined.layer, joined.panel
        if cfg.panel.id != cfg.layer.id:  # one id column name from here on: the layer's
            panel = panel.rename(columns={cfg.panel.id: cfg.layer.id})
            cfg = replace(cfg, panel=replace(cfg.panel, id=cfg.layer.id))
        results["data"] = {
            "n": joined.n, "t": joined.t, "nobs": int(len(panel)),
            "periods": [_jsonable(t) for t in joined.times],
            "layer_units_dropped": list(joined.report.layer_ids_not_in_panel),
            "panel_ids_not_in_layer": list(joined.report.panel_ids_not_in_layer),
            "panel_ids_dropped_by_subset": dropped_by_subset,
        }
        year = cfg.map_year if cfg.map_year is not None else joined.times[-1]
        if year not in set(joined.times):
            raise InputError(f"maps.year: {year!r} is not a period of the panel ({joined.times[0]}–{joined.times[-1]}).")
        if cfg.spillover_city is not None and cfg.spillover_city not in set(joined.ids):
            raise InputError(f"maps.spillover_city: {cfg.spillover_city!r} is not a unit id of the joined panel.")
        layer_map = _map_geometry(layer, cfg)
        subtitle = (
            f"{joined.n} units × {joined.t} periods ({joined.times[0]}–{joined.times[-1]}), "
            f"N = {len(panel):,}; y = {cfg.y}; x = {', '.join(cfg.x)}"
        )
        sections: list[str] = []

        # (1) descriptive statistics
        desc = tables.describe(panel, [cfg.y, *cfg.x])
        # full precision (DataFrame.to_json would round to 10 digits)
        results["descriptive"] = {str(v): {c: _jsonable(desc.loc[v, c]) for c in desc.columns} for v in desc.index}
        notes = _write_table(tmp, "descriptive", desc, "Descriptive statistics",
                             "sd with ddof = 1; all units and periods of the joined panel.")
        sections.append(
            "<h2>1. Descriptive statistics</h2>"
            + tables.to_html(desc, notes=notes)
            + _files_links("descriptive")
        )

        # weights
        ws = {}
        results["weights"] = {}
        for spec in cfg.weights:
            prog.step(f"building weights {spec.name} ({spec.kind})")
            w = _build_weights(spec, layer, panel, cfg)
            if tuple(w.ids) != tuple(joined.ids):
                w = w.align(list(joined.ids))
            ws[spec.name] = w
            results["weights"][spec.name] = {"kind": spec.kind, "options": _jsonable(dict(spec.options)),
                                             "summary": _jsonable(_w_summary(w))}

        # (2) diagnostics + (3) SDM per W
        diag: dict[str, dict] = {}
        sdm: dict[str, dict] = {}
        fits_by_w: dict[str, dict] = {}
        for wname, w in ws.items():
            prog.step(f"{wname}: fitting SDM, SAR, SEM (Lee-Yu {cfg.lee_yu}) and diagnostics")
            diag[wname], fits = _diagnostics(panel, cfg, w, missing, wname)
            fits_by_w[wname] = fits
            if "sdm" in fits:
                prog.step(f"{wname}: effects ({cfg.draws} simulation draws, seed {cfg.seed})" if cfg.draws
                          else f"{wname}: effects (delta method)")
                res = fits["sdm"]
                eff = res.impacts(draws=cfg.draws, seed=cfg.seed)
                sdm[wname] = {
                    "params": {k: _num(v) for k, v in res.params.items()},
                    "std_errors": {k: _num(v) for k, v in res.std_errors.items()},
                    "pvalues": {k: _num(v) for k, v in res.pvalues.items()},
                    "rho": {"estimate": _num(res.params["rho"]), "se": _num(res.std_errors["rho"]),
                            "p": _num(res.pvalues["rho"])},
                    "loglik": _num(getattr(res, "loglik", None)),
                    "nobs": int(len(panel)),
                    "nobs_effective": int(getattr(res, "nobs", len(panel))),
                    "effects": _effects_dict(eff),
                    "draws": cfg.draws, "seed": cfg.seed, "lee_yu": cfg.lee_yu,
                }
            else:
                prog.step(f"{wname}: effects skipped (no SDM fit)")
        results["diagnostics"] = diag
        dt = _diag_table(diag, cfg.y)
        notes = _write_table(tmp, "diagnostics", dt, "Spatial diagnostics (statistic, p-value)", (
            "Moran's I: pooled over all periods (W repeated for each period), randomisation z. "
            f"LM tests on the {cfg.effects} fixed-effects OLS residuals (chi-squared, 1 df). LR and "
            "Wald: SDM against SAR / SEM (chi-squared, df = number of WX terms). Hausman (FE vs RE), "
            "classic form: the difference between the SDM coefficients of the fixed- and "
            "random-effects fits, weighted by the inverse of the difference of their covariance "
            "matrices; not computed (n/a) when that difference is not positive definite. Hausman, "
            "Mundlak form: the random-effects SDM augmented with the city means over time of X and "
            "WX, Wald test that their coefficients are zero (chi-squared, df = number of mean terms); "
            "same null (random effects consistent), always defined. n/a = not computed."))
        sections.append(
            "<h2>2. Spatial diagnostics (statistic, p-value)</h2>"
            + tables.to_html(dt, notes=notes)
            + _files_links("diagnostics")
        )
        results["sdm"] = sdm
        if sdm:
            st = _sdm_table(sdm, cfg.x, cfg)
            notes = _write_table(tmp, "sdm_effects", st, "SDM direct, indirect and total effects", (
                "Estimate with standard error in parentheses; *** p < 0.01, ** p < 0.05, * p < 0.10. "
                "Effects: LeSage–Pace partial derivatives; "
                + (f"SEs from {cfg.draws} draws of the estimates' asymptotic distribution (seed {cfg.seed})."
                   if cfg.draws else "SEs by the delta method.")
                + f" Lee–Yu option: {cfg.lee_yu}."))
            sections.append(
                "<h2>3. Spatial Durbin model: direct, indirect and total effects</h2>"
                + tables.to_html(st, notes=notes)
                + _files_links("sdm_effects")
            )
        else:
            sections.append('<h2>3. Spatial Durbin model</h2><p class="missing">not estimated: '
                            + html.escape("; ".join(missing) or "no SDM fit") + "</p>")

        # (4) maps
        prog.step("maps: choropleths")
        map_sections = []
        gname = cfg.layer.name_column
        m = choropleth_panel(
            layer_map, panel, id=cfg.layer.id, time=cfg.panel.time, columns=[cfg.y, cfg.key],
            periods=[p for p in joined.times if p != year] + [year], name_column=gname,
            title=f"{cfg.y} and {cfg.key} by city", notice=notice,
        )
        map_sections.append(_save(tmp, "choropleth.html", m, f"{cfg.y} and {cfg.key} ({year} shown; switch variable/year top left)"))
        prog.step(f"maps: LISA of {cfg.y} in {year} ({cfg.permutations} permutations)")
        from spillmap.spatial.autocorrelation import local_moran

        w_first_name, w_first = next(iter(ws.items()))
        cross = panel[panel[cfg.panel.time] == year].set_index(cfg.panel.id)[cfg.y].reindex(list(w_first.ids))
        lisa = local_moran(cross.to_numpy(float), w_first, permutations=cfg.permutations, seed=cfg.seed,
                           alpha=cfg.alpha, name=cfg.y)
        results["lisa"] = {"year": _jsonable(year), "w": w_first_name, "alpha": cfg.alpha,
                           "permutations": cfg.permutations, "seed": cfg.seed,
                           "counts": {k: int(v) for k, v in lisa["cluster"].value_counts().items()}}
        atomic_write_text(tmp / "tables" / "lisa.csv", tables.to_csv_text(lisa))
        results["lisa"]["units"] = {
            str(i): {"Ii": _num(r.Ii), "p_perm": _num(r.p_perm), "cluster": str(r.cluster)}
            for i, r in lisa[["Ii", "p_perm", "cluster"]].iterrows()
        }
        m = lisa_map(layer_map, lisa, id=cfg.layer.id, name_column=gname, variable=f"{cfg.y} ({year}, {w_first_name})",
                     title=f"LISA clusters of {cfg.y}, {year} ({w_first_name})", notice=notice)
        map_sections.append(_save(tmp, "lisa.html", m, f"LISA clusters of {cfg.y} in {year}, weights {w_first_name}"))
        for wname, fits in fits_by_w.items():
            if "sdm" not in fits:
                continue
            prog.step(f"maps: spillovers of {cfg.key} ({wname})")
            from spillmap.estimation.effects import unit_effects, unit_response

            ue = unit_effects(fits["sdm"], cfg.key, seed=cfg.seed)
            atomic_write_text(tmp / "tables" / f"unit_effects_{_slug(wname)}.csv", tables.to_csv_text(ue))
            results.setdefault("unit_effects", {})[wname] = {
                "var": cfg.key,
                "units": {str(i): {c: _num(v) for c, v in row.items()} for i, row in ue.iterrows()},
            }
            m = spillover_map(layer_map, ue, id=cfg.layer.id, var=cfg.key, y=cfg.y, name_column=gname,
                              title=f"Spillovers of {cfg.key} on {cfg.y} ({wname})", notice=notice)
            map_sections.append(_save(tmp, f"spillover_{_slug(wname)}.html", m,
                                      f"{wname}: per-city direct effect, spillover received and emitted (switch top left)"))
            city = cfg.spillover_city or _default_city(ue)
            resp = unit_response(fits["sdm"], cfg.key, city)
            city_label = _unit_label(layer, cfg.layer.id, gname, city)
            m = unit_response_map(layer_map, resp, id=cfg.layer.id, source_id=city, var=cfg.key, y=cfg.y,
                                  name_column=gname,
                                  title=f"Effect on {cfg.y} of a unit change of {cfg.key} in {city_label} ({wname})",
                                  notice=notice)
            map_sections.append(_save(tmp, f"response_{_slug(wname)}.html", m,
                                      f"{wname}: effect on every city of a unit change of {cfg.key} in {city_label}"))
            results.setdefault("unit_response", {})[wname] = {
                "source_id": city, "var": cfg.key, "effect": {str(i): _num(v) for i, v in resp.items()},
            }
        sections.append("<h2>4. Maps</h2><div class=\"maps\">" + "".join(map_sections) + "</div>")
        if missing:
            sections.append("<h2>Not available</h2><ul class=\"missing\">"
                            + "".join(f"<li>{html.escape(s)}</li>" for s in missing) + "</ul>")
        results["missing"] = missing
        results["maps"] = sorted(p.name for p in (tmp / "maps").iterdir())
        files = sorted(p.relative_to(tmp).as_posix() for p in (tmp / "tables").iterdir())
        sections.append(
            "<h2>Files</h2><p class=\"files\">"
            + " ".join(f'<a href="{html.escape(f)}">{html.escape(f)}</a>' for f in [*files, "results.json"])
            + "</p>"
        )
        atomic_write_text(tmp / "results.json", json.dumps(_jsonable(results), indent=2, ensure_ascii=False))
        atomic_write_text(tmp / "index.html", _page(cfg, sections, notice, subtitle))
        prog.step(f"writing {out_dir}")
        _publishable(tmp)
    return out_dir


def _publishable(folder: Path) -> None:
    """Temporary files are created 0600: give the report normal permissions (umask)."""
    mask = os.umask(0)
    os.umask(mask)
    for p in [folder, *folder.rglob("*")]:
        p.chmod((0o777 if p.is_dir() else 0o666) & ~mask)


#: above this many vertices a user layer is coverage-simplified for the maps (``simplify="auto"``)
AUTO_SIMPLIFY_VERTICES = 150_000


def _map_geometry(layer, cfg: ReportConfig):
    """The layer used for maps: coverage-simplified when asked or when large (keeps shared edges)."""
    import shapely

    from spillmap.maps._layers import prepare_geometry

    tol = cfg.simplify
    if tol == "auto":
        big = int(shapely.get_num_coordinates(layer.geometry.values).sum()) > AUTO_SIMPLIFY_VERTICES
        tol = 0.01 if big and cfg.layer.dataset is None else None
    return prepare_geometry(layer, id=cfg.layer.id, simplify=tol or None)


def _unit_label(layer, id: str, name_column: str | None, ident: str) -> str:
    """``"武汉市 (420100)"`` when the layer has names, else the id."""
    if name_column and name_column in layer.columns:
        hit = layer.loc[layer[id].astype(str) == str(ident), name_column]
        if len(hit):
            return f"{hit.iloc[0]} ({ident})"
    return str(ident)


def _default_city(ue: pd.DataFrame) -> str:
    """The unit emitting the largest spillover (a natural example)."""
    return str(ue["indirect_emitted"].abs().idxmax())


def _slug(s: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(s))


def _save(tmp: Path, name: str, m, caption: str) -> str:
    from spillmap.maps._offline import save_map

    save_map(m, tmp / "maps" / name)
    return (
        f'<div class="map"><figure><iframe src="maps/{html.escape(name)}" loading="lazy" '
        f'title="{html.escape(caption)}"></iframe><figcaption>{html.escape(caption)} — '
        f'<a href="maps/{html.escape(name)}">open full screen</a></figcaption></figure></div>'
    )


def _write_table(tmp: Path, stem: str, df: pd.DataFrame, caption: str, notes: str | None = None) -> str | None:
    """Write ``tables/<stem>.csv`` and ``.tex`` (with the notes); return the notes for the page."""
    from spillmap._fileio import atomic_write_text

    atomic_write_text(tmp / "tables" / f"{stem}.csv", tables.to_csv_text(df))
    atomic_write_text(tmp / "tables" / f"{stem}.tex", tables.to_latex(df, caption=caption, notes=notes))
    return notes


def _w_summary(w) -> dict:
    s = w.summary() if hasattr(w, "summary") else {}
    if isinstance(s, pd.DataFrame | pd.Series):
        s = s.to_dict()
    if not isinstance(s, dict):
        s = {"text": str(s)}
    return {"n": int(w.n) if hasattr(w, "n") else len(w.ids), "transform": getattr(w, "transform", None), **s}


def _config_json(cfg: ReportConfig) -> dict:
    d = asdict(cfg)
    d.pop("base_dir", None)
    return _jsonable(d)


def _jsonable(obj):
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating | float):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    if obj is None or isinstance(obj, str | int | bool):
        return obj
    return str(obj)
