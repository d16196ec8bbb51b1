"""spillmap.maps: offline Folium maps and the HTML report.

Map functions return an :class:`~spillmap.maps._display.OfflineMap`, a ``folium.Map`` that displays
and saves itself offline (and accept ``m=`` to add a layer); writing the
page is a separate step, :func:`save_map` (offline by default: Leaflet inlined, no
CDN; see :mod:`spillmap.maps._offline` for the choice of vendoring over
``folium-offline``).

=============================  ===================================================
``choropleth``                 one numeric column, classified (mapclassify)
``choropleth_panel``           panel variables x periods, switched in a layer control
``lisa_map``                   LISA clusters (HH/LL/HL/LH/ns) from ``local_moran``
``spillover_map``              per-city direct effect, spillover received / emitted
``unit_response_map``          effect on every city of a change in one city
``render_html`` / ``save_map`` offline HTML, written atomically
``render_report``              StudyResults -> folder with tables, maps, results.json
``build_report``               study spec (TOML) -> run -> render_report
=============================  ===================================================
"""
from spillmap.maps._offline import render_html, save_map
from spillmap.maps.choropleth import choropleth, choropleth_panel, classify
from spillmap.maps.lisa import lisa_map
from spillmap.maps.spillover import spillover_map, unit_response_map

__all__ = [
    "choropleth",
    "choropleth_panel",
    "classify",
    "lisa_map",
    "spillover_map",
    "unit_response_map",
    "render_html",
    "save_map",
    "ReportConfig",
    "build_report",
    "load_config",
    "render_report",
]


def __getattr__(name: str):
    # the report composes the study layer, which imports the estimation layer: load it on demand
    if name in ("ReportConfig", "build_report", "load_config", "render_report"):
        from spillmap.maps import report

        return getattr(report, name)
    raise AttributeError(f"module 'spillmap.maps' has no attribute {name!r}")
