"""Fixtures for reader tests: a printed conference, and sheets drawn and scanned on demand."""

import pytest

from tests.omr.helpers import Drawer, context_of


@pytest.fixture(scope="session")
def ctx(issued):
    return context_of(issued)


@pytest.fixture(scope="session")
def drawer(issued):
    return Drawer(issued)
