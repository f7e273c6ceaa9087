"""The orders repository on a real database: times in UTC, and what the schema refuses.

What every unit of work does alike is held in tests/contract/test_orders.py.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError, StatementError

from tests.integration.builders import SEOUL, active, add_orders, cancelled

UTC_ZERO = timedelta(0)


def test_times_come_back_as_the_same_instant_in_utc(uow):
    cancelled_at = datetime(2026, 11, 21, 0, 30, tzinfo=SEOUL)  # 2026-11-20 15:30 UTC
    payment_at = datetime(2026, 11, 20, 22, 0, tzinfo=SEOUL)
    add_orders(uow, cancelled("QSP2611210001", cancelled_at=cancelled_at, payment_at=payment_at))

    with uow() as u:
        got = u.orders.get("QSP2611210001")

    assert got.cancelled_at == cancelled_at
    assert got.cancelled_at.utcoffset() == UTC_ZERO
    assert got.cancelled_at == datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
    assert got.payment_at.utcoffset() == UTC_ZERO
    assert got.payment_at == payment_at


def test_a_time_without_a_zone_is_refused(uow):
    naive = datetime(2026, 11, 21, 0, 30)
    with uow() as u, pytest.raises(StatementError, match="time zone"):
        u.orders.add(cancelled("QSP2611210002", cancelled_at=naive))


def test_two_orders_cannot_share_a_packing_number(uow):
    add_orders(uow, active("QSP2611200004"))
    with uow() as u, pytest.raises(IntegrityError):
        u.orders.add(cancelled("QSP2611200004"))


def test_a_job_cannot_create_two_orders(uow):
    add_orders(uow, active("QSP2611260004", created_by_job=9))
    with uow() as u, pytest.raises(IntegrityError):
        u.orders.add(active("QSP2611260005", created_by_job=9))
