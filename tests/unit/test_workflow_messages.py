"""A request whose message could not be posted is withdrawn: rejected by the bot, orders freed;
an approval records the message it was clicked on when none was, and is refused from any other
message once one was; and who may decide a request, asked before the reason for a rejection is
asked for."""
from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import (
    AlreadyDecided,
    NotAnApprover,
    NotOnRequestMessage,
    SelfApprovalNotAllowed,
)
from domain.lookup import look_up
from domain.model import Action, Recovery
from domain.requests import SYSTEM_ACTOR, Decision, JobState, Request
from domain.status import Status
from domain.workflow import (
    UNPOSTED_REASON,
    ApprovalPolicy,
    approve,
    may_decide,
    reject,
    set_request_message,
    withdraw,
    withdraw_unposted,
)
from tests.unit.fakes import (
    API_NO,
    EXCEL_NO,
    POLICY,
    T_DECIDE,
    T_SUBMIT,
    approve_as,
    approved_job,
    ctx,
    run,
    seeded_uow,
    site,
    submit,
)

REASON = "The request message could not be posted (channel_not_found)."


def test_withdrawn_request_is_rejected_by_the_bot_with_the_reason():
    uow = seeded_uow()
    submitted = submit(uow, API_NO)
    withdrawn = withdraw(uow, submitted.request.stored_id, REASON, T_DECIDE)
    request = uow.requests.get(submitted.request.stored_id)
    assert (request.decision, request.decided_by, request.reject_reason) == (
        Decision.REJECTED, SYSTEM_ACTOR, REASON)
    assert [j.state for j in withdrawn.jobs] == [JobState.REJECTED]
    event = uow.audit.for_packing_nos([API_NO])[-1]
    assert (event.kind, event.actor, event.detail) == ("rejected", "cancelbot", REASON)


def test_withdrawn_request_lets_the_order_be_requested_again():
    uow = seeded_uow()
    submitted = submit(uow, EXCEL_NO, Action.RESTORE)
    withdraw(uow, submitted.request.stored_id, REASON, T_DECIDE)
    assert look_up(uow, EXCEL_NO, ctx(T_DECIDE)).status.status is Status.RECOVERABLE
    assert submit(uow, EXCEL_NO, Action.RESTORE, at=T_DECIDE).jobs[0].state \
        is JobState.AWAITING_APPROVAL


def test_withdrawn_retry_of_a_failed_order_goes_back_to_failed():
    uow = seeded_uow()
    run(uow, approved_job(uow), site(unavailable=True))
    retry = submit(uow, API_NO)
    withdraw(uow, retry.request.stored_id, REASON, T_DECIDE)
    order = uow.orders.get(API_NO)
    assert order.recovery is Recovery.FAILED_RETRY


def test_a_request_already_approved_cannot_be_withdrawn():
    uow = seeded_uow()
    submitted = submit(uow, API_NO, at=T_SUBMIT)
    approve_as(uow, submitted.request.stored_id)
    with pytest.raises(AlreadyDecided, match="already approved by U_APPROVER"):
        withdraw(uow, submitted.request.stored_id, REASON, T_DECIDE)


def test_an_approver_may_decide_a_pending_request_and_nothing_is_written():
    uow = seeded_uow()
    submitted = submit(uow, API_NO)
    events = len(uow.audit.for_packing_nos([API_NO]))
    request_id = submitted.request.stored_id
    assert may_decide(uow, request_id, "U_APPROVER", POLICY).id == request_id
    assert len(uow.audit.for_packing_nos([API_NO])) == events


@pytest.mark.parametrize("user, error", [("U_OTHER", NotAnApprover),
                                         ("U_REQ", SelfApprovalNotAllowed)])
def test_others_and_the_requester_may_not_decide(user, error):
    uow = seeded_uow()
    submitted = submit(uow, API_NO, by="U_REQ")
    policy = ApprovalPolicy(lambda u: u in {"U_APPROVER", "U_REQ"})
    with pytest.raises(error):
        may_decide(uow, submitted.request.stored_id, user, policy)


def test_a_decided_request_says_who_decided_it():
    uow = seeded_uow()
    submitted = submit(uow, API_NO)
    approve_as(uow, submitted.request.stored_id, by="U_LEAD")
    with pytest.raises(AlreadyDecided) as raised:
        may_decide(uow, submitted.request.stored_id, "U_APPROVER", POLICY)
    assert raised.value.by == "U_LEAD"


GRACE = timedelta(minutes=15)


def test_a_request_whose_message_was_never_posted_is_withdrawn_after_the_grace_period():
    uow = seeded_uow()
    lost = submit(uow, API_NO).request.stored_id
    posted = submit(uow, EXCEL_NO, Action.RESTORE).request.stored_id
    set_request_message(uow, posted, "C0APPROVALS", "1.000001")

    assert withdraw_unposted(uow, T_SUBMIT + GRACE - timedelta(seconds=1), GRACE) == []
    assert withdraw_unposted(uow, T_SUBMIT + GRACE + timedelta(seconds=1), GRACE) == [lost]

    request = uow.requests.get(lost)
    assert (request.decision, request.decided_by, request.reject_reason) == (
        Decision.REJECTED, SYSTEM_ACTOR, UNPOSTED_REASON)
    assert uow.requests.get(posted).decision is Decision.PENDING
    assert look_up(uow, API_NO, ctx(T_DECIDE)).status.status is Status.RESYNC_AVAILABLE


def test_a_decided_request_without_a_message_is_left_alone():
    uow = seeded_uow()
    request_id = submit(uow, API_NO).request.stored_id
    approve_as(uow, request_id)
    assert withdraw_unposted(uow, T_DECIDE + timedelta(days=1), GRACE) == []
    assert uow.requests.get(request_id).decision is Decision.APPROVED


def test_an_approval_clicked_on_an_unrecorded_request_message_records_it_for_the_results():
    uow = seeded_uow()
    request_id = submit(uow, API_NO).request.stored_id
    with uow:
        approve(uow, request_id, "U_APPROVER", T_DECIDE, POLICY, ("C0APPROVALS", "1.000002"))
    request = uow.requests.get(request_id)
    assert (request.channel_id, request.message_ts) == ("C0APPROVALS", "1.000002")


def test_an_approval_clicked_on_another_message_than_the_recorded_one_is_refused():
    uow = seeded_uow()
    request_id = submit(uow, API_NO).request.stored_id
    set_request_message(uow, request_id, "C0APPROVALS", "1.000001")
    for elsewhere in (("C0OTHER", "9.000009"), ("C0APPROVALS", "1.000002"), ("", "")):
        with uow, pytest.raises(NotOnRequestMessage) as refused:
            approve(uow, request_id, "U_APPROVER", T_DECIDE, POLICY, elsewhere)
        assert f"not on request #{request_id}'s message" in refused.value.message
    request = uow.requests.get(request_id)
    assert (request.decision, request.message_ts) == (Decision.PENDING, "1.000001")


def test_a_rejection_clicked_on_another_message_than_the_recorded_one_is_refused():
    uow = seeded_uow()
    request_id = submit(uow, API_NO).request.stored_id
    set_request_message(uow, request_id, "C0APPROVALS", "1.000001")
    with uow, pytest.raises(NotOnRequestMessage):
        may_decide(uow, request_id, "U_APPROVER", POLICY, ("C0OTHER", "9.000009"))
    with uow, pytest.raises(NotOnRequestMessage):
        reject(uow, request_id, "U_APPROVER", "no", T_DECIDE, POLICY, ("C0OTHER", "9.000009"))
    assert uow.requests.get(request_id).decision is Decision.PENDING


def test_a_decision_on_the_recorded_request_message_goes_through():
    uow = seeded_uow()
    request_id = submit(uow, API_NO).request.stored_id
    set_request_message(uow, request_id, "C0APPROVALS", "1.000001")
    with uow:
        approve(uow, request_id, "U_APPROVER", T_DECIDE, POLICY, ("C0APPROVALS", "1.000001"))
    assert uow.requests.get(request_id).decision is Decision.APPROVED


def test_recording_the_request_message_keeps_an_approval_clicked_meanwhile():
    uow = seeded_uow()
    request_id = submit(uow, API_NO).request.stored_id
    read = uow.requests.get

    def read_then_an_approver_clicks(request_id: int) -> Request | None:
        found = read(request_id)
        uow.requests.get = read  # type: ignore[method-assign]  # the fake's own again: once
        approve_as(uow, request_id)  # the message shows in Slack before the bot records it
        return found

    # the fake's read, swapped so that an approval lands between the read and the write
    uow.requests.get = read_then_an_approver_clicks  # type: ignore[method-assign]
    set_request_message(uow, request_id, "C0APPROVALS", "1.000001")

    request = uow.requests.get(request_id)
    assert (request.decision, request.message_ts) == (Decision.APPROVED, "1.000001")
    assert [j.state for j in uow.jobs.for_request(request_id)] == [JobState.QUEUED]
