"""Read-side use cases: look up, list with counts, and the history of an order."""
from __future__ import annotations

from dataclasses import dataclass, field

from domain.errors import OrderNotFound
from domain.feed_ledger import FeedProblem, FeedState
from domain.model import Order, OrderState, normalize_packing_no
from domain.ports import AuditEvent, Counts, ListQuery, Page, UnitOfWork, total_from_counts
from domain.queues import OutboxMessage
from domain.requests import Job, JobState
from domain.rules import RequestCheck, check_request
from domain.status import StatusContext, StatusView, explain
from domain.window import WindowView, window_view


@dataclass(frozen=True)
class Lookup:
    """Everything a lookup card shows; cancelled-only fields are None for an active order."""

    order: Order
    status: StatusView | None = None
    window: WindowView | None = None
    check: RequestCheck | None = None
    successor: Order | None = None  # the order a resync created from this one
    restored: bool = False  # an active order that came back through a restore

    @property
    def is_active(self) -> bool:
        return self.status is None


def last_failure_text(uow: UnitOfWork, order: Order) -> str | None:
    """The reason of the order's latest failed job, in plain words."""
    if order.id is None:
        return None
    failures = [f for f in (j.failure for j in uow.jobs.for_order(order.id)) if f]
    return failures[-1].describe() if failures else None


def look_up(uow: UnitOfWork, text: str, ctx: StatusContext) -> Lookup:
    """Find an order by packing number (forgiving spaces and case); OrderNotFound if none."""
    packing_no = normalize_packing_no(text)
    order = uow.orders.get(packing_no)
    if order is None:
        raise OrderNotFound(packing_no)
    if not order.is_cancelled_delivery:
        return Lookup(order)
    successor = uow.orders.get(order.superseded_by) if order.superseded_by else None
    restored = order.state is OrderState.ACTIVE
    status = explain(order, ctx, last_failure_text(uow, order))
    view = window_view(order.when_cancelled, ctx.now, ctx.zone)
    return Lookup(order, status, view, check_request(order, ctx), successor, restored)


@dataclass(frozen=True)
class Listing:
    page: Page
    counts: Counts
    query: ListQuery


def list_orders(uow: UnitOfWork, query: ListQuery, ctx: StatusContext) -> Listing:
    """A page of cancelled orders matching query, with the tab and status counts."""
    counts = uow.orders.counts(query, ctx)
    page = uow.orders.page(query, ctx, total=total_from_counts(counts, query))
    return Listing(page, counts, query)


def history(uow: UnitOfWork, text: str) -> tuple[Order, list[AuditEvent]]:
    """The audit trail of an order and of the order a resync made from it, oldest first."""
    packing_no = normalize_packing_no(text)
    order = uow.orders.get(packing_no)
    if order is None:
        raise OrderNotFound(packing_no)
    related = [order.packing_no] + [
        n for n in (order.superseded_by, order.resynced_from) if n
    ]
    return order, sorted(uow.audit.for_packing_nos(related), key=lambda e: e.at)


@dataclass(frozen=True)
class JobsOverview:
    """Work in flight: jobs queued, running or waiting on the order service, and thread
    messages not delivered yet."""

    jobs: list[Job]
    undelivered: list[OutboxMessage]
    feed: FeedState | None = None  # None: the order feed was never polled here
    feed_problems: list[FeedProblem] = field(default_factory=list)  # the newest
    feed_problem_count: int = 0


def jobs_overview(uow: UnitOfWork, limit: int = 50) -> JobsOverview:
    """Queued, running and waiting jobs with their attempts (a waiting one with its recovery
    at the order service), undelivered results with their errors, and the order feed's state
    and problems once it has been polled."""
    active = uow.jobs.in_states((JobState.QUEUED, JobState.RUNNING, JobState.WAITING),
                                limit=limit)
    feed, count = uow.feed.state(), uow.feed.problem_count()
    if not (feed.ever_polled or count):
        return JobsOverview(active, uow.outbox.pending(limit))
    return JobsOverview(active, uow.outbox.pending(limit), feed, uow.feed.problems(limit), count)
