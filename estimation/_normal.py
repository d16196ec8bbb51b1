"""Standard-normal tail probabilities and quantiles through :mod:`scipy.special`.

``normal_sf(x) = ndtr(-x)`` and ``normal_isf(q) = -ndtri(q)`` are what
``scipy.stats.norm.sf`` / ``.isf`` evaluate (``_norm_sf``, ``_norm_isf``), without
importing scipy.stats (about 0.3 s), which the command line's ``fit`` does not otherwise
need.  Verification: equal to ``scipy.stats.norm.sf`` / ``.isf`` bit for bit over
z in [-40, 40] and q in (0, 1) on the newest and the lowest supported SciPy
(``tests/test_normal.py``).
"""
from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["normal_sf", "normal_isf"]


def normal_sf(x):
    """``P(Z > x)`` for a standard normal ``Z`` (elementwise; NaN stays NaN)."""
    return special.ndtr(-np.asarray(x, dtype=float))


def normal_isf(q):
    """The ``x`` with ``P(Z > x) = q`` (elementwise)."""
    return -special.ndtri(np.asarray(q, dtype=float))
