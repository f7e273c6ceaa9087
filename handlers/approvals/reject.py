"""`Reject` on a request message: the clicker is checked first, then asked for a reason."""
from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from domain.errors import AlreadyDecided, DomainError
from domain.workflow import may_decide, reject
from handlers.actions import REJECT, REJECT_MODAL, UnreadableValue, request_number
from handlers.approvals.decision import already_decided_text, request_id_of, show_decision
from handlers.deps import Deps
from handlers.errors import tell_user
from handlers.later import after_ack, keep, kept
from handlers.render.mrkdwn import truncate
from handlers.render.reject_modal import REASON_BLOCK, reject_modal
from handlers.requests.state import typed

NO_REASON = "Say why the request is rejected; the requester reads it in the thread."


def metadata(request_id: int, body: dict[str, Any]) -> str:
    """The request, its message, and where to answer the clicker (the error handler reads
    response_url from here)."""
    container = body.get("container") or {}
    return json.dumps({"request_id": request_id, "channel": container.get("channel_id"),
                       "ts": container.get("message_ts"),
                       "response_url": body.get("response_url")}, separators=(",", ":"))


def read_metadata(text: object) -> tuple[int, tuple[str, str]]:
    """The request id and the request message (channel, ts) that metadata wrote;
    UnreadableValue when the form carries something else."""
    try:
        state = json.loads(text) if isinstance(text, str) else None
    except (ValueError, RecursionError):
        state = None
    if not isinstance(state, dict):
        raise UnreadableValue(UNREADABLE_FORM)
    where = (state.get("channel") or "", state.get("ts") or "")
    try:
        request_id = request_number(state.get("request_id"))
    except UnreadableValue:
        raise UnreadableValue(UNREADABLE_FORM) from None
    if not all(isinstance(part, str) for part in where):
        raise UnreadableValue(UNREADABLE_FORM)
    return request_id, where


UNREADABLE_FORM = ("This form does not carry a request the bot can read, so nothing was "
                   "changed. Close it and press Reject on the request message again.")


def register(app: App, deps: Deps) -> None:
    """The Reject button and the reason modal."""

    def on_reject(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        request_id = request_id_of(action)
        container = body.get("container") or {}
        clicked_on = (container.get("channel_id") or "", container.get("message_ts") or "")
        policy = deps.policy_for(body["user"]["id"])  # before the transaction: it may ask Slack
        try:  # an unauthorised clicker is refused here, without a modal
            with deps.uow() as uow:
                request = may_decide(uow, request_id, body["user"]["id"], policy, clicked_on)
                numbers = [job.packing_no for job in uow.jobs.for_request(request_id)]
        except AlreadyDecided as error:
            tell_user(body, client, already_decided_text(error))
            return
        client.views_open(trigger_id=body["trigger_id"],
                          view=reject_modal(request, numbers, metadata(request_id, body)))

    app.action(REJECT)(**after_ack(on_reject))

    def on_reason(ack: Ack, body: dict[str, Any], view: dict[str, Any],
                  context: BoltContext) -> None:
        reason = typed(body, REASON_BLOCK)
        if not reason.strip():
            ack(response_action="errors", errors={REASON_BLOCK: NO_REASON})
            return
        policy = deps.policy_for(body["user"]["id"])  # before the transaction: it may ask Slack
        try:  # before ack, so that a refusal (e.g. approved meanwhile) shows in the modal
            request_id, (channel, ts) = read_metadata(view.get("private_metadata"))
            with deps.uow() as uow:
                rejected = reject(uow, request_id, body["user"]["id"], reason, deps.clock(),
                                  policy, (channel, ts))
        except DomainError as error:
            text = (already_decided_text(error) if isinstance(error, AlreadyDecided)
                    else error.message)
            ack(response_action="errors", errors={REASON_BLOCK: truncate(text, 500)})
            return
        ack()
        keep(context, (rejected, channel or None, ts or None))

    def show_rejection(client: WebClient, context: BoltContext) -> None:
        if kept(context) is not None:
            rejected, channel, ts = kept(context)
            show_decision(client, rejected, channel, ts, deps.zone)

    app.view(REJECT_MODAL)(**after_ack(show_rejection, first=on_reason))
