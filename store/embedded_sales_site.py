"""The sales site in our own database: the SalesSite used when no SALES_SITE_API_URL is set."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.model import SalesOrder
from store.mapping import to_sales_order
from store.models import SalesOrderRow


class EmbeddedSalesSite:
    """The sales site kept in our own database, loaded by `cancelbot import sales-orders`."""

    def __init__(
        self, session_factory: Callable[[], Session], sites_not_ready: frozenset[str] = frozenset()
    ) -> None:
        self.session_factory = session_factory
        self._not_ready = frozenset(s.lower() for s in sites_not_ready)

    def fetch(self, sales_site: str, sales_order_no: str) -> SalesOrder | None:
        with self.session_factory() as session:
            row = session.scalars(
                select(SalesOrderRow).where(
                    SalesOrderRow.sales_site == sales_site,
                    SalesOrderRow.sales_order_no == sales_order_no,
                )
            ).first()
            return to_sales_order(row) if row else None

    def sites_not_ready(self) -> frozenset[str]:
        return self._not_ready
