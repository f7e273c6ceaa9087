"""Jobs handed to the order service: leased to one poller at a time, on every unit of work."""
from __future__ import annotations

from datetime import timedelta

from domain.requests import Job, JobState
from tests.contract.test_requests_and_jobs import LEASE, claim, job, requested
from tests.integration.builders import NOW


def waiting(uow, count: int, next_poll_at=NOW, running: int = 0) -> list[Job]:
    """count jobs claimed by a worker and handed to the order service, due a look at
    next_poll_at (and `running` more claimed and left running)."""
    requested(uow, count + running)
    handed = []
    for running_job in claim(uow, "worker", limit=count + running)[:count]:
        with uow() as u:
            held = u.jobs.lock_running(running_job.stored_id, "worker")
            assert held is not None
            moved = held.moved(JobState.WAITING, waiting_since=NOW, next_poll_at=next_poll_at)
            u.jobs.update(moved)
            assert u.jobs.let_go(moved.stored_id, "worker")
            u.commit()
        handed.append(moved)
    return handed


def claim_waiting(uow, owner: str, now=NOW, limit: int = 10) -> list[Job]:
    with uow() as u:
        jobs = u.jobs.claim_waiting(owner, now, now + LEASE, limit)
        u.commit()
    return jobs


def test_a_waiting_job_is_leased_to_one_poller_until_its_lease_runs_out(uow):
    [handed] = waiting(uow, 1)

    assert [j.id for j in claim_waiting(uow, "poller-1")] == [handed.id]
    assert claim_waiting(uow, "poller-2", NOW + LEASE - timedelta(seconds=1)) == []
    assert [j.id for j in claim_waiting(uow, "poller-2", NOW + LEASE)] == [handed.id]


def test_a_waiting_job_is_not_due_before_its_next_look(uow):
    [handed] = waiting(uow, 1, next_poll_at=NOW + timedelta(minutes=1))

    assert claim_waiting(uow, "poller-1") == []
    assert [j.id for j in claim_waiting(uow, "poller-1", NOW + timedelta(minutes=1))] == [
        handed.id]


def test_only_the_lease_holder_locks_a_waiting_job(uow):
    [handed] = waiting(uow, 1)
    claim_waiting(uow, "poller-1")

    with uow() as u:
        assert u.jobs.lock_waiting(handed.stored_id, "poller-2") is None
        locked = u.jobs.lock_waiting(handed.stored_id, "poller-1")
    assert locked is not None and locked.state is JobState.WAITING


def test_a_job_let_go_is_due_again_for_any_poller_and_no_longer_locked(uow):
    [handed] = waiting(uow, 1)
    claim_waiting(uow, "poller-1")
    with uow() as u:
        assert u.jobs.let_go(handed.stored_id, "poller-1")
        u.commit()

    with uow() as u:
        assert u.jobs.lock_waiting(handed.stored_id, "poller-1") is None
    assert [j.id for j in claim_waiting(uow, "poller-2")] == [handed.id]


def test_a_claim_of_waiting_jobs_takes_at_most_its_limit_and_no_running_job(uow):
    handed = waiting(uow, 3, running=1)

    first = claim_waiting(uow, "poller-1", limit=2)
    rest = claim_waiting(uow, "poller-2", limit=5)
    assert len(first) == 2 and len(rest) == 1
    assert sorted(j.stored_id for j in first + rest) == sorted(j.stored_id for j in handed)
    assert all(job(uow, j.stored_id).state is JobState.WAITING for j in first + rest)


def test_the_service_key_names_one_job_and_is_the_same_every_time(uow):
    first, second = waiting(uow, 2)
    with uow() as u:
        keys = [u.jobs.service_key(first.stored_id), u.jobs.service_key(first.stored_id),
                u.jobs.service_key(second.stored_id)]
    assert keys[0] == keys[1] != keys[2]
    assert str(first.id) in keys[0]
