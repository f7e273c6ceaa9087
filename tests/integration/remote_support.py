"""Workers that hand their jobs to the stand-in order service, and what the tests read back."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.config import Settings
from bot.worker import JobWorker
from domain.job_result import JOB_RESULT, JobResult
from store.embedded_sales_site import EmbeddedSalesSite
from store.models import AuditRow, InstallationRow, OutboxRow
from store.recovery_service_http import HttpRecoveryService
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


def results(db: Database) -> list[JobResult]:
    """The job result every thread message the jobs left in the outbox carries, in row order."""
    with db.sessions() as session:
        rows = session.execute(select(OutboxRow.kind, OutboxRow.payload).order_by(OutboxRow.id))
        messages = [(kind, payload) for kind, payload in rows]
    assert {kind for kind, _ in messages} <= {JOB_RESULT}
    return [JobResult.from_payload(payload) for _, payload in messages]


def audit_kinds(db: Database, job_id: int) -> list[str]:
    with db.sessions() as session:
        return list(session.scalars(
            select(AuditRow.kind).where(AuditRow.job_id == job_id).order_by(AuditRow.id)))


def database_id(db: Database) -> str:
    with db.sessions() as session:
        found = session.scalar(select(InstallationRow.database_id))
    assert found, "migration 0003 gives every database an id"
    return found
