"""spillmap.spatial: spatial weights and spatial autocorrelation diagnostics."""
# --- weights (spatial/weights.py, builders.py, io.py) ---------------------------
from spillmap.spatial.builders import (
    contiguity,
    economic_distance,
    economic_product,
    inverse_distance,
    knn,
    nested,
    period_means,
)
from spillmap.spatial.io import read_weights, write_weights
from spillmap.spatial.weights import SpatialWeights, WeightsSummary

__all__ = [
    "SpatialWeights",
    "WeightsSummary",
    "contiguity",
    "knn",
    "inverse_distance",
    "economic_distance",
    "economic_product",
    "nested",
    "period_means",
    "read_weights",
    "write_weights",
]

# --- diagnostics (spatial/autocorrelation.py, lm.py): exports added below --------
from spillmap.spatial.autocorrelation import (  # noqa: E402
    GearyResult,
    MoranResult,
    geary,
    local_moran,
    moran,
    moran_by_period,
    moran_pooled,
)
from spillmap.spatial.lm import LMTests, lm_tests, panel_lm_tests  # noqa: E402

__all__ += [
    "MoranResult",
    "GearyResult",
    "moran",
    "moran_by_period",
    "moran_pooled",
    "geary",
    "local_moran",
    "LMTests",
    "lm_tests",
    "panel_lm_tests",
]

# issue 13: Pesaran CD and the residual Moran test (spatial/cd.py, residual_moran.py)
from spillmap.spatial.cd import CDTests, pesaran_cd  # noqa: E402
from spillmap.spatial.residual_moran import ResidualMoran, moran_residuals  # noqa: E402

__all__ += ["CDTests", "pesaran_cd", "ResidualMoran", "moran_residuals"]
