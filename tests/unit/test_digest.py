"""The morning digest's orders: windows closing within 48 hours that still allow a request."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.digest import closing_soon, digest_day
from domain.model import Action, CancelledBy, Origin, Recovery
from domain.status import Status
from tests.unit.fakes import KST, SEOUL, FakeUnitOfWork, cancelled, ctx

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=KST)
HOURS_48 = timedelta(hours=48)
SECOND = timedelta(seconds=1)


def closing_in(packing_no: str, left: timedelta, **changes: Any):
    """A cancelled order whose window closes `left` after NOW (Seoul keeps no summer time)."""
    return cancelled(packing_no, cancelled_at=NOW + left - timedelta(days=14), **changes)


def digest_numbers(*orders, not_ready: tuple[str, ...] = (), **kwargs) -> list[str]:
    soon = closing_soon(FakeUnitOfWork(*orders), ctx(NOW, not_ready), **kwargs)
    return [item.order.packing_no for item in soon.items]


def test_an_order_closing_in_exactly_48_hours_is_listed_and_one_second_later_is_not():
    assert digest_numbers(
        closing_in("QSP0001", HOURS_48),
        closing_in("QSP0002", HOURS_48 + SECOND),
    ) == ["QSP0001"]


def test_an_order_whose_window_has_closed_is_not_listed():
    assert digest_numbers(
        closing_in("QSP0001", timedelta(0)),  # closed at this very instant
        closing_in("QSP0002", -timedelta(hours=3)),
        closing_in("QSP0003", SECOND),
    ) == ["QSP0003"]


def test_an_order_whose_request_waits_for_approval_is_not_listed():
    assert digest_numbers(
        closing_in("QSP0001", timedelta(hours=5), recovery=Recovery.AWAITING),
        closing_in("QSP0002", timedelta(hours=6)),
    ) == ["QSP0002"]


def test_failed_orders_are_listed_whatever_the_failure_and_running_or_done_are_not():
    soon = closing_soon(FakeUnitOfWork(
        closing_in("QSP0001", timedelta(hours=1), recovery=Recovery.FAILED_RETRY),
        closing_in("ACC0002", timedelta(hours=2), origin=Origin.EXCEL,
                   recovery=Recovery.FAILED_RETRY),
        closing_in("QSP0003", timedelta(hours=3), recovery=Recovery.IN_PROGRESS),
        closing_in("QSP0004", timedelta(hours=4), recovery=Recovery.DONE),
        closing_in("QSP0005", timedelta(hours=5), recovery=Recovery.FAILED_RETRY,
                   cancelled_by=CancelledBy.SALES_SITE),  # moved there by a failed resync
    ), ctx(NOW))

    assert [(i.order.packing_no, i.status) for i in soon.items] == [
        ("QSP0001", Status.FAILED_TO_RESYNC), ("ACC0002", Status.FAILED_TO_RECOVER)]


def test_a_resync_on_a_site_not_ready_is_not_listed_but_a_restore_there_is():
    assert digest_numbers(
        closing_in("QSP0001", timedelta(hours=1), sales_site="wemakeprice"),
        closing_in("ACC0002", timedelta(hours=2), sales_site="wemakeprice",
                   origin=Origin.MANUAL),
        not_ready=("wemakeprice",),
    ) == ["ACC0002"]


def test_orders_cancelled_at_the_sales_site_are_never_listed():
    assert digest_numbers(
        closing_in("QSP0001", timedelta(hours=1), cancelled_by=CancelledBy.SALES_SITE),
    ) == []


def test_the_soonest_deadline_comes_first_with_its_deadline_time_left_and_action():
    soon = closing_soon(FakeUnitOfWork(
        closing_in("QSP0001", timedelta(hours=30)),
        closing_in("ACC0002", timedelta(hours=2, minutes=15), origin=Origin.EXCEL),
        closing_in("QSP0003", timedelta(hours=47)),
    ), ctx(NOW))

    first, second, third = soon.items
    assert [first.order.packing_no, second.order.packing_no, third.order.packing_no] == [
        "ACC0002", "QSP0001", "QSP0003"]
    assert first.window.deadline == datetime(2026, 11, 26, 11, 15, tzinfo=KST)
    assert first.window.time_left == timedelta(hours=2, minutes=15)
    assert (first.status, first.action) == (Status.RECOVERABLE, Action.RESTORE)
    assert (second.status, second.action) == (Status.RESYNC_AVAILABLE, Action.RESYNC)
    assert soon.until == datetime(2026, 11, 28, 9, 0, tzinfo=KST)


def test_at_most_limit_orders_are_listed_and_the_rest_are_counted():
    orders = [closing_in(f"QSP{n:04d}", timedelta(hours=n)) for n in range(1, 13)]

    soon = closing_soon(FakeUnitOfWork(*orders), ctx(NOW), limit=5)

    assert [i.order.packing_no for i in soon.items] == [f"QSP{n:04d}" for n in range(1, 6)]
    assert (soon.total, soon.more) == (12, 7)


def test_a_shorter_span_lists_only_the_windows_closing_within_it():
    assert digest_numbers(
        closing_in("QSP0001", timedelta(hours=24)),
        closing_in("QSP0002", timedelta(hours=25)),
        within=timedelta(hours=24),
    ) == ["QSP0001"]


def test_the_span_must_be_positive():
    with pytest.raises(ValueError):
        closing_soon(FakeUnitOfWork(), ctx(NOW), within=timedelta(0))


def test_the_digest_day_is_the_business_day():
    late_utc_evening = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)  # 08:30 in Seoul

    assert digest_day(late_utc_evening, SEOUL) == "2026-11-26"
