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
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from slack_sdk import WebClient

from domain.job_result import JOB_RESULT
from domain.ports import UnitOfWork
from domain.requests import JobState, Request
from domain.withdrawal import WITHDRAWAL
from handlers.outbox_groups import Group, fail, load_groups, mark_delivered, release
from handlers.posting import find_in_thread, mark, post_once
from handlers.render.request_message import final_request_message
from handlers.render.results import result_reply
from handlers.render.withdrawal import withdrawal_reply, withdrawn_request_message
from handlers.request_notices import NOTICE_KINDS, deliver_notice
from handlers.slack_client import CallFailure, SlackCallFailed, call

RESULT_EVENT = "cancelbot_result"  # metadata event_type of a result reply
DEFAULT_LIMIT = 50
DEFAULT_LEASE = timedelta(minutes=5)  # well past a few client timeouts and retries

log = logging.getLogger(__name__)


def deliver_due(
    uow_factory: Callable[[], UnitOfWork], client: WebClient, owner: str, now: datetime,
    *, limit: int = DEFAULT_LIMIT, lease: timedelta = DEFAULT_LEASE, zone: tzinfo = UTC,
    approvers: Sequence[str] = (),
) -> int:
    """Post due results (and reminders and expiries, naming approvers) into their threads;
    returns how many outbox rows were delivered. zone: the business time zone the request
    message's times fall back to."""
    with uow_factory() as uow:
        claimed = uow.outbox.claim_due(owner, now, now + lease, limit)
        uow.commit()
    if not claimed:
        return 0
    groups = load_groups(uow_factory, claimed)
    delivered = 0
    for index, group in enumerate(groups):
        if group.kind in NOTICE_KINDS:
            count, slack_unwell = deliver_notice(uow_factory, client, owner, now, group,
                                                 approvers, zone)
        else:
            count, slack_unwell = deliver_group(uow_factory, client, owner, now, group, zone)
        delivered += count
        if slack_unwell:  # the rest would most likely fail too: leave it for the next round
            rest = [m for later in groups[index + 1:] for m in later.messages]
            release(uow_factory, owner, rest)
            break
    return delivered


def deliver_group(
    uow_factory: Callable[[], UnitOfWork], client: WebClient, owner: str, now: datetime,
    group: Group, zone: tzinfo = UTC,
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
    failure = update_request_message(client, group, request, zone)
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
    client: WebClient, group: Group, request: Request, zone: tzinfo = UTC,
) -> CallFailure | None:
    """Edit the request message to its final status; the failure, if any. Withdrawals edit it
    only when every order of the request was withdrawn (results edit it otherwise)."""
    if group.kind == WITHDRAWAL and not all(j.state is JobState.WITHDRAWN for j in group.jobs):
        return None
    try:
        if group.kind == WITHDRAWAL:
            final = withdrawn_request_message(request, group.withdrawals, zone)
        else:
            final = final_request_message(request, group.results, zone)
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
