"""Applying one page of Smartship's order feed: its records with the update rule
(domain/order_sync.py, rules 11 and 12), its bad records kept as feed problems (and the
problems of the orders it brings good copies of forgotten), and the cursor moved, in one
transaction (rule 13)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from domain import order_sync
from domain.feed_ledger import FeedProblem
from domain.ports import UnitOfWork
from domain.services import FeedPage


@dataclass(frozen=True)
class PageApplied:
    """How many records of a page were applied, and how many were kept as problems."""

    records: int
    problems: int


def apply_page(uow_factory: Callable[[], UnitOfWork], page: FeedPage, since: str, owner: str,
               now: datetime, lease_until: datetime) -> PageApplied | None:
    """Apply the page that followed since, for owner (the feed's lease holder, whose lease is
    renewed to lease_until); None, and nothing written, when owner no longer holds the feed
    or the cursor has moved on from since (the page was applied already)."""
    with uow_factory() as uow:
        # first: the row is locked from here to the commit, so a second poller waits, then
        # finds the cursor moved and writes nothing
        if not uow.feed.advance(since, page.next_cursor, owner, lease_until, len(page.records)):
            return None
        order_sync.apply_orders(uow, page.records, now)
        # a good copy of an order settles what an earlier bad one of it was kept for
        uow.feed.resolve_problems([order.packing_no for order in page.records])
        for problem in page.problems:
            uow.feed.add_problem(FeedProblem(problem.packing_no, problem.reason, now, since))
        uow.commit()
    return PageApplied(len(page.records), len(page.problems))
