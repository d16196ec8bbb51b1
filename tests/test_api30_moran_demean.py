"""``MoranResult`` records how a stacked panel was centred (audit 29 API, A.10): the result of
``moran_pooled(..., demean="period")`` was indistinguishable from the pooled-mean one in its repr,
``summary()`` and ``to_frame()``.  ``to_dict()`` stays the numbers only (the JSON of
``spillmap moran`` states ``demean`` beside them, tests/test_moran_cli.py)."""
from __future__ import annotations

import json
import pickle

import pandas as pd
import pytest

from spillmap.spatial import moran, moran_by_period, moran_pooled


@pytest.fixture(scope="module")
def results(produc, us48_queen):
    w = us48_queen.row_standardize()
    kw = dict(time="year", var="unemp", w=w, permutations=9, seed=1)
    return {d: moran_pooled(produc, "state_abbr", demean=d, **kw) for d in ("pooled", "period")}


@pytest.mark.parametrize("demean", ["pooled", "period"])
def test_every_form_says_how_the_panel_was_centred(results, demean):
    r = results[demean]
    assert r.demean == demean
    assert f"demean={demean}" in repr(r)
    assert any(line.split()[:2] == ["demean", demean] for line in r.summary().splitlines())
    assert r.to_frame()["demean"].tolist() == [demean]
    assert f"<th>demean</th><td>{demean}" in r._repr_html_()


def test_round_trips_keep_demean(results):
    r = results["period"]
    back = pickle.loads(pickle.dumps(r))
    assert back.demean == "period" and repr(back) == repr(r)
    assert json.loads(r.to_frame().to_json(orient="records"))[0]["demean"] == "period"


def test_cross_sections_have_no_demean_and_frames_still_concatenate(produc, us48_queen, results):
    w = us48_queen.row_standardize()
    by = moran_by_period(produc, "state_abbr", time="year", var="unemp", w=w, permutations=0)
    one = next(iter(by.values()))
    assert one.demean is None and "demean" not in repr(one) and "demean" not in one.summary()
    cs = produc[produc.year == 1970].set_index("state_abbr")["unemp"]
    assert moran(cs, w, permutations=0).demean is None
    frame = pd.concat([one.to_frame(), results["period"].to_frame()])
    assert frame["demean"].isna().tolist() == [True, False]
