"""The validated panel of a spatial panel model, in estimation order.

:class:`_PanelData` holds what :func:`~spillmap.estimation._data.build_panel_data` checked and
arranged (time-major, id-minor, ids in ``w``'s order): ``y``, ``X``, the spatial lags ``Wy`` and
``WX`` formed on the raw data, the names, N, T and the effects; and it gives the estimators the
within-transformed ``(Q y, Q W y, Q Z, Q W Z)``.  :data:`KIND`, :data:`DURBIN` and
:data:`SPATIAL_PARAM` say, per model, the kind of likelihood, whether regressors are lagged and the
name of the spatial parameter.  Re-exported by :mod:`spillmap.estimation.model`.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from spillmap.spatial.weights import SpatialWeights

from ._transform import demean

#: model -> kind of likelihood ("lag", "error", "none")
KIND = {"sar": "lag", "sdm": "lag", "sem": "error", "sdem": "error", "slx": "none", "sac": "sac"}
#: models with spatially lagged regressors
DURBIN = ("sdm", "slx", "sdem")
#: name of the spatial parameter
SPATIAL_PARAM = {"sar": "rho", "sdm": "rho", "sem": "lambda", "sdem": "lambda"}


# --------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _PanelData:
    """The validated panel in estimation order (time-major, id-minor, ids in ``w``'s order).

    Attributes
    ----------
    y
        Dependent variable, raw (N*T,).
    X
        Regressors, raw (N*T, k), including ``const`` when effects are none/random.
    WX
        Spatially lagged regressors ``(I_T kron W) X[:, wx]`` (N*T, q), formed on the raw data.
    Wy
        ``(I_T kron W) y`` on the raw data.
    x_names, wx_names
        Column names of ``X`` and ``WX`` (``W_<x>``); ``wx_source`` names the lagged ``x``.
    """

    y: np.ndarray
    X: np.ndarray
    WX: np.ndarray
    x_names: tuple[str, ...]
    wx_names: tuple[str, ...]
    w: SpatialWeights
    n: int
    t: int
    ids: tuple[str, ...]
    times: tuple[Any, ...]
    y_name: str
    effects: str
    model: str
    Wy: np.ndarray
    wx_source: tuple[str, ...] = ()
    has_const: bool = False
    #: messages of the DataWarnings raised while the panel was built (e.g. gaps between periods)
    warnings: tuple[str, ...] = ()
    #: what the data are when every output must say it: the data frame's ``attrs["notice"]``
    #: (:func:`spillmap.datasets.demo_panel`'s synthetic-data notice), read once by :class:`SpatialPanel`
    notice: str = ""

    def __post_init__(self) -> None:
        for name in ("y", "X", "WX", "Wy"):  # read-only, as the results that hold them (API audit 29 #5)
            getattr(self, name).flags.writeable = False

    @property
    def kind(self) -> str:
        """``"lag"``, ``"error"`` or ``"none"``."""
        return KIND[self.model]

    @property
    def Z(self) -> np.ndarray:
        """``[X, WX]`` (N*T, k + q)."""
        return np.column_stack([self.X, self.WX]) if self.WX.shape[1] else self.X

    @property
    def k_z(self) -> int:
        """Columns of ``Z`` (without forming it)."""
        return self.X.shape[1] + self.WX.shape[1]

    def z_beta(self, beta: np.ndarray) -> np.ndarray:
        """``Z beta = X beta_x + WX beta_wx`` without forming ``Z`` (an N*T x (k + q) copy)."""
        kx = self.X.shape[1]
        out = self.X @ beta[:kx]
        if self.WX.shape[1]:
            out += self.WX @ beta[kx:]
        return out

    @property
    def z_names(self) -> tuple[str, ...]:
        return self.x_names + self.wx_names

    @property
    def param_names(self) -> tuple[str, ...]:
        """Names of ``params``: regressors, ``W_<x>``, then the spatial parameter."""
        sp_name = SPATIAL_PARAM.get(self.model)
        return self.z_names + ((sp_name,) if sp_name else ())

    def demean(self, x: np.ndarray) -> np.ndarray:
        """The fixed-effects (within) transformation of a panel vector/array."""
        return demean(x, self.n, self.t, self.effects)

    @functools.cached_property
    def transformed(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(Q y, Q W y, Q Z, Q W Z)``; spatial lags are taken on the raw data first."""
        Z = self.Z
        yd = self.demean(self.y)
        wyd = self.demean(self.Wy)
        zd = self.demean(Z)
        if self.kind == "error":
            wzd = self.demean(self.w.lag_panel(Z, self.t))
        else:
            wzd = np.zeros((Z.shape[0], 0))
        return yd, wyd, zd, wzd
