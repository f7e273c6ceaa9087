"""Steps of the request and approval flow as a person takes them in Slack, for the tests."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from handlers.actions import APPROVE, REJECT, REQUEST_RESTORE, REQUEST_RESYNC
from store.models import AuditRow, JobRow, RequestRow
from tests.blockkit_limits import assert_message_fits, assert_view_fits
from tests.slack.scenarios import APPROVALS, REQUESTER
from tests.slack.signed import SUPPORT, Reply, buttons


@dataclass(frozen=True)
class Card:
    """A lookup card the requester sees, and the response URL that edits it."""

    message: dict[str, Any]
    url: str


@dataclass(frozen=True)
class Rows:
    """How many requests, jobs and audit events the database holds."""

    requests: int
    jobs: int
    audit: int


def rows(app) -> Rows:
    with app.sessions() as session:
        count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
        return Rows(count(RequestRow), count(JobRow), count(AuditRow))


def lookup_card(app, packing_no: str, user: str = REQUESTER, channel: str = SUPPORT) -> Card:
    """`/cancelled PACKING_NO`: the ephemeral card, once it is shown."""
    reply = app.send.command(packing_no, user, channel=channel)
    assert reply.status == 200
    shown = app.fake.wait_for(lambda: app.fake.shown(reply.response_url))
    return Card(shown, reply.response_url)


def press_request(app, card: Card, user: str = REQUESTER, channel: str = SUPPORT) -> Reply:
    """Press the card's request button (whichever of the two it has)."""
    action_id = REQUEST_RESYNC if "Request resync" in buttons(card.message) else REQUEST_RESTORE
    return app.send.click(card.message, action_id, user, channel=channel, response_url=card.url,
                          ephemeral=True)


def opened_view(app, opened_before: int) -> tuple[str, dict[str, Any]]:
    """The modal the app opened after opened_before views.open calls: its id and the view."""
    app.fake.wait_for(lambda: len(app.fake.calls_to("views.open")) > opened_before)
    view_id = app.fake.wait_for(lambda: _last_view_id(app, opened_before))
    view = app.fake.views[view_id]
    assert_view_fits(view)
    return view_id, view


def _last_view_id(app, opened_before: int) -> str | None:
    ids = list(app.fake.views)
    return ids[-1] if len(ids) > opened_before else None


def view_text(view: dict[str, Any]) -> str:
    """Everything a modal or message shows in its sections and contexts."""
    parts = []
    for block in view.get("blocks") or []:
        if block.get("text"):
            parts.append(block["text"]["text"])
        parts += [e.get("text", "") for e in block.get("elements") or []
                  if block["type"] == "context"]
    return "\n".join(parts)


def request_messages(app, channel: str = APPROVALS) -> list[dict[str, Any]]:
    """The top-level messages in channel that carry Approve (or carried it and were edited)."""
    return [m for m in app.fake.messages.get(channel, [])
            if not m.get("thread_ts") and "request #" in m.get("text", "")]


def request_through_modal(app, packing_no: str, note: str = "", user: str = REQUESTER,
                          channel: str = APPROVALS) -> tuple[dict[str, Any], Card]:
    """Look the order up, press its request button, submit the modal: the request message."""
    card = lookup_card(app, packing_no, user)
    opened = len(app.fake.calls_to("views.open"))
    assert press_request(app, card, user).status == 200
    view_id, _ = opened_view(app, opened)
    posted_before = len(request_messages(app, channel))
    reply = app.send.submit(view_id, user, {"note": note})
    assert (reply.status, reply.body) == (200, "")
    message = app.fake.wait_for(lambda: request_messages(app, channel)[posted_before:])[0]
    assert_message_fits(message["text"], message["blocks"])
    return message, card


def recorded_request(app, packing_no: str, note: str = "", user: str = REQUESTER
                     ) -> tuple[dict[str, Any], Card]:
    """request_through_modal, returning once the listener has recorded the request message
    (it does so after Slack answered the post): what the App Home and the reminders read."""
    message, card = request_through_modal(app, packing_no, note, user)
    request_id = int(request_id_of(message))

    def recorded() -> bool:
        with app.uow() as uow:
            request = uow.requests.get(request_id)
        return request is not None and request.message_ts == message["ts"]

    app.fake.wait_for(recorded)
    return message, card


def request_id_of(message: dict[str, Any]) -> str:
    """The request id its Approve button carries."""
    for block in message["blocks"]:
        for element in block.get("elements") or []:
            if element.get("action_id") == APPROVE:
                return element["value"]
    raise AssertionError("no Approve button")


def press(app, message: dict[str, Any], action_id: str, user: str,
          channel: str = APPROVALS) -> Reply:
    """Press Approve or Reject on the request message as user."""
    assert action_id in (APPROVE, REJECT)
    return app.send.click(message, action_id, user, channel=channel)


def said_to(app, reply: Reply) -> str:
    """The ephemeral answer the clicker got at the click's response URL."""
    shown = app.fake.wait_for(lambda: app.fake.posted_to(reply.response_url))
    return shown[-1]["text"]
