"""Helpers shared by the map tests (tests/test_map_numbers.py, tests/test_explore_negligible32.py), in a plain
module: a relative import of one test module from another fails under pytest 8.0's importlib mode when the
other is collected later (the lowest-version run)."""
from __future__ import annotations

import re

import numpy as np

#: scientific notation as a map might print it (ASCII or U+2212 minus)
SCIENTIFIC = re.compile(r"\d[eE][-\u2212+]?\d")


def decaying_response(us48):
    """Columns of S = (I - 0.2 W)^-1 on the states' queen contiguity: from 1 on the diagonal to ~1e-15 across
    the country (0.2 per step of contiguity), as the demo's W1 responses."""
    from libpysal.graph import Graph

    g = Graph.build_contiguity(us48.set_index("STATE_ABBR"), rook=False)
    ids = list(g.unique_ids)
    w = g.transform("r").sparse.toarray()
    s = np.linalg.inv(np.eye(len(ids)) - 0.2 * w)
    return ids, s
