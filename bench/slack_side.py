"""The two sides of the Slack benchmark (bench/slack.py): the apps it serves, each in a
process of its own, and Slack's side: signed requests, and the response URLs answers reach."""
from __future__ import annotations

import http.client
import itertools
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

from slack_bolt import Ack, App
from slack_sdk.signature import SignatureVerifier

from bot.composition import build_app, open_store, slack_client
from bot.config import Settings
from bot.http import EVENTS_PATH, make_server

SECRET = "bench-signing-secret"
SIGNER = SignatureVerifier(SECRET)
TOKEN = "xoxb-bench"
TEAM = "T0BENCH"  # the workspace auth.test names, and every request comes from
ANSWER_TIMEOUT = 10.0


# -- the apps, each in a process of its own --------------------------------------------------

def bare_app(settings: Settings, before_response: bool = False) -> App:
    """A Bolt app with the same signing check (and token set-up) that only acknowledges:
    Bolt's defaults, or (before_response) processing the request before answering it."""
    app = App(client=slack_client(settings), signing_secret=SECRET,
              token_verification_enabled=False, process_before_response=before_response)

    @app.command("/cancelled")
    def ack_only(ack: Ack) -> None:
        ack()

    return app


def serve(kind: str, db_url: str, api_url: str, ports: Any) -> None:
    """Child process: build the real app ("app") or the bare one ("bare") and serve it."""
    logging.basicConfig(level=logging.WARNING)
    settings = Settings(database_url=db_url, slack_bot_token=TOKEN,
                        slack_signing_secret=SECRET, slack_api_url=api_url)
    store = open_store(settings)
    if kind == "app":
        app = build_app(settings, store.uow, slack_client(settings))
    else:
        app = bare_app(settings, before_response=kind == "bare-sync")
    server = make_server(app, store.engine, host="127.0.0.1", port=0)
    ports.put((kind, server.effective_port))
    server.run()


# -- Slack's side: response URLs and signed requests -----------------------------------------

class ResponseUrls(ThreadingHTTPServer):
    """Response URLs (and a Web API that says ok to anything): when each answer arrived."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Receiver)
        self.arrived: dict[str, tuple[float, dict[str, Any]]] = {}
        self.events: dict[str, threading.Event] = {}
        self.keys = itertools.count(1)
        self.calls = 0  # Web API calls and posts to response URLs, from any app
        self.counting = threading.Lock()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def new(self) -> str:
        key = str(next(self.keys))
        self.events[key] = threading.Event()
        return key

    def wait(self, key: str) -> tuple[float, dict[str, Any]]:
        if not self.events[key].wait(ANSWER_TIMEOUT):
            raise RuntimeError(f"no answer at response URL {key} within {ANSWER_TIMEOUT} s")
        del self.events[key]
        return self.arrived.pop(key)


class _Receiver(BaseHTTPRequestHandler):
    server: ResponseUrls
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        at = time.perf_counter()
        with self.server.counting:
            self.server.calls += 1
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        key = self.path.rsplit("/", 1)[-1]
        answer = b'{"ok": true}' if self.path.startswith("/api/") else b"ok"
        if self.path.startswith("/api/auth.test"):  # the app serves this workspace only
            answer = json.dumps({"ok": True, "team_id": TEAM, "user_id": "U0BENCH"}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
        if self.path.startswith("/response/"):
            self.server.arrived[key] = (at, json.loads(body or b"{}"))
            self.server.events[key].set()

    def log_message(self, *args: object) -> None:
        pass


@dataclass
class Target:
    """One served app, reached over a kept-alive connection as Slack's would be."""

    port: int
    connection: http.client.HTTPConnection = field(init=False)

    def __post_init__(self) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def post(self, body: str) -> tuple[int, bytes]:
        stamp = str(int(time.time()))
        signature = SIGNER.generate_signature(timestamp=stamp, body=body)
        if signature is None:  # given a timestamp and a body, it never is
            raise ValueError("no signature for the request")
        self.connection.request("POST", EVENTS_PATH, body=body.encode(), headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature})
        answer = self.connection.getresponse()
        return answer.status, answer.read()


def command_body(text: str, response_url: str) -> str:
    return urlencode({
        "token": "unused", "team_id": TEAM, "team_domain": "smartship",
        "channel_id": "C0SUPPORT", "channel_name": "seller-support", "user_id": "U0BENCH",
        "user_name": "bench", "command": "/cancelled", "text": text, "api_app_id": "A0BENCH",
        "is_enterprise_install": "false", "response_url": response_url,
        "trigger_id": "1.2.bench"})
