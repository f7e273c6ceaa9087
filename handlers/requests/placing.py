"""After a request is written: post its message for the approvers, or withdraw it if Slack
refuses, and tell the requester where it is.

The request message carries its request id in its metadata, so that a post whose answer was
lost (a 5xx, a timeout) is found in the channel instead of being posted twice."""
from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient

from domain.workflow import Submitted, set_request_message, withdraw
from handlers.deps import Deps
from handlers.errors import tell_user
from handlers.posting import LISTENER_MAX_WAIT_SECONDS, find_in_channel, mark, post_once
from handlers.render.mrkdwn import Rendered
from handlers.render.pending_request import pending_request_message
from handlers.requests.state import ModalState
from handlers.slack_client import SlackCallFailed, call, call_failure
from handlers.webhook import send_to

REQUEST_EVENT = "cancelbot_request"  # metadata event_type of a request message

log = logging.getLogger(__name__)


def place(deps: Deps, client: WebClient, body: dict[str, Any], state: ModalState,
          submitted: Submitted, warnings: list[str] | tuple[str, ...] = ()) -> str | None:
    """Post the request message, remember it, and return its link; on a Slack failure withdraw
    the request, tell the requester and return None."""
    request = submitted.request
    channel = deps.approval_channel or state.channel or ""
    message = pending_request_message(request, [j.packing_no for j in submitted.jobs],
                                      deps.zone, warnings)
    try:
        ts = post_request_message(client, channel, message, request.stored_id)
    except SlackCallFailed as exc:
        _withdraw(deps, request.stored_id, channel, exc.failure.error)
        tell_user(body, client, not_posted_text(channel, exc.failure.error))
        return None
    with deps.uow() as uow:
        set_request_message(uow, request.stored_id, channel, ts)
    return permalink(client, channel, ts)


def post_request_message(client: WebClient, channel: str, message: Rendered,
                         request_id: int) -> str:
    """Post the request message once, however Slack answers (handlers/posting.py); its ts."""
    def post() -> str:
        return str(call("chat.postMessage", client.chat_postMessage, channel=channel,
                        text=message.text, blocks=message.blocks,
                        metadata=mark(REQUEST_EVENT, request_id=request_id))["ts"])

    def look() -> str | None:
        return find_in_channel(client, channel, REQUEST_EVENT,
                               lambda payload: payload.get("request_id") == request_id)

    return post_once(client, post, look, max_wait=LISTENER_MAX_WAIT_SECONDS)


def _withdraw(deps: Deps, request_id: int, channel: str, error: str) -> None:
    reason = f"The request message could not be posted in {channel or 'a channel'} ({error})."
    with deps.uow() as uow:
        withdraw(uow, request_id, reason, deps.clock())


def not_posted_text(channel: str, error: str) -> str:
    """What the requester reads when the request message could not be posted."""
    where = f"<#{channel}>" if channel else "the approval channel"
    return (f"Your request was not sent: the bot could not post it in {where} ({error}), so it "
            "was withdrawn and nothing will run. Invite the bot to that channel "
            "(`/invite @cancelbot`) or ask an admin to check CANCELBOT_APPROVAL_CHANNEL, "
            "then request again.")


def permalink(client: WebClient, channel: str, ts: str) -> str:
    """The request message's link, or a mention of its channel when Slack gives none."""
    try:
        link = client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"]
        return f"<{link}|request message>"
    except Exception as exc:
        if call_failure(exc, "chat.getPermalink") is None:
            raise
        log.warning("no permalink for %s/%s: %s", channel, ts, exc)
        return f"request message in <#{channel}>"


def tell_requester(state: ModalState, receipt: Rendered, replace: bool = True) -> None:
    """Replace the requester's own card with the receipt (when replace), or leave the message
    alone (a channel message, like the digest) and answer the requester only."""
    if not state.response_url:
        return
    if state.ephemeral and replace:
        send_to(state.response_url, text=receipt.text, blocks=receipt.blocks,
                replace_original=True)
    else:
        send_to(state.response_url, text=receipt.text, blocks=receipt.blocks,
                response_type="ephemeral", replace_original=False)
