"""The in-memory job repository: claims and leases as the SQL store keeps them."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from domain.errors import ActiveRequestExists
from domain.requests import Job, JobState
from tests.unit.fake_state import FakeRepo


class FakeJobs(FakeRepo):
    def add(self, job: Job) -> Job:
        for other in self.for_order(job.order_id):
            if other.state.active:  # the partial unique index of the real store
                raise ActiveRequestExists(job.packing_no, other.request_id)
        stored = replace(job, id=self._s.new_id())
        self._s.jobs[stored.id] = stored  # type: ignore[index]
        return stored

    def get(self, job_id: int) -> Job | None:
        return self._s.jobs.get(job_id)

    def for_request(self, request_id: int) -> list[Job]:
        return [j for j in self._s.jobs.values() if j.request_id == request_id]

    def for_order(self, order_id: int) -> list[Job]:
        return [j for j in self._s.jobs.values() if j.order_id == order_id]

    def in_states(self, states: tuple[JobState, ...], limit: int = 100) -> list[Job]:
        return [j for j in self._s.jobs.values() if j.state in states][:limit]

    def update(self, job: Job) -> None:
        if job.id not in self._s.jobs:
            raise KeyError(job.id)
        self._s.jobs[job.id] = job

    def claim(self, owner: str, now: datetime, lease_until: datetime, limit: int) -> list[Job]:
        if lease_until <= now:
            raise ValueError("a lease must end after the claim")
        claimed = []
        for job in self.in_states((JobState.QUEUED,), limit):
            running = job.moved(JobState.RUNNING, attempts=job.attempts + 1)
            self.update(running)
            self._s.leases[job.id] = (owner, lease_until)  # type: ignore[index]
            claimed.append(running)
        return claimed

    def _holds(self, job_id: int, owner: str | None) -> Job | None:
        job = self.get(job_id)
        if job is None or job.state is not JobState.RUNNING:
            return None
        held_by = self._s.leases.get(job_id, (None, None))[0]
        return job if owner is None or held_by == owner else None

    def renew(self, job_id: int, owner: str, lease_until: datetime) -> bool:
        if self._holds(job_id, owner) is None:
            return False
        self._s.leases[job_id] = (owner, lease_until)
        return True

    def release(self, job_id: int, owner: str) -> bool:
        job = self._holds(job_id, owner)
        if job is None:
            return False
        self.update(job.moved(JobState.QUEUED, attempts=job.attempts - 1))
        del self._s.leases[job_id]
        return True

    def reclaim_expired(self, now: datetime) -> list[Job]:
        expired = [i for i, (_, until) in self._s.leases.items()
                   if until is not None and until <= now and self._holds(i, None)]
        for job_id in expired:
            self.update(self._s.jobs[job_id].moved(JobState.QUEUED))
            del self._s.leases[job_id]
        return [self._s.jobs[i] for i in sorted(expired)]

    def lock_running(self, job_id: int, owner: str | None = None) -> Job | None:
        return self._holds(job_id, owner)

    def lock_held(self, job_ids: list[int], owner: str) -> list[Job]:
        return [job for i in sorted(job_ids) if (job := self._holds(i, owner)) is not None]

    def update_many(self, jobs: list[Job]) -> None:
        for job in jobs:
            self.update(job)

    def _due_waiting(self, job: Job, now: datetime) -> bool:
        until = self._s.leases.get(job.stored_id, (None, None))[1]
        return (job.state is JobState.WAITING
                and (job.next_poll_at is None or job.next_poll_at <= now)
                and (until is None or until <= now))

    def claim_waiting(
        self, owner: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[Job]:
        if lease_until <= now:
            raise ValueError("a lease must end after the claim")
        due = sorted((j for j in self._s.jobs.values() if self._due_waiting(j, now)),
                     key=lambda j: (j.next_poll_at is not None, j.next_poll_at, j.id))
        for job in due[:limit]:
            self._s.leases[job.stored_id] = (owner, lease_until)
        return due[:limit]

    def lock_waiting(self, job_id: int, owner: str) -> Job | None:
        job = self.get(job_id)
        held_by, until = self._s.leases.get(job_id, (None, None))
        if job is None or job.state is not JobState.WAITING or held_by != owner or until is None:
            return None
        return job

    def let_go(self, job_id: int, owner: str) -> bool:
        if self._s.leases.get(job_id, (None, None))[0] != owner:
            return False
        self._s.leases[job_id] = (owner, None)  # the owner stays, as who looked last
        return True

    def service_key(self, job_id: int) -> str:
        return f"cancelbot-job-{job_id}-{self._s.database_id}"
