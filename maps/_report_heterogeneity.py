"""Table 6 of the report (heterogeneity): per grouping, the baseline and the SDM of each group side
by side and the full-sample Wald tests of equal key coefficients across groups.  Split from
:mod:`spillmap.maps._report_tables` (the other tables); layout only, every number from the results.
"""
from __future__ import annotations

from collections.abc import Mapping

from spillmap.study._names import safe_names
from spillmap.tables import Table, regression_table
from spillmap.tables._rows import with_column, with_tests

__all__ = ["heterogeneity"]


def heterogeneity(r) -> list:
    """Table 6: per grouping, the baseline and the SDM of each group side by side (controls and fixed
    effects rows as in the other regression tables), and the full-sample Wald tests of equal key
    coefficients across groups in a column of their own."""
    from spillmap.maps._report_tables import ReportTable, _time

    groupings = r.heterogeneity.get("groupings", {})
    names = safe_names({col: f"heterogeneity.columns {col!r}" for col in groupings})
    key = r.spec["model"].get("key") or r.spec["model"]["x"][0]
    out = []
    for col, block in groupings.items():
        fits, labels = [], []
        for g in block.get("groups", ()):
            k = f"heterogeneity:{col}={g['value']}"
            for part in ("baseline", "sdm"):
                if f"{k}:{part}" in r.fits:
                    fits.append(r.fits[f"{k}:{part}"])
                    labels.append(f"{g['label']} (n = {g['n']})")
        if fits:
            title = f"Heterogeneity by {r.labels.get(col, col)}"  # the column's title from [model] labels
            t = regression_table(fits, column_labels=labels, variables=[key], labels=r.labels, unit=r.unit_label,
                                 period=_time(r), caption=title,
                                 statistics=("r2_within", "r2_pseudo", "nobs", "n", "t", "unit_fe", "time_fe"),
                                 notes=(_group_note(r, key), *_small_groups_note(block)))
            out.append(ReportTable("heterogeneity", f"heterogeneity_{names[col]}", title,
                                   _group_tests(t, block.get("tests", {}), r.labels.get(key, key))))
    return out


def _group_note(r, key: str) -> str:
    controls = [r.labels.get(x, x) for x in r.spec["model"]["x"] if x != key]
    return ("Each group estimated separately (OLS: two-way FE baseline; SDM: weights "
            f"{r.heterogeneity.get('w')} rebuilt on the group's units)."
            + (f" Controls: {', '.join(controls)} (and, in the SDM, their spatial lags)." if controls else "")
            + f" Across groups: Wald test of {r.labels.get(key, key)} × group interactions in the full-sample "
            "model (the SDM test includes their spatial lags), not a statistic of one group.")


def _small_groups_note(block: Mapping) -> tuple[str, ...]:
    """The note naming the groups too small to be estimated on their own (they have no column, but the
    across-group tests include them: their degrees of freedom count every group; paper audit 30 A2)."""
    from spillmap.study._steps_groups import MIN_GROUP_UNITS

    small = [g for g in block.get("groups", ()) if g.get("n", 0) < MIN_GROUP_UNITS]
    if not small:
        return ()
    listed = ", ".join(f"{g['label']} ({g['n']} units)" for g in small)
    return (f"Not estimated separately (fewer than {MIN_GROUP_UNITS} units): {listed}; the tests across groups "
            "include it." if len(small) == 1 else
            f"Not estimated separately (fewer than {MIN_GROUP_UNITS} units): {listed}; the tests across groups "
            "include them.",)


def _group_tests(t: Table, tests: Mapping[str, Mapping], shown: str) -> Table:
    """``t`` with the cross-group tests in a column "Across groups" of their own."""
    if not tests:
        return t
    t = with_column(t, "across", {"label": "Across groups", "model": "Wald"}, {})
    rows = [(name, f"Equal {shown} across groups ({'OLS' if name == 'baseline_wald' else 'SDM'}, Wald, "
                   f"df {d.get('df') or 0:g})",
             {"across": (d.get("stat"), d.get("p"))}) for name, d in tests.items()]
    return with_tests(t, rows)
