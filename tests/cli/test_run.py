"""`cancelbot run` as a real process: HTTP mode with the scheduler inside, Socket Mode, and the
settings it refuses to start without."""
from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from domain.workflow import set_request_message
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.integration.builders import Database
from tests.integration.job_support import queued_jobs
from tests.integration.test_worker_processes import (
    DEADLINE,
    ROOT,
    real_now,
    stop_process,
    wait_until,
)
from tests.slack.conftest import TOKEN, client_for
from tests.slack.signed import SIGNING_SECRET, SlackSender

APP_TOKEN = "xapp-1-A0CANCELBOT-1-test"
POLL_SECONDS = "0.2"
CHANNEL = "C0APPROVALS"
SHARED = ROOT / "tests" / "slack" / "reference"  # Slack's documented messages (README there)


SERVING = re.compile(r"serving Slack in HTTP mode at (http://127\.0\.0\.1:\d+)/slack/events")


def status_of(url: str) -> int | None:
    """The HTTP status of GET url, None while nothing listens there."""
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


class Bot:
    """A `cancelbot run` process, its output in a log file."""

    def __init__(self, env: dict[str, str], log: Path, *args: str) -> None:
        self.log = log
        with log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "run", *args], cwd=ROOT, env=env,
                stdin=subprocess.DEVNULL, stdout=out, stderr=out)

    def output(self) -> str:
        return self.log.read_text()

    def base_url(self) -> str:
        """Where the bot serves HTTP, read from its log once it says (it listens on --port 0)."""
        wait_until(lambda: SERVING.search(self.output()) or self.process.poll() is not None,
                   "the bot to say where it serves")
        found = SERVING.search(self.output())
        assert found, self.output()
        return found.group(1)

    def stop(self) -> int:
        """SIGTERM, then the exit status; a process that does not stop fails with its output."""
        return stop_process(self.process, self.log)


@pytest.fixture
def start_bot(db_url: str, fake_slack: FakeSlack, tmp_path: Path) -> Iterator[Callable[..., Bot]]:
    """Start `cancelbot run ARGS` on the test database and the fake Slack; killed if left over."""
    started: list[Bot] = []

    def start(*args: str, **env_changes: str | None) -> Bot:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SLACK_", "CANCELBOT_", "SALES_SITE_"))}
        env.update(DATABASE_URL=db_url, SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=fake_slack.base_url,
                   SLACK_SIGNING_SECRET=SIGNING_SECRET, CANCELBOT_POLL_SECONDS=POLL_SECONDS)
        for name, value in env_changes.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        started.append(Bot(env, tmp_path / f"run{len(started)}.log", *args))
        return started[-1]

    yield start
    for bot in started:
        if bot.process.poll() is None:
            bot.process.kill()
            bot.process.wait()


def queued_resync_with_its_request_message(db_url: str, slack: FakeSlack) -> str:
    """An approved resync whose job waits in the database; the ts of its request message."""
    db = Database(db_url)
    now = real_now()
    job, = queued_jobs(db.uow, db.sessions, resyncs=1, now=now,
                       cancelled_at=now - timedelta(days=1))
    ts = client_for(slack).chat_postMessage(channel=CHANNEL, text="Resync requested")["ts"]
    with db.uow() as uow:
        set_request_message(uow, job.request_id, CHANNEL, ts)
    db.dispose()
    return ts


@pytest.mark.slow
def test_http_mode_answers_slack_runs_queued_jobs_and_stops_cleanly_on_sigterm(
        db_url, fake_slack, start_bot):
    thread_ts = queued_resync_with_its_request_message(db_url, fake_slack)
    bot = start_bot("--host", "127.0.0.1", "--port", "0")
    base = bot.base_url()
    wait_until(lambda: status_of(base + "/healthz") == 200 or bot.process.poll() is not None,
               "the health check to answer")
    assert bot.process.poll() is None, bot.output()

    reply = SlackSender(base + "/slack/events", fake_slack).command("help", "UREQUESTER1")
    assert reply.status == 200  # the answer is the acknowledgement: nothing to response_url
    assert "history" in reply.json["text"] and "jobs" in reply.json["text"]
    assert fake_slack.sent_to(reply.response_url) == []

    result, = fake_slack.wait_for(lambda: fake_slack.replies(CHANNEL, thread_ts), timeout=DEADLINE)
    assert result["text"].startswith("Resynced")

    assert bot.stop() == 0, bot.output()
    assert f"serving Slack in HTTP mode at {base}/slack/events" in bot.output()
    assert status_of(base + "/healthz") is None  # no longer listening


def test_http_mode_without_the_signing_secret_does_not_start(start_bot):
    bot = start_bot("--port", "0", SLACK_SIGNING_SECRET=None)

    assert bot.process.wait(DEADLINE) == 1
    assert "SLACK_SIGNING_SECRET is not set" in bot.output()


def test_a_token_slack_refuses_stops_the_start_with_what_to_fix(start_bot, fake_slack):
    fake_slack.error_next("auth.test", "invalid_auth")
    bot = start_bot("--port", "0")

    assert bot.process.wait(DEADLINE) == 1
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in bot.output()
    assert "OAuth & Permissions" in bot.output()


def test_without_a_bot_token_it_does_not_start(start_bot):
    bot = start_bot("--port", "0", SLACK_BOT_TOKEN=None)

    assert bot.process.wait(DEADLINE) == 1
    assert "SLACK_BOT_TOKEN is not set" in bot.output()


def test_a_database_without_tables_says_to_upgrade_it(start_bot, tmp_path):
    bot = start_bot("--port", "0",
                    DATABASE_URL=f"sqlite:///{tmp_path / 'never-upgraded.sqlite3'}")

    assert bot.process.wait(DEADLINE) == 1
    assert "cancelbot db upgrade" in bot.output()


class SocketModeSlack:
    """Slack's Socket Mode side: a websocket server that says hello and sends one envelope."""

    def __init__(self, envelope: dict[str, Any]) -> None:
        self.envelope = envelope
        self.received: queue.Queue[dict[str, Any]] = queue.Queue()
        self.server = serve(self._session, "127.0.0.1", 0)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/link"

    def _session(self, connection: ServerConnection) -> None:
        connection.send((SHARED / "socket_mode.docs.hello.json").read_text())
        connection.send(json.dumps(self.envelope))
        try:
            for message in connection:
                self.received.put(json.loads(message))
        except ConnectionClosed:
            pass

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def socket_slack(fake_slack: FakeSlack) -> Iterator[tuple[FakeSlack, SocketModeSlack, str]]:
    """The fake Web API handing out the websocket's URL, and a `/cancelled help` envelope."""
    fake_slack.token_prefix = "x"  # apps.connections.open is called with the xapp- token
    url = fake_slack.response_url()
    envelope = json.loads((SHARED / "socket_mode.docs.slash_commands.envelope.json").read_text())
    envelope["payload"].update(command="/cancelled", text="help", response_url=url,
                               user_id="UREQUESTER1", team_id=TEAM_ID)  # the bot's workspace
    link = SocketModeSlack(envelope)
    fake_slack.on("apps.connections.open", lambda params: {"url": link.url})
    yield fake_slack, link, url
    link.close()


@pytest.mark.slow
def test_socket_mode_connects_with_the_app_token_and_acknowledges_a_command(
        socket_slack, start_bot):
    fake, link, response_url = socket_slack
    bot = start_bot(SLACK_APP_TOKEN=APP_TOKEN, SLACK_SIGNING_SECRET=None)

    opened = fake.wait_for(lambda: fake.calls_to("apps.connections.open"), timeout=DEADLINE)
    assert opened[0].headers["authorization"] == f"Bearer {APP_TOKEN}"
    wait_until(lambda: not link.received.empty() or bot.process.poll() is not None,
               "the acknowledgement")
    assert not link.received.empty(), bot.output()
    ack = link.received.get()
    assert ack["envelope_id"] == link.envelope["envelope_id"]
    # the answer is the acknowledgement's payload: nothing is sent to the response URL
    assert "history" in ack["payload"]["text"] and ack["payload"]["response_type"] == "ephemeral"
    assert fake.sent_to(response_url) == []

    assert bot.stop() == 0, bot.output()
    assert "serving Slack in Socket Mode" in bot.output()
