"""Shared fixtures: the sample conferences, printed by the project itself."""

from __future__ import annotations

import pytest

from ballotgen import i18n
from ballotgen.conference import Person
from ballotgen.roster import read_roster
from tests.helpers import SAMPLES, Printed, make_conference, make_issued


@pytest.fixture(autouse=True)
def default_language(monkeypatch):
    """Every test starts in the default language, Vietnamese, whatever the machine's locale: no
    TINNHIEM_LANG, no locale variable that says English (subprocesses inherit this too)."""
    monkeypatch.delenv(i18n.LANGUAGE_ENV, raising=False)
    for name in i18n.LOCALE_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    i18n.set_language(None)
    yield
    i18n.set_language(None)


@pytest.fixture
def english():
    """Messages in English for the test (those that check what the library says, in its ids)."""
    with i18n.using("en"):
        yield


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked slow first, each group in its usual order: with several workers the
    longest runs start at once, instead of one of them last while the other workers sit idle."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def small_persons() -> tuple[Person, ...]:
    return read_roster(SAMPLES / "roster-small.csv")


@pytest.fixture(scope="session")
def large_persons() -> tuple[Person, ...]:
    return read_roster(SAMPLES / "roster-large.xlsx")


@pytest.fixture(scope="session")
def small_printed(small_persons) -> Printed:
    return Printed(make_conference(small_persons), copies=2)


@pytest.fixture(scope="session")
def large_printed(large_persons) -> Printed:
    return Printed(make_conference(large_persons), copies=2)


@pytest.fixture(scope="session")
def issued(small_persons):
    return make_issued(small_persons, 200)
