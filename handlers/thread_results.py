"""Delivering job results from the outbox into their request's Slack thread, once each.

One round: claim the due outbox rows (a lease, so another bot process skips them), group them
by request, post one reply per finished request, edit the request message to its final
status, and mark the rows delivered. A failed call delays the rows with a backoff (Slack's
Retry-After when it gave one); it never drops them. A reply carries its outbox ids in its
metadata. Every attempt after a failure in doubt (a 5xx, a timeout, a dropped connection, a
process that died after posting) may have reached Slack, so it first looks in the thread for
a reply carrying the same outbox ids (handlers/posting.py), within a round and across rounds.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient

from domain.job_result import JOB_RESULT, JobResult
from domain.ports import OutboxMessage, UnitOfWork
from domain.requests import Decision, Job, JobState, Request
from domain.withdrawal import WITHDRAWAL, Withdrawal
from handlers.posting import find_in_thread, mark, post_once
from handlers.render.request_message import final_request_message
from handlers.render.results import result_reply
from handlers.render.withdrawal import withdrawal_reply, withdrawn_request_message
from handlers.slack_client import CallFailure, SlackCallFailed, call, next_attempt_at

RESULT_EVENT = "cancelbot_result"  # metadata event_type of a result reply
DEFAULT_LIMIT = 50
DEFAULT_LEASE = timedelta(minutes=5)  # well past a few client timeouts and retries
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


def deliver_due(
    uow_factory: Callable[[], UnitOfWork], client: WebClient, owner: str, now: datetime,
    *, limit: int = DEFAULT_LIMIT, lease: timedelta = DEFAULT_LEASE,
) -> int:
    """Post due results into their threads; returns how many outbox rows were delivered."""
    with uow_factory() as uow:
        claimed = uow.outbox.claim_due(owner, now, now + lease, limit)
        uow.commit()
    if not claimed:
        return 0
    groups = load_groups(uow_factory, claimed)
    delivered = 0
    for index, group in enumerate(groups):
        count, slack_unwell = deliver_group(uow_factory, client, owner, now, group)
        delivered += count
        if slack_unwell:  # the rest would most likely fail too: leave it for the next round
            rest = [m for later in groups[index + 1:] for m in later.messages]
            release(uow_factory, owner, rest)
            break
    return delivered


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


def deliver_group(
    uow_factory: Callable[[], UnitOfWork], client: WebClient, owner: str, now: datetime,
    group: Group,
) -> tuple[int, bool]:
    """Deliver one group: (rows delivered, whether Slack looked unwell)."""
    if group.kind not in (JOB_RESULT, WITHDRAWAL):
        fail(uow_factory, owner, now, group,
             CallFailure(f"no renderer for outbox kind {group.kind!r}", transient=False))
        return 0, False
    if group.has_no_thread(now):
        # the results are in the audit trail; with no thread to post them to, waiting would
        # only keep them in /cancelled jobs for ever
        log.warning("outbox %s settled without a post: request %s has no request message",
                    group.ids, group.request_id)
        return mark_delivered(uow_factory, owner, now, group, None), False
    request, waiting = group.request, group.waiting_for()
    if waiting or request is None:  # waiting_for names a missing request too
        log.debug("outbox %s left for later: %s", group.ids, waiting)
        release(uow_factory, owner, group.messages)
        return 0, False
    try:
        ts = post_once(client, lambda: post_reply(client, group, request),
                       lambda: find_posted(client, group, request), in_doubt=group.in_doubt)
    except SlackCallFailed as exc:
        fail(uow_factory, owner, now, group, exc.failure)
        return 0, exc.failure.transient
    except Exception as exc:  # a bug, not Slack: keep the rows and say why, for /cancelled jobs
        log.exception("outbox %s could not be rendered or posted", group.ids)
        fail(uow_factory, owner, now, group,
             CallFailure(f"{type(exc).__name__}: {exc}", transient=False))
        return 0, False
    failure = update_request_message(client, group, request)
    if failure and failure.transient:
        # the reply is in the thread; the next attempt finds it there and edits again
        fail(uow_factory, owner, now, group, failure)
        return 0, True
    return mark_delivered(uow_factory, owner, now, group, ts), False


def find_posted(client: WebClient, group: Group, request: Request) -> str | None:
    """The ts of a reply in the thread already carrying any of the group's outbox ids."""
    ids = set(group.ids)
    channel, ts = request.channel_id or "", request.message_ts or ""
    return find_in_thread(client, channel, ts, RESULT_EVENT,
                          lambda payload: bool(ids & carried_ids(payload)))


def carried_ids(payload: dict[str, Any]) -> set[int]:
    """The outbox ids a result reply's metadata payload says it delivers."""
    return {int(i) for i in payload.get("outbox_ids") or [] if str(i).isdigit()}


def post_reply(client: WebClient, group: Group, request: Request) -> str:
    """Post the group's reply (results or withdrawals) in the request's thread; its ts."""
    if group.kind == WITHDRAWAL:
        reply = withdrawal_reply(group.withdrawals, request.requested_by, request.stored_id)
    else:
        reply = result_reply(group.results, request.requested_by, request.stored_id)
    response = call(
        "chat.postMessage", client.chat_postMessage,
        channel=request.channel_id, thread_ts=request.message_ts, text=reply.text,
        blocks=reply.blocks,
        metadata=mark(RESULT_EVENT, outbox_ids=group.ids, request_id=request.id),
    )
    return str(response["ts"])


def update_request_message(
    client: WebClient, group: Group, request: Request
) -> CallFailure | None:
    """Edit the request message to its final status; the failure, if any. Withdrawals edit it
    only when every order of the request was withdrawn (results edit it otherwise)."""
    if group.kind == WITHDRAWAL and not all(j.state is JobState.WITHDRAWN for j in group.jobs):
        return None
    try:
        if group.kind == WITHDRAWAL:
            final = withdrawn_request_message(request, group.withdrawals)
        else:
            final = final_request_message(request, group.results)
        call("chat.update", client.chat_update, channel=request.channel_id,
             ts=request.message_ts, text=final.text, blocks=final.blocks)
        return None
    except SlackCallFailed as exc:
        failure = exc.failure
    except Exception as exc:  # a bug: the reply is posted, and that is what counts
        failure = CallFailure(f"{type(exc).__name__}: {exc}", transient=False)
    if not failure.transient:  # e.g. the message was deleted: retrying cannot help
        log.warning("request %s message not updated: %s", request.id, failure.error)
    return failure


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
