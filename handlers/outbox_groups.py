"""The outbox rows one delivery round claimed, grouped per request and kind, and what a round
does with a group: mark it delivered, count a failed attempt, or give it back."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.job_result import JobResult
from domain.ports import UnitOfWork
from domain.queues import OutboxMessage
from domain.requests import Decision, Job, JobState, Request
from domain.withdrawal import WITHDRAWAL, Withdrawal
from handlers.slack_client import CallFailure, next_attempt_at

NO_THREAD_AFTER = timedelta(hours=1)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Group:
    """The claimed outbox rows of one request and kind, with the request and its jobs."""

    kind: str
    request_id: int
    request: Request | None
    jobs: list[Job]
    messages: list[OutboxMessage]

    @property
    def ids(self) -> list[int]:
        return [m.stored_id for m in self.messages]

    @property
    def in_doubt(self) -> bool:
        return any(m.in_doubt for m in self.messages)

    @property
    def results(self) -> list[JobResult]:
        return sorted((JobResult.from_payload(m.payload) for m in self.messages),
                      key=lambda r: r.job_id)

    @property
    def withdrawals(self) -> list[Withdrawal]:
        return sorted((Withdrawal.from_payload(m.payload) for m in self.messages),
                      key=lambda w: w.job_id)

    def has_no_thread(self, now: datetime) -> bool:
        """Decided long ago, yet its request message was never recorded: no thread will come
        (a request made outside Slack, as in the demo data). A message recorded a moment after
        a quick approval is waited for."""
        request = self.request
        return (request is not None and request.decision is not Decision.PENDING
                and not (request.channel_id and request.message_ts)
                and request.decided_at is not None and now - request.decided_at > NO_THREAD_AFTER)

    def waiting_for(self) -> str | None:
        """Why the group cannot be delivered yet, or None when it can."""
        request = self.request
        if request is None or not (request.channel_id and request.message_ts):
            return "its request message is not posted yet"
        if self.kind == WITHDRAWAL:  # said as soon as it happens, whatever the other orders do
            return None
        if not all(job.state.final for job in self.jobs):
            return "other orders of the request are not finished"
        finished = {j.id for j in self.jobs if j.state in (JobState.SUCCEEDED, JobState.FAILED)}
        if not finished <= {r.job_id for r in self.results}:
            return "some results of the request were not claimed with it"
        return None


def load_groups(
    uow_factory: Callable[[], UnitOfWork], messages: list[OutboxMessage]
) -> list[Group]:
    """Claimed rows grouped by request and kind, oldest first, with each request and its jobs."""
    keyed: dict[tuple[int, str], list[OutboxMessage]] = {}
    for message in sorted(messages, key=lambda m: m.id or 0):
        keyed.setdefault((message.request_id, message.kind), []).append(message)
    with uow_factory() as uow:
        return [Group(kind, request_id, uow.requests.get(request_id),
                      uow.jobs.for_request(request_id), rows)
                for (request_id, kind), rows in keyed.items()]


def mark_delivered(
    uow_factory: Callable[[], UnitOfWork], owner: str, now: datetime, group: Group,
    ts: str | None,
) -> int:
    """Record the group delivered with its reply's ts (None: nothing was posted); the rows
    this owner still held."""
    with uow_factory() as uow:
        marked = sum(uow.outbox.mark_delivered(mid, owner, now, ts) for mid in group.ids)
        uow.commit()
    if marked < len(group.ids):  # a lease ran out meanwhile: the new holder finds the reply
        log.warning("outbox %s: lease lost before it was marked delivered", group.ids)
    return marked


def fail(
    uow_factory: Callable[[], UnitOfWork], owner: str, now: datetime, group: Group,
    failure: CallFailure,
) -> None:
    """Count a failed attempt on every row of the group and set when to try again."""
    log.warning("outbox %s not delivered: %s", group.ids, failure.error)
    with uow_factory() as uow:
        for message in group.messages:
            retry_at = next_attempt_at(now, message.attempts, failure)
            uow.outbox.mark_failed(message.stored_id, owner, failure.error, retry_at)
        uow.commit()


def release(
    uow_factory: Callable[[], UnitOfWork], owner: str, messages: list[OutboxMessage]
) -> None:
    """Give rows back for a later round without counting an attempt."""
    if not messages:
        return
    with uow_factory() as uow:
        for message in messages:
            uow.outbox.release(message.stored_id, owner, message.in_doubt)
        uow.commit()
