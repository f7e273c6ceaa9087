"""`cancelbot db upgrade` on real databases: from empty to head, idempotent, models agree."""
from __future__ import annotations

import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from store.db import make_engine
from store.migrate import alembic_config, current_revision, head_revision, upgrade
from store.models import Base
from store.uow import session_factory, uow_factory
from tests.conftest import _drop_postgres_schema, _new_postgres_schema, _postgres_schema_url
from tests.integration.builders import active, add_orders

TABLES = {"orders", "sales_orders", "requests", "jobs", "audit_events", "outbox",
          "packing_sequences", "digests", "alembic_version"}


@pytest.fixture
def empty_engine(backend, tmp_path):
    """An engine on a database that has never been migrated."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path}/empty-{uuid.uuid4().hex[:8]}.sqlite3")
        yield engine
        engine.dispose()
        return
    schema = _new_postgres_schema()
    engine = make_engine(_postgres_schema_url(schema))
    yield engine
    engine.dispose()
    _drop_postgres_schema(schema)


def test_upgrade_brings_an_empty_database_to_the_newest_schema(empty_engine):
    assert current_revision(empty_engine) is None
    assert inspect(empty_engine).get_table_names() == []

    upgrade(empty_engine)

    assert current_revision(empty_engine) == head_revision()
    assert set(inspect(empty_engine).get_table_names()) == TABLES


def test_upgrading_an_up_to_date_database_again_keeps_its_data(empty_engine):
    upgrade(empty_engine)
    add_orders(uow_factory(session_factory(empty_engine)), active("QSP2611260001"))

    upgrade(empty_engine)

    assert current_revision(empty_engine) == head_revision()
    with uow_factory(session_factory(empty_engine))() as u:
        assert u.orders.get("QSP2611260001") is not None


def test_the_schema_can_be_taken_down_and_built_again(empty_engine):
    upgrade(empty_engine)
    with empty_engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    assert current_revision(empty_engine) is None

    upgrade(empty_engine)

    assert current_revision(empty_engine) == head_revision()
    assert set(inspect(empty_engine).get_table_names()) == TABLES


def test_the_models_and_the_migrations_describe_the_same_schema(db_url):
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_the_migrated_database_has_every_index_the_models_declare(db_url):
    engine = make_engine(db_url)
    try:
        inspector = inspect(engine)
        for table in Base.metadata.sorted_tables:
            declared = {i.name for i in table.indexes}
            found = {i["name"] for i in inspector.get_indexes(table.name)}
            assert declared <= found, table.name
        jobs_indexes = {i["name"]: i for i in inspector.get_indexes("jobs")}
        assert jobs_indexes["uq_jobs_one_active_per_order"]["unique"]
    finally:
        engine.dispose()
