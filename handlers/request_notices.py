"""Delivering a request's reminder and expiry (rule 14) from the outbox into its thread, once.

They travel with the job results (handlers/thread_results.py claims every outbox row) and are
posted the same way: the reply carries its outbox ids in its metadata, and an attempt after a
failure in doubt looks in the thread before posting again (handlers/posting.py). An expiry
also edits the request message to `Expired`, without buttons.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, tzinfo

from slack_sdk import WebClient

from domain.ports import UnitOfWork
from domain.reminders import EXPIRY, REMINDER, Notice
from domain.requests import Decision, Request
from handlers.outbox_groups import Group, fail, mark_delivered, release
from handlers.posting import find_in_thread, mark, post_once
from handlers.render.mrkdwn import Rendered
from handlers.render.notices import expiry_reply, reminder_reply
from handlers.render.pending_request import decided_request_message
from handlers.slack_client import SlackCallFailed, call

NOTICE_KINDS = (REMINDER, EXPIRY)
NOTICE_EVENT = "cancelbot_notice"  # metadata event_type of a reminder or expiry reply
NO_THREAD_AFTER = timedelta(hours=1)

log = logging.getLogger(__name__)


def deliver_notice(
    uow_factory: Callable[[], UnitOfWork], client: WebClient, owner: str, now: datetime,
    group: Group, approvers: Sequence[str], zone: tzinfo,
) -> tuple[int, bool]:
    """Deliver one request's reminder or expiry: (rows delivered, whether Slack looked unwell)."""
    request = group.request
    if request is None or _settle_unposted(group, request, now):
        return mark_delivered(uow_factory, owner, now, group, None), False
    if not (request.channel_id and request.message_ts):
        release(uow_factory, owner, group.messages)
        return 0, False
    rendered = _reply(group.kind, request, _notice(group), approvers, zone)
    try:
        ts = post_once(client, lambda: _post(client, group, request, rendered),
                       lambda: _find(client, group, request), in_doubt=group.in_doubt)
    except SlackCallFailed as exc:
        fail(uow_factory, owner, now, group, exc.failure)
        return 0, exc.failure.transient
    if group.kind == EXPIRY:
        edited = decided_request_message(request, _notice(group).packing_nos, zone)
        try:  # chat.update is safe to resend: the client retries it by itself
            call("chat.update", client.chat_update, channel=request.channel_id,
                 ts=request.message_ts, text=edited.text, blocks=edited.blocks)
        except SlackCallFailed as exc:
            if exc.failure.transient:  # the reply is found in the thread next time
                fail(uow_factory, owner, now, group, exc.failure)
                return 0, True
            log.warning("request %s message not edited: %s", request.id, exc.failure.error)
    return mark_delivered(uow_factory, owner, now, group, ts), False


def _settle_unposted(group: Group, request: Request, now: datetime) -> bool:
    """Whether to settle the rows without a post: a reminder of a request decided meanwhile
    (it has nothing left to remind of), or a request message that never came."""
    if group.kind == REMINDER and request.decision is not Decision.PENDING:
        return True
    unposted = not (request.channel_id and request.message_ts)
    return unposted and now - min(m.created_at for m in group.messages) > NO_THREAD_AFTER


def _notice(group: Group) -> Notice:
    return Notice.from_payload(group.messages[-1].payload)


def _reply(kind: str, request: Request, notice: Notice, approvers: Sequence[str],
           zone: tzinfo) -> Rendered:
    if kind == REMINDER:
        return reminder_reply(request, notice, approvers, zone)
    return expiry_reply(request, notice, zone)


def _post(client: WebClient, group: Group, request: Request, reply: Rendered) -> str:
    response = call("chat.postMessage", client.chat_postMessage, channel=request.channel_id,
                    thread_ts=request.message_ts, text=reply.text, blocks=reply.blocks,
                    metadata=mark(NOTICE_EVENT, outbox_ids=group.ids, request_id=request.id,
                                  kind=group.kind))
    return str(response["ts"])


def _find(client: WebClient, group: Group, request: Request) -> str | None:
    ids = set(group.ids)
    return find_in_thread(
        client, request.channel_id or "", request.message_ts or "", NOTICE_EVENT,
        lambda payload: bool(ids & {int(i) for i in payload.get("outbox_ids") or []
                                     if str(i).isdigit()}))
