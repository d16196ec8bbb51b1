"""Line-checked parsers of the matrix layouts: Matrix Market (coordinate) and full-matrix CSV.

Part of :mod:`spillmap.spatial._weights_parse` (the GAL and GWT parsers and the shared
checks are there; see its docstring for the formats and why they are written by hand).
"""
from __future__ import annotations

import csv
import inspect
import json
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from spillmap.errors import Shown, WeightsError, format_items
from spillmap.spatial._weights_parse import _check_pairs, _count, _matrix, _text, _weight
from spillmap.spatial.weights import SpatialWeights

__all__ = ["parse_mtx", "parse_csv"]


# --------------------------------------------------------------------- MTX
def _mtx_comments(path: Path, lines: list[str]) -> tuple[list[str], dict, int]:
    """``(ids, meta, index of the size line)`` from the ``%`` lines."""
    ids: list[str] = []
    first: dict[str, int] = {}  # id -> its line
    meta: dict = {}
    k = 0
    while k < len(lines) and lines[k].startswith("%"):
        body = lines[k][1:].strip()
        if body.startswith("spillmap-id "):
            uid = body[len("spillmap-id "):]
            if uid in first:
                raise WeightsError(f"{path}: id {uid!r} repeated on lines {first[uid]} and {k + 1} "
                                   "(each 'spillmap-id' line names one unit, in the matrix's order).")
            first[uid] = k + 1
            ids.append(uid)
        elif body.startswith("spillmap-meta "):
            try:
                meta = json.loads(body[len("spillmap-meta "):])
            except json.JSONDecodeError:
                raise WeightsError(f"{path}: line {k + 1}: unreadable spillmap-meta comment line.") from None
        k += 1
    return ids, meta if isinstance(meta, dict) else {}, k


def _mtx_size(path: Path, lines: list[str], k: int) -> tuple[int, int, int]:
    parts = lines[k].split() if k < len(lines) else []
    sizes = [_count(p) for p in parts]
    if len(parts) != 3 or None in sizes:
        where = f"line {k + 1}: {lines[k]!r}" if k < len(lines) else "the file ends after its comments"
        raise WeightsError(f"{path}: {where}; expected the size line 'rows columns entries'.")
    r, c, nnz = sizes
    if r != c:
        raise WeightsError(f"{path}: line {k + 1}: the matrix is not square ({r} rows, {c} columns).")
    return r, c, nnz


def _mtx_entries(path: Path, lines: list[str], k: int, n: int, nnz: int, pattern: bool,
                 names: list[str]) -> list[tuple[int, int, float, int]]:
    """``(i, j, weight, line)`` of the entries (0-based indices); errors name the units by ``names``."""
    out = []
    for lineno, line in enumerate(lines[k + 1:], start=k + 2):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != (2 if pattern else 3):
            raise WeightsError(f"{path}: line {lineno}: expected {'i j' if pattern else 'i j value'}, got {line!r}.")
        i, j = _count(parts[0]), _count(parts[1])
        if i is None or j is None or not (1 <= i <= n and 1 <= j <= n):
            raise WeightsError(
                f"{path}: line {lineno}: row/column indices must be whole numbers from 1 to {n}: {line!r}."
            )
        x = 1.0 if pattern else _weight(path, lineno, parts[2], (names[i - 1], names[j - 1]))
        out.append((i - 1, j - 1, x, lineno))
    if len(out) != nnz:
        raise WeightsError(
            f"{path}: the size line (line {k + 1}) announces {nnz} entries but the file has {len(out)}"
            + ("; it looks truncated." if len(out) < nnz else ".")
        )
    return out


def parse_mtx(path: Path) -> SpatialWeights:
    """Weights from a Matrix Market file; ids from ``%spillmap-id`` lines or ``"0"`` ... ``"N-1"``."""
    lines = _text(path, "Matrix Market").splitlines()
    banner = lines[0].lower().split() if lines else []
    if len(banner) != 5 or banner[:2] != ["%%matrixmarket", "matrix"]:
        raise WeightsError(
            f"{path}: not a readable Matrix Market file (line 1 should be "
            "'%%MatrixMarket matrix coordinate real general')."
        )
    ids, meta, k = _mtx_comments(path, lines)
    fmt, field, symmetry = banner[2:]
    if fmt == "coordinate" and field in ("real", "integer", "double", "pattern") and symmetry in ("general", "symmetric"):
        n, _, nnz = _mtx_size(path, lines, k)
        names = ids if len(ids) == n else [str(i + 1) for i in range(n)]
        entries = _mtx_entries(path, lines, k, n, nnz, field == "pattern", names)
        if symmetry == "symmetric":
            entries += [(j, i, x, ln) for i, j, x, ln in entries if i != j]
        _check_pairs(path, [(names[i], names[j], ln) for i, j, x, ln in entries if i != j or x != 0], what="entry")
        m = _matrix([e[0] for e in entries], [e[1] for e in entries], [e[2] for e in entries], n)
    else:
        m = _mmread(path)
    if m.shape[0] != m.shape[1]:
        raise WeightsError(f"{path}: the matrix is not square (shape {m.shape}).")
    if not ids:
        ids = [str(i) for i in range(m.shape[0])]
    elif len(ids) != m.shape[0]:
        raise WeightsError(f"{path}: {len(ids)} 'spillmap-id' comment lines for a {m.shape[0]}-unit matrix.")
    t = meta.get("transform", "O")
    return SpatialWeights(m, tuple(ids), t if t in ("O", "B", "R") else "O", meta.get("name", path.stem))


def _mmread(path: Path) -> sp.csr_matrix:
    import scipy.io

    # scipy >= 1.18 warns unless the return type is chosen; the matrix is converted below either way
    kw = {"spmatrix": False} if "spmatrix" in inspect.signature(scipy.io.mmread).parameters else {}
    try:
        m = scipy.io.mmread(str(path), **kw)
    except Exception as exc:  # scipy raises ValueError and friends, some with a line number
        raise WeightsError(f"{path}: not a readable Matrix Market file ({exc}).") from None
    return sp.csr_matrix(m)


# --------------------------------------------------------------------- CSV
def _csv_rows(path: Path) -> list[tuple[int, list[str]]]:
    """``(line number, cells)`` of the non-blank rows."""
    text = _text(path, "CSV")
    reader = csv.reader(text.splitlines())
    rows = []
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                rows.append((reader.line_num, [c.strip() for c in cells]))
    except csv.Error as exc:
        raise WeightsError(f"{path}: line {reader.line_num}: not valid CSV ({exc}).") from None
    if rows and len(rows[0][1]) == 1:
        for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "'|'")):
            if sep in rows[0][1][0]:
                raise WeightsError(
                    f"{path}: line {rows[0][0]} is a single cell with {name} in it; a weights CSV must be "
                    "comma-separated (header 'id,<id_1>,...,<id_N>')."
                )
    return rows


def _csv_shape(path: Path, header: list[str], body: list[tuple[int, list[str]]]) -> None:
    n = len(header)
    bad = [Shown(f"{cells[0]!r} (line {ln}: {len(cells) - 1} values)") for ln, cells in body if len(cells) - 1 != n]
    if len(body) != n or bad:
        detail = f"; rows with a wrong number of cells: {format_items(bad, limit=10)}" if bad else ""
        raise WeightsError(
            f"{path}: the matrix is not square: {n} id columns in the header, {len(body)} rows{detail}."
        )
    row_ids = [cells[0] for _, cells in body]
    dups = sorted({i for i in header if header.count(i) > 1})
    if dups:
        raise WeightsError(f"{path}: line 1: the header repeats ids {format_items(dups)}; ids must be unique.")
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


def _drop_label_columns(rows: list[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    """Rows without the label columns between the id column and the matrix, if any.

    Exports from R or Stata often carry a name beside each id (``state,name,1,3,...``).  Such
    columns are recognised only when the header's cells after them are exactly the first-column
    ids, in order; anything else is left for the shape checks to report.
    """
    header, row_ids = rows[0][1], [cells[0] for _, cells in rows[1:]]
    extra = len(header) - 1 - len(row_ids)
    if extra <= 0 or header[1 + extra:] != row_ids:
        return rows
    return [(ln, [cells[0], *cells[1 + extra:]]) for ln, cells in rows]


def parse_csv(path: Path) -> SpatialWeights:
    """Weights from a full-matrix CSV (``transform="O"``); label columns between the id
    column and the matrix (e.g. a name beside each id) are skipped."""
    rows = _csv_rows(path)
    if len(rows) < 2:
        raise WeightsError(f"{path}: a weights CSV needs a header row of ids and one row per unit.")
    rows = _drop_label_columns(rows)
    header, body = rows[0][1][1:], rows[1:]
    _csv_shape(path, header, body)
    n = len(header)
    m = np.zeros((n, n))
    for i, (ln, cells) in enumerate(body):
        for j, c in enumerate(cells[1:]):
            if c == "" or c.lower() == "nan":
                raise WeightsError(
                    f"{path}: line {ln}: empty or NaN cell(s), e.g. (row {header[i]!r}, column {header[j]!r}); "
                    f"write 0 for pairs that are not neighbours."
                )
            try:
                m[i, j] = float(c)  # Python float(): correctly rounded, exact for repr output
            except ValueError:
                raise WeightsError(
                    f"{path}: line {ln}: cell (row {header[i]!r}, column {header[j]!r}) is not a number: {c!r}."
                ) from None
        bad = np.flatnonzero(~np.isfinite(m[i]) | (m[i] < 0))
        if bad.size:
            j = int(bad[0])
            raise WeightsError(
                f"{path}: line {ln}: weights must be finite and non-negative; the cell (row {header[i]!r}, "
                f"column {header[j]!r}) holds {cells[j + 1]!r}."
            )
        if m[i, i] != 0:
            raise WeightsError(
                f"{path}: line {ln}: a unit cannot be its own neighbour: the diagonal cell of {header[i]!r} is {cells[i + 1]!r}."
            )
    return SpatialWeights(m, tuple(header), "O", path.stem)
