"""A fake Slack Web API on 127.0.0.1 that the real slack_sdk WebClient talks to.

    with FakeSlack() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url)
        client.chat_postMessage(channel="C1", text="hi")
        assert slack.calls_to("chat.postMessage")[0].params["text"] == "hi"

It records every call (method, parameters from the query string, form or JSON body, and
headers) and answers `auth.test`, `chat.postMessage`, `chat.update` and
`conversations.replies` the way Slack does, keeping the messages per channel. Other methods
answer `unknown_method` unless a test registers an answer with `on(method, handler)`.
Messages with blocks outside the Block Kit limits are refused with `invalid_blocks`, as Slack
does. Failures are scripted per method for the next calls: `fail_next` (HTTP 429 with
Retry-After, 500, ...), `error_next` (HTTP 200 with ok=false), `hang_next` (answer after the
client gave up) and `drop_next` (close the connection without answering); the last two can
apply the call first, as when Slack posted but the answer was lost.
"""
from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

from tests.blockkit_limits import message_problems

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


@dataclass(frozen=True)
class _Script:
    kind: str  # "status" | "error" | "hang" | "drop"
    status: int = 200
    retry_after: int | None = None
    error: str = ""
    seconds: float = 0.0
    apply: bool = False  # perform the call before hanging or dropping


@dataclass
class FakeSlack:
    """The fake Web API server; start() or use it as a context manager."""

    token_prefix: str = "xox"
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # per channel

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._scripts: dict[str, deque[_Script]] = {}
        self._handlers: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "conversations.replies": self._replies,
        }
        self._serial = 0
        self._unhang = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    # -- life cycle ---------------------------------------------------------------------

    def start(self) -> "FakeSlack":
        """Serve on a free port of 127.0.0.1 in a daemon thread."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
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

    # -- scripting ----------------------------------------------------------------------

    def on(self, method: str, handler: Handler) -> None:
        """Answer method with handler(params) -> response dict (ok is added when missing)."""
        self._handlers[method] = handler

    def fail_next(self, method: str, times: int = 1, status: int = 500,
                  retry_after: int | None = None) -> None:
        """Answer the next calls of method with an HTTP error status (429: with Retry-After)."""
        self._script(method, times, _Script("status", status=status, retry_after=retry_after))

    def error_next(self, method: str, error: str, times: int = 1) -> None:
        """Answer the next calls of method with HTTP 200 and {"ok": false, "error": error}."""
        self._script(method, times, _Script("error", error=error))

    def hang_next(self, method: str, seconds: float = 5.0, apply: bool = True,
                  times: int = 1) -> None:
        """Answer the next calls only after seconds (past the client timeout); apply them first."""
        self._script(method, times, _Script("hang", seconds=seconds, apply=apply))

    def drop_next(self, method: str, apply: bool = True, times: int = 1) -> None:
        """Close the connection without an answer on the next calls; apply them first."""
        self._script(method, times, _Script("drop", apply=apply))

    def _script(self, method: str, times: int, script: _Script) -> None:
        with self._lock:
            self._scripts.setdefault(method, deque()).extend([script] * times)

    # -- reading what happened ----------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        """The recorded calls of one method, in order."""
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The current version of a message."""
        with self._lock:
            return next((m for m in self.messages.get(channel, []) if m["ts"] == ts), None)

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
            queue = self._scripts.get(method)
            script = queue.popleft() if queue else None
        if not headers.get("authorization", "").startswith(f"Bearer {self.token_prefix}"):
            return 200, {}, {"ok": False, "error": "not_authed"}
        if script is None:
            return 200, {}, self._answer(method, params)
        return self._scripted(script, method, params)

    def _scripted(self, script: _Script, method: str, params: dict[str, Any]) -> tuple[
            int, dict[str, str], dict[str, Any] | None]:
        if script.kind == "status":
            retry = {"Retry-After": str(script.retry_after)} if script.retry_after is not None else {}
            error = "ratelimited" if script.status == 429 else "fatal_error"
            return script.status, retry, {"ok": False, "error": error}
        if script.kind == "error":
            return 200, {}, {"ok": False, "error": script.error}
        answer = self._answer(method, params) if script.apply else {"ok": True}
        if script.kind == "drop":
            return 200, {}, None
        self._unhang.wait(script.seconds)
        return 200, {}, answer

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

    def _replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = params.get("channel", ""), params.get("ts", "")
        parent = self.message(channel, ts)
        if parent is None:
            return {"ok": False, "error": "thread_not_found"}
        thread = [parent, *self.replies(channel, ts)]
        if str(params.get("include_all_metadata", "")).lower() not in ("1", "true"):
            thread = [{k: v for k, v in m.items() if k != "metadata"} for m in thread]
        start = int(params.get("cursor") or 0)
        limit = int(params.get("limit") or 1000)
        page, more = thread[start:start + limit], start + limit < len(thread)
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


def _parse_body(content_type: str, raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    if content_type.startswith("application/json"):
        return json.loads(raw.decode("utf-8"))
    params: dict[str, Any] = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    for key in ("blocks", "attachments", "metadata", "view"):  # JSON sent as a form field
        if isinstance(params.get(key), str) and params[key][:1] in "[{":
            params[key] = json.loads(params[key])
    return params


def _handler_class(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            self._serve()

        def do_GET(self) -> None:  # noqa: N802
            self._serve()

        def _serve(self) -> None:
            url = urlsplit(self.path)
            method = url.path.rsplit("/", 1)[-1]
            length = int(self.headers.get("Content-Length") or 0)
            params = dict(parse_qsl(url.query, keep_blank_values=True))
            params.update(_parse_body(self.headers.get("Content-Type", ""),
                                      self.rfile.read(length)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, body = fake.handle(method, params, headers)
            if body is None:
                self.close_connection = True
                return  # nothing written: the client sees the connection closed
            data = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (a scripted hang)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet

    return _Handler
