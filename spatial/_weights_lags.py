"""Spatial lags: ``W x`` of one value per unit and ``(I_T kron W) x`` of a panel stacked by period.

:class:`LagMethods` gives :class:`~spillmap.spatial.weights.SpatialWeights` :meth:`~LagMethods.lag`
and :meth:`~LagMethods.lag_panel` (pandas input matched to the units by its index);
:func:`lag_panel` is the one implementation of the panel lag for any N x N sparse matrix.  Both
re-exported by :mod:`spillmap.spatial.weights`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from spillmap.errors import WeightsError

if TYPE_CHECKING:
    import pandas as pd
    import scipy.sparse as sp
    from numpy.typing import ArrayLike

__all__ = ["LagMethods", "lag_panel"]


class LagMethods:
    """The spatial lags of :class:`~spillmap.spatial.weights.SpatialWeights` (a base class of it; no state)."""

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
