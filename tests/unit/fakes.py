"""An in-memory unit of work and sales site for the domain's use cases, plus order builders.

Changes live in a working copy until commit(); rollback() (and leaving a `with` block) goes back
to the last committed state, as a database transaction would.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

from domain.errors import ActiveRequestExists, SalesSiteUnavailable
from domain.execution import run_job
from domain.model import (
    Action,
    CancelledBy,
    Category,
    Order,
    OrderState,
    Origin,
    Recovery,
    SalesOrder,
    SalesOrderStatus,
    Stage,
)
from domain.ports import (
    AuditEvent,
    ClosingQuery,
    Counts,
    FeedProblem,
    FeedState,
    Listed,
    ListQuery,
    OutboxMessage,
    Page,
)
from domain.requests import Decision, Job, JobState, Request
from domain.status import StatusContext, status_of
from domain.window import business_tz
from domain.workflow import ApprovalPolicy, Submitted, approve, reject, submit_request
from tests.orders import active_order, cancelled_order

SEOUL = business_tz("Asia/Seoul")
KST = timezone(timedelta(hours=9))
CANCELLED_AT = datetime(2026, 11, 6, 14, 3, tzinfo=KST)  # requests close 2026-11-20 14:03 KST


def ctx(now: datetime, not_ready: tuple[str, ...] = ()) -> StatusContext:
    return StatusContext(now=now, zone=SEOUL, sites_not_ready=frozenset(not_ready))


def cancelled(packing_no: str, origin: Origin = Origin.API, **changes: object) -> Order:
    """A cancelled delivery; cancelled by the seller unless cancelled_by says otherwise."""
    changes.setdefault("cancelled_at", CANCELLED_AT)
    return cancelled_order(packing_no, origin=origin, **changes)  # type: ignore[arg-type]


def active(packing_no: str, stage: Stage = Stage.WAYBILL, **changes: object) -> Order:
    """An order still in Order Management."""
    return active_order(packing_no, stage, **changes)


@dataclass
class _State:
    orders: dict[int, Order] = field(default_factory=dict)
    requests: dict[int, Request] = field(default_factory=dict)
    jobs: dict[int, Job] = field(default_factory=dict)
    audit: list[AuditEvent] = field(default_factory=list)
    outbox: list[OutboxMessage] = field(default_factory=list)
    next_id: int = 1
    leases: dict[int, tuple[str, datetime]] = field(default_factory=dict)  # job id: owner, until
    feed: FeedState = field(default_factory=FeedState)
    feed_problems: list[FeedProblem] = field(default_factory=list)

    def copy(self) -> _State:
        return _State(dict(self.orders), dict(self.requests), dict(self.jobs),
                      list(self.audit), list(self.outbox), self.next_id, dict(self.leases),
                      self.feed, list(self.feed_problems))

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


class _Repo:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    @property
    def _s(self) -> _State:
        return self._uow.state


class FakeOrders(_Repo):
    def get(self, packing_no: str) -> Order | None:
        return next((o for o in self._s.orders.values() if o.packing_no == packing_no), None)

    def get_by_id(self, order_id: int) -> Order | None:
        return self._s.orders.get(order_id)

    def created_by_job(self, job_id: int) -> Order | None:
        return next((o for o in self._s.orders.values() if o.created_by_job == job_id), None)

    def live_duplicates(self, order: Order) -> list[Order]:
        return [o for o in self._s.orders.values()
                if o.state is OrderState.ACTIVE and o.packing_no != order.packing_no
                and (o.seller_id, o.sales_site, o.sales_order_no)
                == (order.seller_id, order.sales_site, order.sales_order_no)]

    def get_many(self, packing_nos: list[str]) -> dict[str, Order]:
        wanted = set(packing_nos)
        return {o.packing_no: o for o in self._s.orders.values() if o.packing_no in wanted}

    def add_many(self, orders: list[Order]) -> None:
        for order in orders:
            self.add(order)

    def add(self, order: Order) -> Order:
        if self.get(order.packing_no) is not None:
            raise ValueError(f"packing number {order.packing_no} exists")  # a unique index
        stored = replace(order, id=self._s.new_id())
        self._s.orders[stored.id] = stored  # type: ignore[index]
        return stored

    def update(self, order: Order) -> None:
        if order.id not in self._s.orders:
            raise KeyError(order.id)
        self._s.orders[order.id] = order

    def _matching(self, query: ListQuery, ctx: StatusContext, by_category: bool = True,
                  by_status: bool = True) -> list[Listed]:
        found = []
        for o in self._s.orders.values():
            if not o.is_cancelled_delivery:
                continue
            listed = Listed(o, status_of(o, ctx))
            at: datetime = o.cancelled_at  # type: ignore[assignment]
            if ((query.seller and o.seller_id != query.seller)
                    or (query.site and o.sales_site != query.site.lower())
                    or (query.date_from and at < query.date_from)
                    or (query.date_to and at >= query.date_to)
                    or (by_category and query.category and o.category is not query.category)
                    or (by_status and query.status and listed.status is not query.status)):
                continue
            found.append(listed)
        return sorted(found, key=lambda x: (x.order.cancelled_at, x.order.id), reverse=True)

    def page(self, query: ListQuery, ctx: StatusContext, total: int | None = None) -> Page:
        found = self._matching(query, ctx)
        start = query.page * query.page_size
        return Page(found[start:start + query.page_size], len(found), query.page, query.page_size)

    def counts(self, query: ListQuery, ctx: StatusContext) -> Counts:
        by_category: dict = {c: 0 for c in Category}
        for x in self._matching(query, ctx, by_category=False, by_status=False):
            by_category[x.order.category] = by_category.get(x.order.category, 0) + 1
        by_status: dict = {}
        for x in self._matching(query, ctx, by_status=False):
            by_status[x.status] = by_status.get(x.status, 0) + 1
        return Counts(by_category, by_status)

    def closing(self, query: ClosingQuery, ctx: StatusContext) -> Page:
        after, until = query.cancelled_after, query.cancelled_until
        found = [x for x in self._matching(ListQuery(), ctx)
                 if after < x.order.cancelled_at <= until  # type: ignore[operator]
                 and x.status in query.statuses
                 and (query.include_awaiting or x.order.recovery is not Recovery.AWAITING)]
        found.sort(key=lambda x: (x.order.cancelled_at, x.order.id))
        return Page(found[:query.limit], len(found), 0, query.limit)


class FakeRequests(_Repo):
    def add(self, request: Request) -> Request:
        stored = replace(request, id=self._s.new_id())
        self._s.requests[stored.id] = stored  # type: ignore[index]
        return stored

    def get(self, request_id: int) -> Request | None:
        return self._s.requests.get(request_id)

    def decide(self, request: Request) -> bool:
        if self._s.requests[request.id].decision is not Decision.PENDING:  # type: ignore[index]
            return False
        self._s.requests[request.id] = request  # type: ignore[index]
        return True

    def update(self, request: Request) -> None:
        self._s.requests[request.id] = request  # type: ignore[index]

    def set_message(self, request_id: int, channel_id: str, message_ts: str) -> bool:
        stored = self._s.requests.get(request_id)
        if stored is None:
            return False
        self._s.requests[request_id] = replace(stored, channel_id=channel_id,
                                               message_ts=message_ts)
        return True

    def unposted(self, before: datetime, limit: int = 100) -> list[Request]:
        found = [r for _, r in sorted(self._s.requests.items())
                 if r.decision is Decision.PENDING and r.message_ts is None
                 and r.requested_at < before]
        return found[:limit]


class FakeJobs(_Repo):
    def add(self, job: Job) -> Job:
        for other in self.for_order(job.order_id):
            if other.state.active:  # the partial unique index of the real store
                raise ActiveRequestExists(job.packing_no, other.request_id)
        stored = replace(job, id=self._s.new_id())
        self._s.jobs[stored.id] = stored  # type: ignore[index]
        return stored

    def get(self, job_id: int) -> Job | None:
        return self._s.jobs.get(job_id)

    def for_request(self, request_id: int) -> list[Job]:
        return [j for j in self._s.jobs.values() if j.request_id == request_id]

    def for_order(self, order_id: int) -> list[Job]:
        return [j for j in self._s.jobs.values() if j.order_id == order_id]

    def in_states(self, states: tuple[JobState, ...], limit: int = 100) -> list[Job]:
        return [j for j in self._s.jobs.values() if j.state in states][:limit]

    def update(self, job: Job) -> None:
        if job.id not in self._s.jobs:
            raise KeyError(job.id)
        self._s.jobs[job.id] = job

    def claim(self, owner: str, now: datetime, lease_until: datetime, limit: int) -> list[Job]:
        if lease_until <= now:
            raise ValueError("a lease must end after the claim")
        claimed = []
        for job in self.in_states((JobState.QUEUED,), limit):
            running = job.moved(JobState.RUNNING, attempts=job.attempts + 1)
            self.update(running)
            self._s.leases[job.id] = (owner, lease_until)  # type: ignore[index]
            claimed.append(running)
        return claimed

    def _holds(self, job_id: int, owner: str | None) -> Job | None:
        job = self.get(job_id)
        if job is None or job.state is not JobState.RUNNING:
            return None
        held_by = self._s.leases.get(job_id, (None, None))[0]
        return job if owner is None or held_by == owner else None

    def renew(self, job_id: int, owner: str, lease_until: datetime) -> bool:
        if self._holds(job_id, owner) is None:
            return False
        self._s.leases[job_id] = (owner, lease_until)
        return True

    def release(self, job_id: int, owner: str) -> bool:
        job = self._holds(job_id, owner)
        if job is None:
            return False
        self.update(job.moved(JobState.QUEUED, attempts=job.attempts - 1))
        del self._s.leases[job_id]
        return True

    def reclaim_expired(self, now: datetime) -> list[Job]:
        expired = [i for i, (_, until) in self._s.leases.items()
                   if until <= now and self._holds(i, None)]
        for job_id in expired:
            self.update(self._s.jobs[job_id].moved(JobState.QUEUED))
            del self._s.leases[job_id]
        return [self._s.jobs[i] for i in sorted(expired)]

    def lock_running(self, job_id: int, owner: str | None = None) -> Job | None:
        return self._holds(job_id, owner)


class FakeAudit(_Repo):
    def record(self, event: AuditEvent) -> None:
        self._s.audit.append(event)

    def for_packing_nos(self, packing_nos: list[str]) -> list[AuditEvent]:
        return [e for e in self._s.audit if e.packing_no in packing_nos]


class FakeOutbox(_Repo):
    def add(self, message: OutboxMessage) -> OutboxMessage:
        stored = replace(message, id=self._s.new_id())
        self._s.outbox.append(stored)
        return stored


class FakePackingNumbers(_Repo):
    """QSP + yymmdd + the day's serial, skipping numbers in use; `allocated` lists every one
    handed out (a rollback does not take them back)."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow)
        self.allocated: list[str] = []

    def allocate(self, now: datetime) -> str:
        day = f"QSP{now:%y%m%d}"
        while True:
            number = f"{day}{sum(n.startswith(day) for n in self.allocated) + 1:04d}"
            self.allocated.append(number)
            if self._uow.orders.get(number) is None:
                return number


class FakeFeedLedger(_Repo):
    """The order feed's row and problems, as store/feed_ledger.py keeps them."""

    def take_lease(self, owner: str, now: datetime, lease_until: datetime) -> bool:
        if lease_until <= now:
            raise ValueError("a lease must end after it is taken")
        feed = self._s.feed
        if feed.lease_expires_at is not None and feed.lease_expires_at > now \
                and feed.lease_owner != owner:
            return False
        self._s.feed = replace(feed, lease_owner=owner, lease_expires_at=lease_until)
        return True

    def advance(self, since: str, next_cursor: str, owner: str, lease_until: datetime,
                records: int) -> bool:
        feed = self._s.feed
        if feed.lease_owner != owner or feed.lease_expires_at is None or feed.cursor != since:
            return False
        self._s.feed = replace(feed, cursor=next_cursor, lease_expires_at=lease_until,
                               pages=feed.pages + 1, records=feed.records + records)
        return True

    def finish(self, owner: str, at: datetime, error: str = "") -> bool:
        feed = self._s.feed
        if feed.lease_owner != owner or feed.lease_expires_at is None:
            return False
        outcome = ({"last_error": error, "last_error_at": at} if error
                   else {"last_error": "", "last_success_at": at})
        self._s.feed = replace(feed, lease_expires_at=None, **outcome)  # type: ignore[arg-type]
        return True

    def state(self) -> FeedState:
        return self._s.feed

    def add_problem(self, problem: FeedProblem) -> None:
        self._s.feed_problems.append(replace(problem, id=self._s.new_id()))

    def problems(self, limit: int = 20) -> list[FeedProblem]:
        return list(reversed(self._s.feed_problems))[:limit]

    def problem_count(self) -> int:
        return len(self._s.feed_problems)


class FakeUnitOfWork:
    def __init__(self, *orders: Order) -> None:
        self.state = _State()
        self._committed = _State()
        self.commits = 0
        self.orders = FakeOrders(self)
        self.requests = FakeRequests(self)
        self.jobs = FakeJobs(self)
        self.audit = FakeAudit(self)
        self.outbox = FakeOutbox(self)
        self.packing_numbers = FakePackingNumbers(self)
        self.feed = FakeFeedLedger(self)
        for order in orders:
            self.orders.add(order)
        self.commit()
        self.commits = 0

    def __enter__(self) -> FakeUnitOfWork:
        return self

    def __exit__(self, *exc: object) -> None:
        self.rollback()  # whatever was not committed is lost

    def commit(self) -> None:
        self._committed = self.state.copy()
        self.commits += 1

    def rollback(self) -> None:
        self.state = self._committed.copy()

    @property
    def committed(self) -> _State:
        return self._committed


class FakeSalesSite:
    def __init__(self, *orders: SalesOrder, not_ready: tuple[str, ...] = (),
                 unavailable: bool = False) -> None:
        self.orders = {(o.sales_site, o.sales_order_no): o for o in orders}
        self.not_ready = set(not_ready)
        self.unavailable = unavailable  # every fetch raises SalesSiteUnavailable
        self.fetched: list[tuple[str, str]] = []

    def fetch(self, sales_site: str, sales_order_no: str) -> SalesOrder | None:
        self.fetched.append((sales_site, sales_order_no))
        if self.unavailable:
            raise SalesSiteUnavailable("503 Service Unavailable")
        return self.orders.get((sales_site, sales_order_no))

    def sites_not_ready(self) -> frozenset[str]:
        return frozenset(self.not_ready)


# A small scenario shared by the use-case tests: four orders, one sales order, two approvers.
API_NO, EXCEL_NO = "QSP2611060001", "ACC000001"
ACTIVE_NO, SITE_NO = "QSP2611060002", "QSP2611060003"
T_SUBMIT = CANCELLED_AT + timedelta(days=1)
T_DECIDE = T_SUBMIT + timedelta(hours=1)
T_RUN = T_DECIDE + timedelta(minutes=1)
POLICY = ApprovalPolicy(is_approver=lambda user: user in {"U_APPROVER", "U_LEAD"})


def seeded_uow(*extra: Order) -> FakeUnitOfWork:
    return FakeUnitOfWork(
        cancelled(API_NO),
        cancelled(EXCEL_NO, origin=Origin.EXCEL, sales_site="interpark"),
        active(ACTIVE_NO, Stage.WAYBILL),
        cancelled(SITE_NO, cancelled_by=CancelledBy.SALES_SITE),
        *extra,
    )


def site(status: SalesOrderStatus | None = SalesOrderStatus.VALID, **kwargs) -> FakeSalesSite:
    """The sales site holding API_NO's sales order in status (no row at all for None)."""
    rows = [SalesOrder("tmon", f"SO-{API_NO}", status)] if status else []
    return FakeSalesSite(*rows, **kwargs)


def submit(uow, packing_no: str, action=Action.RESYNC, by="U_REQ", at=T_SUBMIT) -> Submitted:
    with uow:
        return submit_request(uow, [packing_no], action, by, " seller asked ", ctx(at))


def approve_as(uow, request_id: int, by="U_APPROVER", policy=POLICY) -> Submitted:
    with uow:
        return approve(uow, request_id, by, T_DECIDE, policy)


def reject_as(uow, request_id: int, by="U_APPROVER", policy=POLICY) -> Submitted:
    with uow:
        return reject(uow, request_id, by, " wrong order ", T_DECIDE, policy)


def run(uow, job_id: int, sales_site: FakeSalesSite, at=T_RUN):
    return run_job(lambda: uow, sales_site, job_id, ctx(at, tuple(sales_site.not_ready)))


def approved_job(uow, packing_no: str = API_NO, action=Action.RESYNC) -> int:
    submitted = submit(uow, packing_no, action)
    approve_as(uow, submitted.request.stored_id)
    return submitted.jobs[0].id  # type: ignore[return-value]
