"""`Request resync` / `Request restore` on a list page: every order on it that allows it."""
from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from domain.bulk import partition, submit_bulk_request
from domain.errors import DomainError, RequestNotAllowed
from domain.lookup import list_orders
from handlers.actions import BULK_ACTION_IDS, BULK_REQUEST_MODAL, query_of_button
from handlers.deps import Deps
from handlers.later import after_ack, keep, kept
from handlers.render.mrkdwn import truncate
from handlers.render.pending_request import requester_receipt
from handlers.render.request_modal import NOTE_BLOCK, bulk_request_modal
from handlers.requests.placing import place, tell_requester
from handlers.requests.state import ModalState, typed

ACTIONS = {action_id: action for action, action_id in BULK_ACTION_IDS.items()}


def register(app: App, deps: Deps) -> None:
    """The bulk buttons and the bulk request modal."""

    def open_modal(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        wanted, ctx = ACTIONS[action["action_id"]], deps.ctx()
        with deps.uow() as uow:
            page = list_orders(uow, query_of_button(action.get("value")), ctx).page
        chosen, skipped = partition(page.items, wanted, ctx)
        if not chosen:
            raise RequestNotAllowed(f"None of the {len(page.items)} orders on this page can be "
                                    f"{wanted.value}d now.")
        state = ModalState.of_click(body, wanted, query=action["value"])
        client.views_open(trigger_id=body["trigger_id"],
                          view=bulk_request_modal(wanted, chosen, skipped, state.dump()))

    for action_id in ACTIONS:
        app.action(action_id)(**after_ack(open_modal))

    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any],
               context: BoltContext) -> None:
        try:  # before ack, so that a refusal shows in the modal
            state = ModalState.load(view.get("private_metadata"))
            with deps.uow() as uow:
                done = submit_bulk_request(uow, query_of_button(state.query), state.action,
                                           body["user"]["id"], typed(body, NOTE_BLOCK), deps.ctx())
        except DomainError as error:
            ack(response_action="errors", errors={NOTE_BLOCK: truncate(error.message, 500)})
            return
        ack()
        keep(context, (state, done))

    def place_bulk(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if kept(context) is None:
            return
        state, done = kept(context)
        warnings = [f"{packing_no}: {warning}"
                    for packing_no, found in done.submitted.warnings.items() for warning in found]
        link = place(deps, client, body, state, done.submitted, warnings)
        if link:
            numbers = [job.packing_no for job in done.submitted.jobs]
            # the list page stays as it was: the requester may go on browsing it
            tell_requester(state, requester_receipt(done.submitted.request, numbers, link,
                                                    done.skipped), replace=False)

    app.view(BULK_REQUEST_MODAL)(**after_ack(place_bulk, first=submit))
