"""A request that cannot be verified as Slack's gets 401 before any listener, error handler or
Slack call: over HTTP (waitress and the real app) and through app.dispatch (the console's path).
Every refusal leaves the fake Slack uncalled and the database as it was."""
from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import App
from slack_bolt.request import BoltRequest

from bot.composition import build_app
from handlers.actions import APPROVE
from handlers.errors import on_error
from handlers.trust import VERIFIED
from handlers.webhook import trust_api_url
from store.db import make_engine
from store.uow import session_factory, uow_factory
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.slack.conftest import AWAITED_SECONDS, client_for, settings_for
from tests.slack.requesting import said_to
from tests.slack.scenarios import APPROVALS, APPROVER, REQUESTER
from tests.slack.signed import SIGNING_SECRET, Reply, signature
from tests.slack.test_http_server import awaiting_request_message, snapshot

HEX64 = "0" * 64


def now() -> str:
    return str(int(time.time()))


def post_raw(url: str, body: bytes, headers: dict[str, str],
             content_type: str = "application/x-www-form-urlencoded") -> Reply:
    """POST body with exactly these headers besides Content-Type: nothing signed for us."""
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": content_type, **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return Reply(answer.status, answer.read().decode())
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.read().decode())


def victim_command(response_url: str | None) -> str:
    """The issue's body: /cancelled for a victim, answers to a URL of the sender's choosing."""
    form = {"command": "/cancelled", "text": "x", "user_id": "UVICTIM", "team_id": TEAM_ID,
            "channel_id": "C0SUPPORT"}
    if response_url:
        form["response_url"] = response_url
    return urlencode(form)


def arabic_now() -> str:
    """Now in Arabic-Indic digits: Python's int() reads them, Slack never sends them."""
    return now().translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))


def signed_as_given(stamp: str, body: str) -> dict[str, str]:
    """Headers with stamp as the timestamp and the true HMAC over it: only its form is wrong."""
    return {"X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature(SIGNING_SECRET, stamp, body)}


def test_the_reported_request_with_timestamp_abc_gets_401_and_nothing_is_posted(running_app):
    body = victim_command(running_app.fake.response_url())

    reply = post_raw(running_app.send.events_url, body.encode(),
                     {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=00"})

    assert reply.status == 401
    assert running_app.fake.calls == []  # no answer at the response URL, no direct message


def test_without_a_response_url_no_direct_message_goes_to_the_named_user(running_app):
    reply = post_raw(running_app.send.events_url, victim_command(None).encode(),
                     {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=00"})

    assert reply.status == 401
    assert running_app.fake.calls_to("chat.postMessage") == []
    assert running_app.fake.calls == []


@pytest.mark.parametrize("stamp", [
    "", "abc", "1.5e9", "1e9", "{now}.5", "{now}.0", " {now}", "+{now}", "{now}_0",
    "99999999999999999999999", "1" * 5000, "-{now}", "0x1f", "{arabic}",
])
def test_a_timestamp_that_is_not_whole_seconds_now_gets_401(running_app, stamp):
    stamp = stamp.replace("{now}", now()).replace("{arabic}", arabic_now())
    body = victim_command(running_app.fake.response_url())
    headers = {"X-Slack-Request-Timestamp": stamp,
               "X-Slack-Signature": signature(SIGNING_SECRET, stamp, body)}

    reply = post_raw(running_app.send.events_url, body.encode("utf-8"),
                     {k: v.encode("utf-8").decode("latin-1") for k, v in headers.items()})

    assert reply.status == 401
    assert running_app.fake.calls == []


@pytest.mark.parametrize("signed", [
    "", "v0=", "v0=00", "v0=" + "z" * 64, "v0=" + HEX64.upper().replace("0", "A"),
    "v1=" + HEX64, "v0=" + HEX64 + "00", "{true}, {true}", "{true}0", "v0=é" + HEX64[2:],
])
def test_a_signature_that_is_missing_or_malformed_gets_401(running_app, signed):
    body = victim_command(running_app.fake.response_url())
    stamp = now()
    signed = signed.replace("{true}", signature(SIGNING_SECRET, stamp, body))

    reply = post_raw(running_app.send.events_url, body.encode(),
                     {"X-Slack-Request-Timestamp": stamp,
                      "X-Slack-Signature": signed.encode().decode("latin-1")})

    assert reply.status == 401
    assert running_app.fake.calls == []


def test_requests_without_one_header_or_both_get_401(running_app):
    body = victim_command(running_app.fake.response_url())
    stamp = now()
    for headers in ({}, {"X-Slack-Request-Timestamp": stamp},
                    {"X-Slack-Signature": signature(SIGNING_SECRET, stamp, body)}):
        assert post_raw(running_app.send.events_url, body.encode(), headers).status == 401
    assert running_app.fake.calls == []


@pytest.mark.parametrize("body,content_type", [
    ("payload=not-json", None),
    ("payload=%5B1%2C2%5D", None),  # JSON, not an object
    ("payload=%7B%22type%22%3A%22block_actions%22%2C%22actions%22%3A%22zz%22%7D", None),
    ("payload=%7B%7D&payload=%7B%7D", None),
    ("{not json", None),
    ("[1, 2]", "application/json"),
    ("hello world", None),
    ("<xml>command=/cancelled</xml>", "text/xml"),
    ("", None),
    ("   ", None),
])
def test_a_signed_body_slack_would_not_send_gets_401(running_app, body, content_type):
    awaiting_request_message(running_app)
    before = snapshot(running_app.sessions)

    reply = running_app.send.post(body, headers={"Content-Type": content_type}
                                  if content_type else None)

    assert reply.status == 401
    assert running_app.fake.calls == []
    assert snapshot(running_app.sessions) == before


def test_a_body_that_is_not_utf8_gets_401(running_app):
    body = b"command=%2Fcancelled&text=\xff\xfe&user_id=UVICTIM"
    stamp = now()
    # what a sender could sign: the bytes as Latin-1 text
    headers = signed_as_given(stamp, body.decode("latin-1"))

    reply = post_raw(running_app.send.events_url, body, headers)

    assert reply.status == 401
    assert running_app.fake.calls == []


def test_a_click_unsigned_with_a_response_url_changes_nothing_and_is_not_answered(running_app):
    message = awaiting_request_message(running_app)
    before = snapshot(running_app.sessions)

    reply = running_app.send.click(message, APPROVE, APPROVER, channel=APPROVALS,
                                   headers={"X-Slack-Request-Timestamp": "1.5e9"})

    assert reply.status == 401
    assert snapshot(running_app.sessions) == before
    assert running_app.fake.calls == []


def test_refused_bodies_are_not_written_to_the_log(running_app, caplog):
    body = victim_command(running_app.fake.response_url()) + "&filler=" + "A" * 900_000
    with caplog.at_level(logging.DEBUG):
        for _ in range(5):
            reply = post_raw(running_app.send.events_url, body.encode(),
                             {"X-Slack-Request-Timestamp": now(),
                              "X-Slack-Signature": "v0=" + HEX64})
            assert reply.status == 401

    logged = sum(len(record.getMessage()) for record in caplog.records)
    assert "AAAAAAAAAA" not in caplog.text
    assert logged < 5_000
    assert any("not verified as Slack's" in r.getMessage() for r in caplog.records)


def test_a_signed_request_still_reaches_its_listener(running_app):
    reply = running_app.send.command("help", REQUESTER)

    assert reply.status == 200
    running_app.fake.wait_for(lambda: running_app.fake.shown(reply.response_url))


def test_a_command_with_the_word_payload_in_it_is_still_answered(running_app):
    # Bolt reads any form containing "payload" as a payload form, and found an empty body
    reply = running_app.send.command("payload", REQUESTER)

    assert reply.status == 200
    shown = running_app.fake.wait_for(lambda: running_app.fake.shown(reply.response_url))
    assert shown["text"].startswith("`payload` is not a sub-command of `/cancelled`")


# -- the console's path: signed requests handed to app.dispatch ---------------------------

@pytest.fixture
def bolt_app(fake_slack: FakeSlack, db_url: str) -> Iterator[App]:
    """The app as `cancelbot console` builds it, without a server in front."""
    engine = make_engine(db_url)
    settings = settings_for(fake_slack, db_url)
    yield build_app(settings, uow_factory(session_factory(engine)), client_for(fake_slack),
                    answer_seconds=AWAITED_SECONDS)
    engine.dispose()


def dispatch(app: App, body: str, **headers: str) -> Any:
    return app.dispatch(BoltRequest(body=body, headers={
        "content-type": "application/x-www-form-urlencoded", **headers}))


@pytest.mark.parametrize("stamp", ["abc", "", "1.5e9", "{now}.5", "99999999999999999999999",
                                   " {now}", "{arabic}"])
def test_through_dispatch_a_bad_timestamp_gets_401_and_no_answer(bolt_app, fake_slack, stamp):
    stamp = stamp.replace("{now}", now()).replace("{arabic}", arabic_now())
    body = victim_command(fake_slack.response_url())

    answer = dispatch(bolt_app, body, **{"x-slack-request-timestamp": stamp,
                                         "x-slack-signature": signature(SIGNING_SECRET,
                                                                        stamp, body)})

    assert answer.status == 401
    assert fake_slack.calls == []


def test_through_dispatch_malformed_signatures_and_bodies_get_401(bolt_app, fake_slack):
    url = fake_slack.response_url()
    body = victim_command(url)
    stamp = now()
    for signed in ("v0=00", "", "v0=" + HEX64):
        answer = dispatch(bolt_app, body, **{"x-slack-request-timestamp": stamp,
                                             "x-slack-signature": signed})
        assert answer.status == 401
    for unreadable in ("hello", "a=1&&b", " "):
        answer = dispatch(bolt_app, unreadable, **signed_as_given(stamp, unreadable))
        assert answer.status == 401
    answer = dispatch(bolt_app, body)  # no signature headers at all
    assert answer.status == 401
    assert fake_slack.calls == []


def test_through_dispatch_a_signed_command_is_answered(bolt_app, fake_slack):
    url = fake_slack.response_url()
    body = urlencode({"command": "/cancelled", "text": "help", "user_id": REQUESTER,
                      "team_id": TEAM_ID, "channel_id": "C0SUPPORT", "response_url": url})

    answer = dispatch(bolt_app, body, **signed_as_given(now(), body))

    assert answer.status == 200
    assert "history" in answer.body and fake_slack.sent_to(url) == []


def test_an_answer_still_reaches_whoever_clicked_after_a_refused_forgery(running_app):
    message = awaiting_request_message(running_app)
    post_raw(running_app.send.events_url, victim_command(running_app.fake.response_url()).encode(),
             {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=00"})

    reply = running_app.send.click(message, APPROVE, "UOUTSIDER1", channel=APPROVALS)

    assert reply.status == 200
    assert said_to(running_app, reply) == (
        "Only the configured approvers can approve or reject requests.")


def test_the_error_handler_answers_a_verified_request_only(fake_slack, caplog):
    trust_api_url(fake_slack.base_url)
    client, url = client_for(fake_slack), fake_slack.response_url()
    body = {"response_url": url, "user_id": "UVICTIM"}

    with caplog.at_level(logging.ERROR):
        on_error(RuntimeError("boom"), body, client, {})
        on_error(RuntimeError("boom"), {"user_id": "UVICTIM"}, client, {})
        assert fake_slack.calls == []
        on_error(RuntimeError("boom"), body, client, {VERIFIED: True})

    assert fake_slack.posted_to(url)[0]["text"].startswith("Something went wrong")
