"""spillmap.screen: screen many indicators for spatial dependence, on Dask.

``spillmap.screen(panel, id=..., time=..., weights=..., indicators="all")`` (this
module is callable: it runs :func:`screen`) tests every indicator under every W in
every period -- Moran's I, Geary's C, LISA cluster counts, pooled statistics, panel
LM tests and optionally an SDM -- as ``dask.distributed`` tasks, and returns a
:class:`ScreenResults` with a tidy table, a ranking and ``save()`` (Parquet, CSV,
an offline HTML page with sparklines and the top-k maps).  The command line is
``spillmap screen``.

=====================  ====================================================
``_api``               :func:`screen` (composition only)
``_spec``              options, indicator selection, the panel as an array
``_engine``            Dask client, task plan, scatter / submit / progress
``_tasks``             the work of one task (no Dask)
``_results``           tidy table, ranking, :class:`ScreenResults`
``_output``/``_html``  Parquet, CSV, maps and the HTML page
=====================  ====================================================
"""
from __future__ import annotations

import sys
import types

from spillmap.screen._api import screen
from spillmap.screen._results import ScreenResults
from spillmap.screen._spec import STATISTICS, LMSpec

__all__ = ["screen", "ScreenResults", "LMSpec", "STATISTICS"]


class _CallableModule(types.ModuleType):
    """Lets ``spillmap.screen(...)`` call :func:`screen` while ``spillmap.screen`` stays a package."""

    def __call__(self, *args, **kwargs) -> ScreenResults:
        return screen(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
