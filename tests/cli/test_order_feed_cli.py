"""`cancelbot jobs` and `cancelbot doctor` on the order feed: its state, its last error and the
records it could not apply."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.composition import background, open_store
from bot.config import Settings
from bot.scheduler import SYNC_ORDER_FEED
from tests.cli.conftest import Run
from tests.cli.test_doctor import configured, manifest, slack  # noqa: F401 - fixtures
from tests.fakeslack import FakeSlack
from tests.order_feed import TOKEN, OrderFeedStandIn, record

FEED_VARIABLES = ("CANCELBOT_ORDER_FEED_URL", "CANCELBOT_ORDER_FEED_TOKEN",
                  "CANCELBOT_FEED_SECONDS")


@pytest.fixture
def feed() -> Iterator[OrderFeedStandIn]:
    with OrderFeedStandIn() as running:
        yield running


@pytest.fixture
def healthy(configured: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> FakeSlack:  # noqa: F811
    """Slack set up as doctor wants it; no order feed unless the test names one."""
    for name in FEED_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return configured


@pytest.fixture
def fed(db_url: str, feed: OrderFeedStandIn) -> OrderFeedStandIn:
    """A database that followed the feed: two good records and a bad one applied, then a tick
    that met a 503."""
    feed.publish(record("QSP2611200001"), record("QSP2611200002", origin="fax"),
                 record("QSP2611200003"))
    settings = Settings(database_url=db_url, order_feed_url=feed.url, order_feed_token=TOKEN)
    store = open_store(settings)
    try:
        _, scheduler = background(settings, store)
        poll = scheduler.get_job(SYNC_ORDER_FEED).func
        assert poll().records == 2
        feed.fault_next(status=503)
        assert poll().error == "the order feed answered 503"
    finally:
        store.close()
    return feed


def use_feed(monkeypatch: pytest.MonkeyPatch, url: str, token: str | None = TOKEN) -> None:
    monkeypatch.setenv("CANCELBOT_ORDER_FEED_URL", url)
    if token:
        monkeypatch.setenv("CANCELBOT_ORDER_FEED_TOKEN", token)


def test_jobs_shows_the_feeds_state_last_error_and_problems(
        cancelbot: Callable[..., Run], fed: OrderFeedStandIn) -> None:
    run = cancelbot("jobs")

    assert run.status == 0
    assert "Order feed: last success 20" in run.out
    assert "cursor `r3`; 2 records in 1 page applied" in run.out
    assert "the order feed answered 503; asked again next tick" in run.out
    assert "Order feed problems (records not applied): 1" in run.out
    assert "`QSP2611200002`" in run.out
    assert 'origin: "fax" is not one of api, excel, manual' in run.out


def test_jobs_says_nothing_of_a_feed_never_polled(cancelbot: Callable[..., Run]) -> None:
    run = cancelbot("jobs")

    assert run.status == 0
    assert "Order feed" not in run.out and "Jobs queued or running: 0" in run.out


def test_doctor_says_the_feed_answers_and_warns_of_its_problems_and_last_error(
        cancelbot: Callable[..., Run], healthy, manifest: Path,  # noqa: F811
        fed: OrderFeedStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    use_feed(monkeypatch, fed.url)
    asked = len(fed.calls())

    run = cancelbot("doctor", "--manifest", str(manifest))

    assert f"ok   order feed: {fed.url} answers (polled every 60 s)" in run.out
    assert "warn order feed: last success 20" in run.out
    assert "last poll failed at" in run.out and "the order feed answered 503" in run.out
    assert ("warn order feed: 1 record(s) could not be applied; newest: QSP2611200002 at "
            in run.out)
    assert run.status == 0, run.out
    probe, = fed.calls()[asked:]
    assert (probe.query, probe.headers["Authorization"]) == (
        {"since": "r3", "limit": "1"}, f"Bearer {TOKEN}")


def test_doctor_names_the_token_the_feed_refuses(
        cancelbot: Callable[..., Run], healthy, manifest: Path,  # noqa: F811
        feed: OrderFeedStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    use_feed(monkeypatch, feed.url, token="expired")

    run = cancelbot("doctor", "--manifest", str(manifest))

    assert run.status == 1
    assert (f"FAIL order feed: {feed.url}: the order feed refused the request (answered 401); "
            "check CANCELBOT_ORDER_FEED_TOKEN") in run.out


def test_doctor_fails_a_feed_that_answers_5xx(
        cancelbot: Callable[..., Run], healthy, manifest: Path,  # noqa: F811
        feed: OrderFeedStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    use_feed(monkeypatch, feed.url)
    feed.fault_next(status=502)

    run = cancelbot("doctor", "--manifest", str(manifest))

    assert run.status == 1
    assert f"FAIL order feed: {feed.url}: the order feed answered 502" in run.out
    assert "that the feed is up" in run.out


def test_doctor_says_the_book_changes_by_import_without_a_feed(
        cancelbot: Callable[..., Run], healthy, manifest: Path) -> None:  # noqa: F811
    run = cancelbot("doctor", "--manifest", str(manifest))

    assert ("ok   order feed: not set (CANCELBOT_ORDER_FEED_URL): the book changes by "
            "`cancelbot import orders` only") in run.out
    assert run.status == 0
