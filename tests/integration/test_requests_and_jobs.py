"""Request, approve, reject and run on a real database, with the embedded sales site."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from domain.errors import (
    ActiveRequestExists,
    AlreadyDecided,
    RequestNotAllowed,
    SalesSiteUnavailable,
)
from domain.execution import run_job
from domain.failures import FailureCode
from domain.job_result import JOB_RESULT, JobResult
from domain.lookup import look_up
from domain.model import (
    Action,
    CancelledBy,
    Category,
    OrderState,
    Origin,
    Recovery,
    SalesOrderStatus,
    Stage,
)
from domain.ports import AuditEvent, ListQuery
from domain.requests import Job, JobState, Request
from domain.status import Status
from domain.workflow import (
    ApprovalPolicy,
    approve,
    reject,
    set_request_message,
    submit_request,
    withdraw_unposted,
)
from store.embedded_sales_site import EmbeddedSalesSite
from store.models import AuditRow, JobRow, OrderRow, OutboxRow, RequestRow
from tests.integration.builders import (
    NOW,
    SEOUL,
    active,
    add_orders,
    add_sales_orders,
    cancelled,
    ctx,
    sales_order_row,
)

POLICY = ApprovalPolicy(is_approver=lambda user: user.startswith("UAPPROVER"))
LATER = NOW + timedelta(minutes=5)


def _count(sessions, row_type) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(row_type))


def _outbox(sessions) -> list[OutboxRow]:
    with sessions() as session:
        return list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


def _results(sessions) -> list[JobResult]:
    """The job results in the outbox, read through the one decoder the thread notifier uses."""
    rows = _outbox(sessions)
    assert all(row.kind == JOB_RESULT for row in rows)
    return [JobResult.from_payload(row.payload) for row in rows]


def _approved_job(uow, packing_no: str, action: Action) -> Job:
    with uow() as u:
        submitted = submit_request(u, [packing_no], action, "UREQUESTER", "", ctx())
    with uow() as u:
        approve(u, submitted.request.stored_id, "UAPPROVER1", NOW, POLICY)
    return submitted.jobs[0]


def test_an_approved_resync_makes_a_new_packing_number_and_reports_it(uow, sessions):
    order, = add_orders(uow, cancelled("QSP2611230001"))
    add_sales_orders(sessions, sales_order_row(order, recipient="Lee Seojun", items="3x mug"))

    with uow() as u:
        submitted = submit_request(u, [" qsp2611230001 "], Action.RESYNC, "UREQUESTER",
                                   " please ", ctx())
    [job] = submitted.jobs
    assert job.state is JobState.AWAITING_APPROVAL
    with uow() as u:
        assert u.orders.get(order.packing_no).recovery is Recovery.AWAITING
        approved = approve(u, submitted.request.stored_id, "UAPPROVER1", NOW, POLICY)
    assert [j.state for j in approved.jobs] == [JobState.QUEUED]
    with uow() as u:
        assert look_up(u, order.packing_no, ctx()).status.status is Status.RESYNCING

    done = run_job(uow, EmbeddedSalesSite(sessions), job.stored_id, ctx(LATER))

    assert done.state is JobState.SUCCEEDED
    assert done.result_packing_no == "QSP2611260001"
    with uow() as u:
        old = u.orders.get(order.packing_no)
        new = u.orders.get("QSP2611260001")
        card = look_up(u, order.packing_no, ctx(LATER))
        request = u.requests.get(submitted.request.id)
    assert (old.superseded_by, old.recovery, old.state) == (
        "QSP2611260001", Recovery.DONE, OrderState.CANCELLED)
    assert (new.state, new.stage, new.resynced_from, new.created_by_job) == (
        OrderState.ACTIVE, Stage.CONFIRMATION, order.packing_no, job.id)
    assert (new.recipient, new.items) == ("Lee Seojun", "3x mug")  # later changes carried over
    assert card.status.status is Status.RESYNCED
    assert card.successor.packing_no == "QSP2611260001"
    assert (request.decided_by, request.note) == ("UAPPROVER1", "please")
    [message] = _outbox(sessions)
    assert message.request_id == submitted.request.id
    [result] = _results(sessions)
    assert (result.status, result.result_packing_no) == ("Resynced", "QSP2611260001")
    with uow() as u:
        kinds = [e.kind for e in u.audit.for_packing_nos([order.packing_no, new.packing_no])]
    assert kinds == ["requested", "approved", "succeeded", "created"]


def test_running_a_job_twice_makes_one_new_order_and_one_thread_message(uow, sessions):
    order, = add_orders(uow, cancelled("QSP2611230002"))
    add_sales_orders(sessions, sales_order_row(order))
    job = _approved_job(uow, order.packing_no, Action.RESYNC)
    site = EmbeddedSalesSite(sessions)

    first = run_job(uow, site, job.stored_id, ctx(LATER))
    second = run_job(uow, site, job.stored_id, ctx(LATER + timedelta(minutes=1)))

    assert first == second
    assert first.result_packing_no == "QSP2611260001"
    with sessions() as session:
        made = session.scalars(select(OrderRow.packing_no).where(
            OrderRow.resynced_from == order.packing_no)).all()
    assert made == ["QSP2611260001"]
    assert len(_outbox(sessions)) == 1


class _DownSalesSite:
    """A sales site that does not answer."""

    def fetch(self, sales_site: str, sales_order_no: str):
        raise SalesSiteUnavailable(f"{sales_site} sales site answered 503")

    def sites_not_ready(self) -> frozenset[str]:
        return frozenset()


# (packing number, action, sales order status or None for no row, a dead sales site, a live
# duplicate, the failure): every failure a job can meet inside the window
FAILURES = [
    ("QSP2611230003", Action.RESYNC, SalesOrderStatus.CLAIM, False, False, FailureCode.ON_CLAIM),
    ("QSP2611230013", Action.RESYNC, SalesOrderStatus.IN_DELIVERY, False, False,
     FailureCode.IN_DELIVERY),
    ("QSP2611230023", Action.RESYNC, SalesOrderStatus.MISSING, False, False,
     FailureCode.SALES_ORDER_NOT_FOUND),
    ("QSP2611230033", Action.RESYNC, None, False, False, FailureCode.SALES_ORDER_NOT_FOUND),
    ("QSP2611230043", Action.RESYNC, SalesOrderStatus.VALID, True, False,
     FailureCode.SERVER_ERROR),
    ("QSP2611230053", Action.RESTORE, None, False, True, FailureCode.DUPLICATE_ALIVE),
]


@pytest.mark.parametrize("packing_no, action, sales_status, site_down, duplicate, code", FAILURES,
                         ids=["claim", "in_delivery", "missing", "no-row", "server-error",
                              "duplicate"])
def test_after_any_failure_the_order_is_failed_listed_as_such_and_a_new_request_is_accepted(
        uow, sessions, packing_no, action, sales_status, site_down, duplicate, code):
    origin = Origin.API if action is Action.RESYNC else Origin.EXCEL
    order, *_ = add_orders(uow, cancelled(packing_no, origin=origin), *(
        [active("QSP2611240007", sales_order_no=f"SO-{packing_no}")] if duplicate else []))
    if sales_status:
        add_sales_orders(sessions, sales_order_row(order, sales_status))
    job = _approved_job(uow, order.packing_no, action)
    site = _DownSalesSite() if site_down else EmbeddedSalesSite(sessions)

    done = run_job(uow, site, job.stored_id, ctx(LATER))

    failed = Status.FAILED_TO_RESYNC if action is Action.RESYNC else Status.FAILED_TO_RECOVER
    assert (done.state, done.failure_code, done.result_packing_no) == (
        JobState.FAILED, code, None)
    [result] = _results(sessions)
    assert result.status == failed.label and result.retryable is True
    with uow() as u:
        card = look_up(u, order.packing_no, ctx(LATER))
        listed = u.orders.page(ListQuery(status=failed), ctx(LATER)).items
    assert card.status.status is failed and card.check.allowed
    assert [(i.order.packing_no, i.status) for i in listed] == [(order.packing_no, failed)]
    with uow() as u:
        again = submit_request(u, [order.packing_no], action, "UREQUESTER", "", ctx(LATER))
    assert again.jobs[0].prior_recovery is Recovery.FAILED_RETRY
    assert _count(sessions, OrderRow) == 1 + duplicate  # no new order


def test_a_resync_finding_the_sales_order_cancelled_moves_it_to_the_sales_site_cancel_tab(
        uow, sessions):
    order, = add_orders(uow, cancelled("QSP2611230063"))
    add_sales_orders(sessions, sales_order_row(order, SalesOrderStatus.CANCELLED))
    job = _approved_job(uow, order.packing_no, Action.RESYNC)

    done = run_job(uow, EmbeddedSalesSite(sessions), job.stored_id, ctx(LATER))

    assert done.failure_code is FailureCode.CANCELLED_AT_SALES_SITE
    [result] = _results(sessions)
    assert result.status == "Failed to Resync"
    assert "moved to the Sales Site Order Cancel tab" in (result.reason or "")
    with uow() as u:
        moved = u.orders.get(order.packing_no)
        card = look_up(u, order.packing_no, ctx(LATER))
        site_tab = u.orders.page(ListQuery(category=Category.SITE), ctx(LATER)).items
        api_tab = u.orders.page(ListQuery(category=Category.API), ctx(LATER)).items
    assert (moved.cancelled_by, moved.category, moved.state) == (
        CancelledBy.SALES_SITE, Category.SITE, OrderState.CANCELLED)
    assert card.status.status is Status.NO_ACTION and not card.check.allowed
    assert [i.order.packing_no for i in site_tab] == [order.packing_no] and api_tab == []
    with uow() as u, pytest.raises(RequestNotAllowed):
        submit_request(u, [order.packing_no], Action.RESYNC, "UREQUESTER", "", ctx(LATER))


def test_a_sales_order_paid_on_another_day_names_the_likely_cause(uow, sessions):
    order, = add_orders(uow, cancelled(
        "QSP2611230004", payment_at=datetime(2026, 11, 20, 23, 0, tzinfo=SEOUL)))
    job = _approved_job(uow, order.packing_no, Action.RESYNC)  # no sales order row at all

    done = run_job(uow, EmbeddedSalesSite(sessions), job.stored_id, ctx(LATER))

    assert done.failure_code is FailureCode.SALES_ORDER_NOT_FOUND
    assert "different days" in (_results(sessions)[0].reason or "")
    with uow() as u:  # retryable: a new request is allowed
        again = submit_request(u, [order.packing_no], Action.RESYNC, "UREQUESTER", "", ctx(LATER))
    assert again.jobs[0].prior_recovery is Recovery.FAILED_RETRY


def test_a_restore_keeps_the_packing_number_and_restarts_processing(uow, sessions):
    order, = add_orders(uow, cancelled("QSP2611230005", origin=Origin.EXCEL))
    job = _approved_job(uow, order.packing_no, Action.RESTORE)

    done = run_job(uow, EmbeddedSalesSite(sessions), job.stored_id, ctx(LATER))

    assert (done.state, done.result_packing_no) == (JobState.SUCCEEDED, order.packing_no)
    with uow() as u:
        back = u.orders.get(order.packing_no)
    assert (back.state, back.stage, back.recovery) == (
        OrderState.ACTIVE, Stage.CONFIRMATION, Recovery.DONE)
    assert back.updated_at == LATER  # dated, so an older copy from Smartship cannot undo it
    assert replace(back, state=order.state, stage=None, recovery=order.recovery,
                   updated_at=None) == order
    assert _results(sessions)[0].status == "Recovered"


def test_a_restore_with_a_live_duplicate_fails_naming_it(uow, sessions):
    order, _ = add_orders(uow, cancelled("QSP2611230006", origin=Origin.MANUAL),
                          active("QSP2611240007", sales_order_no="SO-QSP2611230006"))
    job = _approved_job(uow, order.packing_no, Action.RESTORE)

    done = run_job(uow, EmbeddedSalesSite(sessions), job.stored_id, ctx(LATER))

    assert done.failure_code is FailureCode.DUPLICATE_ALIVE
    assert "QSP2611240007" in done.failure_detail
    message = _outbox(sessions)[0].payload
    assert message["status"] == "Failed to Recover" and "QSP2611240007" in message["reason"]
    with uow() as u:
        assert u.orders.get(order.packing_no).state is OrderState.CANCELLED


def test_a_rejected_request_gives_the_order_back_its_status(uow, sessions):
    order, = add_orders(uow, cancelled("QSP2611230008", recovery=Recovery.FAILED_RETRY))
    with uow() as u:
        submitted = submit_request(u, [order.packing_no], Action.RESYNC, "UREQUESTER", "", ctx())
    with uow() as u:
        request_id = submitted.request.stored_id
        rejected = reject(u, request_id, "UAPPROVER2", " wrong order ", NOW, POLICY)

    assert [j.state for j in rejected.jobs] == [JobState.REJECTED]
    with uow() as u:
        assert u.orders.get(order.packing_no).recovery is Recovery.FAILED_RETRY
        request = u.requests.get(submitted.request.id)
        with pytest.raises(AlreadyDecided, match="rejected by UAPPROVER2"):
            approve(u, submitted.request.stored_id, "UAPPROVER1", NOW, POLICY)
    assert request.reject_reason == "wrong order"
    assert _outbox(sessions) == []


def test_a_second_request_for_the_same_order_is_refused_and_writes_nothing(uow, sessions):
    order, = add_orders(uow, cancelled("QSP2611230009"))
    with uow() as u:
        submit_request(u, [order.packing_no], Action.RESYNC, "UREQUESTER", "", ctx())
    before = [_count(sessions, t) for t in (RequestRow, JobRow, AuditRow)]

    with uow() as u, pytest.raises(RequestNotAllowed, match="already waiting"):
        submit_request(u, [order.packing_no], Action.RESYNC, "UOTHER", "", ctx())

    assert [_count(sessions, t) for t in (RequestRow, JobRow, AuditRow)] == before


def test_the_database_refuses_a_second_active_job_and_the_transaction_goes_on(uow, sessions):
    order, = add_orders(uow, cancelled("QSP2611230010"))
    with uow() as u:
        request = u.requests.add(Request(Action.RESYNC, "UREQUESTER", NOW))
        job = Job(request.stored_id, order.stored_id, order.packing_no, Action.RESYNC,
                  created_at=NOW)
        first = u.jobs.add(job)
        with pytest.raises(ActiveRequestExists, match="QSP2611230010 already has a request"):
            u.jobs.add(job)
        u.audit.record(AuditEvent(NOW, "UREQUESTER", "requested", order.packing_no,
                                  request.id, first.id))
        u.commit()

    with uow() as u:
        assert [j.id for j in u.jobs.for_order(order.id)] == [first.id]
        assert len(u.audit.for_packing_nos([order.packing_no])) == 1


def test_a_finished_job_frees_the_order_for_a_new_job(uow):
    order, = add_orders(uow, cancelled("QSP2611230011"))
    with uow() as u:
        submitted = submit_request(u, [order.packing_no], Action.RESYNC, "UREQUESTER", "", ctx())
    with uow() as u:
        reject(u, submitted.request.stored_id, "UAPPROVER1", "", NOW, POLICY)
    with uow() as u:
        again = submit_request(u, [order.packing_no], Action.RESYNC, "UREQUESTER", "", ctx())
        states = [j.state for j in u.jobs.for_order(order.id)]
    assert states == [JobState.REJECTED, JobState.AWAITING_APPROVAL]
    assert again.jobs[0].id != submitted.jobs[0].id


def test_the_database_refuses_a_request_the_order_check_missed_and_nothing_is_written(
        uow, sessions):
    order, = add_orders(uow, cancelled("QSP2611230012"))
    with uow() as u:
        submit_request(u, [order.packing_no], Action.RESYNC, "UREQUESTER", "", ctx())
    with uow() as u:  # as a racing request sees it: the order not yet marked awaiting
        u.orders.update(replace(u.orders.get(order.packing_no), recovery=Recovery.NONE))
        u.commit()
    before = [_count(sessions, t) for t in (RequestRow, JobRow, AuditRow)]

    with uow() as u, pytest.raises(ActiveRequestExists):
        submit_request(u, [order.packing_no], Action.RESYNC, "UOTHER", "", ctx())

    assert [_count(sessions, t) for t in (RequestRow, JobRow, AuditRow)] == before


def test_requests_never_posted_are_found_and_withdrawn_on_the_database(uow):
    add_orders(uow, cancelled("QSP2611230031"), cancelled("QSP2611230032"),
               cancelled("QSP2611230033"))
    with uow() as u:
        lost = submit_request(u, ["QSP2611230031"], Action.RESYNC, "UREQ", "", ctx()).request
        posted = submit_request(u, ["QSP2611230032"], Action.RESYNC, "UREQ", "", ctx()).request
        set_request_message(u, posted.stored_id, "C0APPROVALS", "1764118801.000001")
        fresh = submit_request(u, ["QSP2611230033"], Action.RESYNC, "UREQ", "",
                               ctx(NOW + timedelta(minutes=10))).request
    with uow() as u:
        assert [r.id for r in u.requests.unposted(NOW + timedelta(minutes=5))] == [lost.id]
        assert withdraw_unposted(u, NOW + timedelta(minutes=20), timedelta(minutes=15)) == [
            lost.id]
    with uow() as u:
        assert u.orders.get("QSP2611230031").recovery is Recovery.NONE
        assert [r.id for r in u.requests.unposted(NOW + timedelta(days=1))] == [fresh.id]
