"""Reading the sales site for the request modal, within a time bound.

Slack's trigger_id expires 3 s after the click and the modal cannot open after that, so the
read gets a bound (handlers.deps.SITE_READ_SECONDS): a sales site that answers later, fails or
raises leaves the modal saying that its status could not be read. The read goes on in a daemon
thread until the adapter's own timeout ends it; its answer is then dropped.
"""
from __future__ import annotations

import queue
import threading

from domain.errors import SalesSiteUnavailable
from domain.model import Order
from domain.services import SalesSite
from domain.site_reading import SiteReading


def read_within(sales_site: SalesSite, order: Order, seconds: float) -> SiteReading:
    """The sales order as the sales site has it now, or why it could not be read in time."""
    answers: queue.Queue[SiteReading] = queue.Queue(maxsize=1)

    def read() -> None:
        try:
            answers.put(SiteReading(sales_site.fetch(order.sales_site, order.sales_order_no)))
        except SalesSiteUnavailable as exc:
            answers.put(SiteReading(problem=str(exc)))
        except Exception as exc:  # noqa: BLE001 - whatever it is, the modal must still open
            answers.put(SiteReading(problem=f"the sales site read failed: {type(exc).__name__}"))

    threading.Thread(target=read, name="sales-site-read", daemon=True).start()
    try:
        return answers.get(timeout=seconds)
    except queue.Empty:
        return SiteReading(problem=f"no answer within {seconds:g} s")
