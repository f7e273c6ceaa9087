"""A request's results are claimed together, once its last job has ended (SQLite, PostgreSQL)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from domain.execution import run_job
from domain.queues import OutboxMessage
from store.embedded_sales_site import EmbeddedSalesSite
from store.models import OutboxRow
from tests.integration.builders import NOW, ctx
from tests.integration.job_support import queued_jobs

LEASE = timedelta(minutes=5)


def _claim(uow, owner: str) -> list[OutboxMessage]:
    with uow() as u:
        claimed = u.outbox.claim_due(owner, NOW, NOW + LEASE, 10)
        u.commit()
    return claimed


def test_the_results_of_a_request_still_running_are_not_claimed_until_its_last_job_ends(
        uow, sessions):
    first, second = queued_jobs(uow, sessions, restores=2)  # one request
    site = EmbeddedSalesSite(sessions)
    run_job(uow, site, first.stored_id, ctx())

    assert _claim(uow, "bot-1") == []
    with sessions() as session:  # not even leased meanwhile
        assert session.execute(select(OutboxRow.lease_owner, OutboxRow.attempts)).all() == [
            (None, 0)]

    run_job(uow, site, second.stored_id, ctx())
    claimed = _claim(uow, "bot-1")
    assert sorted(m.payload["job_id"] for m in claimed) == [first.id, second.id]
