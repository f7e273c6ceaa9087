"""HTTP mode: the Bolt app at POST /slack/events, health at GET /healthz and the Prometheus
metrics at GET /metrics, served by waitress."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from sqlalchemy import Engine, text
from waitress import create_server, wasyncore
from waitress.server import BaseWSGIServer

from bot.metrics import METRICS_PATH, Metrics
from handlers.payloads import NotSlackBody, read_body
from handlers.trust import header_problem, refused

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
# Slack's requests are a few kilobytes (a modal's state at most tens); the signature is checked
# only once the body is read, so a bigger body is refused before it is
MAX_BODY_BYTES = 1 << 20
THREADS = 8  # concurrent requests; listeners themselves run on Bolt's own pool after ack
STOP_SECONDS = 5.0  # how long requests in progress get to finish at shutdown

log = logging.getLogger("cancelbot.http")

Environ = dict[str, Any]
StartResponse = Callable[..., Any]


def database_reachable(engine: Engine) -> bool:
    """Whether a trivial query answers."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception as exc:  # any failure means "not healthy"; the reason goes to the log
        log.warning("health check: database not reachable: %s", exc)
        return False


class SlackEvents(SlackRequestHandler):
    """Bolt's WSGI adapter, refusing with 401 what cannot be a request from Slack before Bolt
    reads it: signature headers missing, malformed or stale, a body that is not UTF-8, not a
    form or not JSON where JSON belongs. The app's own middleware then checks the signature
    itself (handlers/trust.py), as it does for the console."""

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        raw = _read_body(request.environ)
        slack_request, problem = _slack_request(request, raw)
        if slack_request is None:
            log.warning("refused a request not verified as Slack's (%s; %d bytes)",
                        problem, len(raw))
            return refused()
        return self.app.dispatch(slack_request)


def _slack_request(request: WsgiHttpRequest, raw: bytes) -> tuple[BoltRequest | None, str]:
    """The request as Bolt reads it, or None and why it cannot be Slack's."""
    headers = request.get_headers()
    problem = header_problem(headers, time.time())
    if problem:
        return None, problem
    try:
        body = raw.decode("utf-8")
        read_body(body, str(headers.get("content-type") or ""))
        return BoltRequest(body=body, query=request.query_string, headers=headers), ""
    except UnicodeDecodeError:
        return None, "body is not UTF-8"
    except NotSlackBody as exc:
        return None, str(exc)
    except Exception as exc:  # Bolt could not read what looked readable
        return None, f"Bolt could not read the body ({type(exc).__name__})"


def _read_body(environ: Environ) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(length) if length > 0 and "wsgi.input" in environ else b""


def wsgi_app(app: App, engine: Engine, metrics: Metrics | None = None
             ) -> Callable[[Environ, StartResponse], Iterable[bytes]]:
    """The WSGI application: Slack's requests to Bolt, the health check, the metrics (when
    given), 404 for the rest."""
    slack = SlackEvents(app, path=EVENTS_PATH)

    def application(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            ok = database_reachable(engine)
            body = b"ok\n" if ok else b"database not reachable\n"
            start_response("200 OK" if ok else "503 Service Unavailable",
                           [("Content-Type", "text/plain; charset=utf-8"),
                            ("Content-Length", str(len(body)))])
            return [body]
        if metrics is not None and path == METRICS_PATH and method in ("GET", "HEAD"):
            body, content_type = metrics.exposition()
            start_response("200 OK", [("Content-Type", content_type),
                                      ("Content-Length", str(len(body)))])
            return [body]
        return slack(environ, start_response)

    return application


def make_server(
    app: App, engine: Engine, host: str = "0.0.0.0", port: int = 3000,
    metrics: Metrics | None = None,
) -> BaseWSGIServer:
    """A waitress server bound to host:port (port 0: any free port); call .run() to serve."""
    return create_server(wsgi_app(app, engine, metrics), host=host, port=port, threads=THREADS,
                         ident="cancelbot", max_request_body_size=MAX_BODY_BYTES)


class HttpRunner:
    """The waitress server on a thread of its own, stopped by stop() (SIGTERM's path)."""

    mode = "HTTP"

    def __init__(self, app: App, engine: Engine, host: str = "0.0.0.0", port: int = 3000,
                 metrics: Metrics | None = None) -> None:
        self.server = make_server(app, engine, host, port, metrics)
        self.metrics = metrics
        self._thread = threading.Thread(target=self.server.run, name="http", daemon=True)

    @property
    def address(self) -> str:
        """Where Slack's requests are taken, e.g. http://0.0.0.0:3000/slack/events."""
        host, port = self.server.effective_host, self.server.effective_port
        extra = f", metrics: {METRICS_PATH}" if self.metrics is not None else ""
        return f"http://{host}:{port}{EVENTS_PATH} (health: {HEALTH_PATH}{extra})"

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """Stop accepting, let requests in progress finish (up to timeout), close the rest."""
        stop_server(self.server, self._thread, timeout)


def stop_server(server: BaseWSGIServer, thread: threading.Thread,
                timeout: float = STOP_SECONDS) -> None:
    """Stop a server whose run() loop is on thread, and wait for it.

    The sockets are closed by the loop thread itself (a trigger thunk): closing them from here
    would pull them from under its select() call.
    """
    _in_loop(server, lambda: wasyncore.dispatcher.close(server))  # stop accepting
    server.task_dispatcher.shutdown(timeout=timeout)  # requests in progress finish
    # the connections left (kept alive, or done) close, the map empties and run() returns
    _in_loop(server, lambda: wasyncore.close_all(server._map, ignore_all=True))
    thread.join(timeout)


def _in_loop(server: BaseWSGIServer, thunk: Callable[[], object]) -> None:
    try:
        server.trigger.pull_trigger(thunk)
    except OSError:  # the loop already closed its trigger: nothing is left to wake it for
        wasyncore.close_all(server._map, ignore_all=True)
