"""The eigenvalues of a spatial weights matrix and the interval of rho they allow.

:class:`SpectrumMethods` gives :class:`~spillmap.spatial.weights.SpatialWeights` its cached
:attr:`~SpectrumMethods.eigenvalues` and :attr:`~SpectrumMethods.rho_bounds`; the numerics are in
:mod:`spillmap.spatial._spectrum`.
"""
from __future__ import annotations

import functools

import numpy as np

__all__ = ["SpectrumMethods"]


class SpectrumMethods:
    """The eigenvalues of :class:`~spillmap.spatial.weights.SpatialWeights` (a base class of it; no state)."""

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
