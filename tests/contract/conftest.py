"""One repository contract, held by the in-memory unit of work the domain's tests use
(tests/unit/fakes.py) and by SqlUnitOfWork on SQLite and, when TEST_DATABASE_URL is set,
PostgreSQL: every test in this folder runs on each of them, so the fake cannot drift away
from the store it stands in for.

`uow` makes units of work on the backend under test; what one commits the next one sees.
"""
from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from domain.ports import UnitOfWork
from store.uow import uow_factory
from tests.conftest import BACKENDS
from tests.unit.fakes import FakeUnitOfWork

MEMORY = "memory"


@pytest.fixture(params=[MEMORY, *BACKENDS])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def uow(backend: str, request: pytest.FixtureRequest) -> Callable[[], UnitOfWork]:
    """Units of work on the backend: the fake's one store, or a rolled-back SQL transaction."""
    if backend == MEMORY:
        fake = FakeUnitOfWork()
        return lambda: fake
    sessions: Callable[[], Session] = request.getfixturevalue("sessions")
    return uow_factory(sessions)
