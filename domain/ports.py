"""What the use cases need from the database, as small Protocols: orders, requests, jobs, the
audit trail and packing numbers, the list queries, and the unit of work that holds every
repository (the outbox and digests are in domain/queues.py, the order feed's ledger in
domain/feed_ledger.py)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from domain.feed_ledger import FeedLedger
from domain.model import Category, Order
from domain.queues import Digests, Outbox
from domain.requests import Job, JobState, Request
from domain.status import Status, StatusContext


@dataclass(frozen=True)
class ListQuery:
    """Filters of `/cancelled list` and `cancelbot list`; dates bound cancelled_at."""

    category: Category | None = None
    status: Status | None = None
    seller: str | None = None
    site: str | None = None
    date_from: datetime | None = None  # inclusive
    date_to: datetime | None = None  # exclusive
    page: int = 0
    page_size: int = 10


@dataclass(frozen=True)
class Listed:
    order: Order
    status: Status


@dataclass(frozen=True)
class Page:
    items: list[Listed]
    total: int
    page: int
    page_size: int

    @property
    def has_next(self) -> bool:
        return (self.page + 1) * self.page_size < self.total

    @property
    def has_previous(self) -> bool:
        return self.page > 0

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True)
class Counts:
    """Counts for the three tabs (ignoring category and status filters) and per status."""

    by_category: dict[Category, int] = field(default_factory=dict)
    by_status: dict[Status, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ClosingQuery:
    """The digest's orders: in statuses, cancelled in (cancelled_after, cancelled_until]."""

    cancelled_after: datetime  # exclusive: the window is still open
    cancelled_until: datetime  # inclusive: the window closes by the end of the span
    statuses: frozenset[Status]
    include_awaiting: bool = False  # also orders whose request waits for approval
    limit: int = 30


def total_from_counts(counts: Counts, query: ListQuery) -> int:
    """The number of orders matching query, read off its counts."""
    if query.status:
        if query.category and query.status.category is not query.category:
            return 0
        return counts.by_status.get(query.status, 0)
    if query.category:
        return counts.by_category.get(query.category, 0)
    return sum(counts.by_category.values())


@dataclass(frozen=True)
class AuditEvent:
    """One line of the append-only audit trail."""

    at: datetime
    actor: str
    kind: str
    packing_no: str | None = None
    request_id: int | None = None
    job_id: int | None = None
    detail: str = ""


class Orders(Protocol):
    def get(self, packing_no: str) -> Order | None: ...
    def get_by_id(self, order_id: int) -> Order | None: ...
    def by_ids(self, order_ids: list[int]) -> list[Order]:
        """The orders with these ids (those that exist), in one read."""
        ...
    def created_by_job(self, job_id: int) -> Order | None: ...
    def live_duplicates(self, order: Order) -> list[Order]: ...
    def get_many(self, packing_nos: list[str]) -> dict[str, Order]:
        """The stored orders among packing_nos, by packing number (looked up in chunks)."""
        ...
    def add(self, order: Order) -> Order: ...
    def add_many(self, orders: list[Order]) -> None:
        """Add new orders in one statement per chunk (their ids are not read back)."""
        ...
    def update(self, order: Order) -> None: ...
    def update_many(self, orders: list[Order]) -> None:
        """Write several orders at once, as update writes each."""
        ...
    def page(self, query: ListQuery, ctx: StatusContext, total: int | None = None) -> Page:
        """A page of matches; total, when the caller knows it, saves counting again."""
        ...
    def counts(self, query: ListQuery, ctx: StatusContext) -> Counts: ...
    def closing(self, query: ClosingQuery, ctx: StatusContext) -> Page:
        """Up to query.limit matches, oldest cancellation (soonest deadline) first; total: all."""
        ...


class Requests(Protocol):
    def add(self, request: Request) -> Request: ...
    def get(self, request_id: int) -> Request | None: ...
    def decide(self, request: Request) -> bool:
        """Write a decision only if the stored request is still pending; False if not."""
        ...
    def update(self, request: Request) -> None: ...
    def set_message(self, request_id: int, channel_id: str, message_ts: str) -> bool:
        """Record where the request message is, writing nothing else (a decision may have been
        written meanwhile); False when there is no such request."""
        ...
    def unposted(self, before: datetime, limit: int = 100) -> list[Request]:
        """Pending requests made before `before` whose request message was never recorded."""
        ...
    def awaiting_closing(self, cancelled_until: datetime, *, unreminded_only: bool = False,
                         limit: int = 100) -> list[Request]:
        """Pending requests with an order awaiting approval cancelled at or before
        cancelled_until (its window closes by then); unreminded_only: never reminded."""
        ...
    def mark_reminded(self, request_id: int, at: datetime) -> bool:
        """Record the one reminder; False when the request was reminded or decided already."""
        ...

    def awaiting_decision(self, limit: int = 100) -> list[Request]:
        """Pending requests whose request message is recorded, oldest first."""
        ...

    def in_flight_for(self, user_id: str, limit: int = 100) -> list[Request]:
        """user_id's requests with a job still active (awaiting approval, queued, running or
        waiting on the order service), newest first."""
        ...


class Jobs(Protocol):
    def add(self, job: Job) -> Job:
        """Raise ActiveRequestExists when the order already has an active job."""
        ...
    def get(self, job_id: int) -> Job | None: ...
    def for_request(self, request_id: int) -> list[Job]: ...
    def for_order(self, order_id: int) -> list[Job]: ...
    def in_states(self, states: tuple[JobState, ...], limit: int = 100) -> list[Job]: ...
    def update(self, job: Job) -> None: ...
    def update_many(self, jobs: list[Job]) -> None:
        """Write several jobs at once, as update writes each."""
        ...
    def claim(self, owner: str, now: datetime, lease_until: datetime, limit: int) -> list[Job]:
        """Move up to limit queued jobs to running, leased to owner; none is claimed twice."""
        ...
    def renew(self, job_id: int, owner: str, lease_until: datetime) -> bool:
        """Extend owner's lease on a running job; False when owner no longer holds it."""
        ...
    def release(self, job_id: int, owner: str) -> bool:
        """Give a job owner holds but has not started back to the queue; False if not held."""
        ...
    def reclaim_expired(self, now: datetime) -> list[Job]:
        """Queue again the running jobs whose lease ran out before now."""
        ...
    def lock_running(self, job_id: int, owner: str | None = None) -> Job | None:
        """The running job (leased to owner, if given), locked until commit; else None."""
        ...
    def lock_held(self, job_ids: list[int], owner: str) -> list[Job]:
        """Of these jobs, the ones still running and leased to owner, locked until commit in
        ascending id order (the order every multi-job lock takes, so none deadlocks)."""
        ...
    # Jobs waiting on the order service, leased to one poller at a time like claims.
    def claim_waiting(
        self, owner: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[Job]:
        """Lease up to limit waiting jobs due a look (next_poll_at reached) and not leased."""
        ...
    def lock_waiting(self, job_id: int, owner: str) -> Job | None:
        """The waiting job while owner still leases it, locked until commit; else None."""
        ...
    def let_go(self, job_id: int, owner: str) -> bool:
        """End owner's lease on a job (its owner stays as a record); False if not owner's."""
        ...
    def service_key(self, job_id: int) -> str:
        """The idempotency key naming this job's recovery at the order service: the same on
        every call, and unique across databases (cancelbot-job-{id}-{database id})."""
        ...


class Audit(Protocol):
    def record(self, event: AuditEvent) -> None: ...
    def record_many(self, events: list[AuditEvent]) -> None: ...
    def for_packing_nos(self, packing_nos: list[str]) -> list[AuditEvent]: ...


class PackingNumbers(Protocol):
    def allocate(self, now: datetime) -> str:
        """A packing number no order has, unique also against concurrent callers."""
        ...


class UnitOfWork(Protocol):
    """One transaction and the repositories on it. The repositories are read-only members, so
    that an implementation may hold its own (more specific) repository types."""

    @property
    def orders(self) -> Orders: ...
    @property
    def requests(self) -> Requests: ...
    @property
    def jobs(self) -> Jobs: ...
    @property
    def audit(self) -> Audit: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def packing_numbers(self) -> PackingNumbers: ...
    @property
    def digests(self) -> Digests: ...
    @property
    def feed(self) -> FeedLedger: ...

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(self, *exc: object) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
