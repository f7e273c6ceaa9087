"""Orders, contexts and database helpers shared by the integration tests.

Every test uses the fixed NOW below, never the real clock.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.model import Order, Origin, SalesOrderStatus, Stage
from domain.status import StatusContext
from domain.window import business_tz
from store.db import make_engine
from store.mapping import order_values
from store.models import JobRow, SalesOrderRow
from store.uow import SqlUnitOfWork, session_factory, uow_factory
from tests.orders import active_order, cancelled_order

SEOUL = business_tz("Asia/Seoul")
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=SEOUL)
CANCELLED_AT = NOW - timedelta(days=3)  # window open, closes 2026-12-06 10:00 KST


def ctx(now: datetime = NOW, not_ready: tuple[str, ...] = ()) -> StatusContext:
    return StatusContext(now=now, zone=SEOUL, sites_not_ready=frozenset(not_ready))


def cancelled(packing_no: str, origin: Origin = Origin.API, **changes: Any) -> Order:
    """A cancelled delivery, cancelled by the seller unless cancelled_by says otherwise."""
    changes.setdefault("cancelled_at", CANCELLED_AT)
    return cancelled_order(packing_no, origin=origin, **changes)


def active(packing_no: str, stage: Stage = Stage.WAYBILL, **changes: object) -> Order:
    """An order still in Order Management."""
    return active_order(packing_no, stage, **changes)


def add_orders(uow: Callable[[], SqlUnitOfWork], *orders: Order) -> list[Order]:
    """Insert orders in one committed unit of work; returns them with their ids."""
    with uow() as u:
        stored = [u.orders.add(o) for o in orders]
        u.commit()
    return stored


def order_values_before_0004(order: Order) -> dict[str, Any]:
    """An order's column values as the code of revisions before 0004 wrote them (no
    updated_at), for tests that fill a database at an older revision."""
    values = order_values(order)
    del values["updated_at"]
    return values


def sales_order_row(order: Order, status: SalesOrderStatus = SalesOrderStatus.VALID,
                    **changes: object) -> SalesOrderRow:
    """The embedded sales site's row for an order."""
    fields: dict[str, object] = dict(
        sales_site=order.sales_site, sales_order_no=order.sales_order_no, status=status.value,
        payment_at=order.payment_at, recipient=order.recipient, items=order.items,
        updated_at=order.cancelled_at,
    )
    fields.update(changes)
    return SalesOrderRow(**fields)


def add_sales_orders(sessions: Callable[[], Session], *rows: SalesOrderRow) -> None:
    with sessions() as session:
        session.add_all(rows)
        session.commit()


def active_job_count(session: Session, order_id: int) -> int:
    states = ("awaiting_approval", "queued", "running")
    return session.scalar(
        select(func.count()).select_from(JobRow)
        .where(JobRow.order_id == order_id, JobRow.state.in_(states))
    ) or 0


class Database:
    """An engine of its own on a database URL, for tests that use several connections."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.sessions = session_factory(self.engine)
        self.uow = uow_factory(self.sessions)

    def dispose(self) -> None:
        self.engine.dispose()
