"""After a decision: the request message shows it without buttons, and its thread tells it."""
from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient

from domain.errors import AlreadyDecided
from domain.workflow import Submitted
from handlers.actions import request_number
from handlers.render.mrkdwn import mention
from handlers.render.pending_request import decided_request_message, decision_reply
from handlers.slack_client import call_failure

log = logging.getLogger(__name__)


def request_id_of(action: dict[str, Any]) -> int:
    """The request id an Approve/Reject button carries; UnreadableValue when it has none."""
    return request_number(action.get("value"))


def already_decided_text(error: AlreadyDecided) -> str:
    """Who decided first, as a mention the reader recognises."""
    return (f"Request #{error.request_id} was already {error.decision} by "
            f"{mention(error.by)}; nothing more to do.")


def show_decision(client: WebClient, decided: Submitted, channel: str | None,
                  ts: str | None) -> None:
    """Edit the request message to its decision and post the decision in its thread.

    The decision is written already; a Slack failure here is logged, not shown as a failure of
    the decision (the job's result edits the message again later)."""
    request = decided.request
    channel, ts = request.channel_id or channel, request.message_ts or ts
    if not (channel and ts):
        log.warning("request %s has no message to show its decision on", request.id)
        return
    numbers = [job.packing_no for job in decided.jobs]
    edited = decided_request_message(request, numbers)
    reply = decision_reply(request, numbers)
    for method, call in (
        ("chat.update", lambda: client.chat_update(channel=channel, ts=ts, text=edited.text,
                                                   blocks=edited.blocks)),
        ("chat.postMessage", lambda: client.chat_postMessage(
            channel=channel, thread_ts=ts, text=reply.text, blocks=reply.blocks)),
    ):
        try:
            call()
        except Exception as exc:
            if call_failure(exc, method) is None:
                raise
            log.warning("decision of request %s not shown (%s): %s", request.id, method, exc)
