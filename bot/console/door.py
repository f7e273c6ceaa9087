"""Requests to the app as Slack sends them: signed form bodies, dispatched to the Bolt app.

A slash command is a form; a click or a modal submission is a form with one `payload` field
holding JSON (shapes as in Slack's documentation). Each carries a fresh response URL on the
stand-in and a fresh trigger id. The app checks the signature, as it does for Slack.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from slack_bolt import App
from slack_bolt.lazy_listener import ThreadLazyListenerRunner
from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.console.workspace import TEAM_ID, Message, Workspace

APP_ID = "A0CANCELBOT"
COMMAND = "/cancelled"
SHORTCUT = "lookup_packing_numbers"  # manifest.yml's message shortcut


@dataclass(frozen=True)
class Answer:
    """The app's acknowledgement (status and body read as JSON when it is) and what the
    request carried."""

    status: int
    body: dict[str, Any]
    response_url: str = ""


class TrackedExecutor(Executor):
    """An executor that knows when every listener it was given has finished."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner
        self._pending = 0
        self._idle = threading.Condition()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._idle:
            self._pending += 1

        def run() -> Any:
            try:
                return fn(*args, **kwargs)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

        return self.inner.submit(run)

    def wait_idle(self, timeout: float) -> bool:
        """Block until no listener runs; False when some still run after timeout seconds."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.inner.shutdown(wait=wait, cancel_futures=cancel_futures)


def track_listeners(app: App) -> TrackedExecutor:
    """Run app's listeners (the lazy ones, which do the Slack work after an acknowledgement,
    included) through a TrackedExecutor, so the console can wait for them."""
    runner = app.listener_runner
    tracked = TrackedExecutor(runner.listener_executor)
    runner.listener_executor = tracked
    lazy = runner.lazy_listener_runner
    if isinstance(lazy, ThreadLazyListenerRunner):
        lazy.executor = tracked
    return tracked


class Door:
    """Signs requests with the session's secret and hands them to app.dispatch."""

    def __init__(self, app: App, secret: str, workspace: Workspace) -> None:
        self.app, self.workspace = app, workspace
        self.signer = SignatureVerifier(secret)

    def command(self, user: str, channel: str, text: str) -> Answer:
        """`/cancelled text` typed by user in channel."""
        url = self.workspace.response_url(user, channel)
        form = {
            "token": "unused", "team_id": TEAM_ID, "team_domain": "console",
            "channel_id": channel, "channel_name": channel.lower(), "user_id": user,
            "user_name": user.lower(), "command": COMMAND, "text": text,
            "api_app_id": APP_ID, "is_enterprise_install": "false", "response_url": url,
            "trigger_id": self.workspace.new_trigger(),
        }
        return self._dispatch(urlencode(form), url)

    def click(self, user: str, message: Message, button: dict[str, Any], block_id: str) -> Answer:
        """user presses button (in block block_id) on message."""
        url = self.workspace.response_url(user, message.channel, message)
        ephemeral = message.visible_to is not None
        payload = {
            "type": "block_actions", "team": {"id": TEAM_ID, "domain": "console"},
            "user": _user(user), "api_app_id": APP_ID, "token": "unused",
            "trigger_id": self.workspace.new_trigger(),
            "container": {"type": "message", "message_ts": message.ts,
                          "channel_id": message.channel, "is_ephemeral": ephemeral},
            "channel": {"id": message.channel, "name": message.channel.lower()},
            "message": message.as_slack(), "state": {"values": {}}, "response_url": url,
            "actions": [{**button, "block_id": block_id, "action_ts": f"{time.time():.6f}"}],
        }
        return self._dispatch(urlencode({"payload": json.dumps(payload)}), url)

    def submit(self, user: str, view: dict[str, Any], values: dict[str, dict[str, Any]]) -> Answer:
        """user submits the modal view with values (block id: {action id: element state})."""
        payload = {
            "type": "view_submission", "team": {"id": TEAM_ID, "domain": "console"},
            "user": _user(user), "api_app_id": APP_ID, "token": "unused",
            "trigger_id": self.workspace.new_trigger(),
            "view": {**view, "state": {"values": values}}, "response_urls": [],
        }
        return self._dispatch(urlencode({"payload": json.dumps(payload)}))

    def home_opened(self, user: str) -> Answer:
        """user opens the app's Home tab: the Events API's app_home_opened, as JSON."""
        event = {"type": "app_home_opened", "user": user, "channel": "D" + user[1:],
                 "tab": "home", "event_ts": f"{time.time():.6f}"}
        body = {"token": "unused", "team_id": TEAM_ID, "api_app_id": APP_ID, "event": event,
                "type": "event_callback", "event_id": f"Ev{time.time_ns()}",
                "event_time": int(time.time())}
        return self._dispatch(json.dumps(body), content_type="application/json")

    def click_home(self, user: str, view: dict[str, Any], button: dict[str, Any],
                   block_id: str) -> Answer:
        """user presses button on their Home tab view (no message, no response URL)."""
        payload = {
            "type": "block_actions", "team": {"id": TEAM_ID, "domain": "console"},
            "user": _user(user), "api_app_id": APP_ID, "token": "unused",
            "trigger_id": self.workspace.new_trigger(),
            "container": {"type": "view", "view_id": view.get("id", "")},
            "view": {**view, "team_id": TEAM_ID},
            "actions": [{**button, "block_id": block_id, "action_ts": f"{time.time():.6f}"}],
        }
        return self._dispatch(urlencode({"payload": json.dumps(payload)}))

    def shortcut(self, user: str, channel: str, text: str) -> Answer:
        """user runs the message shortcut lookup_packing_numbers on a message saying text."""
        url = self.workspace.response_url(user, channel)
        ts = f"{time.time():.6f}"
        payload = {
            "type": "message_action", "callback_id": SHORTCUT,
            "trigger_id": self.workspace.new_trigger(),
            "team": {"id": TEAM_ID, "domain": "console"}, "user": _user(user),
            "channel": {"id": channel, "name": channel.lower()},
            "message": {"type": "message", "user": user, "text": text, "ts": ts},
            "message_ts": ts, "response_url": url, "token": "unused", "action_ts": ts,
        }
        return self._dispatch(urlencode({"payload": json.dumps(payload)}), url)

    def _dispatch(self, body: str, response_url: str = "",
                  content_type: str = "application/x-www-form-urlencoded") -> Answer:
        stamp = str(int(time.time()))
        signature = self.signer.generate_signature(timestamp=stamp, body=body)
        if signature is None:  # given a timestamp and a body, it never is
            raise ValueError("no signature for the request")
        headers: dict[str, str | Sequence[str]] = {
            "content-type": content_type,
            "x-slack-request-timestamp": stamp, "x-slack-signature": signature}
        response = self.app.dispatch(BoltRequest(body=body, headers=headers))
        return Answer(response.status, _read(response.body), response_url)


def _user(user: str) -> dict[str, str]:
    return {"id": user, "username": user.lower(), "team_id": TEAM_ID}


def _read(body: str) -> dict[str, Any]:
    """An acknowledgement's body: JSON as it is, plain text as {"text": ...}, empty as {}."""
    text = (body or "").strip()
    if text.startswith("{"):
        try:
            read: dict[str, Any] = json.loads(text)
            return read
        except ValueError:
            pass
    return {"text": text} if text else {}
