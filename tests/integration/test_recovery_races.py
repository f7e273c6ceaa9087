"""Two workers on one database and one order service: each recovery is posted once (or again
under the same key, which names the same recovery) and its result written once."""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator

import pytest

from domain.model import Action
from domain.requests import JobState
from domain.services import RecoveryAsk, RemoteRecovery
from store.models import AuditRow, JobRow
from tests.conftest import new_database_url
from tests.integration.builders import Database
from tests.integration.job_support import Clock, count, created_orders, job_rows, queued_jobs
from tests.integration.remote_support import LEASE, POLL, audit_kinds, remote_worker, results
from tests.order_service import OrderServiceStandIn, Script
from tests.races import together


@pytest.fixture
def databases(db_url) -> Iterator[list[Database]]:
    """Two engines of their own on one fresh database, as two bot instances would have."""
    dbs = [Database(db_url), Database(db_url)]
    yield dbs
    for db in dbs:
        db.dispose()


@pytest.fixture
def service() -> Iterator[OrderServiceStandIn]:
    with OrderServiceStandIn() as running:
        running.default_script = Script(pending_looks=0)
        yield running


def test_two_workers_racing_over_many_jobs_post_each_once_and_write_each_result_once(
        databases, service):
    db = databases[0]
    jobs = queued_jobs(db.uow, db.sessions, resyncs=30, restores=30)
    clock = Clock()
    workers = [remote_worker(d, service, clock, owner=f"w{i}") for i, d in enumerate(databases)]

    for _ in range(2):  # hand over and post, then look once: every recovery is final
        outcomes = together(*[w.run_due for w in workers])
        assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
        clock.advance(POLL)

    assert {r.state for r in job_rows(db.sessions)} == {"succeeded"}
    posted = Counter(c.body["idempotency_key"] for c in service.calls("POST"))
    assert len(posted) == len(jobs) and set(posted.values()) == {1}
    looked = Counter(c.path for c in service.calls("GET"))
    assert len(looked) == len(jobs) and set(looked.values()) == {1}
    assert sorted(r.job_id for r in results(db)) == [j.id for j in jobs]
    assert len(created_orders(db.sessions)) == 30
    assert count(db.sessions, AuditRow, AuditRow.kind == "succeeded") == len(jobs)
    assert count(db.sessions, AuditRow, AuditRow.kind == "sent") == len(jobs)


def test_two_workers_polling_one_waiting_job_at_once_ask_once_and_settle_once(
        databases, service):
    db = databases[0]
    job, = queued_jobs(db.uow, db.sessions, resyncs=1)
    clock = Clock()
    first, second = [remote_worker(d, service, clock, owner=f"w{i}")
                     for i, d in enumerate(databases)]
    first.run_due()  # handed over and posted
    clock.advance(POLL)
    both_claiming = threading.Barrier(2, timeout=30)

    def poll(worker):
        both_claiming.wait()  # released together, into the same claim
        return worker.polling.poll_due(threading.Event())

    looked = together(lambda: poll(first), lambda: poll(second))

    assert sorted(looked) == [0, 1]
    assert len(service.calls("GET")) == 1 and len(service.calls("POST")) == 1
    assert [r.job_id for r in results(db)] == [job.id]
    assert audit_kinds(db, job.stored_id).count("succeeded") == 1


def test_a_poller_whose_lease_was_taken_over_mid_call_writes_nothing(databases, service):
    db = databases[0]
    job, = queued_jobs(db.uow, db.sessions, resyncs=1)
    clock = Clock()
    stalled = remote_worker(databases[0], service, clock, owner="stalled", timeout=60)
    taker = remote_worker(databases[1], service, clock, owner="taker")
    stalled.run_due()  # handed over and posted
    clock.advance(POLL)
    service.fault_next(hang=True)  # the stalled worker's look gets its answer only later
    runner = threading.Thread(target=stalled.run_due)
    runner.start()
    service.wait_for(lambda: service.calls("GET"))

    clock.advance(LEASE)  # its lease runs out while it waits
    taker.run_due()
    assert [r.state for r in job_rows(db.sessions)] == ["succeeded"]
    service.let_go.set()  # now the stalled worker gets its (final) answer
    runner.join(30)

    assert not runner.is_alive()
    assert len(service.calls("GET")) == 2
    assert [r.job_id for r in results(db)] == [job.id]
    assert len(created_orders(db.sessions)) == 1
    assert count(db.sessions, JobRow, JobRow.lease_owner == "taker") == 1
    assert audit_kinds(db, job.stored_id).count("succeeded") == 1


class WorkerDied(BaseException):
    """The process ended right after the service took the POST (not an error it handles)."""


class DiesAfterPosting:
    """The order service as the dying worker reaches it: the POST arrives, the worker dies."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.timeout = inner.timeout

    def start(self, ask: RecoveryAsk) -> RemoteRecovery:
        self.inner.start(ask)
        raise WorkerDied()

    def status(self, recovery_id: str) -> RemoteRecovery:
        return self.inner.status(recovery_id)


def test_a_job_taken_over_from_a_worker_that_died_after_posting_starts_no_second_recovery(
        databases, service):
    db = databases[0]
    job, = queued_jobs(db.uow, db.sessions, restores=1)
    clock = Clock()
    dying = remote_worker(databases[0], service, clock, owner="dying")
    dying.polling.service = DiesAfterPosting(dying.polling.service)
    with pytest.raises(WorkerDied):
        dying.run_due()
    assert len(service.recoveries()) == 1
    assert job_rows(db.sessions)[0].recovery_id is None  # it died before writing it down

    successor = remote_worker(databases[1], service, clock, owner="successor")
    successor.run_due()
    assert len(service.calls("POST")) == 1  # the dead worker's lease still runs
    clock.advance(LEASE)
    successor.run_due()  # takes the job over: posts again, under the same key
    clock.advance(POLL)
    successor.run_due()

    first, again = service.calls("POST")
    assert first.body == again.body
    assert [r.id for r in service.recoveries()] == ["rcv-1"]
    row, = job_rows(db.sessions)
    assert (row.state, row.recovery_id, row.lease_owner) == (
        JobState.SUCCEEDED.value, "rcv-1", "successor")
    assert [r.status for r in results(db)] == ["Recovered"]


def test_a_recovery_asked_for_by_two_databases_gets_two_keys(tmp_path, service):
    urls = [new_database_url("sqlite", str(tmp_path))[0] for _ in range(2)]
    dbs = [Database(url) for url in urls]
    try:
        for db in dbs:
            queued_jobs(db.uow, db.sessions, restores=1)
            remote_worker(db, service, Clock()).run_due()
    finally:
        for db in dbs:
            db.dispose()

    keys = [c.body["idempotency_key"] for c in service.calls("POST")]
    assert len(set(keys)) == 2 and all(k.startswith("cancelbot-job-1-") for k in keys)
    assert len(service.recoveries()) == 2
    assert {c.body["action"] for c in service.calls("POST")} == {Action.RESTORE.value}


class GatedService:
    """The order service, whose answers to GETs wait until the test opens the gate."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.timeout = inner.timeout
        self.entered = threading.Event()
        self.gate = threading.Event()

    def start(self, ask: RecoveryAsk) -> RemoteRecovery:
        return self.inner.start(ask)

    def status(self, recovery_id: str) -> RemoteRecovery:
        self.entered.set()
        assert self.gate.wait(30), "the test never opened the gate"
        return self.inner.status(recovery_id)


def test_a_worker_told_to_stop_mid_poll_finishes_its_look_and_gives_back_the_rest(
        databases, service):
    db = databases[0]
    jobs = queued_jobs(db.uow, db.sessions, restores=2)
    clock = Clock()
    stopping = remote_worker(db, service, clock, owner="stopping")
    stopping.run_due()  # both handed over and posted
    clock.advance(POLL)
    gated = stopping.polling.service = GatedService(stopping.polling.service)
    runner = threading.Thread(target=stopping.run_due)
    runner.start()
    assert gated.entered.wait(30)

    assert stopping.stop(timeout=0) is False  # busy with its first look
    gated.gate.set()
    runner.join(30)

    assert stopping.stop(timeout=0) is True
    first, second = job_rows(db.sessions)
    assert (first.state, second.state) == ("succeeded", "waiting")
    assert (second.lease_owner, second.lease_expires_at) == ("stopping", None)  # given back
    other = remote_worker(databases[1], service, clock, owner="other")
    other.run_due()  # takes it at once, without waiting for a lease to run out
    assert [r.job_id for r in results(db)] == [j.id for j in jobs]
