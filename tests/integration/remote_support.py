"""Workers that hand their jobs to the stand-in order service, and what the tests read back."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.config import Settings
from bot.worker import JobWorker
from store.models import AuditRow, InstallationRow, OutboxRow
from store.recovery_service_http import HttpRecoveryService
from store.repositories import EmbeddedSalesSite
from tests.integration.builders import Database
from tests.integration.job_support import Clock
from tests.order_service import TOKEN, OrderServiceStandIn

LEASE = timedelta(seconds=60)
POLL = timedelta(seconds=5)
SETTINGS = Settings(database_url="unused", poll_seconds=POLL.total_seconds(),
                    recovery_timeout_hours=24)


def remote_worker(db: Database, service: OrderServiceStandIn, clock: Clock, owner: str = "w1",
                  timeout: float = 5.0) -> JobWorker:
    """A worker as `cancelbot worker` builds it with CANCELBOT_RECOVERY_API_URL set."""
    return JobWorker(db.uow, EmbeddedSalesSite(db.sessions), SETTINGS, owner, clock,
                     lease=LEASE, recoveries=HttpRecoveryService(service.base_url, TOKEN, timeout))


def results(db: Database) -> list[dict[str, Any]]:
    """The payload of every thread message the jobs left in the outbox, in row order."""
    with db.sessions() as session:
        return list(session.scalars(select(OutboxRow.payload).order_by(OutboxRow.id)))


def audit_kinds(db: Database, job_id: int) -> list[str]:
    with db.sessions() as session:
        return list(session.scalars(
            select(AuditRow.kind).where(AuditRow.job_id == job_id).order_by(AuditRow.id)))


def database_id(db: Database) -> str:
    with db.sessions() as session:
        return session.scalar(select(InstallationRow.database_id))  # type: ignore[return-value]
