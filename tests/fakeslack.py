"""A fake Slack Web API on 127.0.0.1 that the real slack_sdk WebClient talks to.

    with FakeSlack() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url)
        client.chat_postMessage(channel="C1", text="hi")
        assert slack.calls_to("chat.postMessage")[0].params["text"] == "hi"

It records every call (method, parameters from the query string, form or JSON body, and
headers) and answers `auth.test`, `chat.postMessage`, `chat.update`, `chat.postEphemeral`,
`chat.getPermalink`, `conversations.history`, `conversations.replies`, `views.open` /
`views.update` / `views.push` and `usergroups.users.list` (members from `usergroups`) the way
Slack does, keeping the messages per channel. It also serves response URLs (`response_url()`
makes one): what is posted to one is recorded, and `shown(url)` is the message the user sees
there now (replace_original edits it, delete_original removes it). Other methods answer
`unknown_method` unless a test registers an answer with `on(method, handler)`.
Messages with blocks outside the Block Kit limits are refused with `invalid_blocks`, as Slack
does. Failures are scripted per method for the next calls: `fail_next` (HTTP 429 with
Retry-After, 500, ...), `error_next` (HTTP 200 with ok=false), `hang_next` (answer after the
client gave up, or once a test sets an event) and `drop_next` (close the connection without
answering); `fail_next`, `hang_next` and `drop_next` can apply the call first, as when Slack
posted but the answer was lost. `fail_every` scripts every n-th call of a method from now on
(tests/fakeslack_faults.py).
`conversations.history` and `conversations.replies` page with cursors and show message
metadata only when asked with `include_all_metadata`, as Slack does.
"""
from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any, Callable

from tests.blockkit_limits import message_problems, view_problems
from tests.fakeslack_faults import FaultScripting
from tests.fakeslack_wire import handler_class

BOT_USER_ID = "U0CANCELBOT"
BOT_ID = "B0CANCELBOT"
TEAM_ID = "T0SMARTSHIP"
FIRST_TS_SECONDS = 1_764_118_800  # 2025-11-26 01:00 UTC; ts values only need to increase

Handler = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Call:
    """One request as the fake received it."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]


@dataclass
class FakeSlack(FaultScripting):
    """The fake Web API server; start() or use it as a context manager."""

    token_prefix: str = "xox"
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # per channel
    ephemerals: list[dict[str, Any]] = field(default_factory=list)  # chat.postEphemeral
    views: dict[str, dict[str, Any]] = field(default_factory=dict)  # per view id
    usergroups: dict[str, list[str]] = field(default_factory=dict)  # group id: user ids
    responses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # per response URL
    expired_triggers: set[str] = field(default_factory=set)  # views.open refuses these
    scopes: set[str] | None = None  # granted bot scopes, sent as X-OAuth-Scopes when set
    member_of: set[str] | None = None  # channels the bot is in (None: every channel)

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._init_faults()
        self._handlers: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "conversations.replies": self._replies,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.getPermalink": self._permalink,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.update": self._views_update,
            "usergroups.users.list": self._usergroup_users,
            "conversations.history": self._history,
        }
        self._keys = itertools.count(1)
        self._serial = 0
        self._unhang = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    # -- life cycle ---------------------------------------------------------------------

    def start(self) -> "FakeSlack":
        """Serve on a free port of 127.0.0.1 in a daemon thread."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class(self))
        self._server.daemon_threads = True
        self._server.block_on_close = False  # type: ignore[attr-defined]
        # a short poll interval, so that stop() returns at once
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving; calls still hanging are let go at once."""
        self._unhang.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> "FakeSlack":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """What WebClient takes as base_url (what SLACK_API_URL would say)."""
        host, port = self._server.server_address[:2]  # type: ignore[union-attr]
        return f"http://{host}:{port}/api/"

    def response_url(self) -> str:
        """A new response URL on this server, as Slack puts one in each command and click."""
        return f"{self.base_url.removesuffix('/api/')}/response/{next(self._keys)}"

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
        """Poll predicate until it returns something truthy (returned), else AssertionError."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"nothing arrived at the fake Slack within {timeout} s")
            time.sleep(0.01)

    # -- scripting ----------------------------------------------------------------------

    def on(self, method: str, handler: Handler) -> None:
        """Answer method with handler(params) -> response dict (ok is added when missing)."""
        self._handlers[method] = handler

    # -- reading what happened ----------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        """The recorded calls of one method, in order."""
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The current version of a message."""
        with self._lock:
            return next((m for m in self.messages.get(channel, []) if m["ts"] == ts), None)

    def posted_to(self, url: str) -> list[dict[str, Any]]:
        """Everything posted to a response URL, in order."""
        with self._lock:
            return list(self.responses.get(url, []))

    def shown(self, url: str) -> dict[str, Any] | None:
        """The message a response URL's user sees now: the last one that was not added beside
        it (replace_original false) and was not deleted; None if nothing is shown."""
        shown = None
        for body in self.posted_to(url):
            if body.get("delete_original"):
                shown = None
            elif shown is None or body.get("replace_original", True) is not False:
                shown = body
        return shown

    def replies(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """The replies in a thread (without its parent), oldest first."""
        with self._lock:
            return [m for m in self.messages.get(channel, [])
                    if m.get("thread_ts") == thread_ts and m["ts"] != thread_ts]

    # -- serving ------------------------------------------------------------------------

    def handle(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> tuple[
            int, dict[str, str], dict[str, Any] | None]:
        """(status, headers, body) for one call; body None means drop the connection."""
        with self._lock:
            self.calls.append(Call(method, params, headers))
            script = self._next_script(method)
        # bot tokens must match token_prefix; app-level tokens (Socket Mode) are xapp-
        if not headers.get("authorization", "").startswith(
                (f"Bearer {self.token_prefix}", "Bearer xapp-")):
            return 200, {}, {"ok": False, "error": "not_authed"}
        if script is None:
            return 200, {}, self._answer(method, params)
        return self._scripted(script, method, params)

    def post_to_response_url(self, path: str, body: dict[str, Any]) -> list[str]:
        """Record what the app posted to a response URL; the Block Kit problems refusing it."""
        url = f"{self.base_url.removesuffix('/api/')}{path}"
        with self._lock:
            self.calls.append(Call("response_url", {**body, "url": url}, {}))
            problems = message_problems(body.get("text"), body.get("blocks"))
            if not problems:
                self.responses.setdefault(url, []).append(body)
        return problems

    def answer_headers(self) -> dict[str, str]:
        """Headers Slack adds to every Web API answer: the token's scopes, when set."""
        return {"X-OAuth-Scopes": ",".join(sorted(self.scopes))} if self.scopes is not None else {}

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        handler = self._handlers.get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        with self._lock:
            answer = handler(params)
        return {"ok": True, **answer}

    # -- the methods --------------------------------------------------------------------

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": "https://smartship.example.slack.com/", "team": "Smartship",
                "user": "cancelbot", "team_id": TEAM_ID, "user_id": BOT_USER_ID,
                "bot_id": BOT_ID}

    def _post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        problem = _message_problem(params)
        if problem:
            return problem
        self._serial += 1
        ts = f"{FIRST_TS_SECONDS + self._serial}.{self._serial:06d}"
        message = {"type": "message", "ts": ts, "user": BOT_USER_ID, "bot_id": BOT_ID,
                   "text": params.get("text", ""), "blocks": params.get("blocks") or []}
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
        if params.get("metadata"):
            message["metadata"] = params["metadata"]
        channel = params["channel"]
        self.messages.setdefault(channel, []).append(message)
        return {"channel": channel, "ts": ts, "message": message}

    def _update(self, params: dict[str, Any]) -> dict[str, Any]:
        problem = _message_problem(params)
        if problem:
            return problem
        message = self.message(params.get("channel", ""), params.get("ts", ""))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        message.update(text=params.get("text", ""), blocks=params.get("blocks") or [],
                       edited={"user": BOT_USER_ID, "ts": message["ts"]})
        if params.get("metadata"):
            message["metadata"] = params["metadata"]
        return {"channel": params["channel"], "ts": message["ts"], "text": message["text"]}

    def _post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        problem = _message_problem(params)
        if problem:
            return problem
        if not params.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        self.ephemerals.append(dict(params))
        return {"message_ts": f"{FIRST_TS_SECONDS + len(self.ephemerals)}.000000"}

    def _permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = params.get("channel", ""), params.get("message_ts", "")
        if self.message(channel, ts) is None:
            return {"ok": False, "error": "message_not_found"}
        link = f"https://smartship.example.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"channel": channel, "permalink": link}

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        trigger = params.get("trigger_id")
        if not trigger or trigger in self.expired_triggers:
            return {"ok": False, "error": "expired_trigger_id" if trigger else "invalid_arguments"}
        return self._store_view(f"V{next(self._keys):08d}", params.get("view"))

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view_id = params.get("view_id", "")
        if view_id not in self.views:
            return {"ok": False, "error": "not_found"}
        return self._store_view(view_id, params.get("view"))

    def _store_view(self, view_id: str, view: Any) -> dict[str, Any]:
        if isinstance(view, str):
            view = json.loads(view)
        if not isinstance(view, dict) or view.get("type") != "modal":
            return {"ok": False, "error": "invalid_arguments"}
        problems = view_problems(view)
        if problems:
            return {"ok": False, "error": "invalid_arguments", "errors": problems}
        self.views[view_id] = {**view, "id": view_id}
        return {"view": self.views[view_id]}

    def _usergroup_users(self, params: dict[str, Any]) -> dict[str, Any]:
        group = params.get("usergroup", "")
        if group not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"users": list(self.usergroups[group])}

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel", "")
        if self.member_of is not None and channel not in self.member_of:
            return {"ok": False, "error": "not_in_channel"}
        # the channel's own messages, newest first (thread replies only in their thread)
        latest = [m for m in self.messages.get(channel, [])
                  if m.get("thread_ts") in (None, m["ts"])][::-1]
        return _page(latest, params, default_limit=100)

    def _replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = params.get("channel", ""), params.get("ts", "")
        parent = self.message(channel, ts)
        if parent is None:
            return {"ok": False, "error": "thread_not_found"}
        return _page([parent, *self.replies(channel, ts)], params, default_limit=1000)


def _page(messages: list[dict[str, Any]], params: dict[str, Any],
          default_limit: int) -> dict[str, Any]:
    """One page of messages from the cursor on; metadata only with include_all_metadata."""
    if str(params.get("include_all_metadata", "")).lower() not in ("1", "true"):
        messages = [{k: v for k, v in m.items() if k != "metadata"} for m in messages]
    start = int(params.get("cursor") or 0)
    limit = int(params.get("limit") or default_limit)
    page, more = messages[start:start + limit], start + limit < len(messages)
    return {"messages": page, "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""}}


def _message_problem(params: dict[str, Any]) -> dict[str, Any] | None:
    if not params.get("channel"):
        return {"ok": False, "error": "channel_not_found"}
    if not params.get("text") and not params.get("blocks"):
        return {"ok": False, "error": "no_text"}
    problems = message_problems(params.get("text"), params.get("blocks"))
    if problems:
        return {"ok": False, "error": "invalid_blocks", "errors": problems}
    metadata = params.get("metadata")
    if metadata and not (isinstance(metadata, dict) and metadata.get("event_type")
                         and isinstance(metadata.get("event_payload"), dict)):
        return {"ok": False, "error": "invalid_metadata_format"}
    return None
