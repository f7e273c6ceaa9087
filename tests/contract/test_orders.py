"""The orders repository: what goes in comes back, updates, duplicates, jobs' orders."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from domain.model import CancelledBy, OrderState, Origin, Recovery, Stage
from tests.integration.builders import SEOUL, active, add_orders, cancelled


def test_a_cancelled_order_reads_back_exactly_as_it_was_stored(uow):
    order = cancelled(
        "QSP2611200001", origin=Origin.EXCEL, cancelled_by=CancelledBy.SELLER,
        cancelled_at=datetime(2026, 11, 20, 23, 30, 15, 123456, tzinfo=SEOUL),
        payment_at=datetime(2026, 11, 20, 8, 0, tzinfo=SEOUL),
        recipient="박지훈", items="2x 텀블러", recovery=Recovery.FAILED_RETRY,
    )
    [stored] = add_orders(uow, order)
    assert stored.id is not None

    with uow() as u:
        got = u.orders.get("QSP2611200001")

    assert got == order
    assert got.id == stored.id
    assert (got.origin, got.state, got.cancelled_by, got.recovery, got.stage) == (
        Origin.EXCEL, OrderState.CANCELLED, CancelledBy.SELLER, Recovery.FAILED_RETRY, None)


def test_an_order_is_found_by_its_id(uow):
    [stored] = add_orders(uow, active("QSP2611200002", stage=Stage.PICKUP))

    with uow() as u:
        got = u.orders.get_by_id(stored.id)

    assert got.packing_no == "QSP2611200002"
    assert got.stage is Stage.PICKUP
    assert got.state is OrderState.ACTIVE
    assert got.cancelled_at is None and got.cancelled_by is None and got.category is None


def test_an_unknown_packing_number_or_id_finds_nothing(uow):
    add_orders(uow, active("QSP2611200003"))
    with uow() as u:
        assert u.orders.get("QSP2611209999") is None
        assert u.orders.get_by_id(987654) is None


def test_a_resync_links_the_old_and_new_order_both_ways(uow):
    old, = add_orders(uow, cancelled("QSP2611200005", recovery=Recovery.IN_PROGRESS))

    with uow() as u:
        u.orders.update(replace(old, superseded_by="QSP2611260001", recovery=Recovery.DONE))
        u.orders.add(active("QSP2611260001", stage=Stage.CONFIRMATION,
                            resynced_from="QSP2611200005", created_by_job=41))
        u.commit()

    with uow() as u:
        old_back = u.orders.get("QSP2611200005")
        new_back = u.orders.get("QSP2611260001")

    assert old_back.superseded_by == "QSP2611260001"
    assert old_back.recovery is Recovery.DONE
    assert old_back.state is OrderState.CANCELLED
    assert new_back.resynced_from == "QSP2611200005"
    assert new_back.created_by_job == 41
    assert new_back.stage is Stage.CONFIRMATION


def test_a_restore_puts_the_order_back_at_order_confirmation(uow):
    order, = add_orders(uow, cancelled("QSP2611200006", origin=Origin.MANUAL))

    with uow() as u:
        u.orders.update(replace(order, recovery=Recovery.DONE).restart_processing())
        u.commit()

    with uow() as u:
        got = u.orders.get("QSP2611200006")
    assert got.state is OrderState.ACTIVE
    assert got.stage is Stage.CONFIRMATION
    assert got.recovery is Recovery.DONE
    assert got.cancelled_at == order.cancelled_at  # still listed as a cancelled delivery


def test_an_update_changes_only_the_order_it_names(uow):
    a, b = add_orders(uow, cancelled("QSP2611200007"), cancelled("QSP2611200008"))
    with uow() as u:
        u.orders.update(replace(a, recovery=Recovery.AWAITING))
        u.commit()
    with uow() as u:
        assert u.orders.get(a.packing_no).recovery is Recovery.AWAITING
        assert u.orders.get(b.packing_no).recovery is Recovery.NONE


def test_live_duplicates_are_the_other_active_orders_of_the_same_sales_order(uow):
    same: dict[str, Any] = dict(seller_id="seller-7", sales_site="interpark",
                                sales_order_no="IP-555")
    target, *_ = add_orders(
        uow,
        cancelled("QSP2611200010", origin=Origin.EXCEL, **same),
        active("QSP2611200011", **same),  # a live duplicate
        active("QSP2611200012", stage=Stage.SHIPPED, **same),  # also alive
        cancelled("QSP2611200013", origin=Origin.EXCEL, **same),  # cancelled: not alive
        active("QSP2611200014", **{**same, "seller_id": "seller-8"}),
        active("QSP2611200015", **{**same, "sales_site": "tmon"}),
        active("QSP2611200016", **{**same, "sales_order_no": "IP-556"}),
    )

    with uow() as u:
        found = u.orders.live_duplicates(target)

    assert sorted(o.packing_no for o in found) == ["QSP2611200011", "QSP2611200012"]


def test_an_active_order_is_not_its_own_duplicate(uow):
    order, = add_orders(uow, active("QSP2611200017", sales_order_no="X-1"))
    with uow() as u:
        assert u.orders.live_duplicates(order) == []


def test_the_order_a_job_created_is_found_by_that_job(uow):
    add_orders(uow, active("QSP2611260002", created_by_job=7), active("QSP2611260003"))
    with uow() as u:
        assert u.orders.created_by_job(7).packing_no == "QSP2611260002"
        assert u.orders.created_by_job(8) is None


def test_many_orders_are_added_at_once_and_found_by_their_packing_numbers(uow):
    updated_at = datetime(2026, 11, 21, 9, 0, 0, 250000, tzinfo=SEOUL)
    orders = [cancelled(f"QSP26112{n:05d}", updated_at=updated_at) for n in range(1, 1203)]
    with uow() as u:
        u.orders.add_many(orders)
        u.commit()

    with uow() as u:
        found = u.orders.get_many([o.packing_no for o in orders] + ["QSP2611299999"])

    assert len(found) == len(orders)
    first = found["QSP2611200001"]
    assert first.id is not None and first.updated_at == updated_at
    assert replace(first, id=None) == orders[0]
