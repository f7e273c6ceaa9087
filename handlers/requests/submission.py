"""The request modal submitted: write the request, then post it for the approvers."""
from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from domain.errors import DomainError
from domain.lookup import look_up
from domain.workflow import submit_request
from handlers.actions import REQUEST_MODAL
from handlers.deps import Deps
from handlers.later import after_ack, keep, kept
from handlers.render.mrkdwn import truncate
from handlers.render.pending_request import requester_receipt
from handlers.render.request_modal import NOTE_BLOCK
from handlers.requests.placing import place, tell_requester
from handlers.requests.state import ModalState, typed

ERROR_MAX = 500  # an error under an input block is a short text


def current_status(deps: Deps, packing_no: str) -> str:
    """' Current status: Resyncing — …' read now, or '' when there is nothing to say."""
    try:
        with deps.uow() as uow:
            status = look_up(uow, packing_no, deps.ctx()).status
    except DomainError:
        return ""
    return f" Current status: {status.status.label} — {status.explanation}" if status else ""


def refused_text(deps: Deps, error: DomainError, packing_no: str) -> str:
    """The refusal with the order's status now, for the modal to show under the note."""
    return truncate(error.message + current_status(deps, packing_no), ERROR_MAX)


def register(app: App, deps: Deps) -> None:
    """The request modal's submission."""

    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any],
               context: BoltContext) -> None:
        try:
            state = ModalState.load(view.get("private_metadata"))
        except DomainError as error:
            ack(response_action="errors", errors={NOTE_BLOCK: error.message})
            return
        packing_no = state.packing_no or ""
        try:  # before ack, so that a refusal shows in the modal
            with deps.uow() as uow:
                submitted = submit_request(uow, [packing_no], state.action, body["user"]["id"],
                                           typed(body, NOTE_BLOCK), deps.ctx())
        except DomainError as error:
            text = refused_text(deps, error, packing_no)
            ack(response_action="errors", errors={NOTE_BLOCK: text})
            return
        ack()
        keep(context, (state, submitted))

    def place_request(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if kept(context) is None:
            return
        state, submitted = kept(context)
        packing_no = state.packing_no or ""
        warnings = [w for found in submitted.warnings.values() for w in found]
        link = place(deps, client, body, state, submitted, warnings)
        if link:
            tell_requester(state, requester_receipt(submitted.request, [packing_no], link))

    app.view(REQUEST_MODAL)(**after_ack(place_request, first=submit))
