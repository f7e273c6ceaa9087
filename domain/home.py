"""The App Home: what needs a person, without typing; and a decision taken from it."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.digest import ClosingSoon, closing_soon
from domain.errors import NotOnRequestMessage
from domain.model import Category
from domain.ports import ListQuery, UnitOfWork
from domain.requests import Request
from domain.status import StatusContext
from domain.workflow import ApprovalPolicy, MessageRef, Submitted, approve, may_decide

HOME_SPAN = timedelta(hours=24)
HOME_LIMIT = 10  # per part: the home stays far inside a view's 100 blocks


@dataclass(frozen=True)
class RequestLine:
    """A request with the packing numbers of its jobs."""

    request: Request
    packing_nos: list[str]


@dataclass(frozen=True)
class Shown:
    """Up to HOME_LIMIT items of one part, and whether there are more."""

    items: list[RequestLine] = field(default_factory=list)
    more: bool = False


@dataclass(frozen=True)
class Home:
    """One user's home at one moment."""

    user_id: str
    by_category: dict[Category, int]
    closing: ClosingSoon
    mine: Shown
    waiting: Shown | None  # None: the user is not an approver
    now: datetime


def home_for(uow: UnitOfWork, user_id: str, ctx: StatusContext, policy: ApprovalPolicy,
             limit: int = HOME_LIMIT) -> Home:
    """The tab counts, orders closing within 24 h, user_id's requests in flight and, for an
    approver, the requests they may decide (their own only where self-approval is allowed)."""
    counts = uow.orders.counts(ListQuery(), ctx)
    closing = closing_soon(uow, ctx, HOME_SPAN, limit)
    mine = _shown(uow, uow.requests.in_flight_for(user_id, limit + 1), limit)
    waiting = None
    if policy.is_approver(user_id):
        # own requests are filtered here, so ask for enough to fill the part after that
        pending = [r for r in uow.requests.awaiting_decision(limit * 5)
                   if policy.allow_self_approval or r.requested_by != user_id]
        waiting = _shown(uow, pending, limit)
    return Home(user_id, counts.by_category, closing, mine, waiting, ctx.now)


def _shown(uow: UnitOfWork, requests: list[Request], limit: int) -> Shown:
    lines = [RequestLine(r, [j.packing_no for j in uow.jobs.for_request(r.stored_id)])
             for r in requests[:limit]]
    return Shown(lines, len(requests) > limit)


def request_message_of(uow: UnitOfWork, request_id: int, named: MessageRef) -> MessageRef:
    """The request message a home button names, checked against the one recorded for the
    request: a home button acts only on a request whose message is recorded, and only when it
    names that very message (as a click on the message itself must be on it)."""
    request = uow.requests.get(request_id)
    recorded = (request.channel_id, request.message_ts) if request else (None, None)
    if request is not None and (not all(recorded) or tuple(named) != recorded):
        raise NotOnRequestMessage(request_id)
    return named  # an unknown request is refused by the decision itself (RequestNotFound)


def approve_from_home(uow: UnitOfWork, request_id: int, named: MessageRef, user_id: str,
                      now: datetime, policy: ApprovalPolicy) -> Submitted:
    """Approve from the App Home: the button's request message must be the recorded one;
    then exactly the checks and effects of an Approve on the message (workflow.approve)."""
    return approve(uow, request_id, user_id, now, policy,
                   request_message_of(uow, request_id, named))


def may_reject_from_home(uow: UnitOfWork, request_id: int, named: MessageRef, user_id: str,
                         policy: ApprovalPolicy) -> Request:
    """The pending request user_id may reject from the home (the reason modal comes next)."""
    return may_decide(uow, request_id, user_id, policy,
                      request_message_of(uow, request_id, named))
