"""`cancelbot run` for the people who run it: Prometheus metrics at GET /metrics in HTTP mode
and on --metrics-port in Socket Mode, and JSON log lines with CANCELBOT_LOG_FORMAT=json."""
from __future__ import annotations

import json
import re
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.cli.test_run import (
    APP_TOKEN,
    CHANNEL,
    queued_resync_with_its_request_message,
    socket_slack,  # noqa: F401 - the fixture, for the Socket Mode test
    start_bot,  # noqa: F401 - the fixture
    status_of,
)
from tests.integration.test_worker_processes import DEADLINE, wait_until
from tests.slack.signed import SlackSender

METRICS_AT = re.compile(r"serving metrics at (http://127\.0\.0\.1:\d+)/metrics")


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of GET url, by name and labels; the text must parse as Prometheus'."""
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.headers["Content-Type"].startswith("text/plain")
        text = answer.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def sample(samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


@pytest.mark.slow
def test_metrics_count_requests_ack_latency_jobs_outbox_and_slack_errors_in_http_mode(
        db_url, fake_slack, start_bot):  # noqa: F811
    thread_ts = queued_resync_with_its_request_message(db_url, fake_slack)
    # the result's post fails for good: a Slack API error, and a delivery failure
    fake_slack.error_next("chat.postMessage", "not_in_channel", times=100)
    bot = start_bot("--host", "127.0.0.1", "--port", "0", CANCELBOT_LOG_FORMAT="json")
    base = bot.base_url()
    sender = SlackSender(base + "/slack/events", fake_slack)
    for text in ("help", "help", "list", "QSP2611230001"):
        assert sender.command(text, "UREQUESTER1").status == 200
    assert sender.command("help", "UREQUESTER1", secret="not-the-secret").status == 401

    def failed_delivery():
        samples = scrape(base + "/metrics")
        return samples if sample(samples, "cancelbot_outbox_delivery_failures") == 1 else None

    wait_until(failed_delivery, "the failed delivery to show in /metrics")
    samples = failed_delivery()
    assert samples is not None
    assert sample(samples, "cancelbot_requests_total", command="/cancelled help",
                  outcome="ok") == 2
    assert sample(samples, "cancelbot_requests_total", command="/cancelled list",
                  outcome="ok") == 1
    assert sample(samples, "cancelbot_requests_total", command="/cancelled lookup",
                  outcome="ok") == 1
    assert sample(samples, "cancelbot_requests_total", command="unverified",
                  outcome="refused") == 1
    assert sample(samples, "cancelbot_ack_seconds_count", command="/cancelled help") == 2
    assert sample(samples, "cancelbot_ack_seconds_bucket", command="/cancelled help",
                  le="+Inf") == 2
    assert (sample(samples, "cancelbot_slack_api_errors_total", method="chat.postMessage",
                   error="not_in_channel") or 0) >= 1
    assert sample(samples, "cancelbot_outbox_backlog") == 1
    for state in ("queued", "running", "waiting", "failed"):
        assert sample(samples, "cancelbot_jobs", state=state) == 0
    assert sample(samples, "cancelbot_oldest_queued_job_age_seconds") == 0
    assert not fake_slack.replies(CHANNEL, thread_ts)

    assert bot.stop() == 0, bot.output()
    lines = [line for line in bot.output().splitlines() if line.strip()]
    logged = [json.loads(line) for line in lines]  # every line is one JSON object
    assert {"time", "level", "logger", "message"} <= set(logged[0])
    assert any(e["message"].startswith("serving Slack in HTTP mode") for e in logged)
    assert status_of(base + "/metrics") is None


@pytest.mark.slow
def test_socket_mode_serves_metrics_on_the_metrics_port(
        socket_slack, start_bot):  # noqa: F811
    fake, link, _ = socket_slack
    bot = start_bot("--host", "127.0.0.1", "--metrics-port", "0",
                    SLACK_APP_TOKEN=APP_TOKEN, SLACK_SIGNING_SECRET=None)
    wait_until(lambda: not link.received.empty() or bot.process.poll() is not None,
               "the acknowledgement")
    wait_until(lambda: METRICS_AT.search(bot.output()) or bot.process.poll() is not None,
               "the metrics address")
    found = METRICS_AT.search(bot.output())
    assert found, bot.output()

    def counted():
        samples = scrape(found.group(1) + "/metrics")
        return sample(samples, "cancelbot_requests_total", command="/cancelled help",
                      outcome="ok")

    wait_until(lambda: counted() == 1, "the command to be counted", timeout=DEADLINE)
    assert bot.stop() == 0, bot.output()
