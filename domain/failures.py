"""Why a resync or restore failed, in plain words, and whether asking again can help."""
from __future__ import annotations

import enum
from dataclasses import dataclass


class FailureCode(str, enum.Enum):
    SALES_ORDER_NOT_FOUND = "sales_order_not_found"
    CANCELLED_AT_SALES_SITE = "cancelled_at_sales_site"
    ON_CLAIM = "on_claim"
    IN_DELIVERY = "in_delivery"
    DUPLICATE_ALIVE = "duplicate_alive"
    WINDOW_CLOSED = "window_closed"
    SITE_NOT_READY = "site_not_ready"
    SERVER_ERROR = "server_error"

    @property
    def retryable(self) -> bool:
        """Whether a new request may be made after this failure (rule 5)."""
        return _RETRYABLE[self]

    @property
    def explanation(self) -> str:
        return _EXPLANATIONS[self]


_RETRYABLE = {
    FailureCode.SALES_ORDER_NOT_FOUND: True,
    FailureCode.CANCELLED_AT_SALES_SITE: False,
    FailureCode.ON_CLAIM: False,
    FailureCode.IN_DELIVERY: False,
    # Once the live duplicate is cancelled the restore can succeed, so asking again can help.
    FailureCode.DUPLICATE_ALIVE: True,
    FailureCode.WINDOW_CLOSED: False,
    FailureCode.SITE_NOT_READY: False,
    FailureCode.SERVER_ERROR: True,
}

_EXPLANATIONS = {
    FailureCode.SALES_ORDER_NOT_FOUND: "the sales site cannot find the sales order",
    FailureCode.CANCELLED_AT_SALES_SITE: "the order was cancelled at the sales site",
    FailureCode.ON_CLAIM: "the sales order is on claim (return, exchange or cancel claim)",
    FailureCode.IN_DELIVERY: "the sales order is already in delivery",
    FailureCode.DUPLICATE_ALIVE: "an active duplicate of the order exists",
    FailureCode.WINDOW_CLOSED: "the 14-day request window closed before the job ran",
    FailureCode.SITE_NOT_READY: "the sales site's service is not ready for resync",
    FailureCode.SERVER_ERROR: "the sales site did not answer (server error)",
}


@dataclass(frozen=True)
class Failure:
    """A failure with its detail (duplicates' packing numbers, the likely cause, ...)."""

    code: FailureCode
    detail: str = ""

    @property
    def retryable(self) -> bool:
        return self.code.retryable

    def describe(self) -> str:
        """The reason in plain words, then whether a new request is allowed."""
        reason = self.code.explanation + (f" ({self.detail})" if self.detail else "")
        advice = "a new request is allowed" if self.retryable else "a new request will not help"
        return f"{reason[0].upper()}{reason[1:]}; {advice}."
