"""The export of a whole filtered list (every page, up to EXPORT_LIMIT orders) as CSV rows.

The rows are text cells; a cell that a spreadsheet would read as a formula (starting with =, +,
- or @) is prefixed with ' so that opening the file runs nothing (rule 15).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo

from domain import window
from domain.ports import Listed, ListQuery, UnitOfWork, total_from_counts
from domain.status import StatusContext

EXPORT_LIMIT = 100_000
EXPORT_PAGE = 2_000  # orders read per query
FORMULA_STARTS = ("=", "+", "-", "@")
COLUMNS = (
    "packing_no", "status", "category", "seller_id", "sales_site", "sales_order_no", "origin",
    "cancelled_by", "cancelled_at", "deadline", "payment_at", "recipient", "items",
    "superseded_by",
)


def safe_cell(value: str) -> str:
    """The cell as written to the file: a formula-looking value gets a leading '."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


@dataclass(frozen=True)
class Export:
    """How many orders match, how many the file holds, and its rows (read lazily)."""

    total: int
    count: int
    rows: Iterator[list[str]]

    @property
    def truncated(self) -> bool:
        return self.total > self.count


def export_total(uow: UnitOfWork, query: ListQuery, ctx: StatusContext) -> int:
    """How many orders match query (all pages)."""
    return total_from_counts(uow.orders.counts(query, ctx), query)


def export_orders(uow_factory: Callable[[], UnitOfWork], query: ListQuery, ctx: StatusContext,
                  limit: int = EXPORT_LIMIT, page_size: int = EXPORT_PAGE) -> Export:
    """Every order matching query (ignoring its page), newest cancellation first, as the list
    shows them. The rows are read page by page while the caller writes them, each page in a
    unit of work of its own, so that a big export holds no lock for long (on SQLite a
    transaction holds the write lock)."""
    with uow_factory() as uow:
        total = export_total(uow, query, ctx)
    count = min(total, limit)
    return Export(total, count, _rows(uow_factory, replace(query, page=0, page_size=page_size),
                                      ctx, count))


def _rows(uow_factory: Callable[[], UnitOfWork], query: ListQuery, ctx: StatusContext,
          count: int) -> Iterator[list[str]]:
    written = 0
    page = 0
    while written < count:
        with uow_factory() as uow:
            listed = uow.orders.page(replace(query, page=page), ctx, total=count).items
        if not listed:
            return
        for item in listed[:count - written]:
            yield row(item, ctx.zone)
        written += len(listed)
        page += 1


def row(item: Listed, zone: tzinfo) -> list[str]:
    """One order's cells, times in the business time zone (ISO 8601 with offset)."""
    order = item.order
    cells = [
        order.packing_no, item.status.label, order.tab.label, order.seller_id,
        order.sales_site, order.sales_order_no, order.origin.value,
        order.cancelled_by.value if order.cancelled_by else "",
        _iso(order.cancelled_at, zone),
        _iso(window.deadline(order.when_cancelled, zone), zone),
        _iso(order.payment_at, zone), order.recipient, order.items, order.superseded_by or "",
    ]
    return [safe_cell(c) for c in cells]


def _iso(value: datetime | None, zone: tzinfo) -> str:
    return value.astimezone(zone).isoformat(timespec="seconds") if value else ""
