"""spillmap.estimation: panel spatial models by maximum likelihood, effects and tests.

The names are imported on first use (PEP 562 ``__getattr__``), as in
:mod:`spillmap.spatial`: ``spillmap fit`` loads the model, its results and the effects,
not the random-effects, Hausman, Bayesian, scenario or dynamic modules (and not
scipy.stats), so that the command line starts fast.
"""
from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from spillmap._lazy import attach

#: public name -> the module of spillmap.estimation that defines it
_WHERE: dict[str, str] = {
    "SpatialPanel": "model",
    "SpatialPanelResults": "results", "ResultsTableMixin": "results",
    # effects and tests between models
    "EffectsResult": "effects", "compute_effects": "effects", "unit_effects": "effects", "unit_response": "effects",
    "lr_test": "hypothesis", "lr_sdm_sar": "hypothesis", "lr_sdm_sem": "hypothesis",
    "wald_sdm_sar": "hypothesis", "wald_sdm_sem": "hypothesis",
    # random effects, Hausman test and the non-spatial baseline
    "hausman": "hausman", "hausman_statistic": "hausman", "mundlak_test": "hausman",
    "twoway_fe_baseline": "baseline", "BaselineResult": "baseline", "fit_random": "random_effects",
    # model choice and the peers' tests (issue 13)
    "BSKTests": "bsk", "bsk_tests": "bsk", "bsjk_joint_test": "bsk",
    "WithinTable": "within", "within_table": "within",
    "RecoveredEffects": "fixed_effects", "recover_fixed_effects": "fixed_effects",
    "SACResults": "sac",
    "ModelProbabilities": "bayes", "model_probabilities": "bayes", "weights_probabilities": "bayes",
    # policy scenarios (issue 15)
    "scenario": "scenario", "ScenarioResult": "scenario", "ScenarioModel": "scenario",
    "response_columns": "scenario",
    # dynamic spatial panels and one W per period (issue 12)
    "DynamicPanelResults": "dynamic", "dynamic_effects": "_dynamic_effects",
    "effects_by_period": "_dynamic_effects", "unit_effects_at": "_dynamic_effects", "PanelWeights": "_timevarying",
}

__all__ = list(_WHERE)


class _Package(types.ModuleType):
    """This package's module type: ``hausman`` and ``scenario`` are both public functions and
    the modules defining them, and the import system binds a submodule as a package attribute
    on its first import; the function keeps the name (as the eager imports used to do)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("hausman", "scenario") and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

__getattr__, __dir__ = attach(__name__, _WHERE)

if TYPE_CHECKING:  # static analysers see the names
    from spillmap.estimation._dynamic_effects import dynamic_effects, effects_by_period, unit_effects_at  # noqa: F401
    from spillmap.estimation._timevarying import PanelWeights  # noqa: F401
    from spillmap.estimation.baseline import BaselineResult, twoway_fe_baseline  # noqa: F401
    from spillmap.estimation.bayes import ModelProbabilities, model_probabilities, weights_probabilities  # noqa: F401
    from spillmap.estimation.bsk import BSKTests, bsjk_joint_test, bsk_tests  # noqa: F401
    from spillmap.estimation.dynamic import DynamicPanelResults  # noqa: F401
    from spillmap.estimation.effects import EffectsResult, compute_effects, unit_effects, unit_response  # noqa: F401
    from spillmap.estimation.fixed_effects import RecoveredEffects, recover_fixed_effects  # noqa: F401
    from spillmap.estimation.hausman import hausman, hausman_statistic, mundlak_test  # noqa: F401
    from spillmap.estimation.hypothesis import (  # noqa: F401
        lr_sdm_sar, lr_sdm_sem, lr_test, wald_sdm_sar, wald_sdm_sem)
    from spillmap.estimation.model import SpatialPanel  # noqa: F401
    from spillmap.estimation.random_effects import fit_random  # noqa: F401
    from spillmap.estimation.results import ResultsTableMixin, SpatialPanelResults  # noqa: F401
    from spillmap.estimation.sac import SACResults  # noqa: F401
    from spillmap.estimation.scenario import ScenarioModel, ScenarioResult, response_columns, scenario  # noqa: F401
    from spillmap.estimation.within import WithinTable, within_table  # noqa: F401
