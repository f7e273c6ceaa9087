"""The outbox: thread messages written with the change they report, delivered later.

Only the job results of requests whose jobs have all ended are claimed. Rows are leased to one
deliverer at a time, so two bot processes never deliver the same row:
PostgreSQL locks its candidates with `FOR UPDATE SKIP LOCKED`; on SQLite the transaction
holds the write lock from its start. Either way one conditional UPDATE takes the candidates
still due, so an expired lease is taken over exactly once.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, insert, or_, select, update
from sqlalchemy.orm import Session

from domain.job_result import JOB_RESULT
from domain.queues import OutboxMessage
from domain.requests import ACTIVE_JOB_STATES
from store.db import rows_matched
from store.models import JobRow, OutboxRow

MAX_ERROR_CHARS = 2000


def _to_message(row: OutboxRow, in_doubt: bool = False) -> OutboxMessage:
    return OutboxMessage(
        request_id=row.request_id, kind=row.kind, payload=dict(row.payload),
        created_at=row.created_at, id=row.id, attempts=row.attempts,
        last_error=row.last_error or "", delivered_at=row.delivered_at,
        next_attempt_at=row.next_attempt_at, in_doubt=in_doubt,
    )


def _due(now: datetime) -> ColumnElement[bool]:
    """Undelivered, its retry time reached, and nobody holding a live lease on it."""
    return and_(
        OutboxRow.delivered_at.is_(None),
        or_(OutboxRow.next_attempt_at.is_(None), OutboxRow.next_attempt_at <= now),
        or_(OutboxRow.lease_owner.is_(None), OutboxRow.lease_expires_at.is_(None),
            OutboxRow.lease_expires_at <= now),
    )


def _request_finished() -> ColumnElement[bool]:
    """A job result whose request has no job still to end: results are delivered together, so
    those of a request still running are not claimed (claiming them would only release them).
    Other kinds (a reminder, an expiry, a withdrawal) are for a request whose jobs may not
    have run at all, and are due as they are."""
    active = [state.value for state in ACTIVE_JOB_STATES]
    return or_(OutboxRow.kind != JOB_RESULT,
               ~exists().where(JobRow.request_id == OutboxRow.request_id,
                               JobRow.state.in_(active)))


def _held_by(message_id: int, owner: str) -> ColumnElement[bool]:
    return and_(OutboxRow.id == message_id, OutboxRow.lease_owner == owner,
                OutboxRow.delivered_at.is_(None))


class SqlOutbox:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, message: OutboxMessage) -> OutboxMessage:
        row = OutboxRow(request_id=message.request_id, kind=message.kind,
                        payload=message.payload, created_at=message.created_at)
        self.session.add(row)
        self.session.flush()
        return _to_message(row)

    def add_many(self, messages: list[OutboxMessage]) -> None:
        """Write several messages in one statement (their ids are not read back)."""
        if messages:
            self.session.execute(insert(OutboxRow), [
                {"request_id": m.request_id, "kind": m.kind, "payload": m.payload,
                 "created_at": m.created_at, "attempts": 0, "last_error": ""}
                for m in messages])

    def claim_due(
        self, owner: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[OutboxMessage]:
        """Lease up to limit due rows to owner, plus the other due rows of the same requests.

        A request's rows are claimed together because its results are delivered together.
        """
        first = self._candidates(and_(_due(now), _request_finished()), limit)
        if not first:
            return []
        request_ids = {row.request_id for row in first}
        rest = self._candidates(
            and_(_due(now), _request_finished(), OutboxRow.request_id.in_(request_ids),
                 OutboxRow.id.not_in([row.id for row in first])),
            None,
        )
        # read before the UPDATE: a lease still set here ran out without a result
        doubt = {row.id: row.attempts > 0 or row.lease_owner is not None for row in first + rest}
        # one UPDATE takes them all (a request may have a thousand rows), each only while it
        # is still due, so an expired lease is taken over once
        taken = self.session.scalars(
            update(OutboxRow).where(OutboxRow.id.in_(doubt), _due(now))
            .values(lease_owner=owner, lease_expires_at=lease_until).returning(OutboxRow)
            .execution_options(synchronize_session=False, populate_existing=True)
        ).all()
        return [_to_message(row, doubt[row.id]) for row in sorted(taken, key=lambda r: r.id)]

    def _candidates(self, where: ColumnElement[bool], limit: int | None) -> list[OutboxRow]:
        stmt = select(OutboxRow).where(where).order_by(OutboxRow.id).limit(limit)
        if self.session.get_bind().dialect.name == "postgresql":
            # rows another deliverer is claiming right now are skipped, not waited for
            stmt = stmt.with_for_update(skip_locked=True)
        return list(self.session.scalars(stmt.execution_options(populate_existing=True)))

    def _set(self, where: ColumnElement[bool], **values: Any) -> bool:
        result = self.session.execute(
            update(OutboxRow).where(where).values(**values)
            .execution_options(synchronize_session=False)
        )
        return rows_matched(result) == 1

    def mark_delivered(
        self, message_id: int, owner: str, at: datetime, message_ts: str | None
    ) -> bool:
        """Record delivery (and the reply's ts); False when owner no longer holds the lease."""
        # the lease owner stays on the row: it says which process delivered it
        return self._set(_held_by(message_id, owner), delivered_at=at, lease_expires_at=None,
                         delivered_ts=message_ts)

    def mark_failed(
        self, message_id: int, owner: str, error: str, next_attempt_at: datetime
    ) -> bool:
        """Count a failed attempt, keep its error and free the row until next_attempt_at."""
        return self._set(
            _held_by(message_id, owner), attempts=OutboxRow.attempts + 1,
            last_error=error[:MAX_ERROR_CHARS], next_attempt_at=next_attempt_at,
            lease_owner=None, lease_expires_at=None,
        )

    def release(self, message_id: int, owner: str, in_doubt: bool = False) -> bool:
        """Give a claimed row back untouched (not an attempt), for a later round."""
        # an in-doubt row keeps its owner (with no expiry, so it is free): the next claim
        # sees a lease nobody resolved and keeps doubting
        return self._set(_held_by(message_id, owner), lease_expires_at=None,
                         **({} if in_doubt else {"lease_owner": None}))

    def pending(self, limit: int = 50) -> list[OutboxMessage]:
        """Undelivered messages, oldest first, with their attempts and last error."""
        rows = self.session.scalars(
            select(OutboxRow).where(OutboxRow.delivered_at.is_(None))
            .order_by(OutboxRow.id).limit(limit)
            .execution_options(populate_existing=True)
        )
        return [_to_message(row) for row in rows]
