"""After a decision: the request message shows it without buttons, and its thread tells it.

The decision reply carries the request id in its metadata, so that a post whose answer was
lost (a 5xx, a timeout) is found in the thread instead of being posted twice."""
from __future__ import annotations

import logging
from datetime import tzinfo
from typing import Any

from slack_sdk import WebClient

from domain.errors import AlreadyDecided
from domain.requests import Decision
from domain.workflow import Submitted
from handlers.actions import request_number
from handlers.posting import LISTENER_MAX_WAIT_SECONDS, find_in_thread, mark, post_once
from handlers.render.mrkdwn import Rendered, mention
from handlers.render.pending_request import decided_request_message, decision_reply
from handlers.slack_client import SlackCallFailed, call

DECISION_EVENT = "cancelbot_decision"  # metadata event_type of a decision reply

log = logging.getLogger(__name__)


def request_id_of(action: dict[str, Any]) -> int:
    """The request id an Approve/Reject button carries; UnreadableValue when it has none."""
    return request_number(action.get("value"))


def already_decided_text(error: AlreadyDecided) -> str:
    """Who decided first, as a mention the reader recognises."""
    if error.decision == Decision.EXPIRED.value:
        return (f"Request #{error.request_id} already expired: nobody decided it before the "
                "window closed; nothing more to do.")
    return (f"Request #{error.request_id} was already {error.decision} by "
            f"{mention(error.by)}; nothing more to do.")


def show_decision(client: WebClient, decided: Submitted, channel: str | None,
                  ts: str | None, zone: tzinfo) -> None:
    """Edit the request message to its decision and post the decision in its thread.

    The decision is written already; a Slack failure here is logged, not shown as a failure of
    the decision (the job's result edits the message again later)."""
    request = decided.request
    channel, ts = request.channel_id or channel, request.message_ts or ts
    if not (channel and ts):
        log.warning("request %s has no message to show its decision on", request.id)
        return
    numbers = [job.packing_no for job in decided.jobs]
    edited = decided_request_message(request, numbers, zone)
    try:  # chat.update is safe to resend: the client retries it by itself
        call("chat.update", client.chat_update, channel=channel, ts=ts, text=edited.text,
             blocks=edited.blocks)
    except SlackCallFailed as exc:
        log.warning("request %s message not edited: %s", request.id, exc.failure.error)
    try:
        post_decision_reply(client, channel, ts, decision_reply(request, numbers), decided)
    except SlackCallFailed as exc:
        log.warning("decision of request %s not told in its thread: %s", request.id,
                    exc.failure.error)


def post_decision_reply(client: WebClient, channel: str, ts: str, reply: Rendered,
                        decided: Submitted) -> str:
    """Post the decision in the request message's thread once, however Slack answers
    (handlers/posting.py); its ts."""
    request_id = decided.request.id

    def post() -> str:
        return str(call("chat.postMessage", client.chat_postMessage, channel=channel,
                        thread_ts=ts, text=reply.text, blocks=reply.blocks,
                        metadata=mark(DECISION_EVENT, request_id=request_id,
                                      decision=decided.request.decision.value))["ts"])

    def look() -> str | None:
        return find_in_thread(client, channel, ts, DECISION_EVENT,
                              lambda payload: payload.get("request_id") == request_id)

    return post_once(client, post, look, max_wait=LISTENER_MAX_WAIT_SECONDS)
