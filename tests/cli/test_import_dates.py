"""`cancelbot import`: every date column of both files must fall between 2000 and a day after
the import, so that no stored date can break a list, a card or a window later."""
from __future__ import annotations

import pytest

from tests.cli.conftest import ORDERS_HEADER, SALES_ORDERS_HEADER
from tests.cli.test_import_orders import ACTIVE, API_BY_SELLER, _changed

NOW = "2026-11-24T10:00:00+09:00"
SALES_ORDER = "tmon,SO-1,valid,2026-11-19T10:00:00+09:00,김민수,shoes x2,2026-11-21T08:00:00+09:00"

COLUMNS = [  # (command, header, a good row, the date column)
    ("orders", ORDERS_HEADER, API_BY_SELLER, "cancelled_at"),
    ("orders", ORDERS_HEADER, API_BY_SELLER, "payment_at"),
    ("sales-orders", SALES_ORDERS_HEADER, SALES_ORDER, "payment_at"),
    ("sales-orders", SALES_ORDERS_HEADER, SALES_ORDER, "updated_at"),
]
OUT_OF_RANGE = [  # (date, what is said about it), with the import at NOW
    ("9999-12-31T20:00:00+00:00", "is more than a day in the future"),
    ("9999-12-31T23:59:59-05:00", "is more than a day in the future"),
    ("2026-11-25T10:00:01+09:00", "is more than a day in the future"),
    ("2027-01-01T00:00:00+09:00", "is more than a day in the future"),
    ("1999-12-31T23:59:59+00:00", "is before 2000"),
    ("0001-01-01T00:00:00+09:00", "is before 2000"),
    ("0001-01-01T00:00:00-05:00", "is before 2000"),
]


def _row(header: str, row: str, column: str, value: str) -> str:
    fields = row.split(",")
    fields[header.split(",").index(column)] = value
    return ",".join(fields)


@pytest.mark.parametrize(("command", "header", "row", "column"), COLUMNS,
                         ids=[f"{c[0]}-{c[3]}" for c in COLUMNS])
@pytest.mark.parametrize(("date", "said"), OUT_OF_RANGE, ids=[d for d, _ in OUT_OF_RANGE])
def test_a_date_out_of_range_is_a_bad_row_and_nothing_is_written(
        cancelbot, csv_file, stored, command, header, row, column, date, said):
    path = csv_file(header, _row(header, row, column, date))

    run = cancelbot("import", command, "--now", NOW, str(path))

    assert (run.status, run.out) == (1, "")
    assert run.err == (f'line 2: {column}: "{date}" {said}\n'
                       f"{path}: 1 bad row; nothing was imported\n")
    assert stored.count_orders() + stored.count_sales_orders() == 0


@pytest.mark.parametrize(("command", "header", "row", "column"), COLUMNS,
                         ids=[f"{c[0]}-{c[3]}" for c in COLUMNS])
@pytest.mark.parametrize("date", ["2000-01-01T00:00:00+00:00", "2026-11-25T10:00:00+09:00"])
def test_dates_from_2000_up_to_a_day_after_the_import_are_imported(
        cancelbot, csv_file, command, header, row, column, date):
    path = csv_file(header, _row(header, row, column, date))

    run = cancelbot("import", command, "--now", NOW, str(path))

    assert (run.status, run.err) == (0, "")


def test_the_future_is_counted_from_the_time_of_the_import(cancelbot, csv_file, stored):
    row = _changed(API_BY_SELLER, "cancelled_at", "2026-11-28T09:00:00+09:00")

    early = cancelbot("import", "orders", "--now", NOW, str(csv_file(ORDERS_HEADER, row)))
    later = cancelbot("import", "orders", "--now", "2026-11-27T10:00:00+09:00",
                      str(csv_file(ORDERS_HEADER, row)))

    assert early.status == 1
    assert (later.status, later.out) == (0, "imported orders: 1 new, 0 updated, 0 unchanged\n")
    assert stored.count_orders() == 1


def test_after_a_far_future_date_is_refused_the_list_still_works(cancelbot, csv_file, stored):
    far = _changed(API_BY_SELLER, "cancelled_at", "9999-12-31T20:00:00+00:00")

    refused = cancelbot("import", "orders", str(csv_file(ORDERS_HEADER, ACTIVE, far)))
    listing = cancelbot("list")

    assert refused.status == 1
    assert (listing.status, listing.err) == (0, "")
    assert stored.count_orders() == 0


def test_a_year_one_date_is_one_line_without_the_rows_values(cancelbot, csv_file, stored):
    row = _changed(_changed(API_BY_SELLER, "cancelled_at", "0001-01-01T00:00:00+09:00"),
                   "recipient", "Hong Gildong")

    run = cancelbot("import", "orders", str(path := csv_file(ORDERS_HEADER, row)))

    assert run.status == 1
    assert run.err.splitlines() == [
        'line 2: cancelled_at: "0001-01-01T00:00:00+09:00" is before 2000',
        f"{path}: 1 bad row; nothing was imported",
    ]
    assert "Hong Gildong" not in run.out + run.err
    assert stored.count_orders() == 0
