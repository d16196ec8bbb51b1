"""Catalogue of bad weights files: each error names the file, the line and what is wrong.

Not repeated here (tests/test_weights_io.py): unknown extension, missing file, CSV not
square / ids differing between header and first column / text or empty cells, GWT
with 2 fields or a text weight, a non-square or junk Matrix Market file.
"""
from __future__ import annotations

import glob
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from spillmap.errors import InputError, WeightsError, WeightsWarning
from spillmap.spatial.io import read_weights
from spillmap.spatial.weights import SpatialWeights

sys.path.insert(0, str(Path(__file__).parent))
from _catalogue_inputs import expect_error, snapshot, write  # noqa: E402

MTX_HEAD = "%%MatrixMarket matrix coordinate real general\n"


def _bad(tmp_path, name, content, *needles, exc=WeightsError):
    path = write(tmp_path, name, content)
    return expect_error(exc, lambda: read_weights(path), tmp_path, name, *needles)


# ------------------------------------------------------------------------ GAL
@pytest.mark.parametrize(
    "content, needles",
    [
        # issue 8: was "not a readable GAL file (IndexError: list index out of range)"
        ("", ["the file is empty", "a GAL file is: line 1 the number of units"]),
        # issue 8: was "not a readable GAL file (KeyError: 'WA')"
        ("2\nOR 2\nWA NV\nID 1\nOR\n", ["2 neighbour id(s) are not units of the file", "'WA' (line 3), 'NV' (line 3)"]),
        ("two\na 1\nb\nb 1\na\n", ["line 1 is not a GAL header", "'two'"]),
        ("2\na,1\nb\nb,1\na\n", ["line 2: expected 'id number_of_neighbours', got 'a,1'"]),
        ("2\na 2\nb\nb 1\na\n", ["line 3: unit 'a' announces 2 neighbour(s) on line 2, but this line lists 1"]),
        ("3\na 1\nb\nb 1\na\n", ["the header (line 1) announces 3 unit(s) but the file describes 2", "truncated"]),
        ("1\na 0\n\nb 0\n", ["line 4: the header (line 1) announces 1 unit(s), but the file goes on"]),
        ("2\na 1\nb\na 1\nb\n", ["line 4: unit 'a' appears a second time (first on line 2)"]),
        ("2\na 2\na b\nb 1\na\n", ["a unit cannot be its own neighbour: 'a' (line 3)"]),
        ("2\na 2\nb b\nb 1\na\n", ["neighbour(s) listed more than once", "('a', 'b') on lines 3 and 3"]),
        (b"2\na 1\nb\nb 1\n\xe4\n", ["line 5: byte 0xe4 is not UTF-8 text"]),
    ],
    ids=["empty", "unknown-neighbour", "header", "commas", "count", "truncated", "too-many-units",
         "duplicate-unit", "self-neighbour", "repeated-neighbour", "latin1"],
)
def test_bad_gal(tmp_path, content, needles):
    _bad(tmp_path, "w.gal", content, *needles)


def test_gal_with_byte_order_mark_crlf_and_omitted_island_line(tmp_path):
    path = write(tmp_path, "w.gal", b"\xef\xbb\xbf3\r\na 1\r\nb\r\nc 0\r\nb 1\r\na\r\n")
    w = read_weights(path)
    assert w.ids == ("a", "c", "b") and w.islands == ("c",)
    np.testing.assert_array_equal(w.toarray(), [[0, 0, 1], [0, 0, 0], [1, 0, 0]])


def test_gal_ids_not_in_the_panel_are_listed_with_their_count(tmp_path):
    units = [f"u{k:02d}" for k in range(30)]
    ring = "".join(f"{u} 1\n{units[(k + 1) % 30]}\n" for k, u in enumerate(units))
    path = write(tmp_path, "ring.gal", f"30\n{ring}")
    panel_ids = [f"p{k:02d}" for k in range(30)]
    expect_error(WeightsError, lambda: read_weights(path, ids=panel_ids), tmp_path,
                 "ring.gal", "ids in the data but not in W: 'p00'", "(and 10 more)",
                 "ids in W but not in the data: 'u00'")


_LIBPYSAL_EXAMPLES = os.path.join(os.path.dirname(__import__("libpysal").__file__), "examples")


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(_LIBPYSAL_EXAMPLES, "**", "*.gal"), recursive=True))[:6]
                         + sorted(glob.glob(os.path.join(_LIBPYSAL_EXAMPLES, "**", "*.gwt"), recursive=True)),
                         ids=os.path.basename)
def test_parsers_equal_libpysal_on_its_example_files(path):
    """The hand-written GAL/GWT parsers give libpysal's matrices on libpysal's own files (exact: 0/1 or
    the same decimal text parsed by float())."""
    import libpysal

    mine = read_weights(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fh = libpysal.io.open(path, "r")
        fh.data_type = str
        ref = SpatialWeights.from_libpysal(fh.read())
        fh.close()
    ref = ref.align(mine.ids)
    np.testing.assert_array_equal(mine.toarray() if path.endswith(".gwt") else mine.binary().toarray(), ref.toarray())


# ------------------------------------------------------------------------ GWT
@pytest.mark.parametrize(
    "content, needles",
    [
        ("0 2 x id\nA B 1\nB A -1\n", ["line 3: weights must be non-negative; the pair ('B', 'A') has -1"]),
        ("0 2 x id\nA B inf\nB A 1\n", ["line 2: weights contain NaN or infinite values: 'inf'"]),
        ("0 2 x id\nA B 1\nB A 1\nA B 2\n", ["pair(s) listed more than once", "('A', 'B') on lines 2 and 4"]),
        ("0 2 x id\nA A 1\nB A 1\n", ["a unit cannot be its own neighbour: 'A' (line 2)"]),
        ("", ["the file is empty"]),
        ("zero two\nA B 1\n", ["line 1 is not a GWT header"]),
    ],
    ids=["negative", "inf", "duplicate-pair", "self-pair", "empty", "header"],
)
def test_bad_gwt(tmp_path, content, needles):
    _bad(tmp_path, "w.gwt", content, *needles)


# ------------------------------------------------------------------------ MTX
@pytest.mark.parametrize(
    "content, needles",
    [
        (MTX_HEAD + "2 2 1\n1 5 1.0\n", ["line 3: row/column indices must be whole numbers from 1 to 2"]),
        (MTX_HEAD + "2 2 2\n1 2 1.0\n2 1 -0.5\n", ["line 4: weights must be non-negative"]),
        # scipy.io.mmread adds repeated entries up silently (weight 2)
        (MTX_HEAD + "2 2 3\n1 2 1.0\n2 1 1.0\n1 2 1.0\n", ["entry(s) listed more than once", "lines 3 and 5"]),
        (MTX_HEAD + "2 2 3\n1 2 1.0\n", ["announces 3 entries but the file has 1; it looks truncated"]),
        (MTX_HEAD + "%spillmap-id a\n%spillmap-id b\n%spillmap-id c\n2 2 1\n1 2 1\n",
         ["3 'spillmap-id' comment lines for a 2-unit matrix"]),
        ("%%MatrixMarket matrix coordinate real symmetric\n2 2 2\n2 1 1.0\n1 2 1.0\n",
         ["entry(s) listed more than once"]),
        (MTX_HEAD + "2 2 x\n", ["line 2: '2 2 x'; expected the size line 'rows columns entries'"]),
        # audit 2026-12-01: a repeated id was reported as repeated entries, a bad weight by matrix indices
        (MTX_HEAD + "%spillmap-id MT\n%spillmap-id MT\n2 2 2\n1 2 1\n2 1 1\n", ["id 'MT' repeated on lines 2 and 3"]),
        (MTX_HEAD + "%spillmap-id WA\n%spillmap-id ID\n2 2 2\n1 2 1\n2 1 -1\n",
         ["line 6: weights must be non-negative; the pair ('ID', 'WA')"]),
    ],
    ids=["index", "negative", "duplicate", "truncated", "id-lines", "symmetric-both-triangles", "size-line",
         "repeated-id", "pair-by-ids"],
)
def test_bad_mtx(tmp_path, content, needles):
    _bad(tmp_path, "w.mtx", content, *needles)


def test_symmetric_pattern_mtx_is_mirrored(tmp_path):
    path = write(tmp_path, "s.mtx", "%%MatrixMarket matrix coordinate pattern symmetric\n3 3 2\n2 1\n3 2\n")
    np.testing.assert_array_equal(read_weights(path).toarray(), [[0, 1, 0], [1, 0, 1], [0, 1, 0]])


# ------------------------------------------------------------------------ CSV
@pytest.mark.parametrize(
    "content, needles",
    [
        ("id;a;b\na;0;1\nb;1;0\n", ["line 1 is a single cell with semicolons", "must be comma-separated"]),
        ("id,a,a\na,0,1\na,1,0\n", ["line 1: the header repeats ids 'a'"]),
        ("id,a,b\na,0,1\nb,inf,0\n", ["line 3: weights must be finite and non-negative", "holds 'inf'"]),
        ("id,a,b\na,0,1\nb,1\n", ["'b' (line 3: 1 values)"]),
        (b"id,a,b\na,0,1\nb,1,0\n\xff\n", ["line 4: byte 0xff is not UTF-8 text"]),
    ],
    ids=["semicolons", "duplicate-ids", "inf", "short-row", "latin1"],
)
def test_bad_csv(tmp_path, content, needles):
    _bad(tmp_path, "w.csv", content, *needles)


def test_csv_with_byte_order_mark_is_read(tmp_path):
    w = read_weights(write(tmp_path, "w.csv", b"\xef\xbb\xbfid,01,02\r\n01,0,1\r\n02,1,0\r\n"))
    assert w.ids == ("01", "02") and w.toarray()[0, 1] == 1.0


def test_weights_path_is_a_directory(tmp_path):
    (tmp_path / "w.gal").mkdir()
    expect_error(InputError, lambda: read_weights(tmp_path / "w.gal"), tmp_path, "w.gal is a directory")


# ------------------------------------------------------------------ islands (§4)
def _islands_w() -> SpatialWeights:
    m = np.zeros((5, 5))
    m[0, 1] = m[1, 0] = m[1, 2] = m[2, 1] = 1.0
    return SpatialWeights(m, ["a", "b", "c", "HI", "AK"], "B", "queen").row_standardize()


def test_islands_warning_names_them_and_the_components():
    w = _islands_w()
    assert w.n_components == 3  # {a, b, c}, {HI}, {AK}
    assert "2 island(s)" in w.islands_warning and "'HI', 'AK'" in w.islands_warning
    assert "3 connected components" in w.islands_warning
    assert SpatialWeights(np.ones((2, 2)) - np.eye(2), ["a", "b"]).islands_warning == ""


@pytest.mark.parametrize("test", ["moran", "geary", "local_moran", "moran_pooled", "moran_by_period"])
def test_moran_and_friends_warn_about_islands(tmp_path, test):
    import pandas as pd

    from spillmap.spatial import autocorrelation as A

    w = _islands_w()
    y = np.array([1.0, 2.0, 4.0, 3.0, 5.0])
    panel = pd.DataFrame({"id": list(w.ids) * 2, "t": [1] * 5 + [2] * 5, "v": np.r_[y, y[::-1]]})
    call = {
        "moran": lambda: A.moran(y, w, permutations=0),
        "geary": lambda: A.geary(y, w, permutations=0),
        "local_moran": lambda: A.local_moran(y, w, permutations=9, seed=0),
        "moran_pooled": lambda: A.moran_pooled(panel, id="id", time="t", var="v", w=w, permutations=0),
        "moran_by_period": lambda: A.moran_by_period(panel, id="id", time="t", var="v", w=w, permutations=0),
    }[test]
    before = snapshot(tmp_path)
    with pytest.warns(WeightsWarning, match=r"W 'queen' has 2 island\(s\).*'HI', 'AK'.*3 connected components"):
        call()
    assert snapshot(tmp_path) == before


def test_w_over_more_units_than_the_data_says_how_to_build_it_on_the_data(tmp_path):
    units = [f"u{k:02d}" for k in range(30)]
    ring = "".join(f"{u} 1\n{units[(k + 1) % 30]}\n" for k, u in enumerate(units))
    path = write(tmp_path, "ring.gal", f"30\n{ring}")
    expect_error(WeightsError, lambda: read_weights(path, ids=units[:25]), tmp_path,
                 "ring.gal", "ids in W but not in the data: 'u25'", "W has 30 units and the data 25",
                 "--subset-column")
