"""Order builders shared by the unit and integration tests; each suite fixes its own dates."""
from __future__ import annotations

from datetime import datetime, timedelta

from domain.model import CancelledBy, Order, OrderState, Origin, Stage


def cancelled_order(
    packing_no: str, cancelled_at: datetime, origin: Origin = Origin.API, **changes: object
) -> Order:
    """A cancelled delivery, cancelled by the seller unless cancelled_by says otherwise."""
    fields: dict[str, object] = dict(
        packing_no=packing_no, seller_id="seller-1", sales_site="tmon",
        sales_order_no=f"SO-{packing_no}", origin=origin, state=OrderState.CANCELLED,
        cancelled_at=cancelled_at, cancelled_by=CancelledBy.SELLER,
        payment_at=cancelled_at - timedelta(hours=2), recipient="Kim Minji", items="1x mug",
    )
    fields.update(changes)
    return Order(**fields)  # type: ignore[arg-type]


def active_order(packing_no: str, stage: Stage = Stage.WAYBILL, **changes: object) -> Order:
    """An order still in Order Management."""
    fields: dict[str, object] = dict(
        packing_no=packing_no, seller_id="seller-1", sales_site="tmon",
        sales_order_no=f"SO-{packing_no}", origin=Origin.API, state=OrderState.ACTIVE,
        stage=stage,
    )
    fields.update(changes)
    return Order(**fields)  # type: ignore[arg-type]
