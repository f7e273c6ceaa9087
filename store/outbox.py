"""The outbox: thread messages written with the change they report, delivered later."""
from __future__ import annotations

from sqlalchemy.orm import Session

from domain.ports import OutboxMessage
from store.models import OutboxRow


class SqlOutbox:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, message: OutboxMessage) -> OutboxMessage:
        row = OutboxRow(request_id=message.request_id, kind=message.kind,
                        payload=message.payload, created_at=message.created_at)
        self.session.add(row)
        self.session.flush()
        return OutboxMessage(row.request_id, row.kind, row.payload, row.created_at, row.id)
