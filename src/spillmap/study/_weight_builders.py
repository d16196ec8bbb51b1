"""The builder of each weights kind: its options (:mod:`spillmap.study._weight_options`) and the
study's layer and panel (:class:`~spillmap.study.weights.WeightsInputs`) → the matrix.

Each is a call of the builder of the same name in :mod:`spillmap.spatial.builders` (or of the
weights-file reader, :func:`spillmap.spatial.io.read_weights`); nothing numerical is written
here.  :data:`spillmap.study.weights.KINDS` pairs each with its options and words.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spillmap.study._weight_options import (
        ContiguityOptions,
        EconomicDistanceOptions,
        EconomicProductOptions,
        FileOptions,
        InverseDistanceOptions,
        KnnOptions,
        NestedOptions,
    )
    from spillmap.study.weights import WeightsInputs


def _build_contiguity(o: ContiguityOptions, inp: WeightsInputs):
    from spillmap.spatial.builders import contiguity

    return contiguity(inp.layer, inp.id, kind=o.contiguity, islands=o.islands, k=o.k,
                      name_column=inp.name_column, transform=o.transform)


def _build_knn(o: KnnOptions, inp: WeightsInputs):
    from spillmap.spatial.builders import knn

    return knn(inp.layer, inp.id, k=o.k, transform=o.transform)


def _build_inverse_distance(o: InverseDistanceOptions, inp: WeightsInputs):
    from spillmap.spatial.builders import inverse_distance

    return inverse_distance(inp.layer, inp.id, alpha=o.alpha, cutoff_km=o.cutoff_km, k=o.k, transform=o.transform)


def _ids(inp: WeightsInputs) -> list[str]:
    return [str(i) for i in inp.layer[inp.id]]


def _build_economic_distance(o: EconomicDistanceOptions, inp: WeightsInputs):
    from spillmap.spatial.builders import economic_distance

    return economic_distance(inp.panel, id=inp.id, time=inp.time, var=o.var, period=o.period, ids=_ids(inp),
                             transform=o.transform, by_period=o.by_period)


def _build_economic_product(o: EconomicProductOptions, inp: WeightsInputs):
    from spillmap.spatial.builders import economic_product

    return economic_product(inp.layer, inp.panel, id=inp.id, time=inp.time, var=o.var, period=o.period,
                            alpha=o.alpha, transform=o.transform, by_period=o.by_period)


def _build_nested(o: NestedOptions, inp: WeightsInputs):
    from spillmap.spatial.builders import economic_distance, inverse_distance, nested

    wd = inverse_distance(inp.layer, inp.id, alpha=o.alpha, cutoff_km=o.cutoff_km, k=o.k)
    we = economic_distance(inp.panel, id=inp.id, time=inp.time, var=o.var, period=o.period, ids=_ids(inp),
                           by_period=o.by_period)
    w = nested(wd, we, o.phi)
    if isinstance(w, dict):
        return {p: m.binary() for p, m in w.items()} if o.transform == "B" else w
    return w.binary() if o.transform == "B" else w


def _build_file(o: FileOptions, inp: WeightsInputs):
    from spillmap.datasets import weights_file
    from spillmap.spatial.io import read_weights

    w = read_weights(weights_file(o.path, inp.resolve(o.path)), ids=_ids(inp))
    return {"R": w.row_standardize, "B": w.binary, "O": lambda: w}[o.transform]()
