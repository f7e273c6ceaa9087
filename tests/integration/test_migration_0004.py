"""Migration 0004: orders.updated_at, and jobs that may end withdrawn (rules 11 and 12)."""
from __future__ import annotations

import uuid

import pytest
from alembic import command
from sqlalchemy import insert, select, text, update

from store.db import make_engine
from store.migrate import alembic_config, current_revision, upgrade
from store.models import JobRow, OrderRow, RequestRow
from tests.conftest import _drop_postgres_schema, _new_postgres_schema, _postgres_schema_url
from tests.integration.builders import NOW, cancelled, order_values_before_0004


@pytest.fixture
def engine_at_0003(backend, tmp_path):
    """A database migrated to 0003, holding an order with a job awaiting approval."""
    schema = None
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path}/at-0003-{uuid.uuid4().hex[:8]}.sqlite3")
    else:
        schema = _new_postgres_schema()
        engine = make_engine(_postgres_schema_url(schema))
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0003")
        connection.execute(insert(RequestRow).values(
            id=1, action="resync", requested_by="UREQUESTER", requested_at=NOW, note="",
            decision="pending", reject_reason=""))
        connection.execute(insert(OrderRow).values(
            id=1, **{**order_values_before_0004(cancelled("QSP2611230001")),
                     "recovery": "awaiting"}))
        connection.execute(insert(JobRow).values(
            request_id=1, order_id=1, packing_no="QSP2611230001", action="resync",
            state="awaiting_approval", failure_detail="", attempts=0, prior_recovery="none"))
    yield engine
    engine.dispose()
    if schema:
        _drop_postgres_schema(schema)


def test_upgrading_leaves_stored_orders_undated_so_any_dated_copy_is_newer(engine_at_0003):
    upgrade(engine_at_0003)

    with engine_at_0003.connect() as connection:
        row = connection.execute(select(OrderRow)).one()
    assert (row.packing_no, row.updated_at, row.recovery) == ("QSP2611230001", None, "awaiting")


def test_going_back_to_0003_turns_withdrawn_jobs_into_rejected_ones(engine_at_0003):
    upgrade(engine_at_0003)
    with engine_at_0003.begin() as connection:
        connection.execute(update(JobRow).values(state="withdrawn"))

    with engine_at_0003.begin() as connection:
        command.downgrade(alembic_config(connection), "0003")

    assert current_revision(engine_at_0003) == "0003"
    with engine_at_0003.connect() as connection:
        assert connection.scalar(text("SELECT state FROM jobs")) == "rejected"
        columns = connection.execute(text("SELECT * FROM orders")).keys()
    assert "updated_at" not in columns
