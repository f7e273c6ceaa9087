"""HTTP mode: the Bolt app at POST /slack/events and health at GET /healthz, served by waitress."""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Iterable

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine, text
from waitress import create_server, wasyncore
from waitress.server import BaseWSGIServer

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


def wsgi_app(app: App, engine: Engine) -> Callable[[Environ, StartResponse], Iterable[bytes]]:
    """The WSGI application: Slack's requests to Bolt, the health check, 404 for the rest."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            ok = database_reachable(engine)
            body = b"ok\n" if ok else b"database not reachable\n"
            start_response("200 OK" if ok else "503 Service Unavailable",
                           [("Content-Type", "text/plain; charset=utf-8"),
                            ("Content-Length", str(len(body)))])
            return [body]
        return slack(environ, start_response)

    return application


def make_server(app: App, engine: Engine, host: str = "0.0.0.0", port: int = 3000) -> BaseWSGIServer:
    """A waitress server bound to host:port (port 0: any free port); call .run() to serve."""
    return create_server(wsgi_app(app, engine), host=host, port=port, threads=THREADS,
                         ident="cancelbot", max_request_body_size=MAX_BODY_BYTES,
                         )  # type: ignore[return-value]


class HttpRunner:
    """The waitress server on a thread of its own, stopped by stop() (SIGTERM's path)."""

    mode = "HTTP"

    def __init__(self, app: App, engine: Engine, host: str = "0.0.0.0", port: int = 3000) -> None:
        self.server = make_server(app, engine, host, port)
        self._thread = threading.Thread(target=self.server.run, name="http", daemon=True)

    @property
    def address(self) -> str:
        """Where Slack's requests are taken, e.g. http://0.0.0.0:3000/slack/events."""
        host, port = self.server.effective_host, self.server.effective_port  # type: ignore[attr-defined]
        return f"http://{host}:{port}{EVENTS_PATH} (health: {HEALTH_PATH})"

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
