"""The unit of work: one session, one transaction, every repository on it."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from store.digests import SqlDigests
from store.feed_ledger import SqlFeedLedger
from store.jobs import SqlJobs
from store.outbox import SqlOutbox
from store.packing_numbers import SqlPackingNumbers
from store.repositories import SqlAudit, SqlOrders, SqlRequests


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (domain objects are copied out anyway)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


class SqlUnitOfWork:
    """Commit explicitly; leaving the block without commit rolls everything back."""

    def __init__(self, sessions: Callable[[], Session]) -> None:
        self._sessions = sessions

    def __enter__(self) -> SqlUnitOfWork:
        self.session = self._sessions()
        self.orders = SqlOrders(self.session)
        self.requests = SqlRequests(self.session)
        self.jobs = SqlJobs(self.session)
        self.audit = SqlAudit(self.session)
        self.outbox = SqlOutbox(self.session)
        self.packing_numbers = SqlPackingNumbers(self.session)
        self.digests = SqlDigests(self.session)
        self.feed = SqlFeedLedger(self.session)
        return self

    def __exit__(self, *exc: object) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()


def uow_factory(sessions: Callable[[], Session]) -> Callable[[], SqlUnitOfWork]:
    """A callable making a fresh unit of work, for use cases that need several transactions."""
    return lambda: SqlUnitOfWork(sessions)
