"""The export's grammar and cells, without I/O: `list … export` read, formula cells quoted."""
from __future__ import annotations

import pytest

from domain.export import safe_cell
from handlers.render.export import csv_bytes
from handlers.slash.parse import Kind, Parsed, parse_text


@pytest.mark.parametrize("text, parsed", [
    ("list export", Parsed(Kind.EXPORT, "")),
    ("list api status:failed_to_resync EXPORT", Parsed(Kind.EXPORT, "api status:failed_to_resync")),
    ("list export seller:dasom", Parsed(Kind.EXPORT, "seller:dasom")),
    ("list api", Parsed(Kind.LIST, "api")),
])
def test_export_is_read_as_the_list_with_its_filters(text, parsed):
    assert parse_text(text) == parsed


@pytest.mark.parametrize("value, written", [
    ("=SUM(A1:A9)", "'=SUM(A1:A9)"), ("+82 10", "'+82 10"), ("-1", "'-1"),
    ("@cmd", "'@cmd"), ("Kim = Lee", "Kim = Lee"), ("", ""), ("QSP2611230001", "QSP2611230001"),
])
def test_only_cells_starting_like_a_formula_get_a_quote(value, written):
    assert safe_cell(value) == written


def test_the_file_starts_with_a_byte_order_mark_and_the_header():
    content = csv_bytes(iter([["QSP1", "a,b"]]))
    assert content.startswith("\ufeffpacking_no,status,".encode())
    assert content.endswith(b'QSP1,"a,b"\r\n')
