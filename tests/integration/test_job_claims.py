"""Claims with a lease, renewal, release and reclaim; a job's result is written exactly once."""
from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from domain import execution
from domain.execution import run_job
from domain.model import Action, Recovery
from domain.ports import ListQuery
from domain.requests import JobState
from domain.status import Status
from domain.workflow import submit_request
from store.embedded_sales_site import EmbeddedSalesSite
from store.models import AuditRow, JobRow
from tests.integration.builders import NOW, Database, ctx
from tests.integration.job_support import (
    count,
    created_orders,
    job_rows,
    outbox_job_ids,
    queued_jobs,
)
from tests.races import together

LEASE = timedelta(seconds=60)
UNTIL = NOW + LEASE


def claim(uow, owner, limit=10, now=NOW):
    with uow() as u:
        jobs = u.jobs.claim(owner, now, now + LEASE, limit)
        u.commit()
    return jobs


def test_a_claim_leases_the_oldest_queued_jobs_and_counts_an_attempt(uow, sessions):
    first, second, third = queued_jobs(uow, sessions, restores=3)

    claimed = claim(uow, "w1", limit=2)

    assert [(j.id, j.state, j.attempts) for j in claimed] == [
        (first.id, JobState.RUNNING, 1), (second.id, JobState.RUNNING, 1)]
    rows = {r.id: r for r in job_rows(sessions)}
    first_row = rows[first.stored_id]
    assert (first_row.lease_owner, first_row.lease_expires_at) == ("w1", UNTIL)
    assert rows[third.stored_id].state == "queued" and rows[third.stored_id].lease_owner is None
    assert [j.id for j in claim(uow, "w2")] == [third.id]
    assert claim(uow, "w3") == []


def test_a_claim_whose_lease_ends_before_it_is_refused(uow):
    with uow() as u, pytest.raises(ValueError, match="lease must end after"):
        u.jobs.claim("w1", NOW, NOW, 1)


def test_only_the_worker_holding_a_lease_renews_it(uow, sessions):
    job, = queued_jobs(uow, sessions, restores=1)
    claim(uow, "w1")
    later = UNTIL + timedelta(seconds=30)

    with uow() as u:
        assert u.jobs.renew(job.id, "w2", later) is False
        assert u.jobs.renew(job.id, "w1", later) is True
        u.commit()

    assert job_rows(sessions)[0].lease_expires_at == later
    run_job(uow, EmbeddedSalesSite(sessions), job.stored_id, ctx(), owner="w1")
    with uow() as u:  # a finished job has no lease left to renew
        assert u.jobs.renew(job.id, "w1", later) is False


def test_a_released_job_is_queued_again_without_its_lease_or_the_attempt(uow, sessions):
    job, = queued_jobs(uow, sessions, restores=1)
    claim(uow, "w1")

    with uow() as u:
        assert u.jobs.release(job.id, "w2") is False
        assert u.jobs.release(job.id, "w1") is True
        u.commit()

    row, = job_rows(sessions)
    assert (row.state, row.lease_owner, row.lease_expires_at, row.attempts) == (
        "queued", None, None, 0)
    assert [j.id for j in claim(uow, "w2")] == [job.id]


def test_a_job_whose_lease_ran_out_is_queued_again_and_the_trail_says_so(uow, sessions):
    job, other = queued_jobs(uow, sessions, restores=2)
    claim(uow, "w1", limit=1)
    claim(uow, "w2", limit=1, now=NOW + timedelta(seconds=30))

    with uow() as u:
        assert execution.reclaim_expired(u, UNTIL - timedelta(seconds=1)) == []
    with uow() as u:
        reclaimed = execution.reclaim_expired(u, UNTIL)

    assert [(j.id, j.state, j.attempts) for j in reclaimed] == [(job.id, JobState.QUEUED, 1)]
    rows = {r.id: r for r in job_rows(sessions)}
    assert (rows[job.stored_id].lease_owner, rows[job.stored_id].lease_expires_at) == (None, None)
    assert (rows[other.stored_id].state, rows[other.stored_id].lease_owner) == ("running", "w2")
    with uow() as u:
        event = u.audit.for_packing_nos([job.packing_no])[-1]
    assert (event.kind, event.job_id, event.at) == ("reclaimed", job.id, UNTIL)
    assert "stopped renewing its lease" in event.detail


def test_a_job_reclaimed_after_its_worker_died_is_finished_once_by_the_next(uow, sessions):
    job, = queued_jobs(uow, sessions, resyncs=1)
    claim(uow, "dead")  # and never heard of again
    with uow() as u:
        execution.reclaim_expired(u, UNTIL)
    claim(uow, "w2", now=UNTIL)

    done = run_job(uow, EmbeddedSalesSite(sessions), job.stored_id, ctx(UNTIL), owner="w2")

    assert (done.state, done.attempts) == (JobState.SUCCEEDED, 2)
    assert outbox_job_ids(sessions) == [job.id]
    assert created_orders(sessions) == [(job.id, done.result_packing_no)]


def test_the_old_worker_cannot_finish_a_job_reclaimed_while_it_ran(uow, sessions):
    job, = queued_jobs(uow, sessions, resyncs=1)
    claim(uow, "w1")
    site = EmbeddedSalesSite(sessions)

    class StallingSite:
        """w1 stalls on the sales site until its lease has run out and w2 has the job."""

        def fetch(self, sales_site, sales_order_no):
            with uow() as u:
                execution.reclaim_expired(u, UNTIL)
            claim(uow, "w2", now=UNTIL)
            return site.fetch(sales_site, sales_order_no)

        def sites_not_ready(self):
            return frozenset()

    seen_by_w1 = run_job(uow, StallingSite(), job.stored_id, ctx(), owner="w1")

    assert (seen_by_w1.state, seen_by_w1.attempts) == (JobState.RUNNING, 2)
    assert outbox_job_ids(sessions) == [] and created_orders(sessions) == []
    done = run_job(uow, site, job.stored_id, ctx(UNTIL), owner="w2")
    assert done.state is JobState.SUCCEEDED
    assert outbox_job_ids(sessions) == [job.id]
    assert job_rows(sessions)[0].lease_owner == "w2"


def test_a_worker_does_not_run_a_job_it_does_not_hold(uow, sessions):
    queued, claimed = queued_jobs(uow, sessions, restores=2)
    with uow() as u:
        u.jobs.claim("w1", NOW, UNTIL, 1)  # the first only
        u.commit()

    assert run_job(uow, EmbeddedSalesSite(sessions), claimed.stored_id, ctx(), owner="w1").state \
        is JobState.QUEUED
    assert run_job(uow, EmbeddedSalesSite(sessions), queued.stored_id, ctx(), owner="w2").state \
        is JobState.RUNNING
    assert outbox_job_ids(sessions) == []


def test_running_a_claimed_job_again_makes_no_second_packing_number_or_message(uow, sessions):
    job, = queued_jobs(uow, sessions, resyncs=1)
    claim(uow, "w1")
    site = EmbeddedSalesSite(sessions)

    first = run_job(uow, site, job.stored_id, ctx(), owner="w1")
    second = run_job(uow, site, job.stored_id, ctx(NOW + timedelta(minutes=1)), owner="w1")

    assert first == second and first.state is JobState.SUCCEEDED
    assert created_orders(sessions) == [(job.id, first.result_packing_no)]
    assert outbox_job_ids(sessions) == [job.id]


def test_two_workers_claiming_from_one_queue_never_get_the_same_job(databases):
    db = databases[0]
    jobs = queued_jobs(db.uow, db.sessions, restores=120)

    def claim_all(database: Database, owner: str):
        ids = []
        while batch := claim(database.uow, owner, limit=3):
            ids += [j.id for j in batch]
        return ids

    first, second = together(lambda: claim_all(databases[0], "w1"),
                               lambda: claim_all(databases[1], "w2"))

    assert not set(first) & set(second)
    assert sorted(first + second) == [j.id for j in jobs]
    owners = {r.id: r.lease_owner for r in job_rows(db.sessions)}
    assert all(owners[i] == "w1" for i in first) and all(owners[i] == "w2" for i in second)


@pytest.mark.parametrize("action", [Action.RESYNC, Action.RESTORE])
@pytest.mark.parametrize("owner", [None, "w1"], ids=["unleased", "leased"])
def test_two_runs_of_one_job_finishing_at_once_write_one_result(databases, action, owner):
    db = databases[0]
    kind: dict[str, Any] = {"resyncs": 1} if action is Action.RESYNC else {"restores": 1}
    job, = queued_jobs(db.uow, db.sessions, **kind)
    if owner:
        claim(db.uow, owner)
    both_started = threading.Barrier(2, timeout=30)

    def finish_together(database: Database):
        calls = threading.local()

        def uow():  # the second unit of work of a run is its finish
            calls.n = getattr(calls, "n", 0) + 1
            if calls.n == 2:
                both_started.wait()
            return database.uow()
        site = EmbeddedSalesSite(database.sessions)
        return lambda: run_job(uow, site, job.stored_id, ctx(), owner)

    results = together(*[finish_together(d) for d in databases])

    assert not [r for r in results if isinstance(r, Exception)], results
    assert results[0] == results[1] and results[0].state is JobState.SUCCEEDED
    assert outbox_job_ids(db.sessions) == [job.id]
    made = created_orders(db.sessions)
    assert made == ([(job.id, results[0].result_packing_no)] if action is Action.RESYNC else [])
    assert count(db.sessions, AuditRow, AuditRow.kind == "succeeded") == 1
    assert count(db.sessions, JobRow, JobRow.state == "running") == 0


def test_a_job_that_stopped_its_worker_three_times_fails_as_a_server_error(uow, sessions):
    job, = queued_jobs(uow, sessions, resyncs=1)
    now = NOW
    for _ in range(execution.MAX_ATTEMPTS):
        claim(uow, "crashing", now=now)  # each worker dies without finishing
        now += LEASE
        with uow() as u:
            execution.reclaim_expired(u, now)

    with uow() as u:
        failed = u.jobs.get(job.id)
        order = u.orders.get(job.packing_no)
    assert (failed.state, failed.attempts) == (JobState.FAILED, execution.MAX_ATTEMPTS)
    assert "stopped 3 times without finishing" in failed.failure.describe()
    assert failed.failure.retryable and order.recovery.value == "failed_retry"
    assert outbox_job_ids(sessions) == [job.id]
    assert claim(uow, "w2", now=now) == []
    with uow() as u:  # Failed to Resync, listed so, and a new request is accepted
        listed = u.orders.page(ListQuery(status=Status.FAILED_TO_RESYNC), ctx(now)).items
        assert [i.order.packing_no for i in listed] == [job.packing_no]
        again = submit_request(u, [job.packing_no], Action.RESYNC, "UREQUESTER", "", ctx(now))
    assert again.jobs[0].prior_recovery is Recovery.FAILED_RETRY
