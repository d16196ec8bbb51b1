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
* CSV: header ``id,<id_1>,...,<id_N>``, then one row per unit, first cell its id (label
  columns between the id column and the matrix, such as a name beside each id, are skipped).

Files are read as UTF-8 (a byte-order mark is allowed).  The GAL and GWT parsers and
the checks they share with the others are here; the Matrix Market and CSV parsers in
:mod:`spillmap.spatial._weights_parse_matrix`.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from spillmap.errors import InputError, Shown, WeightsError, format_items
from spillmap.spatial.weights import SpatialWeights

__all__ = ["parse_gal", "parse_gwt"]


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
    origins = {a for a, _, _, _ in triples}
    rowless = [b for b in order if b not in origins]
    if rowless:  # a neighbour of others without a line of its own: the file was cut (bad-input audit 29 C1)
        raise WeightsError(f"{path}: unit(s) {format_items(rowless)} appear as neighbours but have no line of their "
                           f"own; the file looks truncated ({len(lines)} lines). A unit without neighbours is "
                           "written 'i i 0'.")
    if ids is not None:
        want = [str(i) for i in ids]
        if not set(order) - set(want) and len(want) == n_head:
            for u in want:
                order.setdefault(u, len(order))
    n = len(order)
    if n != n_head:  # checked whoever reads it (fit, report, screen took any count when given the ids)
        raise WeightsError(
            f"{path}: the header says {n_head} units but the file lists {n}; a unit without neighbours is "
            "written 'i i 0' (or the header's count is wrong)."
        )
    kept = [(a, b, x) for a, b, x, _ in triples if x != 0]
    m = _matrix([order[a] for a, _, _ in kept], [order[b] for _, b, _ in kept], [x for _, _, x in kept], n)
    return SpatialWeights(m, tuple(order), "O", path.stem)
