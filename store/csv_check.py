"""Reading and checking an orders or sales-orders CSV file (README's CSV formats) into domain
objects, or for an import of orders into the column values it stages (the same checks), with
every problem named by line and column; nothing here writes."""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any, BinaryIO

from sqlalchemy import Table

from domain.errors import shown
from domain.model import (
    CancelledBy,
    Order,
    OrderState,
    Origin,
    SalesOrder,
    SalesOrderStatus,
    Stage,
    category_of,
)
from store.csv_fields import Fields, Problem
from store.csv_records import Record, Records, UnreadableFile
from store.mapping import order_values, sales_order_values
from store.models import OrderRow, SalesOrderRow

__all__ = ["ORDER_COLUMNS", "ORDERS", "SALES_ORDER_COLUMNS", "SALES_ORDERS", "CheckedRows",
           "ImportRejected", "Kind", "Problem", "Progress", "UnreadableFile", "repeated_keys"]

ORDER_COLUMNS = (
    "packing_no", "seller_id", "sales_site", "sales_order_no", "origin", "state", "stage",
    "cancelled_at", "cancelled_by", "payment_at", "recipient", "items")
# with it, a row whose packing number is stored is an update (rule 11); without it, a bad row
ORDER_OPTIONAL = ("updated_at",)
SALES_ORDER_COLUMNS = (
    "sales_site", "sales_order_no", "status", "payment_at", "recipient", "items", "updated_at")
PROGRESS_EVERY = 10_000

Progress = Callable[[int, int], None]  # (done, total) bytes of the file read


class ImportRejected(Exception):
    """The file was read but has bad rows (or a bad header); nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = sorted(problems, key=lambda p: p.line)

    @property
    def bad_rows(self) -> int:
        """How many lines have at least one problem."""
        return len({p.line for p in self.problems})


# the values the checks compare against, as text: a row's choices are kept as their values
_ACTIVE, _CANCELLED = OrderState.ACTIVE.value, OrderState.CANCELLED.value
_API, _SALES_SITE = Origin.API.value, CancelledBy.SALES_SITE.value
_CATEGORY = {(origin.value, by.value): category_of(origin, by).value
             for origin in Origin for by in CancelledBy
             if by is not CancelledBy.SALES_SITE or origin is Origin.API}


def _order_values(f: Fields, values: list[Any]) -> tuple[str | None, tuple[Any, ...] | None]:
    """The packing number and the order's column values of one record (store/staging.py's
    STAGED order: choices as their values, dates aware), each None when it has problems (added
    to f); what an Order would give, without making one (a million are checked in an import)."""
    (packing_no, seller_id, sales_site, sales_order_no, origin, state, stage, cancelled_at,
     cancelled_by, payment_at, recipient, items, updated_at) = values  # ORDER_COLUMNS order
    # updated_at is None when the file has no such column, and then nothing is an update
    before = len(f.problems)
    key = f.packing_no("packing_no", packing_no)
    f.text("seller_id", seller_id), f.text("sales_order_no", sales_order_no)
    f.text("sales_site", sales_site)
    origin_ = f.choice_value("origin", origin, Origin)
    state_ = f.choice_value("state", state, OrderState)
    payment = f.when("payment_at", payment_at)
    updated = None if updated_at is None else f.when(
        "updated_at", updated_at, " (every row needs it when the file has the column)")
    f.free_text("recipient", recipient), f.free_text("items", items)
    stage_ = cancelled = by = category = None
    if state_ == _ACTIVE:
        stage_ = f.choice_value("stage", stage, Stage, " for an active order")
        f.empty("cancelled_at", cancelled_at, " for an active order")
        f.empty("cancelled_by", cancelled_by, " for an active order")
    elif state_ == _CANCELLED:
        f.empty("stage", stage, " for a cancelled order")
        cancelled = f.when("cancelled_at", cancelled_at, " for a cancelled order")
        by = f.choice_value("cancelled_by", cancelled_by, CancelledBy, " for a cancelled order")
        if by == _SALES_SITE and origin_ not in (None, _API):
            f.fail("cancelled_by", "only api orders can be cancelled at the sales site "
                   f"(origin is {origin_})")
        if origin_ is not None and by is not None:  # a cancelled delivery: its tab
            category = _CATEGORY.get((origin_, by))
    if len(f.problems) > before:
        return key, None
    return key, (key, seller_id, sales_site.lower(), sales_order_no, origin_, state_, stage_,
                 cancelled, by, category, payment, recipient, items, updated)


def _order(f: Fields, values: list[Any]) -> tuple[str | None, Order | None]:
    """The packing number and order of one record, each None when it has problems (added to f)."""
    key, checked = _order_values(f, values)
    if checked is None:
        return key, None
    (packing_no, seller_id, sales_site, sales_order_no, origin, state, stage, cancelled, by,
     _category, payment, recipient, items, updated) = checked
    return key, Order(
        packing_no=packing_no, seller_id=seller_id, sales_site=sales_site,
        sales_order_no=sales_order_no, origin=Origin(origin), state=OrderState(state),
        stage=None if stage is None else Stage(stage), cancelled_at=cancelled,
        cancelled_by=None if by is None else CancelledBy(by), payment_at=payment,
        recipient=recipient, items=items, updated_at=updated,
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
    parse: Callable[[Fields, list[Any]], tuple[Any, Any]]  # (key, object), each maybe None
    key_columns: tuple[str, ...]
    show_key: Callable[[Any], str]
    table: Table
    values: Callable[[Any], dict[str, Any]]
    optional: tuple[str, ...] = ()  # columns a file may leave out
    # what an import checks a record by, when not parse: (key, the values it stages)
    check: Callable[[Fields, list[Any]], tuple[Any, Any]] | None = None

    @property
    def checking(self) -> Callable[[Fields, list[Any]], tuple[Any, Any]]:
        return self.check or self.parse

    @property
    def all_columns(self) -> tuple[str, ...]:
        return self.columns + self.optional


ORDERS = Kind(
    "orders", ORDER_COLUMNS, _order, ("packing_no",), str,
    OrderRow.__table__, order_values, ORDER_OPTIONAL, _order_values,  # type: ignore[arg-type]
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
    known = kind.all_columns
    problems = [Problem(1, shown(name) or f"column {i + 1}", "unknown column (expected: "
                        f"{', '.join(kind.columns)}{_optional(kind)})")
                for i, name in enumerate(names) if name not in known]
    problems += [Problem(1, name, "appears twice in the header")
                 for i, name in enumerate(names) if name in known and name in names[:i]]
    problems += [Problem(1, name, "column is missing from the header")
                 for name in kind.columns if name not in names]
    if problems:
        raise ImportRejected(problems)
    return [names.index(name) if name in names else -1 for name in known]


def _optional(kind: Kind) -> str:
    return f"; and, if wanted, {', '.join(kind.optional)}" if kind.optional else ""


class CheckedRows:
    """Reads and checks a CSV file (no database) row by row at the time `now`, which bounds its
    dates: iterating gives each good row as (line, key, item), the item as kind.checking gives
    it; every problem found, and the lines of the keys of bad rows, are kept (a key repeated in
    the file is found by the caller, which has every good row's key)."""

    def __init__(self, stream: BinaryIO, name: str, kind: Kind, now: datetime,
                 on_bytes: Progress | None = None) -> None:
        try:
            self.size = os.fstat(stream.fileno()).st_size
        except (AttributeError, OSError, ValueError):  # an in-memory stream has no size
            self.size = 0
        self.kind, self.now, self.on_bytes = kind, now, on_bytes
        self.records = Records(stream, name)
        self._reading = iter(self.records)
        header = next(self._reading, None)
        self.positions = _header(header, kind)
        self.width = len(header.fields) if header else 0
        self.records.width = self.width
        # the optional columns the file has (orders: updated_at, which makes it an update)
        self.optional = frozenset(name for name, at in zip(kind.all_columns, self.positions,
                                                           strict=True) if at >= 0)
        self.problems: list[Problem] = []
        self.bad_keys: dict[Any, list[int]] = {}  # key: lines of bad rows with that key

    def __iter__(self) -> Iterator[tuple[int, Any, Any]]:
        names, positions, kind = self.kind.all_columns, self.positions, self.kind
        check = kind.checking
        # the file's values in kind.all_columns order; only optional columns (last) can be absent
        picked = itemgetter(*(at for at in positions if at >= 0))
        absent = [None] * positions.count(-1)
        fields = Fields(self.problems, self.now)
        records, on_bytes = self.records, self.on_bytes
        for count, record in enumerate(self._reading, 1):
            fields.line = record.line
            if on_bytes and count % PROGRESS_EVERY == 0:
                on_bytes(records.bytes_read, self.size)
            if record.broken:
                index = record.broken.index
                column = names[positions.index(index)] if index in positions else "row"
                self.problems.append(Problem(record.broken.line, column, record.broken.problem))
            elif len(record.fields) != self.width:
                if "".join(record.fields).strip():  # blank lines are not rows
                    fields.fail("row", f"has {len(record.fields)} fields but the header has "
                                f"{self.width}")
            else:
                values = [*map(str.strip, picked(record.fields)), *absent]
                if any(values):  # skip the empty rows spreadsheets leave at the end
                    key, item = check(fields, values)
                    if item is not None:
                        yield record.line, key, item
                    elif key is not None:
                        self.bad_keys.setdefault(key, []).append(record.line)
        if on_bytes:
            on_bytes(records.bytes_read, max(self.size, records.bytes_read))


def repeated_keys(kind: Kind, lines: dict[Any, list[int]]) -> list[Problem]:
    """A problem for every line of a key after the first one it appears on."""
    problems = []
    for key, seen in lines.items():
        first, *again = sorted(seen)
        problems += [Problem(line, kind.key_columns[-1],
                             f"{kind.show_key(key)} appears again (first on line {first})")
                     for line in again]
    return problems
