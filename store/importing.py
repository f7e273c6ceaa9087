"""CSV import of orders and sales orders, streamed and all or nothing.

Each row is checked as it is read (store.csv_check) and the good rows go, a chunk at a time,
into a staging table (store.staging) inside the import's one transaction. Once the file is read,
keys repeated in the file, and stored keys a row cannot update, are found there; any bad row
rolls everything back, and every bad row is named by its line. A file without one is merged:
new keys are inserted, newer copies update (rule 11: orders through domain/order_sync.py, so an
order brought back to active withdraws its unrun job), equal or older ones change nothing. The
tables are analysed before the import returns, so that the planner sees the new rows.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, BinaryIO

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    case,
    exists,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.model import CancelledBy, Order, OrderState, Origin, Recovery, Stage
from domain.order_sync import WITHDRAWABLE, SyncTally, apply_orders
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
from store.models import JobRow
from store.staging import Staging
from store.uow import SqlUnitOfWork

__all__ = [
    "ORDER_COLUMNS", "ORDERS", "SALES_ORDER_COLUMNS", "SALES_ORDERS", "ImportConflict",
    "ImportRejected", "Kind", "SyncTally", "UnreadableFile", "import_file",
]

INSERT_CHUNK = 10_000  # rows per staging write, and per merge statement
# SQLite's default 2 MB page cache spills the indexes of a big insert to the WAL over and over;
# a larger one for the import alone is much faster, and small enough to keep the import's
# memory (peak RSS) well under 300 MB for a million rows
SQLITE_IMPORT_CACHE_KIB = 96 * 1024
SQLITE_ANALYSIS_LIMIT = 2000  # rows per index ANALYZE reads: estimates, in a moment


class ImportConflict(Exception):
    """A row clashed with one written by someone else while importing; nothing was written."""


def import_file(engine: Engine, stream: BinaryIO, name: str, kind: Kind, now: datetime,
                on_bytes: Progress | None = None, on_rows: Progress | None = None) -> SyncTally:
    """Check and stage the file's rows as they are read (dates checked against `now`), then
    merge them in the same transaction; how many were new, updated and unchanged.

    Raises ImportRejected (nothing written) when any row is bad, repeats a key of the file, or
    names a stored key without an updated_at to update it by.
    """
    rows = CheckedRows(stream, name, kind, now, on_bytes)  # a bad header raises here
    with engine.begin() as conn, _large_sqlite_cache(conn):
        staging = Staging(conn, kind)
        staging.create()
        empty = conn.execute(select(kind.table.c.id).limit(1)).first() is None
        _stage(staging, rows)
        problems = rows.problems + _repeated(staging, rows) + _stored_without_date(staging, empty)
        if problems:
            raise ImportRejected(problems)
        try:
            tally = _merge(conn, staging, empty, now, on_rows)
        except IntegrityError as error:  # PostgreSQL: another writer got in between
            raise ImportConflict(
                f"another process wrote {kind.noun} during the import, nothing was imported; "
                f"run it again to see which lines clash ({str(error.orig).splitlines()[0]})"
            ) from None
        staging.drop()
        _analyze(conn, kind)
    _vacuum(engine, kind)
    return tally


def _stage(staging: Staging, rows: CheckedRows) -> None:
    chunk: list[tuple[Any, ...]] = []
    for line, _key, item in rows:
        chunk.append(staging.row(line, item))
        if len(chunk) >= INSERT_CHUNK:
            staging.write(chunk)
            chunk = []
    if chunk:
        staging.write(chunk)
    staging.loaded()


def _repeated(staging: Staging, rows: CheckedRows) -> list[Problem]:
    """Keys that appear more than once in the file, bad rows' keys included."""
    lines: dict[Any, set[int]] = {key: set(seen) for key, seen in rows.bad_keys.items()}
    for source in (staging.repeated(), staging.lines_of(rows.bad_keys)):
        for key, seen in source.items():
            lines.setdefault(key, set()).update(seen)
    return repeated_keys(staging.kind, {k: list(v) for k, v in lines.items() if len(v) > 1})


def _stored_without_date(staging: Staging, empty: bool) -> list[Problem]:
    """Rows naming a stored key with no updated_at to update it by (orders without the column,
    a sales order with an empty one)."""
    if empty:
        return []  # an empty table holds none of them
    kind = staging.kind
    return [Problem(line, kind.key_columns[-1], f"{kind.show_key(key)} is already in the database")
            for key, line in staging.stored_without_date()]


def _merge(conn: Connection, staging: Staging, empty: bool, now: datetime,
           on_rows: Progress | None) -> SyncTally:
    """Insert the new keys and apply the newer copies, INSERT_CHUNK staged rows at a time."""
    tally = SyncTally()
    total, staged = staging.count, staging.table
    for start in range(0, total, INSERT_CHUNK):
        part = and_(staged.c.seq > start, staged.c.seq <= start + INSERT_CHUNK)
        tally.new += _insert_new(conn, staging, part, empty)
        if not empty:
            tally.add(_update_newer(conn, staging, part, now))
        if on_rows:
            on_rows(min(start + INSERT_CHUNK, total), total)
    tally.unchanged = total - tally.new - tally.updated
    return tally


def _insert_new(conn: Connection, staging: Staging, part: Any, empty: bool) -> int:
    kind, staged = staging.kind, staging.table
    columns = list(staging.columns)
    chosen: list[Any] = [staged.c[name] for name in columns]
    if kind is ORDERS:  # a new order has no recovery yet
        columns.append("recovery")
        chosen.append(literal(Recovery.NONE.value))
    query = select(*chosen).where(part).order_by(staged.c.seq)
    if not empty:
        query = query.where(~exists().where(staging.matching()))
    statement = insert(kind.table).from_select(columns, query)
    result = conn.execute(statement.execution_options(preserve_rowcount=True))
    return int(result.rowcount)


def _newer(staging: Staging) -> Any:
    stored, staged = staging.kind.table, staging.table
    return and_(staged.c.updated_at.is_not(None),
                or_(stored.c.updated_at.is_(None), staged.c.updated_at > stored.c.updated_at))


def _update_newer(conn: Connection, staging: Staging, part: Any, now: datetime) -> SyncTally:
    """Apply the staged copies newer than the stored rows (rule 11). Sales orders take every
    column; orders take Smartship's fields in one statement, which is domain/order_sync.py's
    sync_order for many rows at once, except the orders brought back to active that have a
    job to withdraw (rule 12): those few go through the use case itself."""
    kind, staged = staging.kind, staging.table
    newer = [part, staging.matching(), _newer(staging)]
    values: dict[str, Any] = {name: staged.c[name] for name in staging.columns
                              if name not in kind.key_columns}
    tally = SyncTally()
    if kind is ORDERS:
        tally = _withdrawing(conn, staging, newer, now)
        stored = kind.table.c
        # a fresh cancellation starts with no recovery status (sync_order does the same)
        values["recovery"] = case(
            (and_(stored.state == OrderState.ACTIVE.value,
                  staged.c.state == OrderState.CANCELLED.value), Recovery.NONE.value),
            else_=stored.recovery)
    result = conn.execute(update(kind.table).values(values).where(*newer))
    tally.updated += int(result.rowcount)
    return tally


def _withdrawing(conn: Connection, staging: Staging, newer: list[Any],
                 now: datetime) -> SyncTally:
    """Apply, through apply_orders, the copies that bring a cancelled order back to active
    while it has a job awaiting approval or queued."""
    staged, stored = staging.table, ORDERS.table.c
    jobs = JobRow.__table__.c
    waiting = [state.value for state in WITHDRAWABLE]
    query = (select(staged).select_from(staged.join(ORDERS.table, staging.matching()))
             .where(*newer, stored.state == OrderState.CANCELLED.value,
                    staged.c.state == OrderState.ACTIVE.value,
                    exists().where(jobs.order_id == stored.id, jobs.state.in_(waiting)))
             .order_by(staged.c.seq))
    copies = [_order(row) for row in conn.execute(query)]
    if not copies:
        return SyncTally()
    session = Session(bind=conn, join_transaction_mode="create_savepoint")
    with SqlUnitOfWork(lambda: session) as uow:
        tally = apply_orders(uow, copies, now)
        uow.commit()
    return SyncTally(updated=tally.updated, withdrawn=tally.withdrawn)


def _order(row: Any) -> Order:
    """A staged orders row as the copy of the order it is."""
    return Order(
        packing_no=row.packing_no, seller_id=row.seller_id, sales_site=row.sales_site,
        sales_order_no=row.sales_order_no, origin=Origin(row.origin),
        state=OrderState(row.state), stage=Stage(row.stage) if row.stage else None,
        cancelled_at=row.cancelled_at,
        cancelled_by=CancelledBy(row.cancelled_by) if row.cancelled_by else None,
        payment_at=row.payment_at, recipient=row.recipient, items=row.items,
        updated_at=row.updated_at,
    )


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
