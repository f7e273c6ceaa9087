"""Repositories: the domain ports over one SQLAlchemy session."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.errors import ActiveRequestExists
from domain.model import Order, OrderState, SalesOrder
from domain.ports import AuditEvent, ClosingQuery, Counts, ListQuery, Page
from domain.requests import ACTIVE_JOB_STATES, Decision, Job, JobState, Request, check_transition
from domain.status import StatusContext
from store import listing
from store.db import rows_matched
from store.mapping import (
    audit_values,
    job_values,
    order_values,
    request_values,
    to_audit,
    to_job,
    to_order,
    to_request,
    to_sales_order,
)
from store.models import (
    AuditRow,
    Base,
    JobRow,
    OrderRow,
    RequestRow,
    SalesOrderRow,
)
from store.request_deadlines import RequestDeadlines
from store.waiting_jobs import WaitingJobLeases

# built once: a restore asks this for every order it brings back
_LIVE_DUPLICATES = select(OrderRow).where(
    OrderRow.sales_site == bindparam("site"), OrderRow.sales_order_no == bindparam("number"),
    OrderRow.seller_id == bindparam("seller"), OrderRow.state == OrderState.ACTIVE.value,
    OrderRow.packing_no != bindparam("packing_no"),
)
# one executemany for a batch; "row_id" names the row, the other keys the columns set
_ORDERS, _JOBS = Base.metadata.tables["orders"], Base.metadata.tables["jobs"]
_UPDATE_ORDER = update(_ORDERS).where(_ORDERS.c.id == bindparam("row_id"))
_UPDATE_JOB = update(_JOBS).where(_JOBS.c.id == bindparam("row_id"))
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


class SqlJobs(WaitingJobLeases):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, job: Job) -> Job:
        row = JobRow(**job_values(job))
        try:
            # a savepoint, so that losing the race leaves the rest of the transaction usable
            with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError as exc:
            holder = self._active_request(job.order_id)
            if holder is None:
                raise
            raise ActiveRequestExists(job.packing_no, holder) from exc
        return to_job(row)

    def _active_request(self, order_id: int) -> int | None:
        """The request whose job holds the order, if one does."""
        states = [s.value for s in ACTIVE_JOB_STATES]
        return self.session.scalar(
            select(JobRow.request_id).where(JobRow.order_id == order_id,
                                            JobRow.state.in_(states)).limit(1)
        )

    def get(self, job_id: int) -> Job | None:
        row = self.session.get(JobRow, job_id, populate_existing=True)
        return to_job(row) if row else None

    def _many(self, *where: ColumnElement[bool], limit: int | None = None) -> list[Job]:
        stmt = select(JobRow).where(*where).order_by(JobRow.id).limit(limit)
        return [to_job(r) for r in self.session.scalars(stmt)]

    def for_request(self, request_id: int) -> list[Job]:
        return self._many(JobRow.request_id == request_id)

    def for_order(self, order_id: int) -> list[Job]:
        return self._many(JobRow.order_id == order_id)

    def in_states(self, states: tuple[JobState, ...], limit: int = 100) -> list[Job]:
        return self._many(JobRow.state.in_([s.value for s in states]), limit=limit)

    def update(self, job: Job) -> None:
        self.session.execute(
            update(JobRow).where(JobRow.id == job.id).values(**job_values(job))
            .execution_options(synchronize_session=False)
        )

    def update_many(self, jobs: list[Job]) -> None:
        if jobs:
            self.session.execute(_UPDATE_JOB, [{"row_id": j.id, **job_values(j)} for j in jobs])

    # Leases. lease_owner stays on a finished job, as the record of which worker ran it.

    def claim(self, owner: str, now: datetime, lease_until: datetime, limit: int) -> list[Job]:
        if lease_until <= now:
            raise ValueError("a lease must end after the claim")
        check_transition(JobState.QUEUED, JobState.RUNNING)
        leased = dict(state=JobState.RUNNING.value, lease_owner=owner,
                      lease_expires_at=lease_until, attempts=JobRow.attempts + 1)
        queued = (select(JobRow.id).where(JobRow.state == JobState.QUEUED.value)
                  .order_by(JobRow.id).limit(limit))
        if self._postgres:
            # locked until commit, so one update takes them all; rows another worker is
            # claiming this instant are skipped, never waited for
            queued = queued.with_for_update(skip_locked=True)
        # on SQLite the transaction holds the write lock from its start (store/db.py), so
        # nobody takes a row between the select and the update; the update still re-checks
        ids = self.session.scalars(queued).all()
        if not ids:
            return []
        rows = self.session.scalars(
            update(JobRow).where(JobRow.id.in_(ids), JobRow.state == JobState.QUEUED.value)
            .values(**leased).returning(JobRow)
            .execution_options(synchronize_session=False, populate_existing=True)
        ).all()
        return sorted((to_job(r) for r in rows), key=lambda j: j.stored_id)

    def renew(self, job_id: int, owner: str, lease_until: datetime) -> bool:
        return self._update(self._held(job_id, owner), {"lease_expires_at": lease_until}) == 1

    def release(self, job_id: int, owner: str) -> bool:
        check_transition(JobState.RUNNING, JobState.QUEUED)
        # the job never started, so its claim does not count as an attempt
        return self._update(self._held(job_id, owner), dict(
            state=JobState.QUEUED.value, lease_owner=None, lease_expires_at=None,
            attempts=JobRow.attempts - 1)) == 1

    def reclaim_expired(self, now: datetime) -> list[Job]:
        check_transition(JobState.RUNNING, JobState.QUEUED)
        expired = select(JobRow.id).where(
            JobRow.state == JobState.RUNNING.value, JobRow.lease_expires_at <= now)
        if self._postgres:  # a job being finished is locked: it belongs to its finisher
            expired = expired.with_for_update(skip_locked=True)
        ids = self.session.scalars(expired).all()
        if ids:
            ids = self.session.scalars(
                update(JobRow).where(JobRow.id.in_(ids), JobRow.lease_expires_at <= now)
                .values(state=JobState.QUEUED.value, lease_owner=None, lease_expires_at=None)
                .returning(JobRow.id).execution_options(synchronize_session=False)
            ).all()
        return self._fresh(list(ids))

    def lock_running(self, job_id: int, owner: str | None = None) -> Job | None:
        # an UPDATE that changes nothing, for its row lock (on SQLite the write lock): a second
        # finisher waits here, then PostgreSQL re-checks the WHERE on the finished row
        if self._update(self._held(job_id, owner), {"state": JobRow.state}) != 1:
            return None
        return self.get(job_id)

    def lock_held(self, job_ids: list[int], owner: str) -> list[Job]:
        if not job_ids:
            return []
        held = select(JobRow).where(
            JobRow.id.in_(job_ids), JobRow.state == JobState.RUNNING.value,
            JobRow.lease_owner == owner,
        ).order_by(JobRow.id).execution_options(populate_existing=True)
        if self._postgres:
            # rows are locked as the sort hands them out, so in id order; a row another
            # transaction changed meanwhile is waited for and its WHERE checked again
            held = held.with_for_update()
        # (SQLite: the transaction already holds the write lock)
        return [to_job(r) for r in self.session.scalars(held)]

    @property
    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    @staticmethod
    def _held(job_id: int, owner: str | None) -> list[ColumnElement[bool]]:
        where = [JobRow.id == job_id, JobRow.state == JobState.RUNNING.value]
        return where + ([JobRow.lease_owner == owner] if owner is not None else [])

    def _update(self, where: list[ColumnElement[bool]], values: dict[str, Any]) -> int:
        result = self.session.execute(
            update(JobRow).where(*where).values(**values)
            .execution_options(synchronize_session=False)
        )
        return rows_matched(result)

    def _fresh(self, ids: list[int]) -> list[Job]:
        if not ids:
            return []
        rows = self.session.scalars(
            select(JobRow).where(JobRow.id.in_(ids)).order_by(JobRow.id)
            .execution_options(populate_existing=True)
        )
        return [to_job(r) for r in rows]


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


class EmbeddedSalesSite:
    """The sales site kept in our own database, loaded by `cancelbot import sales-orders`."""

    def __init__(
        self, session_factory: Callable[[], Session], sites_not_ready: frozenset[str] = frozenset()
    ) -> None:
        self.session_factory = session_factory
        self._not_ready = frozenset(s.lower() for s in sites_not_ready)

    def fetch(self, sales_site: str, sales_order_no: str) -> SalesOrder | None:
        with self.session_factory() as session:
            row = session.scalars(
                select(SalesOrderRow).where(
                    SalesOrderRow.sales_site == sales_site,
                    SalesOrderRow.sales_order_no == sales_order_no,
                )
            ).first()
            return to_sales_order(row) if row else None

    def sites_not_ready(self) -> frozenset[str]:
        return self._not_ready
