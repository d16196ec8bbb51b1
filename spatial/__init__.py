"""spillmap.spatial: spatial weights and spatial autocorrelation diagnostics.

Weights: :mod:`~spillmap.spatial.weights` (the type), :mod:`~spillmap.spatial.builders`
(contiguity, distance, economic), :mod:`~spillmap.spatial.io` (files).  Diagnostics:
:mod:`~spillmap.spatial.autocorrelation` (Moran, Geary, LISA), :mod:`~spillmap.spatial.lm`
(LM tests), :mod:`~spillmap.spatial.cd` (Pesaran CD), :mod:`~spillmap.spatial.residual_moran`.

The names are imported on first use (PEP 562 ``__getattr__``): ``import spillmap.spatial``
does not load esda, libpysal's graph builders or scipy.stats until a function needing them
is called, so that the command line starts fast.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from spillmap._lazy import attach

#: public name -> the module that defines it
_WHERE = {
    **dict.fromkeys(("SpatialWeights", "WeightsSummary"), "weights"),
    **dict.fromkeys(("contiguity", "knn", "inverse_distance", "economic_distance", "economic_product", "nested",
                     "period_means"), "builders"),
    **dict.fromkeys(("read_weights", "write_weights"), "io"),
    **dict.fromkeys(("MoranResult", "GearyResult", "moran", "moran_by_period", "moran_pooled", "geary",
                     "local_moran"), "autocorrelation"),
    **dict.fromkeys(("LMTests", "lm_tests", "panel_lm_tests"), "lm"),
    **dict.fromkeys(("CDTests", "pesaran_cd"), "cd"),
    **dict.fromkeys(("ResidualMoran", "moran_residuals"), "residual_moran"),
}
__all__ = list(_WHERE)

__getattr__, __dir__ = attach(__name__, _WHERE)

if TYPE_CHECKING:  # static analysers see the names
    from spillmap.spatial.autocorrelation import (  # noqa: F401
        GearyResult, MoranResult, geary, local_moran, moran, moran_by_period, moran_pooled)
    from spillmap.spatial.builders import (  # noqa: F401
        contiguity, economic_distance, economic_product, inverse_distance, knn, nested, period_means)
    from spillmap.spatial.cd import CDTests, pesaran_cd  # noqa: F401
    from spillmap.spatial.io import read_weights, write_weights  # noqa: F401
    from spillmap.spatial.lm import LMTests, lm_tests, panel_lm_tests  # noqa: F401
    from spillmap.spatial.residual_moran import ResidualMoran, moran_residuals  # noqa: F401
    from spillmap.spatial.weights import SpatialWeights, WeightsSummary  # noqa: F401
