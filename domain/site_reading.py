"""The sales order's current status at the sales site, as the resync request modal tells it.

Rule 5: where the sales site can be asked, the requester sees its answer before asking, and
what a resync would meet now. The job reads the sales site again when it runs (rule 2).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from domain.failures import FailureCode
from domain.model import Order, SalesOrder
from domain.rules import resync_failure


@dataclass(frozen=True)
class SiteReading:
    """What the sales site answered: its sales order (None: it cannot find it), or the
    problem that kept it from answering in time."""

    sales_order: SalesOrder | None = None
    problem: str | None = None


def current_status(order: Order, reading: SiteReading, zone: tzinfo) -> str:
    """One sentence: the sales order's status now and what a resync would meet if it ran now."""
    if reading.problem:
        return (f"The sales site's current status of sales order {order.sales_order_no} could "
                f"not be read ({reading.problem}); the resync reads it again when it runs.")
    where = f"At the sales site now ({order.sales_site}, sales order {order.sales_order_no})"
    failure = resync_failure(order, reading.sales_order, zone)
    if failure is None:
        return f"{where}: the sales order is valid; a resync can go ahead."
    # the detail (the date mismatch) is left to the warning the modal shows below
    status = failure.code.explanation
    if failure.code is FailureCode.CANCELLED_AT_SALES_SITE:
        effect = "a resync now would move this order to Sales Site Order Cancel"
    else:
        effect = "a resync now would fail"
    return f"{where}: {status}; {effect}."
