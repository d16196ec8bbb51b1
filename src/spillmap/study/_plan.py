"""How many progress steps a study and its report take, known from the spec before any work.

:func:`spillmap.study.run` and :func:`spillmap.maps.report.build_report` print
``[k/total elapsed] message`` lines; the total comes from here so that it stays the same
from the first line to the last.  It counts the steps of a run in which every model is
estimated; a model that cannot be (its step reported as not computed) leaves the last
line short of the total, never past it.

Each count mirrors one place that reports a step (kept next to each other by
``tests/test_study_run.py``, which checks that a run's last step is its total).
:class:`Steps` numbers the steps against that total (the run, the report and
``spillmap scenario`` share it).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Plan", "Steps", "planned_steps", "scenario_command_steps"]


class Steps:
    """``step(message)`` calls ``progress(k, total, message)`` with k = 1, 2, ...; the total
    (settable once known) never shows below k.  ``progress=None``: silent."""

    def __init__(self, progress: Callable[[int, int, str], None] | None, total: int = 0) -> None:
        self.progress, self.total, self.k = progress, total, 0

    def __call__(self, message: str) -> None:
        self.k += 1
        self.total = max(self.total, self.k)
        if self.progress is not None:
            self.progress(self.k, self.total, message)


@dataclass(frozen=True)
class Plan:
    """Steps of :func:`~spillmap.study.run` (``run``) and of rendering its report (``render``)."""

    run: int
    render: int


def _single(study) -> list[str]:
    """The weights matrices that are one W for all periods (not built period by period)."""
    return [w.name for w in study.weights if not getattr(w.settings, "by_period", False)]


def _scenario_runs(study) -> int:
    """(scenario, W) pairs answered: each scenario on each of its single W's."""
    single = set(_single(study))
    return sum(1 for s in study.scenarios for w in (s.w or [w.name for w in study.weights]) if w in single)


def _scenario_variables(study) -> int:
    """The variables of the click-to-explore maps: every variable a scenario changes."""
    return len(dict.fromkeys(v for s in study.scenarios for v in s.variable))


def _run_steps(study) -> int:
    n_w, dynamic = len(study.weights), bool(study.model.dynamic)
    include = set(study.tables.include)
    steps = 1 + n_w  # load and join; build each W
    steps += n_w * (2 + dynamic)  # per W: the fits, their effects (and the dynamic SDM)
    steps += "bayes" in study.diagnostics.tests and len(_single(study)) > 1  # posterior probabilities of the W's
    steps += ("within" in include) + ("baseline" in include)  # the side steps
    if "heterogeneity" in include and study.heterogeneity is not None:
        steps += len(study.heterogeneity.columns)  # one step per grouping column
    steps += 1 + n_w * (1 + dynamic)  # LISA; each W's spillovers (and the dynamic SDM's)
    steps += _scenario_runs(study) + (len(_single(study)) if _scenario_variables(study) else 0)
    return int(steps)


def _render_steps(study) -> int:
    steps = 1 + ("choropleth" in study.maps.include)  # the tables; the HTML choropleths
    steps += _scenario_runs(study) + len(_single(study)) * _scenario_variables(study)  # scenario and explore maps
    steps += bool(study.output.figures)  # the static figures, as one step
    return int(steps) + 1  # writing the folder


def planned_steps(study) -> Plan:
    """The steps of running ``study`` and of rendering its report (module notes)."""
    return Plan(_run_steps(study), _render_steps(study))


def scenario_command_steps(study, wnames: list[str], *, fit: bool, explore: bool) -> int:
    """Steps of ``spillmap scenario`` on the weights ``wnames``: (with ``fit``, from a spec) load the
    data, build and fit the SDM of each W; each scenario on each of its W's; with ``explore``, one
    click-to-explore map per W and changed variable."""
    runs = sum(len(s.w or wnames) for s in study.scenarios)
    return (1 + 2 * len(wnames) if fit else 0) + runs + (len(wnames) * _scenario_variables(study) if explore else 0)
