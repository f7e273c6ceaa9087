"""`cancelbot import orders|sales-orders FILE.csv` with updated_at: new rows are inserted, newer
copies update, equal or older ones change nothing (rules 11 and 12)."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from sqlalchemy import inspect, select

from domain.model import Action, OrderState, Recovery, SalesOrderStatus, Stage
from domain.requests import Decision, JobState
from domain.withdrawal import WITHDRAWAL
from domain.workflow import submit_request
from store.models import AuditRow, JobRow, OutboxRow
from store.uow import SqlUnitOfWork
from tests.cli.conftest import ORDERS_HEADER, SALES_ORDERS_HEADER
from tests.integration.builders import ctx

KST = timezone(timedelta(hours=9))
HEADER = ORDERS_HEADER + ",updated_at"
NOW = "2026-11-26T10:00:00+09:00"
CANCELLED = ("QSP2611260001,seller-1,tmon,SO-1,api,cancelled,,2026-11-20T14:03:00+09:00,seller,"
             "2026-11-19T10:00:00+09:00,Kim,shoes x2")
ACTIVE = "ACC000001,seller-2,shopby,SO-4,manual,active,waybill,,,2026-11-19T10:00:00+09:00,Choi,socks"
T1, T2 = "2026-11-21T09:00:00+09:00", "2026-11-22T09:00:00+09:00"


def dated(row: str, when: str) -> str:
    return f"{row},{when}"


def imported(cancelbot, csv_file, *rows: str, header: str = HEADER, kind: str = "orders"):
    return cancelbot("import", kind, "--now", NOW, str(csv_file(header, *rows)))


def test_new_newer_and_older_rows_are_counted_and_only_newer_ones_change_the_book(
        cancelbot, csv_file, stored):
    assert imported(cancelbot, csv_file, dated(CANCELLED, T1), dated(ACTIVE, T2)).status == 0
    later = dated(CANCELLED.replace("shoes x2", "shoes x3"), T2)
    older = dated(ACTIVE.replace("socks", "old socks"), T1)
    fresh = dated(ACTIVE.replace("ACC000001", "ACC000002"), T1)

    run = imported(cancelbot, csv_file, later, older, fresh)

    assert (run.status, run.out, run.err) == (
        0, "imported orders: 1 new, 1 updated, 1 unchanged\n", "")
    assert stored.order("QSP2611260001").items == "shoes x3"
    assert stored.order("QSP2611260001").updated_at == datetime(2026, 11, 22, 9, tzinfo=KST)
    assert stored.order("ACC000001").items == "socks"
    assert stored.count_orders() == 3


def test_the_same_file_twice_changes_nothing_the_second_time(cancelbot, csv_file, stored):
    rows = (dated(CANCELLED, T1), dated(ACTIVE, T1))
    assert imported(cancelbot, csv_file, *rows).out == (
        "imported orders: 2 new, 0 updated, 0 unchanged\n")
    before = [stored.order("QSP2611260001"), stored.order("ACC000001")]

    run = imported(cancelbot, csv_file, *rows)

    assert (run.status, run.out) == (0, "imported orders: 0 new, 0 updated, 2 unchanged\n")
    assert [stored.order("QSP2611260001"), stored.order("ACC000001")] == before


def test_an_update_keeps_what_cancelbot_recorded_about_the_order(cancelbot, csv_file, stored):
    assert imported(cancelbot, csv_file, dated(CANCELLED, T1)).status == 0
    with SqlUnitOfWork(stored.sessions) as uow:
        order = uow.orders.get("QSP2611260001")
        assert order is not None
        uow.orders.update(replace(order, recovery=Recovery.DONE, superseded_by="QSP2611260099"))
        uow.commit()

    assert imported(cancelbot, csv_file, dated(CANCELLED.replace("Kim", "Lee"), T2)).status == 0

    after = stored.order("QSP2611260001")
    assert (after.recipient, after.recovery, after.superseded_by) == (
        "Lee", Recovery.DONE, "QSP2611260099")


def test_an_active_order_updated_to_cancelled_enters_its_tab(cancelbot, csv_file, stored):
    assert imported(cancelbot, csv_file, dated(ACTIVE, T1)).status == 0
    cancelled = ("ACC000001,seller-2,shopby,SO-4,manual,cancelled,,2026-11-21T08:00:00+09:00,"
                 "seller,2026-11-19T10:00:00+09:00,Choi,socks")

    assert imported(cancelbot, csv_file, dated(cancelled, T2)).status == 0

    show = cancelbot("show", "--now", NOW, "ACC000001")
    assert "Delivery Cancelled (Excel/Manual Registered)" in show.out
    assert "Recoverable" in show.out
    assert stored.order("ACC000001").recovery is Recovery.NONE


def test_a_reactivated_order_withdraws_its_request_and_the_thread_will_say_why(
        cancelbot, csv_file, stored):
    assert imported(cancelbot, csv_file, dated(CANCELLED, T1)).status == 0
    with SqlUnitOfWork(stored.sessions) as uow:
        request = submit_request(uow, ["QSP2611260001"], Action.RESYNC, "UREQ", "", ctx()).request
    back = ("QSP2611260001,seller-1,tmon,SO-1,api,active,confirmation,,,"
            "2026-11-19T10:00:00+09:00,Kim,shoes x2")

    run = imported(cancelbot, csv_file, dated(back, T2))

    assert (run.status, run.out) == (0, "imported orders: 0 new, 1 updated, 0 unchanged\n")
    order = stored.order("QSP2611260001")
    assert (order.state, order.stage) == (OrderState.ACTIVE, Stage.CONFIRMATION)
    with SqlUnitOfWork(stored.sessions) as uow:
        assert uow.requests.get(request.stored_id).decision is Decision.REJECTED
        job = uow.session.scalars(select(JobRow)).one()
        audit = uow.session.scalars(select(AuditRow).order_by(AuditRow.id.desc())).first()
        outbox = uow.session.scalars(select(OutboxRow)).one()
        assert job.state == JobState.WITHDRAWN.value
        assert (audit.kind, outbox.kind, outbox.request_id) == (
            "withdrawn", WITHDRAWAL, request.stored_id)


def test_without_the_column_a_stored_packing_number_is_still_a_bad_row(
        cancelbot, csv_file, stored):
    assert imported(cancelbot, csv_file, dated(ACTIVE, T1)).status == 0

    run = imported(cancelbot, csv_file, CANCELLED, ACTIVE, header=ORDERS_HEADER)

    assert run.status == 1
    assert run.err.splitlines()[0] == "line 3: packing_no: ACC000001 is already in the database"
    assert stored.count_orders() == 1


def test_with_the_column_every_row_needs_a_date(cancelbot, csv_file, stored):
    run = imported(cancelbot, csv_file, dated(CANCELLED, T1), dated(ACTIVE, ""))

    assert run.status == 1
    assert run.err.splitlines()[0] == (
        "line 3: updated_at: is empty (every row needs it when the file has the column)")
    assert stored.count_orders() == 0


def test_an_update_file_with_bad_rows_writes_nothing_and_names_every_one(
        cancelbot, csv_file, stored):
    assert imported(cancelbot, csv_file, dated(CANCELLED, T1)).status == 0
    rows = (dated(CANCELLED.replace("Kim", "Lee"), T2), dated(ACTIVE, "yesterday"),
            dated(ACTIVE.replace("ACC000001", "ACC000002"), T1),
            dated(ACTIVE.replace("ACC000001", "ACC000002"), T2))

    run = imported(cancelbot, csv_file, *rows)

    assert run.status == 1
    lines = run.err.splitlines()
    assert lines[0].startswith('line 3: updated_at: "yesterday" is not an ISO 8601 date-time')
    assert lines[1] == "line 5: packing_no: ACC000002 appears again (first on line 4)"
    assert lines[-1].endswith(": 2 bad rows; nothing was imported")
    assert stored.order("QSP2611260001").recipient == "Kim" and stored.count_orders() == 1


VALID = "tmon,SO-1,valid,2026-11-19T10:00:00+09:00,Kim,shoes x2,"


def test_sales_orders_update_by_updated_at_the_same_way(cancelbot, csv_file, stored):
    first = imported(cancelbot, csv_file, VALID + T1, header=SALES_ORDERS_HEADER,
                     kind="sales-orders")
    assert first.out == "imported sales orders: 1 new, 0 updated, 0 unchanged\n"
    claim = "tmon,SO-1,claim,2026-11-19T10:00:00+09:00,Kim,shoes x2,"

    older = imported(cancelbot, csv_file, claim + "2026-11-20T09:00:00+09:00",
                     header=SALES_ORDERS_HEADER, kind="sales-orders")
    newer = imported(cancelbot, csv_file, claim + T2, header=SALES_ORDERS_HEADER,
                     kind="sales-orders")

    assert older.out == "imported sales orders: 0 new, 0 updated, 1 unchanged\n"
    assert newer.out == "imported sales orders: 0 new, 1 updated, 0 unchanged\n"
    assert stored.sales_order("tmon", "SO-1").status is SalesOrderStatus.CLAIM
    assert stored.count_sales_orders() == 1


# Rows are merged a chunk at a time while the file is read; with chunks of 2 rows (small_chunks)
# a small file shows what a big one does when a later chunk finds what is wrong with it.

def other(row: str, packing_no: str) -> str:
    return row.replace("ACC000001", packing_no)


def test_a_key_repeated_within_one_chunk_is_named_and_nothing_is_written(
        cancelbot, csv_file, stored, small_chunks):
    run = imported(cancelbot, csv_file, dated(ACTIVE, T1), dated(ACTIVE, T2))

    assert run.status == 1
    assert run.err.splitlines()[0] == "line 3: packing_no: ACC000001 appears again (first on line 2)"
    assert stored.count_orders() == 0


def test_a_key_repeated_in_a_later_chunk_undoes_the_chunks_merged_before(
        cancelbot, csv_file, stored, small_chunks):
    rows = [dated(other(ACTIVE, f"ACC00000{n}"), T1) for n in range(1, 6)]

    run = imported(cancelbot, csv_file, *rows, dated(ACTIVE, T2))

    assert run.status == 1
    first, last = run.err.splitlines()
    assert first == "line 7: packing_no: ACC000001 appears again (first on line 2)"
    assert last.endswith(": 1 bad row; nothing was imported")
    assert stored.count_orders() == 0


def test_a_bad_row_after_merged_chunks_leaves_the_book_as_it_was(
        cancelbot, csv_file, stored, small_chunks):
    assert imported(cancelbot, csv_file, dated(CANCELLED, T1)).status == 0
    rows = [dated(other(ACTIVE, f"ACC00000{n}"), T1) for n in range(1, 6)]

    run = imported(cancelbot, csv_file, dated(CANCELLED.replace("Kim", "Lee"), T2), *rows,
                   dated(other(ACTIVE, "ACC000009"), "yesterday"))

    assert run.status == 1
    assert run.err.splitlines()[0].startswith('line 8: updated_at: "yesterday" is not')
    assert stored.count_orders() == 1
    assert stored.order("QSP2611260001").recipient == "Kim"


def test_a_key_new_to_the_book_and_repeated_without_dates_is_only_a_repeat(
        cancelbot, csv_file, stored, small_chunks):
    assert imported(cancelbot, csv_file, dated(CANCELLED, T1)).status == 0
    rows = (ACTIVE, other(ACTIVE, "ACC000002"), other(ACTIVE, "ACC000003"), ACTIVE)

    run = imported(cancelbot, csv_file, *rows, header=ORDERS_HEADER)

    assert run.status == 1
    assert run.err.splitlines()[:-1] == [
        "line 5: packing_no: ACC000001 appears again (first on line 2)"]
    assert stored.count_orders() == 1


def test_a_big_file_in_many_chunks_counts_each_kind_of_row_once(
        cancelbot, csv_file, stored, small_chunks):
    assert imported(cancelbot, csv_file, dated(CANCELLED, T1), dated(ACTIVE, T1)).status == 0
    fresh = [dated(other(ACTIVE, f"ACC10000{n}"), T1) for n in range(5)]

    run = imported(cancelbot, csv_file, dated(ACTIVE, T1), *fresh,
                   dated(CANCELLED.replace("Kim", "Lee"), T2))

    assert (run.status, run.out, run.err) == (
        0, "imported orders: 5 new, 1 updated, 1 unchanged\n", "")
    assert stored.count_orders() == 7
    assert stored.order("QSP2611260001").recipient == "Lee"


def _indexes(stored) -> list[tuple]:
    """Each index of orders as (name, columns, unique, its WHERE and other options as text)."""
    return sorted((index["name"], index["column_names"], bool(index["unique"]),
                   sorted((k, str(v)) for k, v in index.get("dialect_options", {}).items()))
                  for index in inspect(stored.engine).get_indexes("orders"))


def test_a_first_import_leaves_the_indexes_as_the_migrations_made_them(
        cancelbot, csv_file, stored, small_chunks):
    migrated = _indexes(stored)
    assert {"ix_orders_cancelled_at", "ix_orders_category_recovery", "ix_orders_sales_order",
            "ix_orders_seller_cancelled", "ix_orders_site_cancelled"} <= {
        name for name, *_ in migrated}

    assert imported(cancelbot, csv_file, dated(CANCELLED, T1), dated(ACTIVE, T1)).status == 0

    assert _indexes(stored) == migrated


def test_a_rejected_first_import_leaves_the_indexes_in_place(
        cancelbot, csv_file, stored, small_chunks):
    migrated = _indexes(stored)

    run = imported(cancelbot, csv_file, dated(CANCELLED, T1), dated(ACTIVE, T1),
                   dated(ACTIVE, "yesterday"))

    assert run.status == 1
    assert _indexes(stored) == migrated
