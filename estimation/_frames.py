"""Label look-ups on the small frames of a fit (estimates, covariance matrices) by position.

pandas' label look-up (``frame.loc[names, names]``, ``series[names]``) costs 0.1-0.4 ms per call
whatever the size (a hash table for each new index, then the look-up), a fixed cost that a fit and
its effects paid several times (the ``cov`` of a result, the effects' parameters and covariance).
``iloc`` gives the same values, index and column labels (with their dtype and names) in a fraction
of that: 80 against 370 microseconds for a new 5 x 5 covariance frame.

Verification: the fits' and effects' numbers, ``cov`` and summaries equal (``==``) those of the
label look-ups (the stop-33 speed check script; ``tests/test_est*.py``, ``tests/test_effects*.py``).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["positions", "take_block", "take_items"]


def positions(index: pd.Index, labels: Sequence[Any] | pd.Index) -> slice | np.ndarray | None:
    """Positions of ``labels`` in ``index``: a slice when they are its first labels in order (the
    usual case: ``params`` lead ``cov_full``; no hash table to build for a new index), else an array;
    None when ``index`` repeats a label or lacks one (the caller then looks the labels up as before,
    with pandas' own errors)."""
    labels = list(labels)
    if index[: len(labels)].tolist() == labels:
        return slice(0, len(labels))
    if not index.is_unique:
        return None
    pos = index.get_indexer(labels)
    return None if (pos < 0).any() else pos


def take_block(frame: pd.DataFrame, rows: Sequence[Any] | pd.Index, cols: Sequence[Any] | pd.Index) -> pd.DataFrame:
    """``frame.loc[rows, cols]``, by position when every label is found once."""
    r, c = positions(frame.index, rows), positions(frame.columns, cols)
    if r is None or c is None:
        return frame.loc[rows, cols]
    return frame.iloc[r, c]


def take_items(series: pd.Series, labels: Sequence[Any]) -> pd.Series:
    """``series[labels]`` for a list of labels, by position when every label is found once."""
    pos = positions(series.index, labels)
    return series[labels] if pos is None else series.iloc[pos]
