"""A stand-in for Slack's Web API and response URLs on 127.0.0.1, inside the running process.

The app's own slack_sdk WebClient (base_url pointed here) and Bolt's respond() talk to it over
HTTP as they would to Slack. The console (`cancelbot console`) runs one; the tests' fake Slack
(tests/fakeslack.py) is one that also records every call. Calls are answered by a WebApi over
a Workspace (bot/console/webapi.py), or fail as scripted in `faults` (bot/console/faults.py).
"""
from __future__ import annotations

import contextlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bot.console.faults import Answer, Faults
from bot.console.webapi import Check, Params, WebApi
from bot.console.workspace import Workspace

JSON_FIELDS = ("blocks", "attachments", "metadata", "view")  # JSON sent inside a form
APP_TOKEN_PREFIX = "xapp-"  # Socket Mode's apps.connections.open is called with the app token
STOP_POLL_SECONDS = 0.01  # how often the server loop looks for stop(), so that it returns at once


class StandIn:
    """The stand-in served on a free port of 127.0.0.1 from start() until stop()."""

    def __init__(self, workspace: Workspace, check: Check | None = None) -> None:
        self.workspace = workspace
        self.api = WebApi(workspace, check)
        self.faults = Faults()
        self.token_prefix = ""  # bot tokens must start with this (app tokens always pass)
        self.scopes: set[str] | None = None  # sent as X-OAuth-Scopes on every answer when set
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._server.daemon_threads = True
        self._server.block_on_close = False
        host, port = self._server.server_address[:2]
        self.root = f"http://{host!s}:{port}/"
        workspace.base_url = self.root
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": STOP_POLL_SECONDS}, daemon=True)

    @property
    def api_url(self) -> str:
        """What SLACK_API_URL would say: the base URL of the Web API methods."""
        return self.root + "api/"

    def start(self) -> StandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; calls still hanging are let go at once."""
        self.faults.stopped.set()
        self._server.shutdown()
        self._server.server_close()

    def handle(self, method: str, params: Params, headers: dict[str, str]) -> Answer:
        """(status, headers, body) for one Web API call; body None: drop the connection.

        headers are the request's, with lower-case names."""
        script = self.faults.take(method)
        token = headers.get("authorization", "")
        if not token.startswith((f"Bearer {self.token_prefix}", f"Bearer {APP_TOKEN_PREFIX}")):
            return 200, {}, {"ok": False, "error": "not_authed"}
        if script is None:
            return 200, {}, self.api.call(method, params)
        return self.faults.play(script, lambda: self.api.call(method, params))

    def respond(self, path: str, body: Params) -> tuple[int, str]:
        """(status, text) for a post to a response URL, as Slack answers it."""
        refusal = self.api.check("response_url", body) if self.api.check else None
        if refusal:
            return 400, str(refusal.get("error", "invalid_payload"))
        if not self.workspace.respond(path, body):
            return 404, "no_service"
        return 200, "ok"

    def upload(self, path: str, content: bytes) -> tuple[int, str]:
        """(status, text) for the bytes POSTed to an upload URL, as Slack answers them."""
        if not self.workspace.files.receive(path.rsplit("/", 1)[-1], content):
            return 400, "invalid_upload"
        return 200, f"OK - {len(content)}"

    def answer_headers(self) -> dict[str, str]:
        """Headers Slack adds to every Web API answer: the token's scopes, when set."""
        return {} if self.scopes is None else {"X-OAuth-Scopes": ",".join(sorted(self.scopes))}


def parse_body(content_type: str, raw: bytes) -> Params:
    """A call's parameters from a form or JSON body (JSON fields of a form decoded)."""
    if not raw:
        return {}
    if content_type.startswith("application/json"):
        decoded: Params = json.loads(raw.decode("utf-8"))
        return decoded
    params: Params = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    for key in JSON_FIELDS:
        if isinstance(params.get(key), str) and params[key][:1] in "[{":
            params[key] = json.loads(params[key])
    return params


def _handler_class(standin: StandIn) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            if url.path.startswith("/upload/"):  # an external upload's bytes, as they are
                status, text = standin.upload(url.path, self.rfile.read(length))
                return self._answer(status, text.encode(), {}, "text/plain")
            try:
                params = dict(parse_qsl(url.query, keep_blank_values=True))
                params.update(parse_body(self.headers.get("Content-Type", ""),
                                         self.rfile.read(length)))
            except ValueError:
                return self._answer(400, b"invalid_payload", {}, "text/plain")
            if url.path.startswith("/response/"):
                status, text = standin.respond(url.path, params)
                return self._answer(status, text.encode(), {}, "text/plain")
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, extra, body = standin.handle(url.path.rsplit("/", 1)[-1], params, headers)
            if body is None:
                self.close_connection = True
                return  # nothing written: the client sees the connection closed
            self._answer(status, json.dumps(body).encode("utf-8"),
                         {**extra, **standin.answer_headers()})

        do_GET = do_POST  # noqa: N815

        def _answer(self, status: int, data: bytes, extra: dict[str, str],
                    content_type: str = "application/json; charset=utf-8") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            # the client may have given up waiting (a scripted hang)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the calls are not news: what they did is

    return _Handler
