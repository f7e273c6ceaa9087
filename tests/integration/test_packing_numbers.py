"""Packing numbers a resync generates: QSP + yymmdd + daily serial, never handed out twice."""
from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from domain.execution import run_job
from domain.model import Action
from domain.workflow import ApprovalPolicy, approve, submit_request
from store.embedded_sales_site import EmbeddedSalesSite
from store.models import OrderRow
from tests.integration.builders import (
    NOW,
    SEOUL,
    Database,
    active,
    add_orders,
    add_sales_orders,
    cancelled,
    ctx,
    sales_order_row,
)
from tests.races import engines_of_their_own, failures, together

THREADS = 4
PER_THREAD = 25


def _allocate(uow, now: datetime, times: int = 1) -> list[str]:
    with uow() as u:
        numbers = [u.packing_numbers.allocate(now) for _ in range(times)]
        u.commit()
    return numbers


def test_numbers_are_qsp_then_the_date_then_a_daily_serial(uow):
    numbers = _allocate(uow, NOW, times=3)
    assert numbers == ["QSP2611260001", "QSP2611260002", "QSP2611260003"]
    assert all(re.fullmatch(r"QSP\d{10}", n) for n in numbers)


def test_each_day_starts_its_own_serial(uow):
    assert _allocate(uow, NOW) == ["QSP2611260001"]
    assert _allocate(uow, NOW + timedelta(days=1)) == ["QSP2611270001"]
    assert _allocate(uow, NOW) == ["QSP2611260002"]


def test_numbers_already_used_by_imported_orders_are_skipped(uow):
    add_orders(uow, active("QSP2611260001"), cancelled("QSP2611260002"),
               active("QSP2611260004"))
    assert _allocate(uow, NOW, times=2) == ["QSP2611260003", "QSP2611260005"]


def test_a_resync_just_after_midnight_in_seoul_is_numbered_for_the_seoul_day(uow, sessions):
    order, = add_orders(uow, cancelled("QSP2611230001"))
    add_sales_orders(sessions, sales_order_row(order))
    policy = ApprovalPolicy(is_approver=lambda user: True)
    with uow() as u:
        job = submit_request(u, [order.packing_no], Action.RESYNC, "UA", "", ctx()).jobs[0]
    with uow() as u:
        approve(u, job.request_id, "UB", NOW, policy)
    # 2026-11-27 00:30 in Seoul is still 2026-11-26 in UTC
    half_past_midnight = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)
    assert half_past_midnight.astimezone(SEOUL).day == 27

    done = run_job(uow, EmbeddedSalesSite(sessions), job.stored_id, ctx(half_past_midnight))

    assert done.result_packing_no == "QSP2611270001"


def test_threads_allocating_at_once_never_get_the_same_number(db_url):
    def allocating(db: Database, i: int) -> list[str]:
        got = []
        for n in range(PER_THREAD):
            with db.uow() as u:  # as a resync does: allocate, then create the order
                number = u.packing_numbers.allocate(NOW)
                u.orders.add(active(number, sales_order_no=f"T{i}-{n}"))
                u.commit()
            got.append(number)
        return got

    with engines_of_their_own(db_url, THREADS) as databases:
        results = together(*[functools.partial(allocating, db, i)
                             for i, db in enumerate(databases)], timeout=120)
        assert failures(results) == []
        numbers = [n for per_thread in results for n in per_thread]
        assert len(numbers) == THREADS * PER_THREAD
        assert len(set(numbers)) == len(numbers)
        assert set(numbers) == {f"QSP261126{k:04d}" for k in range(1, THREADS * PER_THREAD + 1)}
        with databases[0].sessions() as session:
            stored = session.scalars(select(OrderRow.packing_no)).all()
        assert sorted(stored) == sorted(numbers)
