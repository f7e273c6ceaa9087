"""Requests to the app exactly as Slack sends them: form bodies, signed with the signing secret.

Shapes follow Slack's documented payloads (docs.slack.dev, "Slash commands", "Interactivity"):
a slash command is a form; a click or a modal submission is a form with one `payload` field
holding JSON. Each request Slack sends carries a fresh response URL (on the fake Slack, so
answers to it are recorded) and a fresh trigger id.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from tests.fakeslack import TEAM_ID, FakeSlack

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SUPPORT = "C0SUPPORT"  # where people type /cancelled
APP_ID = "A0CANCELBOT"


def signature(secret: str, timestamp: str, body: str) -> str:
    """Slack's v0 signature of a request body."""
    return SignatureVerifier(secret).generate_signature(
        timestamp=timestamp, body=body)  # type: ignore[return-value]


@dataclass(frozen=True)
class Reply:
    """The app's HTTP answer, and the response URL and trigger the request carried."""

    status: int
    body: str
    response_url: str = ""
    trigger_id: str = ""

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body.strip().startswith("{") else None


@dataclass
class SlackSender:
    """Signs and sends requests to the app's /slack/events over loopback."""

    events_url: str
    fake: FakeSlack
    secret: str = SIGNING_SECRET

    def post(self, body: str, *, timestamp: int | None = None, secret: str | None = None,
             headers: dict[str, str] | None = None,
             content_type: str = "application/x-www-form-urlencoded") -> Reply:
        """POST a body (a form unless told) signed at timestamp (default now) with secret
        (default ours)."""
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        request = urllib.request.Request(self.events_url, data=body.encode(), method="POST")
        request.add_header("Content-Type", content_type)
        request.add_header("X-Slack-Request-Timestamp", stamp)
        request.add_header("X-Slack-Signature", signature(secret or self.secret, stamp, body))
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return Reply(answer.status, answer.read().decode())
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read().decode())

    def command(self, text: str, user: str, channel: str = SUPPORT, *, team: str = TEAM_ID,
                response_url: str | None = None, **signing: Any) -> Reply:
        """`/cancelled text` typed by user in channel (of workspace team)."""
        url, trigger = response_url or self.fake.response_url(), self.fake.new_trigger()
        form = {
            "token": "unused", "team_id": team, "team_domain": "smartship",
            "channel_id": channel, "channel_name": "seller-support", "user_id": user,
            "user_name": user.lower(), "command": "/cancelled", "text": text,
            "api_app_id": APP_ID, "is_enterprise_install": "false", "response_url": url,
            "trigger_id": trigger,
        }
        reply = self.post(urlencode(form), **signing)
        shows(self.fake, reply, url)
        return Reply(reply.status, reply.body, url, trigger)

    def click(self, message: dict[str, Any], action_id: str, user: str, *, channel: str,
              response_url: str | None = None, ephemeral: bool = False,
              value: str | None = None, team: str = TEAM_ID, **signing: Any) -> Reply:
        """Press the button action_id (with value, when several share it) on message.

        message is a message as the fake Slack keeps it, or a body posted to a response URL
        (an ephemeral message: pass its response_url so that edits land on it).
        """
        button = find_button(message, action_id, value)
        url, trigger = response_url or self.fake.response_url(), self.fake.new_trigger()
        ts = message.get("ts", "1764118800.000100")
        payload = {
            "type": "block_actions", "team": {"id": team, "domain": "smartship"},
            "user": {"id": user, "username": user.lower(), "team_id": team},
            "api_app_id": APP_ID, "token": "unused", "trigger_id": trigger,
            "container": {"type": "message", "message_ts": ts, "channel_id": channel,
                          "is_ephemeral": ephemeral},
            "channel": {"id": channel, "name": "channel"},
            "message": {"type": "message", "ts": ts, "text": message.get("text", ""),
                        "blocks": message.get("blocks", [])},
            "state": {"values": {}}, "response_url": url,
            "actions": [{**button, "block_id": button.get("block_id", "b"),
                         "action_ts": f"{time.time():.6f}"}],
        }
        reply = self.post(urlencode({"payload": json.dumps(payload)}), **signing)
        return Reply(reply.status, reply.body, url, trigger)

    def submit(self, view_id: str, user: str, values: dict[str, str] | None = None, *,
               team: str = TEAM_ID, **signing: Any) -> Reply:
        """Submit the modal the fake Slack holds as view_id, typing values (block id: text)."""
        view = self.fake.views[view_id]
        state = {block["block_id"]: {block["element"]["action_id"]: {
                     "type": block["element"]["type"],
                     "value": (values or {}).get(block["block_id"])}}
                 for block in view.get("blocks", []) if block.get("type") == "input"}
        payload = {
            "type": "view_submission", "team": {"id": team, "domain": "smartship"},
            "user": {"id": user, "username": user.lower(), "team_id": team},
            "api_app_id": APP_ID, "token": "unused", "trigger_id": self.fake.new_trigger(),
            "view": {**view, "state": {"values": state}, "hash": "1.abc"},
            "response_urls": [],
        }
        return self.post(urlencode({"payload": json.dumps(payload)}), **signing)


    def home_opened(self, user: str, *, tab: str = "home", team: str = TEAM_ID,
                    **signing: Any) -> Reply:
        """The Events API's app_home_opened for user (JSON, as Slack sends events)."""
        event = {"type": "app_home_opened", "user": user, "channel": "D0HOME" + user[-4:],
                 "tab": tab, "event_ts": f"{time.time():.6f}"}
        body = {"token": "unused", "team_id": team, "api_app_id": APP_ID, "event": event,
                "type": "event_callback", "event_id": f"Ev{time.time_ns()}",
                "event_time": int(time.time()),
                "authorizations": [{"team_id": team, "user_id": "U0CANCELBOT", "is_bot": True}]}
        return self.post(json.dumps(body), content_type="application/json", **signing)

    def click_home(self, user: str, action_id: str, value: str | None = None, *,
                   team: str = TEAM_ID, **signing: Any) -> Reply:
        """Press a button on user's published Home tab (a view: no message, no response URL)."""
        home = self.fake.homes[user]
        button = find_button(home, action_id, value)
        trigger = self.fake.new_trigger()
        payload = {
            "type": "block_actions", "team": {"id": team, "domain": "smartship"},
            "user": {"id": user, "username": user.lower(), "team_id": team},
            "api_app_id": APP_ID, "token": "unused", "trigger_id": trigger,
            "container": {"type": "view", "view_id": home["id"]},
            "view": {**home, "team_id": team, "app_installed_team_id": team},
            "actions": [{**button, "block_id": button.get("block_id", "b"),
                         "action_ts": f"{time.time():.6f}"}],
        }
        reply = self.post(urlencode({"payload": json.dumps(payload)}), **signing)
        return Reply(reply.status, reply.body, "", trigger)

    def shortcut(self, text: str, user: str, *, channel: str = SUPPORT,
                 callback_id: str = "lookup_packing_numbers", team: str = TEAM_ID,
                 **signing: Any) -> Reply:
        """The message shortcut callback_id used by user on a message saying text."""
        url, trigger = self.fake.response_url(), self.fake.new_trigger()
        payload = {
            "type": "message_action", "callback_id": callback_id, "trigger_id": trigger,
            "team": {"id": team, "domain": "smartship"},
            "user": {"id": user, "username": user.lower(), "team_id": team},
            "channel": {"id": channel, "name": "seller-support"},
            "message": {"type": "message", "user": "U0SELLERSUPPORT", "text": text,
                        "ts": "1764118800.000200"},
            "message_ts": "1764118800.000200", "response_url": url, "token": "unused",
            "action_ts": f"{time.time():.6f}",
        }
        reply = self.post(urlencode({"payload": json.dumps(payload)}), **signing)
        return Reply(reply.status, reply.body, url, trigger)


def shows(fake: FakeSlack, reply: Reply, response_url: str) -> None:
    """Show an acknowledgement that carries a message as Slack does: as the command's answer,
    where an answer posted to the response URL would show (no post to it is recorded)."""
    body = reply.json if reply.status == 200 else None
    if isinstance(body, dict) and (body.get("text") or body.get("blocks")):
        fake.workspace.respond(response_url, body)


def find_button(
    message: dict[str, Any], action_id: str, value: str | None = None
) -> dict[str, Any]:
    """The button with action_id (and value) in a message's blocks; AssertionError if none."""
    for block in message.get("blocks") or []:
        elements = block.get("elements", []) if block.get("type") == "actions" else []
        accessory = [block["accessory"]] if block.get("accessory") else []
        for element in elements + accessory:
            if element.get("action_id") == action_id and value in (None, element.get("value")):
                return {**element, "block_id": block.get("block_id", "b")}
    raise AssertionError(f"no {action_id} button in {json.dumps(message)[:500]}")


def buttons(message: dict[str, Any] | None) -> list[str]:
    """The labels of every button on a message, in order."""
    labels = []
    for block in (message or {}).get("blocks") or []:
        elements = block.get("elements", []) if block.get("type") == "actions" else []
        elements += [block["accessory"]] if block.get("accessory") else []
        labels += [e["text"]["text"] for e in elements if e.get("type") == "button"]
    return labels
