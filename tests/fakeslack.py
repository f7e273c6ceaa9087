"""The fake Slack the tests talk to: the product's stand-in for Slack (bot/console/standin.py)
in Slack's own workspace, recording every call.

    with FakeSlack() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url)
        client.chat_postMessage(channel="C1", text="hi")
        assert slack.calls_to("chat.postMessage")[0].params["text"] == "hi"

The stand-in answers the Web API methods the bot calls the way Slack does and serves the
response URLs that `response_url()` makes; failures are scripted per method with `fail_next`
(HTTP 429 with Retry-After, 500, ...), `fail_every`, `error_next` (HTTP 200 with ok=false),
`hang_next` (answer once a test sets an event, or at stop) and `drop_next` (close the
connection without answering), some of which can apply the call first, as when Slack posted
but the answer was lost (bot/console/faults.py). On top of it the fake records each call
(method, parameters, headers with lower-case names) and each body posted to a response URL,
refuses messages, views and response-URL bodies outside the Block Kit limits with
`invalid_blocks` / `invalid_arguments`, as Slack does (tests/blockkit_limits.py), and answers
a method a test registers with `on(method, handler)`.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.console.files import SharedFile
from bot.console.standin import StandIn
from bot.console.webapi import MESSAGE_METHODS, Params
from bot.console.workspace import Team, Workspace
from tests.blockkit_limits import message_problems, view_problems

TEAM_ID = "T0SMARTSHIP"
SMARTSHIP = Team(TEAM_ID, "Smartship", "https://smartship.example.slack.com/")
FIRST_TS_SECONDS = 1_764_118_800  # 2025-11-26 01:00 UTC; ts values only need to increase
WAIT_POLL_SECONDS = 0.01

Handler = Callable[[Params], Params]


@dataclass(frozen=True)
class Call:
    """One request as the fake received it."""

    method: str
    params: Params
    headers: dict[str, str]


class FakeSlack(StandIn):
    """The stand-in for Slack with a recording of every call; start() or use it in `with`."""

    def __init__(self) -> None:
        super().__init__(Workspace(team=SMARTSHIP, first_ts=FIRST_TS_SECONDS),
                         check=_block_kit_refusal)
        self.token_prefix = "xox"
        self.calls: list[Call] = []
        self._recording = threading.Lock()

    def __enter__(self) -> FakeSlack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what the stand-in keeps --------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What WebClient takes as base_url (what SLACK_API_URL would say)."""
        return self.api_url

    @property
    def messages(self) -> dict[str, list[Params]]:
        """Every channel's messages (thread replies too) as Slack shows them, oldest first."""
        return {channel: [m.as_slack() for m in messages]
                for channel, messages in self.workspace.channels().items()}

    @property
    def views(self) -> dict[str, Params]:
        """The views opened, per view id (a test may change one as a user's client would)."""
        return self.workspace.views

    @property
    def homes(self) -> dict[str, Params]:
        """Each user's published Home tab (views.publish), per user id."""
        return self.workspace.homes

    @property
    def usergroups(self) -> dict[str, list[str]]:
        """User group id: its members' user ids."""
        return self.workspace.usergroups

    @property
    def member_of(self) -> set[str] | None:
        """The channels the bot is in (None: every channel)."""
        return self.workspace.member_of

    @member_of.setter
    def member_of(self, channels: set[str] | None) -> None:
        self.workspace.member_of = channels

    @property
    def shared_files(self) -> list[SharedFile]:
        """The files shared through the external upload (their bytes and channel), in order."""
        return self.workspace.files.shared()

    def response_url(self) -> str:
        """A new response URL on this server, as Slack puts one in each command and click."""
        return self.workspace.response_url("", "")

    def new_trigger(self) -> str:
        """A trigger id, as Slack puts one in each command, click and submission."""
        return self.workspace.new_trigger()

    # -- scripting ----------------------------------------------------------------------

    def on(self, method: str, handler: Handler) -> None:
        """Answer method with handler(params) -> response dict (ok is added when missing)."""
        self.api.methods[method] = handler

    def fail_next(self, method: str, times: int = 1, status: int = 500,
                  retry_after: int | None = None, apply: bool = False) -> None:
        self.faults.fail_next(method, times, status, retry_after, apply)

    def fail_every(self, method: str, every: int = 2, status: int = 500,
                   retry_after: int | None = None, apply: bool = False) -> None:
        self.faults.fail_every(method, every, status, retry_after, apply)

    def error_next(self, method: str, error: str, times: int = 1) -> None:
        self.faults.error_next(method, error, times)

    def hang_next(self, method: str, apply: bool = True, times: int = 1,
                  until: threading.Event | None = None) -> None:
        self.faults.hang_next(method, apply, times, until)

    def drop_next(self, method: str, apply: bool = True, times: int = 1) -> None:
        self.faults.drop_next(method, apply, times)

    # -- reading what happened ----------------------------------------------------------

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
        """Poll predicate until it returns something truthy (returned), else AssertionError."""
        deadline = time.monotonic() + timeout
        while True:
            with self.workspace.lock:
                value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"nothing arrived at the fake Slack within {timeout} s")
            time.sleep(WAIT_POLL_SECONDS)

    def calls_to(self, method: str) -> list[Call]:
        """The recorded calls of one method, in order."""
        with self._recording:
            return [c for c in self.calls if c.method == method]

    def sent_to(self, url: str) -> list[Params]:
        """The bodies the app POSTed to a response URL (not what an acknowledgement showed)."""
        return [call.params for call in self.calls_to("response_url")
                if call.params["url"] == url]

    def message(self, channel: str, ts: str) -> Params | None:
        """The current version of a message."""
        found = self.workspace.message(channel, ts)
        return found.as_slack() if found else None

    def replies(self, channel: str, thread_ts: str) -> list[Params]:
        """The replies in a thread (without its parent), oldest first."""
        return [m.as_slack() for m in self.workspace.thread(channel, thread_ts)
                if m.ts != thread_ts]

    def posted_to(self, url: str) -> list[Params]:
        """Everything posted to a response URL, in order."""
        return self.workspace.posted_to(url)

    def shown(self, url: str) -> Params | None:
        """The message a response URL's user sees now: the last one that was not added beside
        it (replace_original false) and was not deleted; None if nothing is shown."""
        shown = None
        for body in self.posted_to(url):
            if body.get("delete_original"):
                shown = None
            elif shown is None or body.get("replace_original", True) is not False:
                shown = body
        return shown

    # -- recording ----------------------------------------------------------------------

    def handle(self, method: str, params: Params, headers: dict[str, str]) -> Any:
        with self._recording:
            self.calls.append(Call(method, params, headers))
        return super().handle(method, params, headers)

    def respond(self, path: str, body: Params) -> tuple[int, str]:
        with self._recording:
            self.calls.append(Call("response_url", {**body, "url": self.root + path[1:]}, {}))
        return super().respond(path, body)


def _block_kit_refusal(method: str, params: Params) -> Params | None:
    """Slack's refusal of a message, response or view outside the Block Kit limits."""
    if method.startswith("views.") and isinstance(params.get("view"), dict):
        problems = view_problems(params["view"])
        return {"ok": False, "error": "invalid_arguments", "errors": problems} if problems \
            else None
    if method in MESSAGE_METHODS or method == "response_url":
        problems = message_problems(params.get("text"), params.get("blocks"))
        return {"ok": False, "error": "invalid_blocks", "errors": problems} if problems \
            else None
    return None
