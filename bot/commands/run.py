"""`cancelbot run`: the Slack app and the job scheduler in one process, until SIGTERM.

Socket Mode when SLACK_APP_TOKEN is set (no public URL needed), HTTP otherwise: waitress at
POST /slack/events and GET /healthz. The scheduler inside runs approved jobs, delivers their
results to the request threads and posts the morning digest, as `cancelbot worker` does.
"""
from __future__ import annotations

import argparse
import http.client
import logging
from typing import Protocol
from urllib.error import URLError

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot.commands.context import Command, CommandFailed
from bot.composition import background, build_app, configure_logging, slack_client, watch_store
from bot.config import Settings
from bot.http import HttpRunner
from bot.metrics import METRICS_PATH, Metrics, MetricsServer
from bot.scheduler import run_until_signalled

DEFAULT_PORT = 3000
SLACK_API = "https://slack.com/api/"

log = logging.getLogger("cancelbot.run")


class Front(Protocol):
    """How Slack reaches the app: Socket Mode or the HTTP server."""

    mode: str

    @property
    def address(self) -> str: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser(
        "run", help="serve Slack's /cancelled and buttons, and run approved jobs, until SIGTERM",
        description="Socket Mode when SLACK_APP_TOKEN is set; otherwise HTTP at POST "
        "/slack/events and GET /healthz on --host:--port (needs SLACK_SIGNING_SECRET). "
        "SLACK_BOT_TOKEN is always needed. Approved jobs run in the same process. On SIGTERM "
        "or Ctrl-C it stops serving, finishes the jobs in hand and exits with status 0.",
    )
    run.add_argument("--host", default="0.0.0.0",
                     help="HTTP mode: the address to listen on (default %(default)s)")
    run.add_argument("--port", type=_port, default=DEFAULT_PORT,
                     help="HTTP mode: the port to listen on, 0 for any free one (the log "
                     "says which) (default %(default)s)")
    run.add_argument("--metrics-port", type=_port, default=None,
                     help="serve GET /metrics (Prometheus) on this port too, 0 for any free "
                     "one (the log says which); needed in Socket Mode, where no HTTP server "
                     "runs (in HTTP mode /metrics is on --port already)")
    run.set_defaults(run=run_bot)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)")
    return int(text)


def run_bot(command: Command) -> int:
    """Serve until SIGTERM or SIGINT: 0 after a clean stop; CommandFailed when it cannot start."""
    settings = command.settings
    configure_logging(settings.log_format)
    problem = missing_setting(settings)
    if problem:
        raise CommandFailed(problem)
    metrics = Metrics()
    client = slack_client(settings, on_error=metrics.slack_error)
    problem = token_problem(client, settings.slack_api_url)
    if problem:
        raise CommandFailed(problem)
    store = command.open_store()
    watch_store(metrics, store)
    # fails here if the database does not answer
    worker, scheduler = background(settings, store, client=client)
    app = build_app(settings, store.uow, client, sales_site=store.sales_site, metrics=metrics)
    front = make_front(app, settings, store.engine, command.args.host, command.args.port,
                       metrics)
    metrics_server = serve_metrics(metrics, command.args.host, command.args.metrics_port)
    front.start()
    log.info("serving Slack in %s mode at %s", front.mode, front.address)

    def stop() -> None:
        front.stop()
        if metrics_server is not None:
            metrics_server.stop()

    run_until_signalled(scheduler, worker, before_stop=stop)
    return 0


def serve_metrics(metrics: Metrics, host: str, port: int | None) -> MetricsServer | None:
    """The --metrics-port server, None without one; StartFailed when it cannot listen."""
    if port is None:
        return None
    try:
        server = metrics.serve(host, port)
    except OSError as exc:
        raise StartFailed(f"Cannot serve metrics on {host}:{port} ({exc.strerror or exc}); "
                          "choose another --metrics-port.") from None
    log.info("serving metrics at http://%s:%d%s", host, server.port, METRICS_PATH)
    return server


class StartFailed(CommandFailed):
    """Slack could not be reached as configured; the message says what to fix."""


def missing_setting(settings: Settings) -> str | None:
    """The first thing the chosen mode needs and the environment lacks, with where to find it."""
    missing = settings.missing_for_slack()
    return f"{missing[0][0]}: {missing[0][1]}." if missing else None


def token_problem(client: WebClient, api_url: str | None) -> str | None:
    """Why Slack does not accept SLACK_BOT_TOKEN (auth.test), None when it does."""
    try:
        client.auth_test()
        return None
    except SlackApiError as exc:
        error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        return (f"Slack refused SLACK_BOT_TOKEN ({error or exc.response.status_code}): set it "
                "to the Bot User OAuth Token (xoxb-...) under OAuth & Permissions, and "
                "reinstall the app if the token was revoked.")
    except (URLError, http.client.HTTPException, OSError) as exc:
        return (f"Cannot reach Slack at {api_url or SLACK_API} to check SLACK_BOT_TOKEN ({exc}); "
                "check the network, or SLACK_API_URL if it is set.")


def make_front(app: App, settings: Settings, engine: Engine, host: str, port: int,
               metrics: Metrics | None = None) -> Front:
    """Socket Mode when SLACK_APP_TOKEN is set, else the HTTP server on host:port (with
    GET /metrics when metrics are given)."""
    if settings.slack_app_token:
        return SocketModeRunner(app, settings.slack_app_token)
    try:
        return HttpRunner(app, engine, host, port, metrics)
    except OSError as exc:
        raise StartFailed(f"Cannot listen on {host}:{port} ({exc.strerror or exc}); "
                          "choose another --port or --host.") from None


class SocketModeRunner:
    """Bolt's SocketModeHandler: a websocket to Slack opened with SLACK_APP_TOKEN."""

    mode = "Socket Mode"
    address = "Slack's Socket Mode (apps.connections.open with SLACK_APP_TOKEN)"

    def __init__(self, app: App, app_token: str) -> None:
        self.handler = SocketModeHandler(app, app_token)

    def start(self) -> None:
        try:
            self.handler.connect()
        except SlackApiError as exc:
            raise StartFailed(
                f"Slack refused SLACK_APP_TOKEN ({exc.response.get('error')}): set it to an "
                "app-level token (xapp-...) with the connections:write scope, made under Basic "
                "Information > App-Level Tokens; or unset it to use HTTP mode.") from None
        except (URLError, http.client.HTTPException, OSError) as exc:
            raise StartFailed(f"Cannot open the Socket Mode connection to Slack ({exc}); check "
                              "the network, or SLACK_API_URL if it is set.") from None

    def stop(self) -> None:
        self.handler.close()
