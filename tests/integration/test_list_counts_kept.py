"""The list's counts are kept by triggers in the transactions that change orders (migration
0006), and the counts a list shows equal the orders' statuses counted one by one."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from domain.model import Origin, Recovery
from domain.ports import ListQuery
from domain.status import status_of
from store import listing
from store.mapping import to_order
from store.models import OrderCountRow, OrderDayCountRow, OrderRow
from tests.integration.builders import NOW, active, add_orders, cancelled, ctx

KEY = (OrderRow.seller_id, OrderRow.sales_site, OrderRow.category, OrderRow.recovery)
HOUR = timedelta(hours=1)


def kept(session) -> tuple[Counter, Counter]:
    """What order_counts and order_day_counts hold (rows of 0 left out)."""
    whole = Counter({tuple(r[:-1]): r[-1] for r in session.execute(select(
        OrderCountRow.seller_id, OrderCountRow.sales_site, OrderCountRow.category,
        OrderCountRow.recovery, OrderCountRow.n)) if r[-1]})
    days = Counter({tuple(r[:-1]): r[-1] for r in session.execute(select(
        OrderDayCountRow.day, OrderDayCountRow.sales_site,
        OrderDayCountRow.category, OrderDayCountRow.recovery, OrderDayCountRow.n)) if r[-1]})
    return whole, days


def recounted(session) -> tuple[Counter, Counter]:
    """The same, counted from the orders now."""
    whole: Counter = Counter()
    days: Counter = Counter()
    for row in session.scalars(select(OrderRow).where(OrderRow.category.is_not(None),
                                                      OrderRow.cancelled_at.is_not(None))):
        key = (row.seller_id, row.sales_site, row.category, row.recovery)
        whole[key] += 1
        days[(row.cancelled_at.strftime("%Y-%m-%d"), *key[1:])] += 1
    return whole, days


def book(uow) -> None:
    add_orders(uow, *[
        cancelled(f"QSP26112600{i:02d}", origin=(Origin.API, Origin.EXCEL)[i % 2],
                  seller_id=f"seller-{i % 3}", sales_site=("tmon", "shopby")[i % 2],
                  cancelled_at=NOW - i * 12 * HOUR)
        for i in range(40)
    ], active("QSP2611269901"))


def test_the_kept_counts_follow_every_insert_change_and_delete_of_an_order(sessions, uow):
    book(uow)
    with sessions() as session:
        assert kept(session) == recounted(session)
        changes = [
            update(OrderRow).where(OrderRow.packing_no == "QSP2611260003")
            .values(recovery=Recovery.FAILED_RETRY.value),
            update(OrderRow).where(OrderRow.packing_no == "QSP2611260004")
            .values(category="site", cancelled_by="sales_site"),
            update(OrderRow).where(OrderRow.packing_no == "QSP2611260005")
            .values(cancelled_at=NOW - 400 * HOUR, seller_id="seller-9"),
            update(OrderRow).where(OrderRow.packing_no == "QSP2611260006")
            .values(recovery=Recovery.DONE.value, category=None, cancelled_at=None),
            update(OrderRow).where(OrderRow.packing_no == "QSP2611269901")
            .values(category="api", cancelled_at=NOW, state="cancelled"),
            update(OrderRow).where(OrderRow.packing_no == "QSP2611260007")
            .values(recipient="someone else"),  # not counted: the counts stay
            delete(OrderRow).where(OrderRow.packing_no == "QSP2611260008"),
            update(OrderRow).where(OrderRow.seller_id == "seller-1")  # many rows at once
            .values(recovery=Recovery.FAILED_RETRY.value),
            delete(OrderRow).where(OrderRow.seller_id == "seller-2"),
        ]
        for change in changes:
            session.execute(change)
            assert kept(session) == recounted(session), str(change)


@pytest.mark.parametrize("query", [
    ListQuery(),
    ListQuery(seller="seller-1"),
    ListQuery(site="SHOPBY"),
    ListQuery(date_from=NOW - 90 * HOUR),  # part of a day at the start, the rest whole days
    ListQuery(date_from=NOW - 200 * HOUR, date_to=NOW - 30 * HOUR, seller="seller-2"),
    ListQuery(date_to=NOW - 100 * HOUR, site="tmon"),
    ListQuery(date_from=NOW - 13 * HOUR, date_to=NOW - 11 * HOUR),  # inside one day
    ListQuery(date_from=NOW - 400 * HOUR, date_to=NOW - 300 * HOUR),  # window closed
], ids=["all", "seller", "site", "from", "from-to-seller", "to-site", "hours", "closed"])
def test_the_counts_of_a_list_equal_the_statuses_of_its_orders_counted_one_by_one(
        sessions, uow, query):
    book(uow)
    with sessions() as session:
        session.execute(update(OrderRow).where(OrderRow.packing_no.like("%0_"))
                        .values(recovery=Recovery.FAILED_RETRY.value))
        now = ctx(NOW + 10 * 24 * HOUR, not_ready=("shopby",))
        counts = listing.counts(session, query, now)
        orders = [to_order(row) for row in session.scalars(
            select(OrderRow).where(*listing._filters(query)))]

    statuses = Counter(status_of(order, now) for order in orders)
    assert counts.by_status == {s: n for s, n in statuses.items() if n}
    assert sum(counts.by_category.values()) == len(orders) > 0
