"""A fake Slack Web API per test, and real WebClients pointed at it."""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.http_retry import FixedValueRetryIntervalCalculator
from sqlalchemy.orm import Session

from bot.composition import build_app, sales_site_for
from bot.config import Settings
from bot.http import EVENTS_PATH, make_server, stop_server
from handlers.slack_client import make_web_client
from store.db import make_engine
from store.uow import SqlUnitOfWork, session_factory, uow_factory
from tests.fakeslack import FakeSlack
from tests.integration.builders import NOW
from tests.slack.scenarios import APPROVALS, APPROVER
from tests.slack.signed import SIGNING_SECRET, SlackSender

TOKEN = "xoxb-test-token"
APPROVER_GROUP = "S0APPROVERS"  # a user group in CANCELBOT_APPROVERS
GROUP_APPROVER = "UGROUPMEMBER"  # an approver only through that group
IMPATIENT_SECONDS = 2.0


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


def client_for(slack: FakeSlack, timeout: float = 5.0) -> WebClient:
    """The production client, except that its retries do not wait between attempts."""
    return make_web_client(TOKEN, slack.base_url, timeout=timeout,
                           interval_calculator=FixedValueRetryIntervalCalculator(0.0))


@pytest.fixture
def slack_client(fake_slack: FakeSlack) -> WebClient:
    return client_for(fake_slack)


@pytest.fixture
def impatient_client(fake_slack: FakeSlack) -> WebClient:
    """A client that gives up after 2 s, for answers that never come in time (a scripted hang
    lasts until the fake stops); long enough for every other answer on a busy machine."""
    return client_for(fake_slack, timeout=IMPATIENT_SECONDS)


@dataclass
class Clock:
    """The app's clock: fixed unless a test moves it."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class RunningApp:
    """The real app behind its real HTTP server on loopback, a fake Slack and a database."""

    fake: FakeSlack
    send: SlackSender
    uow: Callable[[], SqlUnitOfWork]
    sessions: Callable[[], Session]
    clock: Clock
    base_url: str
    settings: Settings


def settings_for(slack: FakeSlack, db_url: str, **changes: object) -> Settings:
    """Settings as a deployment would give them, pointed at the fake Slack."""
    values: dict[str, object] = dict(
        database_url=db_url, slack_bot_token=TOKEN, slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.base_url, approvers=frozenset({APPROVER, APPROVER_GROUP}),
        approval_channel=APPROVALS,
    )
    values.update(changes)
    return Settings(**values)  # type: ignore[arg-type]


# How long the apps of these tests wait for an answer before acknowledging without it and
# sending it to the response URL. Production waits 2 s (Slack's deadline is 3 s); a loaded
# test machine can take longer than that for a big answer, which would send it the other way
# and fail a test that expects it in the acknowledgement. The late path is tested apart, with
# a store held until the test lets it go and a threshold of its own.
AWAITED_SECONDS = 600.0


@contextmanager
def serving(slack: FakeSlack, db_url: str, *, client_timeout: float = 5.0,
            store: Callable[[Callable[[], SqlUnitOfWork]], Callable[[], Any]] | None = None,
            answer_seconds: float = AWAITED_SECONDS, **changes: object) -> Iterator[RunningApp]:
    """Build the app as `cancelbot run` does and serve it over HTTP until the block ends;
    store, when given, wraps the app's unit-of-work factory (a slow store, say)."""
    settings = settings_for(slack, db_url, **changes)
    engine = make_engine(db_url)
    sessions = session_factory(engine)
    clock = Clock()
    uow = uow_factory(sessions)
    app = build_app(settings, store(uow) if store else uow, client_for(slack, client_timeout),
                    clock=clock, sales_site=sales_site_for(settings, sessions),
                    answer_seconds=answer_seconds)
    server = make_server(app, engine, host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.effective_port}"
    try:
        yield RunningApp(slack, SlackSender(base + EVENTS_PATH, slack), uow_factory(sessions),
                         sessions, clock, base, settings)
    finally:
        stop_server(server, thread)
        engine.dispose()


@pytest.fixture
def running_app(fake_slack: FakeSlack, db_url: str) -> Iterator[RunningApp]:
    """The app served on loopback with CANCELBOT_APPROVERS = APPROVER and APPROVER_GROUP."""
    fake_slack.usergroups[APPROVER_GROUP] = [GROUP_APPROVER]
    with serving(fake_slack, db_url) as running:
        yield running
