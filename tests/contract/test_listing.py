"""The list page and its counts; the status listed (in SQL, on a database) is the domain's."""
from __future__ import annotations

import itertools
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest

from domain.lookup import list_orders
from domain.model import CancelledBy, Category, Origin, Recovery
from domain.ports import ListQuery
from domain.status import Status, status_of
from tests.integration.builders import NOW, SEOUL, active, add_orders, cancelled, ctx

DAY = timedelta(days=1)


def _packing_no(n: int) -> str:
    return f"QSP261120{n:04d}"


def _category_fields(category: Category, n: int) -> dict[str, Any]:
    if category is Category.SITE:
        return dict(origin=Origin.API, cancelled_by=CancelledBy.SALES_SITE)
    if category is Category.API:
        return dict(origin=Origin.API, cancelled_by=CancelledBy.SELLER)
    return dict(origin=(Origin.EXCEL, Origin.MANUAL)[n % 2], cancelled_by=CancelledBy.SELLER)


# how long before NOW each order of the grid was cancelled: open, open by one second,
# closed exactly at the 14-day mark, closed long ago
GRID_AGES = (
    timedelta(days=3),
    timedelta(days=14) - timedelta(seconds=1),
    timedelta(days=14),
    timedelta(days=20),
)
NOT_READY = ("wemakeprice",)


def test_the_listed_status_is_the_status_the_lookup_card_shows(uow):
    """phase_expression (SQL) and status_of (domain) agree for every kind of order."""
    context = ctx(NOW, NOT_READY)
    grid = itertools.product(Category, Recovery, GRID_AGES, ("tmon", "wemakeprice"))
    orders = [
        cancelled(_packing_no(n), sales_site=site, cancelled_at=NOW - age,
                  recovery=recovery, **_category_fields(category, n))
        for n, (category, recovery, age, site) in enumerate(grid)
    ]
    add_orders(uow, *orders)
    expected = {o.packing_no: status_of(o, context) for o in orders}

    with uow() as u:
        page = u.orders.page(ListQuery(page_size=len(orders)), context)
        counts = u.orders.counts(ListQuery(), context)

    listed = {item.order.packing_no: item.status for item in page.items}
    assert listed == expected
    assert counts.by_status == dict(Counter(expected.values()))
    # every status of the table is reached by the grid, so the comparison covers them all
    assert set(expected.values()) == set(Status)


def test_the_window_closes_exactly_fourteen_days_after_the_cancellation(uow):
    add_orders(
        uow,
        cancelled("QSP2611120001", cancelled_at=NOW - 14 * DAY + timedelta(seconds=1)),
        cancelled("QSP2611120002", cancelled_at=NOW - 14 * DAY),
        cancelled("QSP2611120003", origin=Origin.EXCEL, cancelled_at=NOW - 14 * DAY),
    )
    with uow() as u:
        items = u.orders.page(ListQuery(), ctx()).items
    assert {i.order.packing_no: i.status for i in items} == {
        "QSP2611120001": Status.RESYNC_AVAILABLE,
        "QSP2611120002": Status.RESYNC_UNAVAILABLE,
        "QSP2611120003": Status.UNRECOVERABLE,
    }


@pytest.fixture
def book(uow):
    """A small order book: three tabs, two sellers, two sites, a week of cancellations."""
    orders = [
        cancelled("QSP2611250001", cancelled_at=NOW - 1 * DAY),  # api, available
        cancelled("QSP2611240002", cancelled_at=NOW - 2 * DAY, recovery=Recovery.DONE),
        cancelled("QSP2611230003", cancelled_at=NOW - 3 * DAY, seller_id="seller-2",
                  sales_site="interpark", recovery=Recovery.FAILED_RETRY),
        cancelled("QSP2611220004", origin=Origin.EXCEL, cancelled_at=NOW - 4 * DAY),
        cancelled("QSP2611210005", origin=Origin.MANUAL, cancelled_at=NOW - 5 * DAY,
                  seller_id="seller-2", recovery=Recovery.IN_PROGRESS),
        cancelled("QSP2611200006", cancelled_by=CancelledBy.SALES_SITE,
                  cancelled_at=NOW - 6 * DAY, sales_site="interpark"),
        cancelled("QSP2610200007", cancelled_at=NOW - 37 * DAY),  # api, window closed
        active("QSP2611260008"),  # not a cancelled delivery: never listed
    ]
    return add_orders(uow, *orders)


def _listed(uow, **query) -> list[str]:
    with uow() as u:
        return [i.order.packing_no for i in u.orders.page(ListQuery(**query), ctx()).items]


def test_the_list_shows_cancelled_orders_newest_cancellation_first(uow, book):
    assert _listed(uow) == [
        "QSP2611250001", "QSP2611240002", "QSP2611230003", "QSP2611220004",
        "QSP2611210005", "QSP2611200006", "QSP2610200007",
    ]


def test_orders_cancelled_at_the_same_moment_keep_a_stable_order(uow):
    same = NOW - 2 * DAY
    first, second = add_orders(uow, cancelled("QSP2611240011", cancelled_at=same),
                               cancelled("QSP2611240012", cancelled_at=same))
    assert _listed(uow) == [second.packing_no, first.packing_no]


def test_orders_cancelled_at_the_same_moment_list_the_one_stored_last_first(uow):
    same = NOW - 2 * DAY
    first, second = add_orders(uow, cancelled("QSP2611240019", cancelled_at=same),
                               cancelled("QSP2611240013", cancelled_at=same))
    assert _listed(uow) == [second.packing_no, first.packing_no]


def test_each_tab_lists_only_its_category(uow, book):
    assert _listed(uow, category=Category.API) == [
        "QSP2611250001", "QSP2611240002", "QSP2611230003", "QSP2610200007"]
    assert _listed(uow, category=Category.EXCEL) == ["QSP2611220004", "QSP2611210005"]
    assert _listed(uow, category=Category.SITE) == ["QSP2611200006"]


def test_filters_by_status_seller_and_site(uow, book):
    assert _listed(uow, status=Status.RESYNCED) == ["QSP2611240002"]
    assert _listed(uow, status=Status.RESYNC_UNAVAILABLE) == ["QSP2610200007"]
    assert _listed(uow, status=Status.RECOVERING) == ["QSP2611210005"]
    assert _listed(uow, status=Status.NO_ACTION) == ["QSP2611200006"]
    assert _listed(uow, seller="seller-2") == ["QSP2611230003", "QSP2611210005"]
    assert _listed(uow, site="Interpark") == ["QSP2611230003", "QSP2611200006"]
    assert _listed(uow, seller="seller-2", site="interpark", category=Category.API) == [
        "QSP2611230003"]
    assert _listed(uow, status=Status.RECOVERING, category=Category.API) == []


def test_the_date_range_includes_its_start_and_excludes_its_end(uow, book):
    start = NOW - 5 * DAY  # exactly QSP2611210005's cancellation
    end = NOW - 2 * DAY  # exactly QSP2611240002's cancellation
    assert _listed(uow, date_from=start, date_to=end) == [
        "QSP2611230003", "QSP2611220004", "QSP2611210005"]
    day = datetime(2026, 11, 23, tzinfo=SEOUL)  # a business day, read in Seoul
    assert _listed(uow, date_from=day, date_to=day + DAY) == ["QSP2611230003"]


def test_pages_of_ten_with_a_next_page_until_the_last(uow):
    add_orders(uow, *[
        cancelled(f"QSP2611250{n:03d}", cancelled_at=NOW - timedelta(minutes=n))
        for n in range(25)
    ])
    with uow() as u:
        first = u.orders.page(ListQuery(page=0), ctx())
        second = u.orders.page(ListQuery(page=1), ctx())
        last = u.orders.page(ListQuery(page=2), ctx())

    assert [i.order.packing_no for i in first.items] == [
        f"QSP2611250{n:03d}" for n in range(10)]
    assert [i.order.packing_no for i in second.items] == [
        f"QSP2611250{n:03d}" for n in range(10, 20)]
    assert len(last.items) == 5
    assert (first.total, second.total, last.total) == (25, 25, 25)
    assert (first.has_next, second.has_next, last.has_next) == (True, True, False)
    assert (first.has_previous, second.has_previous) == (False, True)
    assert first.pages == 3


def test_tab_counts_ignore_the_tab_and_status_chosen_but_status_counts_follow_the_tab(uow, book):
    with uow() as u:
        listing = list_orders(u, ListQuery(category=Category.EXCEL), ctx())

    assert listing.counts.by_category == {Category.API: 4, Category.EXCEL: 2, Category.SITE: 1}
    assert listing.counts.by_status == {Status.RECOVERABLE: 1, Status.RECOVERING: 1}
    assert listing.page.total == 2
    assert [i.order.packing_no for i in listing.page.items] == ["QSP2611220004", "QSP2611210005"]

    with uow() as u:
        listing = list_orders(u, ListQuery(status=Status.RESYNCED), ctx())
    assert listing.counts.by_category == {Category.API: 4, Category.EXCEL: 2, Category.SITE: 1}
    assert listing.counts.by_status == {
        Status.RESYNC_AVAILABLE: 1, Status.RESYNCED: 1, Status.FAILED_TO_RESYNC: 1,
        Status.RESYNC_UNAVAILABLE: 1, Status.RECOVERABLE: 1, Status.RECOVERING: 1,
        Status.NO_ACTION: 1,
    }
    assert listing.page.total == 1
    assert [i.status for i in listing.page.items] == [Status.RESYNCED]


def test_counts_follow_the_seller_site_and_date_filters(uow, book):
    with uow() as u:
        listing = list_orders(u, ListQuery(site="interpark", date_from=NOW - 7 * DAY), ctx())
    assert listing.counts.by_category == {Category.API: 1, Category.EXCEL: 0, Category.SITE: 1}
    assert listing.counts.by_status == {Status.FAILED_TO_RESYNC: 1, Status.NO_ACTION: 1}
    assert listing.page.total == 2


def test_a_site_that_is_not_ready_makes_its_orders_resync_unavailable(uow, book):
    with uow() as u:
        listing = list_orders(u, ListQuery(category=Category.API), ctx(not_ready=("tmon",)))
    statuses = {i.order.packing_no: i.status for i in listing.page.items}
    assert statuses == {
        "QSP2611250001": Status.RESYNC_UNAVAILABLE,
        "QSP2611240002": Status.RESYNCED,  # done stays done
        "QSP2611230003": Status.FAILED_TO_RESYNC,  # interpark is ready
        "QSP2610200007": Status.RESYNC_UNAVAILABLE,
    }
    assert listing.counts.by_status[Status.RESYNC_UNAVAILABLE] == 2
