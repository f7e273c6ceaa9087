"""Orders, cancellations and the words the menu uses for them."""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from domain.errors import InvalidPackingNumber

PACKING_NO_RE = re.compile(r"^[A-Z0-9]{3,32}$")


class Stored:
    """An entity the store numbers when it is added: id is None only before that."""

    id: int | None

    @property
    def stored_id(self) -> int:
        """The id of an entity read from or added to the store; ValueError for one never
        added (a bug: the caller took it for stored)."""
        if self.id is None:
            raise ValueError(f"this {type(self).__name__} has no id: it was never stored")
        return self.id


def normalize_packing_no(text: str) -> str:
    """Trim, drop inner spaces and upper-case a packing number, or raise InvalidPackingNumber."""
    if text and PACKING_NO_RE.fullmatch(text):
        return text  # already normal: the common case, a million times in a big import
    cleaned = re.sub(r"\s+", "", text or "").upper()
    if not PACKING_NO_RE.match(cleaned):
        raise InvalidPackingNumber(text)
    return cleaned


class Origin(str, enum.Enum):
    API = "api"
    EXCEL = "excel"
    MANUAL = "manual"


class CancelledBy(str, enum.Enum):
    SELLER = "seller"
    SALES_SITE = "sales_site"


class OrderState(str, enum.Enum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class Stage(str, enum.Enum):
    """Processing stages of an active order, in the order they happen."""

    CONFIRMATION = "confirmation"
    WAYBILL = "waybill"
    PICKUP = "pickup"
    SHIPPED = "shipped"

    @property
    def label(self) -> str:
        return STAGE_LABELS[self]


STAGE_LABELS = {
    Stage.CONFIRMATION: "order confirmation",
    Stage.WAYBILL: "waybill printing",
    Stage.PICKUP: "pickup request",
    Stage.SHIPPED: "shipped",
}


class Action(str, enum.Enum):
    RESYNC = "resync"
    RESTORE = "restore"


class Category(str, enum.Enum):
    """The menu's three tabs; the value is the short name the slash grammar uses."""

    API = "api"
    EXCEL = "excel"
    SITE = "site"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]

    @property
    def action(self) -> Action | None:
        return {Category.API: Action.RESYNC, Category.EXCEL: Action.RESTORE}.get(self)


CATEGORY_LABELS = {
    Category.API: "Delivery Cancelled (Sales Site API)",
    Category.EXCEL: "Delivery Cancelled (Excel/Manual Registered)",
    Category.SITE: "Sales Site Order Cancel",
}


def category_of(origin: Origin, cancelled_by: CancelledBy) -> Category:
    """Which tab a cancellation belongs to; only API orders can be cancelled at the sales site."""
    if cancelled_by is CancelledBy.SALES_SITE:
        if origin is not Origin.API:
            raise ValueError("only api orders can be cancelled at the sales site")
        return Category.SITE
    return Category.API if origin is Origin.API else Category.EXCEL


class Recovery(str, enum.Enum):
    """What the latest request did to a cancelled order; kept on the order so lists can count it."""

    NONE = "none"
    AWAITING = "awaiting"  # a request waits for approval
    IN_PROGRESS = "in_progress"  # approved; its job is queued or running
    DONE = "done"
    # the latest job failed; inside the window a new request is allowed (rule 5), whatever
    # the reason ("failed_final", which once said otherwise, is gone since migration 0002)
    FAILED_RETRY = "failed_retry"


@dataclass(frozen=True)
class SalesOrder:
    """An order as the sales site (marketplace) holds it."""

    sales_site: str
    sales_order_no: str
    status: SalesOrderStatus
    payment_at: datetime | None = None
    recipient: str = ""
    items: str = ""
    updated_at: datetime | None = None


class SalesOrderStatus(str, enum.Enum):
    VALID = "valid"
    CLAIM = "claim"
    IN_DELIVERY = "in_delivery"
    CANCELLED = "cancelled"
    MISSING = "missing"


@dataclass(frozen=True)
class Order(Stored):
    """An order in Smartship's order book; a cancelled delivery is an order with a cancellation."""

    packing_no: str
    seller_id: str
    sales_site: str
    sales_order_no: str
    origin: Origin
    state: OrderState
    stage: Stage | None = None
    cancelled_at: datetime | None = None
    cancelled_by: CancelledBy | None = None
    payment_at: datetime | None = None
    recipient: str = ""
    items: str = ""
    recovery: Recovery = Recovery.NONE
    superseded_by: str | None = None
    resynced_from: str | None = None
    created_by_job: int | None = None  # the resync job that made this order, its idempotency key
    # when Smartship last changed the order (its copy's updated_at, or cancelbot's recovery);
    # None for an order imported without the column: any dated copy is newer (rule 11)
    updated_at: datetime | None = None
    id: int | None = field(default=None, compare=False)

    @property
    def is_cancelled_delivery(self) -> bool:
        return self.cancelled_at is not None and self.cancelled_by is not None

    @property
    def category(self) -> Category | None:
        if self.cancelled_at is None or self.cancelled_by is None:  # not a cancelled delivery
            return None
        return category_of(self.origin, self.cancelled_by)

    @property
    def when_cancelled(self) -> datetime:
        """cancelled_at of a cancelled delivery; ValueError for any other order (a bug)."""
        if self.cancelled_at is None:
            raise ValueError(f"{self.packing_no} is not a cancelled delivery")
        return self.cancelled_at

    @property
    def tab(self) -> Category:
        """The category of a cancelled delivery; ValueError for any other order (a bug)."""
        category = self.category
        if category is None:
            raise ValueError(f"{self.packing_no} is not a cancelled delivery")
        return category

    def restart_processing(self) -> Order:
        """The order back in Order Management at its first stage (rule 4)."""
        return replace(self, state=OrderState.ACTIVE, stage=Stage.CONFIRMATION)
