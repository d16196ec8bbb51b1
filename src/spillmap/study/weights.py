"""Weights specifications: ``[weights.NAME]`` → a :class:`~spillmap.spatial.SpatialWeights`.

One registry, :data:`KINDS`, maps each kind — the name of the builder in
:mod:`spillmap.spatial.builders`, plus ``file`` — to its options (a frozen dataclass
whose fields document themselves), its builder and its description in words.  The
study, the report, ``spillmap screen`` and the command line all build weights here, so
a kind has one spelling and one set of options everywhere.

Here: the registry, :class:`WeightSpec` (a ``[weights.NAME]`` table validated), building and
aligning a matrix, its facts and its description in words.  The options classes live in
:mod:`spillmap.study._weight_options`, the builders in :mod:`spillmap.study._weight_builders`
(both re-exported here).  Nothing numerical is written here: the builders, readers and
summaries are those of :mod:`spillmap.spatial`.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from spillmap.errors import InputError
from spillmap.study._names import user_path
from spillmap.study._schema import (  # noqa: F401  (key: re-exported, the options use it)
    from_mapping,
    key,
    section_markdown,
    spec_error,
    to_mapping,
)
from spillmap.study._weight_options import (  # noqa: F401  (re-exported: the options live there)
    ISLANDS,
    TRANSFORM_ALIASES,
    TRANSFORMS,
    ContiguityOptions,
    EconomicDistanceOptions,
    EconomicProductOptions,
    FileOptions,
    InverseDistanceOptions,
    KnnOptions,
    NestedOptions,
    _by_period_key,
    _decay,
    _nonneg,
    _period,
    _pos_int,
    _transform_key,
    _unit_interval,
)
from spillmap.study._weight_builders import (  # noqa: F401  (re-exported: the builders live there)
    _build_contiguity,
    _build_economic_distance,
    _build_economic_product,
    _build_file,
    _build_inverse_distance,
    _build_knn,
    _build_nested,
    _ids,
)

if TYPE_CHECKING:
    from spillmap.estimation._timevarying import PanelWeights
    from spillmap.spatial.weights import SpatialWeights

__all__ = ["WeightSpec", "KINDS", "Kind", "WeightsInputs", "build_weights", "describe_weights", "weights_facts",
           "align_weights"]


@dataclass(frozen=True)
class WeightsInputs:
    """What a builder may use: the joined layer and panel and their columns."""

    layer: Any
    panel: Any
    id: str
    time: str
    name_column: str | None = None
    resolve: Callable[[str], Any] = user_path  # a study's resolves against its folder too


@dataclass(frozen=True)
class Kind:
    """One weights kind: its options class, builder and description in words."""

    options: type
    build: Callable[[Any, WeightsInputs], Any]
    words: Callable[[Any], str]
    doc: str


_TRANSFORM_WORDS = {"R": "row-standardised", "B": "binary", "O": "as built"}
_ISLAND_WORDS = {"error": "no islands allowed", "drop": "islands dropped", "keep": "islands kept as zero rows"}


def _period_words(p: tuple | None, o: Any = None) -> str:
    """The periods whose values build the matrix: a window, all of them, or each its own."""
    if getattr(o, "by_period", False):
        return "each period's values" if p is None else f"each period's values, {p[0]}–{p[1]}"
    return "all periods" if p is None else f"{p[0]}–{p[1]}"


def _per(o: Any) -> str:
    return "; one matrix per period (time-varying W)" if getattr(o, "by_period", False) else ""


KINDS: dict[str, Kind] = {
    "contiguity": Kind(
        ContiguityOptions, _build_contiguity,
        lambda o: f"{o.contiguity} contiguity" + (
            f"; islands linked to their {o.k} nearest unit{'s' if o.k > 1 else ''}" if o.islands == "nearest"
            else f"; {_ISLAND_WORDS[o.islands]}"),
        "Polygons sharing a point (queen) or an edge (rook) are neighbours."),
    "knn": Kind(KnnOptions, _build_knn, lambda o: f"{o.k} nearest units (great-circle distance between centroids)",
                "The k nearest units by great-circle distance between centroids."),
    "inverse_distance": Kind(
        InverseDistanceOptions, _build_inverse_distance,
        lambda o: f"inverse distance d^-{o.alpha:g}" + (f", within {o.cutoff_km:g} km" if o.cutoff_km else "")
        + (f", {o.k} nearest only" if o.k else ""),
        "w_ij = d_ij^-alpha (great-circle km), optionally cut off or limited to the k nearest."),
    "economic_distance": Kind(
        EconomicDistanceOptions, _build_economic_distance,
        lambda o: f"economic distance 1/|Ybar_i − Ybar_j| of {o.var} ({_period_words(o.period, o)})" + _per(o),
        "w_ij = 1/|Ybar_i - Ybar_j|: units with similar levels of var are close."),
    "economic_product": Kind(
        EconomicProductOptions, _build_economic_product,
        lambda o: f"distance d^-{o.alpha:g} × relative {o.var} of the neighbour ({_period_words(o.period, o)})"
        + _per(o),
        "w_ij = d_ij^-alpha Ybar_j / mean(Ybar): distance weighted by the neighbour's economic size."),
    "nested": Kind(
        NestedOptions, _build_nested,
        lambda o: f"economic-geographic: {o.phi:g} × inverse distance d^-{o.alpha:g} + {1 - o.phi:g} × economic "
                  f"distance of {o.var} ({_period_words(o.period, o)}), each row-standardised" + _per(o),
        "phi R(1/d^alpha) + (1 - phi) R(1/|Ybar_i - Ybar_j|), the seed study's W2."),
    "file": Kind(FileOptions, _build_file, lambda o: f"read from {o.path}",
                 "A weights file (.gal, .gwt, .mtx, .csv) over the study's units.  A CSV is a full matrix: "
                 "a header `id,<id_1>,...,<id_N>`, then one row per unit, its id first (label columns "
                 "between the ids and the matrix, such as a name beside each id, are skipped)."),
}
#: old kind spellings of ``spillmap weights --kind`` (accepted with a deprecation message)
KIND_ALIASES = {"queen": ("contiguity", {"contiguity": "queen"}), "rook": ("contiguity", {"contiguity": "rook"}),
                "distance": ("inverse_distance", {}), "econ-distance": ("economic_distance", {}),
                "econ-product": ("economic_product", {})}


@dataclass(frozen=True)
class WeightSpec:
    """``[weights.NAME]``: one weights matrix, ``kind`` plus its validated options.

    ``options`` holds what the user wrote (validated; ``MappingProxyType``);
    :attr:`settings` the full options object with defaults.
    """

    name: str
    kind: str
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise spec_error("", f"weights.{self.name}.kind",
                             f"{self.kind!r} is not one of {', '.join(map(repr, KINDS))}.")
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))
        self.settings  # validate now  # noqa: B018

    @property
    def settings(self) -> Any:
        """The options dataclass of this kind, defaults filled in."""
        return from_mapping(KINDS[self.kind].options, dict(self.options), prefix=f"weights.{self.name}.")

    @classmethod
    def from_dict(cls, name: str, raw: Any, *, source: str = "") -> WeightSpec:
        """Validate ``[weights.NAME]`` (``kind`` + options); errors name ``weights.NAME.<key>``.

        Parameters
        ----------
        name
            The matrix's name (``NAME``).
        raw
            The table's content, as :func:`tomllib.loads` returns it.
        source
            The study file, named in error messages.
        """
        prefix = f"weights.{name}."
        if not isinstance(raw, Mapping):
            raise spec_error(source, f"weights.{name}", "must be a table with at least 'kind'.")
        if "kind" not in raw:
            raise spec_error(source, prefix + "kind", f"is required but missing; one of {', '.join(map(repr, KINDS))}.")
        kind = raw["kind"]
        if not isinstance(kind, str) or kind not in KINDS:
            raise spec_error(source, prefix + "kind", f"{kind!r} is not one of {', '.join(map(repr, KINDS))}.")
        opts = {k: v for k, v in raw.items() if k != "kind"}
        settings = from_mapping(KINDS[kind].options, opts, source=source, prefix=prefix)
        given = {k: getattr(settings, k) for k in opts}
        return cls(name=name, kind=kind, options=given)

    def to_dict(self) -> dict:
        return {"kind": self.kind, **to_mapping(self.settings, skip_defaults=True),
                **{k: _plain(v) for k, v in self.options.items()}}

    def describe(self) -> str:
        """The kind and options in words, e.g. ``queen contiguity; islands linked to their 1 nearest unit``."""
        return KINDS[self.kind].words(self.settings)


def _plain(v: Any) -> Any:
    return list(v) if isinstance(v, tuple) else v


def build_weights(spec: WeightSpec, inputs: WeightsInputs) -> SpatialWeights | Mapping[Any, SpatialWeights]:
    """Build the matrix of ``spec`` over the units of ``inputs.layer`` (in its row order).

    Errors from the builders keep their message and gain the key path
    (``weights.W2: ...``) so the user knows which matrix failed.

    Parameters
    ----------
    spec
        The matrix's specification.
    inputs
        The layer, the panel and their id / time columns (:class:`WeightsInputs`).
    """
    from spillmap.errors import SpillmapError

    try:
        w = KINDS[spec.kind].build(spec.settings, inputs)
    except SpillmapError as exc:
        raise type(exc)(f"weights.{spec.name}: {exc}") from None
    return w


def align_weights(w: SpatialWeights | Mapping[Any, SpatialWeights], ids: Sequence[str], times: Sequence[Any]
                  ) -> SpatialWeights | PanelWeights:
    """``w`` over ``ids`` in that order; a per-period result (``by_period``) as a
    :class:`~spillmap.estimation._timevarying.PanelWeights` over ``times``."""
    if isinstance(w, Mapping):
        from spillmap.estimation._timevarying import resolve_weights

        return resolve_weights(w, list(times), ids=[str(i) for i in ids])
    return w if tuple(w.ids) == tuple(ids) else w.align(list(ids))


def weights_facts(w: SpatialWeights | PanelWeights) -> dict:
    """Links, neighbours, components, islands, symmetry and transform of ``w`` (JSON-ready); for one
    W per period those of the last period, with ``periods`` and ``distinct`` (matrices)."""
    if hasattr(w, "groups"):
        return {**weights_facts(w.matrices[-1]), "periods": len(w.periods), "distinct": len(w.groups),
                "facts_period": str(w.periods[-1])}
    s = w.summary()
    return {
        "n": int(s.n), "links": int(s.nnz), "min_neighbors": int(s.min_neighbors),
        "mean_neighbors": float(s.mean_neighbors), "max_neighbors": int(s.max_neighbors),
        "islands": list(s.islands), "components": int(s.n_components), "symmetric": bool(s.symmetric),
        "symmetric_pattern": bool(s.symmetric_pattern), "row_standardized": bool(s.row_standardized),
        "transform": s.transform,
    }


def describe_weights(spec: WeightSpec, facts: Mapping[str, Any], raw_facts: Mapping[str, Any] | None = None) -> str:
    """One sentence: kind and options in words, then what the matrix is.

    ``raw_facts`` (contiguity) are the facts of the matrix before the island policy, to say
    e.g. "5 islands linked to their nearest unit; 8 → 4 components".
    """
    words = spec.describe()
    comps = f"{facts['components']} component{'s' if facts['components'] != 1 else ''}"
    if spec.kind == "contiguity":
        o = spec.settings
        raw = raw_facts or facts
        n_isl = len(raw.get("islands", ()))
        isl = f"{n_isl} island{'s' if n_isl != 1 else ''}"
        policy = {"nearest": f"{isl} linked to their {o.k} nearest unit{'s' if o.k > 1 else ''}",
                  "drop": f"{isl} dropped", "keep": f"{isl} kept as zero rows", "error": isl}[o.islands]
        words = f"{o.contiguity} contiguity; " + ("no islands" if n_isl == 0 else policy)
        if raw is not facts and raw["components"] != facts["components"]:
            comps = f"{raw['components']} → {facts['components']} components"
    sym = "symmetric" if facts["symmetric"] else (
        "symmetric neighbour pattern" if facts["symmetric_pattern"] else "asymmetric")
    when = (f" ({facts['distinct']} distinct matrices over {facts['periods']} periods; figures of "
            f"{facts['facts_period']})") if "periods" in facts else ""
    return (f"{words}{when}; {comps}; {facts['links']:,} links, neighbours {facts['min_neighbors']}–"
            f"{facts['max_neighbors']} (mean {facts['mean_neighbors']:.2f}); {sym}; {facts['transform']}")


def kinds_markdown() -> str:
    """The reference of every weights kind (for ``docs/config.md``)."""
    parts = []
    for name, kind in KINDS.items():
        parts.append(section_markdown(kind.options, f"[weights.NAME] kind = \"{name}\"", kind.doc))
    return "\n".join(parts)


def parse_cli_spec(text: str, *, name: str = "W") -> WeightSpec:
    """A weights spec from a command-line string: ``queen``, ``rook``, ``knn:k=5``,
    ``inverse_distance:alpha=2``, ``nested:var=pgdp,phi=0.5`` or a file path."""
    import tomllib

    kind, _, rest = text.partition(":")
    alias = {"queen": {"kind": "contiguity", "contiguity": "queen"},
             "rook": {"kind": "contiguity", "contiguity": "rook"}}
    if kind in alias or kind in KINDS:
        raw: dict[str, Any] = dict(alias.get(kind, {"kind": kind}))
        for part in filter(None, (p.strip() for p in rest.split(","))):
            k, eq, v = part.partition("=")
            if not eq:
                raise InputError(f"--w {text!r}: option {part!r} is not KEY=VALUE.")
            try:
                raw[k.strip()] = tomllib.loads(f"v = {v.strip()}")["v"]
            except tomllib.TOMLDecodeError:
                raw[k.strip()] = v.strip()
        return WeightSpec.from_dict(name, raw, source="--w")
    return WeightSpec.from_dict(name, {"kind": "file", "path": text}, source="--w")
