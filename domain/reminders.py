"""Rule 14: a request nobody decided is reminded once when its window closes within 24 hours,
and expires when the window closes.

Both run on every bot process's scheduler; the database makes each happen once: a reminder is
written only by the conditional UPDATE of `reminded_at` that finds it unset, an expiry only by
the decision that finds the request still pending (the same guard as an approver's click).
Each writes its outbox row in the same transaction, so the thread hears of it exactly once.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from domain import window
from domain.digest import span_end
from domain.ports import AuditEvent, UnitOfWork
from domain.queues import OutboxMessage
from domain.requests import SYSTEM_ACTOR, Decision, Job, JobState, Request
from domain.status import StatusContext

REMIND_WITHIN = timedelta(hours=24)
REMINDER = "reminder"  # outbox kind: the reminder in the request's thread
EXPIRY = "expiry"  # outbox kind: the expiry told in the thread, the request message edited
EXPIRED_REASON = "nobody approved or rejected it before the 14-day window closed"
BATCH = 100


@dataclass(frozen=True)
class Notice:
    """What a reminder or expiry row tells the thread: the orders still awaiting approval and
    the first of their deadlines."""

    packing_nos: list[str]
    deadline: datetime

    def to_payload(self) -> dict[str, Any]:
        """The outbox payload (JSON)."""
        return {"packing_nos": self.packing_nos, "deadline": self.deadline.isoformat()}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Notice:
        """The notice an outbox payload carries."""
        return cls([str(n) for n in payload.get("packing_nos") or []],
                   datetime.fromisoformat(str(payload["deadline"])))


def remind_and_expire(uow: UnitOfWork, ctx: StatusContext) -> tuple[list[int], list[int]]:
    """Expire what closed, then remind what closes within 24 h: (expired ids, reminded ids)."""
    return expire_due(uow, ctx), remind_due(uow, ctx)


def expire_due(uow: UnitOfWork, ctx: StatusContext, limit: int = BATCH) -> list[int]:
    """Expire the pending requests with an order whose window has closed; the ids expired here
    (one decided meanwhile, by a person or another process, is left as it is)."""
    expired = []
    for request in uow.requests.awaiting_closing(ctx.open_since, limit=limit):
        if _expire(uow, request, ctx):
            expired.append(request.stored_id)
    return expired


def _expire(uow: UnitOfWork, request: Request, ctx: StatusContext) -> bool:
    decided = request.decide(Decision.EXPIRED, SYSTEM_ACTOR, ctx.now, EXPIRED_REASON)
    if not uow.requests.decide(decided):
        uow.rollback()
        return False
    jobs = [j for j in uow.jobs.for_request(request.stored_id)
            if j.state is JobState.AWAITING_APPROVAL]
    notice = _notice(uow, jobs, ctx)
    for job in jobs:
        expired = job.moved(JobState.EXPIRED, finished_at=ctx.now)
        uow.jobs.update(expired)
        order = uow.orders.get_by_id(job.order_id)
        if order is not None:  # back to where it was; past its window that reads Unavailable
            uow.orders.update(replace(order, recovery=job.prior_recovery))
        uow.audit.record(_event(ctx.now, "expired", expired, EXPIRED_REASON))
    uow.outbox.add(OutboxMessage(request.stored_id, EXPIRY, notice.to_payload(), ctx.now))
    uow.commit()
    return True


def remind_due(uow: UnitOfWork, ctx: StatusContext, within: timedelta = REMIND_WITHIN,
               limit: int = BATCH) -> list[int]:
    """Remind, once each, the pending requests with an order whose window closes within
    `within` (and is still open); the ids reminded here."""
    until = window.open_since(span_end(ctx.now, within, ctx.zone), ctx.zone)
    reminded = []
    for request in uow.requests.awaiting_closing(until, unreminded_only=True, limit=limit):
        jobs = [j for j in uow.jobs.for_request(request.stored_id)
                if j.state is JobState.AWAITING_APPROVAL]
        notice = _notice(uow, jobs, ctx)
        if notice.deadline <= ctx.now:
            continue  # closed already: it expires instead
        if not uow.requests.mark_reminded(request.stored_id, ctx.now):
            uow.rollback()  # another process reminded it, or somebody decided it
            continue
        closes = f"the window closes {window.format_local(notice.deadline, ctx.zone)}"
        for job in jobs:
            uow.audit.record(_event(ctx.now, "reminded", job, closes))
        uow.outbox.add(OutboxMessage(request.stored_id, REMINDER, notice.to_payload(), ctx.now))
        uow.commit()
        reminded.append(request.stored_id)
    return reminded


def _notice(uow: UnitOfWork, jobs: list[Job], ctx: StatusContext) -> Notice:
    deadlines = []
    for job in jobs:
        order = uow.orders.get_by_id(job.order_id)
        if order is not None and order.cancelled_at is not None:
            deadlines.append(window.deadline(order.cancelled_at, ctx.zone))
    first = min(deadlines, default=ctx.now)
    return Notice([j.packing_no for j in jobs], first)


def _event(at: datetime, kind: str, job: Job, detail: str) -> AuditEvent:
    return AuditEvent(at, SYSTEM_ACTOR, kind, job.packing_no, job.request_id, job.id, detail)
