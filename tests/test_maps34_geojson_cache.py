"""The GeoJSON of a map layer's geometry is made once per layer and served to later maps of the same
geometry (maps._elements._geojson): the text is shapely's, and a changed geometry is never served the
cached text of an earlier one."""
from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import box

from spillmap.maps import _elements as E


def test_cached_text_is_shapelys_and_a_changed_geometry_gets_its_own():
    E._GEOJSON_CACHE.clear()
    a = np.array([box(0, 0, 1, 1), box(1, 0, 2.5, 1)], dtype=object)
    b = a.copy()
    b[1] = box(1, 0, 2.5, 1.000001)  # one coordinate moved
    first = E._geojson(a)
    assert first == list(shapely.to_geojson(a))
    assert E._geojson(a) is first  # served from the cache
    changed = E._geojson(b)
    assert changed == list(shapely.to_geojson(b)) and changed != first
    # a geometry moved between positions is another layer, too
    assert E._geojson(a[::-1].copy()) == list(shapely.to_geojson(a[::-1].copy()))


def test_at_most_four_layers_are_kept():
    E._GEOJSON_CACHE.clear()
    for k in range(6):
        E._geojson(np.array([box(0, 0, 1 + k, 1)], dtype=object))
    assert len(E._GEOJSON_CACHE) == 4
