"""Every ``>>>`` example in the package's docstrings runs and prints what it shows
(``# doctest: +SKIP`` marks those that need the reader's own fits or files).

The modules are found by scanning the installed package's sources for ``>>>``, so an example
added anywhere is tested without being listed here.
"""
from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

PACKAGES = ("spillmap", "spillmap.cli", "spillmap.study", "spillmap.screen", "spillmap.indicators", "spillmap.geo",
            "spillmap.spatial", "spillmap.estimation", "spillmap.maps", "spillmap.tables", "spillmap.figures")


def modules_with_examples() -> list[str]:
    found = []
    for pkg in PACKAGES:
        for folder in importlib.import_module(pkg).__path__:
            for f in sorted(Path(folder).glob("*.py")):
                if ">>>" in f.read_text(encoding="utf-8"):
                    found.append(pkg if f.stem == "__init__" else f"{pkg}.{f.stem}")
    return sorted(set(found))


def test_examples_are_found():
    # spillmap.errors and spillmap.tables._format carry examples (a scan that finds none proves nothing)
    assert {"spillmap.errors", "spillmap.tables._format"} <= set(modules_with_examples())


@pytest.mark.parametrize("name", modules_with_examples())
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS, report=True)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} docstring examples failed"
