"""CSV import of orders and sales orders: the whole file is checked first (store.csv_check), and
only a file without one bad row is written, in one transaction."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, BinaryIO

from sqlalchemy import Connection, Engine, insert, select, tuple_
from sqlalchemy.exc import IntegrityError

from store.csv_check import (
    ORDER_COLUMNS,
    ORDERS,
    SALES_ORDER_COLUMNS,
    SALES_ORDERS,
    Checked,
    ImportRejected,
    Kind,
    Problem,
    Progress,
    UnreadableFile,
    check_file,
)

__all__ = [
    "ORDER_COLUMNS", "ORDERS", "SALES_ORDER_COLUMNS", "SALES_ORDERS", "ImportConflict",
    "ImportRejected", "Kind", "UnreadableFile", "import_file",
]

INSERT_CHUNK = 10_000
SQLITE_IMPORT_CACHE_KIB = 256 * 1024
LOOKUP_CHUNK = 500  # keys per IN (...) when looking for rows the database already has


class ImportConflict(Exception):
    """A row clashed with one written by someone else while importing; nothing was written."""


def _already_stored(conn: Connection, kind: Kind, checked: Checked) -> list[Problem]:
    """A problem for each key of the file the database already has, asked in chunks by index."""
    if conn.execute(select(kind.table.c.id).limit(1)).first() is None:
        return []  # an empty table holds none of them: skip a million lookups
    columns = [kind.table.c[name] for name in kind.key_columns]
    single = len(columns) == 1
    target = columns[0] if single else tuple_(*columns)
    keys, problems = list(checked.lines), []
    for start in range(0, len(keys), LOOKUP_CHUNK):
        chunk = keys[start:start + LOOKUP_CHUNK]
        for row in conn.execute(select(*columns).where(target.in_(chunk))):
            key = row[0] if single else tuple(row)
            problems.append(Problem(checked.lines[key], kind.key_columns[-1],
                                    f"{kind.show_key(key)} is already in the database"))
    return problems


def import_file(engine: Engine, stream: BinaryIO, name: str, kind: Kind, now: datetime,
                on_bytes: Progress | None = None, on_rows: Progress | None = None) -> int:
    """Check the whole file (its dates against `now`), then insert every row in one
    transaction; returns the row count.

    Raises ImportRejected (nothing written) when any row is bad or already in the database.
    """
    checked = check_file(stream, name, kind, now, on_bytes)
    with engine.begin() as conn:
        # checked inside the writing transaction, so that (on SQLite) nobody adds one meanwhile
        problems = checked.problems + _already_stored(conn, kind, checked)
        if problems:
            raise ImportRejected(problems)
        try:
            with _large_sqlite_cache(conn):
                _insert(conn, kind, checked.rows, on_rows)
        except IntegrityError as error:  # PostgreSQL: another writer got in between
            raise ImportConflict(
                f"another process wrote {kind.noun} during the import, nothing was imported; "
                f"run it again to see which lines clash ({str(error.orig).splitlines()[0]})"
            ) from None
    return len(checked.rows)


@contextmanager
def _large_sqlite_cache(conn: Connection) -> Iterator[None]:
    """SQLite's default 2 MB page cache spills the indexes of a big insert to the WAL over and
    over; a large one for the insert alone makes a million rows about twice as fast."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(before)}")  # type: ignore[arg-type]


def _insert(conn: Connection, kind: Kind, rows: list[Any], on_rows: Progress | None) -> None:
    statement = insert(kind.table)
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start:start + INSERT_CHUNK]
        conn.execute(statement, [kind.values(item) for item in chunk])
        if on_rows:
            on_rows(start + len(chunk), len(rows))
