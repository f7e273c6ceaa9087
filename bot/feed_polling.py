"""Polling Smartship's order feed (CANCELBOT_ORDER_FEED_URL) for one process.

Every CANCELBOT_FEED_SECONDS the scheduler calls `poll`. Of all the instances on one database,
only the one that takes the feed's lease (a conditional UPDATE of its row, as job claims do)
asks the feed; the others skip the tick. The holder asks for the page after the stored cursor,
applies it (domain/order_feed.py: the records with the update rule, the bad ones kept as feed
problems, the cursor moved, all in one transaction) and, while the feed says more follow,
asks for the next, up to MAX_PAGES a tick. A page the feed does not answer usably (a timeout, a
5xx, a body that is not a page) ends the tick with the error kept; the cursor stays where it
was, so the same page is asked for again next tick and nothing is lost.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain import order_feed
from domain.errors import FeedUnavailable
from domain.ports import UnitOfWork
from domain.services import OrderFeed

# longer than a page's HTTP timeout plus its transaction; renewed as each page is applied
LEASE = timedelta(minutes=2)
PAGE_SIZE = 200
MAX_PAGES = 50  # a tick's bound: a long backlog is caught up over several ticks

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedTick:
    """What one tick did: held is False when another instance holds the feed."""

    held: bool
    pages: int = 0
    records: int = 0
    problems: int = 0
    error: str = ""


class FeedPolling:
    """Asks the order feed for its new pages on behalf of one process's owner name."""

    def __init__(
        self, uow_factory: Callable[[], UnitOfWork], feed: OrderFeed, owner: str,
        clock: Callable[[], datetime], lease: timedelta = LEASE, page_size: int = PAGE_SIZE,
        max_pages: int = MAX_PAGES, stopping: threading.Event | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.feed = feed
        self.owner = owner
        self.clock = clock
        self.lease = lease
        self.page_size = page_size
        self.max_pages = max_pages
        self.stopping = stopping or threading.Event()

    def poll(self) -> FeedTick:
        """One tick: take the lease, apply the pages that are ready, record how it went."""
        now = self.clock()
        with self.uow_factory() as uow:
            held = uow.feed.take_lease(self.owner, now, now + self.lease)
            uow.commit()
        if not held:
            return FeedTick(held=False)
        done: list[order_feed.PageApplied] = []  # the pages applied, even if a later one fails
        error = ""
        try:
            self._pages(done)
        except FeedUnavailable as exc:
            error = str(exc)
            log.warning("order feed: %s; asking for the same page next tick", error)
        except Exception as exc:
            error = f"applying a page failed ({type(exc).__name__}); the log has the details"
            log.exception("order feed: applying a page failed; asking for it again next tick")
        self._finish(error)
        problems = sum(p.problems for p in done)
        if problems:
            log.warning("order feed: %d record(s) could not be applied; `cancelbot jobs` "
                        "lists them", problems)
        return FeedTick(True, len(done), sum(p.records for p in done), problems, error)

    def _pages(self, done: list[order_feed.PageApplied]) -> None:
        with self.uow_factory() as uow:
            since = uow.feed.state().cursor
        for _ in range(self.max_pages):
            if self.stopping.is_set():
                break
            page = self.feed.page(since, self.page_size)
            now = self.clock()
            applied = order_feed.apply_page(self.uow_factory, page, since, self.owner, now,
                                            now + self.lease)
            if applied is None:
                log.warning("order feed: the lease passed to another instance; stopping")
                break
            done.append(applied)
            if not page.has_more or page.next_cursor == since:
                break
            since = page.next_cursor

    def _finish(self, error: str) -> None:
        try:
            with self.uow_factory() as uow:
                uow.feed.finish(self.owner, self.clock(), error)
                uow.commit()
        except Exception:
            log.exception("order feed: could not record the tick; the lease runs out instead")
