"""The merge of an import's staged rows into the book, a chunk at a time (store/importing.py
stages them): new keys are inserted, copies newer than the stored rows applied (rule 11), and
orders brought back to active with a job to withdraw go through the use case (rule 12)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, exists, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.model import CancelledBy, Order, OrderState, Origin, Recovery, Stage
from domain.order_sync import WITHDRAWABLE, SyncTally, apply_orders
from store.csv_check import ORDERS
from store.models import JobRow
from store.staging import Staging
from store.uow import SqlUnitOfWork


class ChunkMerge:
    """Merges staged rows, a chunk at a time, as they are written: new keys are inserted and
    newer copies applied (rule 11). A chunk is merged in a savepoint: when it clashes with a
    stored key (a key repeated in the file, or on PostgreSQL a row another writer inserted
    meanwhile) its changes are undone and nothing more is merged; the file's own problems are
    then named by the checks that follow the reading, or else the clash is."""

    def __init__(self, conn: Connection, staging: Staging, last_id: int | None,
                 now: datetime) -> None:
        self.conn, self.staging, self.last_id, self.now = conn, staging, last_id, now
        self.tally = SyncTally()
        self.clash = ""  # the database's words for the first clash

    def add(self, first: int, last: int) -> None:
        """Merge the staged rows numbered first to last."""
        staged = self.staging.table
        part = and_(staged.c.seq >= first, staged.c.seq <= last)
        try:
            with self.conn.begin_nested():
                tally = SyncTally(new=_insert_new(self.conn, self.staging, part, self.empty))
                if not self.empty:
                    tally.add(_update_newer(self.conn, self.staging, part, self.now))
        except IntegrityError as error:
            self.clash = str(error.orig).splitlines()[0]
            return
        self.tally.add(tally)

    @property
    def empty(self) -> bool:
        """The table was empty before the import: every staged key is new."""
        return self.last_id is None


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
