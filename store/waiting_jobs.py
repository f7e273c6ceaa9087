"""Jobs waiting on the order service: leased to one poller at a time, like claims.

A waiting job is due a look once its next_poll_at has come and nobody holds a live lease on
it. PostgreSQL locks the candidates with `FOR UPDATE SKIP LOCKED`; SQLite (one writer at a time)
takes each with a conditional UPDATE. Either way the UPDATE re-checks that the job is still
waiting and free, so a lease that ran out is taken over exactly once, and a poller settles a
job only while the lease is still its own.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from domain.requests import Job, JobState
from store.models import InstallationRow, JobRow

KEY_PREFIX = "cancelbot-job"


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(
        JobRow.state == JobState.WAITING.value,
        or_(JobRow.next_poll_at.is_(None), JobRow.next_poll_at <= now),
        or_(JobRow.lease_expires_at.is_(None), JobRow.lease_expires_at <= now),
    )


class _JobRows(Protocol):
    """What WaitingJobLeases reads from the SqlJobs it is a half of."""

    session: Session

    @property
    def _postgres(self) -> bool: ...
    def _update(self, where: list[ColumnElement[bool]], values: dict[str, Any]) -> int: ...
    def _fresh(self, ids: list[int]) -> list[Job]: ...
    def get(self, job_id: int) -> Job | None: ...


class WaitingJobLeases:
    """The waiting-job half of SqlJobs (which supplies session, _postgres, _update, _fresh)."""

    def claim_waiting(
        self: _JobRows, owner: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[Job]:
        if lease_until <= now:
            raise ValueError("a lease must end after the claim")
        due = select(JobRow.id).where(_due(now)).order_by(JobRow.next_poll_at, JobRow.id)
        if self._postgres:
            # rows another poller is claiming this instant are skipped, never waited for
            due = due.with_for_update(skip_locked=True)
        leased = {"lease_owner": owner, "lease_expires_at": lease_until}
        ids = [i for i in self.session.scalars(due.limit(limit)).all()
               if self._update([JobRow.id == i, _due(now)], leased) == 1]
        return self._fresh(ids)

    def lock_waiting(self: _JobRows, job_id: int, owner: str) -> Job | None:
        # an UPDATE that changes nothing, for its row lock: a poller whose lease was taken
        # over, or whose job another poller settled, finds no row and writes nothing
        held = [JobRow.id == job_id, JobRow.state == JobState.WAITING.value,
                JobRow.lease_owner == owner, JobRow.lease_expires_at.is_not(None)]
        if self._update(held, {"state": JobRow.state}) != 1:
            return None
        return self.get(job_id)

    def let_go(self: _JobRows, job_id: int, owner: str) -> bool:
        # the owner stays on the row, as the record of who looked last
        where = [JobRow.id == job_id, JobRow.lease_owner == owner]
        return self._update(where, {"lease_expires_at": None}) == 1

    def service_key(self: _JobRows, job_id: int) -> str:
        database_id = self.session.scalar(select(InstallationRow.database_id))
        if not database_id:
            raise RuntimeError("the database has no id; run `cancelbot db upgrade`")
        return f"{KEY_PREFIX}-{job_id}-{database_id}"
