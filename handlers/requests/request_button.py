"""`Request resync` / `Request restore`: open the modal while the trigger is fresh, or refuse."""
from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from domain.errors import RequestNotAllowed
from domain.lookup import Lookup, look_up
from domain.model import Action
from domain.rules import refusal
from domain.site_reading import current_status
from handlers.actions import REQUEST_ACTION_IDS
from handlers.deps import Deps
from handlers.later import after_ack
from handlers.render.request_modal import request_modal
from handlers.requests.site_status import read_within
from handlers.requests.state import ModalState

ACTIONS = {action_id: action for action, action_id in REQUEST_ACTION_IDS.items()}


def refusal_now(lookup: Lookup, action: Action) -> str | None:
    """Why action cannot be requested for the order now, with its current status; None if it can."""
    if lookup.status is None or lookup.check is None:
        stage = lookup.order.stage.label if lookup.order.stage else "processing"
        return f"{lookup.order.packing_no} is not cancelled: it is at {stage}."
    refused = refusal(lookup.order, lookup.check, action)
    return f"{refused} Current status: {lookup.status.status.label}." if refused else None


def site_status_now(deps: Deps, lookup: Lookup, action: Action) -> str | None:
    """For a resync, the sales site's current status of the sales order (or why it could not
    be read in time); None for a restore, or when no sales site is wired in."""
    if action is not Action.RESYNC or deps.sales_site is None:
        return None
    reading = read_within(deps.sales_site, lookup.order, deps.site_read_seconds)
    return current_status(lookup.order, reading, deps.zone)


def register(app: App, deps: Deps) -> None:
    """Both request buttons open the same modal."""

    def open_modal(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        wanted = ACTIONS[action["action_id"]]
        with deps.uow() as uow:
            lookup = look_up(uow, action.get("value") or "", deps.ctx())
        refused = refusal_now(lookup, wanted)
        if refused:  # the error handler answers the clicker alone
            raise RequestNotAllowed(refused)
        state = ModalState.of_click(body, wanted, packing_no=lookup.order.packing_no)
        client.views_open(trigger_id=body["trigger_id"],
                          view=request_modal(lookup, wanted, state.dump(),
                                             site_status_now(deps, lookup, wanted)))

    for action_id in ACTIONS:
        app.action(action_id)(**after_ack(open_modal))
