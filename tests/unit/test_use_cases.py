"""Look up, request, approve, reject and history, on the in-memory unit of work."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from domain.errors import (
    ActiveRequestExists,
    AlreadyDecided,
    InvalidPackingNumber,
    NotAnApprover,
    OrderNotFound,
    RequestNotAllowed,
    RequestNotFound,
    SelfApprovalNotAllowed,
)
from domain.lookup import history, list_orders, look_up
from domain.model import Action, Category, Recovery, Stage
from domain.ports import ListQuery
from domain.requests import Decision, JobState
from domain.status import Status
from domain.workflow import ApprovalPolicy, submit_request
from tests.unit.fakes import (
    ACTIVE_NO,
    API_NO,
    CANCELLED_AT,
    EXCEL_NO,
    POLICY,
    SITE_NO,
    T_DECIDE,
    T_RUN,
    T_SUBMIT,
    FakeUnitOfWork,
    approve_as,
    approved_job,
    cancelled,
    ctx,
    reject_as,
    run,
    seeded_uow,
    site,
    submit,
)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return seeded_uow()


def resync_done(uow) -> str:
    return run(uow, approved_job(uow), site()).result_packing_no


def status(uow, packing_no, at=T_RUN):
    return look_up(uow, packing_no, ctx(at)).status.status


def test_lookup_of_cancelled_order_shows_status_deadline_and_action(uow):
    found = look_up(uow, API_NO, ctx(T_SUBMIT))
    assert found.status.status is Status.RESYNC_AVAILABLE and not found.is_active
    assert found.window.summary == "requests close on 2026-11-20 14:03 KST (13 days left)"
    assert (found.check.allowed, found.check.action) == (True, Action.RESYNC)
    assert (found.successor, found.restored) == (None, False)


def test_lookup_of_superseded_packing_no_points_to_new_one(uow):
    new_no = resync_done(uow)
    found = look_up(uow, API_NO, ctx(T_RUN))
    assert found.successor.packing_no == new_no != API_NO
    assert found.status.status is Status.RESYNCED
    explanation = found.status.explanation
    assert f"Resynced as {new_no}; this packing number is no longer valid." in explanation
    assert not found.check.allowed


def test_lookup_of_active_order_shows_its_processing_stage(uow):
    found = look_up(uow, ACTIVE_NO, ctx(T_SUBMIT))
    assert found.is_active and found.order.stage is Stage.WAYBILL
    assert (found.window, found.check) == (None, None)


def test_lookup_of_resynced_order_shows_it_back_at_order_confirmation(uow):
    found = look_up(uow, resync_done(uow), ctx(T_RUN))
    assert found.is_active and found.order.stage is Stage.CONFIRMATION
    assert found.order.resynced_from == API_NO


def test_lookup_of_restored_order_says_recovered_with_same_packing_no(uow):
    submitted = submit(uow, EXCEL_NO, Action.RESTORE)
    approve_as(uow, submitted.request.stored_id)
    run(uow, submitted.jobs[0].stored_id, site())
    found = look_up(uow, EXCEL_NO, ctx(T_RUN))
    assert found.restored and found.status.status is Status.RECOVERED
    assert found.order.stage is Stage.CONFIRMATION and found.successor is None
    assert "same packing number" in found.status.explanation


def test_lookup_of_failed_order_tells_the_last_failure(uow):
    submitted = submit(uow, API_NO)
    approve_as(uow, submitted.request.stored_id)
    run(uow, submitted.jobs[0].stored_id, site(unavailable=True))
    found = look_up(uow, API_NO, ctx(T_RUN))
    assert found.status.status is Status.FAILED_TO_RESYNC and found.check.allowed
    assert ("failed: a server error stopped the job (503 Service Unavailable). Check the order "
            "status on the sales site" in found.status.explanation)


def test_lookup_of_unknown_packing_no_says_no_such_order(uow):
    with pytest.raises(OrderNotFound, match="No order has the packing number QSP9999999999."):
        look_up(uow, "qsp9999999999", ctx(T_SUBMIT))


@pytest.mark.parametrize("text", ["", "   ", "QSP-2611060001", "주문2611", "AB", "QSP_1"])
def test_lookup_of_malformed_packing_no_says_how_one_looks(uow, text):
    with pytest.raises(InvalidPackingNumber, match="letters and digits only"):
        look_up(uow, text, ctx(T_SUBMIT))


@pytest.mark.parametrize("text", [" qsp2611060001 ", "QSP 2611 0600 01", "Qsp2611060001\n"])
def test_lookup_forgives_spaces_and_lower_case(uow, text):
    assert look_up(uow, text, ctx(T_SUBMIT)).order.packing_no == API_NO


def test_request_waits_for_approval_and_holds_the_order(uow):
    submitted = submit(uow, API_NO)
    assert submitted.request.decision is Decision.PENDING
    assert submitted.request.note == "seller asked"
    (job,) = submitted.jobs
    assert (job.state, job.prior_recovery, job.packing_no) == (
        JobState.AWAITING_APPROVAL, Recovery.NONE, API_NO)
    assert uow.commits == 1
    assert uow.orders.get(API_NO).recovery is Recovery.AWAITING  # read after commit
    (event,) = uow.audit.for_packing_nos([API_NO])
    assert (event.kind, event.actor, event.detail) == ("requested", "U_REQ", "seller asked")


@pytest.mark.parametrize(
    "packing_no, action, words",
    [
        (API_NO, Action.RESTORE, "it can only be resynced"),
        (EXCEL_NO, Action.RESYNC, "it can only be restored"),
        (SITE_NO, Action.RESYNC, "nothing can be done"),
        (ACTIVE_NO, Action.RESTORE, "not a cancelled delivery"),
    ],
)
def test_request_of_an_action_the_order_does_not_allow_is_refused(uow, packing_no, action, words):
    with pytest.raises(RequestNotAllowed, match=words):
        submit(uow, packing_no, action)
    assert uow.committed.requests == {} and uow.committed.jobs == {}


def test_request_after_the_window_closed_is_refused_with_the_deadline(uow):
    with pytest.raises(RequestNotAllowed, match="requests closed on 2026-11-20 14:03 KST"):
        submit(uow, API_NO, at=CANCELLED_AT + timedelta(days=14, minutes=5))


def test_request_without_packing_numbers_is_refused(uow):
    with pytest.raises(RequestNotAllowed, match="at least one"):
        submit_request(uow, [], Action.RESYNC, "U_REQ", "", ctx(T_SUBMIT))


@pytest.mark.parametrize(
    "first_step, error, words",
    [
        ("submitted", RequestNotAllowed, "already waiting for approval"),
        ("approved", RequestNotAllowed, "The order is Resyncing"),
        ("racing", ActiveRequestExists, "already has a request in progress \\(request #"),
    ],
)
def test_second_request_for_the_same_order_is_refused(uow, first_step, error, words):
    first = submit(uow, API_NO)
    if first_step == "approved":
        approve_as(uow, first.request.stored_id)
    if first_step == "racing":  # the second requester read the order before the first wrote
        uow.orders.update(replace(uow.orders.get(API_NO), recovery=Recovery.NONE))
        uow.commit()
    with pytest.raises(error, match=words):
        submit(uow, API_NO, by="U_OTHER")
    assert list(uow.committed.requests) == [first.request.id]
    assert [j.id for j in uow.jobs.for_order(first.jobs[0].order_id)] == [first.jobs[0].id]


def test_approval_queues_the_job_and_the_order_shows_resyncing(uow):
    submitted = submit(uow, API_NO)
    approved = approve_as(uow, submitted.request.stored_id)
    assert (approved.request.decision, approved.request.decided_by) == (
        Decision.APPROVED, "U_APPROVER")
    assert uow.jobs.get(submitted.jobs[0].id).state is JobState.QUEUED
    assert uow.orders.get(API_NO).recovery is Recovery.IN_PROGRESS
    assert status(uow, API_NO) is Status.RESYNCING
    assert [e.kind for e in uow.audit.for_packing_nos([API_NO])] == ["requested", "approved"]


@pytest.mark.parametrize("decide", [approve_as, reject_as])
def test_only_configured_approvers_can_decide(uow, decide):
    submitted = submit(uow, API_NO)
    with pytest.raises(NotAnApprover, match="Only the configured approvers"):
        decide(uow, submitted.request.id, by="U_RANDOM")
    assert uow.jobs.get(submitted.jobs[0].id).state is JobState.AWAITING_APPROVAL
    assert uow.requests.get(submitted.request.id).decision is Decision.PENDING


@pytest.mark.parametrize("decide", [approve_as, reject_as])
def test_requester_cannot_decide_own_request(uow, decide):
    submitted = submit(uow, API_NO, by="U_LEAD")
    with pytest.raises(SelfApprovalNotAllowed, match="someone else"):
        decide(uow, submitted.request.id, by="U_LEAD")
    assert uow.requests.get(submitted.request.id).decision is Decision.PENDING


def test_requester_may_approve_own_request_when_configuration_allows(uow):
    submitted = submit(uow, API_NO, by="U_LEAD")
    lenient = ApprovalPolicy(POLICY.is_approver, allow_self_approval=True)
    approved = approve_as(uow, submitted.request.stored_id, by="U_LEAD", policy=lenient)
    assert approved.jobs[0].state is JobState.QUEUED


@pytest.mark.parametrize(
    "first, second, words",
    [
        (approve_as, approve_as, "was already approved by U_APPROVER."),
        (approve_as, reject_as, "was already approved by U_APPROVER."),
        (reject_as, approve_as, "was already rejected by U_APPROVER."),
    ],
)
def test_second_decision_says_who_decided_first(uow, first, second, words):
    submitted = submit(uow, API_NO)
    first(uow, submitted.request.id)
    with pytest.raises(AlreadyDecided, match=f"Request #{submitted.request.id} {words}"):
        second(uow, submitted.request.id, by="U_LEAD")


def test_decision_racing_another_says_who_won(uow, monkeypatch):
    submitted = submit(uow, API_NO)
    stale = uow.requests.get(submitted.request.id)
    approve_as(uow, submitted.request.stored_id, by="U_LEAD")
    reads = iter([stale])  # the loser read the request before the winner wrote
    real_get = uow.requests.get
    monkeypatch.setattr(uow.requests, "get", lambda rid: next(reads, None) or real_get(rid))
    with pytest.raises(AlreadyDecided, match="already approved by U_LEAD"):
        reject_as(uow, submitted.request.stored_id)
    assert uow.jobs.get(submitted.jobs[0].id).state is JobState.QUEUED


def test_deciding_an_unknown_request_says_so(uow):
    with pytest.raises(RequestNotFound, match="no request #404"):
        approve_as(uow, 404)


def test_rejected_request_gives_the_order_back_and_allows_a_new_request(uow):
    submitted = submit(uow, API_NO)
    rejected = reject_as(uow, submitted.request.stored_id)
    assert rejected.request.reject_reason == "wrong order"
    assert uow.jobs.get(submitted.jobs[0].id).state is JobState.REJECTED
    assert status(uow, API_NO) is Status.RESYNC_AVAILABLE
    assert uow.audit.for_packing_nos([API_NO])[-1].detail == "wrong order"
    assert submit(uow, API_NO).jobs[0].state is JobState.AWAITING_APPROVAL


def test_rejected_retry_of_a_failed_order_goes_back_to_failed_to_resync(uow):
    first = submit(uow, API_NO)
    approve_as(uow, first.request.stored_id)
    run(uow, first.jobs[0].stored_id, site(unavailable=True))
    retry = submit(uow, API_NO)
    assert retry.jobs[0].prior_recovery is Recovery.FAILED_RETRY
    reject_as(uow, retry.request.stored_id)
    assert status(uow, API_NO) is Status.FAILED_TO_RESYNC


def test_history_shows_every_step_of_old_and_new_packing_no_oldest_first(uow):
    new_no = resync_done(uow)
    steps = [("requested", API_NO), ("approved", API_NO), ("succeeded", API_NO),
             ("created", new_no)]
    for packing_no in (API_NO, new_no.lower()):
        order, events = history(uow, packing_no)
        assert order.packing_no == packing_no.upper()
        assert [(e.kind, e.packing_no) for e in events] == steps
        assert [e.at for e in events] == [T_SUBMIT, T_DECIDE, T_RUN, T_RUN]


def test_history_of_unknown_packing_no_says_no_such_order(uow):
    with pytest.raises(OrderNotFound):
        history(uow, "ZZZ000")


def test_list_counts_tabs_and_statuses(uow):
    submit(uow, EXCEL_NO, Action.RESTORE)
    listing = list_orders(uow, ListQuery(category=Category.API), ctx(T_RUN, ("tmon",)))
    assert listing.counts.by_category == {Category.API: 1, Category.EXCEL: 1, Category.SITE: 1}
    assert listing.counts.by_status == {Status.RESYNC_UNAVAILABLE: 1}
    assert [x.order.packing_no for x in listing.page.items] == [API_NO]


def test_a_submitted_request_carries_the_warnings_its_checks_found_for_the_approver():
    paid_the_day_before = cancelled("QSP2611060099", payment_at=CANCELLED_AT - timedelta(days=1))
    uow = seeded_uow(paid_the_day_before)

    submitted = submit(uow, "QSP2611060099")

    [warning] = submitted.warnings["QSP2611060099"]
    assert "cancelled on 2026-11-06 but paid on 2026-11-05" in warning
    assert submit(uow, EXCEL_NO, Action.RESTORE).warnings == {}
