"""Approve and Reject on the App Home.

A home button is not on the request message, so it names that message instead
(handlers/actions.home_decision_value); domain/home.request_message_of checks the name against
the message recorded for the request, and the decision then runs exactly as from the message
(workflow.approve, the reject modal), with that recorded message as where it was clicked."""
from __future__ import annotations

import json
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from domain.errors import AlreadyDecided
from domain.home import approve_from_home, may_reject_from_home
from handlers.actions import HOME_APPROVE, HOME_REJECT, read_home_decision
from handlers.approvals.decision import already_decided_text, show_decision
from handlers.deps import Deps
from handlers.errors import tell_user
from handlers.home.publish import publish_home
from handlers.later import after_ack
from handlers.render.reject_modal import reject_modal


def register(app: App, deps: Deps) -> None:
    """The home's Approve and Reject buttons."""

    def on_approve(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        request_id, (channel, ts) = read_home_decision(action.get("value"))
        user = body["user"]["id"]
        policy = deps.policy_for(user)  # before the transaction: it may ask Slack
        try:  # other refusals (not an approver, own request, not its message) are reported
            with deps.uow() as uow:
                approved = approve_from_home(uow, request_id, (channel, ts), user,
                                             deps.clock(), policy)
        except AlreadyDecided as error:
            tell_user(body, client, already_decided_text(error))
            return
        show_decision(client, approved, channel, ts, deps.zone)
        publish_home(deps, client, user)  # the decided request leaves the approver's home

    def on_reject(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        request_id, (channel, ts) = read_home_decision(action.get("value"))
        user = body["user"]["id"]
        policy = deps.policy_for(user)
        try:
            with deps.uow() as uow:
                request = may_reject_from_home(uow, request_id, (channel, ts), user, policy)
                numbers = [job.packing_no for job in uow.jobs.for_request(request_id)]
        except AlreadyDecided as error:
            tell_user(body, client, already_decided_text(error))
            return
        # the reason modal keeps the recorded request message, as a click on it would
        kept = json.dumps({"request_id": request_id, "channel": channel, "ts": ts},
                          separators=(",", ":"))
        client.views_open(trigger_id=body["trigger_id"],
                          view=reject_modal(request, numbers, kept))

    app.action(HOME_APPROVE)(**after_ack(on_approve))
    app.action(HOME_REJECT)(**after_ack(on_reject))
