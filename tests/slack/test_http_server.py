"""The HTTP server Slack talks to in HTTP mode: signatures checked before anything happens,
the health check, and a quick acknowledgement (waitress and the real app, over loopback)."""
from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy import text
from sqlalchemy.orm import Session

from bot.http import MAX_BODY_BYTES
from domain.model import Action
from domain.workflow import submit_request
from handlers.actions import APPROVE
from tests.integration.builders import add_orders, cancelled, ctx
from tests.slack.conftest import RunningApp, serving
from tests.slack.scenarios import APPROVALS, APPROVER, REQUESTER
from tests.slack.signed import Reply

FIVE_MINUTES_AND_A_BIT = 5 * 60 + 30
TABLES = ("orders", "requests", "jobs", "audit_events", "outbox")
CLOSED_PORT_DATABASE = "postgresql+psycopg://cancelbot@127.0.0.1:1/cancelbot"


def get(url: str) -> Reply:
    """GET url: (status, body), error statuses included."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return Reply(answer.status, answer.read().decode())
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.read().decode())


def post_unsigned(url: str, body: str) -> Reply:
    """POST a form body with no X-Slack-Signature or X-Slack-Request-Timestamp header."""
    request = urllib.request.Request(url, data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return Reply(answer.status, answer.read().decode())
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.read().decode())


def snapshot(sessions: Callable[[], Session]) -> dict[str, list[Any]]:
    """Every row of the tables a click or a command could write."""
    with sessions() as session:
        return {table: [tuple(row) for row in session.execute(text(f"SELECT * FROM {table}"))]
                for table in TABLES}


def awaiting_request_message(running: RunningApp) -> dict[str, Any]:
    """A request waiting for approval, and its request message with an `Approve` button."""
    order, = add_orders(running.uow, cancelled("QSP2611260001"))
    with running.uow() as uow:
        submitted = submit_request(uow, [order.packing_no], Action.RESYNC, REQUESTER, "", ctx())
    approve = {"type": "button", "action_id": APPROVE, "value": str(submitted.request.id),
               "text": {"type": "plain_text", "text": "Approve"}}
    return {"ts": "1764118800.000100", "text": "Resync requested",
            "blocks": [{"type": "actions", "block_id": "decide", "elements": [approve]}]}


def test_a_click_with_a_forged_signature_is_refused_and_changes_nothing(running_app):
    message = awaiting_request_message(running_app)
    before = snapshot(running_app.sessions)

    reply = running_app.send.click(message, APPROVE, APPROVER, channel=APPROVALS,
                                   secret="not-the-signing-secret")

    assert reply.status == 401
    assert snapshot(running_app.sessions) == before
    assert running_app.fake.calls == []


def test_a_click_signed_more_than_five_minutes_ago_is_refused_and_changes_nothing(running_app):
    message = awaiting_request_message(running_app)
    before = snapshot(running_app.sessions)

    reply = running_app.send.click(message, APPROVE, APPROVER, channel=APPROVALS,
                                   timestamp=int(time.time()) - FIVE_MINUTES_AND_A_BIT)

    assert reply.status == 401
    assert snapshot(running_app.sessions) == before
    assert running_app.fake.calls == []


def test_a_command_signed_in_the_future_beyond_five_minutes_is_refused(running_app):
    reply = running_app.send.command("help", REQUESTER,
                                     timestamp=int(time.time()) + FIVE_MINUTES_AND_A_BIT)

    assert reply.status == 401
    assert running_app.fake.calls == []


def test_a_command_with_a_forged_signature_gets_no_answer(running_app):
    reply = running_app.send.command("QSP2611260001", REQUESTER, secret="forged")

    assert reply.status == 401
    assert running_app.fake.calls == []


def test_a_request_without_signature_headers_is_refused(running_app):
    body = urlencode({"command": "/cancelled", "text": "help", "user_id": REQUESTER,
                      "response_url": running_app.fake.response_url()})

    reply = post_unsigned(running_app.send.events_url, body)

    assert reply.status == 401
    assert running_app.fake.calls == []


def test_health_check_answers_ok_when_the_database_answers(running_app):
    reply = get(running_app.base_url + "/healthz")

    assert (reply.status, reply.body.strip()) == (200, "ok")


def test_health_check_answers_503_when_the_database_is_unreachable(fake_slack):
    with serving(fake_slack, CLOSED_PORT_DATABASE) as running:
        reply = get(running.base_url + "/healthz")

    assert reply.status == 503
    assert "database not reachable" in reply.body


def post_declaring_length(url: str, length: int) -> int:
    """The status of a POST that declares a body of length bytes and sends none of it."""
    parts = urlsplit(url)
    assert parts.hostname, url
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.putrequest("POST", parts.path)
        connection.putheader("Content-Type", "application/x-www-form-urlencoded")
        connection.putheader("Content-Length", str(length))
        connection.endheaders()
        return connection.getresponse().status
    finally:
        connection.close()


def test_a_body_bigger_than_any_slack_request_is_refused_before_it_is_read(running_app):
    awaiting_request_message(running_app)
    before = snapshot(running_app.sessions)
    # the answer must come while the body is still unsent: the server never waits to read it
    status = post_declaring_length(running_app.send.events_url, MAX_BODY_BYTES + 1)

    assert status == 413
    assert running_app.fake.calls == []
    assert snapshot(running_app.sessions) == before


def test_an_unknown_path_is_not_found(running_app):
    assert get(running_app.base_url + "/slack/other").status == 404
    assert get(running_app.base_url + "/slack/events").status == 404  # Slack only POSTs there


def test_a_signed_help_command_is_acknowledged_and_the_usage_follows(running_app):
    reply = running_app.send.command("help", REQUESTER)

    assert reply.status == 200  # how fast: bench/slack.py
    usage = usage_text(running_app, reply)
    for sub_command in ("list", "history", "jobs", "help"):
        assert sub_command in usage


def usage_text(running: RunningApp, reply: Reply) -> str:
    """The usage the person sees: in the acknowledgement, or posted to the response URL."""
    if reply.json and (reply.json.get("text") or reply.json.get("blocks")):
        return str(reply.json)
    return str(running.fake.wait_for(lambda: running.fake.shown(reply.response_url)))
