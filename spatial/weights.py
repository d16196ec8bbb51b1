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
:mod:`~spillmap.spatial._spectrum`.

Verification (``tests/test_weights_core.py``): the transforms, alignment and the
time-major panel lag on hand examples; the eigenvalues of symmetrisable W (us48 contiguity
and inverse distance) against ``numpy.linalg.eigvals`` of the dense matrix to 1e-10, and
the bounds of rho of an asymmetric kNN W; the libpysal ``W`` / ``Graph`` round trips.
"""
from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from spillmap.errors import WeightsError, WeightsWarning, format_items
from spillmap.spatial._spectrum import symmetrizer as _symmetrizer  # noqa: F401 - the one symmetrizer (tests import it here)
from spillmap.spatial._weights_convert import checked_csr, libpysal_parts, to_graph, to_libpysal
from spillmap.spatial._weights_summary import WeightsSummary

if TYPE_CHECKING:
    import libpysal
    import pandas as pd
    from numpy.typing import ArrayLike

__all__ = ["SpatialWeights", "WeightsSummary", "Transform", "warn_islands", "lag_panel"]

Transform = Literal["O", "B", "R"]
_TRANSFORM_NAMES = {"O": "original", "B": "binary", "R": "row-standardised"}


@dataclass(frozen=True, eq=False)
class SpatialWeights:
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

    def __post_init__(self) -> None:
        m, ids = checked_csr(self.sparse, self.ids, self.name)
        if self.transform not in _TRANSFORM_NAMES:
            raise WeightsError(f"transform must be one of {sorted(_TRANSFORM_NAMES)}, got {self.transform!r}.")
        object.__setattr__(self, "sparse", m)
        object.__setattr__(self, "ids", ids)

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

    @property
    def islands(self) -> tuple[str, ...]:
        """Ids of units without neighbours (zero rows)."""
        return tuple(self.ids[i] for i in np.flatnonzero(self.cardinalities == 0))

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

    def index_of(self, unit_id: str) -> int:
        """Row index of ``unit_id``."""
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
        """A new row-standardised copy: ``w_ij / sum_j w_ij``; island rows stay zero."""
        rs = np.asarray(self.sparse.sum(axis=1)).ravel()
        inv = np.divide(1.0, rs, out=np.zeros_like(rs), where=rs > 0)
        return SpatialWeights(sp.diags(inv) @ self.sparse, self.ids, "R", self.name)

    def binary(self) -> SpatialWeights:
        """A new binary copy: 1 where ``w_ij > 0``."""
        m = self.sparse.copy()
        m.data = np.ones_like(m.data)
        return SpatialWeights(m, self.ids, "B", self.name)

    def align(self, ids: Sequence[object]) -> SpatialWeights:
        """Reorder to ``ids`` (the same set of units in another order).

        Raises
        ------
        WeightsError
            When the id sets differ; the message lists ids missing on each side.
        """
        ids = [str(i) for i in ids]
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
        return SpatialWeights(self.sparse[order][:, order], tuple(ids), self.transform, self.name)

    def subset(self, ids: Sequence[object]) -> SpatialWeights:
        """The sub-matrix of the units ``ids`` (in that order), *not* re-standardised."""
        ids = [str(i) for i in ids]
        missing = [i for i in ids if i not in self._id_index]
        if missing:
            raise WeightsError(f"ids not in the weights matrix: {format_items(missing)}.")
        order = np.array([self._id_index[i] for i in ids], dtype=int)
        t = "O" if self.transform == "R" else self.transform
        return SpatialWeights(self.sparse[order][:, order], tuple(ids), t, self.name)

    # ------------------------------------------------------------------- lags
    def lag(self, x: np.ndarray) -> np.ndarray:
        """Spatial lag ``W x`` of a vector or of the columns of an (N, k) array."""
        x = np.asarray(x, dtype=float)
        if x.shape[0] != self.n:
            raise WeightsError(f"cannot lag an array of {x.shape[0]} rows with a {self.n}-unit W.")
        return np.asarray(self.sparse @ x)

    def lag_panel(self, x: np.ndarray, t: int) -> np.ndarray:
        """Spatial lag ``(I_T kron W) x`` of data stacked by period (time-major, id-minor).

        ``x`` has N*T rows ordered (t=1: all ids, t=2: all ids, ...), as
        :func:`spillmap.geo.join_panel` returns panels.  No NT x NT matrix is formed.
        """
        x = np.asarray(x, dtype=float)
        if x.shape[0] != self.n * t:
            raise WeightsError(f"cannot lag {x.shape[0]} rows as a panel of N={self.n} x T={t}.")
        return lag_panel(self.sparse, x, t)

    # ------------------------------------------------------------ eigenvalues
    @functools.cached_property
    def eigenvalues(self) -> np.ndarray:
        """All eigenvalues of W (dense, O(N^3); cached; for N up to a few thousand).

        * W symmetric: ``numpy.linalg.eigvalsh`` (real, ascending).
        * W *symmetrisable*, i.e. ``D W`` symmetric for a positive diagonal ``D`` (every
          row-standardised symmetric matrix: contiguity, distance bands, inverse
          distance, with ``D`` the original row sums): W is similar to the symmetric
          ``D^1/2 W D^-1/2``, whose eigenvalues come from ``eigvalsh`` (real, ascending,
          no spurious imaginary parts), or from LAPACK's banded solver after a reverse
          Cuthill-McKee reordering when that band is narrow (contiguity: 4x faster at
          N = 2,500; :mod:`spillmap.spatial._spectrum`).  ``D`` is found by a
          breadth-first pass over the neighbour graph.
        * Otherwise (k-nearest neighbours, economic-geographic product, nested):
          ``numpy.linalg.eigvals``; returned real and sorted when every imaginary part
          is below ``1e-10 * max|lambda|``, else as ``complex128`` (unsorted).
        """
        from spillmap.spatial._spectrum import eigenvalues

        return eigenvalues(self.sparse, self.is_symmetric)

    @property
    def rho_bounds(self) -> tuple[float, float]:
        """``(1/lambda_min, 1/lambda_max)`` over the *real* eigenvalues of W.

        This is the interval around 0 in which ``I - rho W`` is non-singular: for
        real ``rho``, ``det(I - rho W) = prod_k (1 - rho lambda_k)`` vanishes only at
        ``rho = 1/lambda_k`` for a real ``lambda_k`` (complex eigenvalues come in
        conjugate pairs whose factor ``|1 - rho lambda|^2`` stays positive).

        * Symmetric W, or a row-standardised symmetric W (similar to a symmetric
          matrix): all eigenvalues are real and the bounds are the usual ones; with
          row-standardisation ``lambda_max = 1``, so the upper bound is 1.
        * Asymmetric W (k-nearest neighbours, economic-geographic product, nested):
          the eigenvalues may be complex; only those with ``|Im| < 1e-10 * max|lambda|``
          count as real.  A non-negative row-standardised W still has the real Perron
          root 1, so the upper bound is 1; the lower bound is ``1/lambda_min`` over the
          real eigenvalues (``-inf`` when none is negative).

        Computed from :attr:`eigenvalues` (dense, exact; for N up to a few thousand).
        """
        from spillmap.spatial._spectrum import rho_bounds

        return rho_bounds(self.eigenvalues)

    # ----------------------------------------------------------- comparisons
    def neighbors(self) -> dict[str, tuple[str, ...]]:
        """``{id: neighbour ids}`` (non-zero weights of each row, in column order)."""
        m = self.sparse
        return {
            u: tuple(self.ids[j] for j in m.indices[m.indptr[i] : m.indptr[i + 1]])
            for i, u in enumerate(self.ids)
        }

    def to_frame(self) -> pd.DataFrame:
        """The links as a long frame, one row per non-zero weight in row order: ``focal``,
        ``neighbor`` (ids as text) and ``weight`` (islands have no row; ``summary()`` lists them)."""
        import pandas as pd

        m = self.sparse
        ids = np.asarray(self.ids, dtype=object)
        rows = np.repeat(np.arange(self.n), np.diff(m.indptr))
        return pd.DataFrame({"focal": ids[rows], "neighbor": ids[m.indices], "weight": m.data})

    def equals(self, other: SpatialWeights, *, rtol: float = 0.0, atol: float = 0.0, order: bool = True) -> bool:
        """True when ``other`` has the same ids (in the same order unless ``order=False``)
        and the same non-zero pattern, with weights equal to ``|a - b| <= atol + rtol*|b|``.
        ``transform`` and ``name`` are not compared."""
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
        )

    def __repr__(self) -> str:
        label = f" {self.name!r}" if self.name else ""
        return (
            f"<SpatialWeights{label}: n={self.n}, nnz={self.nnz}, "
            f"mean neighbours={self.cardinalities.mean():.2f}, islands={len(self.islands)}, "
            f"{_TRANSFORM_NAMES[self.transform]}>"
        )

    def _repr_html_(self) -> str:
        return self.summary()._html(f"SpatialWeights {self.name}".strip())

    # ------------------------------------------------------------ conversions
    @classmethod
    def from_sparse(cls, matrix: sp.spmatrix | sp.sparray | ArrayLike, ids: Sequence[object], *,
                    name: str = "") -> SpatialWeights:
        """From a scipy sparse or dense array and the row ids."""
        return cls(matrix, tuple(ids), "O", name)

    @classmethod
    def from_dense(cls, matrix: ArrayLike, ids: Sequence[object], *, transform: Transform = "O",
                   name: str = "") -> SpatialWeights:
        """From a dense N x N array (or nested lists) and the row ids; zeros are dropped."""
        m = np.asarray(matrix, dtype=float)
        if m.ndim != 2:
            raise WeightsError(f"weights must be a 2-D matrix, got {m.ndim} dimension(s).")
        return cls(m, tuple(ids), transform, name)

    @classmethod
    def from_libpysal(cls, w: libpysal.weights.W | libpysal.graph.Graph, *, name: str = "") -> SpatialWeights:
        """From a libpysal ``W`` (its ``id_order`` gives the row order) or ``Graph``."""
        m, ids, transform = libpysal_parts(w)
        return cls(m, tuple(ids), transform, name)

    def to_libpysal(self) -> libpysal.weights.W:
        """A libpysal ``W`` with the same ids (as strings), order and weights."""
        return to_libpysal(self)

    def to_graph(self) -> libpysal.graph.Graph:
        """A libpysal ``Graph`` with the same ids, order and weights (islands kept)."""
        return to_graph(self)


def lag_panel(m: sp.spmatrix, x: np.ndarray, t: int) -> np.ndarray:
    """``(I_T kron M) x`` for rows stacked time-major, id-minor, period by period.

    ``M`` is any N x N sparse matrix (``W``, ``W'``, ``W + W'``); ``x`` has ``N * T``
    rows (a vector or an array with more columns).  The one implementation of the
    panel lag: :meth:`SpatialWeights.lag_panel` checks its input and calls it, and the
    tests that lag with ``W'`` or ``W + W'`` call it directly.
    """
    xr = x.reshape((t, m.shape[0]) + x.shape[1:])
    out = np.empty_like(xr)
    for s in range(t):
        out[s] = m @ xr[s]
    return out.reshape(x.shape)


def warn_islands(w: SpatialWeights, *, stacklevel: int = 3) -> str:
    """Emit ``w.islands_warning`` as a :class:`~spillmap.errors.WeightsWarning` (if W has islands).

    Returns the message (``""`` when W has no islands).  Called by the Moran tests and
    the estimators, so that a W built with ``islands="keep"`` (or read from a file with
    zero rows) never reaches a result silently.
    """
    msg = w.islands_warning
    if msg:
        warnings.warn(msg, WeightsWarning, stacklevel=stacklevel)
    return msg
