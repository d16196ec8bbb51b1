"""The weights of a screen, checked before any work: matrices given as they are, or study weights
specs (:class:`~spillmap.study.weights.WeightSpec`, or their TOML tables) built over the units
of the boundary layer (or of the panel, for the kinds that need no geometry), in one id order.

Each problem is raised as one :class:`~spillmap.errors.SpillmapError` naming the matrix, column
or id at fault.
"""
from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from spillmap.errors import DataError, InputError, format_items
from spillmap.spatial.weights import SpatialWeights


def check_weights(weights) -> dict[str, SpatialWeights]:
    """``{name: SpatialWeights}`` in one id order (that of the first)."""
    if isinstance(weights, SpatialWeights):
        weights = {weights.name or "W": weights}
    if not isinstance(weights, Mapping) or not weights:
        raise InputError("weights must be a SpatialWeights or a non-empty mapping name -> SpatialWeights.")
    out: dict[str, SpatialWeights] = {}
    ids = None
    for name, w in weights.items():
        if not isinstance(w, SpatialWeights):
            raise InputError(f"weights {name!r} is a {type(w).__name__}, not a spillmap SpatialWeights.")
        if not isinstance(name, str) or not name:
            raise InputError(f"weights names must be non-empty strings, got {name!r}.")
        if w.nnz == 0:
            raise InputError(f"weights {name!r} have no neighbour links at all; nothing to test.")
        ids = list(w.ids) if ids is None else ids
        out[name] = w if list(w.ids) == ids else w.align(ids)  # align raises naming the ids
    return out


def align_layer(layer, panel: pd.DataFrame, *, id: str, layer_id: str, quiet: bool = True):  # noqa: A002
    """The layer's units that the panel has (in layer order); a panel id missing from it is an error."""
    if layer_id not in layer.columns:
        from spillmap.errors import did_you_mean

        raise DataError(f"layer has no id column {layer_id!r}; columns: {format_items(list(layer.columns), 30)}."
                        + did_you_mean(layer_id, [c for c in layer.columns if c != "geometry"]))
    have = set(panel[id].astype(str))
    lids = layer[layer_id].astype(str)
    missing = sorted(have - set(lids))
    if missing:
        raise DataError(f"panel ids {format_items(missing)} are not in the layer's {layer_id!r}.")
    keep = lids.isin(have)
    if not keep.all() and not quiet:
        import sys  # a note, like every command's notes: stdout keeps the results (new-user audit 31)

        print(f"layer: {int((~keep).sum())} unit(s) without data left out ({int(keep.sum())} kept)", file=sys.stderr)
    return layer[keep].reset_index(drop=True)


#: weights kinds built from the panel's ids alone: no boundary layer needed
WITHOUT_GEOMETRY = ("file", "economic_distance")


def _panel_units(panel: pd.DataFrame, id: str) -> pd.DataFrame:  # noqa: A002
    """The panel's unit ids (text, in order of appearance) as a one-column table, the stand-in
    for a layer of the kinds in :data:`WITHOUT_GEOMETRY`."""
    if id not in panel.columns:
        raise DataError(f"panel has no id column {id!r}; columns: {format_items(list(panel.columns), 30)}.")
    return pd.DataFrame({id: pd.unique(panel[id].dropna().astype(str))})


def _build_spec(name, spec, *, panel, layer, id: str, time: str | None, layer_id: str, name_column):  # noqa: A002
    """One study weights spec over the units of ``layer`` (or of the panel, for a file or an
    economic distance); a geometry-based kind without a layer is an error naming it."""
    from spillmap.study.weights import WeightsInputs, build_weights

    if layer is None and spec.kind not in WITHOUT_GEOMETRY:
        raise InputError(
            f"weights {name!r} ({spec.kind}) are built from the geometry of a boundary layer: "
            "give layer= (--layer on the command line), or a weights file."
        )
    if layer is None:
        lay = _panel_units(panel, id)
    else:
        lay = layer if layer_id == id else layer.rename(columns={layer_id: id})
    return build_weights(spec, WeightsInputs(lay, panel, id, time or "", name_column))


def materialise_weights(weights, *, panel, layer, id: str, time: str | None, layer_id: str, name_column=None) -> dict:  # noqa: A002
    """``{name: SpatialWeights}`` from matrices, study :class:`WeightSpec` objects or their TOML dicts.

    Specs are built by :func:`spillmap.study.weights.build_weights` (``[weights.NAME]``
    vocabulary: contiguity, knn, inverse_distance, economic_distance, economic_product,
    nested, file) over the units of ``layer``; a ``file`` or an ``economic_distance``
    needs no layer and is then built over the panel's ids (a file's ids must be those).
    """
    if isinstance(weights, SpatialWeights):
        return {weights.name or "W": weights}
    if not isinstance(weights, Mapping):
        from spillmap.study.weights import WeightSpec

        if isinstance(weights, WeightSpec):
            weights = {weights.name: weights}
        else:
            return weights  # check_weights names the problem
    from spillmap.study.weights import WeightSpec

    out = {}
    for name, w in weights.items():
        if isinstance(w, SpatialWeights):
            out[name] = w
            continue
        spec = w if isinstance(w, WeightSpec) else WeightSpec.from_dict(str(name), w)
        out[name] = _build_spec(name, spec, panel=panel, layer=layer, id=id, time=time, layer_id=layer_id,
                                name_column=name_column)
    return out
