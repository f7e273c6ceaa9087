"""What the demo set is made of: sellers, sites, the showcase, and a builder of orders."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from domain.model import (
    CancelledBy,
    Category,
    Order,
    OrderState,
    Origin,
    SalesOrder,
    SalesOrderStatus,
    Stage,
)

API, EXCEL, SITE = Category.API, Category.EXCEL, Category.SITE
SELLERS = ("hanbit-mall", "dasom-shop", "saerom-living", "nuri-fashion", "haneul-beauty",
           "bomnal-kitchen")
SITE_PREFIXES = {"tmon": "TM", "interpark": "IP", "wemakeprice": "WMP", "shopby": "SB"}
RECIPIENTS = ("Kim Minji", "Lee Seojun", "Park Jiwoo", "Choi Yuna", "Jung Hyunwoo",
              "Kang Soyeon", "Yoon Dohyun", "Lim Chaewon", "Han Jisoo", "Oh Taeyang")
ITEMS = ("1x Jeju tangerine box 5kg", "2x Shin ramyeon multipack", "1x Silk hanbok scarf",
         "3x Green tea sheet mask set", "1x Stainless tumbler 500ml", "1x Red ginseng tea set",
         "2x Kimchi pouch 1kg", "1x Linen bedding set (queen)", "1x Hand cream trio",
         "4x Barley tea 1.5L")
OPEN, NEAR, CLOSED = (30.0, 300.0), (290.0, 332.0), (340.0, 720.0)  # hours before now


@dataclass(frozen=True)
class Spec:
    """One cancelled order and its story: none, await, queue, run (approved and run), reject.

    variant is the sales order for API orders (valid, modified, claim, in_delivery, cancelled,
    missing, absent, down) and `dup` (a live duplicate) or `plain` for Excel/manual orders.
    """

    category: Category
    hours_ago: float
    story: str = "none"
    variant: str = "valid"
    mismatch: bool = False  # paid on an earlier day than the cancellation
    packing_no: str | None = None
    note: str = ""


SHOWCASE = (
    Spec(API, 320, "none", "modified", True, "QSPDEMO01",
         "Resync Available, less than a day left, with a date warning"),
    Spec(EXCEL, 50, "none", "plain", False, "QSPDEMO02", "Recoverable: a restore would succeed"),
    Spec(EXCEL, 70, "none", "dup", False, "QSPDEMO03",
         "Recoverable, but a duplicate is alive: a restore would fail"),
    Spec(API, 100, "run", "modified", False, "QSPDEMO04", "Resynced: points to its new number"),
    Spec(API, 80, "run", "missing", True, "QSPDEMO05",
         "Failed to Resync: the sales site cannot find it"),
    Spec(EXCEL, 60, "run", "dup", False, "QSPDEMO06", "Failed to Recover: a duplicate is alive"),
    Spec(EXCEL, 120, "run", "plain", False, "QSPDEMO07", "Recovered: back in processing"),
    Spec(API, 400, "none", "valid", False, "QSPDEMO08", "Resync Unavailable: window closed"),
    Spec(SITE, 30, "none", "cancelled", False, "QSPDEMO09", "Sales Site Order Cancel: no action"),
    Spec(API, 40, "queue", "valid", False, "QSPDEMO10", "Resyncing: approved, waiting to run"),
)
ACTIVE_SHOWCASE = ("QSPDEMO11", "An active order: not cancelled")

# (category, hours range, story, variants taken in turn, how many)
GROUPS = (
    (API, OPEN, "none", ("valid", "valid", "modified", "claim", "in_delivery", "absent"), 12),
    (API, NEAR, "none", ("valid", "modified"), 3),
    (API, CLOSED, "none", ("valid",), 6),
    (API, OPEN, "await", ("valid",), 2),
    (API, OPEN, "queue", ("valid", "modified"), 2),
    (API, OPEN, "run", ("valid", "modified"), 4),
    (API, OPEN, "run", ("missing", "down"), 2),
    (API, OPEN, "run", ("claim", "in_delivery", "cancelled"), 3),
    (API, CLOSED, "run", ("missing",), 1),
    (API, OPEN, "reject", ("valid",), 1),
    (EXCEL, OPEN, "none", ("plain", "plain", "plain", "dup"), 12),
    (EXCEL, NEAR, "none", ("plain",), 2),
    (EXCEL, CLOSED, "none", ("plain",), 6),
    (EXCEL, OPEN, "await", ("plain",), 1),
    (EXCEL, OPEN, "queue", ("plain",), 1),
    (EXCEL, OPEN, "run", ("plain",), 3),
    (EXCEL, OPEN, "run", ("dup",), 2),
    (SITE, OPEN, "none", ("cancelled",), 8),
    (SITE, CLOSED, "none", ("cancelled",), 4),
)
PLAIN_ACTIVE = 10


def background_specs(rng: random.Random) -> list[Spec]:
    """The bulk of the set, from GROUPS, each cancelled a random time ago within its range."""
    return [
        Spec(category, rng.uniform(*hours), story, variants[i % len(variants)],
             mismatch=category is API and rng.random() < 0.2)
        for category, hours, story, variants, count in GROUPS
        for i in range(count)
    ]


class Writer:
    """Builds orders and sales orders with fresh numbers, remembering what is taken."""

    def __init__(self, now: datetime, zone: tzinfo, taken: set[str], rng: random.Random) -> None:
        self.now, self.zone, self.taken, self.rng = now, zone, taken, rng
        self.serials: dict[str, int] = {}

    def packing_no(self, at: datetime, preferred: str | None = None) -> str:
        """preferred (or preferred + a letter) if free, else QSP + day + the next free serial."""
        if preferred:
            candidates = [preferred] + [f"{preferred}{c}" for c in "BCDEFGH"]
            return self._claim(next(c for c in candidates if c not in self.taken))
        day = f"{at.astimezone(self.zone):%y%m%d}"
        while True:
            self.serials[day] = self.serials.get(day, 0) + 1
            number = f"QSP{day}{self.serials[day]:04d}"
            if number not in self.taken:
                return self._claim(number)

    def sales_order_no(self, site: str, at: datetime) -> str:
        """A free sales order number in the site's style."""
        while True:
            serial = self.rng.randint(0, 999999)
            number = f"{SITE_PREFIXES[site]}{at.astimezone(self.zone):%y%m%d}{serial:06d}"
            if f"{site}/{number}" not in self.taken:
                return self._claim(f"{site}/{number}").split("/", 1)[1]

    def _claim(self, key: str) -> str:
        self.taken.add(key)
        return key

    def cancelled(self, spec: Spec) -> tuple[Order, SalesOrder | None]:
        """The cancelled order a spec describes, and its sales order (None: the site has none)."""
        at = self.now - timedelta(hours=spec.hours_ago + self.rng.uniform(0, 0.9))
        site = "tmon" if spec.packing_no else self.rng.choice(list(SITE_PREFIXES))
        origin = Origin.API if spec.category is not EXCEL else self.rng.choice(
            (Origin.EXCEL, Origin.MANUAL))
        order = Order(
            packing_no=self.packing_no(at, spec.packing_no), seller_id=self.rng.choice(SELLERS),
            sales_site=site, sales_order_no=self.sales_order_no(site, at), origin=origin,
            state=OrderState.CANCELLED, cancelled_at=at,
            cancelled_by=CancelledBy.SALES_SITE if spec.category is SITE else CancelledBy.SELLER,
            payment_at=self._paid(at, spec.mismatch), recipient=self.rng.choice(RECIPIENTS),
            items=self.rng.choice(ITEMS),
        )
        return order, self._sales_order(order, spec.variant)

    def _paid(self, cancelled_at: datetime, mismatch: bool) -> datetime:
        if mismatch:
            return cancelled_at - timedelta(days=1, hours=self.rng.uniform(1, 30))
        local = cancelled_at.astimezone(self.zone)
        since_midnight = local.hour + local.minute / 60
        back = self.rng.uniform(0.05, 0.95) * min(6.0, since_midnight)
        return cancelled_at - timedelta(hours=back)

    def _sales_order(self, order: Order, variant: str) -> SalesOrder | None:
        if order.origin is not Origin.API or variant in ("absent", "plain", "dup"):
            return None
        status = SalesOrderStatus.VALID if variant in ("valid", "modified", "down") else \
            SalesOrderStatus(variant)
        sales = SalesOrder(order.sales_site, order.sales_order_no, status, order.payment_at,
                           order.recipient, order.items, order.payment_at)
        if variant != "modified":
            return sales
        changed = (order.cancelled_at or self.now) + timedelta(minutes=self.rng.randint(10, 600))
        return SalesOrder(sales.sales_site, sales.sales_order_no, status, order.payment_at,
                          self._other(RECIPIENTS, order.recipient), self._other(ITEMS, order.items),
                          min(changed, self.now))

    def _other(self, choices: tuple[str, ...], current: str) -> str:
        return self.rng.choice([c for c in choices if c != current])

    def active(self, like: Order | None = None, preferred: str | None = None) -> Order:
        """An active order; with like, a live duplicate of it (same seller, site, sales order)."""
        at = self.now - timedelta(hours=self.rng.uniform(1, 72))
        site = like.sales_site if like else self.rng.choice(list(SITE_PREFIXES))
        return Order(
            packing_no=self.packing_no(at, preferred),
            seller_id=like.seller_id if like else self.rng.choice(SELLERS), sales_site=site,
            sales_order_no=like.sales_order_no if like else self.sales_order_no(site, at),
            origin=like.origin if like else self.rng.choice(list(Origin)),
            state=OrderState.ACTIVE, stage=self.rng.choice(list(Stage)),
            payment_at=at, recipient=self.rng.choice(RECIPIENTS), items=self.rng.choice(ITEMS),
        )
