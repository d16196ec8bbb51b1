"""spillmap.estimation: panel spatial models by maximum likelihood, effects and tests."""
from spillmap.estimation.model import SpatialPanel
from spillmap.estimation.results import ResultsTableMixin, SpatialPanelResults

__all__ = ["SpatialPanel", "SpatialPanelResults", "ResultsTableMixin"]
