"""The staging table of an import: a temporary table, private to the import's connection, that
the checked rows of a file are written to in chunks (PostgreSQL's COPY, SQLite's executemany)
while the file is read, so that no more than a few chunks of rows are ever held in memory;
each chunk is merged from it by seq, and the checks over the whole file read it at the end."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    func,
    select,
    tuple_,
)

from store.csv_check import ORDERS, Kind
from store.db import UTCDateTime

NAME = "import_staging"
LOOKUP_CHUNK = 500  # keys per IN (...)
TIMES = frozenset({"cancelled_at", "payment_at", "updated_at"})
STAGED = {  # the columns of each kind that a file sets, in the order rows are written
    "orders": ("packing_no", "seller_id", "sales_site", "sales_order_no", "origin", "state",
               "stage", "cancelled_at", "cancelled_by", "category", "payment_at", "recipient",
               "items", "updated_at"),
    "sales orders": ("sales_site", "sales_order_no", "status", "payment_at", "recipient",
                     "items", "updated_at"),
}


def staged_columns(kind: Kind) -> tuple[str, ...]:
    return STAGED[kind.noun]


def staging_table(kind: Kind, dialect: str) -> Table:
    """The staging table: seq (the row's place among the file's good rows), line (in the
    file), and the kind's columns; dropped at the end of the transaction on PostgreSQL."""
    columns: list[Column[Any]] = [Column("seq", Integer, primary_key=dialect == "sqlite",
                                         autoincrement=False),
                                  Column("line", Integer, nullable=False)]
    columns += [Column(name, UTCDateTime if name in TIMES else Text if name in (
        "recipient", "items") else String) for name in staged_columns(kind)]
    return Table(NAME, MetaData(), *columns, prefixes=["TEMPORARY"],
                 postgresql_on_commit="DROP")


def sqlite_time(value: datetime | None) -> str | None:
    """A datetime as UTCDateTime stores it in SQLite (naive UTC text with microseconds), so
    that rows copied from staging compare and read back like rows the models wrote."""
    if value is None:
        return None
    # the text of the UTC time without its "+00:00": what the naive copy's isoformat gives
    return value.astimezone(UTC).isoformat(" ", "microseconds")[:-6]


def _same(value: datetime | None) -> datetime | None:
    return value


def order_row(seq: int, line: int, checked: tuple[Any, ...],
              time: Callable[[datetime | None], Any]) -> tuple[Any, ...]:
    """The staged row (seq, line, then STAGED order) of a checked order record
    (store.csv_check's values), its dates as the database takes them."""
    (packing_no, seller_id, sales_site, sales_order_no, origin, state, stage, cancelled, by,
     category, payment, recipient, items, updated) = checked
    return (seq, line, packing_no, seller_id, sales_site, sales_order_no, origin, state, stage,
            time(cancelled), by, category, time(payment), recipient, items, time(updated))


class Staging:
    """The staging table of one import on its connection."""

    def __init__(self, conn: Connection, kind: Kind) -> None:
        self.conn, self.kind = conn, kind
        self.dialect = conn.dialect.name
        self.table = staging_table(kind, self.dialect)
        self.columns = staged_columns(kind)
        self.count = 0  # rows written
        self._made = 0  # rows made by row(), each numbered by its seq
        self._times = [i for i, name in enumerate(self.columns) if name in TIMES]
        # SQLite gets the text UTCDateTime would write; psycopg's COPY takes datetimes
        self._time = sqlite_time if self.dialect == "sqlite" else _same
        # PostgreSQL's binary COPY: the server reads the values as they are, no text to parse
        self._types = ["int4", "int4"] + [
            "timestamptz" if name in TIMES else "text" for name in self.columns]

    def create(self) -> None:
        if self.dialect == "sqlite":  # seq is the rowid: chunks are read by it
            self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{NAME}")
        self.table.create(self.conn)
        if self.dialect == "postgresql":
            self.conn.exec_driver_sql(f"CREATE INDEX ON {NAME} (seq)")

    def drop(self) -> None:
        self.table.drop(self.conn)

    def row(self, line: int, item: Any) -> tuple[Any, ...]:
        """The staged row of a checked item, numbered on: every row made is to be written, in
        the order made."""
        self._made += 1
        if self.kind is ORDERS:
            return order_row(self._made, line, item, self._time)
        values = self.kind.values(item)
        row = [values[name] for name in self.columns]
        for i in self._times:
            row[i] = self._time(row[i])
        return (self._made, line, *row)

    def write(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Add a chunk of the rows row() made (seq and line first), in the order made."""
        self.count += len(rows)
        names = ", ".join(("seq", "line", *self.columns))
        if self.dialect == "postgresql":
            cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            with cursor, cursor.copy(f"COPY {NAME} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(self._types)
                for row in rows:
                    copy.write_row(row)
            if self.count == len(rows):
                # statistics from the first chunk, so that each chunk's merge reads its rows
                # by seq and looks each key up, whatever the size of the file
                self.conn.exec_driver_sql(f"ANALYZE {NAME}")
        else:
            marks = ", ".join("?" * (len(self.columns) + 2))
            self.conn.exec_driver_sql(f"INSERT INTO temp.{NAME} ({names}) VALUES ({marks})",
                                      rows)

    def key_columns(self, table: Table | None = None) -> list[Any]:
        source = self.table if table is None else table
        return [source.c[name] for name in self.kind.key_columns]

    def _key(self, row: Sequence[Any]) -> Any:
        return row[0] if len(self.kind.key_columns) == 1 else tuple(row[:-1])

    def repeated(self) -> dict[Any, list[int]]:
        """The lines of every key staged more than once."""
        keys = self.key_columns()
        twice = select(*keys).group_by(*keys).having(func.count() > 1)
        target = keys[0] if len(keys) == 1 else tuple_(*keys)
        found: dict[Any, list[int]] = {}
        query = select(*keys, self.table.c.line).where(target.in_(twice))
        for row in self.conn.execute(query):
            found.setdefault(self._key(row), []).append(row[-1])
        return found

    def lines_of(self, keys: Iterable[Any]) -> dict[Any, list[int]]:
        """The staged lines of the given keys, looked up in chunks."""
        wanted: list[Any] = list(keys)
        found: dict[Any, list[int]] = {}
        columns = self.key_columns()
        target = columns[0] if len(columns) == 1 else tuple_(*columns)
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[start:start + LOOKUP_CHUNK]
            query = select(*columns, self.table.c.line).where(target.in_(chunk))
            for row in self.conn.execute(query):
                found.setdefault(self._key(row), []).append(row[-1])
        return found

    def matching(self) -> ColumnElement[bool]:
        """Staged row and stored row have the same key."""
        return and_(*(s == t for s, t in zip(self.key_columns(),
                                              self.key_columns(self.kind.table), strict=True)))

    def stored_without_date(self, last_id: int) -> list[tuple[Any, int]]:
        """(key, line) of staged rows with no updated_at whose key the book held before the
        import, whose rows all have ids up to last_id."""
        query = (select(*self.key_columns(), self.table.c.line)
                 .select_from(self.table.join(self.kind.table, self.matching()))
                 .where(self.table.c.updated_at.is_(None), self.kind.table.c.id <= last_id))
        return [(self._key(row), row[-1]) for row in self.conn.execute(query)]
