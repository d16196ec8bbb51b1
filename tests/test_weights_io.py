"""Reading and writing weights files: exact round trips and bad files."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from spillmap.errors import InputError, WeightsError, WeightsWarning
from spillmap.spatial.io import read_weights, write_weights
from spillmap.spatial.weights import SpatialWeights

IDS = ("010100", "020200", "030300", "040400", "110000")  # leading zeros; 040400 is an island
M = np.array(
    [
        [0, 1, 0, 0, 1 / 3],
        [1 / 7, 0, 2, 0, 0],
        [0, 2, 0, 0, np.pi],
        [0, 0, 0, 0, 0],
        [1 / 3, 0, np.pi, 0, 0],
    ]
)


@pytest.fixture()
def w():
    return SpatialWeights.from_dense(M, IDS, name="test W").row_standardize()


@pytest.mark.parametrize("ext", ["gwt", "mtx", "csv"])
def test_weighted_round_trip_is_exact(tmp_path, w, ext):
    p = write_weights(w, tmp_path / f"w.{ext}")
    back = read_weights(p)
    assert back.ids == IDS  # strings, zeros kept, order kept, island kept
    assert back.equals(w)  # bit-for-bit (rtol = atol = 0)
    assert back.transform == "R" and back.islands == ("040400",)


@pytest.mark.filterwarnings("ignore:The weights matrix is not fully connected")
def test_gal_round_trip_and_libpysal_reads_it(tmp_path, w):
    import libpysal

    b = w.binary()
    p = write_weights(b, tmp_path / "w.gal")
    back = read_weights(p)
    assert back.ids == IDS and back.equals(b) and back.transform == "B"
    # a row-standardised binary W has equal weights per row: writable, read back binary
    rb = SpatialWeights.from_dense(M > 0, IDS).row_standardize()
    with pytest.warns(WeightsWarning, match="read back binary"):
        written = write_weights(rb, tmp_path / "r.gal")
    assert read_weights(written).row_standardize().equals(rb)
    f = libpysal.io.open(str(p))
    lw = f.read()
    f.close()
    assert list(lw.id_order) == list(IDS) and set(lw.neighbors["010100"]) == {"020200", "110000"}


def test_gal_refuses_varying_weights(tmp_path, w):
    with pytest.raises(WeightsError, match="GAL files store neighbour lists only"):
        write_weights(w, tmp_path / "w.gal")
    assert not (tmp_path / "w.gal").exists()


def test_mtx_keeps_name_and_ids_in_comments(tmp_path, w):
    p = write_weights(w, tmp_path / "w.mtx")
    text = p.read_text()
    assert "%spillmap-id 010100" in text
    assert read_weights(p).name == "test W"
    import scipy.io

    with warnings.catch_warnings():  # scipy >= 1.18: the default return type is deprecated (either type works here)
        warnings.simplefilter("ignore", DeprecationWarning)
        np.testing.assert_array_equal(scipy.io.mmread(str(p)).toarray(), w.toarray())  # plain MM readers agree


def test_mtx_read_by_scipy_gives_no_deprecation_warning(tmp_path):
    # spillmap parses real/integer/pattern general/symmetric files itself and hands the other
    # kinds to scipy.io.mmread, whose default return type scipy 1.18 deprecates for sparse
    # files (DeprecationWarning) unless spmatrix= is given; as an error it hid the real message
    p = tmp_path / "skew.mtx"
    p.write_text("%%MatrixMarket matrix coordinate real skew-symmetric\n3 3 1\n2 1 1.0\n")
    with warnings.catch_warnings(), pytest.raises(WeightsError, match="weights must be non-negative"):
        warnings.simplefilter("error")
        read_weights(p)


def test_csv_layout(tmp_path, w):
    p = write_weights(w, tmp_path / "w.csv")
    lines = p.read_text().splitlines()
    assert lines[0] == "id,010100,020200,030300,040400,110000"
    assert lines[4].startswith("040400,0,0,0,0,0")


def test_read_with_ids_reorders_and_checks(tmp_path, w):
    p = write_weights(w, tmp_path / "w.csv")
    order = list(reversed(IDS))
    back = read_weights(p, ids=order)
    assert back.ids == tuple(order) and back.equals(w, order=False)
    with pytest.raises(WeightsError, match=r"w\.csv.*ids in the data but not in W: '999999'.*in W but not in the data: '110000'"):
        read_weights(p, ids=[*IDS[:4], "999999"])


def test_gwt_islands_omitted_need_ids(tmp_path, w):
    p = tmp_path / "w.gwt"
    p.write_text("0 3 x y\nA B 0.5\nB A 0.5\n")
    with pytest.raises(WeightsError, match="header says 3 units but the file lists 2"):
        read_weights(p)
    back = read_weights(p, ids=["A", "B", "C"])
    assert back.islands == ("C",)


def test_gwt_header_count_and_truncation_are_checked_with_ids_too(tmp_path):
    """Bad-input audit 29 C1: given the panel's ids (fit, diagnose, screen, report), a header count other
    than the file's and a file cut at a line boundary were read without a word (the cut units became
    islands); only moran, which reads without ids, refused them."""
    p = tmp_path / "w.gwt"
    p.write_text("0 5 x y\nA B 0.5\nB A 0.5\nB C 0.5\nC B 1\n")  # header 5, the file and the panel 3
    with pytest.raises(WeightsError, match="header says 5 units but the file lists 3"):
        read_weights(p, ids=["A", "B", "C"])
    cut = tmp_path / "cut.gwt"
    cut.write_text("0 3 x y\nA B 1\nB A 0.5\nB C 0.5\n")  # C's own line lost, C still B's neighbour
    with pytest.raises(WeightsError, match=r"unit\(s\) 'C' appear as neighbours but have no line of their own; "
                                           r"the file looks truncated \(4 lines\)"):
        read_weights(cut, ids=["A", "B", "C"])


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    "text, pattern",
    [
        ("id,a,b\na,0,1\n", r"bad\.csv: the matrix is not square: 2 id columns in the header, 1 rows"),
        ("id,a,b\na,0,1\nb,1\n", r"not square.*wrong number of cells: 'b'"),
        ("id,a,b\na,0,1\nc,1,0\n", r"header ids differ from first-column ids; in the header only: 'b'; in the first column only: 'c'"),
        ("id,a,b\nb,0,1\na,1,0\n", r"different orders"),
        ("id,a,b\na,0,x\nb,1,0\n", r"cell \(row 'a', column 'b'\) is not a number: 'x'"),
        ("id,a,b\na,0,\nb,1,0\n", r"empty or NaN cell\(s\), e\.g\. \(row 'a', column 'b'\)"),
        ("id,a,b\na,0,nan\nb,1,0\n", r"empty or NaN"),
        ("id,a,b\na,0,-1\nb,1,0\n", r"bad\.csv: line 2: weights must be finite and non-negative; the cell \(row 'a', column 'b'\) holds '-1'"),
        ("id,a,b\na,1,1\nb,1,0\n", r"bad\.csv: line 2: a unit cannot be its own neighbour.*'a'"),
    ],
)
def test_bad_csv(tmp_path, text, pattern):
    p = _write(tmp_path, "bad.csv", text)
    with pytest.raises(WeightsError, match=pattern):
        read_weights(p)


def test_csv_label_columns_are_skipped(tmp_path):
    # the layout of ../shared/data/cigar_w_usa46_binary.csv (an R export): a name beside each id
    p = _write(tmp_path, "w.csv", '"state","name","1","3","4"\n1,"Alabama",0,1,0\n3,"Arizona",1,0,1\n4,"Arkansas",0,1,0\n')
    w = read_weights(p)
    assert w.ids == ("1", "3", "4")
    np.testing.assert_array_equal(w.sparse.toarray(), [[0, 1, 0], [1, 0, 1], [0, 1, 0]])
    # recognised only when the header's remaining cells are exactly the row ids: otherwise the shape error
    p = _write(tmp_path, "bad.csv", '"state","name","1","3","9"\n1,"Alabama",0,1,0\n3,"Arizona",1,0,1\n4,"Arkansas",0,1,0\n')
    with pytest.raises(WeightsError, match=r"bad\.csv: the matrix is not square: 4 id columns in the header, 3 rows"):
        read_weights(p)


def test_bad_gwt_and_mtx(tmp_path):
    p = _write(tmp_path, "bad.gwt", "0 2 x y\nA B zero\nB A 1\n")
    with pytest.raises(WeightsError, match=r"bad\.gwt: line 2: weight 'zero' of pair \(A, B\) is not a number"):
        read_weights(p)
    p = _write(tmp_path, "bad2.gwt", "0 2 x y\nA B\n")
    with pytest.raises(WeightsError, match=r"bad2\.gwt: line 2 does not have 3 fields"):
        read_weights(p)
    p = _write(tmp_path, "nan.gwt", "0 2 x y\nA B nan\nB A 1\n")
    with pytest.raises(WeightsError, match=r"nan\.gwt: line 2: weights contain NaN.*'A'"):
        read_weights(p)
    p = _write(tmp_path, "rect.mtx", "%%MatrixMarket matrix coordinate real general\n2 3 1\n1 2 1.0\n")
    with pytest.raises(WeightsError, match=r"rect\.mtx: line 2: the matrix is not square"):
        read_weights(p)
    p = _write(tmp_path, "junk.mtx", "hello\n")
    with pytest.raises(WeightsError, match=r"junk\.mtx: not a readable Matrix Market"):
        read_weights(p)


def test_unknown_extension_and_missing_file(tmp_path, w):
    with pytest.raises(InputError, match=r"w\.txt: unknown weights file extension '\.txt'; supported: \.gal, \.gwt, \.mtx, \.csv"):
        read_weights(tmp_path / "w.txt")
    with pytest.raises(InputError, match=r"unknown weights file extension"):
        write_weights(w, tmp_path / "w.json")
    # a boundary layer (or a bundled layer's name) given where W is expected: say how to build W
    for layer in ("china.gpkg", "us48"):
        with pytest.raises(InputError, match=r"A boundary layer is not a weights file: build W from it first "
                                             r"\(spillmap weights LAYER"):
            read_weights(tmp_path / layer)
    with pytest.raises(InputError) as err:
        read_weights(tmp_path / "w.txt")
    assert "boundary layer" not in str(err.value)
    with pytest.raises(InputError, match=r"weights file .*nope\.gal does not exist"):
        read_weights(tmp_path / "nope.gal")


def test_write_is_atomic(tmp_path, w, monkeypatch):
    p = write_weights(w, tmp_path / "w.csv")
    before = p.read_text()
    import spillmap.spatial.io as wio

    def boom(_w):
        raise RuntimeError("disk full")

    monkeypatch.setattr(wio, "_csv_text", boom)
    with pytest.raises(RuntimeError):
        write_weights(w, p, overwrite=True)
    assert p.read_text() == before
    assert [f.name for f in tmp_path.iterdir()] == ["w.csv"]  # no temp file left


def test_china_contiguity_round_trip_all_formats(tmp_path):
    from spillmap import datasets
    from spillmap.spatial.builders import contiguity

    g = datasets.china_prefectures()
    g = g[g["level"].isin(["municipality", "prefecture_city"])]
    w = contiguity(g, "adcode", islands="nearest")
    for ext in ("gal", "gwt", "mtx", "csv"):
        back = read_weights(write_weights(w, tmp_path / f"w.{ext}"))
        if ext == "gal":
            back = back.row_standardize()
            assert back.equals(w, rtol=1e-15)  # binary GAL re-standardised: 1/n_i again, <= a few ulp
        else:
            assert back.equals(w)
        assert back.ids[:2] == ("110000", "120000")


@pytest.mark.parametrize(
    "text, pattern",
    [
        ("3\na 2\nb\n", r"bad\.gal: line 3: unit 'a' announces 2 neighbour\(s\) on line 2, but this line lists 1"),
        ("2\na 1\nb\nb 1\nc\n", r"bad\.gal: 1 neighbour id\(s\) are not units of the file .*'c' \(line 5\)"),
    ],
)
def test_bad_gal(tmp_path, text, pattern):
    with pytest.raises(WeightsError, match=pattern):
        read_weights(_write(tmp_path, "bad.gal", text))


def test_mtx_without_id_comments_gets_positional_ids(tmp_path):
    p = _write(tmp_path, "plain.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 2\n1 2 0.5\n2 1 0.25\n")
    w = read_weights(p)
    assert w.ids == ("0", "1") and w.toarray()[0, 1] == 0.5


def test_write_without_overwrite(tmp_path, w):
    from spillmap.errors import OutputError

    for ext in ("gal", "gwt", "mtx", "csv"):
        p = tmp_path / f"x.{ext}"
        p.write_text("old")
        with pytest.raises(OutputError, match="exists already"):
            write_weights(w.binary(), p, overwrite=False)
        assert p.read_text() == "old"
        write_weights(w.binary(), p, overwrite=True)
        assert read_weights(p).n == 5


@pytest.mark.parametrize("ext", ["gal", "gwt"])
def test_ids_with_white_space_refused_by_whitespace_formats(tmp_path, ext):
    # GAL and GWT split their lines on white space: 'New York' (or a tab) would be read back as
    # two fields, so the write is refused before anything is written, naming every such id
    w = SpatialWeights.from_dense(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]]), ("New York", "Ohio", "a\tb"))
    with pytest.raises(WeightsError, match=r"w\.%s: .*2 do: 'New York', 'a\\tb'; write \.mtx or \.csv" % ext):
        write_weights(w, tmp_path / f"w.{ext}")
    assert not list(tmp_path.iterdir())
    for keeps in ("mtx", "csv"):  # these keep such ids exactly
        assert read_weights(write_weights(w, tmp_path / f"w.{keeps}")).ids == w.ids


def test_gal_of_a_row_standardised_w_warns_that_it_reads_back_binary(tmp_path):
    """API audit 29 #10: a row-standardised W written to GAL read back binary without a word (a SAR with
    individual effects would then run on a binary W); the writer says so, a binary W writes quietly."""
    import scipy.sparse as sp

    ring = SpatialWeights(sp.csr_matrix(np.roll(np.eye(4), 1, axis=1) + np.roll(np.eye(4), -1, axis=1)),
                          ["a", "b", "c", "d"], "B", "ring")
    with pytest.warns(WeightsWarning, match=r"r\.gal: GAL stores neighbour lists only, so these weights \(ring, "
                                            r"transform R\) are read back binary"):
        write_weights(ring.row_standardize(), tmp_path / "r.gal")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_weights(ring, tmp_path / "b.gal")
    assert read_weights(tmp_path / "r.gal").equals(ring)


def test_tilde_is_the_home_folder(tmp_path, monkeypatch, us48_queen):
    """``write_weights`` / ``read_weights`` take ``~/w.gwt`` as a shell would (the home folder),
    not as a folder named ``~`` in the working directory."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    monkeypatch.chdir(tmp_path)
    written = write_weights(us48_queen, "~/w.gwt")
    assert written == tmp_path / "home" / "w.gwt" and written.is_file() and not (tmp_path / "~").exists()
    assert read_weights("~/w.gwt").equals(read_weights(written))  # the same file, read the same way
