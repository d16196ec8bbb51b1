"""spillmap.study: one specification runs the whole paper.

=========================  ====================================================
``Study``                  the specification (TOML or Python), frozen and validated
``run(study)``             geo → spatial → estimation, once, in order
``StudyResults``           every number; ``to_json`` / ``from_json``; ``tables``
=========================  ====================================================

Where things live: the pipeline runs in :mod:`spillmap.study.run`; the page is drawn in
:mod:`spillmap.maps.report` (``render_report``), which reads a :class:`StudyResults`
and computes nothing.

>>> from spillmap.study import Study, run                              # doctest: +SKIP
>>> from spillmap.maps.report import render_report                     # doctest: +SKIP
>>> render_report(run(Study.from_toml("study.toml")), "out/")          # doctest: +SKIP
"""
from spillmap.study._schema import SpecError
from spillmap.study.records import FitRecord
from spillmap.study.results import StudyResults
from spillmap.study.run import print_progress, run
from spillmap.study.spec import Study
from spillmap.study.weights import WeightSpec, build_weights

__all__ = ["Study", "run", "StudyResults", "FitRecord", "SpecError", "WeightSpec", "build_weights", "print_progress"]
