"""The App Home over signed HTTP: published on app_home_opened, and its Approve and Reject work
with the same server-side checks as on the request message."""
from __future__ import annotations

from datetime import timedelta

from domain.model import Origin
from domain.requests import Decision
from handlers.actions import HOME_APPROVE, HOME_REJECT, home_decision_value
from tests.blockkit_limits import assert_view_fits
from tests.datetokens import fallbacks, token_problems
from tests.integration.builders import NOW, SEOUL, add_orders, cancelled
from tests.slack.requesting import recorded_request, request_id_of
from tests.slack.scenarios import APPROVALS, APPROVER, REQUESTER
from tests.slack.signed import buttons

CLOSING_NO = "QSP2611120001"  # cancelled 13 days 20 hours ago: closes within 24 h
LATER_NO = "QSP2611230001"  # cancelled 3 days ago
EXCEL_NO = "ACC000002"
OUTSIDER = "UOUTSIDER1"


def open_home(app, user: str) -> dict:
    """The home user sees after opening the Home tab."""
    published = len(app.fake.calls_to("views.publish"))
    reply = app.send.home_opened(user)
    assert reply.status == 200
    app.fake.wait_for(lambda: len(app.fake.calls_to("views.publish")) > published)
    home = app.fake.homes[user]
    assert_view_fits(home)
    return home


def home_text(home: dict) -> str:
    parts = []
    for block in home["blocks"]:
        if block.get("text"):
            parts.append(block["text"]["text"])
        parts += [e.get("text", "") for e in block.get("elements") or []
                  if block["type"] == "context"]
    return fallbacks("\n".join(parts))


def stored_request(app, message: dict):
    with app.uow() as uow:
        return uow.requests.get(int(request_id_of(message)))


def orders(app) -> None:
    add_orders(app.uow,
               cancelled(CLOSING_NO, cancelled_at=NOW - timedelta(days=13, hours=20)),
               cancelled(LATER_NO), cancelled(EXCEL_NO, origin=Origin.EXCEL))


def test_an_approver_sees_counts_closing_orders_own_requests_and_requests_waiting(running_app):
    orders(running_app)
    message, _ = recorded_request(running_app, LATER_NO, note="seller asked")

    home = open_home(running_app, APPROVER)

    text = home_text(home)
    assert "*Delivery Cancelled (Sales Site API):* 2" in text
    assert "*Delivery Cancelled (Excel/Manual Registered):* 1" in text
    assert "*Sales Site Order Cancel:* 0" in text
    assert f"*{CLOSING_NO}* · Resync Available" in text
    assert "Closes on 2026-11-26 14:00 KST · 4 hours left" in text
    assert LATER_NO not in text.split("Your requests in flight")[0].split("Closing within")[1]
    assert "You have no request waiting or running." in text
    waiting = text.split("Waiting for your approval")[1]
    assert f"*Resync request #{request_id_of(message)}* · awaiting approval · `{LATER_NO}`" \
        in waiting
    assert f"by <@{REQUESTER}>" in waiting and "seller asked" in waiting
    assert buttons(home) == ["Request resync", "Approve", "Reject"]
    assert token_problems(home, SEOUL) == []


def test_a_requester_who_is_no_approver_sees_their_request_in_flight_and_no_decisions(
        running_app):
    orders(running_app)
    recorded_request(running_app, LATER_NO)

    home = open_home(running_app, REQUESTER)

    text = home_text(home)
    mine = text.split("Your requests in flight")[1]
    assert f"awaiting approval · `{LATER_NO}`" in mine
    assert "Waiting for your approval" not in text
    assert "Approve" not in buttons(home) and "Reject" not in buttons(home)


def test_the_messages_tab_publishes_nothing(running_app):
    assert running_app.send.home_opened(APPROVER, tab="messages").status == 200
    assert running_app.send.home_opened(APPROVER).status == 200  # this one publishes

    running_app.fake.wait_for(lambda: running_app.fake.calls_to("views.publish"))
    assert [c.params["user_id"] for c in running_app.fake.calls_to("views.publish")] \
        == [APPROVER]


def test_approve_on_the_home_decides_edits_the_request_message_and_refreshes_the_home(
        running_app):
    orders(running_app)
    message, _ = recorded_request(running_app, LATER_NO)
    open_home(running_app, APPROVER)
    published = len(running_app.fake.calls_to("views.publish"))

    assert running_app.send.click_home(APPROVER, HOME_APPROVE).status == 200

    edited = running_app.fake.wait_for(
        lambda: (m := running_app.fake.message(APPROVALS, message["ts"])) and m.get("edited")
        and m)
    assert "Approve" not in buttons(edited)
    assert fallbacks(edited["text"]).startswith(f"Resync request #{request_id_of(message)}")
    request = stored_request(running_app, message)
    assert (request.decision, request.decided_by) == (Decision.APPROVED, APPROVER)
    running_app.fake.wait_for(
        lambda: len(running_app.fake.calls_to("views.publish")) > published)
    assert "No request is waiting for your approval." in home_text(
        running_app.fake.homes[APPROVER])


def test_a_home_button_naming_another_message_than_the_recorded_one_changes_nothing(
        running_app):
    orders(running_app)
    message, _ = recorded_request(running_app, LATER_NO)
    request_id = int(request_id_of(message))
    home = open_home(running_app, APPROVER)
    forged = home_decision_value(request_id, APPROVALS, "1764118800.999999")
    for block in home["blocks"]:
        for element in block.get("elements") or []:
            if element.get("action_id") == HOME_APPROVE:
                element["value"] = forged

    assert running_app.send.click_home(APPROVER, HOME_APPROVE, forged).status == 200

    told = running_app.fake.wait_for(lambda: running_app.fake.calls_to("chat.postMessage")[-1:]
                                     if "not on request" in running_app.fake.calls_to(
                                         "chat.postMessage")[-1].params.get("text", "")
                                     else None)
    assert told[0].params["channel"] == APPROVER  # no response URL on a home: a direct message
    assert stored_request(running_app, message).decision is Decision.PENDING


def test_reject_on_the_home_asks_for_a_reason_then_rejects_on_the_request_message(running_app):
    orders(running_app)
    message, _ = recorded_request(running_app, LATER_NO)
    open_home(running_app, APPROVER)
    opened = len(running_app.fake.calls_to("views.open"))

    assert running_app.send.click_home(APPROVER, HOME_REJECT).status == 200
    running_app.fake.wait_for(lambda: len(running_app.fake.calls_to("views.open")) > opened)
    view_id = running_app.fake.calls_to("views.open")[-1]
    modal_id = next(k for k, v in running_app.fake.views.items()
                    if v.get("callback_id") == "reject_modal")
    reply = running_app.send.submit(modal_id, APPROVER, {"reason": "duplicate request"})

    assert (reply.status, reply.body) == (200, "") and view_id
    request = stored_request(running_app, message)
    assert (request.decision, request.reject_reason) == (Decision.REJECTED, "duplicate request")
    running_app.fake.wait_for(
        lambda: "Approve" not in buttons(running_app.fake.message(APPROVALS, message["ts"])))


def test_a_non_approver_pressing_a_home_approve_is_refused(running_app):
    orders(running_app)
    message, _ = recorded_request(running_app, LATER_NO)
    home = open_home(running_app, APPROVER)
    running_app.fake.homes[OUTSIDER] = home  # the approver's home, replayed by somebody else

    assert running_app.send.click_home(OUTSIDER, HOME_APPROVE).status == 200

    running_app.fake.wait_for(lambda: any(c.params.get("channel") == OUTSIDER for c in
                                          running_app.fake.calls_to("chat.postMessage")))
    assert stored_request(running_app, message).decision is Decision.PENDING
