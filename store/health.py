"""What the people running the bot watch, read from the database at each scrape of /metrics."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.requests import JobState
from store.models import JobRow, OutboxRow, RequestRow

WATCHED_JOB_STATES = (JobState.QUEUED, JobState.RUNNING, JobState.WAITING, JobState.FAILED)


@dataclass(frozen=True)
class Backlog:
    """Jobs per state, the oldest queued job's approval time, and the outbox not delivered."""

    jobs: dict[str, int]
    oldest_queued_since: datetime | None
    outbox_backlog: int
    outbox_failing: int  # undelivered rows whose last attempt failed


def backlog(session: Session) -> Backlog:
    """The numbers /metrics shows, in a few indexed counts."""
    counted = dict(session.execute(
        select(JobRow.state, func.count()).where(
            JobRow.state.in_([s.value for s in WATCHED_JOB_STATES])).group_by(JobRow.state)
    ).tuples().all())
    jobs = {state.value: int(counted.get(state.value, 0)) for state in WATCHED_JOB_STATES}
    # a job is queued from its request's approval (or its lease's end; the approval is older)
    oldest = session.scalar(
        select(func.min(func.coalesce(RequestRow.decided_at, JobRow.created_at)))
        .select_from(JobRow).join(RequestRow, RequestRow.id == JobRow.request_id)
        .where(JobRow.state == JobState.QUEUED.value))
    undelivered = OutboxRow.delivered_at.is_(None)
    pending = session.scalar(select(func.count()).select_from(OutboxRow).where(undelivered))
    failing = session.scalar(select(func.count()).select_from(OutboxRow)
                             .where(undelivered, OutboxRow.attempts > 0))
    return Backlog(jobs, oldest, int(pending or 0), int(failing or 0))
