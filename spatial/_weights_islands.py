"""The islands of a spatial weights matrix: units without neighbours, components, the warning.

:class:`IslandMethods` gives :class:`~spillmap.spatial.weights.SpatialWeights` its
:attr:`~IslandMethods.islands`, :attr:`~IslandMethods.n_components` and the one
:attr:`~IslandMethods.islands_warning` text; :func:`warn_islands` emits it wherever W reaches a
test or an estimator.  Both re-exported by :mod:`spillmap.spatial.weights`.
"""
from __future__ import annotations

import functools
import warnings
from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse import csgraph

from spillmap.errors import WeightsWarning, format_items

if TYPE_CHECKING:
    from spillmap.spatial.weights import SpatialWeights

__all__ = ["IslandMethods", "warn_islands"]


class IslandMethods:
    """The islands of :class:`~spillmap.spatial.weights.SpatialWeights` (a base class of it; no state)."""

    @property
    def islands(self) -> tuple[str, ...]:
        """Ids of units without neighbours (zero rows)."""
        return tuple(self.ids[i] for i in np.flatnonzero(self.cardinalities == 0))

    @functools.cached_property
    def n_components(self) -> int:
        """Number of connected components of the (undirected) neighbour graph (an island is one)."""
        return int(csgraph.connected_components(self.sparse, directed=True, connection="weak")[0])

    @property
    def islands_warning(self) -> str:
        """The warning about islands (zero rows) that every user of W emits; ``""`` without islands.

        Names the islands (the first 10 and how many in all) and the number of
        connected components.  Emitted as a :class:`~spillmap.errors.WeightsWarning` by
        :func:`warn_islands` wherever W reaches a test or an estimator.
        """
        isl = self.islands
        if not isl:
            return ""
        label = f"W {self.name!r}" if self.name else "W"
        return (
            f"{label} has {len(isl)} island(s), units without neighbours (zero rows, spatial lag 0): "
            f"{format_items(isl, limit=10)}; W has {self.n_components} connected components. Islands pull "
            "Moran's I and the spatial parameter towards 0 and get no spillovers; link them to their nearest "
            "units (islands='nearest', --islands nearest) or drop them unless this is intended."
        )


def warn_islands(w: SpatialWeights, *, stacklevel: int = 3) -> str:
    """Emit ``w.islands_warning`` as a :class:`~spillmap.errors.WeightsWarning` (if W has islands).

    Returns the message (``""`` when W has no islands).  Called by the Moran tests and
    the estimators, so that a W built with ``islands="keep"`` (or read from a file with
    zero rows) never reaches a result silently.

    Parameters
    ----------
    w
        The weights.
    stacklevel
        Passed to :func:`warnings.warn` (default 3: the caller of the function that calls
        this one).
    """
    msg = w.islands_warning
    if msg:
        warnings.warn(msg, WeightsWarning, stacklevel=stacklevel)
    return msg
