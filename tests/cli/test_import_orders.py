"""`cancelbot import orders FILE.csv`: what the user sees, and what ends up in the database."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from domain.model import CancelledBy, Category, Order, OrderState, Origin, Recovery, Stage
from tests.cli.conftest import ORDERS_HEADER

KST = timezone(timedelta(hours=9))
EXAMPLE = "(write e.g. 2026-11-20T14:03:00+09:00)"

API_BY_SELLER = "QSP2611260001,seller-1,tmon,SO-1,api,cancelled,,2026-11-20T14:03:00+09:00,seller,2026-11-19T10:00:00+09:00,김민수,shoes x2"
EXCEL_BY_SELLER = "QSP2611260002,seller-1,interpark,SO-2,excel,cancelled,,2026-11-20T15:00:00Z,seller,,이서연,hat"
API_AT_SITE = "QSP2611260003,seller-2,wemakeprice,SO-3,api,cancelled,,2026-11-21T09:00:00+09:00,sales_site,,Park,bag"
ACTIVE = "ACC000001,seller-2,shopby,SO-4,manual,active,waybill,,,2026-11-19T10:00:00+09:00,Choi,socks"


def test_good_orders_file_imports_every_row_and_says_how_many(cancelbot, csv_file, stored):
    path = csv_file(ORDERS_HEADER, API_BY_SELLER, EXCEL_BY_SELLER, API_AT_SITE, ACTIVE)

    run = cancelbot("import", "orders", str(path))

    assert (run.status, run.out, run.err) == (0, "imported orders: 4 new, 0 updated, 0 unchanged\n", "")
    assert stored.count_orders() == 4
    first = stored.order("QSP2611260001")
    assert first == Order(
        packing_no="QSP2611260001", seller_id="seller-1", sales_site="tmon", sales_order_no="SO-1",
        origin=Origin.API, state=OrderState.CANCELLED, stage=None,
        cancelled_at=datetime(2026, 11, 20, 14, 3, tzinfo=KST), cancelled_by=CancelledBy.SELLER,
        payment_at=datetime(2026, 11, 19, 10, 0, tzinfo=KST), recipient="김민수", items="shoes x2",
        recovery=Recovery.NONE,
    )
    assert first.category is Category.API
    assert stored.order("QSP2611260002").category is Category.EXCEL
    assert stored.order("QSP2611260003").category is Category.SITE
    active = stored.order("ACC000001")
    assert (active.state, active.stage, active.cancelled_at, active.category) == (
        OrderState.ACTIVE, Stage.WAYBILL, None, None)


def test_one_good_order_is_counted_in_the_singular(cancelbot, csv_file):
    run = cancelbot("import", "orders", str(csv_file(ORDERS_HEADER, ACTIVE)))

    assert (run.status, run.out) == (0, "imported orders: 1 new, 0 updated, 0 unchanged\n")


def test_packing_numbers_with_spaces_and_lower_case_are_stored_normalized(cancelbot, csv_file, stored):
    row = API_BY_SELLER.replace("QSP2611260001", "  qsp 2611 260001 ").replace(",tmon,", ", TMON ,")

    run = cancelbot("import", "orders", str(csv_file(ORDERS_HEADER, row)))

    assert run.status == 0
    order = stored.order("QSP2611260001")
    assert (order.packing_no, order.sales_site) == ("QSP2611260001", "tmon")


def test_file_starting_with_a_byte_order_mark_is_imported(cancelbot, csv_file, stored):
    path = csv_file(ORDERS_HEADER, API_BY_SELLER, prefix="\ufeff".encode())

    run = cancelbot("import", "orders", str(path))

    assert (run.status, run.out, run.err) == (0, "imported orders: 1 new, 0 updated, 0 unchanged\n", "")
    assert stored.order("QSP2611260001") is not None


def test_header_columns_in_another_order_and_case_are_accepted(cancelbot, csv_file, stored):
    header = "ITEMS,recipient,payment_at,cancelled_by,cancelled_at,stage,state,origin,sales_order_no,sales_site,seller_id,Packing_No"
    row = ",".join(reversed(ACTIVE.split(",")))

    run = cancelbot("import", "orders", str(csv_file(header, row)))

    assert run.status == 0
    assert stored.order("ACC000001").items == "socks"


def test_blank_lines_and_empty_spreadsheet_rows_are_skipped(cancelbot, csv_file, stored):
    path = csv_file(ORDERS_HEADER, "", API_BY_SELLER, ",,,,,,,,,,,", "   ", ACTIVE, "")

    run = cancelbot("import", "orders", str(path))

    assert (run.status, run.out) == (0, "imported orders: 2 new, 0 updated, 0 unchanged\n")


def test_import_with_bad_date_reports_line_and_column_and_writes_nothing(cancelbot, csv_file, stored):
    bad = API_BY_SELLER.replace("2026-11-20T14:03:00+09:00", "2026-11-20 14:03")
    path = csv_file(ORDERS_HEADER, ACTIVE, bad, name="orders.csv")

    run = cancelbot("import", "orders", str(path))

    assert run.status == 1
    assert run.out == ""
    assert run.err == (
        f'line 3: cancelled_at: "2026-11-20 14:03" has no UTC offset {EXAMPLE}\n'
        f"{path}: 1 bad row; nothing was imported\n"
    )
    assert stored.count_orders() == 0


def _changed(row: str, column: str, value: str) -> str:
    fields = row.split(",")
    fields[ORDERS_HEADER.split(",").index(column)] = value
    return ",".join(fields)


OTHER = _changed(ACTIVE, "packing_no", "ACC999999")  # a good row before the bad one

BAD_ROWS = {
    "date without offset": (_changed(API_BY_SELLER, "payment_at", "2026-11-19"),
                            f'payment_at: "2026-11-19" has no UTC offset {EXAMPLE}'),
    "not a date": (_changed(API_BY_SELLER, "cancelled_at", "yesterday"),
                   f'cancelled_at: "yesterday" is not an ISO 8601 date-time {EXAMPLE}'),
    "packing number with a dash": (_changed(API_BY_SELLER, "packing_no", "QSP-0001"),
                                   'packing_no: "QSP-0001" is not a packing number (3 to 32 letters and digits)'),
    "no packing number": (_changed(API_BY_SELLER, "packing_no", " "), "packing_no: is empty"),
    "no seller": (_changed(API_BY_SELLER, "seller_id", ""), "seller_id: is empty"),
    "no sales site": (_changed(API_BY_SELLER, "sales_site", ""), "sales_site: is empty"),
    "no sales order number": (_changed(API_BY_SELLER, "sales_order_no", ""), "sales_order_no: is empty"),
    "seller id too long": (_changed(API_BY_SELLER, "seller_id", "s" * 65),
                           "seller_id: is longer than 64 characters"),
    "unknown origin": (_changed(API_BY_SELLER, "origin", "fax"),
                       'origin: "fax" is not one of api, excel, manual'),
    "unknown state": (_changed(API_BY_SELLER, "state", "deleted"),
                      'state: "deleted" is not one of active, cancelled'),
    "unknown stage": (_changed(ACTIVE, "stage", "packing"),
                      'stage: "packing" is not one of confirmation, waybill, pickup, shipped'),
    "active without stage": (_changed(ACTIVE, "stage", ""),
                             "stage: is empty for an active order; use one of confirmation, waybill, pickup, shipped"),
    "active with cancelled_at": (_changed(ACTIVE, "cancelled_at", "2026-11-20T14:03:00+09:00"),
                                 'cancelled_at: must be empty for an active order (it is "2026-11-20T14:03:00+09:00")'),
    "active with cancelled_by": (_changed(ACTIVE, "cancelled_by", "seller"),
                                 'cancelled_by: must be empty for an active order (it is "seller")'),
    "cancelled with stage": (_changed(API_BY_SELLER, "stage", "waybill"),
                             'stage: must be empty for a cancelled order (it is "waybill")'),
    "cancelled without cancelled_at": (_changed(API_BY_SELLER, "cancelled_at", ""),
                                       "cancelled_at: is empty for a cancelled order"),
    "cancelled without cancelled_by": (_changed(API_BY_SELLER, "cancelled_by", ""),
                                       "cancelled_by: is empty for a cancelled order; use one of seller, sales_site"),
    "unknown canceller": (_changed(API_BY_SELLER, "cancelled_by", "buyer"),
                          'cancelled_by: "buyer" is not one of seller, sales_site'),
    "excel order cancelled at the sales site": (
        _changed(EXCEL_BY_SELLER, "cancelled_by", "sales_site"),
        "cancelled_by: only api orders can be cancelled at the sales site (origin is excel)"),
    "a field too few": (API_BY_SELLER.rsplit(",", 1)[0], "row: has 11 fields but the header has 12"),
    "a field too many": (API_BY_SELLER + ",extra", "row: has 13 fields but the header has 12"),
}


@pytest.mark.parametrize(("row", "problem"), BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_import_with_bad_row_reports_line_column_and_problem_and_writes_nothing(
        cancelbot, csv_file, stored, row, problem):
    path = csv_file(ORDERS_HEADER, OTHER, row)

    run = cancelbot("import", "orders", str(path))

    assert (run.status, run.out) == (1, "")
    assert run.err == f"line 3: {problem}\n{path}: 1 bad row; nothing was imported\n"
    assert stored.count_orders() == 0


def test_every_bad_row_is_reported_by_its_physical_line_even_after_a_multiline_field(
        cancelbot, csv_file, stored):
    multiline = API_BY_SELLER.replace("shoes x2", '"shoes\nsize 270\nx2"')
    path = csv_file(
        ORDERS_HEADER,
        multiline,                                          # lines 2-4
        _changed(ACTIVE, "origin", "fax"),                  # line 5
        EXCEL_BY_SELLER,                                    # line 6
        _changed(_changed(API_AT_SITE, "state", "gone"), "seller_id", ""),  # line 7
    )

    run = cancelbot("import", "orders", str(path))

    assert run.status == 1
    assert run.err.splitlines() == [
        'line 5: origin: "fax" is not one of api, excel, manual',
        "line 7: seller_id: is empty",
        'line 7: state: "gone" is not one of active, cancelled',
        f"{path}: 2 bad rows; nothing was imported",
    ]
    assert stored.count_orders() == 0


def test_duplicate_packing_number_in_the_file_names_both_lines(cancelbot, csv_file, stored):
    again = _changed(EXCEL_BY_SELLER, "packing_no", "qsp 2611260001")
    path = csv_file(ORDERS_HEADER, API_BY_SELLER, ACTIVE, again)

    run = cancelbot("import", "orders", str(path))

    assert run.status == 1
    assert run.err.splitlines()[0] == (
        "line 4: packing_no: QSP2611260001 appears again (first on line 2)")
    assert stored.count_orders() == 0


def test_packing_number_already_in_the_database_is_reported_and_nothing_written(
        cancelbot, csv_file, stored):
    stored.add_order(Order(packing_no="ACC000001", seller_id="seller-9", sales_site="tmon",
                           sales_order_no="SO-9", origin=Origin.EXCEL, state=OrderState.ACTIVE,
                           stage=Stage.PICKUP))
    path = csv_file(ORDERS_HEADER, API_BY_SELLER, ACTIVE.replace("ACC000001", "acc000001"))

    run = cancelbot("import", "orders", str(path))

    assert run.status == 1
    assert run.err == (
        "line 3: packing_no: ACC000001 is already in the database\n"
        f"{path}: 1 bad row; nothing was imported\n"
    )
    assert stored.count_orders() == 1
    assert stored.order("QSP2611260001") is None
    assert stored.order("ACC000001").seller_id == "seller-9"


def test_more_than_fifty_problems_are_cut_short_with_a_count(cancelbot, csv_file, stored):
    rows = [_changed(ACTIVE, "packing_no", f"BAD-{n}") for n in range(60)]

    run = cancelbot("import", "orders", str(path := csv_file(ORDERS_HEADER, *rows)))

    lines = run.err.splitlines()
    assert run.status == 1
    assert len(lines) == 52
    assert lines[49] == 'line 51: packing_no: "BAD-49" is not a packing number (3 to 32 letters and digits)'
    assert lines[50:] == ["... and 10 more", f"{path}: 60 bad rows; nothing was imported"]


def test_missing_and_unknown_header_columns_are_named_on_line_one(cancelbot, csv_file, stored):
    header = ORDERS_HEADER.replace("recipient,items", "recipient,colour")

    run = cancelbot("import", "orders", str(path := csv_file(header, API_BY_SELLER)))

    assert run.status == 1
    assert run.err.splitlines() == [
        "line 1: colour: unknown column (expected: " + ORDERS_HEADER.replace(",", ", ")
        + "; and, if wanted, updated_at)",
        "line 1: items: column is missing from the header",
        f"{path}: the header does not match the columns this import needs; nothing was imported",
    ]
    assert stored.count_orders() == 0


def test_empty_file_asks_for_a_header_row(cancelbot, tmp_path):
    (path := tmp_path / "empty.csv").write_bytes(b"")

    run = cancelbot("import", "orders", str(path))

    assert run.status == 1
    assert run.err.splitlines()[0] == (
        "line 1: header: the file is empty; the first line must name the columns: "
        + ORDERS_HEADER.replace(",", ", "))


def test_missing_file_is_one_line_with_status_2(cancelbot, tmp_path):
    run = cancelbot("import", "orders", str(tmp_path / "nope.csv"))

    assert (run.status, run.out) == (2, "")
    assert run.err == f"cannot read {tmp_path / 'nope.csv'}: No such file or directory\n"


def test_file_that_is_not_utf8_is_one_line_naming_the_line_with_status_2(cancelbot, csv_file, stored):
    path = csv_file(ORDERS_HEADER, ACTIVE, API_BY_SELLER, encoding="cp949")  # Korean on line 3

    run = cancelbot("import", "orders", str(path))

    assert (run.status, run.out) == (2, "")
    assert run.err == f"{path}: line 3 is not UTF-8 text; save the file as CSV UTF-8\n"
    assert stored.count_orders() == 0


def test_fresh_sqlite_file_is_migrated_before_the_import(monkeypatch, capsys, tmp_path, csv_file):
    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'new.sqlite3'}")

    status = main(["import", "orders", str(csv_file(ORDERS_HEADER, ACTIVE))])

    assert (status, capsys.readouterr().out) == (0, "imported orders: 1 new, 0 updated, 0 unchanged\n")


def test_progress_bar_is_drawn_on_stderr_when_forced(cancelbot, csv_file, stored, small_chunks):
    rows = [_changed(ACTIVE, "packing_no", f"ACC{n:06d}") for n in range(5)]

    path = csv_file(ORDERS_HEADER, *rows)

    run = cancelbot("import", "orders", "--progress", str(path))

    assert (run.status, run.out) == (0, "imported orders: 5 new, 0 updated, 0 unchanged\n")
    assert f"\rimporting orders from {path} [" in run.err
    assert run.err.endswith("] 100%  0.0 / 0.0 MB\n")
    assert stored.count_orders() == 5


def test_progress_bar_stays_silent_when_stderr_is_not_a_terminal(cancelbot, csv_file, small_chunks):
    rows = [_changed(ACTIVE, "packing_no", f"ACC{n:06d}") for n in range(5)]

    run = cancelbot("import", "orders", str(csv_file(ORDERS_HEADER, *rows)))

    assert (run.status, run.out, run.err) == (0, "imported orders: 5 new, 0 updated, 0 unchanged\n", "")


def test_help_documents_the_exit_statuses(cancelbot, capsys):
    with pytest.raises(SystemExit):
        cancelbot("import", "orders", "--help")

    out = capsys.readouterr().out
    assert "1  bad rows or header" in out and "2  the file cannot be read" in out
    assert ORDERS_HEADER.replace(",", ", ") in out.replace("\n  ", " ")
