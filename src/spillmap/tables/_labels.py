"""Row labels of :func:`~spillmap.tables.regression_table` from its ``labels=`` mapping.

A key labels a variable everywhere it appears (``"lpc"``: its β row, its effects, and the θ row
as ``W×<label>``), or one row: the row key (``"theta:lpc"``, ``"direct:lpc"``, ``"rho"``), the
table's printed name of a θ row (``"W×lpc"``) or the parameter name the results use for it
(``"W_lpc"``, as in ``params``, ``summary()`` and ``to_frame()``).  A key of one of these row forms
that names no variable of any column is refused (it can only be meant for this table: a typo);
a plain name without a row here is not, since one mapping may serve several tables (a study's
``[model] labels``).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from spillmap.errors import InputError, did_you_mean, format_items
from spillmap.tables._extract import TERM_KINDS

__all__ = ["row_label", "check_label_keys", "named_variable", "SYMBOL"]

#: printed names of the model's own parameters
SYMBOL = {"rho": "ρ", "lambda": "λ", "sigma2": "σ²", "phi": "φ (RE)", "const": "Constant",
          "tau": "y(t−1)", "eta": "W·y(t−1)"}
#: prefixes of a θ row's label key: the table's printed name and the results' parameter name
_LAG_PREFIXES = ("W×", "W_")


def row_label(kind: str, var: str, labels: Mapping[str, str]) -> str:
    """The label of the row of ``var`` in block ``kind`` (the row key ``kind:var`` is looked up
    before, by the caller).

    Parameters
    ----------
    kind
        The term kind (``beta``, ``theta``, ``spatial``, ...).
    var
        The variable (a θ row's is the regressor ``x`` of ``W_x``).
    labels
        The user's labels.
    """
    lab = labels.get(var, SYMBOL.get(var, var))
    if kind == "theta":
        for prefix in _LAG_PREFIXES:
            if f"{prefix}{var}" in labels:
                return labels[f"{prefix}{var}"]
        return f"W×{lab}"
    return lab


def named_variable(key: str) -> str | None:
    """The variable a key of a row form names (``W_x``, ``W×x``, ``direct:x``), else ``None``."""
    if key.startswith(_LAG_PREFIXES):
        return key[2:]  # both prefixes are two characters
    kind, sep, var = key.partition(":")
    return var if sep and kind in TERM_KINDS else None


def check_label_keys(labels: Mapping[str, str], tidies: Iterable[pd.DataFrame]) -> None:
    """Refuse a label key of a row form whose variable no column has (``W_lpcc``, ``direct:lpcc``),
    naming the keys that exist.

    Parameters
    ----------
    labels
        The user's labels.
    tidies
        The ``tidy()`` frames of the table's columns (coefficients and effects).
    """
    frames = list(tidies)
    known = {str(v) for td in frames for v in td["variable"]}
    for key in labels:
        var = named_variable(str(key))
        if key in known or var is None or var in known:
            continue
        rows = list(dict.fromkeys(
            f"W_{v}" if k == "theta" else v if k in ("beta", "spatial", "variance") else f"{k}:{v}"
            for td in frames for k, v in zip(td["kind"], td["variable"].astype(str))))
        raise InputError(f"labels: key {key!r} names the row of {var!r}, which no column of the table has; "
                         f"the keys of its rows: {format_items(rows, limit=30)}.{did_you_mean(key, rows)}")
