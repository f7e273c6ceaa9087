"""`cancelbot import sales-orders FILE.csv`: the embedded sales site's orders."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from domain.model import SalesOrder, SalesOrderStatus
from tests.cli.conftest import SALES_ORDERS_HEADER

KST = timezone(timedelta(hours=9))
EXAMPLE = "(write e.g. 2026-11-20T14:03:00+09:00)"

VALID = "tmon,SO-1,valid,2026-11-19T10:00:00+09:00,김민수,shoes x2,2026-11-21T08:00:00+09:00"
CLAIM = "interpark,SO-2,claim,,이서연,hat,"
MISSING = "shopby,SO-3,missing,,,,"


def _changed(row: str, column: str, value: str) -> str:
    fields = row.split(",")
    fields[SALES_ORDERS_HEADER.split(",").index(column)] = value
    return ",".join(fields)


def test_good_sales_orders_file_imports_every_row_and_says_how_many(cancelbot, csv_file, stored):
    path = csv_file(SALES_ORDERS_HEADER, VALID, CLAIM, MISSING)

    run = cancelbot("import", "sales-orders", str(path))

    assert (run.status, run.out, run.err) == (0, "imported sales orders: 3 new, 0 updated, 0 unchanged\n", "")
    assert stored.count_sales_orders() == 3
    assert stored.sales_order("tmon", "SO-1") == SalesOrder(
        sales_site="tmon", sales_order_no="SO-1", status=SalesOrderStatus.VALID,
        payment_at=datetime(2026, 11, 19, 10, tzinfo=KST), recipient="김민수", items="shoes x2",
        updated_at=datetime(2026, 11, 21, 8, tzinfo=KST),
    )
    claim = stored.sales_order("interpark", "SO-2")
    assert (claim.status, claim.payment_at, claim.updated_at) == (SalesOrderStatus.CLAIM, None, None)
    assert stored.sales_order("shopby", "SO-3").status is SalesOrderStatus.MISSING


def test_sales_site_names_are_stored_in_lower_case(cancelbot, csv_file, stored):
    run = cancelbot("import", "sales-orders", str(csv_file(SALES_ORDERS_HEADER, " TMon " + VALID[4:])))

    assert (run.status, run.out) == (0, "imported sales orders: 1 new, 0 updated, 0 unchanged\n")
    assert stored.sales_order("tmon", "SO-1") is not None


def test_sales_orders_file_starting_with_a_byte_order_mark_is_imported(cancelbot, csv_file, stored):
    path = csv_file(SALES_ORDERS_HEADER, VALID, prefix=b"\xef\xbb\xbf")

    run = cancelbot("import", "sales-orders", str(path))

    assert (run.status, run.err) == (0, "")
    assert stored.sales_order("tmon", "SO-1") is not None


BAD_ROWS = {
    "unknown status": (_changed(VALID, "status", "shipped"),
                       'status: "shipped" is not one of valid, claim, in_delivery, cancelled, missing'),
    "no status": (_changed(VALID, "status", ""),
                  "status: is empty; use one of valid, claim, in_delivery, cancelled, missing"),
    "no sales site": (_changed(VALID, "sales_site", ""), "sales_site: is empty"),
    "no sales order number": (_changed(VALID, "sales_order_no", ""), "sales_order_no: is empty"),
    "sales site too long": (_changed(VALID, "sales_site", "x" * 33),
                            "sales_site: is longer than 32 characters"),
    "payment date without offset": (_changed(VALID, "payment_at", "2026-11-19T10:00:00"),
                                    f'payment_at: "2026-11-19T10:00:00" has no UTC offset {EXAMPLE}'),
    "update date that is no date": (_changed(VALID, "updated_at", "21/11/2026"),
                                    f'updated_at: "21/11/2026" is not an ISO 8601 date-time {EXAMPLE}'),
    "a field too few": ("tmon,SO-1,valid", "row: has 3 fields but the header has 7"),
}


@pytest.mark.parametrize(("row", "problem"), BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_import_with_bad_sales_order_reports_line_column_and_problem_and_writes_nothing(
        cancelbot, csv_file, stored, row, problem):
    path = csv_file(SALES_ORDERS_HEADER, CLAIM, row)

    run = cancelbot("import", "sales-orders", str(path))

    assert (run.status, run.out) == (1, "")
    assert run.err == f"line 3: {problem}\n{path}: 1 bad row; nothing was imported\n"
    assert stored.count_sales_orders() == 0


def test_every_bad_sales_order_is_reported_by_its_physical_line(cancelbot, csv_file, stored):
    path = csv_file(
        SALES_ORDERS_HEADER,
        _changed(VALID, "items", '"shoes\nx2"'),      # lines 2-3
        _changed(CLAIM, "status", "lost"),            # line 4
        MISSING,                                      # line 5
        _changed(_changed(MISSING, "sales_order_no", "SO-4"), "updated_at", "soon"),  # line 6
    )

    run = cancelbot("import", "sales-orders", str(path))

    assert run.status == 1
    assert run.err.splitlines() == [
        'line 4: status: "lost" is not one of valid, claim, in_delivery, cancelled, missing',
        f'line 6: updated_at: "soon" is not an ISO 8601 date-time {EXAMPLE}',
        f"{path}: 2 bad rows; nothing was imported",
    ]
    assert stored.count_sales_orders() == 0


def test_same_sales_order_twice_in_the_file_names_both_lines(cancelbot, csv_file, stored):
    again = _changed(_changed(VALID, "sales_site", "TMON"), "status", "cancelled")
    path = csv_file(SALES_ORDERS_HEADER, VALID, CLAIM, again)

    run = cancelbot("import", "sales-orders", str(path))

    assert run.status == 1
    assert run.err == (
        "line 4: sales_order_no: tmon SO-1 appears again (first on line 2)\n"
        f"{path}: 1 bad row; nothing was imported\n"
    )
    assert stored.count_sales_orders() == 0


def test_stored_sales_order_without_updated_at_is_reported_and_nothing_more_written(
        cancelbot, csv_file, stored):
    assert cancelbot("import", "sales-orders", str(csv_file(SALES_ORDERS_HEADER, VALID))).status == 0
    undated = _changed(_changed(VALID, "status", "claim"), "updated_at", "")
    path = csv_file(SALES_ORDERS_HEADER, CLAIM, undated)

    run = cancelbot("import", "sales-orders", str(path))

    assert run.status == 1
    assert run.err == (
        "line 3: sales_order_no: tmon SO-1 is already in the database\n"
        f"{path}: 1 bad row; nothing was imported\n"
    )
    assert stored.count_sales_orders() == 1
    assert stored.sales_order("tmon", "SO-1").status is SalesOrderStatus.VALID
    assert stored.sales_order("interpark", "SO-2") is None


def test_same_number_on_another_sales_site_is_a_different_sales_order(cancelbot, csv_file, stored):
    path = csv_file(SALES_ORDERS_HEADER, VALID, _changed(VALID, "sales_site", "interpark"))

    run = cancelbot("import", "sales-orders", str(path))

    assert (run.status, run.out) == (0, "imported sales orders: 2 new, 0 updated, 0 unchanged\n")


def test_orders_header_given_to_sales_orders_names_the_wrong_columns(cancelbot, csv_file, stored):
    header = SALES_ORDERS_HEADER.replace("status", "state")

    run = cancelbot("import", "sales-orders", str(path := csv_file(header, VALID)))

    assert run.status == 1
    assert run.err.splitlines() == [
        "line 1: state: unknown column (expected: " + SALES_ORDERS_HEADER.replace(",", ", ") + ")",
        "line 1: status: column is missing from the header",
        f"{path}: the header does not match the columns this import needs; nothing was imported",
    ]
    assert stored.count_sales_orders() == 0


def test_progress_bar_follows_the_sales_orders_file_when_forced(cancelbot, csv_file, stored, small_chunks):
    rows = [_changed(VALID, "sales_order_no", f"SO-{n}") for n in range(3)]

    path = csv_file(SALES_ORDERS_HEADER, *rows)

    run = cancelbot("import", "sales-orders", "--progress", str(path))

    assert run.status == 0
    assert run.err.endswith(
        f"importing sales orders from {path} [##############################] 100%  0.0 / 0.0 MB\n")
