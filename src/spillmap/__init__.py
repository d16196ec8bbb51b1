"""spillmap: spatial-econometrics GIS for spillover studies.

Layers (dependencies point one way)::

    spillmap.geo         boundary layers, CRS, projections, panel joins
    spillmap.spatial     spatial weights, Moran's I / LISA, panel LM tests
    spillmap.estimation  panel SAR / SEM / SDM by maximum likelihood, effects, tests
    spillmap.maps        Folium maps and the HTML report

The top-level package holds only what every layer shares (errors, atomic file
writing, small result types), the embedded datasets and the command line.
It imports no layer eagerly.
"""
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("spillmap")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

from spillmap.errors import SpillmapError  # noqa: E402

__all__ = ["SpillmapError", "__version__"]


def __getattr__(name: str):
    """Lazy ``spillmap.screen`` (callable) and ``spillmap.indicators``: imported on first use."""
    if name in ("screen", "indicators"):
        import importlib

        return importlib.import_module(f"spillmap.{name}")
    raise AttributeError(f"module 'spillmap' has no attribute {name!r}")
