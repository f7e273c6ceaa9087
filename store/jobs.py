"""The job repository: jobs over one SQLAlchemy session, claimed and leased to one worker at a
time (the jobs waiting on the order service in store/waiting_jobs.py)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.errors import ActiveRequestExists
from domain.requests import ACTIVE_JOB_STATES, Job, JobState, check_transition
from store.db import rows_matched
from store.mapping import job_values, to_job
from store.models import Base, JobRow
from store.waiting_jobs import WaitingJobLeases

# one executemany for a batch; "row_id" names the row, the other keys the columns set
_JOBS = Base.metadata.tables["jobs"]
_UPDATE_JOB = update(_JOBS).where(_JOBS.c.id == bindparam("row_id"))


class SqlJobs(WaitingJobLeases):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, job: Job) -> Job:
        row = JobRow(**job_values(job))
        try:
            # a savepoint, so that losing the race leaves the rest of the transaction usable
            with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError as exc:
            holder = self._active_request(job.order_id)
            if holder is None:
                raise
            raise ActiveRequestExists(job.packing_no, holder) from exc
        return to_job(row)

    def _active_request(self, order_id: int) -> int | None:
        """The request whose job holds the order, if one does."""
        states = [s.value for s in ACTIVE_JOB_STATES]
        return self.session.scalar(
            select(JobRow.request_id).where(JobRow.order_id == order_id,
                                            JobRow.state.in_(states)).limit(1)
        )

    def get(self, job_id: int) -> Job | None:
        row = self.session.get(JobRow, job_id, populate_existing=True)
        return to_job(row) if row else None

    def _many(self, *where: ColumnElement[bool], limit: int | None = None) -> list[Job]:
        stmt = select(JobRow).where(*where).order_by(JobRow.id).limit(limit)
        return [to_job(r) for r in self.session.scalars(stmt)]

    def for_request(self, request_id: int) -> list[Job]:
        return self._many(JobRow.request_id == request_id)

    def for_order(self, order_id: int) -> list[Job]:
        return self._many(JobRow.order_id == order_id)

    def in_states(self, states: tuple[JobState, ...], limit: int = 100) -> list[Job]:
        return self._many(JobRow.state.in_([s.value for s in states]), limit=limit)

    def update(self, job: Job) -> None:
        self.session.execute(
            update(JobRow).where(JobRow.id == job.id).values(**job_values(job))
            .execution_options(synchronize_session=False)
        )

    def update_many(self, jobs: list[Job]) -> None:
        if jobs:
            self.session.execute(_UPDATE_JOB, [{"row_id": j.id, **job_values(j)} for j in jobs])

    # Leases. lease_owner stays on a finished job, as the record of which worker ran it.

    def claim(self, owner: str, now: datetime, lease_until: datetime, limit: int) -> list[Job]:
        if lease_until <= now:
            raise ValueError("a lease must end after the claim")
        check_transition(JobState.QUEUED, JobState.RUNNING)
        leased = dict(state=JobState.RUNNING.value, lease_owner=owner,
                      lease_expires_at=lease_until, attempts=JobRow.attempts + 1)
        queued = (select(JobRow.id).where(JobRow.state == JobState.QUEUED.value)
                  .order_by(JobRow.id).limit(limit))
        if self._postgres:
            # locked until commit, so one update takes them all; rows another worker is
            # claiming this instant are skipped, never waited for
            queued = queued.with_for_update(skip_locked=True)
        # on SQLite the transaction holds the write lock from its start (store/db.py), so
        # nobody takes a row between the select and the update; the update still re-checks
        ids = self.session.scalars(queued).all()
        if not ids:
            return []
        rows = self.session.scalars(
            update(JobRow).where(JobRow.id.in_(ids), JobRow.state == JobState.QUEUED.value)
            .values(**leased).returning(JobRow)
            .execution_options(synchronize_session=False, populate_existing=True)
        ).all()
        return sorted((to_job(r) for r in rows), key=lambda j: j.stored_id)

    def renew(self, job_id: int, owner: str, lease_until: datetime) -> bool:
        return self._update(self._held(job_id, owner), {"lease_expires_at": lease_until}) == 1

    def release(self, job_id: int, owner: str) -> bool:
        check_transition(JobState.RUNNING, JobState.QUEUED)
        # the job never started, so its claim does not count as an attempt
        return self._update(self._held(job_id, owner), dict(
            state=JobState.QUEUED.value, lease_owner=None, lease_expires_at=None,
            attempts=JobRow.attempts - 1)) == 1

    def reclaim_expired(self, now: datetime) -> list[Job]:
        check_transition(JobState.RUNNING, JobState.QUEUED)
        expired = select(JobRow.id).where(
            JobRow.state == JobState.RUNNING.value, JobRow.lease_expires_at <= now)
        if self._postgres:  # a job being finished is locked: it belongs to its finisher
            expired = expired.with_for_update(skip_locked=True)
        ids = self.session.scalars(expired).all()
        if ids:
            ids = self.session.scalars(
                update(JobRow).where(JobRow.id.in_(ids), JobRow.lease_expires_at <= now)
                .values(state=JobState.QUEUED.value, lease_owner=None, lease_expires_at=None)
                .returning(JobRow.id).execution_options(synchronize_session=False)
            ).all()
        return self._fresh(list(ids))

    def lock_running(self, job_id: int, owner: str | None = None) -> Job | None:
        # an UPDATE that changes nothing, for its row lock (on SQLite the write lock): a second
        # finisher waits here, then PostgreSQL re-checks the WHERE on the finished row
        if self._update(self._held(job_id, owner), {"state": JobRow.state}) != 1:
            return None
        return self.get(job_id)

    def lock_held(self, job_ids: list[int], owner: str) -> list[Job]:
        if not job_ids:
            return []
        held = select(JobRow).where(
            JobRow.id.in_(job_ids), JobRow.state == JobState.RUNNING.value,
            JobRow.lease_owner == owner,
        ).order_by(JobRow.id).execution_options(populate_existing=True)
        if self._postgres:
            # rows are locked as the sort hands them out, so in id order; a row another
            # transaction changed meanwhile is waited for and its WHERE checked again
            held = held.with_for_update()
        # (SQLite: the transaction already holds the write lock)
        return [to_job(r) for r in self.session.scalars(held)]

    @property
    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    @staticmethod
    def _held(job_id: int, owner: str | None) -> list[ColumnElement[bool]]:
        where = [JobRow.id == job_id, JobRow.state == JobState.RUNNING.value]
        return where + ([JobRow.lease_owner == owner] if owner is not None else [])

    def _update(self, where: list[ColumnElement[bool]], values: dict[str, Any]) -> int:
        result = self.session.execute(
            update(JobRow).where(*where).values(**values)
            .execution_options(synchronize_session=False)
        )
        return rows_matched(result)

    def _fresh(self, ids: list[int]) -> list[Job]:
        if not ids:
            return []
        rows = self.session.scalars(
            select(JobRow).where(JobRow.id.in_(ids)).order_by(JobRow.id)
            .execution_options(populate_existing=True)
        )
        return [to_job(r) for r in rows]
