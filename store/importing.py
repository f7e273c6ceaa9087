"""CSV import of orders and sales orders, streamed and all or nothing.

Each row is checked as it is read (store.csv_check) and the good rows go, a chunk at a time,
into a staging table (store.staging) inside the import's one transaction; each chunk is merged
as soon as it is staged, in a second thread while the next chunk is read: new keys are inserted,
newer copies update (rule 11: orders through domain/order_sync.py, so an order brought back to
active withdraws its unrun job), equal or older ones change nothing. Once the file is read, keys
repeated in it, and keys stored before the import that a row cannot update, are looked for in
the staging table; any bad row rolls everything back, the merged chunks included, and every
bad row is named by its line. The tables are analysed before the import returns, so that the
planner sees the new rows.
"""
from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from typing import Any, BinaryIO

from sqlalchemy import Connection, Engine, Index, func, select

from domain.order_sync import SyncTally
from store.csv_check import (
    ORDER_COLUMNS,
    ORDERS,
    SALES_ORDER_COLUMNS,
    SALES_ORDERS,
    CheckedRows,
    ImportRejected,
    Kind,
    Problem,
    Progress,
    UnreadableFile,
    repeated_keys,
)
from store.import_merge import ChunkMerge
from store.staging import Staging

__all__ = [
    "ORDER_COLUMNS", "ORDERS", "SALES_ORDER_COLUMNS", "SALES_ORDERS", "ImportConflict",
    "ImportRejected", "Kind", "SyncTally", "UnreadableFile", "import_file",
]

INSERT_CHUNK = 10_000  # rows per staging write, and per merge statement
# SQLite's default 2 MB page cache spills the indexes of a big insert to the WAL over and over;
# a larger one for the import alone is much faster, and small enough to keep the import's
# memory (peak RSS) well under 300 MB for a million rows (the cache also bounds the memory
# SQLite sorts in when it builds an index)
SQLITE_IMPORT_CACHE_KIB = 48 * 1024
SQLITE_ANALYSIS_LIMIT = 2000  # rows per index ANALYZE reads: estimates, in a moment


class ImportConflict(Exception):
    """A row clashed with one written by someone else while importing; nothing was written."""


def import_file(engine: Engine, stream: BinaryIO, name: str, kind: Kind, now: datetime,
                on_bytes: Progress | None = None) -> SyncTally:
    """Check the file's rows as they are read (dates checked against `now`) and merge them a
    chunk at a time in one transaction; how many were new, updated and unchanged.

    Raises ImportRejected (nothing written) when any row is bad, repeats a key of the file, or
    names a stored key without an updated_at to update it by.
    """
    rows = CheckedRows(stream, name, kind, now, on_bytes)  # a bad header raises here
    with engine.begin() as conn, _large_sqlite_cache(conn):
        staging = Staging(conn, kind)
        staging.create()
        merge = ChunkMerge(conn, staging, _last_id(conn, kind), now)
        later = _drop_indexes(conn, kind) if merge.empty else []
        _stage_and_merge(staging, rows, merge)
        # every row inserted into an empty table under its unique key: none is repeated
        inserted_all = merge.empty and not (rows.problems or merge.clash)
        problems = (rows.problems + ([] if inserted_all else _repeated(staging, rows))
                    + _stored_without_date(staging, merge.last_id))
        if problems:
            raise ImportRejected(problems)
        if merge.clash:  # PostgreSQL: another writer got in between
            raise ImportConflict(
                f"another process wrote {kind.noun} during the import, nothing was imported; "
                f"run it again to see which lines clash ({merge.clash})")
        staging.drop()
        for index in later:
            index.create(conn)
        _analyze(conn, kind)
    _vacuum(engine, kind)
    merge.tally.unchanged = staging.count - merge.tally.new - merge.tally.updated
    return merge.tally


def _stage_and_merge(staging: Staging, rows: CheckedRows, merge: ChunkMerge) -> None:
    """Stage the good rows a chunk at a time, each chunk merged in a second thread while the
    rows of the next one are read and checked: the database drivers let go of the interpreter
    while the database works, so checking (Python) and merging (the database) overlap. The
    connection is used by one thread at a time: a chunk is staged once the merge before it
    has ended. Once the file shows a problem nothing more is merged: it is only read to its
    end and staged, for the checks over the whole of it."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-merge") as merger:
        merging: Future[None] | None = None
        for chunk in _chunks(staging, rows):
            if merging:
                merging.result()
            staging.write(chunk)
            if not (rows.problems or merge.clash):
                merging = merger.submit(merge.add, chunk[0][0], chunk[-1][0])
        if merging:
            merging.result()


def _chunks(staging: Staging, rows: CheckedRows) -> Iterator[list[tuple[Any, ...]]]:
    """The good rows as staged rows, INSERT_CHUNK at a time."""
    chunk: list[tuple[Any, ...]] = []
    for line, _key, item in rows:
        chunk.append(staging.row(line, item))
        if len(chunk) >= INSERT_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _drop_indexes(conn: Connection, kind: Kind) -> list[Index]:
    """Drop the table's indexes but its keys, to be built again once the rows are in: into an
    empty table, building an index from all the rows at once is several times faster than
    adding each row to it. In the import's transaction: a rejected import leaves them as they
    were."""
    indexes = sorted(kind.table.indexes, key=lambda index: str(index.name))
    for index in indexes:
        index.drop(conn)
    return indexes


def _last_id(conn: Connection, kind: Kind) -> int | None:
    """The highest id stored before the import (None: the table is empty): rows the import
    inserts come after it."""
    return conn.execute(select(func.max(kind.table.c.id))).scalar()


def _repeated(staging: Staging, rows: CheckedRows) -> list[Problem]:
    """Keys that appear more than once in the file, bad rows' keys included."""
    lines: dict[Any, set[int]] = {key: set(seen) for key, seen in rows.bad_keys.items()}
    for source in (staging.repeated(), staging.lines_of(rows.bad_keys)):
        for key, seen in source.items():
            lines.setdefault(key, set()).update(seen)
    return repeated_keys(staging.kind, {k: list(v) for k, v in lines.items() if len(v) > 1})


def _stored_without_date(staging: Staging, last_id: int | None) -> list[Problem]:
    """Rows naming a key stored before the import with no updated_at to update it by (orders
    without the column, a sales order with an empty one)."""
    if last_id is None:
        return []  # an empty table held none of them
    kind = staging.kind
    return [Problem(line, kind.key_columns[-1], f"{kind.show_key(key)} is already in the database")
            for key, line in staging.stored_without_date(last_id)]


@contextmanager
def _large_sqlite_cache(conn: Connection) -> Iterator[None]:
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(before)}")  # type: ignore[arg-type]


def _analyze(conn: Connection, kind: Kind) -> None:
    """Fresh planner statistics in the import's transaction (issue 11: lists and counts of a
    big book pick their indexes by them)."""
    table = kind.table.name
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
        conn.exec_driver_sql(f"ANALYZE main.{table}")
    else:
        conn.exec_driver_sql(f"ANALYZE {table}")


def _vacuum(engine: Engine, kind: Kind) -> None:
    """PostgreSQL: VACUUM (ANALYZE) outside the transaction, so that the visibility map covers
    the new rows and counts can be answered by index-only scans."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"VACUUM (ANALYZE) {kind.table.name}")
