"""Reading and writing spatial weights files: GAL, GWT, Matrix Market and full-matrix CSV.

=========  =====================================================================
extension  format
=========  =====================================================================
``.gal``   GeoDa/PySAL neighbour lists (binary); parsed and written here
``.gwt``   GeoDa/PySAL weighted pairs ``i j w_ij``; written and parsed here
``.mtx``   Matrix Market coordinate format (``scipy.io``); the unit ids, transform
           and name are stored in ``%`` comment lines so they round-trip
``.csv``   the full N x N matrix: header row = ``id`` label then the unit ids, first
           column = the same ids (the file ``spillmap ... --w FILE.csv`` accepts)
=========  =====================================================================

The readers are in :mod:`spillmap.spatial._weights_parse`: a malformed file is
reported with its line number and what is wrong.  Ids are always strings
(``"010100"`` keeps its leading zero).  Every write is atomic (:mod:`spillmap._fileio`):
a temporary file renamed into place when complete.

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
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from spillmap._fileio import atomic_path, atomic_write_text, preflight
from spillmap.errors import InputError, WeightsError, format_items
from spillmap.geo._common import id_text_hint
from spillmap.spatial.weights import SpatialWeights

__all__ = ["read_weights", "write_weights", "check_ids_for", "FORMATS"]

#: supported file extensions
FORMATS = (".gal", ".gwt", ".mtx", ".csv")


def _ext(path: Path) -> str:
    ext = path.suffix.lower()
    if ext not in FORMATS:
        hint = ""
        if ext in ("", ".gpkg", ".geojson", ".json", ".shp"):  # a boundary layer (or a bundled one's name)?
            hint = (" A boundary layer is not a weights file: build W from it first "
                    "(spillmap weights LAYER --id COL --kind contiguity --out W.gal).")
        raise InputError(
            f"{path}: unknown weights file extension {path.suffix or '(none)'!r}; "
            f"supported: {', '.join(FORMATS)}.{hint}"
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
    from spillmap.spatial import _weights_parse as parse
    from spillmap.spatial import _weights_parse_matrix as parse_matrix

    path = Path(os.path.expanduser(path))  # "~/w.gal": in the home folder, as in a shell
    ext = _ext(path)
    if path.is_dir():
        raise InputError(f"{path} is a directory, not a weights file.")
    if not path.is_file():
        raise InputError(f"weights file {path} does not exist.")
    try:
        if ext == ".gal":
            w = parse.parse_gal(path)
        elif ext == ".gwt":
            w = parse.parse_gwt(path, ids)
        elif ext == ".mtx":
            w = parse_matrix.parse_mtx(path)
        else:
            w = parse_matrix.parse_csv(path)
    except WeightsError as exc:
        msg = str(exc)
        raise WeightsError(msg if msg.startswith(str(path)) else f"{path}: {msg}") from None
    if w.transform == "O" and w.nnz and w.is_row_standardized:
        w = SpatialWeights(w.sparse, w.ids, "R", w.name)
    if ids is not None:
        try:
            w = w.align(ids)
        except WeightsError as exc:
            raise WeightsError(f"{path}: {exc}{_leading_zero_hint(w.ids, ids)}") from None
    return w


def _leading_zero_hint(file_ids: Sequence[str], ids: Sequence[object]) -> str:
    """A hint when the file's ids and the data's differ only by leading zeros (codes saved as numbers)."""
    want = {str(i) for i in ids}
    lost = sorted((u, u.lstrip("0")) for u in file_ids if u not in want and u.lstrip("0") in want)
    if not lost:
        have = set(file_ids)
        padded = sorted((i, i.lstrip("0")) for i in want if i not in have and i.lstrip("0") in have)
        if padded:
            u, v = padded[0]
            return (f" {len(padded)} id(s) of the data match the file's only without their leading zeros (e.g. "
                    f"{u!r} in the data, {v!r} in the file): the weights were probably built from ids stored as "
                    "numbers (e.g. a layer's code column of numbers); build them again from the codes as "
                    "zero-padded text, or write the data's ids without the zeros.")
        unmatched = sorted(want - have)[:50]
        return id_text_hint(unmatched, have, what="The data's ids", against="the file's ids")
    u, v = lost[0]
    return (f" {len(lost)} id(s) of the file match the data's only without their leading zeros (e.g. {u!r} in "
            f"the file, {v!r} in the data): the data were probably saved as numbers (e.g. by a spreadsheet); "
            "read the id column as text and restore the zeros.")


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
    path = Path(os.path.expanduser(path))  # "~/w.gal": in the home folder, as in a shell
    ext = _ext(path)
    if not isinstance(w, SpatialWeights):
        raise WeightsError(f"write_weights takes a SpatialWeights object, not {type(w).__name__}.")
    preflight([path], force=overwrite)
    if ext == ".gal":
        return _write_gal(w, path, overwrite)
    if ext == ".gwt":
        return atomic_write_text(path, _gwt_text(w, path), overwrite=overwrite)
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
    check_ids_for(path, w.ids)
    if not np.all(w.sparse.data == 1.0):  # row-standardised (equal weights within rows): the values are lost
        import warnings

        from spillmap.errors import WeightsWarning

        warnings.warn(f"{path}: GAL stores neighbour lists only, so these weights ({w.name or 'W'}, transform "
                      f"{w.transform}) are read back binary; row-standardise after reading, or write .gwt or .mtx "
                      "to keep them.", WeightsWarning, stacklevel=3)
    nb = w.neighbors
    lines = [str(w.n)]
    for u in w.ids:
        lines.append(f"{u} {len(nb[u])}")
        lines.append(" ".join(nb[u]))
    return atomic_write_text(path, "\n".join(lines) + "\n", overwrite=overwrite)


def check_ids_for(path: str | os.PathLike, ids: Iterable[object]) -> None:
    """Raise :class:`~spillmap.errors.WeightsError` when ``path``'s format cannot store ``ids``.

    GAL and GWT separate their fields by white space, so an id containing any could not
    be read back; ``.mtx`` and ``.csv`` keep every id.  Called by :func:`write_weights`,
    and by the ``spillmap weights`` command on the layer's ids before it builds W."""
    path = Path(os.path.expanduser(path))  # "~/w.gal": in the home folder, as in a shell
    if _ext(path) not in (".gal", ".gwt"):
        return
    bad = [str(u) for u in ids if any(ch.isspace() for ch in str(u))]
    if bad:
        raise WeightsError(
            f"{path}: {path.suffix.lower().lstrip('.').upper()} separates fields by spaces, so its ids cannot "
            f"contain any, and {len(bad)} do: {format_items(bad)}; write .mtx or .csv (they keep such ids) "
            f"or use an id column without spaces.")


def _gwt_text(w: SpatialWeights, path: Path) -> str:
    check_ids_for(path, w.ids)
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
