"""The digest's query on a real database: the same orders, in the same order, as the domain says."""
from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from domain import window
from domain.digest import REQUESTABLE, closing_soon
from domain.execution import run_job
from domain.model import Action, CancelledBy, Category, Origin, Recovery, SalesOrderStatus
from domain.status import status_of
from domain.workflow import ApprovalPolicy, approve, submit_request
from store.embedded_sales_site import EmbeddedSalesSite
from tests.integration.builders import (
    NOW,
    add_orders,
    add_sales_orders,
    cancelled,
    ctx,
    sales_order_row,
)

POLICY = ApprovalPolicy(is_approver=lambda user: user == "UAPPROVER")

HOURS_48 = timedelta(hours=48)
SECOND = timedelta(seconds=1)
NOT_READY = ("wemakeprice",)
CATEGORY_FIELDS = {
    Category.API: dict(origin=Origin.API, cancelled_by=CancelledBy.SELLER),
    Category.EXCEL: dict(origin=Origin.EXCEL, cancelled_by=CancelledBy.SELLER),
    Category.SITE: dict(origin=Origin.API, cancelled_by=CancelledBy.SALES_SITE),
}
# how long after NOW each window of the grid closes: just closed, closing now, the span's
# edges, and well past it
LEFT = (-timedelta(hours=1), -SECOND, timedelta(0), SECOND, timedelta(hours=20),
        HOURS_48 - SECOND, HOURS_48, HOURS_48 + SECOND, timedelta(days=5))


def closing_in(packing_no: str, left: timedelta, **changes: Any):
    """A cancelled order whose window closes `left` after NOW (Seoul keeps no summer time)."""
    return cancelled(packing_no, cancelled_at=NOW + left - timedelta(days=14), **changes)


def listed(uow, **kwargs) -> list[str]:
    with uow() as u:
        return [i.order.packing_no for i in closing_soon(u, ctx(NOW, NOT_READY), **kwargs).items]


def test_the_window_closing_in_exactly_48_hours_is_listed_and_a_second_later_is_not(uow):
    add_orders(uow, closing_in("QSP2611120001", HOURS_48),
               closing_in("QSP2611120002", HOURS_48 + SECOND),
               closing_in("QSP2611120003", timedelta(0)),
               closing_in("QSP2611120004", SECOND))

    assert listed(uow) == ["QSP2611120004", "QSP2611120001"]


def test_the_database_lists_exactly_the_orders_the_domain_would(uow):
    grid = itertools.product(Category, Recovery, LEFT, ("tmon", "wemakeprice"))
    orders = [closing_in(f"QSP2611{n:06d}", left, sales_site=site, recovery=recovery,
                         **CATEGORY_FIELDS[category])
              for n, (category, recovery, left, site) in enumerate(grid)]
    add_orders(uow, *orders)
    context = ctx(NOW, NOT_READY)

    def belongs(order) -> bool:
        deadline = window.deadline(order.cancelled_at, context.zone)
        return (status_of(order, context) in REQUESTABLE
                and order.recovery is not Recovery.AWAITING
                and NOW < deadline <= NOW + HOURS_48)

    expected = sorted((o for o in orders if belongs(o)),
                      key=lambda o: (o.cancelled_at, o.packing_no))
    assert expected  # the grid reaches the digest
    assert listed(uow, limit=len(orders)) == [o.packing_no for o in expected]


def test_the_soonest_deadline_comes_first_and_the_rest_are_counted(uow):
    add_orders(uow, *(closing_in(f"QSP26111{n:05d}", timedelta(hours=40 - n))
                      for n in range(12)))

    with uow() as u:
        soon = closing_soon(u, ctx(NOW), limit=5)

    assert [i.order.packing_no for i in soon.items] == [
        f"QSP26111{n:05d}" for n in (11, 10, 9, 8, 7)]
    assert (soon.total, soon.more) == (12, 7)
    assert soon.items[0].window.time_left == timedelta(hours=29)


def test_nothing_is_listed_when_no_window_closes_soon(uow):
    add_orders(uow, closing_in("QSP2611120001", timedelta(days=3)))

    with uow() as u:
        soon = closing_soon(u, ctx(NOW))

    assert (soon.items, soon.total) == ([], 0)


def test_an_order_whose_resync_failed_on_claim_or_in_delivery_is_offered_again(uow, sessions):
    claim, delivery, cancelled_there = add_orders(
        uow, *(closing_in(f"QSP261112000{n}", timedelta(hours=20 + n)) for n in (1, 2, 3)))
    add_sales_orders(sessions, sales_order_row(claim, SalesOrderStatus.CLAIM),
                     sales_order_row(delivery, SalesOrderStatus.IN_DELIVERY),
                     sales_order_row(cancelled_there, SalesOrderStatus.CANCELLED))
    with uow() as u:
        submitted = submit_request(u, [claim.packing_no, delivery.packing_no,
                                       cancelled_there.packing_no], Action.RESYNC, "UREQ", "",
                                   ctx(NOW, NOT_READY))
    with uow() as u:
        approve(u, submitted.request.stored_id, "UAPPROVER", NOW, POLICY)
    for job in submitted.jobs:
        run_job(uow, EmbeddedSalesSite(sessions), job.stored_id, ctx(NOW, NOT_READY))

    assert listed(uow) == [claim.packing_no, delivery.packing_no]
