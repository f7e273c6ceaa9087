"""One record of the order feed, checked as a row of the orders CSV is (store/csv_fields.py):
the same columns as strings, an empty one as null or "", and updated_at required."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.errors import InvalidPackingNumber, shown
from domain.model import Order, normalize_packing_no
from domain.services import RecordProblem
from store.csv_check import ORDERS
from store.csv_fields import Fields, Problem

FEED_COLUMNS = ORDERS.all_columns  # the orders CSV's columns, updated_at last
UPDATED_AT_REQUIRED = " (the feed gives every record its updated_at)"
REASON_CHARS = 1000  # several problems of one record, each short


def check_record(record: Any, now: datetime) -> Order | RecordProblem:
    """The order a record describes (its dates bounded by now), or why it cannot be applied."""
    if not isinstance(record, dict):
        return RecordProblem("", "the record is not a JSON object")
    packing_no = _shown_packing_no(record.get("packing_no"))
    not_text = [column for column in FEED_COLUMNS
                if record.get(column) is not None and not isinstance(record[column], str)]
    if not_text:
        return RecordProblem(packing_no, "; ".join(
            f"{column}: is not a string (the feed gives every column as a string)"
            for column in not_text))
    values: list[str | None] = [(record.get(column) or "").strip() for column in FEED_COLUMNS]
    problems: list[Problem] = []
    fields = Fields(problems, now)
    if not values[-1]:
        fields.fail("updated_at", f"is empty{UPDATED_AT_REQUIRED}")
        values[-1] = None  # checked here, in the feed's words: the row check leaves it be
    order: Order | None = ORDERS.parse(fields, values)[1]
    if problems or order is None or order.updated_at is None:
        reason = "; ".join(f"{p.column}: {p.problem}" for p in problems)
        return RecordProblem(packing_no, shown(reason, REASON_CHARS))
    return order


def _shown_packing_no(value: Any) -> str:
    """The packing number of a record, safe to show: in its normal form when it is one (as
    the order is stored, so that a later good copy finds the problem), else as given; "" when
    it is not text."""
    if not isinstance(value, str):
        return ""
    try:
        return normalize_packing_no(value.strip())
    except InvalidPackingNumber:
        return shown(value.strip())
