"""HTTP mode: the Bolt app at POST /slack/events and health at GET /healthz, served by waitress."""
from __future__ import annotations

import logging
from typing import Any, Callable, Iterable

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine, text
from waitress import create_server
from waitress.server import BaseWSGIServer

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
THREADS = 8  # concurrent requests; listeners themselves run on Bolt's own pool after ack

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
                         ident="cancelbot")  # type: ignore[return-value]
