"""Approved jobs carried out by the order service: handed over, polled until final, and
written to the book and the thread as a job run in cancelbot's own book writes them."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.composition import background, open_store
from bot.config import Settings
from domain.errors import ActiveRequestExists, RequestNotAllowed
from domain.failures import Failure, FailureCode
from domain.lookup import look_up
from domain.model import Action, Category, OrderState, Recovery, Stage
from domain.requests import Job, JobState
from domain.status import Status
from domain.workflow import submit_request
from store.uow import session_factory
from tests.integration.builders import NOW, Database, active, add_orders, ctx
from tests.integration.job_support import Clock, created_orders, job_rows, queued_jobs
from tests.integration.remote_support import (
    POLL,
    audit_kinds,
    database_id,
    remote_worker,
    results,
)
from tests.order_service import TOKEN, OrderServiceStandIn

NEW_NO = "SSP2611280001"


@pytest.fixture
def db(db_url) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def service() -> Iterator[OrderServiceStandIn]:
    with OrderServiceStandIn() as running:
        yield running


def job_now(db, job_id):
    with db.uow() as u:
        return u.jobs.get(job_id)


def status_of(db, packing_no, at=NOW):
    with db.uow() as u:
        return look_up(u, packing_no, ctx(at)).status.status


def test_an_approved_resync_is_posted_once_polled_and_ends_with_the_new_packing_number(
        db, service):
    job, = queued_jobs(db.uow, db.sessions, resyncs=1)
    service.script(job.packing_no, pending_looks=2, new_packing_no=NEW_NO)
    clock = Clock()
    worker = remote_worker(db, service, clock)

    assert worker.run_due() == 1

    [post] = service.calls("POST")
    assert post.body == {"action": "resync", "packing_no": job.packing_no,
                         "idempotency_key": f"cancelbot-job-{job.id}-{database_id(db)}"}
    waiting = job_now(db, job.id)
    assert (waiting.state, waiting.recovery_id, waiting.next_poll_at) == (
        JobState.WAITING, "rcv-1", NOW + POLL)
    assert status_of(db, job.packing_no) is Status.RESYNCING and results(db) == []
    for _ in range(3):
        clock.advance(POLL)
        worker.run_due()

    done = job_now(db, job.id)
    assert (done.state, done.result_packing_no) == (JobState.SUCCEEDED, NEW_NO)
    assert (len(service.calls("POST")), len(service.calls("GET"))) == (1, 3)
    [result] = results(db)
    assert (result.status, result.packing_no, result.result_packing_no) == (
        "Resynced", job.packing_no, NEW_NO)
    with db.uow() as u:
        new, old = u.orders.get(NEW_NO), u.orders.get(job.packing_no)
        card = look_up(u, job.packing_no, ctx(clock()))
    assert (new.state, new.stage, new.resynced_from) == (
        OrderState.ACTIVE, Stage.CONFIRMATION, job.packing_no)
    assert (old.superseded_by, card.status.status, card.successor.packing_no) == (
        NEW_NO, Status.RESYNCED, NEW_NO)
    assert created_orders(db.sessions) == [(job.id, NEW_NO)]
    assert audit_kinds(db, job.stored_id) == [
        "requested", "approved", "sent", "succeeded", "created"]


def test_an_approved_restore_done_by_the_service_keeps_the_packing_number(db, service):
    job, = queued_jobs(db.uow, db.sessions, restores=1)
    clock = Clock()
    worker = remote_worker(db, service, clock)
    worker.run_due()
    clock.advance(POLL)
    worker.run_due()  # pending
    clock.advance(POLL)
    worker.run_due()

    assert service.calls("POST")[0].body["action"] == "restore"
    [result] = results(db)
    assert (result.status, result.result_packing_no) == ("Recovered", job.packing_no)
    with db.uow() as u:
        order = u.orders.get(job.packing_no)
    assert (order.state, order.stage, order.recovery) == (
        OrderState.ACTIVE, Stage.CONFIRMATION, Recovery.DONE)
    assert created_orders(db.sessions) == []


@pytest.mark.parametrize("code", list(FailureCode), ids=lambda c: c.value)
def test_each_failure_the_service_reports_is_the_same_plain_words_result(db, service, code):
    job, = queued_jobs(db.uow, db.sessions, resyncs=1)
    service.script(job.packing_no, pending_looks=0, failure=code.value, detail="seen at 10:02")
    clock = Clock()
    worker = remote_worker(db, service, clock)
    worker.run_due()
    clock.advance(POLL)
    worker.run_due()

    done = job_now(db, job.id)
    assert (done.state, done.failure) == (JobState.FAILED, Failure(code, "seen at 10:02"))
    [result] = results(db)
    assert result.status == "Failed to Resync"
    assert result.reason == Failure(code, "seen at 10:02").describe()
    assert result.retryable is code.retryable
    with db.uow() as u:
        order = u.orders.get(job.packing_no)
    assert order.recovery is Recovery.FAILED_RETRY and order.superseded_by is None
    moved = code is FailureCode.CANCELLED_AT_SALES_SITE
    assert (order.category is Category.SITE) is moved


def test_a_restore_the_service_refuses_for_a_duplicate_names_the_duplicates(db, service):
    job, = queued_jobs(db.uow, db.sessions, restores=1)
    service.script(job.packing_no, pending_looks=0, failure="duplicate_alive",
                   detail="duplicates: ACC000777")
    clock = Clock()
    worker = remote_worker(db, service, clock)
    worker.run_due()
    clock.advance(POLL)
    worker.run_due()

    [result] = results(db)
    assert result.status == "Failed to Recover"
    assert "active duplicate of the order exists (duplicates: ACC000777)" in str(result.reason)
    assert status_of(db, job.packing_no, clock()) is Status.FAILED_TO_RECOVER


def test_server_errors_are_asked_again_later_and_later_and_the_key_starts_one_recovery(
        db, service):
    job, = queued_jobs(db.uow, db.sessions, resyncs=1)
    service.script(job.packing_no, pending_looks=0, new_packing_no=NEW_NO)
    service.fault_next(2, status=503)
    clock = Clock()
    worker = remote_worker(db, service, clock)

    worker.run_due()
    first = job_now(db, job.id)
    assert (first.recovery_id, first.service_errors, first.last_error) == (
        None, 1, "the order service answered 503")
    assert first.next_poll_at == NOW + 2 * POLL
    worker.run_due()  # not due yet: nothing is asked
    assert len(service.calls()) == 1
    clock.advance(2 * POLL)
    worker.run_due()
    assert job_now(db, job.id).next_poll_at == clock() + 4 * POLL  # backed off further
    clock.advance(4 * POLL - timedelta(seconds=1))
    worker.run_due()
    assert len(service.calls()) == 2
    clock.advance(timedelta(seconds=1))
    worker.run_due()
    accepted = job_now(db, job.id)
    assert (accepted.recovery_id, accepted.service_errors, accepted.last_error) == (
        "rcv-1", 0, "")
    clock.advance(POLL)
    worker.run_due()

    assert job_now(db, job.id).state is JobState.SUCCEEDED
    keys = {c.body["idempotency_key"] for c in service.calls("POST")}
    assert len(service.calls("POST")) == 3 and len(keys) == 1
    assert len(service.recoveries()) == 1 and len(results(db)) == 1


def test_a_post_whose_answer_was_lost_is_sent_again_and_names_the_same_recovery(db, service):
    job, = queued_jobs(db.uow, db.sessions, resyncs=1)
    service.fault_next(lose_answer=True)
    clock = Clock()
    worker = remote_worker(db, service, clock)

    worker.run_due()
    assert job_now(db, job.id).recovery_id is None
    assert "could not reach the order service" in job_now(db, job.id).last_error
    clock.advance(2 * POLL)
    worker.run_due()

    assert job_now(db, job.id).recovery_id == "rcv-1"
    assert [r.id for r in service.recoveries()] == ["rcv-1"]
    assert audit_kinds(db, job.stored_id).count("sent") == 1


def test_a_recovery_still_pending_after_the_timeout_fails_as_a_server_error(db, service):
    job, = queued_jobs(db.uow, db.sessions, resyncs=1)
    service.script(job.packing_no, pending_looks=10**6)
    clock = Clock()
    worker = remote_worker(db, service, clock)
    worker.run_due()

    clock.advance(timedelta(hours=24) - POLL)
    worker.run_due()
    assert job_now(db, job.id).state is JobState.WAITING
    clock.advance(POLL)  # 24 hours after the hand-over
    worker.run_due()

    done = job_now(db, job.id)
    assert done.failure == Failure(
        FailureCode.SERVER_ERROR,
        "the order service had not finished recovery rcv-1 24 hours after cancelbot asked for it")
    [result] = results(db)
    assert (result.status, result.retryable) == ("Failed to Resync", True)
    assert status_of(db, job.packing_no, clock()) is Status.FAILED_TO_RESYNC
    with db.uow() as u:  # a new request is allowed
        assert submit_request(u, [job.packing_no], Action.RESYNC, "UREQUESTER", "",
                              ctx(clock())).jobs


def test_a_service_that_never_answers_fails_the_job_after_the_timeout_with_its_error(
        db, service):
    job, = queued_jobs(db.uow, db.sessions, restores=1)
    service.fault_next(1000, status=502)
    clock = Clock()
    worker = remote_worker(db, service, clock)
    worker.run_due()

    clock.advance(timedelta(hours=24))
    worker.run_due()

    assert job_now(db, job.id).failure.detail == (
        "the order service had not finished the recovery 24 hours after cancelbot asked for "
        "it; last error: the order service answered 502")
    assert results(db)[0].status == "Failed to Recover"


def test_an_answer_about_another_order_is_never_written_to_the_book(db, service):
    job, = queued_jobs(db.uow, db.sessions, resyncs=1)
    clock = Clock()
    worker = remote_worker(db, service, clock)
    worker.run_due()
    service.fault_next(status=200, body=(
        b'{"id": "rcv-1", "state": "succeeded", "packing_no": "QSP0000000009", '
        b'"new_packing_no": "SSP0000009"}'))
    clock.advance(POLL)
    worker.run_due()

    wrong = job_now(db, job.id)
    assert (wrong.state, wrong.service_errors) == (JobState.WAITING, 1)
    assert "is for packing number QSP0000000009, not " + job.packing_no in wrong.last_error
    assert results(db) == [] and created_orders(db.sessions) == []


def test_a_job_whose_window_closed_before_it_ran_fails_without_asking_the_service(db, service):
    job, = queued_jobs(db.uow, db.sessions, resyncs=1)
    worker = remote_worker(db, service, Clock(NOW + timedelta(days=14)))

    worker.run_due()

    assert job_now(db, job.id).failure_code is FailureCode.WINDOW_CLOSED
    assert service.calls() == [] and results(db)[0].status == "Failed to Resync"


def test_a_new_order_already_in_the_book_is_linked_to_the_resync_not_made_again(db, service):
    job, = queued_jobs(db.uow, db.sessions, resyncs=1)
    service.script(job.packing_no, pending_looks=0, new_packing_no=NEW_NO)
    clock = Clock()
    worker = remote_worker(db, service, clock)
    worker.run_due()
    add_orders(db.uow, active(NEW_NO, Stage.CONFIRMATION))  # Smartship's copy came first
    clock.advance(POLL)
    worker.run_due()

    with db.uow() as u:
        new = u.orders.get(NEW_NO)
    assert (new.resynced_from, new.created_by_job) == (job.packing_no, job.id)
    assert results(db)[0].result_packing_no == NEW_NO
    assert status_of(db, job.packing_no, clock()) is Status.RESYNCED


def test_a_waiting_job_holds_its_order_so_no_second_request_is_made(db, service):
    job, = queued_jobs(db.uow, db.sessions, resyncs=1)
    remote_worker(db, service, Clock()).run_due()

    with db.uow() as u, pytest.raises(RequestNotAllowed, match="Resyncing; there is nothing"):
        submit_request(u, [job.packing_no], Action.RESYNC, "UREQUESTER", "", ctx())
    with db.uow() as u, pytest.raises(ActiveRequestExists):  # the database's own guard
        u.jobs.add(Job(job.request_id, job.order_id, job.packing_no, Action.RESYNC,
                       JobState.QUEUED, created_at=NOW))
    assert [r.state for r in job_rows(db.sessions)] == ["waiting"]


def test_the_worker_of_cancelbot_run_and_worker_hands_jobs_over_when_the_url_is_set(
        db_url, service):
    settings = Settings.from_env({
        "DATABASE_URL": db_url, "CANCELBOT_RECOVERY_API_URL": service.base_url,
        "CANCELBOT_RECOVERY_API_TOKEN": TOKEN})
    store = open_store(settings)
    try:
        job, = queued_jobs(store.uow, session_factory(store.engine), restores=1)
        worker, _ = background(settings, store)
        worker.run_due()
    finally:
        store.close()

    [post] = service.calls("POST")
    assert (post.body["packing_no"], post.headers["Authorization"]) == (
        job.packing_no, f"Bearer {TOKEN}")


def test_without_the_url_the_worker_runs_jobs_in_cancelbots_book(db_url, service):
    store = open_store(Settings.from_env({"DATABASE_URL": db_url}))
    try:
        job, = queued_jobs(store.uow, session_factory(store.engine), restores=1)
        worker, _ = background(Settings.from_env({"DATABASE_URL": db_url}), store)
        worker.run_due()
        with store.uow() as u:
            assert u.jobs.get(job.stored_id).state is JobState.SUCCEEDED
    finally:
        store.close()
    assert store.recoveries is None and service.calls() == []
