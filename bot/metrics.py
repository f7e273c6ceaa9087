"""Health you can watch: Prometheus metrics at GET /metrics (HTTP mode) or on --metrics-port.

Counted in the process: Slack's requests by command and outcome, how long each took to be
acknowledged, and the Slack Web API calls that failed, by method. Read from the database at
each scrape (so every instance reports the same shared numbers): jobs queued, running, waiting
on the order service and failed, the age of the oldest queued job, and the outbox rows not yet
delivered and those whose delivery failed.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from sqlalchemy.orm import Session

from store.health import backlog

METRICS_PATH = "/metrics"
# Slack waits 3 s for the acknowledgement; the buckets resolve the part below that finely
ACK_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
SLASH_WORDS = frozenset({"list", "history", "jobs", "help", "export"})


class Metrics:
    """The registry of one process, with what the app, the client and the store report."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "cancelbot_requests", "Requests from Slack by command and outcome",
            ["command", "outcome"], registry=self.registry)
        self.ack_seconds = Histogram(
            "cancelbot_ack_seconds", "Seconds from a Slack request's arrival to its "
            "acknowledgement", ["command"], buckets=ACK_BUCKETS, registry=self.registry)
        self.slack_errors = Counter(
            "cancelbot_slack_api_errors", "Slack Web API calls that failed, by method",
            ["method", "error"], registry=self.registry)

    def watch(self, sessions: Callable[[], Session], clock: Callable[[], datetime]) -> None:
        """Read jobs and outbox from this database at each scrape (once per registry)."""
        self.registry.register(StoreCollector(sessions, clock))

    def observe(self, request: BoltRequest, response: BoltResponse, seconds: float) -> None:
        """Count one request Bolt answered, and how long the answer took."""
        command = command_of(request.body) if response.status != 401 else "unverified"
        self.requests.labels(command, outcome_of(response.status)).inc()
        self.ack_seconds.labels(command).observe(seconds)

    def slack_error(self, method: str, error: str) -> None:
        """Count a failed Slack Web API call."""
        self.slack_errors.labels(method, error).inc()

    def exposition(self) -> tuple[bytes, str]:
        """The metrics in Prometheus text format, with its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def serve(self, host: str, port: int) -> MetricsServer:
        """Serve GET /metrics on host:port (0: any free port) on a thread of its own."""
        server, thread = start_http_server(port, host, registry=self.registry)
        return MetricsServer(server, thread)


class MetricsServer:
    """prometheus_client's server for Socket Mode, where no HTTP server of ours runs."""

    def __init__(self, server: Any, thread: threading.Thread) -> None:
        self.server = server
        self.thread = thread

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5.0)


def command_of(body: dict[str, Any]) -> str:
    """A bounded label for what a request asked: `/cancelled list`, an action id, a modal."""
    if body.get("command"):
        words = str(body.get("text") or "").lower().split()
        word = words[0] if words else "usage"
        if word == "list" and "export" in words:
            word = "export"
        return f"{body['command']} {word if word in SLASH_WORDS or word == 'usage' else 'lookup'}"
    kind = str(body.get("type") or "other")
    if kind == "block_actions":
        actions = body.get("actions") or [{}]
        return f"action {actions[0].get('action_id', '')}"
    if kind in ("view_submission", "view_closed"):
        return f"view {(body.get('view') or {}).get('callback_id', '')}"
    if kind == "event_callback":
        return f"event {(body.get('event') or {}).get('type', '')}"
    return kind


def outcome_of(status: int) -> str:
    """ok, refused (401/403), unhandled (404) or error."""
    if status < 300:
        return "ok"
    if status in (401, 403):
        return "refused"
    return "unhandled" if status == 404 else "error"


class MeasuredApp(App):
    """The Bolt app, timing every dispatch: in HTTP and Socket Mode alike, dispatch returns
    once the listener acknowledged (or the request was refused)."""

    def __init__(self, *, metrics: Metrics, **options: Any) -> None:
        super().__init__(**options)
        self.metrics = metrics

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        started = time.perf_counter()
        response = super().dispatch(req)
        self.metrics.observe(req, response, time.perf_counter() - started)
        return response


class StoreCollector(Collector):
    """Jobs and outbox numbers, read from the database when scraped."""

    def __init__(self, sessions: Callable[[], Session], clock: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        with self.sessions() as session:
            numbers = backlog(session)
        jobs = GaugeMetricFamily("cancelbot_jobs", "Jobs by state (queued, running, waiting "
                                 "on the order service, failed)", labels=["state"])
        for state, count in numbers.jobs.items():
            jobs.add_metric([state], count)
        yield jobs
        age = 0.0
        if numbers.oldest_queued_since is not None:
            age = max(0.0, (self.clock() - numbers.oldest_queued_since).total_seconds())
        yield GaugeMetricFamily("cancelbot_oldest_queued_job_age_seconds",
                                "Seconds the oldest queued job has waited (0: none queued)",
                                value=age)
        yield GaugeMetricFamily("cancelbot_outbox_backlog",
                                "Thread messages not yet delivered to Slack",
                                value=numbers.outbox_backlog)
        yield GaugeMetricFamily("cancelbot_outbox_delivery_failures",
                                "Undelivered thread messages whose last delivery failed",
                                value=numbers.outbox_failing)
