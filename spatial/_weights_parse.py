"""Line-checked parsers of weights files: GAL, GWT, Matrix Market (coordinate) and full-matrix CSV.

Used by :func:`spillmap.spatial.io.read_weights`.  Every parser raises a
:class:`~spillmap.errors.WeightsError` that names the file, the line (1-based, as an
editor shows it) and what is wrong, before a :class:`SpatialWeights` is built.

Written by hand, because the libraries' readers do not say where a file is wrong:
libpysal's GAL reader raises a bare ``KeyError: 'WA'`` for a neighbour that is not a
unit of the file and ``IndexError`` for an empty file; ``scipy.io.mmread`` sums
repeated coordinate entries silently (a pair listed twice gets weight 2) and reports
no line for a negative or self weight.  The formats are those libpysal and scipy read:

* GAL: line 1 ``N`` (or ``0 N shapefile id``); then per unit a line ``id k`` and a line
  of its ``k`` neighbours' ids (an island's empty line may be omitted);
* GWT: line 1 ``0 N shapefile id`` (or ``N``); then ``i j w_ij`` per line;
* Matrix Market coordinate ``real``/``integer``/``pattern``, ``general``/``symmetric``
  (other Matrix Market layouts go to ``scipy.io.mmread``);
* CSV: header ``id,<id_1>,...,<id_N>``, then one row per unit, first cell its id.

Files are read as UTF-8 (a byte-order mark is allowed).
"""
from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from spillmap.errors import InputError, Shown, WeightsError, format_items
from spillmap.spatial.weights import SpatialWeights

__all__ = ["parse_gal", "parse_gwt", "parse_mtx", "parse_csv"]


# ------------------------------------------------------------------ shared
def _text(path: Path, kind: str) -> str:
    """The file as text; a non-UTF-8 byte is reported with its line."""
    from spillmap._readcsv import read_utf8_text

    try:
        return read_utf8_text(path, advice=f"save the {kind} file as UTF-8", error=WeightsError)
    except InputError as exc:  # unreadable (permissions...): a weights problem for the caller
        raise WeightsError(str(exc)) from None


def _content_lines(text: str) -> list[str]:
    """Lines without trailing blank lines."""
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _count(field: str) -> int | None:
    """A non-negative integer field, else None."""
    return int(field) if field.isdigit() else None


def _weight(path: Path, lineno: int, text: str, pair: tuple[str, str]) -> float:
    """A finite, non-negative weight, or an error naming the line and the pair."""
    try:
        x = float(text)
    except ValueError:
        raise WeightsError(
            f"{path}: line {lineno}: weight {text!r} of pair ({pair[0]}, {pair[1]}) is not a number."
        ) from None
    if not math.isfinite(x):
        raise WeightsError(
            f"{path}: line {lineno}: weights contain NaN or infinite values: {text!r} for the pair "
            f"({pair[0]!r}, {pair[1]!r})."
        )
    if x < 0:
        raise WeightsError(
            f"{path}: line {lineno}: weights must be non-negative; the pair ({pair[0]!r}, {pair[1]!r}) "
            f"has {text}."
        )
    return x


def _check_pairs(path: Path, pairs: Sequence[tuple[str, str, int]], what: str = "pair") -> None:
    """Self pairs and repeated pairs, each with its line(s)."""
    selfs = [Shown(f"{a!r} (line {ln})") for a, b, ln in pairs if a == b]
    if selfs:
        raise WeightsError(f"{path}: a unit cannot be its own neighbour: {format_items(selfs, limit=10)}.")
    first: dict[tuple[str, str], int] = {}
    dups = []
    for a, b, ln in pairs:
        if (a, b) in first:
            dups.append(Shown(f"({a!r}, {b!r}) on lines {first[(a, b)]} and {ln}"))
        else:
            first[(a, b)] = ln
    if dups:
        raise WeightsError(
            f"{path}: {len(dups)} {what}(s) listed more than once (their weights would be added up): "
            f"{format_items(dups, limit=10)}. Keep one line per {what}."
        )


def _matrix(rows: list[int], cols: list[int], vals: list[float], n: int) -> sp.csr_matrix:
    return sp.coo_matrix((np.asarray(vals, dtype=float), (rows, cols)), shape=(n, n)).tocsr()


# --------------------------------------------------------------------- GAL
_GAL_LAYOUT = ("a GAL file is: line 1 the number of units, then per unit a line 'id number_of_neighbours' "
               "and a line with the neighbours' ids, separated by spaces")


def _gal_header(path: Path, line: str) -> int:
    head = line.split()
    n = _count(head[0]) if len(head) == 1 else (_count(head[1]) if len(head) >= 2 else None)
    if n is None:
        raise WeightsError(f"{path}: line 1 is not a GAL header ('N' or '0 N shapefile id'): {line!r}; {_GAL_LAYOUT}.")
    return n


def _is_unit_line(line: str) -> bool:
    parts = line.split()
    return len(parts) == 2 and _count(parts[1]) is not None


def _gal_units(path: Path, lines: list[str], n: int) -> list[tuple[str, list[str], int]]:
    """``(id, neighbours, line of the neighbours)`` per unit, in file order."""
    units: dict[str, int] = {}
    out: list[tuple[str, list[str], int]] = []
    i = 1
    while i < len(lines):
        lineno, parts = i + 1, lines[i].split()
        if len(units) == n:
            raise WeightsError(
                f"{path}: line {lineno}: the header (line 1) announces {n} unit(s), but the file goes on "
                f"with {lines[i]!r}; correct the count on line 1."
            )
        k = _count(parts[1]) if len(parts) == 2 else None
        if k is None:
            raise WeightsError(f"{path}: line {lineno}: expected 'id number_of_neighbours', got {lines[i]!r}; {_GAL_LAYOUT}.")
        uid = parts[0]
        if uid in units:
            raise WeightsError(f"{path}: line {lineno}: unit {uid!r} appears a second time (first on line {units[uid]}).")
        units[uid] = lineno
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if k == 0 and (nxt is None or _is_unit_line(nxt)):
            out.append((uid, [], lineno))  # an island whose empty neighbour line was left out
            i += 1
            continue
        if nxt is None:
            raise WeightsError(f"{path}: line {lineno}: unit {uid!r} announces {k} neighbour(s), but the file ends there.")
        nbs = nxt.split()
        if len(nbs) != k:
            raise WeightsError(
                f"{path}: line {lineno + 1}: unit {uid!r} announces {k} neighbour(s) on line {lineno}, "
                f"but this line lists {len(nbs)}: {nxt.strip()!r}."
            )
        out.append((uid, nbs, lineno + 1))
        i += 2
    if len(units) < n:
        raise WeightsError(
            f"{path}: the header (line 1) announces {n} unit(s) but the file describes {len(units)}; "
            "it looks truncated."
        )
    return out


def parse_gal(path: Path) -> SpatialWeights:
    """Binary weights from a GAL file (``transform="B"``), units in file order."""
    lines = _content_lines(_text(path, "GAL"))
    if not lines:
        raise WeightsError(f"{path}: the file is empty; {_GAL_LAYOUT}.")
    n = _gal_header(path, lines[0])
    units = _gal_units(path, lines, n)
    index = {u: k for k, (u, _, _) in enumerate(units)}
    unknown = [Shown(f"{b!r} (line {ln})") for _, nbs, ln in units for b in nbs if b not in index]
    if unknown:
        raise WeightsError(
            f"{path}: {len(unknown)} neighbour id(s) are not units of the file (no 'id count' line "
            f"names them): {format_items(unknown, limit=10)}."
        )
    pairs = [(u, b, ln) for u, nbs, ln in units for b in nbs]
    _check_pairs(path, pairs, what="neighbour")
    rows = [index[a] for a, _, _ in pairs]
    cols = [index[b] for _, b, _ in pairs]
    m = _matrix(rows, cols, [1.0] * len(pairs), len(units))
    return SpatialWeights(m, tuple(index), "B", path.stem)


# --------------------------------------------------------------------- GWT
def _gwt_triples(path: Path, lines: list[str]) -> list[tuple[str, str, float, int]]:
    out = []
    for lineno, line in enumerate(lines[1:], start=2):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 3:
            raise WeightsError(f"{path}: line {lineno} does not have 3 fields (i j w): {line!r}.")
        a, b, v = parts
        out.append((a, b, _weight(path, lineno, v, (a, b)), lineno))
    return out


def parse_gwt(path: Path, ids: Sequence[object] | None = None) -> SpatialWeights:
    """Weights from a GWT file (``transform="O"``); rows in order of first appearance.

    An ``i i 0`` line keeps an island in place; units absent from the file are added as
    zero rows when ``ids`` has the header's unit count.
    """
    lines = _content_lines(_text(path, "GWT"))
    if not lines:
        raise WeightsError(f"{path}: the file is empty (empty GWT file); line 1 should be '0 N shapefile id'.")
    head = lines[0].split()
    n_head = _count(head[1]) if len(head) > 1 else (_count(head[0]) if head else None)
    if n_head is None:
        raise WeightsError(f"{path}: line 1 is not a GWT header ('0 n shapefile idvar'): {lines[0]!r}.")
    triples = _gwt_triples(path, lines)
    _check_pairs(path, [(a, b, ln) for a, b, x, ln in triples if a != b or x != 0])
    order: dict[str, int] = {}
    for a, _, _, _ in triples:  # row order = order of first appearance as origin
        order.setdefault(a, len(order))
    for _, b, _, _ in triples:  # units that only appear as neighbours go last
        order.setdefault(b, len(order))
    if ids is not None:
        want = [str(i) for i in ids]
        if not set(order) - set(want) and len(want) == n_head:
            for u in want:
                order.setdefault(u, len(order))
    n = len(order)
    if n != n_head and ids is None:
        raise WeightsError(
            f"{path}: the header says {n_head} units but the file lists {n}; islands may have been "
            f"written without an 'i i 0' line: pass ids= with all units."
        )
    kept = [(a, b, x) for a, b, x, _ in triples if x != 0]
    m = _matrix([order[a] for a, _, _ in kept], [order[b] for _, b, _ in kept], [x for _, _, x in kept], n)
    return SpatialWeights(m, tuple(order), "O", path.stem)


# --------------------------------------------------------------------- MTX
def _mtx_comments(path: Path, lines: list[str]) -> tuple[list[str], dict, int]:
    """``(ids, meta, index of the size line)`` from the ``%`` lines."""
    ids: list[str] = []
    meta: dict = {}
    k = 0
    while k < len(lines) and lines[k].startswith("%"):
        body = lines[k][1:].strip()
        if body.startswith("spillmap-id "):
            ids.append(body[len("spillmap-id "):])
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


def _mtx_entries(path: Path, lines: list[str], k: int, n: int, nnz: int, pattern: bool
                 ) -> list[tuple[int, int, float, int]]:
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
        x = 1.0 if pattern else _weight(path, lineno, parts[2], (str(i), str(j)))
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
        entries = _mtx_entries(path, lines, k, n, nnz, field == "pattern")
        if symmetry == "symmetric":
            entries += [(j, i, x, ln) for i, j, x, ln in entries if i != j]
        names = ids if len(ids) == n else [str(i + 1) for i in range(n)]
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

    try:
        m = scipy.io.mmread(str(path))
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


def parse_csv(path: Path) -> SpatialWeights:
    """Weights from a full-matrix CSV (``transform="O"``)."""
    rows = _csv_rows(path)
    if len(rows) < 2:
        raise WeightsError(f"{path}: a weights CSV needs a header row of ids and one row per unit.")
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
