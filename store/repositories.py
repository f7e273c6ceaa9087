"""Repositories: the order, request and audit ports over one SQLAlchemy session (the jobs' in
store/jobs.py)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, insert, select, update
from sqlalchemy.orm import Session

from domain.model import Order, OrderState
from domain.ports import AuditEvent, ClosingQuery, Counts, ListQuery, Page
from domain.requests import ACTIVE_JOB_STATES, Decision, Request
from domain.status import StatusContext
from store import listing
from store.db import rows_matched
from store.mapping import (
    audit_values,
    order_values,
    request_values,
    to_audit,
    to_order,
    to_request,
)
from store.models import (
    AuditRow,
    Base,
    JobRow,
    OrderRow,
    RequestRow,
)
from store.request_deadlines import RequestDeadlines

# built once: a restore asks this for every order it brings back
_LIVE_DUPLICATES = select(OrderRow).where(
    OrderRow.sales_site == bindparam("site"), OrderRow.sales_order_no == bindparam("number"),
    OrderRow.seller_id == bindparam("seller"), OrderRow.state == OrderState.ACTIVE.value,
    OrderRow.packing_no != bindparam("packing_no"),
)
# one executemany for a batch; "row_id" names the row, the other keys the columns set
_ORDERS = Base.metadata.tables["orders"]
_UPDATE_ORDER = update(_ORDERS).where(_ORDERS.c.id == bindparam("row_id"))
LOOKUP_CHUNK = 500  # packing numbers per IN (...)


class SqlOrders:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _one(self, *where: ColumnElement[bool]) -> Order | None:
        row = self.session.scalars(select(OrderRow).where(*where)).first()
        return to_order(row) if row else None

    def get(self, packing_no: str) -> Order | None:
        return self._one(OrderRow.packing_no == packing_no)

    def get_by_id(self, order_id: int) -> Order | None:
        return self._one(OrderRow.id == order_id)

    def by_ids(self, order_ids: list[int]) -> list[Order]:
        if not order_ids:
            return []
        rows = self.session.scalars(select(OrderRow).where(OrderRow.id.in_(order_ids)))
        return [to_order(r) for r in rows]

    def created_by_job(self, job_id: int) -> Order | None:
        return self._one(OrderRow.created_by_job == job_id)

    def live_duplicates(self, order: Order) -> list[Order]:
        rows = self.session.scalars(_LIVE_DUPLICATES, {
            "site": order.sales_site, "number": order.sales_order_no,
            "seller": order.seller_id, "packing_no": order.packing_no})
        return [to_order(r) for r in rows]

    def get_many(self, packing_nos: list[str]) -> dict[str, Order]:
        found: dict[str, Order] = {}
        for start in range(0, len(packing_nos), LOOKUP_CHUNK):
            chunk = packing_nos[start:start + LOOKUP_CHUNK]
            rows = self.session.scalars(select(OrderRow).where(OrderRow.packing_no.in_(chunk)))
            found.update((row.packing_no, to_order(row)) for row in rows)
        return found

    def add_many(self, orders: list[Order]) -> None:
        if orders:
            self.session.execute(insert(OrderRow), [order_values(o) for o in orders])

    def add(self, order: Order) -> Order:
        row = OrderRow(**order_values(order))
        self.session.add(row)
        self.session.flush()
        return to_order(row)

    def update(self, order: Order) -> None:
        self.session.execute(
            update(OrderRow).where(OrderRow.id == order.id).values(**order_values(order))
            .execution_options(synchronize_session=False)
        )

    def update_many(self, orders: list[Order]) -> None:
        if orders:
            self.session.execute(_UPDATE_ORDER,
                                 [{"row_id": o.id, **order_values(o)} for o in orders])

    def page(self, query: ListQuery, ctx: StatusContext, total: int | None = None) -> Page:
        return listing.page(self.session, query, ctx, total)

    def counts(self, query: ListQuery, ctx: StatusContext) -> Counts:
        return listing.counts(self.session, query, ctx)

    def closing(self, query: ClosingQuery, ctx: StatusContext) -> Page:
        return listing.closing(self.session, query, ctx)


class SqlRequests(RequestDeadlines):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, request: Request) -> Request:
        row = RequestRow(**request_values(request))
        self.session.add(row)
        self.session.flush()
        return to_request(row)

    def get(self, request_id: int) -> Request | None:
        row = self.session.get(RequestRow, request_id, populate_existing=True)
        return to_request(row) if row else None

    def decide(self, request: Request) -> bool:
        result = self.session.execute(
            update(RequestRow)
            .where(RequestRow.id == request.id, RequestRow.decision == Decision.PENDING.value)
            .values(**request_values(request))
            .execution_options(synchronize_session=False)
        )
        return rows_matched(result) == 1

    def update(self, request: Request) -> None:
        self.session.execute(
            update(RequestRow).where(RequestRow.id == request.id).values(**request_values(request))
            .execution_options(synchronize_session=False)
        )

    def set_message(self, request_id: int, channel_id: str, message_ts: str) -> bool:
        result = self.session.execute(
            update(RequestRow).where(RequestRow.id == request_id)
            .values(channel_id=channel_id, message_ts=message_ts)
            .execution_options(synchronize_session=False)
        )
        return rows_matched(result) == 1

    def unposted(self, before: datetime, limit: int = 100) -> list[Request]:
        rows = self.session.scalars(
            select(RequestRow).where(
                RequestRow.decision == Decision.PENDING.value,
                RequestRow.message_ts.is_(None), RequestRow.requested_at < before,
            ).order_by(RequestRow.id).limit(limit)
        )
        return [to_request(row) for row in rows]

    def awaiting_decision(self, limit: int = 100) -> list[Request]:
        rows = self.session.scalars(
            select(RequestRow).where(RequestRow.decision == Decision.PENDING.value,
                                     RequestRow.message_ts.is_not(None))
            .order_by(RequestRow.requested_at, RequestRow.id).limit(limit)
        )
        return [to_request(row) for row in rows]

    def in_flight_for(self, user_id: str, limit: int = 100) -> list[Request]:
        active = select(JobRow.id).where(JobRow.request_id == RequestRow.id,
                                         JobRow.state.in_([s.value for s in ACTIVE_JOB_STATES]))
        rows = self.session.scalars(
            select(RequestRow).where(RequestRow.requested_by == user_id, active.exists())
            .order_by(RequestRow.requested_at.desc(), RequestRow.id.desc()).limit(limit)
        )
        return [to_request(row) for row in rows]


class SqlAudit:
    def __init__(self, session: Session) -> None:
        self.session = session

    def record(self, event: AuditEvent) -> None:
        self.session.execute(insert(AuditRow).values(**audit_values(event)))

    def record_many(self, events: list[AuditEvent]) -> None:
        if events:  # one executemany
            self.session.execute(insert(AuditRow), [audit_values(e) for e in events])

    def for_packing_nos(self, packing_nos: list[str]) -> list[AuditEvent]:
        rows = self.session.scalars(
            select(AuditRow).where(AuditRow.packing_no.in_(packing_nos)).order_by(AuditRow.id)
        )
        return [to_audit(r) for r in rows]
