"""`cancelbot import`: quotes, line endings, encodings and odd bytes never merge, drop or poison
rows; each bad row is named by its line, and nothing is written."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import ORDERS_HEADER, SALES_ORDERS_HEADER
from tests.cli.test_import_orders import (
    ACTIVE,
    API_AT_SITE,
    API_BY_SELLER,
    EXCEL_BY_SELLER,
    _changed,
)

QUOTE_FIX = 'close the quote (a quote inside a quoted field is written twice: "")'


def _write(tmp_path: Path, data: bytes, name: str = "orders.csv") -> Path:
    (path := tmp_path / name).write_bytes(data)
    return path


def _with_items(row: str, items: str) -> str:
    """The row with its items (the last column) replaced by raw CSV text."""
    return row.rsplit(",", 1)[0] + "," + items


def test_a_quote_left_open_is_refused_on_its_line_instead_of_swallowing_the_rows_after_it(
        cancelbot, csv_file, stored):
    path = csv_file(ORDERS_HEADER, _with_items(API_BY_SELLER, '"socks x2'), EXCEL_BY_SELLER,
                    API_AT_SITE)

    run = cancelbot("import", "orders", str(path))

    assert (run.status, run.out) == (1, "")
    assert run.err.splitlines() == [
        "line 2: items: the quote opened on this line is not closed, so line 3 would be read "
        f"as part of this field; {QUOTE_FIX}",
        f"{path}: 1 bad row; nothing was imported",
    ]
    assert stored.count_orders() == 0


def test_rows_after_a_quote_left_open_are_still_checked_on_their_own_lines(cancelbot, csv_file):
    path = csv_file(ORDERS_HEADER, _with_items(API_BY_SELLER, '"socks x2'), EXCEL_BY_SELLER,
                    _changed(API_AT_SITE, "origin", "fax"))

    run = cancelbot("import", "orders", str(path))

    assert run.status == 1
    assert [line.split(":")[0] for line in run.err.splitlines()[:-1]] == ["line 2", "line 4"]
    assert 'line 4: origin: "fax" is not one of api, excel, manual' in run.err


def test_a_quote_left_open_that_a_later_inch_mark_would_close_is_still_refused(
        cancelbot, csv_file, stored):
    opened = _changed(API_BY_SELLER, "recipient", '"Kim')
    inches = _with_items(EXCEL_BY_SELLER, 'pizza 12"')  # ends in a quote: closes "Kim's field

    run = cancelbot("import", "orders", str(csv_file(ORDERS_HEADER, opened, inches, ACTIVE)))

    assert run.status == 1
    assert run.err.splitlines()[0] == (
        "line 2: recipient: the quote opened on this line is not closed, so line 3 would be "
        f"read as part of this field; {QUOTE_FIX}")
    assert stored.count_orders() == 0


def test_a_quote_opened_on_the_last_row_is_refused_on_that_row(cancelbot, csv_file, stored):
    path = csv_file(ORDERS_HEADER, ACTIVE, EXCEL_BY_SELLER, _with_items(API_BY_SELLER, '"socks'))

    run = cancelbot("import", "orders", str(path))

    assert run.status == 1
    assert run.err.splitlines() == [
        "line 4: items: the quote opened on this line is never closed; close it (a quote "
        'inside a quoted field is written twice: "")',
        f"{path}: 1 bad row; nothing was imported",
    ]
    assert stored.count_orders() == 0


def test_a_quote_left_open_in_a_sales_orders_file_is_refused_on_its_line(cancelbot, csv_file,
                                                                          stored):
    opened = 'tmon,SO-1,valid,,Kim,"shoes,'
    path = csv_file(SALES_ORDERS_HEADER, opened, "interpark,SO-2,claim,,Lee,hat,",
                    "shopby,SO-3,missing,,,,")

    run = cancelbot("import", "sales-orders", str(path))

    assert run.status == 1
    assert run.err.startswith("line 2: items: the quote opened on this line is not closed")
    assert stored.count_sales_orders() == 0


def test_text_after_a_closing_quote_is_refused_naming_the_column(cancelbot, csv_file, stored):
    path = csv_file(ORDERS_HEADER, ACTIVE, _with_items(API_BY_SELLER, '"socks" x2'))

    run = cancelbot("import", "orders", str(path))

    assert run.status == 1
    assert run.err.splitlines()[0] == (
        "line 3: items: has text after its closing quote; put the whole field in quotes and "
        'write each quote inside it twice: ""')
    assert stored.count_orders() == 0


def test_a_quote_inside_an_unquoted_field_is_kept_as_text(cancelbot, csv_file, stored):
    path = csv_file(ORDERS_HEADER, _with_items(API_BY_SELLER, 'socks "x2'), ACTIVE)

    run = cancelbot("import", "orders", str(path))

    assert (run.status, run.out) == (0, "imported orders: 2 new, 0 updated, 0 unchanged\n")
    assert stored.order("QSP2611260001").items == 'socks "x2'


def test_a_closed_multiline_field_keeps_its_line_breaks_and_doubled_quotes(cancelbot, csv_file,
                                                                         stored):
    items = '"shoes, red\n""270"" size\nx2"'
    path = csv_file(ORDERS_HEADER, _with_items(API_BY_SELLER, items), ACTIVE,
                    _changed(EXCEL_BY_SELLER, "state", "gone"))

    run = cancelbot("import", "orders", str(path))

    assert run.err.splitlines()[0] == 'line 6: state: "gone" is not one of active, cancelled'
    path = csv_file(ORDERS_HEADER, _with_items(API_BY_SELLER, items), ACTIVE)
    assert cancelbot("import", "orders", str(path)).status == 0
    assert stored.order("QSP2611260001").items == 'shoes, red\n"270" size\nx2'


def test_windows_and_mixed_line_endings_are_imported(cancelbot, tmp_path, stored):
    rows = [ORDERS_HEADER, _with_items(API_BY_SELLER, '"shoes\r\nx2"'), EXCEL_BY_SELLER, ACTIVE]
    data = (rows[0] + "\r\n" + rows[1] + "\n" + rows[2] + "\r\n" + rows[3]).encode()

    run = cancelbot("import", "orders", str(_write(tmp_path, data)))

    assert (run.status, run.out, run.err) == (0, "imported orders: 3 new, 0 updated, 0 unchanged\n", "")
    assert stored.order("QSP2611260001").items == "shoes\nx2"
    assert stored.order("ACC000001").items == "socks"


def test_a_file_with_carriage_returns_alone_is_refused_in_plain_words(cancelbot, tmp_path,
                                                                      stored):
    data = "\r".join([ORDERS_HEADER, API_BY_SELLER, ACTIVE, ""]).encode()

    run = cancelbot("import", "orders", str(path := _write(tmp_path, data)))

    assert (run.status, run.out) == (2, "")
    assert run.err == (
        f"{path}: line 1 has a line break made of a carriage return alone (CR, as in old Mac "
        "files); save the file with Windows (CRLF) or Unix (LF) line endings\n")
    assert stored.count_orders() == 0


def test_a_carriage_return_alone_between_two_rows_is_named_by_its_line(cancelbot, tmp_path,
                                                                       stored):
    data = (ORDERS_HEADER + "\n" + ACTIVE + "\n" + API_BY_SELLER + "\r" + EXCEL_BY_SELLER
            + "\n").encode()

    run = cancelbot("import", "orders", str(path := _write(tmp_path, data)))

    assert run.status == 2
    assert run.err.startswith(f"{path}: line 3 has a line break made of a carriage return alone")
    assert stored.count_orders() == 0


def test_a_nul_byte_in_a_field_is_a_bad_row(cancelbot, tmp_path, stored):
    data = "\n".join([ORDERS_HEADER, ACTIVE, _with_items(API_BY_SELLER, "sho\0es"), ""]).encode()

    run = cancelbot("import", "orders", str(path := _write(tmp_path, data)))

    assert (run.status, run.out) == (1, "")
    assert run.err == (
        'line 3: items: "sho\\x00es" has a control character in it (only tabs and line breaks '
        f"may be in text)\n{path}: 1 bad row; nothing was imported\n")
    assert stored.count_orders() == 0


@pytest.mark.parametrize(("column", "value"), [
    ("recipient", "Kim\x1b[2J"), ("seller_id", "seller\x07-1"), ("sales_order_no", "SO\x7f1"),
])
def test_control_characters_that_a_terminal_would_run_are_refused(cancelbot, csv_file, stored,
                                                                  column, value):
    path = csv_file(ORDERS_HEADER, _changed(API_BY_SELLER, column, value))

    run = cancelbot("import", "orders", str(path))

    assert run.status == 1
    assert run.err.startswith(f"line 2: {column}: ")
    assert "has a control character in it" in run.err
    assert "\x1b" not in run.err and "\x07" not in run.err and "\x7f" not in run.err
    assert stored.count_orders() == 0


def test_a_utf16_file_is_refused_in_plain_words(cancelbot, csv_file, stored):
    path = csv_file(ORDERS_HEADER, ACTIVE, encoding="utf-16")

    run = cancelbot("import", "orders", str(path))

    assert (run.status, run.out) == (2, "")
    assert run.err == f"{path} is UTF-16 text, not UTF-8; save the file as CSV UTF-8\n"
    assert stored.count_orders() == 0


def test_a_very_long_field_is_a_bad_row_not_an_unreadable_file(cancelbot, csv_file, stored):
    path = csv_file(ORDERS_HEADER, ACTIVE, _with_items(API_BY_SELLER, "x" * 200_000))

    run = cancelbot("import", "orders", str(path))

    assert (run.status, run.out) == (1, "")
    assert run.err == (f"line 3: items: is longer than 10,000 characters\n"
                       f"{path}: 1 bad row; nothing was imported\n")
    assert stored.count_orders() == 0


def test_a_header_only_file_imports_nothing_and_says_so(cancelbot, csv_file, stored):
    path = csv_file(ORDERS_HEADER)

    run = cancelbot("import", "orders", str(path))

    assert (run.status, run.err) == (0, "")
    assert run.out == f"imported 0 orders: {path} has no rows under its header\n"
    assert stored.count_orders() == 0
