"""The spatial weights type used by every spillmap layer.

:class:`SpatialWeights` is an immutable sparse (CSR) matrix plus the ordered unit
ids.  Transforms (:meth:`SpatialWeights.row_standardize`, :meth:`binary`,
:meth:`align`) return new objects; nothing mutates the caller's weights (unlike
libpysal's ``W.transform = "r"``).  It converts to and from libpysal ``W`` and
``Graph`` (:meth:`SpatialWeights.from_libpysal`, :meth:`to_libpysal`, :meth:`to_graph`).

Written by hand (no library has it in this form): the immutable container and its
validation, the transforms, the time-major panel lag, the summary, and the exact
eigenvalues: symmetric and *symmetrisable* W (``D W`` symmetric, e.g. every
row-standardised contiguity or inverse-distance matrix) go through
``numpy.linalg.eigvalsh`` on a similar symmetric matrix, so their eigenvalues are
real to machine precision; other W through ``numpy.linalg.eigvals``.

Builders (contiguity, distance, economic-geographic) live in
:mod:`spillmap.spatial.builders`; reading and writing in :mod:`spillmap.spatial.io`.
Layout: the validation and the libpysal conversions are in
:mod:`~spillmap.spatial._weights_convert`, the summary type in
:mod:`~spillmap.spatial._weights_summary`, the eigenvalues in
:mod:`~spillmap.spatial._spectrum`.  The methods are grouped by purpose in base classes of
:class:`SpatialWeights`: reordering, restricting and reading the links in
:mod:`~spillmap.spatial._weights_units`, the spatial lags (and :func:`lag_panel`) in
:mod:`~spillmap.spatial._weights_lags`, the eigenvalues and the rho interval in
:mod:`~spillmap.spatial._weights_eigen`, the islands (and :func:`warn_islands`) in
:mod:`~spillmap.spatial._weights_islands`; this module keeps the container, its basic
properties, the transforms, comparison, summary and conversions.

Verification (``tests/test_weights_core.py``): the transforms, alignment and the
time-major panel lag on hand examples; the eigenvalues of symmetrisable W (us48 contiguity
and inverse distance) against ``numpy.linalg.eigvals`` of the dense matrix to 1e-10, and
the bounds of rho of an asymmetric kNN W; the libpysal ``W`` / ``Graph`` round trips.
"""
from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import scipy.sparse as sp

from spillmap.errors import InputError, WeightsError
from spillmap.spatial._neighbors import Neighbors  # noqa: F401 (re-exported)
from spillmap.spatial._spectrum import symmetrizer as _symmetrizer  # noqa: F401 - the one symmetrizer (tests import it here)
from spillmap.spatial._weights_convert import checked_csr, libpysal_parts, to_graph, to_libpysal
from spillmap.spatial._weights_eigen import SpectrumMethods
from spillmap.spatial._weights_islands import IslandMethods, warn_islands
from spillmap.spatial._weights_lags import LagMethods, _like, lag_panel  # noqa: F401 (re-exported)
from spillmap.spatial._weights_summary import IslandPolicy, WeightsSummary
from spillmap.spatial._weights_units import UnitsMethods, _id_list  # noqa: F401 (re-exported)

if TYPE_CHECKING:
    import libpysal
    from numpy.typing import ArrayLike

__all__ = ["SpatialWeights", "WeightsSummary", "IslandPolicy", "Transform", "warn_islands", "lag_panel"]

Transform = Literal["O", "B", "R"]
_TRANSFORM_NAMES = {"O": "original", "B": "binary", "R": "row-standardised"}


@dataclass(frozen=True, eq=False)
class SpatialWeights(UnitsMethods, LagMethods, SpectrumMethods, IslandMethods):
    """An immutable N x N spatial weights matrix with its ordered unit ids.

    Parameters
    ----------
    sparse
        The weights, any scipy sparse matrix or array (stored as read-only CSR,
        ``float64``, explicit zeros removed).  ``w_ij`` is the weight of unit ``j``
        in the spatial lag of unit ``i``: ``(Wy)_i = sum_j w_ij y_j``.
    ids
        The unit ids in row order (stored as strings).
    transform
        ``"O"`` original, ``"B"`` binary, ``"R"`` row-standardised; informational,
        set by the transforms.
    name
        A label, e.g. ``"W1 queen"``.
    island_policy
        Keyword only: what the builder did with the islands of its neighbour rule
        (:class:`~spillmap.spatial._weights_summary.IslandPolicy`; set by
        :func:`~spillmap.spatial.builders.contiguity`), shown by ``summary()`` and ``repr``;
        kept by the transforms, :meth:`align` and :meth:`subset`; ``None`` for a W read from a file.

    Raises
    ------
    WeightsError
        Not square, ids of the wrong length or not unique, NaN/inf or negative
        weights, or a non-zero diagonal.
    """

    sparse: sp.csr_matrix
    ids: tuple[str, ...]
    transform: Transform = "O"
    name: str = ""
    island_policy: IslandPolicy | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        m, ids = checked_csr(self.sparse, self.ids, self.name)
        if self.transform not in _TRANSFORM_NAMES:
            raise WeightsError(f"transform must be one of {sorted(_TRANSFORM_NAMES)}, got {self.transform!r}.")
        if self.island_policy is not None and not isinstance(self.island_policy, IslandPolicy):
            raise InputError(f"island_policy must be an IslandPolicy or None, got {type(self.island_policy).__name__}.")
        object.__setattr__(self, "sparse", m)
        object.__setattr__(self, "ids", ids)

    def __reduce__(self) -> tuple:
        """Pickle and ``copy.deepcopy`` through the constructor: the copy is checked and read-only too (a
        pickled copy had writable arrays and kept the original's cached properties; API audit 29 #5)."""
        return (functools.partial(type(self), island_policy=self.island_policy),
                (self.sparse, self.ids, self.transform, self.name))

    def _derived(self, sparse, ids: Sequence[str], transform: Transform) -> SpatialWeights:
        """A W of the same name and island record (restricted to ``ids``) with these weights."""
        policy = self.island_policy
        if policy is not None and tuple(ids) != self.ids:
            policy = policy.within(tuple(ids))
        return SpatialWeights(sparse, tuple(ids), transform, self.name, island_policy=policy)

    # ------------------------------------------------------------------ basics
    @property
    def n(self) -> int:
        """Number of units."""
        return self.sparse.shape[0]

    @property
    def nnz(self) -> int:
        """Number of non-zero weights."""
        return int(self.sparse.nnz)

    @functools.cached_property
    def cardinalities(self) -> np.ndarray:
        """Number of neighbours of each unit (non-zero weights per row)."""
        return np.diff(self.sparse.indptr)

    @functools.cached_property
    def is_symmetric(self) -> bool:
        """True when W equals its transpose (to 1e-12)."""
        d = self.sparse - self.sparse.T
        return bool(d.nnz == 0 or np.max(np.abs(d.data)) <= 1e-12)

    @functools.cached_property
    def has_symmetric_pattern(self) -> bool:
        """True when ``w_ij != 0`` exactly when ``w_ji != 0``."""
        p = (self.sparse != 0).astype(np.int8)
        return bool((p - p.T).nnz == 0)

    @functools.cached_property
    def is_row_standardized(self) -> bool:
        """True when every non-island row sums to one (to 1e-10)."""
        rs = np.asarray(self.sparse.sum(axis=1)).ravel()
        rs = rs[self.cardinalities > 0]
        return bool(rs.size and np.allclose(rs, 1.0, atol=1e-10, rtol=0))


    def index_of(self, unit_id: str) -> int:
        """Row index of ``unit_id``.

        Parameters
        ----------
        unit_id
            A unit id of W (compared as text: ``101`` finds ``"101"``).

        Raises
        ------
        WeightsError
            ``unit_id`` is not in W.
        """
        try:
            return self._id_index[str(unit_id)]
        except KeyError:
            raise WeightsError(f"id {unit_id!r} is not in the weights matrix {self.name or ''}.") from None

    @functools.cached_property
    def _id_index(self) -> dict[str, int]:
        return {u: i for i, u in enumerate(self.ids)}

    def toarray(self) -> np.ndarray:
        """A dense copy (for small N and tests only)."""
        return self.sparse.toarray()

    # -------------------------------------------------------------- transforms
    def row_standardize(self) -> SpatialWeights:
        """A new row-standardised copy: ``w_ij / sum_j w_ij``; island rows stay zero.

        The copy keeps ``name`` (``transform`` becomes ``"R"``); :attr:`label`, ``repr`` and
        ``summary()`` show the transform next to it.

        Returns
        -------
        SpatialWeights
        """
        rs = np.asarray(self.sparse.sum(axis=1)).ravel()
        inv = np.divide(1.0, rs, out=np.zeros_like(rs), where=rs > 0)
        return self._derived(sp.diags(inv) @ self.sparse, self.ids, "R")

    def binary(self) -> SpatialWeights:
        """A new binary copy: 1 where ``w_ij > 0``."""
        m = self.sparse.copy()
        m.data = np.ones_like(m.data)
        return self._derived(m, self.ids, "B")

    # ----------------------------------------------------------- comparisons
    def equals(self, other: SpatialWeights, *, rtol: float = 0.0, atol: float = 0.0, order: bool = True) -> bool:
        """True when ``other`` has the same ids (in the same order unless ``order=False``)
        and the same non-zero pattern, with weights equal to ``|a - b| <= atol + rtol*|b|``.
        ``transform`` and ``name`` are not compared.

        Parameters
        ----------
        other
            The weights to compare with (anything else is not equal).
        rtol, atol
            Relative and absolute tolerance of the weights (default 0: exactly equal).
        order
            ``True`` (default): the ids must be in the same order; ``False``: the same set of
            ids, ``other`` aligned to this order before comparing.
        """
        if not isinstance(other, SpatialWeights) or self.n != other.n:
            return False
        if not order:
            if set(self.ids) != set(other.ids):
                return False
            other = other.align(self.ids)
        elif self.ids != other.ids:
            return False
        a, b = self.sparse, other.sparse
        if a.nnz != b.nnz or not (np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)):
            return False
        return bool(np.all(np.abs(a.data - b.data) <= atol + rtol * np.abs(b.data)))

    # -------------------------------------------------------------- summaries
    def summary(self) -> WeightsSummary:
        """n, non-zeros, min/mean/max neighbours, islands, components, symmetry, standardisation."""
        c = self.cardinalities
        return WeightsSummary(
            n=self.n,
            nnz=self.nnz,
            min_neighbors=int(c.min()) if c.size else 0,
            mean_neighbors=float(c.mean()) if c.size else 0.0,
            max_neighbors=int(c.max()) if c.size else 0,
            islands=self.islands,
            n_components=self.n_components,
            symmetric=self.is_symmetric,
            symmetric_pattern=self.has_symmetric_pattern,
            row_standardized=self.is_row_standardized,
            transform=_TRANSFORM_NAMES[self.transform],
            island_policy=self.island_policy,
        )

    def __repr__(self) -> str:
        label = f" {self.name!r}" if self.name else ""
        policy = self.island_policy
        linked = "" if policy is None else f" ({len(policy.ids)} {'dropped' if policy.policy == 'drop' else 'linked'})"
        return (
            f"<SpatialWeights{label}: n={self.n}, nnz={self.nnz}, "
            f"mean neighbours={self.cardinalities.mean():.2f}, islands={len(self.islands)}{linked}, "
            f"{_TRANSFORM_NAMES[self.transform]}>"
        )

    @property
    def label(self) -> str:
        """``name`` with the transform, e.g. ``"cigar_w_usa46_binary (row-standardised)"``.

        Transforms keep ``name`` (a label chosen by the builder, the file or the user, also used
        to find W again); displays show this label so that a binary-sounding name on a
        row-standardised W never hides its transform.

        Returns
        -------
        str
            ``"<name> (<transform>)"``, or the transform alone for an unnamed W.
        """
        transform = _TRANSFORM_NAMES[self.transform]
        return f"{self.name} ({transform})" if self.name else transform

    def _repr_html_(self) -> str:
        return self.summary()._html(f"SpatialWeights {self.label}")

    # ------------------------------------------------------------ conversions
    @classmethod
    def from_sparse(cls, matrix: sp.spmatrix | sp.sparray | ArrayLike, ids: Sequence[object], *,
                    name: str = "") -> SpatialWeights:
        """From a scipy sparse or dense array and the row ids.

        Parameters
        ----------
        matrix
            N x N weights (scipy sparse matrix or array, or a dense array), used as given
            (``transform`` is ``"O"``).
        ids
            Unit ids in row order (stored as text).
        name
            Label of the matrix (shown in summaries and tables).
        """
        return cls(matrix, tuple(ids), "O", name)

    @classmethod
    def from_dense(cls, matrix: ArrayLike, ids: Sequence[object], *, transform: Transform = "O",
                   name: str = "") -> SpatialWeights:
        """From a dense N x N array (or nested lists) and the row ids; zeros are dropped.

        Parameters
        ----------
        matrix
            N x N weights (a 2-D array or nested lists).
        ids
            Unit ids in row order (stored as text).
        transform
            The transform the values already have (``"O"``, default: none; ``"R"``, ``"B"``), a
            label only: the values are not changed.
        name
            Label of the matrix (shown in summaries and tables).

        Raises
        ------
        WeightsError
            ``matrix`` is not 2-D.
        """
        m = np.asarray(matrix, dtype=float)
        if m.ndim != 2:
            raise WeightsError(f"weights must be a 2-D matrix, got {m.ndim} dimension(s).")
        return cls(m, tuple(ids), transform, name)

    @classmethod
    def from_libpysal(cls, w: libpysal.weights.W | libpysal.graph.Graph, *, name: str = "") -> SpatialWeights:
        """From a libpysal ``W`` (its ``id_order`` gives the row order) or ``Graph``.

        Parameters
        ----------
        w
            A ``libpysal.weights.W`` or ``libpysal.graph.Graph``; its transform is kept.
        name
            Label of the matrix (shown in summaries and tables).
        """
        m, ids, transform = libpysal_parts(w)
        return cls(m, tuple(ids), transform, name)

    def to_libpysal(self) -> libpysal.weights.W:
        """A libpysal ``W`` with the same ids (as strings), order and weights."""
        return to_libpysal(self)

    def to_graph(self) -> libpysal.graph.Graph:
        """A libpysal ``Graph`` with the same ids, order and weights (islands kept)."""
        return to_graph(self)
