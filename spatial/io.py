"""Reading and writing spatial weights files: GAL, GWT, Matrix Market and full-matrix CSV.

=========  =====================================================================
extension  format
=========  =====================================================================
``.gal``   GeoDa/PySAL neighbour lists (binary); read by ``libpysal.io``, written here
``.gwt``   GeoDa/PySAL weighted pairs ``i j w_ij``; written and parsed here
``.mtx``   Matrix Market coordinate format (``scipy.io``); the unit ids, transform
           and name are stored in ``%`` comment lines so they round-trip
``.csv``   the full N x N matrix: header row = ``id`` label then the unit ids, first
           column = the same ids (the file ``spillmap ... --w FILE.csv`` accepts)
=========  =====================================================================

Ids are always strings (``"010100"`` keeps its leading zero).  Every write is atomic
(:mod:`spillmap._fileio`): a temporary file renamed into place when complete.

GAL is written here because ``libpysal.io.open`` picks the format from the file
extension, which the atomic temporary file does not have; the text is the same as
libpysal's writer produces.  Why GWT is written *and* read by hand: libpysal's writers round weights to 6-7 decimals
(``W`` writer ``%.6f``-like output, ``Graph.to_gwt`` ``%.7f``) and ``Graph.read_gwt``
parses ids as numbers (``"010100"`` becomes ``10100``); both change the matrix.  Here
weights are written with ``repr`` (shortest exact round-trip) and islands as a
self-pair of weight 0 (``i i 0``) so that they keep their place in the order.

GAL stores neighbour lists only: :func:`write_weights` accepts a GAL target only when
every row has equal weights (binary or row-standardised binary), and
:func:`read_weights` returns binary weights from GAL.
"""
from __future__ import annotations

import io as _io
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from spillmap._fileio import atomic_path, atomic_write_text, preflight
from spillmap.errors import InputError, WeightsError, format_items
from spillmap.spatial.weights import SpatialWeights

__all__ = ["read_weights", "write_weights", "FORMATS"]

#: supported file extensions
FORMATS = (".gal", ".gwt", ".mtx", ".csv")


def _ext(path: Path) -> str:
    ext = path.suffix.lower()
    if ext not in FORMATS:
        raise InputError(
            f"{path}: unknown weights file extension {path.suffix or '(none)'!r}; "
            f"supported: {', '.join(FORMATS)}."
        )
    return ext


# ----------------------------------------------------------------------- read
def read_weights(path: str | os.PathLike, *, ids: Sequence[object] | None = None) -> SpatialWeights:
    """Read a weights file (``.gal``, ``.gwt``, ``.mtx`` or ``.csv``).

    Parameters
    ----------
    path
        The file; its extension selects the format.
    ids
        The units wanted, in this order (e.g. a panel's ids).  The file's units must
        be the same set; the result is reordered to ``ids``.  For GWT files, units
        absent from the file (islands written without a ``i i 0`` line) are added as
        zero rows when the header's unit count equals ``len(ids)``.

    Returns
    -------
    SpatialWeights
        With ids as strings; ``transform`` as stored (MTX), ``"B"`` for GAL, else
        ``"R"`` when the rows sum to one, ``"O"`` otherwise.  A Matrix Market file
        written elsewhere (no ``%spillmap-id`` lines) gets the positional ids
        ``"0"`` ... ``"N-1"``.

    Raises
    ------
    InputError
        Missing file, unknown extension.
    WeightsError
        A malformed file (message names the file and the row/column at fault), or ids
        that differ from ``ids`` (both sides listed).
    """
    path = Path(path)
    ext = _ext(path)
    if not path.is_file():
        raise InputError(f"weights file {path} does not exist.")
    try:
        if ext == ".gal":
            w = _read_gal(path)
        elif ext == ".gwt":
            w = _read_gwt(path, ids)
        elif ext == ".mtx":
            w = _read_mtx(path)
        else:
            w = _read_csv(path)
    except WeightsError as exc:
        msg = str(exc)
        raise WeightsError(msg if msg.startswith(str(path)) else f"{path}: {msg}") from None
    if w.transform == "O" and w.nnz and w.is_row_standardized:
        w = SpatialWeights(w.sparse, w.ids, "R", w.name)
    if ids is not None:
        try:
            w = w.align(ids)
        except WeightsError as exc:
            raise WeightsError(f"{path}: {exc}") from None
    return w


def _read_gal(path: Path) -> SpatialWeights:
    import warnings

    import libpysal

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f = libpysal.io.open(str(path), "r")
            f.data_type = str
            lw = f.read()
            f.close()
    except Exception as exc:  # libpysal raises bare ValueError/IndexError on bad files
        raise WeightsError(f"{path}: not a readable GAL file ({type(exc).__name__}: {exc}).") from None
    w = SpatialWeights.from_libpysal(lw, name=path.stem)
    return SpatialWeights(w.sparse, w.ids, "B", path.stem)


def _read_gwt(path: Path, ids: Sequence[object] | None) -> SpatialWeights:
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines:
        raise WeightsError(f"{path}: empty GWT file.")
    head = lines[0].split()
    try:
        n_head = int(head[1]) if len(head) > 1 else int(head[0])
    except (ValueError, IndexError):
        raise WeightsError(f"{path}: line 1 is not a GWT header ('0 n shapefile idvar').") from None
    order: dict[str, int] = {}
    triples = []
    for lineno, line in enumerate(lines[1:], start=2):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 3:
            raise WeightsError(f"{path}: line {lineno} does not have 3 fields (i j w): {line!r}.")
        a, b, v = parts
        try:
            x = float(v)
        except ValueError:
            raise WeightsError(f"{path}: line {lineno}: weight {v!r} of pair ({a}, {b}) is not a number.") from None
        order.setdefault(a, len(order))  # row order = order of first appearance as origin
        triples.append((a, b, x))
    for _, b, _ in triples:  # units that only appear as neighbours go last
        order.setdefault(b, len(order))
    rows = [order[a] for a, _, _ in triples]
    cols = [order[b] for _, b, _ in triples]
    vals = [x for _, _, x in triples]
    file_ids = list(order)
    if ids is not None:
        want = [str(i) for i in ids]
        extra = [u for u in file_ids if u not in set(want)]
        if not extra and len(want) == n_head:
            for u in want:
                if u not in order:
                    order[u] = len(order)
            file_ids = list(order)
    n = len(file_ids)
    if n != n_head and ids is None:
        raise WeightsError(
            f"{path}: the header says {n_head} units but the file lists {n}; islands may have been "
            f"written without an 'i i 0' line: pass ids= with all units."
        )
    m = sp.coo_matrix((vals, (rows, cols)), shape=(n, n)).tocsr()
    if m.nnz and np.any(m.diagonal() != 0):
        bad = [file_ids[i] for i in np.flatnonzero(m.diagonal())]
        raise WeightsError(f"{path}: non-zero self-weights for ids {format_items(bad)}.")
    dup = sp.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n)).tocsr()
    if dup.nnz and dup.data.max() > 1:
        r, c = np.nonzero(dup > 1)
        raise WeightsError(f"{path}: repeated pairs {format_items([(file_ids[i], file_ids[j]) for i, j in zip(r, c)])}.")
    return SpatialWeights(m, tuple(file_ids), "O", path.stem)


def _read_mtx(path: Path) -> SpatialWeights:
    import scipy.io

    ids: list[str] = []
    meta: dict = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("%"):
                break
            body = line[1:].strip()
            if body.startswith("spillmap-id "):
                ids.append(body[len("spillmap-id ") :])
            elif body.startswith("spillmap-meta "):
                try:
                    meta = json.loads(body[len("spillmap-meta ") :])
                except json.JSONDecodeError:
                    raise WeightsError(f"{path}: unreadable spillmap-meta comment line.") from None
    try:
        m = scipy.io.mmread(str(path))
    except Exception as exc:
        raise WeightsError(f"{path}: not a readable Matrix Market file ({exc}).") from None
    if m.shape[0] != m.shape[1]:
        raise WeightsError(f"{path}: the matrix is not square (shape {m.shape}).")
    if not ids:
        ids = [str(i) for i in range(m.shape[0])]
    elif len(ids) != m.shape[0]:
        raise WeightsError(f"{path}: {len(ids)} 'spillmap-id' lines for a {m.shape[0]}-unit matrix.")
    t = meta.get("transform", "O")
    t = t if t in ("O", "B", "R") else "O"
    return SpatialWeights(sp.csr_matrix(m), tuple(ids), t, meta.get("name", path.stem))


def _read_csv(path: Path) -> SpatialWeights:
    import csv

    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    rows = [r for r in rows if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise WeightsError(f"{path}: a weights CSV needs a header row of ids and one row per unit.")
    header = [c.strip() for c in rows[0][1:]]
    body = rows[1:]
    row_ids = [r[0].strip() for r in body]
    n = len(header)
    bad_len = [row_ids[k] for k, r in enumerate(body) if len(r) - 1 != n]
    if len(body) != n or bad_len:
        detail = f"; rows with a wrong number of cells: {format_items(bad_len)}" if bad_len else ""
        raise WeightsError(
            f"{path}: the matrix is not square: {n} id columns in the header, {len(body)} rows{detail}."
        )
    if header != row_ids:
        if set(header) == set(row_ids):
            raise WeightsError(
                f"{path}: the header ids and the first-column ids are in different orders; "
                f"write rows and columns in the same order."
            )
        raise WeightsError(
            f"{path}: header ids differ from first-column ids; in the header only: "
            f"{format_items([i for i in header if i not in set(row_ids)])}; in the first column only: "
            f"{format_items([i for i in row_ids if i not in set(header)])}."
        )
    cells = np.array([[c.strip() for c in r[1:]] for r in body], dtype=object).reshape(n, n)
    empty = cells == ""
    cells[empty] = "nan"
    try:
        m = cells.astype(float)  # Python float(): correctly rounded, exact for repr output
    except ValueError:
        for i in range(n):
            for j in range(n):
                try:
                    float(cells[i, j])
                except ValueError:
                    raise WeightsError(
                        f"{path}: cell (row {row_ids[i]!r}, column {header[j]!r}) is not a number: {cells[i, j]!r}."
                    ) from None
        raise
    if np.isnan(m).any():
        i, j = np.argwhere(np.isnan(m))[0]
        raise WeightsError(
            f"{path}: empty or NaN cell(s), e.g. (row {row_ids[i]!r}, column {header[j]!r}); "
            f"write 0 for pairs that are not neighbours."
        )
    return SpatialWeights(m, tuple(header), "O", path.stem)


# ---------------------------------------------------------------------- write
def write_weights(w: SpatialWeights, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write ``w`` to ``path`` atomically; the extension selects the format.

    Parameters
    ----------
    w
        The weights.
    path
        Target file (``.gal``, ``.gwt``, ``.mtx`` or ``.csv``); its folder must exist.
    overwrite
        Replace an existing file.  Without it (default) an existing ``path`` is an
        :class:`~spillmap.errors.OutputError`, raised before anything is written; so is
        a folder, a missing or read-only parent folder, or another run writing ``path``.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    InputError
        Unknown extension.
    WeightsError
        GAL target for weights whose rows have unequal weights (GAL cannot store them).
    """
    path = Path(path)
    ext = _ext(path)
    if not isinstance(w, SpatialWeights):
        raise WeightsError(f"write_weights takes a SpatialWeights object, not {type(w).__name__}.")
    preflight([path], force=overwrite)
    if ext == ".gal":
        return _write_gal(w, path, overwrite)
    if ext == ".gwt":
        return atomic_write_text(path, _gwt_text(w), overwrite=overwrite)
    if ext == ".mtx":
        return _write_mtx(w, path, overwrite)
    return atomic_write_text(path, _csv_text(w), overwrite=overwrite)


def _rows_equal_weights(w: SpatialWeights) -> bool:
    m = w.sparse
    for i in range(w.n):
        d = m.data[m.indptr[i] : m.indptr[i + 1]]
        if d.size and not np.allclose(d, d[0], rtol=1e-12, atol=0):
            return False
    return True


def _write_gal(w: SpatialWeights, path: Path, overwrite: bool = True) -> Path:
    if not _rows_equal_weights(w):
        raise WeightsError(
            f"{path}: GAL files store neighbour lists only and these weights vary within rows "
            f"({w.name or 'W'}); write .gwt, .mtx or .csv instead, or pass w.binary()."
        )
    nb = w.neighbors()
    lines = [str(w.n)]
    for u in w.ids:
        if " " in u:
            raise WeightsError(f"{path}: GAL ids cannot contain spaces: {u!r}.")
        lines.append(f"{u} {len(nb[u])}")
        lines.append(" ".join(nb[u]))
    return atomic_write_text(path, "\n".join(lines) + "\n", overwrite=overwrite)


def _gwt_text(w: SpatialWeights) -> str:
    bad = [u for u in w.ids if any(ch.isspace() for ch in u)]
    if bad:
        raise WeightsError(f"GWT ids cannot contain spaces: {format_items(bad)}.")
    m = w.sparse
    out = [f"0 {w.n} Unknown Unknown"]
    for i, u in enumerate(w.ids):
        lo, hi = m.indptr[i], m.indptr[i + 1]
        if lo == hi:
            out.append(f"{u} {u} 0")
        for j, x in zip(m.indices[lo:hi], m.data[lo:hi]):
            out.append(f"{u} {w.ids[j]} {float(x)!r}")
    return "\n".join(out) + "\n"


def _write_mtx(w: SpatialWeights, path: Path, overwrite: bool = True) -> Path:
    import scipy.io

    bad = [u for u in w.ids if "\n" in u or "\r" in u]
    if bad:
        raise WeightsError(f"ids cannot contain line breaks: {format_items(bad)}.")
    meta = json.dumps({"transform": w.transform, "name": w.name}, ensure_ascii=False)
    comment = "\n".join([f"spillmap-meta {meta}"] + [f"spillmap-id {u}" for u in w.ids])
    buf = _io.BytesIO()
    scipy.io.mmwrite(buf, w.sparse.tocoo(), comment=comment, field="real", precision=17)
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_bytes(buf.getvalue())
    return path


def _csv_text(w: SpatialWeights) -> str:
    import csv

    buf = _io.StringIO()
    wr = csv.writer(buf, lineterminator="\n")
    dense = w.toarray()
    wr.writerow(["id", *w.ids])
    for u, row in zip(w.ids, dense):
        wr.writerow([u, *(repr(x) if x else "0" for x in row.tolist())])
    return buf.getvalue()
