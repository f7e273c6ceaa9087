"""`Request resync` / `Request restore`: the modal, the request message, and the requester's
card."""
from __future__ import annotations

from datetime import timedelta

from domain.model import Action, Origin, Recovery
from domain.requests import Decision
from domain.workflow import approve, submit_request
from handlers.actions import REQUEST_RESYNC
from handlers.digest import post_digest
from store.models import RequestRow
from tests.integration.builders import CANCELLED_AT, NOW, add_orders, cancelled, ctx
from tests.slack.conftest import client_for, serving
from tests.slack.requesting import (
    lookup_card,
    opened_view,
    press_request,
    request_messages,
    request_through_modal,
    rows,
    view_text,
)
from tests.slack.scenarios import APPROVALS, APPROVER, POLICY, REQUESTER
from tests.slack.signed import SUPPORT, buttons, find_button

API_NO = "QSP2611230001"
EXCEL_NO = "ACC000002"


def test_resync_modal_says_a_new_packing_number_is_made_and_warns_of_the_date_mismatch(
        running_app):
    add_orders(running_app.uow, cancelled(API_NO, payment_at=CANCELLED_AT - timedelta(days=2)))
    card = lookup_card(running_app, API_NO)

    reply = press_request(running_app, card)

    assert (reply.status, reply.body) == (200, "")
    _, view = opened_view(running_app, 0)
    shown = view_text(view)
    assert view["title"]["text"] == "Request resync"
    assert "*new packing number*" in shown and f"{API_NO} stops being valid" in shown
    assert "order confirmation, then the waybill, then pickup" in shown
    assert "*Current status:* Resync Available" in shown
    assert ":warning: The order was cancelled on 2026-11-23 but paid on 2026-11-21" in shown
    note = next(b for b in view["blocks"] if b["type"] == "input")
    assert note["optional"] is True


def test_restore_modal_says_the_packing_number_is_kept(running_app):
    add_orders(running_app.uow, cancelled(EXCEL_NO, origin=Origin.EXCEL))
    press_request(running_app, lookup_card(running_app, EXCEL_NO))

    _, view = opened_view(running_app, 0)

    shown = view_text(view)
    assert f"*same packing number*, {EXCEL_NO}" in shown
    assert "order confirmation, then the waybill, then pickup" in shown
    assert ":warning:" not in shown


def test_submitted_request_is_posted_for_approval_and_the_card_becomes_a_link(running_app):
    add_orders(running_app.uow, cancelled(API_NO))

    message, card = request_through_modal(running_app, API_NO)

    assert buttons(message) == ["Approve", "Reject"]
    text = view_text(message)
    assert "*Resync request #1* · Awaiting approval" in text
    assert f"*Packing number:* {API_NO}" in text and f"<@{REQUESTER}>" in text
    assert find_button(message, "approve_request")["value"] == "1"
    shown = running_app.fake.wait_for(
        lambda: "waiting for approval" in (running_app.fake.shown(card.url) or {}).get("text", "")
        and running_app.fake.shown(card.url))
    assert buttons(shown) == []
    ts = message["ts"].replace(".", "")
    link = f"https://smartship.example.slack.com/archives/{APPROVALS}/p{ts}"
    assert f"<{link}|request message>" in shown["text"]
    assert shown["text"].startswith(f"Your resync request #1 for {API_NO} is waiting for approval")
    with running_app.sessions() as session:
        request = session.get(RequestRow, 1)
        assert (request.channel_id, request.message_ts) == (APPROVALS, message["ts"])


def test_the_note_is_shown_to_the_approvers_and_kept_with_the_request(running_app):
    add_orders(running_app.uow, cancelled(EXCEL_NO, origin=Origin.EXCEL))

    message, _ = request_through_modal(running_app, EXCEL_NO, note="Seller <asked> twice")

    assert "*Note:* Seller &lt;asked&gt; twice" in view_text(message)
    with running_app.uow() as uow:
        assert uow.requests.get(1).note == "Seller <asked> twice"


def test_request_for_an_order_whose_status_changed_since_the_card_shows_the_current_status(
        running_app):
    add_orders(running_app.uow, cancelled(API_NO))
    press_request(running_app, lookup_card(running_app, API_NO))
    view_id, _ = opened_view(running_app, 0)
    with running_app.uow() as uow:  # meanwhile somebody else's request is approved
        other = submit_request(uow, [API_NO], Action.RESYNC, "UOTHER", "", ctx())
    with running_app.uow() as uow:
        approve(uow, other.request.stored_id, APPROVER, NOW, POLICY)
    before = rows(running_app)

    reply = running_app.send.submit(view_id, REQUESTER, {"note": "please"})

    assert reply.status == 200 and reply.json["response_action"] == "errors"
    error = reply.json["errors"]["note"]
    assert "Resyncing" in error and "Current status: Resyncing" in error
    assert rows(running_app) == before
    assert request_messages(running_app) == []


def test_pressing_the_button_of_an_order_that_no_longer_allows_it_says_why_without_a_modal(
        running_app):
    add_orders(running_app.uow, cancelled(API_NO))
    card = lookup_card(running_app, API_NO)
    with running_app.uow() as uow:
        submit_request(uow, [API_NO], Action.RESYNC, "UOTHER", "", ctx())
    before = rows(running_app)

    reply = press_request(running_app, card)

    answer = running_app.fake.wait_for(
        lambda: [b for b in running_app.fake.posted_to(reply.response_url)
                 if b.get("replace_original") is False])[0]
    assert answer["response_type"] == "ephemeral"
    assert answer["text"] == ("A request for this order is already waiting for approval. "
                              "Current status: Resync Available.")
    assert running_app.fake.calls_to("views.open") == []
    assert rows(running_app) == before


def test_without_an_approval_channel_the_request_goes_to_the_channel_of_the_command(
        fake_slack, db_url):
    with serving(fake_slack, db_url, approval_channel=None) as app:
        add_orders(app.uow, cancelled(API_NO))

        message, _ = request_through_modal(app, API_NO, channel=SUPPORT)

    assert buttons(message) == ["Approve", "Reject"]
    assert APPROVALS not in fake_slack.messages


def test_request_whose_message_cannot_be_posted_is_withdrawn_and_the_requester_told(
        running_app):
    add_orders(running_app.uow, cancelled(API_NO))
    card = lookup_card(running_app, API_NO)
    press_request(running_app, card)
    view_id, _ = opened_view(running_app, 0)
    running_app.fake.error_next("chat.postMessage", "channel_not_found")

    assert running_app.send.submit(view_id, REQUESTER, {"note": ""}).body == ""

    told = running_app.fake.wait_for(
        lambda: [b for b in running_app.fake.posted_to(card.url)
                 if "not sent" in b.get("text", "")])[0]
    assert told["response_type"] == "ephemeral" and told["replace_original"] is False
    assert (f"could not post it in <#{APPROVALS}> (chat.postMessage: channel_not_found)"
            in told["text"])
    assert "/invite @cancelbot" in told["text"]
    with running_app.uow() as uow:
        request = uow.requests.get(1)
        assert (request.decision, request.decided_by) == (Decision.REJECTED, "cancelbot")
        assert uow.orders.get(API_NO).recovery is Recovery.NONE
    assert buttons(running_app.fake.shown(card.url)) == ["Request resync"]  # the card stays

    message, _ = request_through_modal(running_app, API_NO)  # and can be used again
    assert "*Resync request #2* · Awaiting approval" in view_text(message)


def test_digest_button_opens_the_modal_and_the_digest_stays_as_it_was(running_app):
    add_orders(running_app.uow, cancelled(API_NO, cancelled_at=NOW - timedelta(days=13)))
    post_digest(running_app.uow, client_for(running_app.fake), APPROVALS, ctx())
    digest = running_app.fake.messages[APPROVALS][0]

    click = running_app.send.click(digest, REQUEST_RESYNC, REQUESTER, channel=APPROVALS)
    view_id, view = opened_view(running_app, 0)
    assert "*Current status:* Resync Available" in view_text(view)
    running_app.send.submit(view_id, REQUESTER, {"note": "closing soon"})

    told = running_app.fake.wait_for(lambda: running_app.fake.posted_to(click.response_url))[0]
    assert told["response_type"] == "ephemeral" and told["replace_original"] is False
    assert "is waiting for approval" in told["text"]
    message = request_messages(running_app)[-1]
    assert buttons(message) == ["Approve", "Reject"]
    assert running_app.fake.message(APPROVALS, digest["ts"]) == digest
    assert "edited" not in digest
