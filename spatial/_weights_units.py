"""The units of a spatial weights matrix: reordering, restricting, reading the links.

:class:`UnitsMethods` gives :class:`~spillmap.spatial.weights.SpatialWeights` :meth:`~UnitsMethods.align`
(the same units in another order), :meth:`~UnitsMethods.subset` (a sub-matrix, not
re-standardised), and its links as a mapping (:attr:`~UnitsMethods.neighbors`) or a long frame
(:meth:`~UnitsMethods.to_frame`).  Re-exported by :mod:`spillmap.spatial.weights`.
"""
from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from spillmap.errors import InputError, WeightsError, format_items
from spillmap.spatial._neighbors import Neighbors

if TYPE_CHECKING:
    import pandas as pd

    from spillmap.spatial.weights import SpatialWeights

__all__ = ["UnitsMethods"]


class UnitsMethods:
    """Reordering, restricting and reading the links of :class:`~spillmap.spatial.weights.SpatialWeights`
    (a base class of it; no state)."""

    def align(self, ids: Sequence[object]) -> SpatialWeights:
        """Reorder to ``ids`` (the same set of units in another order).

        Parameters
        ----------
        ids
            The unit ids in the new order (a list, tuple, array or pandas Index; not text).

        Returns
        -------
        SpatialWeights
            ``self`` when already in that order, else a reordered copy (same transform and name).

        Raises
        ------
        InputError
            ``ids`` is not a sequence of ids (``None``, a number, a single string).
        WeightsError
            When the id sets differ; the message lists ids missing on each side.
        """
        ids = _id_list(ids, "align")
        if tuple(ids) == self.ids:
            return self
        missing = [i for i in ids if i not in self._id_index]
        extra = sorted(set(self.ids) - set(ids))
        if missing or extra or len(ids) != self.n:
            parts = []
            if missing:
                parts.append(f"ids in the data but not in W: {format_items(missing)}")
            if extra:
                parts.append(f"ids in W but not in the data: {format_items(extra)}")
            if not parts:
                parts.append("the data repeat some ids")
            label = f"weights {self.name!r}" if self.name else "the weights"
            hint = ""
            if extra and not missing:  # W built over a larger layer than the panel covers
                hint = (f" W has {self.n} units and the data {len(set(ids))}: build W over the data's units only "
                        "(spillmap weights --subset-column COL --subset-values a,b; a study's [layer.subset]; "
                        "Python: w.subset(ids).row_standardize())")
            raise WeightsError(f"{label} do not match the data's units; " + "; ".join(parts) + "." + hint)
        order = np.array([self._id_index[i] for i in ids])
        return self._derived(self.sparse[order][:, order], ids, self.transform)

    def subset(self, ids: Sequence[object]) -> SpatialWeights:
        """The sub-matrix of the units ``ids`` (in that order), *not* re-standardised.

        Parameters
        ----------
        ids
            The units kept, in their new order (a list, tuple, array or pandas Index; not text).

        Returns
        -------
        SpatialWeights
            The sub-matrix; transform ``"O"`` when W was row-standardised (its rows no longer sum to 1).

        Raises
        ------
        InputError
            ``ids`` is not a sequence of ids (``None``, a number, a single string).
        WeightsError
            Ids that are not in W (listed).
        """
        ids = _id_list(ids, "subset")
        missing = [i for i in ids if i not in self._id_index]
        if missing:
            raise WeightsError(f"ids not in the weights matrix: {format_items(missing)}.")
        order = np.array([self._id_index[i] for i in ids], dtype=int)
        t = "O" if self.transform == "R" else self.transform
        return self._derived(self.sparse[order][:, order], ids, t)

    @functools.cached_property
    def neighbors(self) -> Neighbors:
        """``{id: neighbour ids}`` (non-zero weights of each row, in column order), a read-only
        mapping like libpysal's ``W.neighbors``; ``w.neighbors()``, from when it was a method,
        returns the same mapping."""
        m = self.sparse
        return Neighbors({
            u: tuple(self.ids[j] for j in m.indices[m.indptr[i] : m.indptr[i + 1]])
            for i, u in enumerate(self.ids)
        })

    def to_frame(self) -> pd.DataFrame:
        """The links as a long frame, one row per non-zero weight in row order: ``focal``,
        ``neighbor`` (ids as text) and ``weight`` (islands have no row; ``summary()`` lists them)."""
        import pandas as pd

        m = self.sparse
        ids = np.asarray(self.ids, dtype=object)
        rows = np.repeat(np.arange(self.n), np.diff(m.indptr))
        return pd.DataFrame({"focal": ids[rows], "neighbor": ids[m.indices], "weight": m.data})


def _id_list(ids: object, method: str) -> list[str]:
    """``ids`` as a list of text ids; InputError naming ``method`` when it is not a sequence of ids."""
    try:
        if isinstance(ids, (str, bytes, dict)):
            raise TypeError
        return [str(i) for i in ids]  # type: ignore[union-attr]
    except TypeError:
        raise InputError(f"{method}(ids) takes the unit ids as a list (e.g. w.{method}(list_of_ids)); "
                         f"got {type(ids).__name__} {ids!r:.60}.") from None
