"""Signed requests are checked further before they change anything: the workspace is the one
the bot token belongs to (auth.test), answers go to Slack's response host only, a decision
comes from the request's own message, and values the bot did not write get a polite refusal
(not "Something went wrong")."""
from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from domain.errors import NotOnRequestMessage
from domain.requests import Decision
from handlers.actions import (
    APPROVE,
    LIST_PAGE,
    REJECT,
    STALE_LIST_BUTTON,
    UNREADABLE_REQUEST,
)
from handlers.approvals.reject import UNREADABLE_FORM as UNREADABLE_REJECT_FORM
from handlers.render.reject_modal import REASON_BLOCK
from handlers.render.request_modal import NOTE_BLOCK
from handlers.requests.state import UNREADABLE_FORM as UNREADABLE_REQUEST_FORM
from handlers.trust import OTHER_WORKSPACE_TEXT
from store.models import RequestRow
from tests.fakeslack import FakeSlack
from tests.integration.builders import add_orders, cancelled
from tests.slack.requesting import (
    lookup_card,
    opened_view,
    press,
    press_request,
    request_id_of,
    request_through_modal,
    rows,
    said_to,
)
from tests.slack.scenarios import APPROVALS, APPROVER, REQUESTER

FIRST, SECOND = "QSP2611230001", "QSP2611230002"
ELSEWHERE = "T0ELSEWHERE"


def decisions(app) -> dict[int, Decision]:
    with app.sessions() as session:
        return {row.id: Decision(row.decision) for row in session.query(RequestRow)}


def two_requests(app) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two pending requests, each with its request message in the approval channel."""
    add_orders(app.uow, cancelled(FIRST), cancelled(SECOND))
    first, _ = request_through_modal(app, FIRST)
    second, _ = request_through_modal(app, SECOND)
    app.fake.wait_for(lambda: recorded_messages(app) == {first["ts"], second["ts"]})
    return first, second


def recorded_messages(app) -> set[str | None]:
    """Where the requests' messages are, as the bot recorded them after posting."""
    with app.sessions() as session:
        return {row.message_ts for row in session.query(RequestRow)}


def with_button_values(message: dict[str, Any], value: str) -> dict[str, Any]:
    """message with every button carrying value instead (what only a forger could send)."""
    forged = copy.deepcopy(message)
    for block in forged["blocks"]:
        for element in block.get("elements") or []:
            if element.get("type") == "button":
                element["value"] = value
    return forged


# -- the workspace ---------------------------------------------------------------------------

def test_a_command_from_another_workspace_is_refused_and_not_run(running_app):
    reply = running_app.send.command("help", REQUESTER, team=ELSEWHERE)

    assert (reply.status, reply.body) == (200, OTHER_WORKSPACE_TEXT)
    assert running_app.fake.posted_to(reply.response_url) == []


def test_a_click_from_another_workspace_changes_nothing(running_app):
    first, _ = two_requests(running_app)
    before = rows(running_app)

    reply = running_app.send.click(first, APPROVE, APPROVER, channel=APPROVALS, team=ELSEWHERE)

    assert (reply.status, reply.body) == (200, OTHER_WORKSPACE_TEXT)
    assert set(decisions(running_app).values()) == {Decision.PENDING}
    assert rows(running_app) == before


def test_a_modal_submitted_from_another_workspace_requests_nothing(running_app):
    add_orders(running_app.uow, cancelled(FIRST))
    press_request(running_app, lookup_card(running_app, FIRST))
    view_id, _ = opened_view(running_app, 0)

    reply = running_app.send.submit(view_id, REQUESTER, {NOTE_BLOCK: "please"}, team=ELSEWHERE)

    assert reply.body == OTHER_WORKSPACE_TEXT
    assert rows(running_app).requests == 0
    assert running_app.fake.calls_to("chat.postMessage") == []


def test_the_installed_workspace_is_the_one_auth_test_names_and_is_asked_once(running_app):
    answer = running_app.fake.api.auth_test({})
    running_app.fake.on("auth.test", lambda params: {**answer, "team_id": "T0MOVED"})

    refused = running_app.send.command("help", REQUESTER)  # from T0SMARTSHIP, as always
    running_app.send.command("help", REQUESTER)

    assert refused.body == OTHER_WORKSPACE_TEXT
    assert len(running_app.fake.calls_to("auth.test")) == 1


# -- response URLs ---------------------------------------------------------------------------

@pytest.fixture
def elsewhere() -> Any:
    """A server that is not Slack, recording whatever is posted to it."""
    with FakeSlack() as server:
        yield server


def test_a_signed_command_with_a_response_url_off_slack_gets_nothing_posted_there(
        running_app, elsewhere):
    url = elsewhere.response_url()

    reply = running_app.send.command("help", REQUESTER, response_url=url)

    assert reply.status == 400
    assert elsewhere.calls == []
    assert running_app.fake.calls_to("chat.postMessage") == []


def test_a_modal_whose_kept_response_url_is_off_slack_requests_nothing(running_app, elsewhere):
    add_orders(running_app.uow, cancelled(FIRST))
    press_request(running_app, lookup_card(running_app, FIRST))
    view_id, view = opened_view(running_app, 0)
    kept = json.loads(view["private_metadata"])
    running_app.fake.views[view_id]["private_metadata"] = json.dumps(
        {**kept, "response_url": elsewhere.response_url()})

    reply = running_app.send.submit(view_id, REQUESTER, {NOTE_BLOCK: ""})

    assert reply.status == 400
    assert rows(running_app).requests == 0
    assert elsewhere.calls == []


# -- the message a decision is clicked on ----------------------------------------------------

def test_approve_with_another_requests_id_on_this_message_is_refused(running_app):
    first, second = two_requests(running_app)
    forged = with_button_values(first, request_id_of(second))

    reply = press(running_app, forged, APPROVE, APPROVER)

    assert reply.status == 200
    assert said_to(running_app, reply) == NotOnRequestMessage(int(request_id_of(second))).message
    assert set(decisions(running_app).values()) == {Decision.PENDING}


def test_reject_with_another_requests_id_on_this_message_opens_no_form(running_app):
    first, second = two_requests(running_app)
    opened = len(running_app.fake.calls_to("views.open"))

    reply = press(running_app, with_button_values(first, request_id_of(second)), REJECT,
                  APPROVER)

    assert said_to(running_app, reply) == NotOnRequestMessage(int(request_id_of(second))).message
    assert len(running_app.fake.calls_to("views.open")) == opened
    assert set(decisions(running_app).values()) == {Decision.PENDING}


def test_approve_on_its_own_message_still_goes_through(running_app):
    first, _ = two_requests(running_app)
    first_id = int(request_id_of(first))  # the message loses its buttons once decided

    press(running_app, first, APPROVE, APPROVER)

    running_app.fake.wait_for(lambda: decisions(running_app)[first_id] is Decision.APPROVED)


# -- values the bot did not write ------------------------------------------------------------

@pytest.mark.parametrize("value", ["abc", "2**70", str(2**70), str(2**31), "-1", "0", "1.0",
                                   " 1", "١", ""])
def test_an_unreadable_request_number_on_approve_gets_a_polite_refusal(running_app, value):
    first, _ = two_requests(running_app)

    reply = press(running_app, with_button_values(first, value), APPROVE, APPROVER)

    assert reply.status == 200
    assert said_to(running_app, reply) == UNREADABLE_REQUEST
    assert set(decisions(running_app).values()) == {Decision.PENDING}


@pytest.mark.parametrize("value", ["abc", str(2**70)])
def test_an_unreadable_request_number_on_reject_gets_a_polite_refusal(running_app, value):
    first, _ = two_requests(running_app)

    reply = press(running_app, with_button_values(first, value), REJECT, APPROVER)

    assert said_to(running_app, reply) == UNREADABLE_REQUEST


def reject_form(app, message: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Press Reject on message as the approver: the reason form's id and what it keeps."""
    opened = len(app.fake.calls_to("views.open"))
    press(app, message, REJECT, APPROVER)
    view_id, view = opened_view(app, opened)
    return view_id, json.loads(view["private_metadata"])


@pytest.mark.parametrize("change", [
    {"request_id": "abc"}, {"request_id": 2**70}, {"request_id": None}, {"request_id": [1]},
    {"channel": ["C1"]},
])
def test_a_reject_form_whose_kept_request_is_unreadable_is_refused_in_the_form(
        running_app, change):
    first, _ = two_requests(running_app)
    view_id, kept = reject_form(running_app, first)
    running_app.fake.views[view_id]["private_metadata"] = json.dumps({**kept, **change})

    reply = running_app.send.submit(view_id, APPROVER, {REASON_BLOCK: "wrong order"})

    assert reply.json == {"response_action": "errors",
                          "errors": {REASON_BLOCK: UNREADABLE_REJECT_FORM}}
    assert set(decisions(running_app).values()) == {Decision.PENDING}


@pytest.mark.parametrize("metadata", ["not json", "[1]", "2**70", ""])
def test_a_reject_form_whose_state_is_not_json_is_refused_in_the_form(running_app, metadata):
    first, _ = two_requests(running_app)
    view_id, _ = reject_form(running_app, first)
    running_app.fake.views[view_id]["private_metadata"] = metadata

    reply = running_app.send.submit(view_id, APPROVER, {REASON_BLOCK: "wrong order"})

    assert reply.json["errors"] == {REASON_BLOCK: UNREADABLE_REJECT_FORM}
    assert set(decisions(running_app).values()) == {Decision.PENDING}


def test_a_reject_form_naming_another_request_than_its_message_is_refused(running_app):
    first, second = two_requests(running_app)
    view_id, kept = reject_form(running_app, first)
    other = int(request_id_of(second))
    running_app.fake.views[view_id]["private_metadata"] = json.dumps(
        {**kept, "request_id": other})

    reply = running_app.send.submit(view_id, APPROVER, {REASON_BLOCK: "wrong order"})

    assert reply.json["errors"][REASON_BLOCK] == NotOnRequestMessage(other).message
    assert set(decisions(running_app).values()) == {Decision.PENDING}


@pytest.mark.parametrize("metadata", [
    "not json", "[]", "2**70", '{"action":"explode","packing_no":"QSP2611230001"}',
    '{"action":"resync","packing_no":["QSP2611230001"]}', '{"action":"resync"}',
    '{"action":"resync","packing_no":"QSP2611230001","ephemeral":"yes"}',
])
def test_a_request_form_whose_state_is_unreadable_is_refused_in_the_form(running_app, metadata):
    add_orders(running_app.uow, cancelled(FIRST))
    press_request(running_app, lookup_card(running_app, FIRST))
    view_id, _ = opened_view(running_app, 0)
    running_app.fake.views[view_id]["private_metadata"] = metadata

    reply = running_app.send.submit(view_id, REQUESTER, {NOTE_BLOCK: ""})

    assert reply.json == {"response_action": "errors",
                          "errors": {NOTE_BLOCK: UNREADABLE_REQUEST_FORM}}
    assert rows(running_app).requests == 0


def test_a_request_form_for_an_order_that_does_not_exist_is_refused_in_the_form(running_app):
    add_orders(running_app.uow, cancelled(FIRST))
    press_request(running_app, lookup_card(running_app, FIRST))
    view_id, view = opened_view(running_app, 0)
    kept = json.loads(view["private_metadata"])
    running_app.fake.views[view_id]["private_metadata"] = json.dumps(
        {**kept, "packing_no": "QSP2611239999"})

    reply = running_app.send.submit(view_id, REQUESTER, {NOTE_BLOCK: ""})

    assert reply.json["errors"][NOTE_BLOCK].startswith(
        "No order has the packing number QSP2611239999.")
    assert rows(running_app).requests == 0


@pytest.mark.parametrize("value", ['{"p":1180591620717411303424}', '{"n":1180591620717411303424}',
                                   '{"p":1e999}', '{"n":-5}', '{"se":["x"]}'])
def test_a_list_button_with_numbers_out_of_range_gets_the_stale_list_answer(running_app, value):
    url = running_app.fake.response_url()
    page = {"ts": "1764118800.000200", "text": "Cancelled orders", "blocks": [
        {"type": "actions", "block_id": "pages", "elements": [
            {"type": "button", "action_id": LIST_PAGE, "value": value,
             "text": {"type": "plain_text", "text": "Next"}}]}]}

    reply = running_app.send.click(page, LIST_PAGE, REQUESTER, channel="C0SUPPORT",
                                   response_url=url, ephemeral=True)

    assert reply.status == 200
    told = running_app.fake.wait_for(lambda: running_app.fake.posted_to(url))
    assert told[-1]["text"] == STALE_LIST_BUTTON
