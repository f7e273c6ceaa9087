"""What the use cases need from the outside world, as small Protocols."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from domain.model import Category, Order, Stored
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


@dataclass(frozen=True)
class OutboxMessage(Stored):
    """A message to post into a request's thread, written with the change it reports."""

    request_id: int
    kind: str
    payload: dict[str, Any]
    created_at: datetime
    id: int | None = None
    attempts: int = 0  # failed deliveries so far
    last_error: str = ""
    delivered_at: datetime | None = None
    next_attempt_at: datetime | None = None  # None: due now
    # set by claim_due when an earlier attempt may have reached Slack (a failure, or a lease
    # that ran out unresolved): the deliverer looks in the thread before posting again
    in_doubt: bool = False


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


class Outbox(Protocol):
    def add(self, message: OutboxMessage) -> OutboxMessage: ...
    def add_many(self, messages: list[OutboxMessage]) -> None: ...

    def claim_due(
        self, owner: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[OutboxMessage]:
        """Lease undelivered, due rows to owner (with the due rows of the same requests)."""
        ...

    def mark_delivered(
        self, message_id: int, owner: str, at: datetime, message_ts: str | None
    ) -> bool:
        """Record delivery; False when owner no longer holds the lease."""
        ...

    def mark_failed(
        self, message_id: int, owner: str, error: str, next_attempt_at: datetime
    ) -> bool:
        """Count a failed attempt, keep its error and free the row until next_attempt_at."""
        ...

    def release(self, message_id: int, owner: str, in_doubt: bool = False) -> bool:
        """Give a claimed row back untouched (not an attempt); in_doubt keeps it doubted."""
        ...

    def pending(self, limit: int = 50) -> list[OutboxMessage]:
        """Undelivered messages, oldest first, with their attempts and last error."""
        ...


@dataclass(frozen=True)
class DigestDay:
    """Who claimed a business day's digest, and what became of it."""

    day: str  # YYYY-MM-DD in the business time zone
    claimed_by: str
    claimed_at: datetime
    done_at: datetime | None = None  # posted, or found nothing to post
    channel_id: str | None = None
    message_ts: str | None = None  # None when done: nothing closed soon


class Digests(Protocol):
    def claim(self, day: str, owner: str, now: datetime, stale_before: datetime) -> bool:
        """Take the day: a new row, or one claimed before stale_before and never done."""
        ...

    def done(self, day: str, owner: str, at: datetime, channel_id: str | None = None,
             message_ts: str | None = None) -> bool:
        """Settle owner's claim (with the message posted, if any); False if not owner's."""
        ...

    def release(self, day: str, owner: str) -> bool:
        """Give back owner's unsettled claim, so that another try can take the day."""
        ...

    def get(self, day: str) -> DigestDay | None: ...


class PackingNumbers(Protocol):
    def allocate(self, now: datetime) -> str:
        """A packing number no order has, unique also against concurrent callers."""
        ...


@dataclass(frozen=True)
class FeedProblem:
    """A record of the order feed that could not be applied; kept, and the feed goes on."""

    packing_no: str  # as the record gave it (shown, cut short), "" when it had none
    reason: str
    seen_at: datetime
    cursor: str = ""  # the `since` of the page it came in
    id: int | None = None


@dataclass(frozen=True)
class FeedState:
    """Where the order feed stands: its cursor, who polls it now, and how the last poll went."""

    cursor: str = ""  # opaque; empty before the first page
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    last_success_at: datetime | None = None  # the last poll that reached the feed's end
    last_error: str = ""  # the last poll's error; "" once a poll succeeds again
    last_error_at: datetime | None = None
    pages: int = 0  # pages applied since the first
    records: int = 0  # records applied since the first

    @property
    def ever_polled(self) -> bool:
        return bool(self.cursor or self.pages or self.last_success_at or self.last_error)


class FeedLedger(Protocol):
    """The order feed's one row (cursor, lease, last outcome) and its problems.

    One poller at a time holds the lease; a page is applied in the transaction that moves the
    cursor from the page's `since` to its `next`, so no page is applied twice."""

    def take_lease(self, owner: str, now: datetime, lease_until: datetime) -> bool:
        """Lease the feed to owner unless another owner's lease is still live at now."""
        ...

    def advance(self, since: str, next_cursor: str, owner: str, lease_until: datetime,
                records: int) -> bool:
        """Move the cursor from since to next_cursor (locking the row until commit) while owner
        holds the lease, renewing it; False, and nothing moved, otherwise."""
        ...

    def finish(self, owner: str, at: datetime, error: str = "") -> bool:
        """End owner's lease, recording the poll's outcome: success, or error."""
        ...

    def state(self) -> FeedState: ...
    def add_problem(self, problem: FeedProblem) -> None: ...

    def problems(self, limit: int = 20) -> list[FeedProblem]:
        """The newest problems first."""
        ...

    def problem_count(self) -> int: ...


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
