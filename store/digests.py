"""One digest per business day across bot processes: the day's row is the claim.

`claim` inserts the day's row and does nothing on conflict, so of several processes running
the 09:00 cron only one gets it (PostgreSQL makes a concurrent insert wait for the first one's
commit, then skip; SQLite has one writer at a time). A claim never settled within its lease
(its process died mid-post) is taken over with a conditional UPDATE, exactly once.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from domain.queues import DigestDay
from store.db import rows_matched
from store.models import DigestRow

D = DigestRow


def _unsettled(day: str, owner: str) -> ColumnElement[bool]:
    return and_(D.day == day, D.claimed_by == owner, D.done_at.is_(None))


class SqlDigests:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, day: str, owner: str, now: datetime, stale_before: datetime) -> bool:
        """Take the day: a new row, or one claimed before stale_before and never done."""
        module = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        inserted = self.session.execute(
            module.insert(D.__table__).values(day=day, claimed_by=owner, claimed_at=now)
            .on_conflict_do_nothing(index_elements=[D.__table__.c.day])
            .returning(D.__table__.c.day)
        ).first()
        if inserted is not None:
            return True
        stale = and_(D.day == day, D.done_at.is_(None), D.claimed_at <= stale_before)
        return self._set(stale, claimed_by=owner, claimed_at=now)

    def done(self, day: str, owner: str, at: datetime, channel_id: str | None = None,
             message_ts: str | None = None) -> bool:
        """Settle owner's claim (with the message posted, if any); False if not owner's."""
        return self._set(_unsettled(day, owner), done_at=at, channel_id=channel_id,
                         message_ts=message_ts)

    def release(self, day: str, owner: str) -> bool:
        """Give back owner's unsettled claim, so that another try can take the day."""
        result = self.session.execute(
            delete(D).where(_unsettled(day, owner)).execution_options(synchronize_session=False)
        )
        return rows_matched(result) == 1

    def get(self, day: str) -> DigestDay | None:
        row = self.session.scalars(
            select(D).where(D.day == day).execution_options(populate_existing=True)
        ).first()
        if row is None:
            return None
        return DigestDay(row.day, row.claimed_by, row.claimed_at, row.done_at, row.channel_id,
                         row.message_ts)

    def _set(self, where: ColumnElement[bool], **values: Any) -> bool:
        result = self.session.execute(
            update(D).where(where).values(**values).execution_options(synchronize_session=False)
        )
        return rows_matched(result) == 1
