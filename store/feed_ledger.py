"""The order feed's row and its problems (domain/feed_ledger.py FeedLedger).

The lease is taken with a conditional UPDATE of the one row, as job claims are: it succeeds
only while nobody else holds a live lease. A page moves the cursor with another conditional
UPDATE, from the page's `since` and only for the lease's owner, in the transaction that
applies the page's records; the UPDATE locks the row (PostgreSQL) or the database (SQLite,
BEGIN IMMEDIATE) until commit, so a second poller either waits and then finds the cursor
moved, or finds the lease gone: no page is applied twice.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.orm import Session

from domain.feed_ledger import FeedProblem, FeedState
from store.db import rows_matched
from store.models import FeedProblemRow, OrderFeedRow

F = OrderFeedRow
ROW_ID = 1  # migration 0005 writes it
IN_CHUNK = 500  # packing numbers per IN (...)


class SqlFeedLedger:
    def __init__(self, session: Session) -> None:
        self.session = session

    def take_lease(self, owner: str, now: datetime, lease_until: datetime) -> bool:
        if lease_until <= now:
            raise ValueError("a lease must end after it is taken")
        free = or_(F.lease_expires_at.is_(None), F.lease_expires_at <= now,
                   F.lease_owner == owner)
        return self._set([free], lease_owner=owner, lease_expires_at=lease_until)

    def advance(self, since: str, next_cursor: str, owner: str, lease_until: datetime,
                records: int) -> bool:
        held = [F.lease_owner == owner, F.lease_expires_at.is_not(None), F.cursor == since]
        return self._set(held, cursor=next_cursor, lease_expires_at=lease_until,
                         pages=F.pages + 1, records=F.records + records)

    def finish(self, owner: str, at: datetime, error: str = "") -> bool:
        outcome: dict[str, Any] = (
            {"last_error": error, "last_error_at": at} if error
            else {"last_error": "", "last_success_at": at})
        held = [F.lease_owner == owner, F.lease_expires_at.is_not(None)]
        # the owner stays on the row, as the record of who polled last
        return self._set(held, lease_expires_at=None, **outcome)

    def state(self) -> FeedState:
        row = self.session.scalars(
            select(F).where(F.id == ROW_ID).execution_options(populate_existing=True)).first()
        if row is None:
            raise RuntimeError("the database has no order feed row; run `cancelbot db upgrade`")
        return FeedState(row.cursor, row.lease_owner, row.lease_expires_at, row.last_success_at,
                         row.last_error, row.last_error_at, row.pages, row.records)

    def add_problem(self, problem: FeedProblem) -> None:
        self.session.add(FeedProblemRow(packing_no=problem.packing_no, reason=problem.reason,
                                        seen_at=problem.seen_at, cursor=problem.cursor))
        self.session.flush()

    def problems(self, limit: int = 20) -> list[FeedProblem]:
        rows = self.session.scalars(
            select(FeedProblemRow).order_by(FeedProblemRow.id.desc()).limit(limit))
        return [FeedProblem(r.packing_no, r.reason, r.seen_at, r.cursor, r.id) for r in rows]

    def problem_count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(FeedProblemRow)) or 0

    def resolve_problems(self, packing_nos: Sequence[str]) -> int:
        wanted = sorted(set(packing_nos))
        forgotten = 0
        for start in range(0, len(wanted), IN_CHUNK):
            result = self.session.execute(
                delete(FeedProblemRow)
                .where(FeedProblemRow.packing_no.in_(wanted[start:start + IN_CHUNK]))
                .execution_options(synchronize_session=False))
            forgotten += rows_matched(result)
        return forgotten

    def _set(self, where: list[ColumnElement[bool]], **values: Any) -> bool:
        result = self.session.execute(
            update(F).where(F.id == ROW_ID, *where).values(**values)
            .execution_options(synchronize_session=False))
        return rows_matched(result) == 1
