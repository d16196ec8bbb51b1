"""spillmap.estimation: panel spatial models by maximum likelihood, effects and tests."""
from spillmap.estimation.model import SpatialPanel
from spillmap.estimation.results import ResultsTableMixin, SpatialPanelResults

__all__ = ["SpatialPanel", "SpatialPanelResults", "ResultsTableMixin"]

# effects and tests between models (estimation.effects / .hypothesis)
from spillmap.estimation.effects import EffectsResult, compute_effects, unit_effects, unit_response  # noqa: E402
from spillmap.estimation.hypothesis import (  # noqa: E402
    lr_sdm_sar,
    lr_sdm_sem,
    lr_test,
    wald_sdm_sar,
    wald_sdm_sem,
)

__all__ += [
    "EffectsResult",
    "compute_effects",
    "unit_effects",
    "unit_response",
    "lr_test",
    "lr_sdm_sar",
    "lr_sdm_sem",
    "wald_sdm_sar",
    "wald_sdm_sem",
]

# random effects, Hausman test and the non-spatial baseline (estimation.random_effects / .hausman / .baseline)
from spillmap.estimation.baseline import BaselineResult, twoway_fe_baseline  # noqa: E402
from spillmap.estimation.hausman import hausman, hausman_statistic, mundlak_test  # noqa: E402
from spillmap.estimation.random_effects import fit_random  # noqa: E402

__all__ += ["hausman", "hausman_statistic", "mundlak_test", "twoway_fe_baseline", "BaselineResult", "fit_random"]

# issue 13: model choice and the peers' tests (estimation.bsk / .within / .fixed_effects / .sac / .bayes)
from spillmap.estimation.bayes import ModelProbabilities, model_probabilities, weights_probabilities  # noqa: E402
from spillmap.estimation.bsk import BSKTests, bsjk_joint_test, bsk_tests  # noqa: E402
from spillmap.estimation.fixed_effects import RecoveredEffects, recover_fixed_effects  # noqa: E402
from spillmap.estimation.sac import SACResults  # noqa: E402
from spillmap.estimation.within import WithinTable, within_table  # noqa: E402

__all__ += ["BSKTests", "bsk_tests", "bsjk_joint_test", "WithinTable", "within_table", "RecoveredEffects",
            "recover_fixed_effects", "SACResults", "ModelProbabilities", "model_probabilities",
            "weights_probabilities"]

# issue 15: policy scenarios (estimation.scenario)
from spillmap.estimation.scenario import ScenarioModel, ScenarioResult, response_columns, scenario  # noqa: E402

__all__ += ["scenario", "ScenarioResult", "ScenarioModel", "response_columns"]

# issue 12: dynamic spatial panels and one W per period (estimation.dynamic / ._dynamic_effects / ._timevarying)
from spillmap.estimation._dynamic_effects import dynamic_effects, effects_by_period, unit_effects_at  # noqa: E402
from spillmap.estimation._timevarying import PanelWeights  # noqa: E402
from spillmap.estimation.dynamic import DynamicPanelResults  # noqa: E402

__all__ += ["DynamicPanelResults", "dynamic_effects", "effects_by_period", "unit_effects_at", "PanelWeights"]
