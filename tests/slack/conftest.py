"""A fake Slack Web API per test, and real WebClients pointed at it."""
from __future__ import annotations

from typing import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.http_retry import FixedValueRetryIntervalCalculator

from handlers.slack_client import make_web_client
from tests.fakeslack import FakeSlack

TOKEN = "xoxb-test-token"


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
    """A client that gives up after 0.3 s, for answers that never come in time."""
    return client_for(fake_slack, timeout=0.3)
