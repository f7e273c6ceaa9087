"""The order feed as the bot polls it: the scheduler's own poll job (bot/composition.py
`background`) against the stand-in feed, on SQLite and PostgreSQL. Ticks are driven directly,
where the scheduler would call them."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.composition import Store, background, open_store
from bot.config import Settings
from bot.feed_polling import LEASE, PAGE_SIZE, FeedPolling
from bot.scheduler import SYNC_ORDER_FEED
from domain.model import OrderState
from domain.services import FeedPage
from store.models import OrderRow
from store.order_feed_http import HttpOrderFeed
from tests.order_feed import TOKEN, OrderFeedStandIn, record
from tests.races import failures, together


@pytest.fixture
def feed() -> Iterator[OrderFeedStandIn]:
    with OrderFeedStandIn() as running:
        yield running


class Instance:
    """One bot instance as `cancelbot run` or `worker` composes it: its store and its
    scheduler, whose order-feed job the test calls where the scheduler would."""

    def __init__(self, settings: Settings) -> None:
        self.store: Store = open_store(settings)
        self.worker, self.scheduler = background(settings, self.store)

    def tick(self):
        return self.scheduler.get_job(SYNC_ORDER_FEED).func()

    def close(self) -> None:
        self.store.close()

    def state(self):
        with self.store.uow() as u:
            return u.feed.state()

    def problems(self):
        with self.store.uow() as u:
            return u.feed.problems(100)

    def order(self, packing_no: str):
        with self.store.uow() as u:
            return u.orders.get(packing_no)

    def order_count(self) -> int:
        with self.store.uow() as u:
            return u.session.scalar(select(func.count()).select_from(OrderRow)) or 0


@pytest.fixture
def instances(db_url: str, feed: OrderFeedStandIn) -> Iterator[list[Instance]]:
    """One bot instance on a fresh database following the stand-in feed (another() adds more),
    closed after the test."""
    made = [Instance(Settings(database_url=db_url, order_feed_url=feed.url,
                              order_feed_token=TOKEN))]
    yield made
    for instance in made:
        instance.close()


def another(instances: list[Instance]) -> Instance:
    """One more instance like the first: a process of its own on the same database."""
    instances.append(Instance(instances[0].worker.settings))
    return instances[-1]


def numbers(count: int, start: int = 0) -> list[str]:
    return [f"QSP26112{n:05d}" for n in range(start, start + count)]


def test_pages_are_applied_in_order_in_one_tick_and_the_cursor_is_stored(instances, feed):
    bot, = instances
    feed.publish(*[record(no) for no in numbers(2 * PAGE_SIZE + 50)])

    tick = bot.tick()

    assert (tick.pages, tick.records, tick.problems, tick.error) == (3, 2 * PAGE_SIZE + 50, 0, "")
    assert feed.served() == ["", f"r{PAGE_SIZE}", f"r{2 * PAGE_SIZE}"]
    state = bot.state()
    assert (state.cursor, state.pages, state.records) == (f"r{2 * PAGE_SIZE + 50}", 3,
                                                          2 * PAGE_SIZE + 50)
    assert state.last_success_at is not None and state.lease_expires_at is None
    assert bot.order_count() == 2 * PAGE_SIZE + 50
    assert bot.order(numbers(1)[0]).state is OrderState.CANCELLED


def test_the_token_is_sent_as_a_bearer_token_on_every_page(instances, feed):
    bot, = instances
    feed.publish(*[record(no) for no in numbers(PAGE_SIZE + 1)])

    bot.tick()

    assert [c.headers["Authorization"] for c in feed.calls()] == [f"Bearer {TOKEN}"] * 2


def test_a_newer_copy_from_the_feed_updates_the_order_and_an_older_one_changes_nothing(
        instances, feed):
    bot, = instances
    no, = numbers(1)
    feed.publish(record(no, updated_at="2026-11-20T10:00:00+09:00"))
    bot.tick()
    feed.publish(record(no, updated_at="2026-11-21T10:00:00+09:00", state="active",
                        stage="confirmation", cancelled_at=None, cancelled_by=None),
                 record(no, updated_at="2026-11-20T11:00:00+09:00"))

    bot.tick()

    assert bot.order(no).state is OrderState.ACTIVE
    assert bot.state().cursor == "r3"


def test_a_restarted_instance_resumes_from_the_stored_cursor(instances, feed):
    first, = instances
    feed.publish(*[record(no) for no in numbers(3)])
    first.tick()
    first.close()
    feed.publish(*[record(no) for no in numbers(2, start=3)])

    restarted = another(instances)
    tick = restarted.tick()

    assert feed.served() == ["", "r3"]
    assert (tick.records, restarted.order_count()) == (2, 5)


def test_a_5xx_keeps_the_cursor_and_the_next_tick_applies_the_same_page(instances, feed):
    bot, = instances
    feed.publish(*[record(no) for no in numbers(3)])
    feed.fault_next(status=503)

    failed = bot.tick()

    assert failed.error == "the order feed answered 503" and failed.records == 0
    state = bot.state()
    assert (state.cursor, state.last_error, state.last_success_at) == (
        "", "the order feed answered 503", None)
    assert state.lease_expires_at is None  # let go: the next tick may be another instance's

    retried = bot.tick()

    assert (retried.records, retried.error) == (3, "")
    assert [c.query["since"] for c in feed.calls()] == ["", ""]
    assert (bot.state().cursor, bot.state().last_error, bot.order_count()) == ("r3", "", 3)


def test_a_feed_that_hangs_times_out_and_the_next_tick_gets_the_same_page(instances, feed):
    bot, = instances
    feed.publish(*[record(no) for no in numbers(2)])
    feed.fault_next(hang=True)
    clock = lambda: datetime.now(UTC)  # noqa: E731 - the bot's own clock

    def poller(timeout: float) -> FeedPolling:
        return FeedPolling(bot.store.uow, HttpOrderFeed(feed.url, TOKEN, timeout=timeout), "bot",
                           clock)

    hung = poller(timeout=0.5).poll()
    feed.let_go.set()
    # the next tick waits as long as need be: a loaded machine may take over 0.5 s to answer
    retried = poller(timeout=30).poll()

    assert (hung.records, hung.error) == (0, "the order feed timed out after 0.5 s")
    assert (retried.records, retried.error) == (2, "")
    assert [c.query["since"] for c in feed.calls()] == ["", ""]
    assert (bot.state().cursor, bot.order_count()) == ("r2", 2)


def test_a_page_failing_mid_tick_keeps_the_pages_before_it_and_is_asked_again(instances, feed):
    bot, = instances
    feed.publish(*[record(no) for no in numbers(PAGE_SIZE + 10)])
    feed.fault_next()  # the first page is answered as usual
    feed.fault_next(status=200, body=b"<html>maintenance</html>")

    first = bot.tick()
    second = bot.tick()

    assert (first.pages, first.error) == (1, "the order feed gave an unusable answer: the "
                                             "answer is not JSON")
    assert (second.pages, second.records) == (1, 10)
    assert [c.query["since"] for c in feed.calls()] == ["", f"r{PAGE_SIZE}", f"r{PAGE_SIZE}"]
    assert bot.order_count() == PAGE_SIZE + 10


def test_a_bad_record_becomes_a_feed_problem_and_the_rest_of_the_page_applies(
        instances, feed):
    bot, = instances
    good = numbers(3)
    feed.publish(record(good[0]), record("QSP26119999", origin="fax"),
                 record(good[1]), record("QSP26119998", updated_at=None), record(good[2]))

    tick = bot.tick()

    assert (tick.records, tick.problems, tick.error) == (3, 2, "")
    assert [bot.order(no) is not None for no in good] == [True, True, True]
    assert bot.order("QSP26119999") is None
    assert [(p.packing_no, p.reason, p.cursor) for p in bot.problems()] == [
        ("QSP26119998", "updated_at: is empty (the feed gives every record its updated_at)",
         ""),
        ("QSP26119999", 'origin: "fax" is not one of api, excel, manual', ""),
    ]
    assert bot.state().cursor == "r5"


def test_a_good_copy_of_an_order_clears_the_problem_its_bad_copy_left(instances, feed):
    bot, = instances
    feed.publish(record("qsp 26119999", origin="fax"), record("QSP26119998", origin="fax"))
    assert bot.tick().problems == 2
    assert [p.packing_no for p in bot.problems()] == ["QSP26119998", "QSP26119999"]

    feed.publish(record("QSP26119999"))
    tick = bot.tick()

    assert (tick.records, tick.problems, tick.error) == (1, 0, "")
    assert bot.order("QSP26119999") is not None
    assert [p.packing_no for p in bot.problems()] == ["QSP26119998"]


def test_two_instances_ticking_at_once_apply_each_page_once(instances, feed):
    first = instances[0]
    second = another(instances)
    feed.publish(*[record(no) for no in numbers(PAGE_SIZE + 20)])

    outcomes = together(first.tick, second.tick)

    # one holds the feed while the other skips its tick, or (when one thread ran late) the
    # second finds the cursor at the end: either way each page is asked for and applied once
    assert not failures(outcomes), outcomes
    assert sum(t.records for t in outcomes) == PAGE_SIZE + 20
    served = feed.served()
    assert served[:2] == ["", f"r{PAGE_SIZE}"] and len(set(served)) == len(served)
    assert first.state().records == PAGE_SIZE + 20
    assert first.order_count() == PAGE_SIZE + 20

    feed.publish(*[record(no) for no in numbers(5, start=PAGE_SIZE + 20)])
    again = together(first.tick, second.tick)

    assert not failures(again), again
    assert sum(t.records for t in again) == 5
    assert first.state().records == PAGE_SIZE + 25
    assert feed.served().count(f"r{PAGE_SIZE + 20}") == 1


class GatedFeed:
    """The order feed as a stalled instance reaches it: its page comes only when the gate
    opens."""

    def __init__(self, inner: HttpOrderFeed) -> None:
        self.inner = inner
        self.entered = threading.Event()
        self.gate = threading.Event()

    def page(self, since: str, limit: int) -> FeedPage:
        page = self.inner.page(since, limit)
        self.entered.set()
        assert self.gate.wait(30), "the test never opened the gate"
        return page


def test_an_instance_whose_lease_was_taken_over_mid_page_applies_nothing(instances, feed):
    bot, = instances
    feed.publish(*[record(no) for no in numbers(3)])
    now = [datetime(2026, 11, 30, 3, 0, tzinfo=UTC)]
    gated = GatedFeed(HttpOrderFeed(feed.url, TOKEN))
    stalled = FeedPolling(bot.store.uow, gated, "stalled", lambda: now[0])
    taker = FeedPolling(bot.store.uow, HttpOrderFeed(feed.url, TOKEN), "taker", lambda: now[0])
    runner = threading.Thread(target=stalled.poll)
    runner.start()
    assert gated.entered.wait(30)

    now[0] += LEASE + timedelta(seconds=1)  # the stalled instance's lease runs out
    assert taker.poll().records == 3
    gated.gate.set()
    runner.join(30)

    assert not runner.is_alive()
    state = bot.state()
    assert (state.cursor, state.pages, state.records, state.lease_owner) == ("r3", 1, 3, "taker")
    assert bot.order_count() == 3


def test_without_a_feed_url_the_scheduler_has_no_feed_job(db_url):
    store = open_store(Settings(database_url=db_url))
    try:
        _, scheduler = background(Settings(database_url=db_url), store)
        assert scheduler.get_job(SYNC_ORDER_FEED) is None
        assert store.feed is None
    finally:
        store.close()


def test_the_feed_job_runs_every_feed_seconds(db_url, feed):
    settings = Settings(database_url=db_url, order_feed_url=feed.url, feed_seconds=42)
    store = open_store(settings)
    try:
        _, scheduler = background(settings, store)
        job = scheduler.get_job(SYNC_ORDER_FEED)
        assert job.trigger.interval == timedelta(seconds=42)
    finally:
        store.close()
