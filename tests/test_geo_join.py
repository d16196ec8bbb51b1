"""Tests of spillmap.geo.join_panel: order, id normalisation, report and every bad input."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from spillmap.errors import DataError, JoinError
from spillmap.geo import JoinReport, PanelJoin, join_panel


def _layer(codes):
    return gpd.GeoDataFrame(
        {"code": list(codes), "name": [f"unit {c}" for c in codes]},
        geometry=[box(i, 0, i + 1, 1) for i in range(len(codes))],
        crs=4326,
    )


def _panel(codes, years=(2008, 2009, 2010), seed=0):
    rng = np.random.default_rng(seed)
    rows = [(c, y) for c in codes for y in years]  # id-major on purpose: join must re-sort
    df = pd.DataFrame(rows, columns=["code", "year"])
    df["y"] = rng.normal(size=len(df))
    df["x"] = rng.normal(size=len(df))
    df["label"] = "city"
    return df


# --- happy paths -----------------------------------------------------------------------------

def test_order_is_time_major_id_minor_sorted_by_text():
    codes = ["310000", "110000", "500000", "120000"]
    layer = _layer(codes + ["999999"])
    panel = _panel(codes).sample(frac=1.0, random_state=3)  # shuffled rows
    j = join_panel(layer, panel, id="code", time="year")
    assert isinstance(j, PanelJoin) and isinstance(j.report, JoinReport)
    assert j.ids == ("110000", "120000", "310000", "500000")
    assert j.times == (2008, 2009, 2010) and (j.n, j.t) == (4, 3)
    assert j.layer["code"].tolist() == list(j.ids)
    assert j.layer.index.tolist() == [0, 1, 2, 3]
    # independent oracle: pandas sort of the input by (year, code)
    expected = panel.sort_values(["year", "code"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(j.panel, expected, check_dtype=False)
    assert pd.api.types.is_string_dtype(j.panel["code"])  # text ids: "str" on pandas 3, object of str before
    # the geometry travels with its id
    assert j.layer.set_index("code").geometry["500000"].equals(layer.set_index("code").geometry["500000"])
    assert j.report.layer_ids_not_in_panel == ("999999",)
    assert j.report.variables == ("y", "x")  # 'label' is text: not a value column
    assert j.report.balanced and j.report.ok
    assert "layer units not in the panel (dropped): 1 -> '999999'" in str(j.report)
    assert "n=4, t=3" in repr(j)


def test_integer_and_float_panel_ids_match_text_layer_ids():
    layer = _layer(["110000", "120000"])
    panel = _panel([110000, 120000])
    j = join_panel(layer, panel, id="code", time="year")
    assert j.panel["code"].tolist()[:2] == ["110000", "120000"]
    assert any("integer ids converted" in n for n in j.report.id_notes)
    panel_f = _panel([110000.0, 120000.0])
    j = join_panel(layer, panel_f, id="code", time="year")
    assert j.ids == ("110000", "120000")
    assert any("110000.0 -> '110000'" in n for n in j.report.id_notes)


def test_layer_id_differs_from_panel_id_and_numeric_layer_ids():
    layer = _layer(["1", "2"]).rename(columns={"code": "gid"})
    layer["gid"] = [1, 2]
    panel = _panel(["1", "2"])
    j = join_panel(layer, panel, id="code", time="year", layer_id="gid")
    assert j.layer["gid"].tolist() == ["1", "2"]
    assert pd.api.types.is_string_dtype(j.layer["gid"])  # "str" on pandas 3, object of str before


def test_whitespace_in_ids_is_stripped_and_reported():
    j = join_panel(_layer(["a", "b"]), _panel([" a", "b "]), id="code", time="year")
    assert j.ids == ("a", "b")
    assert any("white space stripped" in n for n in j.report.id_notes)


def test_text_numbers_are_converted_and_reported():
    panel = _panel(["a", "b"])
    panel["x"] = panel["x"].map(repr).astype("str")
    j = join_panel(_layer(["a", "b"]), panel, id="code", time="year")
    assert j.report.converted_columns == ("x",)
    assert j.panel["x"].dtype == float
    # repr -> float round-trips exactly
    np.testing.assert_array_equal(
        j.panel["x"].to_numpy(), panel.sort_values(["year", "code"])["x"].astype(float).to_numpy()
    )


def test_allow_unbalanced_reports_missing_cells():
    panel = _panel(["a", "b", "c"])
    panel = panel[~((panel.code == "b") & (panel.year == 2009))]
    j = join_panel(_layer(["a", "b", "c"]), panel, id="code", time="year", allow_unbalanced=True)
    assert j.report.missing_cells == (("b", 2009),)
    assert not j.report.balanced
    assert len(j.panel) == 8
    assert list(zip(j.panel["year"], j.panel["code"])) == sorted(zip(panel["year"], panel["code"]))


def test_explicit_variables_only_are_checked():
    panel = _panel(["a", "b"])
    panel.loc[0, "x"] = np.nan
    j = join_panel(_layer(["a", "b"]), panel, id="code", time="year", variables=["y"])
    assert j.report.variables == ("y",)


def test_produc_joins_us48(us48, produc):
    j = join_panel(us48, produc, id="state_abbr", time="year", layer_id="STATE_ABBR")
    # 48 states x 1970-1986: data/README.md and Munnell (1990) / plm::Produc (816 rows)
    assert (j.n, j.t, len(j.panel)) == (48, 17, 816)
    assert j.times == tuple(range(1970, 1987))
    assert j.report.balanced and not j.report.layer_ids_not_in_panel
    assert j.panel["state_abbr"].iloc[:48].tolist() == sorted(us48["STATE_ABBR"])
    assert (j.panel["year"].iloc[:48] == 1970).all()
    # values travel with their cells
    ref = produc.set_index(["state_abbr", "year"])["gsp"]
    got = j.panel.set_index(["state_abbr", "year"])["gsp"]
    pd.testing.assert_series_equal(got.sort_index(), ref.sort_index())


def test_china_prefecture_cities_join_a_fake_panel():
    from spillmap.datasets import china_prefectures

    cn = china_prefectures()
    cities = cn[cn["level"].isin(["municipality", "prefecture_city"])]
    # 297 = 4 municipalities + 293 prefecture-level cities: data/README.md
    assert len(cities) == 297
    years = range(2008, 2020)
    rng = np.random.default_rng(1)
    panel = pd.DataFrame(
        [(int(c), y) for c in cities["adcode"] for y in years], columns=["adcode", "year"]
    )  # codes as integers, as read_csv would give them
    panel["gtfp"] = rng.lognormal(size=len(panel))
    panel["int"] = rng.uniform(size=len(panel))
    j = join_panel(cn, panel, id="adcode", time="year")
    assert (j.n, j.t, len(j.panel)) == (297, 12, 297 * 12)
    assert j.report.balanced and j.report.ok
    assert len(j.report.layer_ids_not_in_panel) == 372 - 297
    assert j.ids == tuple(sorted(cities["adcode"]))
    assert j.ids[0] == "110000"
    assert set(j.layer["level"]) == {"municipality", "prefecture_city"}


# --- bad inputs --------------------------------------------------------------------------------

def test_panel_ids_not_in_layer():
    with pytest.raises(JoinError, match=r"2 panel id\(s\) in 'code' have no unit.*'x', 'y'") as ei:
        join_panel(_layer(["a", "b"]), _panel(["a", "b", "x", "y"]), id="code", time="year")
    assert ei.value.report.panel_ids_not_in_layer == ("x", "y")


def test_leading_zero_hint():
    layer = _layer(["01001", "01003"])
    with pytest.raises(JoinError, match=r"'1001', '1003'.*leading zeros.*dtype="):
        join_panel(layer, _panel([1001, 1003]), id="code", time="year")


def test_leading_zeros_the_layer_lacks_are_hinted():
    """The reverse case: the layer's codes were stored as numbers (1..9, 10..), the panel's as text '01'."""
    layer = _layer([1, 2, 10])
    with pytest.raises(JoinError, match=r"'01', '02'\. The panel's ids have leading zeros that the layer's "
                                        r"codes lack \('01' against '1'"):
        join_panel(layer, _panel(["01", "02", "10"]), id="code", time="year")


def test_decimal_ids_are_hinted():
    """Whole-number ids written as decimals (a pandas column with empty cells is read as floats)."""
    with pytest.raises(JoinError, match=r"'110000\.0', '120000\.0'\. The panel's ids look like whole numbers "
                                        r"written as decimals \('110000\.0' against the layer's '110000'"):
        join_panel(_layer(["110000", "120000"]), _panel(["110000.0", "120000.0"]), id="code", time="year")


def test_full_width_and_letter_case_ids_are_hinted():
    """Codes typed with a Chinese input method in full-width mode, and codes in another case."""
    with pytest.raises(JoinError, match=r"written with full-width or other non-ASCII characters "
                                        r"\('\uff21\uff2b' against 'AK'\); save them in ASCII"):
        join_panel(_layer(["AL", "AK"]), _panel(["\uff21\uff2c", "\uff21\uff2b"]), id="code", time="year")
    with pytest.raises(JoinError, match=r"in letter case only \('ak' against 'AK'\)"):
        join_panel(_layer(["AL", "AK"]), _panel(["al", "ak"]), id="code", time="year")
    with pytest.raises(JoinError) as ei:  # unrelated codes get no such hint
        join_panel(_layer(["AL", "AK"]), _panel(["x", "y"]), id="code", time="year")
    assert "letter case" not in str(ei.value) and "full-width" not in str(ei.value)


def test_names_without_their_suffix_are_hinted():
    """City names written without 市 ('北京' for the layer's '北京市'), a common mismatch."""
    with pytest.raises(JoinError, match=r"with a part left out or added \('北京' against '北京市'"):
        join_panel(_layer(["北京市", "天津市"]), _panel(["北京", "天津"]), id="code", time="year")
    with pytest.raises(JoinError) as ei:  # two codes start with the id: no guess
        join_panel(_layer(["吉林市", "吉林省", "长春市"]), _panel(["吉林", "长春市"]), id="code", time="year")
    assert "part left out" not in str(ei.value)


def test_panel_without_rows():
    with pytest.raises(JoinError, match=r"the panel has no rows \(its columns: 'code', 'year', 'y'"):
        join_panel(_layer(["a", "b"]), _panel(["a", "b"]).iloc[:0], id="code", time="year")


def test_date_periods_join_and_their_gaps_are_named():
    """Dates as periods: the panel is balanced (on pandas 2 every cell was 'missing': its distinct
    periods came back as integers of nanoseconds), leap years are no gap, a missing year is."""
    import warnings

    def dated(years):
        return _panel(["a", "b"], years=years).assign(year=lambda d: pd.to_datetime(d.year.astype(str) + "-07-01"))

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 2003 -> 2004 -> 2005 -> 2006: 365 and 366 days, equally spaced years
        j = join_panel(_layer(["a", "b"]), dated((2003, 2004, 2005, 2006)), id="code", time="year")
    assert j.t == 4 and j.times[0] == pd.Timestamp("2003-07-01") and len(j.panel) == 8
    with pytest.warns(UserWarning, match=r"usual step 365 days\); no unit has data between 2004-07-01 -> 2006-07-01"):
        join_panel(_layer(["a", "b"]), dated((2003, 2004, 2006, 2007)), id="code", time="year")


def test_duplicate_id_time_rows():
    panel = _panel(["a", "b"])
    panel = pd.concat([panel, panel.iloc[[1, 4]]], ignore_index=True)
    with pytest.raises(JoinError, match=r"2 \(id, time\) cell\(s\).*more than once.*\('a', 2009\), \('b', 2009\)"):
        join_panel(_layer(["a", "b"]), panel, id="code", time="year")


def test_duplicate_after_id_normalisation():
    panel = _panel(["110000"], years=(2008,))
    panel2 = _panel([110000], years=(2008,))
    with pytest.raises(JoinError, match=r"\('110000', 2008\)"):
        join_panel(_layer(["110000"]), pd.concat([panel, panel2], ignore_index=True).astype({"code": object}), id="code", time="year")


def test_unbalanced_panel_lists_missing_cells():
    panel = _panel(["a", "b", "c"])
    panel = panel.drop(index=[1, 8])  # ('a', 2009) and ('c', 2010)
    with pytest.raises(JoinError, match=r"unbalanced: 2 .*missing out of 9: \('a', 2009\), \('c', 2010\).*allow_unbalanced"):
        join_panel(_layer(["a", "b", "c"]), panel, id="code", time="year")


def test_non_numeric_variable_names_column_and_example():
    panel = _panel(["a", "b"])
    panel["gdp"] = ["1.5", "2", "n/a", "4", "5", "6"]
    with pytest.raises(DataError, match=r"non-numeric.*'gdp' \(e\.g\. 'n/a' \(a missing-value mark: leave the cell "
                                        r"empty\) at \('a', 2010\); 1 bad value"):
        join_panel(_layer(["a", "b"]), panel, id="code", time="year")
    panel["gdp"] = ["1.5", "2", "1,234.5", "4", "5", "6"]  # an export with thousands separators
    with pytest.raises(DataError, match=r"'gdp' \(e\.g\. '1,234\.5' \(written with thousands separators"):
        join_panel(_layer(["a", "b"]), panel, id="code", time="year")
    # an explicit text variable is checked too
    with pytest.raises(DataError, match=r"'label' \(e\.g\. 'city'"):
        join_panel(_layer(["a", "b"]), panel, id="code", time="year", variables=["y", "label"])


def test_nan_in_variable_names_column_and_cells():
    panel = _panel(["a", "b"])
    panel.loc[(panel.code == "b") & (panel.year == 2008), "y"] = np.nan
    panel.loc[(panel.code == "a") & (panel.year == 2010), "x"] = np.inf
    with pytest.raises(DataError, match=r"2 NaN or infinite.*'y' at \('b', 2008\); 'x' at \('a', 2010\)") as ei:
        join_panel(_layer(["a", "b"]), panel, id="code", time="year")
    assert ei.value.report.nan_cells == (("y", "b", 2008), ("x", "a", 2010))


def test_missing_columns_and_variables():
    panel = _panel(["a"])
    with pytest.raises(DataError, match=r"no column 'city' in the panel.*'code', 'year'"):
        join_panel(_layer(["a"]), panel, id="city", time="year")
    with pytest.raises(DataError, match=r"no column 't' in the panel"):
        join_panel(_layer(["a"]), panel, id="code", time="t")
    with pytest.raises(DataError, match=r"no column 'gid' in the layer.*'code'"):
        join_panel(_layer(["a"]), panel, id="code", time="year", layer_id="gid")
    with pytest.raises(DataError, match=r"variables not in the panel: 'gdp'"):
        join_panel(_layer(["a"]), panel, id="code", time="year", variables=["gdp"])


def test_null_ids_and_times():
    panel = _panel(["a", "b"]).astype({"code": object})
    panel.loc[2, "code"] = None
    with pytest.raises(DataError, match=r"column 'code', row index 2: empty"):
        join_panel(_layer(["a", "b"]), panel, id="code", time="year")
    panel = _panel(["a", "b"]).astype({"year": float})
    panel.loc[4, "year"] = np.nan
    with pytest.raises(DataError, match=r"column 'year', row index 4: empty"):
        join_panel(_layer(["a", "b"]), panel, id="code", time="year")


def test_duplicate_layer_ids():
    with pytest.raises(JoinError, match=r"layer column 'code' is not unique.*'a'"):
        join_panel(_layer(["a", "a", "b"]), _panel(["a", "b"]), id="code", time="year")


def test_non_integer_float_ids():
    with pytest.raises(DataError, match=r"non-integer numbers.*1\.5"):
        join_panel(_layer(["1"]), _panel([1.5]), id="code", time="year")


def test_categorical_and_nullable_integer_ids():
    panel = _panel(["a", "b"]).astype({"code": "category"})
    assert join_panel(_layer(["a", "b"]), panel, id="code", time="year").ids == ("a", "b")
    panel = _panel([110000, 120000]).astype({"code": "Int64"})
    assert join_panel(_layer(["110000", "120000"]), panel, id="code", time="year").ids == ("110000", "120000")
