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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from spillmap.errors import InputError, WeightsError, WeightsWarning, format_items
from spillmap.spatial._neighbors import Neighbors
from spillmap.spatial._spectrum import symmetrizer as _symmetrizer  # noqa: F401 - the one symmetrizer (tests import it here)
from spillmap.spatial._weights_convert import checked_csr, libpysal_parts, to_graph, to_libpysal
from spillmap.spatial._weights_summary import IslandPolicy, WeightsSummary

if TYPE_CHECKING:
    import libpysal
    import pandas as pd
    from numpy.typing import ArrayLike

__all__ = ["SpatialWeights", "WeightsSummary", "IslandPolicy", "Transform", "warn_islands", "lag_panel"]

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

    # ------------------------------------------------------------------- lags
    def lag(self, x: ArrayLike | pd.Series | pd.DataFrame) -> np.ndarray | pd.Series | pd.DataFrame:
        """Spatial lag ``W x`` of a vector or of the columns of an (N, k) array.

        Parameters
        ----------
        x
            One value per unit.  A pandas Series or DataFrame is matched to the units **by its
            index** (reordered to ``w.ids``; integer ids match their text, ``1`` -> ``"1"``),
            except a default ``RangeIndex`` (``df[col]`` of a frame with a default index),
            which, like a NumPy array or a list, is taken to be in W's order (``w.ids``).

        Returns
        -------
        numpy.ndarray or pandas.Series or pandas.DataFrame
            An array for an array; for a Series/DataFrame the same type, its rows in the order of
            ``w.ids`` and labelled with ``x``'s own index labels (so ``x - w.lag(x)`` aligns),
            keeping ``x``'s name or columns.

        Raises
        ------
        InputError
            ``x`` is text, a scalar, non-numeric or has more than 2 dimensions.
        WeightsError
            The index of a Series/DataFrame does not hold W's ids (missing, extra and repeated
            ids listed), is a MultiIndex (use :meth:`lag_panel`), or ``x`` has a number of rows
            other than N.
        """
        from spillmap.spatial._weights_values import align_units, float_values, is_pandas

        frame = align_units(x, self, "x") if is_pandas(x) else None
        arr = float_values(x if frame is None else frame, "x")
        if arr.shape[0] != self.n:
            raise WeightsError(f"cannot lag an array of {arr.shape[0]} rows with a {self.n}-unit W; "
                               "pass one value per unit, in the order of w.ids.")
        return _like(frame, np.asarray(self.sparse @ arr))

    def lag_panel(self, x: ArrayLike | pd.Series | pd.DataFrame, t: int) -> np.ndarray | pd.Series | pd.DataFrame:
        """Spatial lag ``(I_T kron W) x`` of data stacked by period (time-major, id-minor).

        No NT x NT matrix is formed.

        Parameters
        ----------
        x
            N*T values (a vector or an (N*T, k) array).  A NumPy array, a list or a pandas
            object with a default ``RangeIndex`` is taken to be ordered (t=1: all ids in the
            order of ``w.ids``, t=2: all ids, ...), as :func:`spillmap.geo.join_panel` returns
            panels.  A Series/DataFrame indexed by ``(id, time)`` (or ``(time, id)``) is
            reordered **by its index** to that order, periods sorted.
        t
            The number of periods T, an integer >= 1.

        Returns
        -------
        numpy.ndarray or pandas.Series or pandas.DataFrame
            An array for an array; for a Series/DataFrame the same type, rows stacked
            time-major, id-minor, labelled with ``x``'s own index labels.

        Raises
        ------
        InputError
            ``t`` is not an integer >= 1, or ``x`` is text, a scalar, non-numeric or has more
            than 2 dimensions.
        WeightsError
            A Series/DataFrame with a one-level index other than a default ``RangeIndex``
            (its rows' (id, time) is unknown), with ids that are not W's, other than ``t``
            periods, or repeated or missing (id, time) cells; or ``x`` without N*T rows.
        """
        from spillmap.spatial._weights_values import align_panel, check_periods_arg, float_values, is_pandas

        t = check_periods_arg(t)
        frame = align_panel(x, self, t, "x") if is_pandas(x) else None
        arr = float_values(x if frame is None else frame, "x")
        if arr.shape[0] != self.n * t:
            raise WeightsError(f"cannot lag {arr.shape[0]} rows as a panel of N={self.n} x T={t}; "
                               "pass N*T values stacked time-major, id-minor.")
        return _like(frame, lag_panel(self.sparse, arr, t))

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


def _id_list(ids: object, method: str) -> list[str]:
    """``ids`` as a list of text ids; InputError naming ``method`` when it is not a sequence of ids."""
    try:
        if isinstance(ids, (str, bytes, dict)):
            raise TypeError
        return [str(i) for i in ids]  # type: ignore[union-attr]
    except TypeError:
        raise InputError(f"{method}(ids) takes the unit ids as a list (e.g. w.{method}(list_of_ids)); "
                         f"got {type(ids).__name__} {ids!r:.60}.") from None


def _like(frame: pd.Series | pd.DataFrame | None, values: np.ndarray) -> np.ndarray | pd.Series | pd.DataFrame:
    """``values`` as the pandas type of ``frame`` (its index, name or columns); as is without one."""
    if frame is None:
        return values
    import pandas as pd

    if isinstance(frame, pd.Series):
        return pd.Series(values, index=frame.index, name=frame.name)
    return pd.DataFrame(values, index=frame.index, columns=frame.columns)


def lag_panel(m: sp.spmatrix, x: np.ndarray, t: int) -> np.ndarray:
    """``(I_T kron M) x`` for rows stacked time-major, id-minor, period by period.

    ``M`` is any N x N sparse matrix (``W``, ``W'``, ``W + W'``); ``x`` has ``N * T``
    rows (a vector or an array with more columns).  The one implementation of the
    panel lag: :meth:`SpatialWeights.lag_panel` checks its input and calls it, and the
    tests that lag with ``W'`` or ``W + W'`` call it directly.

    Parameters
    ----------
    m
        N x N sparse matrix.
    x
        ``N * T`` rows stacked time-major, id-minor (not checked here).
    t
        Number of periods T.
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
