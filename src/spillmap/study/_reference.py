"""Generates ``docs/config.md``, the reference of the study TOML, from the section classes.

``tests/test_study_spec.py`` checks that the file in the repository equals
:func:`markdown` (regenerate with ``python -m spillmap.study._reference > docs/config.md``)
and that every example in it validates.
"""
from __future__ import annotations

from spillmap.study._schema import section_markdown
from spillmap.study.indicators import EXAMPLE as INDICATOR_EXAMPLE
from spillmap.study.indicators import IndicatorSpec
from spillmap.study.scenarios import EXAMPLE as SCENARIO_EXAMPLE
from spillmap.study.scenarios import ScenarioSpec
from spillmap.study.spec import SECTIONS
from spillmap.study.weights import kinds_markdown

__all__ = ["markdown", "EXAMPLES", "SCENARIO_EXAMPLE"]

_INTRO = """# The study specification (TOML) — reference

`spillmap report STUDY.toml` (and `spillmap demo`, `Study.from_toml` in Python) read one TOML file
that describes the whole study: the boundary layer, the panel, the variables, the weights
matrices, the models, the tables and the maps. Unknown keys and bad values are errors that name
the key (`weights.W2.phi`) and list what is allowed; nothing is read or computed before the whole
file validates. Relative paths are relative to the TOML file; a leading `~` is your home folder
(`path = "~/data/panel.csv"`). Wherever a file path is accepted, a bundled dataset name works too:
layers `china_prefectures`, `us48`; tables `demo_panel`, `produc`, `cigar`, `china_city_attributes`.

Variables (`model.y`, `model.x`, `tables.moran_variables`, `weights.*.var`) may be formula
transforms of the panel's columns, evaluated by formulaic as in the Python API:
`y = "log(gsp)"`, `x = ["log(pcap)", "unemp"]`; the transform as written is the variable's name in
every table.

Required: `[layer]`, `[panel]`, `[model]` and at least one `[weights.NAME]` (the maps, the
contiguity and distance weights and the scenarios need the layer; a study without geometry is a
job for `spillmap fit` / `spillmap diagnose` with a weights file).  The study's models are the
fixed-effects (or pooled) SDM, SAR and SEM of every W, the baseline and within tables and, with
`[model] dynamic`, the dynamic SDM; random-effects fits are made only for the Hausman test
(`[diagnostics]`).  A random-effects model on its own: `spillmap fit --re` or
`SpatialPanel(..., re=True)` in Python.

Vocabulary: `fe` = fixed effects; "effects" = direct / indirect / total effects; a weights
transform is `R` (row-standardised), `B` (binary) or `O` (as built). Old spellings are still
read, with a warning naming the new one.

This file is generated from the code (`python -m spillmap.study._reference > docs/config.md`);
a test fails when they differ.

## A complete example (the demo study)

```toml
{demo}
```

## Top-level keys

| key | type | default | meaning |
| --- | --- | --- | --- |
| `title` | text | `"spillmap report"` | Title of the report. |
| `demo` | true or false | `false` | Label every output as synthetic demonstration data. |
| `unit_label` | text | `"unit"` | The word for a unit in labels and tables ("city", "state", "county"). |

## Sections
"""

#: one complete example per section (each validated by the tests)
EXAMPLES = {
    "layer": '[layer]\npath = "cities.gpkg"       # or dataset = "china_prefectures"\nid = "adcode"\n'
             'name_column = "name"\ngroup_column = "province"\nattributes = "china_city_attributes"\n'
             'subset = { level = ["municipality", "prefecture_city"] }\n',
    "panel": '[panel]\npath = "panel.csv"        # or dataset = "demo_panel"\nid = "adcode"\ntime = "year"\n',
    "model": '[model]\ny = "log(gsp)"\nx = ["log(pcap)", "log(pc)", "unemp"]\nkey = "log(pcap)"\nfe = "twoways"\n'
             'lee_yu = "transformation"\ndraws = 1000\nseed = 0\n',
    "diagnostics": '[diagnostics]\nhausman = "auto"\npermutations = 0\n',
    "tables": '[tables]\ninclude = ["descriptive", "moran_by_year", "baseline", "diagnostics", "effects"]\n'
              'moran_variables = ["gtfp", "int"]\nbaseline_cluster = "entity"\n',
    "heterogeneity": '[heterogeneity]\ncolumns = ["is_key_city", "region4"]\n'
                     'labels = { is_key_city = { "1" = "key cities", "0" = "other cities" } }\nw = "W1"\n',
    "maps": '[maps]\nyear = 2019\npermutations = 999\nalpha = 0.05\nspillover_city = "420100"\nsimplify = "auto"\n'
            'include = ["choropleth", "lisa", "spillover", "response"]\n',
    "output": '[output]\ndir = "report"\nfigures = true                    # false: no figures/ folder (faster)\n'
              'figure_width = "column"           # "full" (default, up to 7 in), "column" (3.5 in) or inches\n',
}
WEIGHT_EXAMPLES = {
    "contiguity": '[weights.W1]\nkind = "contiguity"\ncontiguity = "queen"\nislands = "nearest"\nk = 1\n',
    "knn": '[weights.K5]\nkind = "knn"\nk = 5\n',
    "inverse_distance": '[weights.D2]\nkind = "inverse_distance"\nalpha = 2\nk = 10\n',
    "economic_distance": '[weights.E]\nkind = "economic_distance"\nvar = "pgdp"\nperiod = [2008, 2019]\n',
    "economic_product": '[weights.EP]\nkind = "economic_product"\nvar = "pgdp"\nalpha = 1\n',
    "nested": '[weights.W2]\nkind = "nested"\nvar = "pgdp"\nphi = 0.5\nalpha = 1\n',
    "file": '[weights.WF]\nkind = "file"\npath = "W.gal"\ntransform = "R"\n',
}


_INDICATORS_INTRO = """## Composite indicators: `[indicators.NAME]`

Optional. Each table builds an index NAME from several panel columns before anything else
(`spillmap.indicators.composite_index`: the entropy weight method, CRITIC or PCA) — as the seed
study builds its industrial-intelligence index from seven indicators. The index is then a panel
column like any other: use it as `model.y`, in `model.x` or as a Moran variable. Its weights table
(dimension, indicator, direction, weight: the seed's Table 1) is in `results.json` and the report.
"""

_SCENARIOS_INTRO = """## Policy scenarios: `[scenarios.NAME]`

Optional. Each scenario changes one or more regressors in some units and reports, for every unit,
the predicted change of y split into the part from its own change and the part received from the
others, with an interval from the effects' parameter draws, plus totals for the region, the changed
units and each group (`spillmap.estimation.scenario`). It is computed on the SDM of each weights
matrix; the report gets a "Scenarios" section (a map, a table of the largest spillovers received and the group
totals, a figure) and a click-to-explore map of each changed variable. `spillmap scenario` runs the
same on a spec or a saved `results.json`. NAME labels the scenario's files.
"""


def markdown() -> str:
    """The whole reference text."""
    from spillmap import datasets

    demo = datasets.data_path("demo_report.toml").read_text(encoding="utf-8").strip()
    parts = [_INTRO.replace("{demo}", demo)]
    for name, cls in SECTIONS.items():
        intro = (cls.__doc__ or "").strip().split("\n")[0].split(": ", 1)[-1]
        parts.append(section_markdown(cls, f"[{name}]", intro[0].upper() + intro[1:]))
        parts.append(f"```toml\n{EXAMPLES[name]}```\n")
    parts.append("## Weights matrices: `[weights.NAME]`\n\nOne table per matrix; NAME labels its column in "
                 "every table and its map files (two names that would give the same file name are an error). "
                 "`kind` picks the builder; its options follow.\n")
    for kind, text in zip(WEIGHT_EXAMPLES, kinds_markdown().split("\n### ")):
        parts.append(("### " if not text.startswith("### ") else "") + text.strip() + "\n")
        parts.append(f"```toml\n{WEIGHT_EXAMPLES[kind]}```\n")
    parts.append(_SCENARIOS_INTRO)
    parts.append(section_markdown(ScenarioSpec, "[scenarios.NAME]", "One table per scenario."))
    parts.append(f"```toml\n{SCENARIO_EXAMPLE}```\n")
    parts.append(_INDICATORS_INTRO)
    parts.append(section_markdown(IndicatorSpec, "[indicators.NAME]", "One table per index."))
    parts.append(f"```toml\n{INDICATOR_EXAMPLE}```\n")
    return "\n".join(parts)


if __name__ == "__main__":  # pragma: no cover
    print(markdown(), end="")
