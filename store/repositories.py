"""Repositories: the domain ports over one SQLAlchemy session."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, insert, select, update
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
    JobRow,
    OrderRow,
    RequestRow,
    SalesOrderRow,
)
from store.waiting_jobs import WaitingJobLeases

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

    def created_by_job(self, job_id: int) -> Order | None:
        return self._one(OrderRow.created_by_job == job_id)

    def live_duplicates(self, order: Order) -> list[Order]:
        rows = self.session.scalars(
            select(OrderRow).where(
                OrderRow.sales_site == order.sales_site,
                OrderRow.sales_order_no == order.sales_order_no,
                OrderRow.seller_id == order.seller_id,
                OrderRow.state == OrderState.ACTIVE.value,
                OrderRow.packing_no != order.packing_no,
            )
        )
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
        )

    def page(self, query: ListQuery, ctx: StatusContext, total: int | None = None) -> Page:
        return listing.page(self.session, query, ctx, total)

    def counts(self, query: ListQuery, ctx: StatusContext) -> Counts:
        return listing.counts(self.session, query, ctx)

    def closing(self, query: ClosingQuery, ctx: StatusContext) -> Page:
        return listing.closing(self.session, query, ctx)


class SqlRequests:
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
            ids = self.session.scalars(queued.with_for_update(skip_locked=True)).all()
            if ids:
                self._update([JobRow.id.in_(ids)], leased)
        else:  # one writer at a time; each row still only if nobody took it meanwhile
            ids = [i for i in self.session.scalars(queued).all() if self._update(
                [JobRow.id == i, JobRow.state == JobState.QUEUED.value], leased) == 1]
        return self._fresh(list(ids))

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
