"""The study steps that do not use the spatial fits, run beside them on a second core.

The within table, the non-spatial baseline and the per-group fits of the heterogeneity
table need only the joined panel and the layer (each group's W is rebuilt on its units);
none reads anything the per-W model blocks compute or cache.  So they are jobs of
:class:`spillmap._forkshare.SharedJobs`: a forked child starts on them while this process
fits the models on each W, and this process takes whatever is left when it is done.  The
interaction tests of the heterogeneity table fit models on the study's W, so they stay in
this process, after the model blocks, as in a serial run.

A job's progress messages and warnings are held (:func:`spillmap._warnings.hold_warnings`)
and passed on when the results are gathered, in the serial order, so the step numbers, the
warnings and every output are the same with or without the fork (tested byte for byte;
``SPILLMAP_NO_FORK=1`` runs everything in one process).  Measured on the demo (quiet 2-core
machine): the side steps take about 1.1 s, the model blocks 1.0 s.

Panels of more than :data:`FORK_MAX_ROWS` rows keep to one process: both processes would then
hold their own large working arrays at once (the parent's fits and the child's regressions),
and a study that fits in memory serially must not fail for want of it in parallel.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spillmap.study import _steps_groups, _steps_model

__all__ = ["SideSteps", "FORK_MAX_ROWS"]

#: largest panel (rows) whose side steps run in a forked process
FORK_MAX_ROWS = 250_000


def _jobs(study, inputs) -> list[tuple[str, Callable[[Callable[[str], None]], Any]]]:
    """``(kind, job)`` pairs; ``job(progress)`` returns the step's value."""
    include = set(study.tables.include)
    jobs: list[tuple[str, Callable]] = []
    if "within" in include:
        def within(progress):
            progress("within: pooled, unit, period and two-way OLS; LR tests of the fixed effects")
            return _steps_model.within_block(study, inputs)

        jobs.append(("within", within))
    if "baseline" in include:
        def baseline(progress):
            progress("baseline: non-spatial two-way fixed effects, controls added step by step")
            return _steps_groups.baseline_block(study, inputs)

        jobs.append(("baseline", baseline))
    if "heterogeneity" in include and study.heterogeneity is not None:
        for col in study.heterogeneity.columns:
            jobs.append((f"heterogeneity:{col}",
                         lambda progress, col=col: _steps_groups.heterogeneity_column(study, inputs, col, progress)))
    return jobs


def _held(job: Callable[[Callable[[str], None]], Any]) -> tuple[Any, list[str], list]:
    """Run ``job`` with its messages and spillmap warnings kept for later (BLAS is already
    limited by :func:`spillmap.study.run`, whose state a forked child inherits)."""
    from spillmap._warnings import call_holding_warnings

    messages: list[str] = []
    value, held = call_holding_warnings(job, messages.append)
    return value, messages, held


class SideSteps:
    """``SideSteps(study, inputs).start()`` before the model blocks; :meth:`gather` after them."""

    def __init__(self, study, inputs) -> None:
        from spillmap._forkshare import SharedJobs

        self.study, self.inputs = study, inputs
        self._jobs = _jobs(study, inputs)
        small = len(inputs.panel) <= FORK_MAX_ROWS if inputs is not None else True
        self._shared = SharedJobs(len(self._jobs), lambda i, in_child: _held(self._jobs[i][1]),
                                  fork=None if small else False)

    def start(self) -> SideSteps:
        self._shared.start()
        return self

    def abort(self) -> None:
        """Stop the forked child (when the other work failed)."""
        self._shared.abort()

    def gather(self, weights: dict, step: Callable[[str], None]) -> dict[str, Any]:
        """Finish the jobs; pass on their messages and warnings in order; add the heterogeneity
        tests.  Returns ``within``, ``baseline``, ``heterogeneity`` (each ``{}`` when not asked
        for), ``fits`` (the records, in the serial order) and ``missing``."""
        from spillmap._warnings import release_warnings

        h = self.study.heterogeneity
        asked = "heterogeneity" in self.study.tables.include and h is not None
        hetero = {"w": h.w or self.study.weights[0].name, "groupings": {}} if asked else {}
        out: dict[str, Any] = {"within": {}, "baseline": {}, "heterogeneity": hetero, "fits": {}, "missing": []}
        for (kind, _), (value, messages, held) in zip(self._jobs, self._shared.finish()):
            for message in messages:
                step(message)
            release_warnings(held)
            if kind in ("within", "baseline"):
                out[kind], recs = value
            else:
                col = kind.split(":", 1)[1]
                block, recs, miss = value
                _steps_groups.heterogeneity_tests(self.study, self.inputs, weights, col, block)
                hetero["groupings"][col] = block
                out["missing"] += miss
            out["fits"].update(recs)
        return out
