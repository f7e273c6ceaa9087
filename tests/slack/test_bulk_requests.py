"""`Request resync` on a list page: one request for every order on it that allows it."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from domain.model import Category, Recovery
from domain.ports import ListQuery
from domain.requests import JobState
from handlers.actions import APPROVE, BULK_RESYNC, encode_query
from store.models import JobRow
from tests.integration.builders import CANCELLED_AT, NOW, add_orders, cancelled
from tests.slack.requesting import (
    Card,
    opened_view,
    press,
    request_messages,
    rows,
    view_text,
)
from tests.slack.scenarios import APPROVALS, APPROVER, REQUESTER
from tests.slack.signed import SUPPORT, buttons

OPEN_1, OPEN_2 = "QSP2611230001", "QSP2611230002"
RUNNING, CLOSED = "QSP2611230003", "QSP2611230004"


def list_page(app, text: str = "list api") -> Card:
    """The list page the requester sees after `/cancelled list …`."""
    reply = app.send.command(text, REQUESTER)
    page = app.fake.wait_for(lambda: app.fake.shown(reply.response_url))
    return Card(page, reply.response_url)


def press_bulk(app, page: Card, value: str | None = None):
    return app.send.click(page.message, BULK_RESYNC, REQUESTER, channel=SUPPORT,
                          response_url=page.url, ephemeral=True, value=value)


def mixed_page(app) -> None:
    add_orders(app.uow,
               cancelled(OPEN_1, payment_at=CANCELLED_AT - timedelta(days=1)),
               cancelled(OPEN_2),
               cancelled(RUNNING, recovery=Recovery.IN_PROGRESS),
               cancelled(CLOSED, cancelled_at=NOW - timedelta(days=15)))


def test_bulk_modal_counts_the_orders_that_allow_it_and_names_those_left_out(running_app):
    mixed_page(running_app)
    page = list_page(running_app)

    press_bulk(running_app, page)

    _, view = opened_view(running_app, 0)
    shown = view_text(view)
    assert "*Resync 2 orders of this page*" in shown
    assert "*Requested:*\n• QSP" in shown and f"• {OPEN_1}\n" in shown and f"• {OPEN_2}\n" in shown
    assert "*Left out (2):*" in shown
    assert f"• {RUNNING}: The order is Resyncing; there is nothing to request." in shown
    assert f"• {CLOSED}: Resync Unavailable: " in shown


def test_bulk_request_posts_one_message_and_tells_the_requester_what_was_left_out(running_app):
    mixed_page(running_app)
    page = list_page(running_app)
    click = press_bulk(running_app, page)
    view_id, _ = opened_view(running_app, 0)

    reply = running_app.send.submit(view_id, REQUESTER, {"note": "all of today's"})

    assert (reply.status, reply.body) == (200, "")
    message = running_app.fake.wait_for(lambda: request_messages(running_app))[0]
    text = view_text(message)
    assert "*Resync request #1* · Awaiting approval" in text
    assert "*Orders (2)*\n• QSP" in text and f"• {OPEN_1}" in text and f"• {OPEN_2}" in text
    assert "*Note:* all of today's" in text
    assert f":warning: {OPEN_1}: The order was cancelled on" in text
    assert buttons(message) == ["Approve", "Reject"]
    told = running_app.fake.wait_for(lambda: [
        b for b in running_app.fake.posted_to(click.response_url)
        if "waiting for approval" in b.get("text", "")])[0]
    assert told["response_type"] == "ephemeral" and told["replace_original"] is False
    assert "Your resync request #1 for 2 orders is waiting for approval" in told["text"]
    left_out = view_text(told)
    assert f"*Left out (2):*\n• {RUNNING}: " in left_out and f"• {CLOSED}: " in left_out
    assert running_app.fake.shown(page.url) == page.message  # the list page stays

    press(running_app, message, APPROVE, APPROVER)
    running_app.fake.wait_for(lambda: running_app.fake.replies(APPROVALS, message["ts"]))
    with running_app.sessions() as session:
        queued = session.scalars(select(JobRow.packing_no).where(
            JobRow.state == JobState.QUEUED.value).order_by(JobRow.packing_no)).all()
    assert queued == [OPEN_1, OPEN_2]


def test_bulk_request_of_a_page_where_nothing_allows_it_any_more_shows_why_in_the_modal(
        running_app):
    mixed_page(running_app)
    press_bulk(running_app, list_page(running_app))
    view_id, _ = opened_view(running_app, 0)
    with running_app.uow() as uow:  # meanwhile both are requested by somebody else
        for number in (OPEN_1, OPEN_2):
            uow.orders.update(replace(uow.orders.get(number), recovery=Recovery.IN_PROGRESS))
        uow.commit()
    before = rows(running_app)

    reply = running_app.send.submit(view_id, REQUESTER, {"note": ""})

    assert reply.json["errors"]["note"] == "None of the 4 orders on this page can be resynced now."
    assert rows(running_app) == before and request_messages(running_app) == []


def test_a_hundred_orders_fit_the_modal_and_the_request_message(running_app):
    numbers = [f"QSP26112{i:05d}" for i in range(100)]
    add_orders(running_app.uow, *(cancelled(n) for n in numbers))
    value = encode_query(ListQuery(category=Category.API, page_size=100))
    page = Card({"text": "list", "blocks": [{"type": "actions", "elements": [
        {"type": "button", "action_id": BULK_RESYNC, "value": value,
         "text": {"type": "plain_text", "text": "Request resync"}}]}]},
        running_app.fake.response_url())

    press_bulk(running_app, page, value)
    view_id, view = opened_view(running_app, 0)
    assert "*Resync 100 orders of this page*" in view_text(view)
    running_app.send.submit(view_id, REQUESTER, {"note": ""})

    message = running_app.fake.wait_for(lambda: request_messages(running_app))[0]
    assert "*Orders (100)*" in view_text(message)
    press(running_app, message, APPROVE, APPROVER)
    running_app.fake.wait_for(lambda: running_app.fake.replies(APPROVALS, message["ts"]))
    assert rows(running_app).jobs == 100
