"""`cancelbot db upgrade` on real databases: from empty to head, idempotent, models agree."""
from __future__ import annotations

import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect, select

from domain.lookup import look_up
from domain.model import CancelledBy, Category, Origin, Recovery
from domain.ports import ListQuery
from domain.status import Status
from store.db import make_engine
from store.migrate import alembic_config, current_revision, head_revision, upgrade
from store.models import Base, JobRow, OrderRow, OutboxRow, RequestRow
from store.uow import session_factory, uow_factory
from tests.conftest import _drop_postgres_schema, _new_postgres_schema, _postgres_schema_url
from tests.integration.builders import (
    NOW,
    active,
    add_orders,
    cancelled,
    ctx,
    order_values_before_0004,
)

TABLES = {"orders", "sales_orders", "requests", "jobs", "audit_events", "outbox",
          "packing_sequences", "digests", "installation", "order_feed", "feed_problems",
          "order_counts", "order_day_counts",
          "alembic_version"}


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


def _at_revision_0001_with(engine, orders, jobs, outbox_payloads):
    """A database migrated to 0001 only, holding rows as that schema's code wrote them."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0001")
    with engine.begin() as connection:
        connection.execute(insert(RequestRow), [dict(
            id=1, action="resync", requested_by="UREQUESTER", requested_at=NOW, note="",
            decision="approved", reject_reason="")])
        connection.execute(insert(OrderRow), [
            {**order_values_before_0004(order), "id": n, "recovery": recovery}
            for n, (order, recovery) in enumerate(orders, start=1)])
        connection.execute(insert(JobRow), [dict(
            request_id=1, order_id=order_id, packing_no=orders[order_id - 1][0].packing_no,
            action="resync", state=state, failure_code=code, failure_detail="", attempts=1,
            prior_recovery=prior) for order_id, state, code, prior in jobs])
        for payload in outbox_payloads:
            connection.execute(insert(OutboxRow).values(
                request_id=1, kind="job_result", payload=payload, created_at=NOW, attempts=0,
                last_error=""))


def _old_result(code: str, reason: str, retryable: bool) -> dict:
    return {"job_id": 1, "action": "resync", "status": "Failed to Resync",
            "packing_no": "QSP2611230001", "result_packing_no": None, "failure_code": code,
            "reason": reason, "retryable": retryable}


def test_upgrading_makes_orders_stored_as_failed_for_good_requestable_again(empty_engine):
    _at_revision_0001_with(
        empty_engine,
        orders=[(cancelled("QSP2611230001"), "failed_final"),  # on claim
                (cancelled("QSP2611230002"), "failed_final"),  # cancelled at the sales site
                (cancelled("QSP2611230003"), "failed_retry"),  # server error
                (cancelled("ACC000004", origin=Origin.EXCEL), "failed_retry")],
        jobs=[(1, "failed", "on_claim", "none"),
              (2, "failed", "cancelled_at_sales_site", "none"),
              (3, "failed", "server_error", "none"),
              (1, "rejected", None, "failed_final")],
        outbox_payloads=[
            _old_result("on_claim", "The sales order is on claim (return, exchange or cancel "
                        "claim); a new request will not help.", False),
            _old_result("cancelled_at_sales_site", "The order was cancelled at the sales site; "
                        "a new request will not help.", False),
            _old_result("server_error", "The sales site did not answer (server error); "
                        "a new request is allowed.", True)])

    upgrade(empty_engine)

    with uow_factory(session_factory(empty_engine))() as u:
        on_claim = look_up(u, "QSP2611230001", ctx())
        moved = look_up(u, "QSP2611230002", ctx())
        server_error = look_up(u, "QSP2611230003", ctx())
        restore = look_up(u, "ACC000004", ctx())
        listed = u.orders.page(ListQuery(status=Status.FAILED_TO_RESYNC), ctx()).items
        site_tab = u.orders.page(ListQuery(category=Category.SITE), ctx()).items
        prior = [j.prior_recovery for j in u.jobs.for_order(on_claim.order.stored_id)]
    assert (on_claim.status.status, on_claim.check.allowed) == (Status.FAILED_TO_RESYNC, True)
    assert (moved.order.cancelled_by, moved.status.status) == (
        CancelledBy.SALES_SITE, Status.NO_ACTION)
    assert (server_error.status.status, restore.status.status) == (
        Status.FAILED_TO_RESYNC, Status.FAILED_TO_RECOVER)
    assert [i.order.packing_no for i in listed] == ["QSP2611230003", "QSP2611230001"]
    assert [i.order.packing_no for i in site_tab] == ["QSP2611230002"]
    assert prior == [Recovery.NONE, Recovery.FAILED_RETRY]
    with empty_engine.connect() as connection:
        payloads = connection.scalars(select(OutboxRow.payload).order_by(OutboxRow.id)).all()
    assert [(p["reason"], p["retryable"]) for p in payloads] == [
        ("The sales order is on claim (return, exchange or cancel claim). Check the claim on "
         "the sales site first: once it is withdrawn or closed, a new request is allowed.", True),
        ("The order was cancelled at the sales site. The order moved to the Sales Site Order "
         "Cancel tab and can no longer be resynced or restored.", False),
        ("The sales site did not answer (server error); a new request is allowed.", True)]


def test_downgrading_to_0001_gives_back_what_0002_changed(empty_engine):
    _at_revision_0001_with(
        empty_engine,
        orders=[(cancelled("QSP2611230001"), "failed_final"),
                (cancelled("QSP2611230002"), "failed_final"),
                (cancelled("QSP2611230003"), "failed_retry")],
        jobs=[(1, "failed", "in_delivery", "none"),
              (2, "failed", "cancelled_at_sales_site", "none"),
              (3, "failed", "sales_order_not_found", "none")],
        outbox_payloads=[])
    upgrade(empty_engine)

    with empty_engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0001")

    with empty_engine.connect() as connection:
        rows = connection.execute(select(
            OrderRow.packing_no, OrderRow.recovery, OrderRow.cancelled_by, OrderRow.category,
        ).order_by(OrderRow.id)).all()
    assert [tuple(r) for r in rows] == [
        ("QSP2611230001", "failed_final", "seller", "api"),
        ("QSP2611230002", "failed_final", "seller", "api"),
        ("QSP2611230003", "failed_retry", "seller", "api")]
