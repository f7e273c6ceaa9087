"""A realistic demo set written relative to a given now, its requests made through the use cases.

Every status of both families appears, with sales orders on claim, in delivery, missing,
cancelled and changed after the cancellation, live duplicates, orders near the end of their
window and past it. Showcase orders have fixed packing numbers (store.demo_orders.SHOWCASE).
"""
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import Engine, func, select, update

from domain import execution, workflow
from domain.errors import SalesSiteUnavailable
from domain.model import Order, Origin, SalesOrder, SalesOrderStatus, Stage
from domain.services import SalesSite
from domain.status import StatusContext
from store.demo_orders import (
    ACTIVE_SHOWCASE,
    PLAIN_ACTIVE,
    SHOWCASE,
    Spec,
    Writer,
    background_specs,
)
from store.embedded_sales_site import EmbeddedSalesSite
from store.mapping import sales_order_values
from store.migrate import upgrade
from store.models import OrderRow, OutboxRow, SalesOrderRow
from store.uow import SqlUnitOfWork, session_factory, uow_factory

NOTES = ("Seller asked us to ship after all", "Buyer confirmed the address by phone",
         "Cancelled by mistake at the seller's warehouse", "")
REQUESTER, APPROVER = "U0DEMOAGENT", "U0DEMOLEAD"
POLICY = workflow.ApprovalPolicy(is_approver=lambda user: user == APPROVER)


class DemoRefused(Exception):
    """The database already holds orders and --force was not given."""


@dataclass
class DemoSummary:
    """What one run wrote, and the showcase orders with what each shows."""

    orders: int = 0
    cancelled: int = 0
    sales_orders: int = 0
    requests: int = 0
    showcase: list[tuple[str, str]] = field(default_factory=list)


class _SiteDown:
    """A sales site that does not answer, for the demo's server-error failure."""

    def fetch(self, sales_site: str, sales_order_no: str) -> SalesOrder | None:
        raise SalesSiteUnavailable(f"{sales_site} did not answer within 10 seconds")

    def sites_not_ready(self) -> frozenset[str]:
        return frozenset()


def write_demo_data(
    engine: Engine, now: datetime, zone: tzinfo, force: bool = False
) -> DemoSummary:
    """Migrate, then write the demo set; DemoRefused if orders exist and force is False."""
    upgrade(engine)
    sessions = session_factory(engine)
    uows = uow_factory(sessions)
    with uows() as uow:
        taken, before = _taken(uow, force), _tally(uow)
    rng = random.Random(20261124)
    writer = Writer(now, zone, taken, rng)
    specs = list(SHOWCASE) + background_specs(rng)
    with uows() as uow:
        orders, showcase_active = _write_orders(uow, writer, specs)
        uow.commit()
    site = EmbeddedSalesSite(sessions)
    request_ids = [
        _tell(uows, site, spec, order, now, zone, rng)
        for spec, order in zip(specs, orders, strict=True) if spec.story != "none"
    ]
    showcase = [(o.packing_no, s.note) for s, o in zip(specs, orders, strict=True) if s.note]
    showcase.append((showcase_active.packing_no, ACTIVE_SHOWCASE[1]))
    with uows() as uow:
        _mark_delivered(uow, request_ids)
        orders_n, cancelled_n, sales_n = (a - b for a, b in zip(_tally(uow), before, strict=True))
        return DemoSummary(orders_n, cancelled_n, sales_n, len(request_ids),
                           _showcase_notes(uow, showcase))


def _taken(uow: SqlUnitOfWork, force: bool) -> set[str]:
    count = _tally(uow)[0]
    if count and not force:
        raise DemoRefused(
            f"The database already has {count} orders; demo-data only fills an empty one. "
            "Use --force to add the demo set anyway."
        )
    taken = set(uow.session.scalars(select(OrderRow.packing_no)))
    for table in (OrderRow, SalesOrderRow):
        rows = uow.session.execute(select(table.sales_site, table.sales_order_no))
        taken |= {f"{site}/{number}" for site, number in rows}
    return taken


def _write_orders(
    uow: SqlUnitOfWork, writer: Writer, specs: list[Spec]
) -> tuple[list[Order], Order]:
    written = []
    for spec in specs:
        order, sales = writer.cancelled(spec)
        written.append(uow.orders.add(order))
        if sales:
            uow.session.add(SalesOrderRow(**sales_order_values(sales)))
        if spec.variant == "dup":
            uow.orders.add(writer.active(like=order))
    showcase = replace(writer.active(preferred=ACTIVE_SHOWCASE[0]), stage=Stage.WAYBILL)
    actives = [uow.orders.add(showcase)]
    actives += [uow.orders.add(writer.active()) for _ in range(PLAIN_ACTIVE)]
    for active in actives:
        if active.origin is Origin.API:
            uow.session.add(SalesOrderRow(**sales_order_values(SalesOrder(
                active.sales_site, active.sales_order_no, SalesOrderStatus.VALID,
                active.payment_at, active.recipient, active.items, active.payment_at))))
    return written, actives[0]


def _tell(
    uows: Callable[[], SqlUnitOfWork], site: SalesSite, spec: Spec, order: Order,
    now: datetime, zone: tzinfo, rng: random.Random,
) -> int:
    """Play a spec's story through the use cases at plausible past times; the request id."""
    recent = spec.story in ("await", "queue")
    start = now - timedelta(minutes=rng.randint(20, 90)) if recent else \
        order.when_cancelled + timedelta(hours=rng.uniform(1, 20))
    action = order.tab.action
    if action is None:  # the demo's stories are told of resync and restore tabs only
        raise ValueError(f"{order.packing_no}: nothing can be requested in {order.tab.label}")
    with uows() as uow:
        submitted = workflow.submit_request(
            uow, [order.packing_no], action, REQUESTER, rng.choice(NOTES),
            StatusContext(start, zone))
    request_id = submitted.request.stored_id
    decided = start + timedelta(minutes=rng.randint(5, 15))
    with uows() as uow:
        if spec.story == "reject":
            workflow.reject(uow, request_id, APPROVER, "Seller asked to wait", decided, POLICY)
        elif spec.story != "await":
            workflow.approve(uow, request_id, APPROVER, decided, POLICY)
    if spec.story == "run":
        sales_site = _SiteDown() if spec.variant == "down" else site
        ran = StatusContext(decided + timedelta(minutes=1), zone)
        for job in submitted.jobs:
            execution.run_job(uows, sales_site, job.stored_id, ran)
    return request_id


def _tally(uow: SqlUnitOfWork) -> tuple[int, int, int]:
    """How many orders, cancelled deliveries and sales orders the database holds."""
    def count(table: type, *where: Any) -> int:
        return uow.session.scalar(select(func.count()).select_from(table).where(*where)) or 0
    return (count(OrderRow), count(OrderRow, OrderRow.category.is_not(None)),
            count(SalesOrderRow))


def _mark_delivered(uow: SqlUnitOfWork, request_ids: list[int]) -> None:
    """These results belong to the past: nobody is waiting for them in a Slack thread."""
    if request_ids:
        uow.session.execute(
            update(OutboxRow).where(OutboxRow.request_id.in_(request_ids))
            .values(delivered_at=OutboxRow.created_at)
        )
    uow.commit()


def _showcase_notes(uow: SqlUnitOfWork, showcase: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The showcase notes, a resynced order's with its new packing number."""
    notes = []
    for packing_no, note in showcase:
        order = uow.orders.get(packing_no)
        new = f" (new number {order.superseded_by})" if order and order.superseded_by else ""
        notes.append((packing_no, note + new))
    return notes
