"""Which bodies count as ones Slack sends: the rest are refused before Bolt matches them."""
from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest

from handlers.payloads import NotSlackBody, read_body

COMMAND = {"token": "x", "team_id": "T0001", "channel_id": "C1", "user_id": "U1",
           "command": "/cancelled", "text": "help", "response_url": "https://hooks.slack.com/c/1",
           "trigger_id": "1.2.3"}
CLICK = {"type": "block_actions", "team": {"id": "T0001"}, "user": {"id": "U1", "team_id": "T0001"},
         "trigger_id": "1.2.3", "container": {"type": "message", "message_ts": "1.000001"},
         "channel": {"id": "C1"}, "message": {"ts": "1.000001", "blocks": []},
         "response_url": "https://hooks.slack.com/a/1",
         "actions": [{"type": "button", "action_id": "approve_request", "value": "7"}]}
SUBMISSION = {"type": "view_submission", "team": {"id": "T0001"}, "user": {"id": "U1"},
              "view": {"callback_id": "reject_modal", "private_metadata": "{}",
                       "state": {"values": {"reason": {"reason": {"type": "plain_text_input",
                                                                  "value": "no"}}}}},
              "response_urls": []}


def as_payload(body: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(body)})


URL_CHECK = {"type": "url_verification", "challenge": "x"}


@pytest.mark.parametrize("body,expected", [
    (urlencode(COMMAND), COMMAND), (as_payload(CLICK), CLICK),
    (as_payload(SUBMISSION), SUBMISSION), (json.dumps(URL_CHECK), URL_CHECK),
    (urlencode({**COMMAND, "text": "payload"}), {**COMMAND, "text": "payload"}),
])
def test_what_slack_sends_is_read_whole(body, expected):
    assert read_body(body, "application/x-www-form-urlencoded") == expected


def changed(body: dict[str, Any], change: Callable[[dict[str, Any]], Any]) -> str:
    copied = copy.deepcopy(body)
    change(copied)
    return as_payload(copied)


@pytest.mark.parametrize("body", [
    "", "  ", "hello", "a=1&&b=2", "payload=nope", "payload=%5B%5D", "payload=1",
    "payload=%7B%7D&payload=%7B%7D", "{", "[1]", '"text"',
    changed(CLICK, lambda b: b.update(actions="zz")),
    changed(CLICK, lambda b: b.update(actions=[])),
    changed(CLICK, lambda b: b["actions"][0].pop("action_id")),
    changed(CLICK, lambda b: b["actions"][0].update(value=["7"])),
    changed(CLICK, lambda b: b.pop("trigger_id")),
    changed(CLICK, lambda b: b.pop("user")),
    changed(CLICK, lambda b: b.update(user="U1")),
    changed(CLICK, lambda b: b.update(team=["T0001"])),
    changed(CLICK, lambda b: b.update(container="C1")),
    changed(CLICK, lambda b: b.update(type=5)),
    changed(SUBMISSION, lambda b: b.update(view="V1")),
    changed(SUBMISSION, lambda b: b["view"].pop("callback_id")),
    changed(SUBMISSION, lambda b: b["view"].update(private_metadata={"request_id": 1})),
    changed(SUBMISSION, lambda b: b["view"].update(state="x")),
    changed(SUBMISSION, lambda b: b["view"]["state"].update(values={"reason": "x"})),
    changed(SUBMISSION, lambda b: b["view"]["state"]["values"]["reason"].update(reason=5)),
    changed(SUBMISSION, lambda b: b["view"]["state"]["values"]["reason"]["reason"]
            .update(value=5)),
    '{"type": "event_callback", "event": "x"}',
    "[" * 100_000,
])
def test_anything_else_is_not_a_slack_body(body):
    with pytest.raises(NotSlackBody):
        read_body(body, None)


def test_a_content_type_other_than_form_or_json_is_not_slacks():
    with pytest.raises(NotSlackBody):
        read_body(urlencode(COMMAND), "text/xml")
    with pytest.raises(NotSlackBody):
        read_body(urlencode(COMMAND), "multipart/form-data; boundary=x")
    assert read_body(urlencode(COMMAND), "application/x-www-form-urlencoded; charset=utf-8")


SHORTCUT = {"type": "message_action", "callback_id": "lookup_packing_numbers",
            "trigger_id": "1.2.3", "team": {"id": "T0001"}, "user": {"id": "U1"},
            "channel": {"id": "C1"}, "message": {"type": "message", "text": "QSP2611260001",
                                                 "ts": "1.000001"},
            "response_url": "https://hooks.slack.com/a/1"}
HOME_OPENED = {"type": "event_callback", "team_id": "T0001",
               "event": {"type": "app_home_opened", "user": "U1", "tab": "home"}}


def test_a_message_shortcut_and_a_home_event_are_read_whole():
    assert read_body(as_payload(SHORTCUT), None) == SHORTCUT
    assert read_body(json.dumps(HOME_OPENED), "application/json") == HOME_OPENED


@pytest.mark.parametrize("change", [
    lambda b: b.pop("callback_id"), lambda b: b.update(callback_id=7),
    lambda b: b.pop("trigger_id"), lambda b: b["message"].update(text=["QSP1"]),
    lambda b: b.pop("user"), lambda b: b.update(message="QSP2611260001"),
])
def test_a_message_shortcut_slack_would_not_send_is_refused(change):
    with pytest.raises(NotSlackBody):
        read_body(changed(SHORTCUT, change), None)
