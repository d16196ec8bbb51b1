"""A W whose islands were linked says which they were (newcomer audit 31 #6).

``spillmap weights ... --islands nearest`` printed "islands 0 (none)" (true of the linked W) while
the report described the same W as "5 islands linked to their 1 nearest unit".  The W now keeps the
record of its island policy (:class:`~spillmap.spatial.weights.IslandPolicy`) and every display of it
(``summary()``, ``str``, ``repr``, ``_repr_html_``, ``to_dict``) says what was done with which units;
"0 (none)" stays for a W that never had islands.  The transforms, ``align`` and ``subset`` keep the
record, pickling too.  (The builder that sets it, ``contiguity``, is in the patch
briefs/helper-31-cli-extra.patch with its command-line test.)
"""
from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
import scipy.sparse as sp

from spillmap.errors import InputError
from spillmap.spatial.weights import IslandPolicy, SpatialWeights


def _linked(policy: IslandPolicy | None, transform: str = "B") -> SpatialWeights:
    """A path a-b-c-d whose ends 'a' and 'd' stand for islands linked to their nearest unit."""
    m = sp.csr_matrix(np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]], dtype=float))
    return SpatialWeights(m, ["a", "b", "c", "d"], transform, "queen contiguity + 1-nearest for islands",
                          island_policy=policy)


def test_linked_islands_are_named_in_every_display():
    w = _linked(IslandPolicy("nearest", ["a", "d"], 1)).row_standardize()
    text = str(w.summary())
    assert "islands               2 of the contiguity linked to their nearest unit ('a', 'd')" in text
    assert "0 (none)" not in text and w.islands == ()
    assert w.summary().summary() == text
    assert "islands=0 (2 linked)" in repr(w)
    assert "2 of the contiguity linked to their nearest unit (&#x27;a&#x27;, &#x27;d&#x27;)" in w._repr_html_()
    assert w.summary().to_dict()["island_policy"] == {"policy": "nearest", "ids": ["a", "d"], "k": 1}


def test_k_nearest_and_dropped_islands_are_worded_as_done():
    assert "2 of the contiguity linked to their 3 nearest units ('a', 'd')" in str(
        _linked(IslandPolicy("nearest", ["a", "d"], 3)).summary())
    assert "islands               2 of the contiguity dropped ('x', 'y')" in str(
        _linked(IslandPolicy("drop", ["x", "y"])).summary())


def test_a_w_without_islands_still_says_none():
    w = _linked(None)
    assert "islands               0 (none)" in str(w.summary())
    assert "islands=0," in repr(w) and w.summary().to_dict()["island_policy"] is None


def test_the_record_follows_the_transforms_the_order_and_copies():
    w = _linked(IslandPolicy("nearest", ["a", "d"], 1))
    for other in (w.row_standardize(), w.binary(), w.align(["d", "c", "b", "a"]), pickle.loads(pickle.dumps(w)),
                  copy.deepcopy(w)):
        assert other.island_policy == w.island_policy
    # a subset keeps the linked islands it holds; one that loses its link is an island again, said as well
    sub = w.subset(["a", "c", "d"])
    assert sub.island_policy == IslandPolicy("nearest", ["a", "d"], 1)
    assert "2 of the contiguity linked to their nearest unit ('a', 'd'); 1 ('a') now" in str(sub.summary())
    assert w.subset(["b", "c"]).island_policy is None


def test_a_bad_record_is_refused():
    with pytest.raises(InputError, match="policy must be one of"):
        IslandPolicy("keep", ["a"])
    with pytest.raises(InputError, match="ids of the islands"):
        IslandPolicy("nearest", [])
    with pytest.raises(InputError, match="island_policy must be an IslandPolicy"):
        _linked("nearest")  # type: ignore[arg-type]
