"""Migration 0003: jobs that can wait on the order service, and an id for each database."""
from __future__ import annotations

import re
import uuid

import pytest
from alembic import command
from sqlalchemy import insert, select, text, update

from store.db import make_engine
from store.mapping import order_values
from store.migrate import alembic_config, current_revision, head_revision, upgrade
from store.models import InstallationRow, JobRow, OrderRow, RequestRow
from tests.conftest import _drop_postgres_schema, _new_postgres_schema, _postgres_schema_url
from tests.integration.builders import NOW, cancelled


@pytest.fixture
def engine_at_0002(backend, tmp_path):
    """A database migrated to 0002, holding an order with a running job as 0002's code wrote."""
    schema = None
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path}/at-0002-{uuid.uuid4().hex[:8]}.sqlite3")
    else:
        schema = _new_postgres_schema()
        engine = make_engine(_postgres_schema_url(schema))
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0002")
        connection.execute(insert(RequestRow).values(
            id=1, action="resync", requested_by="UREQUESTER", requested_at=NOW, note="",
            decision="approved", reject_reason=""))
        connection.execute(insert(OrderRow).values(
            id=1, **{**order_values(cancelled("QSP2611230001")), "recovery": "in_progress"}))
        connection.execute(insert(JobRow).values(
            request_id=1, order_id=1, packing_no="QSP2611230001", action="resync",
            state="running", failure_detail="", attempts=1, prior_recovery="none"))
    yield engine
    engine.dispose()
    if schema:
        _drop_postgres_schema(schema)


def database_id(engine) -> str:
    with engine.connect() as connection:
        return connection.scalar(select(InstallationRow.database_id))


def test_upgrading_keeps_jobs_as_they_were_and_gives_the_database_an_id(engine_at_0002):
    upgrade(engine_at_0002)

    with engine_at_0002.connect() as connection:
        row = connection.execute(select(JobRow)).one()
    assert (row.state, row.recovery_id, row.service_errors, row.last_error) == (
        "running", None, 0, "")
    assert re.fullmatch(r"[0-9a-f]{32}", database_id(engine_at_0002))


def test_two_databases_get_different_ids(db_url, tmp_path):
    other = make_engine(f"sqlite:///{tmp_path}/other.sqlite3")
    mine = make_engine(db_url)
    try:
        upgrade(other)
        assert database_id(mine) != database_id(other)
    finally:
        other.dispose()
        mine.dispose()


def _waiting(engine) -> None:
    with engine.begin() as connection:
        connection.execute(update(JobRow).values(state="waiting", recovery_id="rcv-1"))


def test_going_back_to_0002_is_refused_while_a_job_waits_on_the_order_service(engine_at_0002):
    upgrade(engine_at_0002)
    _waiting(engine_at_0002)

    with (pytest.raises(RuntimeError, match="1 job.s. are waiting on the order service"),
          engine_at_0002.begin() as connection):
        command.downgrade(alembic_config(connection), "0002")

    assert current_revision(engine_at_0002) == head_revision()  # nothing was taken down


def test_going_back_to_0002_restores_its_schema_when_no_job_waits(engine_at_0002):
    upgrade(engine_at_0002)

    with engine_at_0002.begin() as connection:
        command.downgrade(alembic_config(connection), "0002")

    assert current_revision(engine_at_0002) == "0002"
    with engine_at_0002.connect() as connection:
        columns = connection.execute(text("SELECT * FROM jobs")).keys()
    assert "recovery_id" not in columns and "service_errors" not in columns
