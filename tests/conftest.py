"""Database fixtures: every database test runs on a SQLite file, and on PostgreSQL when
TEST_DATABASE_URL names one.

- `db_url` gives an empty database migrated to head, for code that opens its own engine
  (the CLI, several threads or processes): a new SQLite file, or a new PostgreSQL schema.
- `uow` gives a unit of work inside a transaction that is rolled back after the test
  (SQLAlchemy's "join an external transaction" recipe), on a database migrated once per run.
- `databases` gives two engines of their own on a `db_url`, for races (tests/races.py).
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from store.db import make_engine
from store.migrate import upgrade
from store.uow import SqlUnitOfWork, uow_factory
from tests.integration.builders import Database
from tests.races import engines_of_their_own

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def _postgres_schema_url(schema: str) -> str:
    url = make_url(POSTGRES_URL)  # type: ignore[arg-type]
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


def _new_postgres_schema() -> str:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)  # type: ignore[arg-type]
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return schema


def _drop_postgres_schema(schema: str) -> None:
    admin = make_engine(POSTGRES_URL)  # type: ignore[arg-type]
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def new_database_url(backend: str, tmp_dir: str) -> tuple[str, Callable[[], None]]:
    """An empty, migrated database of the backend's kind, and how to throw it away."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_dir}/cancelbot-{uuid.uuid4().hex[:8]}.sqlite3"
        def cleanup() -> None:
            pass  # the file stays in tmp_dir, with the test's other files
    else:
        schema = _new_postgres_schema()
        url = _postgres_schema_url(schema)

        def cleanup() -> None:
            _drop_postgres_schema(schema)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url, cleanup


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first, so that parallel workers do not all end waiting on one of them."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for one test (file or schema), removed afterwards."""
    url, cleanup = new_database_url(backend, str(tmp_path))
    yield url
    cleanup()


@pytest.fixture
def databases(db_url: str) -> Iterator[list[Database]]:
    """Two engines of their own on one fresh database, as two workers or app processes have."""
    with engines_of_their_own(db_url) as both:
        yield both


@pytest.fixture(scope="session")
def _engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Engine]]:
    engines: dict[str, Engine] = {}
    cleanups = []
    for name in BACKENDS:
        url, cleanup = new_database_url(name, str(tmp_path_factory.mktemp(name)))
        engines[name] = make_engine(url)
        cleanups.append(cleanup)
    yield engines
    for engine in engines.values():
        engine.dispose()
    for cleanup in cleanups:
        cleanup()


@pytest.fixture
def engine(_engines: dict[str, Engine], backend: str) -> Engine:
    """The shared migrated engine of this backend (commit nothing through it directly)."""
    return _engines[backend]


@pytest.fixture
def sessions(engine: Engine) -> Iterator[Callable[[], Session]]:
    """Sessions joined to one outer transaction that is rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    factory = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    yield factory
    outer.rollback()
    connection.close()


@pytest.fixture
def uow(sessions: Callable[[], Session]) -> Callable[[], SqlUnitOfWork]:
    """A unit-of-work factory whose commits vanish when the test ends."""
    return uow_factory(sessions)
