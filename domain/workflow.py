"""Request, approve and reject: the two-person workflow around resync and restore."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from domain.errors import (
    AlreadyDecided,
    NotAnApprover,
    NotOnRequestMessage,
    OrderNotFound,
    RequestNotAllowed,
    RequestNotFound,
    SelfApprovalNotAllowed,
)
from domain.model import Action, Order, Recovery, normalize_packing_no
from domain.ports import AuditEvent, UnitOfWork
from domain.requests import SYSTEM_ACTOR, Decision, Job, JobState, Request
from domain.rules import RequestCheck, check_request, refusal
from domain.status import StatusContext


@dataclass(frozen=True)
class ApprovalPolicy:
    """Who may decide: is_approver answers for a user ID from what is known already (user
    groups resolved by the caller before the transaction: it runs inside one)."""

    is_approver: Callable[[str], bool]
    allow_self_approval: bool = False


@dataclass(frozen=True)
class Submitted:
    request: Request
    jobs: list[Job]
    # what the approver should know, per packing number (e.g. the date mismatch); only
    # submit_request fills it, from the checks it ran anyway
    warnings: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _load_for_request(
    uow: UnitOfWork, text: str, action: Action, ctx: StatusContext
) -> tuple[Order, RequestCheck]:
    packing_no = normalize_packing_no(text)
    order = uow.orders.get(packing_no)
    if order is None:
        raise OrderNotFound(packing_no)
    check = check_request(order, ctx)
    refused = refusal(order, check, action)
    if refused:
        raise RequestNotAllowed(refused if check.allowed else f"{packing_no}: {refused}")
    return order, check


def submit_request(
    uow: UnitOfWork,
    packing_nos: list[str],
    action: Action,
    requested_by: str,
    note: str,
    ctx: StatusContext,
) -> Submitted:
    """One request with one job per order; every order must allow the action now.

    The database refuses a second active job per order, so two racing requests give one
    success and one ActiveRequestExists.
    """
    if not packing_nos:
        raise RequestNotAllowed("Name at least one packing number.")
    checked = [_load_for_request(uow, text, action, ctx) for text in packing_nos]
    request = uow.requests.add(Request(action, requested_by, ctx.now, note.strip()))
    jobs = []
    for order, _ in checked:
        job = uow.jobs.add(
            Job(request.stored_id, order.stored_id, order.packing_no, action,
                prior_recovery=order.recovery, created_at=ctx.now)
        )
        uow.orders.update(replace(order, recovery=Recovery.AWAITING))
        uow.audit.record(_event(ctx.now, requested_by, "requested", job, note.strip()))
        jobs.append(job)
    uow.commit()
    warnings = {order.packing_no: check.warnings for order, check in checked if check.warnings}
    return Submitted(request, jobs, warnings)


def _event(at: datetime, actor: str, kind: str, job: Job, detail: str = "") -> AuditEvent:
    return AuditEvent(at, actor, kind, job.packing_no, job.request_id, job.id, detail)


def _authorize(request: Request, user_id: str, policy: ApprovalPolicy) -> None:
    if not policy.is_approver(user_id):
        raise NotAnApprover(user_id)
    if request.requested_by == user_id and not policy.allow_self_approval:
        raise SelfApprovalNotAllowed()


MessageRef = tuple[str, str]  # (channel, ts) of a Slack message


def may_decide(
    uow: UnitOfWork, request_id: int, user_id: str, policy: ApprovalPolicy,
    clicked_on: MessageRef | None = None,
) -> Request:
    """The pending request user_id may approve or reject; the refusal otherwise (checked again
    when the decision is written). clicked_on, the message a decision came from, must be the
    request message once that is recorded."""
    request = uow.requests.get(request_id)
    if request is None:
        raise RequestNotFound(request_id)
    if clicked_on is not None and request.message_ts \
            and tuple(clicked_on) != (request.channel_id, request.message_ts):
        raise NotOnRequestMessage(request_id)
    _authorize(request, user_id, policy)
    if request.decision is not Decision.PENDING:
        raise AlreadyDecided(request_id, request.decision.value, request.decided_by)
    return request


def _decide(
    uow: UnitOfWork, request_id: int, decision: Decision, user_id: str, now: datetime,
    policy: ApprovalPolicy, reason: str = "", clicked_on: MessageRef | None = None,
) -> Request:
    request = may_decide(uow, request_id, user_id, policy, clicked_on)
    decided = request.decide(decision, user_id, now, reason.strip())
    if not uow.requests.decide(decided):
        # somebody decided between our read and our write: report theirs
        uow.rollback()
        current = uow.requests.get(request_id)
        if current is None:  # requests are never deleted
            raise RequestNotFound(request_id)
        raise AlreadyDecided(request_id, current.decision.value, current.decided_by)
    return decided


def approve(
    uow: UnitOfWork, request_id: int, user_id: str, now: datetime, policy: ApprovalPolicy,
    clicked_on: MessageRef | None = None,
) -> Submitted:
    """Approve a pending request: its jobs are queued for the scheduler.

    clicked_on is the (channel, ts) of the message the approval came from: it must be the
    request message when one is recorded, and becomes it when none was (the bot stopped
    between posting and recording), so that the results still find their thread.
    """
    request = _decide(uow, request_id, Decision.APPROVED, user_id, now, policy,
                      clicked_on=clicked_on)
    if clicked_on and all(clicked_on) and not request.message_ts:
        request = replace(request, channel_id=clicked_on[0], message_ts=clicked_on[1])
        uow.requests.update(request)
    jobs = []
    for job in _awaiting(uow, request_id):
        queued = job.moved(JobState.QUEUED)
        uow.jobs.update(queued)
        _set_recovery(uow, job.order_id, Recovery.IN_PROGRESS)
        uow.audit.record(_event(now, user_id, "approved", queued))
        jobs.append(queued)
    uow.commit()
    return Submitted(request, jobs)


def reject(
    uow: UnitOfWork, request_id: int, user_id: str, reason: str, now: datetime,
    policy: ApprovalPolicy, clicked_on: MessageRef | None = None,
) -> Submitted:
    """Reject a pending request: its orders go back to where they were before it. clicked_on
    as for approve (it must be the recorded request message)."""
    request = _decide(uow, request_id, Decision.REJECTED, user_id, now, policy, reason,
                      clicked_on)
    jobs = []
    for job in _awaiting(uow, request_id):
        rejected = job.moved(JobState.REJECTED, finished_at=now)
        uow.jobs.update(rejected)
        _set_recovery(uow, job.order_id, job.prior_recovery)
        uow.audit.record(_event(now, user_id, "rejected", rejected, reason.strip()))
        jobs.append(rejected)
    uow.commit()
    return Submitted(request, jobs)


def _awaiting(uow: UnitOfWork, request_id: int) -> list[Job]:
    """The request's jobs a decision moves: not those withdrawn meanwhile (rule 12)."""
    return [job for job in uow.jobs.for_request(request_id)
            if job.state is JobState.AWAITING_APPROVAL]


_ANYONE = ApprovalPolicy(is_approver=lambda _user: True, allow_self_approval=True)


def withdraw(
    uow: UnitOfWork, request_id: int, reason: str, now: datetime
) -> Submitted:
    """Take back a request nobody decided yet (e.g. its message could not be posted): it is
    rejected by the bot with the reason, and its orders go back to where they were."""
    return reject(uow, request_id, SYSTEM_ACTOR, reason, now, _ANYONE)


UNPOSTED_REASON = ("its request message was never posted (the bot stopped while posting it), "
                   "so nobody could approve it; request again if it is still needed")


def withdraw_unposted(uow: UnitOfWork, now: datetime, grace: timedelta) -> list[int]:
    """Withdraw the pending requests older than grace whose request message was never recorded,
    so that their orders can be requested again; the ids withdrawn."""
    withdrawn = []
    for request in uow.requests.unposted(now - grace):
        try:
            withdraw(uow, request.stored_id, UNPOSTED_REASON, now)
        except AlreadyDecided:  # decided meanwhile from a message we did not know of
            continue
        withdrawn.append(request.stored_id)
    return withdrawn


def _set_recovery(uow: UnitOfWork, order_id: int, recovery: Recovery) -> None:
    order = uow.orders.get_by_id(order_id)
    if order is not None:
        uow.orders.update(replace(order, recovery=recovery))


def set_request_message(
    uow: UnitOfWork, request_id: int, channel_id: str, message_ts: str
) -> Request:
    """Remember where the request message was posted, so results go to its thread.

    Only the message is written: an approver may have clicked the message already (it shows in
    Slack before the bot has its answer), and that decision must stay."""
    if not uow.requests.set_message(request_id, channel_id, message_ts):
        raise RequestNotFound(request_id)
    placed = uow.requests.get(request_id)
    if placed is None:  # set_message found it, and requests are never deleted
        raise RequestNotFound(request_id)
    uow.commit()
    return placed
