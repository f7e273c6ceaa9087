"""`Approve` on a request message: checked at every click; one decision however many clicks."""
from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from domain.errors import AlreadyDecided
from domain.workflow import approve
from handlers.actions import APPROVE
from handlers.approvals.decision import already_decided_text, request_id_of, show_decision
from handlers.deps import Deps
from handlers.errors import tell_user
from handlers.later import after_ack


def register(app: App, deps: Deps) -> None:
    """The Approve button."""

    def on_approve(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        container = body.get("container") or {}
        channel, ts = container.get("channel_id"), container.get("message_ts")
        user = body["user"]["id"]
        policy = deps.policy_for(user)  # before the transaction: it may ask Slack
        try:  # other refusals (not an approver, own request) go to the error handler
            with deps.uow() as uow:
                approved = approve(uow, request_id_of(action), user, deps.clock(), policy,
                                   (channel or "", ts or ""))
        except AlreadyDecided as error:
            tell_user(body, client, already_decided_text(error))
            return
        show_decision(client, approved, channel, ts, deps.zone)

    app.action(APPROVE)(**after_ack(on_approve))
