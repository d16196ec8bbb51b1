"""The neighbour lists of a :class:`~spillmap.spatial.weights.SpatialWeights`, as a read-only
mapping (``SpatialWeights.neighbors``)."""
from __future__ import annotations

from collections.abc import Iterator, Mapping

__all__ = ["Neighbors"]


class Neighbors(Mapping[str, tuple[str, ...]]):
    """``{id: neighbour ids}``, read-only: ``w.neighbors["AL"]``, ``w.neighbors.items()``, as with
    libpysal's ``W.neighbors`` dict.

    ``neighbors`` was a method before it became a property (like ``islands`` and
    ``eigenvalues``): calling it, ``w.neighbors()``, returns the same mapping, so code written
    either way works.  Equal to any mapping with the same items (a plain dict included).
    """

    __slots__ = ("_lists",)

    def __init__(self, lists: dict[str, tuple[str, ...]]) -> None:
        self._lists = lists

    def __getitem__(self, unit: str) -> tuple[str, ...]:
        return self._lists[unit]

    def __iter__(self) -> Iterator[str]:
        return iter(self._lists)

    def __len__(self) -> int:
        return len(self._lists)

    def __call__(self) -> Neighbors:
        """This mapping (``w.neighbors()`` as written when it was a method)."""
        return self

    def __repr__(self) -> str:
        return f"Neighbors({self._lists!r})"
