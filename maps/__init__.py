"""spillmap.maps: offline Folium maps and the HTML report.

Map functions return a ``folium.Map`` (and accept ``m=`` to add a layer); writing the
page is a separate step, :func:`save_map` (offline by default: Leaflet inlined, no
CDN; see :mod:`spillmap.maps._offline` for the choice of vendoring over
``folium-offline``).
"""
from spillmap.maps._offline import render_html, save_map
from spillmap.maps.choropleth import choropleth, choropleth_panel, classify

__all__ = ["choropleth", "choropleth_panel", "classify", "render_html", "save_map"]
