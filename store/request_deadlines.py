"""The requests whose orders' windows close soon, and the one reminder each gets (rule 14)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from domain.requests import Decision, JobState, Request
from store.db import rows_matched
from store.mapping import to_request
from store.models import JobRow, OrderRow, RequestRow


class RequestDeadlines:
    """Mixed into SqlRequests: the reads and the conditional write the reminder poller needs."""

    session: Session

    def awaiting_closing(self, cancelled_until: datetime, *, unreminded_only: bool = False,
                         limit: int = 100) -> list[Request]:
        """Pending requests with an order awaiting approval cancelled at or before
        cancelled_until (its window closes by then), oldest first."""
        closing = (
            select(JobRow.request_id).join(OrderRow, OrderRow.id == JobRow.order_id)
            .where(JobRow.state == JobState.AWAITING_APPROVAL.value,
                   OrderRow.cancelled_at <= cancelled_until)
        )
        query = select(RequestRow).where(RequestRow.decision == Decision.PENDING.value,
                                         RequestRow.id.in_(closing))
        if unreminded_only:
            query = query.where(RequestRow.reminded_at.is_(None))
        rows = self.session.scalars(query.order_by(RequestRow.id).limit(limit))
        return [to_request(row) for row in rows]

    def mark_reminded(self, request_id: int, at: datetime) -> bool:
        """Record the reminder only if the request is still pending and was never reminded:
        of two pollers at once, one gets True (the database's row lock decides)."""
        result = self.session.execute(
            update(RequestRow)
            .where(RequestRow.id == request_id, RequestRow.reminded_at.is_(None),
                   RequestRow.decision == Decision.PENDING.value)
            .values(reminded_at=at)
            .execution_options(synchronize_session=False)
        )
        return rows_matched(result) == 1
