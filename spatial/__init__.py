"""spillmap.spatial: spatial weights and spatial autocorrelation diagnostics.

Weights: :mod:`~spillmap.spatial.weights` (the type), :mod:`~spillmap.spatial.builders`
(contiguity, distance, economic), :mod:`~spillmap.spatial.io` (files).  Diagnostics:
:mod:`~spillmap.spatial.autocorrelation` (Moran, Geary, LISA), :mod:`~spillmap.spatial.lm`
(LM tests), :mod:`~spillmap.spatial.cd` (Pesaran CD), :mod:`~spillmap.spatial.residual_moran`.
"""
from spillmap.spatial.autocorrelation import (
    GearyResult,
    MoranResult,
    geary,
    local_moran,
    moran,
    moran_by_period,
    moran_pooled,
)
from spillmap.spatial.builders import (
    contiguity,
    economic_distance,
    economic_product,
    inverse_distance,
    knn,
    nested,
    period_means,
)
from spillmap.spatial.cd import CDTests, pesaran_cd
from spillmap.spatial.io import read_weights, write_weights
from spillmap.spatial.lm import LMTests, lm_tests, panel_lm_tests
from spillmap.spatial.residual_moran import ResidualMoran, moran_residuals
from spillmap.spatial.weights import SpatialWeights, WeightsSummary

__all__ = [
    # weights
    "SpatialWeights", "WeightsSummary", "contiguity", "knn", "inverse_distance", "economic_distance",
    "economic_product", "nested", "period_means", "read_weights", "write_weights",
    # global and local autocorrelation
    "MoranResult", "GearyResult", "moran", "moran_by_period", "moran_pooled", "geary", "local_moran",
    # LM tests, Pesaran CD, residual Moran
    "LMTests", "lm_tests", "panel_lm_tests", "CDTests", "pesaran_cd", "ResidualMoran", "moran_residuals",
]
