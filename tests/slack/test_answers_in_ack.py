"""Answers to `/cancelled` travel in the acknowledgement itself; only a late one goes to the
response URL, after an empty acknowledgement, so Slack's 3 s wait is always kept."""
from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.fakeslack import FakeSlack
from tests.integration.builders import add_orders, cancelled
from tests.slack.conftest import RunningApp, serving
from tests.slack.scenarios import REQUESTER

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
