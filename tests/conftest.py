"""Shared fixtures."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def us48():
    from spillmap import datasets

    return datasets.us48()


@pytest.fixture(scope="session")
def produc():
    from spillmap import datasets

    return datasets.produc()
