"""Reading and checking an orders or sales-orders CSV file (README's CSV formats) into domain
objects, with every problem named by line and column; nothing here writes."""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO

from sqlalchemy import Table

from domain.errors import shown
from domain.model import CancelledBy, Order, OrderState, Origin, SalesOrder, SalesOrderStatus, Stage
from store.csv_fields import Fields, Problem
from store.csv_records import Record, Records, UnreadableFile
from store.mapping import order_values, sales_order_values
from store.models import OrderRow, SalesOrderRow

__all__ = ["ORDER_COLUMNS", "ORDERS", "SALES_ORDER_COLUMNS", "SALES_ORDERS", "Checked",
           "ImportRejected", "Kind", "Problem", "Progress", "UnreadableFile", "check_file"]

ORDER_COLUMNS = (
    "packing_no", "seller_id", "sales_site", "sales_order_no", "origin", "state", "stage",
    "cancelled_at", "cancelled_by", "payment_at", "recipient", "items")
SALES_ORDER_COLUMNS = (
    "sales_site", "sales_order_no", "status", "payment_at", "recipient", "items", "updated_at")
PROGRESS_EVERY = 10_000

Progress = Callable[[int, int], None]  # (done, total), in bytes while reading, rows while writing


class ImportRejected(Exception):
    """The file was read but has bad rows (or a bad header); nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = sorted(problems, key=lambda p: p.line)

    @property
    def bad_rows(self) -> int:
        """How many lines have at least one problem."""
        return len({p.line for p in self.problems})


@dataclass
class Checked:
    """The good rows of a file, the line each key was first seen on, and every problem found."""

    rows: list[Any] = field(default_factory=list)
    lines: dict[Any, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def _order(f: Fields, values: list[str]) -> tuple[str | None, Order | None]:
    """The packing number and order of one record, each None when it has problems (added to f)."""
    (packing_no, seller_id, sales_site, sales_order_no, origin, state, stage, cancelled_at,
     cancelled_by, payment_at, recipient, items) = values  # in ORDER_COLUMNS order
    before = len(f.problems)
    key = f.packing_no("packing_no", packing_no)
    f.text("seller_id", seller_id), f.text("sales_order_no", sales_order_no)
    f.text("sales_site", sales_site)
    origin_, state_ = f.choice("origin", origin, Origin), f.choice("state", state, OrderState)
    payment = f.when("payment_at", payment_at)
    f.free_text("recipient", recipient), f.free_text("items", items)
    stage_ = cancelled = by = None
    if state_ is OrderState.ACTIVE:
        stage_ = f.choice("stage", stage, Stage, " for an active order")
        f.empty("cancelled_at", cancelled_at, " for an active order")
        f.empty("cancelled_by", cancelled_by, " for an active order")
    elif state_ is OrderState.CANCELLED:
        f.empty("stage", stage, " for a cancelled order")
        cancelled = f.when("cancelled_at", cancelled_at, " for a cancelled order")
        by = f.choice("cancelled_by", cancelled_by, CancelledBy, " for a cancelled order")
        if by is CancelledBy.SALES_SITE and origin_ not in (None, Origin.API):
            f.fail("cancelled_by", "only api orders can be cancelled at the sales site "
                   f"(origin is {origin_.value})")
    if len(f.problems) > before:
        return key, None
    return key, Order(
        packing_no=key, seller_id=seller_id, sales_site=sales_site.lower(),  # type: ignore[arg-type]
        sales_order_no=sales_order_no, origin=origin_, state=state_, stage=stage_,
        cancelled_at=cancelled, cancelled_by=by, payment_at=payment, recipient=recipient,
        items=items,
    )


def _sales_order(f: Fields, values: list[str]) -> tuple[tuple[str, str] | None, Any]:
    """The key and sales order of one record, each None when it has problems (added to f)."""
    sales_site, sales_order_no, status, payment_at, recipient, items, updated_at = values
    before = len(f.problems)
    f.text("sales_site", sales_site), f.text("sales_order_no", sales_order_no)
    key = (sales_site.lower(), sales_order_no) if len(f.problems) == before else None
    status_ = f.choice("status", status, SalesOrderStatus)
    payment, updated = f.when("payment_at", payment_at), f.when("updated_at", updated_at)
    f.free_text("recipient", recipient), f.free_text("items", items)
    if len(f.problems) > before:
        return key, None
    return key, SalesOrder(
        sales_site=sales_site.lower(), sales_order_no=sales_order_no, status=status_,
        payment_at=payment, recipient=recipient, items=items, updated_at=updated,
    )


@dataclass(frozen=True)
class Kind:
    """What differs between the two imports."""

    noun: str
    columns: tuple[str, ...]
    parse: Callable[[Fields, list[str]], tuple[Any, Any]]  # (unique key, object), each maybe None
    key_columns: tuple[str, ...]
    show_key: Callable[[Any], str]
    table: Table
    values: Callable[[Any], dict[str, Any]]


ORDERS = Kind(
    "orders", ORDER_COLUMNS, _order, ("packing_no",), str,
    OrderRow.__table__, order_values,  # type: ignore[arg-type]
)
SALES_ORDERS = Kind(
    "sales orders", SALES_ORDER_COLUMNS, _sales_order,
    ("sales_site", "sales_order_no"), " ".join,
    SalesOrderRow.__table__, sales_order_values,  # type: ignore[arg-type]
)


def _header(record: Record | None, kind: Kind) -> list[int]:
    """Where each of kind.columns is; any missing, unknown or repeated column rejects the file."""
    if record is None:
        raise ImportRejected([Problem(1, "header", "the file is empty; the first line must name "
                                      f"the columns: {', '.join(kind.columns)}")])
    if record.broken:
        raise ImportRejected([Problem(record.broken.line, "header", record.broken.problem)])
    names = [name.strip().lower() for name in record.fields]
    problems = [Problem(1, shown(name) or f"column {i + 1}", "unknown column (expected: "
                        f"{', '.join(kind.columns)})")
                for i, name in enumerate(names) if name not in kind.columns]
    problems += [Problem(1, name, "appears twice in the header")
                 for i, name in enumerate(names) if name in kind.columns and name in names[:i]]
    problems += [Problem(1, name, "column is missing from the header")
                 for name in kind.columns if name not in names]
    if problems:
        raise ImportRejected(problems)
    return [names.index(name) for name in kind.columns]


def check_file(stream: BinaryIO, name: str, kind: Kind, now: datetime,
               on_bytes: Progress | None = None) -> Checked:
    """Read and check a whole CSV file (no database) at the time `now`, which bounds its dates;
    the result holds every problem found."""
    try:
        size = os.fstat(stream.fileno()).st_size
    except (AttributeError, OSError, ValueError):  # an in-memory stream has no size
        size = 0
    records = Records(stream, name)
    reading = iter(records)
    positions = _header(next(reading, None), kind)
    names, records.width = kind.columns, len(positions)
    checked = Checked()
    fields = Fields(checked.problems, now)
    for count, record in enumerate(reading, 1):
        fields.line = record.line
        if on_bytes and count % PROGRESS_EVERY == 0:
            on_bytes(records.bytes_read, size)
        if record.broken:
            index = record.broken.index
            column = names[positions.index(index)] if index in positions else "row"
            checked.problems.append(Problem(record.broken.line, column, record.broken.problem))
        elif len(record.fields) != len(positions):
            if "".join(record.fields).strip():  # blank lines are not rows
                fields.fail("row", f"has {len(record.fields)} fields but the header has "
                            f"{len(positions)}")
        else:
            values = [record.fields[i].strip() for i in positions]
            if any(values):  # skip the empty rows spreadsheets leave at the end
                _keep(checked, kind, record.line, *kind.parse(fields, values))
    if on_bytes:
        on_bytes(records.bytes_read, max(size, records.bytes_read))
    return checked


def _keep(checked: Checked, kind: Kind, line: int, key: Any, item: Any) -> None:
    """Keep a good row unless its key was seen earlier in the file (bad rows' keys count too)."""
    first = line if key is None else checked.lines.setdefault(key, line)
    if first != line:
        checked.problems.append(Problem(
            line, kind.key_columns[-1],
            f"{kind.show_key(key)} appears again (first on line {first})"
        ))
    elif item is not None:
        checked.rows.append(item)
