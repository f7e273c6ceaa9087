"""Queued jobs, a movable clock, a sales site that waits at a gate, and row counts, shared by
the job-claim, worker and worker-process tests."""
from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from domain.model import Action, Origin, SalesOrder
from domain.requests import Job
from domain.services import SalesSite
from domain.workflow import ApprovalPolicy, approve, submit_request
from store.models import Base, JobRow, OrderRow, OutboxRow
from store.uow import SqlUnitOfWork
from tests.integration.builders import (
    CANCELLED_AT,
    NOW,
    add_orders,
    add_sales_orders,
    cancelled,
    ctx,
    sales_order_row,
)

POLICY = ApprovalPolicy(is_approver=lambda user: user.startswith("UAPPROVER"))
GATE_TIMEOUT = 20  # seconds; only reached when a test is broken


def queued_jobs(
    uow: Callable[[], SqlUnitOfWork], sessions: Callable[[], Session], *, resyncs: int = 0,
    missing: int = 0, restores: int = 0, now: datetime = NOW,
    cancelled_at: datetime = CANCELLED_AT,
) -> list[Job]:
    """Approved, queued jobs: resyncs that succeed, resyncs that fail (not found), restores."""
    kinds = [("RSA", Origin.API, resyncs), ("RSM", Origin.API, missing),
             ("RST", Origin.EXCEL, restores)]
    orders = {prefix: add_orders(uow, *[
        cancelled(f"{prefix}{i:06d}", origin=origin, cancelled_at=cancelled_at,
                  payment_at=cancelled_at - timedelta(hours=1)) for i in range(n)
    ]) if n else [] for prefix, origin, n in kinds}
    if orders["RSA"]:
        add_sales_orders(sessions, *[sales_order_row(o) for o in orders["RSA"]])
    jobs: list[Job] = []
    for action, group in ((Action.RESYNC, orders["RSA"] + orders["RSM"]),
                          (Action.RESTORE, orders["RST"])):
        if group:
            jobs += _approve(uow, [o.packing_no for o in group], action, now)
    return sorted(jobs, key=lambda j: j.stored_id)


def _approve(uow: Callable[[], SqlUnitOfWork], packing_nos: list[str], action: Action,
             now: datetime) -> list[Job]:
    with uow() as u:
        submitted = submit_request(u, packing_nos, action, "UREQUESTER", "", ctx(now))
    with uow() as u:
        return approve(u, submitted.request.stored_id, "UAPPROVER1", now, POLICY).jobs


class Clock:
    """A clock that moves only when the test says so."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> datetime:
        self.now += by
        return self.now


class GatedSalesSite:
    """A sales site whose reads wait until the test opens the gate (entered says one waits;
    started counts the reads begun)."""

    def __init__(self, inner: SalesSite) -> None:
        self.inner = inner
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.started = 0
        self._lock = threading.Lock()

    def fetch(self, sales_site: str, sales_order_no: str) -> SalesOrder | None:
        with self._lock:
            self.started += 1
        self.entered.set()
        if not self.gate.wait(GATE_TIMEOUT):
            raise AssertionError("the test never opened the gate")
        return self.inner.fetch(sales_site, sales_order_no)

    def sites_not_ready(self) -> frozenset[str]:
        return self.inner.sites_not_ready()


def job_rows(sessions: Callable[[], Session]) -> list[JobRow]:
    with sessions() as session:
        return list(session.scalars(select(JobRow).order_by(JobRow.id)))


def outbox_job_ids(sessions: Callable[[], Session]) -> list[int]:
    """The job id of every outbox row, in row order."""
    with sessions() as session:
        payloads = session.scalars(select(OutboxRow.payload).order_by(OutboxRow.id))
        return [p["job_id"] for p in payloads]


def created_orders(sessions: Callable[[], Session]) -> list[tuple[int | None, str]]:
    """(job id, packing number) of every order a resync made."""
    with sessions() as session:
        return [(job_id, packing_no) for job_id, packing_no in session.execute(
            select(OrderRow.created_by_job, OrderRow.packing_no)
            .where(OrderRow.created_by_job.is_not(None)).order_by(OrderRow.id))]


def count(
    sessions: Callable[[], Session], row_type: type[Base], *where: ColumnElement[bool]
) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(row_type).where(*where)) or 0
