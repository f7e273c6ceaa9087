"""Answers to `/cancelled` travel in the acknowledgement itself; only a late one goes to the
response URL, after an empty acknowledgement, so Slack's 3 s wait is always kept. Only an
export starts work after its acknowledgement."""
from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import App
from slack_bolt.lazy_listener import ThreadLazyListenerRunner
from slack_bolt.response import BoltResponse

from bot.composition import build_app
from store.db import make_engine
from store.uow import session_factory, uow_factory
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.integration.builders import add_orders, cancelled
from tests.slack.conftest import AWAITED_SECONDS, RunningApp, client_for, serving, settings_for
from tests.slack.scenarios import REQUESTER
from tests.slack.test_unverified_requests import dispatch, now, signed_as_given

NUMBER = "QSP2611260001"
DEADLINE = 30.0
# the store below answers only when the test lets it: any threshold is missed, so a small one
# keeps the test fast without depending on how fast anything runs
SHORT_SECONDS = 0.05


class HeldStore:
    """The app's units of work, each held back until the test releases them."""

    def __init__(self, uow: Callable[[], Any]) -> None:
        self.uow = uow
        self.released = threading.Event()

    def __call__(self) -> Any:
        if not self.released.wait(DEADLINE):
            raise TimeoutError("the test never released the store")
        return self.uow()


@pytest.fixture
def held(fake_slack: FakeSlack, db_url: str) -> Iterator[tuple[RunningApp, HeldStore]]:
    stores: list[HeldStore] = []

    def slow(uow: Callable[[], Any]) -> HeldStore:
        stores.append(HeldStore(uow))
        return stores[-1]

    with serving(fake_slack, db_url, store=slow, answer_seconds=SHORT_SECONDS) as running:
        try:
            yield running, stores[0]
        finally:
            stores[0].released.set()  # let a listener still waiting finish before the stop


@pytest.mark.parametrize("text, expected", [
    (NUMBER, f"{NUMBER} · Resync Available"), ("help", "/cancelled history PACKING_NO"),
    (f"history {NUMBER}", NUMBER), ("jobs", "Jobs queued or running: 0"), ("list", NUMBER),
])
def test_each_answer_to_the_command_is_the_acknowledgement_and_nothing_goes_to_response_url(
        running_app, text, expected):
    add_orders(running_app.uow, cancelled(NUMBER))

    reply = running_app.send.command(text, REQUESTER)

    assert reply.status == 200 and reply.json["response_type"] == "ephemeral"
    assert expected in json.dumps(reply.json, ensure_ascii=False)
    assert running_app.fake.sent_to(reply.response_url) == []


def test_a_lookup_the_store_is_slow_to_answer_is_acknowledged_empty_then_sent_to_response_url(
        held):
    running, store = held
    store.released.set()
    add_orders(running.uow, cancelled(NUMBER))
    store.released.clear()

    reply = running.send.command(NUMBER, REQUESTER)

    assert (reply.status, reply.body) == (200, "")  # in time, with nothing in it
    assert running.fake.sent_to(reply.response_url) == []
    store.released.set()
    sent, = running.fake.wait_for(lambda: running.fake.sent_to(reply.response_url))
    assert sent["text"].startswith(f"{NUMBER} · Resync Available")
    assert sent["response_type"] == "ephemeral"


def test_a_late_refusal_reaches_the_response_url_in_its_own_words(held):
    running, store = held

    reply = running.send.command("QSP0000000404", REQUESTER)

    assert (reply.status, reply.body) == (200, "")
    store.released.set()
    sent, = running.fake.wait_for(lambda: running.fake.sent_to(reply.response_url))
    assert sent["text"].startswith("No order has the packing number QSP0000000404.")


# -- work after the acknowledgement: only an export starts any -----------------------------

class CountedStarts(Executor):
    """The executor of the app's lazy listeners, counting the work Bolt starts in it."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner
        self.started = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.started += 1
        return self.inner.submit(fn, *args, **kwargs)


@pytest.fixture
def counted(fake_slack: FakeSlack, db_url: str) -> Iterator[tuple[App, CountedStarts]]:
    """The app as `cancelbot console` builds it (requests go to app.dispatch, whose lazy
    listeners have started by the time it returns), its lazy work counted."""
    engine = make_engine(db_url)
    app = build_app(settings_for(fake_slack, db_url), uow_factory(session_factory(engine)),
                    client_for(fake_slack), answer_seconds=AWAITED_SECONDS)
    lazy = app.listener_runner.lazy_listener_runner
    assert isinstance(lazy, ThreadLazyListenerRunner)
    lazy.executor = starts = CountedStarts(lazy.executor)
    yield app, starts
    engine.dispose()


def typed(app: App, fake_slack: FakeSlack, text: str) -> tuple[BoltResponse, str]:
    """`/cancelled text` signed and dispatched: the acknowledgement and the response URL."""
    url = fake_slack.response_url()
    body = urlencode({"command": "/cancelled", "text": text, "user_id": REQUESTER,
                      "team_id": TEAM_ID, "channel_id": "C0SUPPORT", "response_url": url})
    return dispatch(app, body, **signed_as_given(now(), body)), url


@pytest.mark.parametrize("text", [NUMBER, "help", f"history {NUMBER}", "jobs", "list", "",
                                  "nonsense"])
def test_a_command_answered_in_its_acknowledgement_starts_no_work_after_it(
        counted, fake_slack, text):
    app, starts = counted

    answer, _ = typed(app, fake_slack, text)

    assert answer.status == 200 and json.loads(answer.body)["response_type"] == "ephemeral"
    assert starts.started == 0
    # auth.test: the app learns its workspace at the first request (handlers/trust.py)
    assert [call.method for call in fake_slack.calls] == ["auth.test"]


def test_an_export_is_acknowledged_empty_and_its_answer_follows_from_work_after_it(
        counted, fake_slack):
    app, starts = counted

    answer, url = typed(app, fake_slack, "list export")

    assert (answer.status, answer.body) == (200, "")
    assert starts.started == 1
    sent, = fake_slack.wait_for(lambda: fake_slack.posted_to(url))
    assert sent["text"].startswith("No cancelled order matches these filters")
