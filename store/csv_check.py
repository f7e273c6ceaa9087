"""Reading and checking an orders or sales-orders CSV file (DESIGN.md's formats) into domain
objects, with every problem named by line and column; nothing here writes."""
from __future__ import annotations

import csv
import enum
import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO, Callable, Iterator

from sqlalchemy import Table

from domain.errors import InvalidPackingNumber
from domain.model import (CancelledBy, Order, OrderState, Origin, SalesOrder, SalesOrderStatus,
                          Stage, normalize_packing_no)
from store.mapping import order_values, sales_order_values
from store.models import OrderRow, SalesOrderRow

ORDER_COLUMNS = tuple("packing_no seller_id sales_site sales_order_no origin state stage "
                      "cancelled_at cancelled_by payment_at recipient items".split())
SALES_ORDER_COLUMNS = tuple(
    "sales_site sales_order_no status payment_at recipient items updated_at".split())
# the widths of the database columns, checked here so PostgreSQL never refuses a row mid-insert
MAX_LENGTH = {"seller_id": 64, "sales_site": 32, "sales_order_no": 64}
DATE_EXAMPLE = "2026-11-20T14:03:00+09:00"
PROGRESS_EVERY = 10_000

Progress = Callable[[int, int], None]  # (done, total), in bytes while reading, rows while writing


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one row, printed as `line N: column: problem`."""

    line: int
    column: str
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.column}: {self.problem}"


class ImportRejected(Exception):
    """The file was read but has bad rows (or a bad header); nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = sorted(problems, key=lambda p: p.line)

    @property
    def bad_rows(self) -> int:
        """How many lines have at least one problem."""
        return len({p.line for p in self.problems})


class UnreadableFile(Exception):
    """The file cannot be read as UTF-8 CSV at all; the message is one line for the user."""


@dataclass
class Checked:
    """The good rows of a file, the line each key was first seen on, and every problem found."""

    rows: list[Any] = field(default_factory=list)
    lines: dict[Any, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


class _Utf8Lines:
    """The file's physical lines, decoded one at a time so that a byte that is not UTF-8 can be
    named by its line, and counted in bytes for the progress bar."""

    def __init__(self, stream: BinaryIO, name: str) -> None:
        self.stream, self.name, self.bytes_read, self.number = stream, name, 0, 0

    def __iter__(self) -> Iterator[str]:
        for raw in self.stream:  # splits on b"\n" only, like newline="" for the csv module
            self.number += 1
            self.bytes_read += len(raw)
            try:
                if b"\0" in raw:  # valid UTF-8, but a sign of UTF-16, and PostgreSQL refuses it
                    raise ValueError
                text = raw.decode("utf-8")
            except ValueError:
                raise UnreadableFile(f"{self.name}: line {self.number} is not UTF-8 text; "
                                     "save the file as CSV UTF-8") from None
            yield text.removeprefix("\ufeff") if self.number == 1 else text


# enum members by value, looked up by dict: Enum(value) is several times slower per row
_MEMBERS = {kind: {m.value: m for m in kind}
            for kind in (Origin, OrderState, Stage, CancelledBy, SalesOrderStatus)}


class _Fields:
    """Checks one record's (stripped) values; every problem found is added to `problems`."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems, self.line = problems, 0

    def fail(self, column: str, problem: str) -> None:
        self.problems.append(Problem(self.line, column, problem))

    def text(self, column: str, value: str) -> str:
        if not value:
            self.fail(column, "is empty")
        elif len(value) > MAX_LENGTH[column]:
            self.fail(column, f"is longer than {MAX_LENGTH[column]} characters")
        return value

    def choice(self, column: str, value: str, kind: type[enum.Enum], why: str = "") -> Any:
        member = _MEMBERS[kind].get(value.lower())
        if member is None:
            got = f'"{value}" is not one of' if value else f"is empty{why}; use one of"
            self.fail(column, f"{got} {', '.join(_MEMBERS[kind])}")
        return member

    def when(self, column: str, value: str, why: str = "") -> datetime | None:
        """An aware datetime; an empty value is None, and a problem only when `why` is given."""
        if not value:
            if why:
                self.fail(column, f"is empty{why}")
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self.fail(column, f'"{value}" is not an ISO 8601 date-time (write e.g. {DATE_EXAMPLE})')
            return None
        if parsed.tzinfo is None:
            self.fail(column, f'"{value}" has no UTC offset (write e.g. {DATE_EXAMPLE})')
            return None
        return parsed

    def empty(self, column: str, value: str, why: str) -> None:
        if value:
            self.fail(column, f'must be empty{why} (it is "{value}")')

    def packing_no(self, column: str, value: str) -> str | None:
        try:
            return normalize_packing_no(value)
        except InvalidPackingNumber:
            self.fail(column, f'"{value}" is not a packing number (3 to 32 letters and digits)'
                      if value else "is empty")
            return None


def _order(f: _Fields, values: list[str]) -> tuple[str | None, Order | None]:
    """The packing number and order of one record, each None when it has problems (added to f)."""
    (packing_no, seller_id, sales_site, sales_order_no, origin, state, stage, cancelled_at,
     cancelled_by, payment_at, recipient, items) = values  # in ORDER_COLUMNS order
    before = len(f.problems)
    key = f.packing_no("packing_no", packing_no)
    f.text("seller_id", seller_id), f.text("sales_order_no", sales_order_no)
    f.text("sales_site", sales_site)
    origin_, state_ = f.choice("origin", origin, Origin), f.choice("state", state, OrderState)
    payment = f.when("payment_at", payment_at)
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


def _sales_order(f: _Fields, values: list[str]) -> tuple[tuple[str, str] | None, Any]:
    """The key and sales order of one record, each None when it has problems (added to f)."""
    sales_site, sales_order_no, status, payment_at, recipient, items, updated_at = values
    before = len(f.problems)
    f.text("sales_site", sales_site), f.text("sales_order_no", sales_order_no)
    key = (sales_site.lower(), sales_order_no) if len(f.problems) == before else None
    status_ = f.choice("status", status, SalesOrderStatus)
    payment, updated = f.when("payment_at", payment_at), f.when("updated_at", updated_at)
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
    parse: Callable[[_Fields, list[str]], tuple[Any, Any]]  # (unique key, object), each maybe None
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


def _header(row: list[str] | None, kind: Kind) -> list[int]:
    """Where each of kind.columns is; any missing, unknown or repeated column rejects the file."""
    if row is None:
        raise ImportRejected([Problem(1, "header", "the file is empty; the first line must name "
                                      f"the columns: {', '.join(kind.columns)}")])
    names = [name.strip().lower() for name in row]
    problems = [Problem(1, name or f"column {i + 1}", "unknown column (expected: "
                        f"{', '.join(kind.columns)})")
                for i, name in enumerate(names) if name not in kind.columns]
    problems += [Problem(1, name, "appears twice in the header")
                 for i, name in enumerate(names) if name in kind.columns and name in names[:i]]
    problems += [Problem(1, name, "column is missing from the header")
                 for name in kind.columns if name not in names]
    if problems:
        raise ImportRejected(problems)
    return [names.index(name) for name in kind.columns]


def check_file(stream: BinaryIO, name: str, kind: Kind, on_bytes: Progress | None = None) -> Checked:
    """Read and check a whole CSV file (no database); the result holds every problem found."""
    lines = _Utf8Lines(stream, name)
    try:
        size = os.fstat(stream.fileno()).st_size
    except (AttributeError, OSError, ValueError):  # an in-memory stream has no size
        size = 0
    reader = csv.reader(lines)
    checked = Checked()
    fields = _Fields(checked.problems)
    try:
        positions = _header(next(reader, None), kind)
        width, last_line = len(positions), reader.line_num
        for count, row in enumerate(reader, 1):
            # a record starts on the line after the previous one ended (quoted newlines)
            fields.line, last_line = last_line + 1, reader.line_num
            if on_bytes and count % PROGRESS_EVERY == 0:
                on_bytes(lines.bytes_read, size)
            if len(row) != width:
                if "".join(row).strip():  # blank lines are not rows
                    fields.fail("row", f"has {len(row)} fields but the header has {width}")
                continue
            values = [row[i].strip() for i in positions]
            if any(values):  # skip the empty rows spreadsheets leave at the end
                _keep(checked, kind, fields.line, *kind.parse(fields, values))
    except csv.Error as error:
        raise UnreadableFile(f"{name}: line {reader.line_num}: not readable as CSV ({error})") from None
    if on_bytes:
        on_bytes(lines.bytes_read, max(size, lines.bytes_read))
    return checked


def _keep(checked: Checked, kind: Kind, line: int, key: Any, item: Any) -> None:
    """Keep a good row unless its key was seen earlier in the file (bad rows' keys count too)."""
    first = line if key is None else checked.lines.setdefault(key, line)
    if first != line:
        checked.problems.append(Problem(
            line, kind.key_columns[-1], f"{kind.show_key(key)} appears again (first on line {first})"
        ))
    elif item is not None:
        checked.rows.append(item)
