"""An in-memory unit of work and sales site for the domain's use cases, plus order builders.

Changes live in a working copy until commit(); rollback() (and leaving a `with` block) goes back
to the last committed state, as a database transaction would.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from domain.errors import SalesSiteUnavailable
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
    Listed,
    ListQuery,
    Page,
)
from domain.requests import Decision, JobState, Request
from domain.status import StatusContext, status_of
from domain.window import business_tz
from domain.workflow import ApprovalPolicy, Submitted, approve, reject, submit_request
from tests.orders import active_order, cancelled_order
from tests.unit.fake_feed import FakeFeedLedger
from tests.unit.fake_jobs import FakeJobs
from tests.unit.fake_queues import FakeDigests, FakeOutbox
from tests.unit.fake_state import FakeRepo, FakeState

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


class FakeOrders(FakeRepo):
    def get(self, packing_no: str) -> Order | None:
        return next((o for o in self._s.orders.values() if o.packing_no == packing_no), None)

    def get_by_id(self, order_id: int) -> Order | None:
        return self._s.orders.get(order_id)

    def update_many(self, orders: list[Order]) -> None:
        for order in orders:
            self.update(order)

    def by_ids(self, order_ids: list[int]) -> list[Order]:
        return [self._s.orders[i] for i in order_ids if i in self._s.orders]

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


class FakeRequests(FakeRepo):
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

    def awaiting_decision(self, limit: int = 100) -> list[Request]:
        found = [r for r in self._s.requests.values()
                 if r.decision is Decision.PENDING and r.message_ts is not None]
        return sorted(found, key=lambda r: (r.requested_at, r.id or 0))[:limit]

    def awaiting_closing(self, cancelled_until: datetime, *, unreminded_only: bool = False,
                         limit: int = 100) -> list[Request]:
        found = []
        for _, request in sorted(self._s.requests.items()):
            if request.decision is not Decision.PENDING or (
                    unreminded_only and request.reminded_at is not None):
                continue
            if any(job.request_id == request.id and job.state is JobState.AWAITING_APPROVAL
                   and self._s.orders[job.order_id].when_cancelled <= cancelled_until
                   for job in self._s.jobs.values()):
                found.append(request)
        return found[:limit]

    def mark_reminded(self, request_id: int, at: datetime) -> bool:
        request = self._s.requests[request_id]
        if request.reminded_at is not None or request.decision is not Decision.PENDING:
            return False
        self._s.requests[request_id] = replace(request, reminded_at=at)
        return True

    def in_flight_for(self, user_id: str, limit: int = 100) -> list[Request]:
        busy = {j.request_id for j in self._s.jobs.values() if j.state.active}
        found = [r for r in self._s.requests.values()
                 if r.requested_by == user_id and r.id in busy]
        return sorted(found, key=lambda r: (r.requested_at, r.id or 0), reverse=True)[:limit]


class FakeAudit(FakeRepo):
    def record(self, event: AuditEvent) -> None:
        self._s.audit.append(event)

    def record_many(self, events: list[AuditEvent]) -> None:
        self._s.audit.extend(events)

    def for_packing_nos(self, packing_nos: list[str]) -> list[AuditEvent]:
        return [e for e in self._s.audit if e.packing_no in packing_nos]


class FakePackingNumbers(FakeRepo):
    """QSP + yymmdd + the day's serial, skipping numbers in use; `allocated` lists every one
    handed out (a rollback does not take them back)."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow)
        self._orders = uow.orders
        self.allocated: list[str] = []

    def allocate(self, now: datetime) -> str:
        day = f"QSP{now:%y%m%d}"
        while True:
            number = f"{day}{sum(n.startswith(day) for n in self.allocated) + 1:04d}"
            self.allocated.append(number)
            if self._orders.get(number) is None:
                return number


class FakeUnitOfWork:
    def __init__(self, *orders: Order) -> None:
        self.state = FakeState()
        self._committed = FakeState()
        self.commits = 0
        self.orders = FakeOrders(self)
        self.requests = FakeRequests(self)
        self.jobs = FakeJobs(self)
        self.audit = FakeAudit(self)
        self.outbox = FakeOutbox(self)
        self.digests = FakeDigests(self)
        self.feed = FakeFeedLedger(self)
        self.packing_numbers = FakePackingNumbers(self)
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
    def committed(self) -> FakeState:
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
