"""Running an approved job: the sales site is read once, the result is written once."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from domain import execution
from domain.errors import RequestNotAllowed
from domain.failures import Failure, FailureCode
from domain.lookup import look_up
from domain.model import (
    Action,
    CancelledBy,
    Category,
    OrderState,
    Origin,
    Recovery,
    Stage,
    normalize_packing_no,
)
from domain.model import (
    SalesOrderStatus as SOS,
)
from domain.requests import JobState
from domain.status import Status
from tests.unit.fakes import (
    API_NO,
    CANCELLED_AT,
    EXCEL_NO,
    T_RUN,
    FakeUnitOfWork,
    active,
    approved_job,
    cancelled,
    ctx,
    run,
    seeded_uow,
    site,
    submit,
)

SEEDED = 4


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return seeded_uow()


def status(uow, packing_no, at=T_RUN):
    return look_up(uow, packing_no, ctx(at)).status.status


def payloads(uow):
    return [m.payload for m in uow.committed.outbox]


def test_resync_gives_a_new_packing_no_and_the_old_one_points_to_it(uow):
    sales_site = site()
    job = run(uow, approved_job(uow), sales_site)
    new_no = job.result_packing_no
    assert job.state is JobState.SUCCEEDED and job.attempts == 1 and job.finished_at == T_RUN
    assert new_no != API_NO and normalize_packing_no(new_no) == new_no
    old, new = uow.orders.get(API_NO), uow.orders.get(new_no)
    assert (old.state, old.superseded_by, old.recovery) == (
        OrderState.CANCELLED, new_no, Recovery.DONE)
    assert (new.state, new.stage, new.resynced_from, new.created_by_job) == (
        OrderState.ACTIVE, Stage.CONFIRMATION, API_NO, job.id)
    assert sales_site.fetched == [("tmon", f"SO-{API_NO}")]
    events = uow.audit.for_packing_nos([API_NO, new_no])
    assert [(e.kind, e.packing_no, e.detail) for e in events[-2:]] == [
        ("succeeded", API_NO, f"packing number {new_no}"),
        ("created", new_no, f"resynced from {API_NO}"),
    ]
    assert payloads(uow) == [{
        "job_id": job.id, "action": "resync", "status": "Resynced", "packing_no": API_NO,
        "result_packing_no": new_no, "failure_code": None, "reason": None, "retryable": None,
    }]
    assert uow.committed.outbox[0].request_id == job.request_id


def test_running_the_same_job_twice_makes_no_second_packing_no_or_message(uow):
    sales_site, job_id = site(), approved_job(uow)
    first = run(uow, job_id, sales_site)
    second = run(uow, job_id, sales_site, at=T_RUN + timedelta(minutes=5))
    assert second == first
    assert uow.packing_numbers.allocated == [first.result_packing_no]
    assert len(uow.committed.orders) == SEEDED + 1
    assert len(uow.committed.outbox) == 1 and len(sales_site.fetched) == 1


def test_job_handed_back_after_its_order_was_made_reuses_that_order(uow):
    job = run(uow, approved_job(uow), site())
    # a store that lost the job's result but kept the order the job made
    uow.jobs.update(replace(job, state=JobState.RUNNING, result_packing_no=None))
    uow.orders.update(replace(uow.orders.get(API_NO), superseded_by=None,
                              recovery=Recovery.IN_PROGRESS))
    uow.commit()
    again = run(uow, job.id, site())
    assert again.state is JobState.SUCCEEDED and again.result_packing_no == job.result_packing_no
    assert uow.packing_numbers.allocated == [job.result_packing_no]
    assert len(uow.committed.orders) == SEEDED + 1
    assert uow.orders.get(API_NO).superseded_by == job.result_packing_no
    assert status(uow, API_NO) is Status.RESYNCED


def test_job_whose_worker_died_while_running_is_finished_by_the_next(uow):
    job_id = approved_job(uow)
    with uow:
        execution.start(uow, job_id)  # the worker that claimed it never came back
    assert uow.jobs.get(job_id).state is JobState.RUNNING
    job = run(uow, job_id, site())
    assert job.state is JobState.SUCCEEDED and job.attempts == 1


def test_job_awaiting_approval_does_not_run(uow):
    sales_site = site()
    submitted = submit(uow, API_NO)
    job = run(uow, submitted.jobs[0].stored_id, sales_site)
    assert job.state is JobState.AWAITING_APPROVAL
    assert sales_site.fetched == [] and uow.committed.outbox == []


def test_unknown_job_does_nothing(uow):
    assert run(uow, 999, site()) is None
    assert uow.committed.outbox == []


@pytest.mark.parametrize(
    "sales_status, code",
    [
        (SOS.CLAIM, FailureCode.ON_CLAIM),
        (SOS.IN_DELIVERY, FailureCode.IN_DELIVERY),
        (SOS.MISSING, FailureCode.SALES_ORDER_NOT_FOUND),
        (None, FailureCode.SALES_ORDER_NOT_FOUND),
    ],
    ids=["claim", "in_delivery", "missing", "no-row"],
)
def test_failed_resync_leaves_the_order_failed_to_resync_and_open_to_a_new_request(
    uow, sales_status, code
):
    job = run(uow, approved_job(uow), site(sales_status))
    assert (job.state, job.failure_code, job.result_packing_no) == (JobState.FAILED, code, None)
    assert len(uow.committed.orders) == SEEDED and uow.orders.get(API_NO).superseded_by is None
    assert status(uow, API_NO) is Status.FAILED_TO_RESYNC
    assert payloads(uow) == [{
        "job_id": job.id, "action": "resync", "status": "Failed to Resync", "packing_no": API_NO,
        "result_packing_no": None, "failure_code": code.value,
        "reason": Failure(code).describe(), "retryable": True,
    }]
    assert uow.audit.for_packing_nos([API_NO])[-1].kind == "failed"
    assert submit(uow, API_NO).jobs[0].prior_recovery is Recovery.FAILED_RETRY


def test_resync_finding_the_sales_order_cancelled_moves_the_order_to_sales_site_order_cancel(uow):
    job = run(uow, approved_job(uow), site(SOS.CANCELLED))
    assert (job.state, job.failure_code) == (JobState.FAILED, FailureCode.CANCELLED_AT_SALES_SITE)
    order = uow.orders.get(API_NO)
    assert (order.category, order.cancelled_by, order.state) == (
        Category.SITE, CancelledBy.SALES_SITE, OrderState.CANCELLED)
    assert status(uow, API_NO) is Status.NO_ACTION
    message = payloads(uow)[0]
    assert (message["status"], message["retryable"]) == ("Failed to Resync", False)
    assert "moved to the Sales Site Order Cancel tab" in message["reason"]
    with pytest.raises(RequestNotAllowed, match="cancelled this order at the sales site"):
        submit(uow, API_NO)


def test_resync_not_found_names_the_date_mismatch_as_likely_cause():
    uow = FakeUnitOfWork(cancelled(API_NO, payment_at=CANCELLED_AT - timedelta(days=1)))
    job = run(uow, approved_job(uow), site(None))
    assert job.failure_detail == ("likely cause: cancellation and payment fall on different "
                                  "days, cancelled on 2026-11-06 but paid on 2026-11-05")
    assert "likely cause" in payloads(uow)[0]["reason"]


def test_sales_site_server_error_fails_the_resync_and_allows_a_new_request(uow):
    job = run(uow, approved_job(uow), site(unavailable=True))
    assert (job.failure_code, job.failure_detail) == (
        FailureCode.SERVER_ERROR, "503 Service Unavailable")
    assert payloads(uow)[0]["retryable"] is True
    assert payloads(uow)[0]["reason"].startswith(
        "A server error stopped the job (503 Service Unavailable). "
        "Check the order status on the sales site")
    assert status(uow, API_NO) is Status.FAILED_TO_RESYNC
    assert submit(uow, API_NO).jobs[0].prior_recovery is Recovery.FAILED_RETRY


@pytest.mark.parametrize(
    "packing_no, action, label, order_status",
    [
        (API_NO, Action.RESYNC, "Failed to Resync", Status.RESYNC_UNAVAILABLE),
        (EXCEL_NO, Action.RESTORE, "Failed to Recover", Status.UNRECOVERABLE),
    ],
)
def test_job_run_after_the_window_closed_fails_without_asking_the_sales_site(
    uow, packing_no, action, label, order_status
):
    sales_site, late = site(), CANCELLED_AT + timedelta(days=14, minutes=5)
    job = run(uow, approved_job(uow, packing_no, action), sales_site, at=late)
    assert job.failure_code is FailureCode.WINDOW_CLOSED and sales_site.fetched == []
    assert (payloads(uow)[0]["status"], payloads(uow)[0]["retryable"]) == (label, False)
    assert status(uow, packing_no, at=late) is order_status
    assert uow.orders.get(packing_no).state is OrderState.CANCELLED


def test_resync_when_the_site_is_no_longer_ready_fails_without_asking_it(uow):
    sales_site = site(not_ready=("tmon",))
    job = run(uow, approved_job(uow), sales_site)
    assert job.failure_code is FailureCode.SITE_NOT_READY and sales_site.fetched == []
    assert payloads(uow)[0]["status"] == "Failed to Resync"


def test_restore_keeps_the_packing_no_and_restarts_processing(uow):
    sales_site = site()
    before = uow.orders.get(EXCEL_NO)
    job = run(uow, approved_job(uow, EXCEL_NO, Action.RESTORE), sales_site)
    assert (job.state, job.result_packing_no) == (JobState.SUCCEEDED, EXCEL_NO)
    after = uow.orders.get(EXCEL_NO)
    assert (after.state, after.stage, after.recovery) == (
        OrderState.ACTIVE, Stage.CONFIRMATION, Recovery.DONE)
    # dated by the restore, so that a copy Smartship sent before it cannot undo it (rule 11)
    assert after.updated_at == T_RUN
    assert replace(after, state=before.state, stage=None, recovery=before.recovery,
                   updated_at=before.updated_at) == before
    assert sales_site.fetched == [] and len(uow.committed.orders) == SEEDED
    assert payloads(uow)[0]["status"] == "Recovered"
    assert payloads(uow)[0]["result_packing_no"] == EXCEL_NO
    assert [e.kind for e in uow.audit.for_packing_nos([EXCEL_NO])][-1] == "succeeded"


def test_restore_with_a_live_duplicate_fails_naming_it(uow):
    duplicate = active("ACC000009", origin=Origin.EXCEL, sales_site="interpark",
                       sales_order_no=f"SO-{EXCEL_NO}")
    with uow:
        uow.orders.add(duplicate)
        uow.commit()
    job = run(uow, approved_job(uow, EXCEL_NO, Action.RESTORE), site())
    assert (job.failure_code, job.failure_detail) == (
        FailureCode.DUPLICATE_ALIVE, "duplicates: ACC000009")
    message = payloads(uow)[0]
    assert message["status"] == "Failed to Recover" and "ACC000009" in message["reason"]
    assert status(uow, EXCEL_NO) is Status.FAILED_TO_RECOVER
    assert uow.orders.get(EXCEL_NO).state is OrderState.CANCELLED
    assert uow.orders.get("ACC000009").state is OrderState.ACTIVE
