"""What ``spillmap scenario`` writes for each scenario and matrix: the map, tables, figure, result JSON
and the printed line (split from :mod:`spillmap.cli._scenario`, which reads the flags and the source).
Composition only: :func:`spillmap.estimation.scenario` and :mod:`spillmap.maps._report_scenarios`."""
from __future__ import annotations

import dataclasses

from spillmap.cli._scenario import _wnames


def _same_decimals(*values: float) -> list[str]:
    """``values`` with one number of decimals: four significant digits of the largest (an estimate and its
    interval read alike: "0.869 [0.586, 1.177]", not "0.869183 [0.585772, 1.1774]"; planner audit 32)."""
    import math

    from spillmap.tables._format import decimals_for

    top = max((abs(float(v)) for v in values if math.isfinite(float(v))), default=0.0)
    decimals = decimals_for([top], digits=4, least=0, most=12) if top else 4
    return [f"{float(v):.{decimals}f}" for v in values]


def write_all(study, models, attrs, geometry, folder, say, *, explore: bool) -> list[str]:
    """Write every scenario of ``study`` on each of its matrices with a model (and ``explore``'s maps) into
    ``folder``; return the lines ``spillmap scenario`` prints, one per scenario and matrix."""
    from spillmap._fileio import atomic_write_text
    from spillmap.estimation import response_columns, scenario
    from spillmap.maps.explore import unit_change
    from spillmap.maps._report_scenarios import (
        display_layer,
        english_labels,
        is_natural_log,
        labelled_group,
        scenario_title,
        shown_changes,
        write_explore,
        write_scenario,
    )
    from spillmap.study._names import safe_names
    from spillmap.study._steps_scenarios import scenario_options

    layer, idc, gname = display_layer(geometry)
    labels = english_labels(geometry)
    shown = dict(study.model.labels or {})  # the variables as the report's tables, figures and maps name them
    layer, group = labelled_group(layer, geometry, shown)  # the tooltips' group row, labelled as in the report
    y = str(shown.get(study.y, study.y))
    scheduled = _wnames(study)  # a W without a model (its SDM failed) is skipped, its steps said
    wslug = safe_names({w: f"weights.{w}" for w in scheduled})
    notice = study.notice  # the report's words, on the scenario's tables, maps and figures alike
    het = study.heterogeneity  # its labels name the groups in the printed tables, as in the report
    group_labels = {str(c): {str(k): str(v) for k, v in m.items()} for c, m in (het.labels if het else {}).items()}
    lines = []
    (folder / "results").mkdir()
    for s in study.scenarios:
        for wname in s.w or scheduled:
            if wname not in models:  # its SDM failed (warned): the step is said, not run
                say(f"scenario {s.name} on {wname}: skipped, its SDM could not be estimated")
                continue
            say(f"scenario {s.name} on the SDM of {wname}")
            res = scenario(models[wname], **scenario_options(study, s, attrs), label=f"SDM, {wname}")
            stem = f"{safe_names({s.name: s.name})[s.name]}_{wslug[wname]}"
            shown_res = dataclasses.replace(res, y=y, changes=shown_changes(res, shown))  # the report's labels
            title = scenario_title(s.title, shown_res, wname, shown)  # as the report's
            write_scenario(shown_res, folder, f"scenario_{stem}", layer=layer, idc=idc, gname=gname,
                           labels=labels, notice=notice, top=s.top, title=title, office=True,
                           group_labels=group_labels, unit=study.unit_label, column_titles=shown,
                           y_is_log=is_natural_log(study.y), group=group)
            import json

            from spillmap.cli._vocab import noticed

            atomic_write_text(folder / "results" / f"{stem}.json",  # the notice first, as in the other commands' JSON
                              json.dumps(noticed(res.to_dict(), notice), ensure_ascii=False, allow_nan=False,
                                         indent=1) + "\n")
            g = res.region
            total, lo, hi = _same_decimals(g["total"], g["ci_lower"], g["ci_upper"])
            others = res.groups.loc[("shocked", "other units"), "total"] if res.n_shocked < len(attrs) else 0.0
            lines.append(f"{title}: {res.n_shocked} unit{'s' if res.n_shocked != 1 else ''} changed; total change of "
                         f"{y} {total} [{lo}, {hi}], received by the others {_same_decimals(others)[0]}")
    if explore:
        for wname in scheduled:
            for var in dict.fromkeys(v for s in study.scenarios for v in s.variable):
                if wname not in models:
                    say(f"click-to-explore map of {var} ({wname}): skipped, its SDM could not be estimated")
                    continue
                model = models[wname]
                say(f"click-to-explore map of {var} ({wname})")
                columns = {**response_columns(model, var), "variable": str(shown.get(var, var))}
                write_explore(columns, folder, f"explore_{wslug[wname]}_{safe_names({var: var})[var]}",
                              layer=layer, idc=idc, gname=gname, y=y, notice=notice,
                              caption=f"{wname}: response to {unit_change(var, columns['variable'])[1]}",
                              x_name=var, y_name=study.y, group=group)
    return lines
