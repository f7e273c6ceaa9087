"""Why a resync or restore failed, in plain words, and what to check before asking again.

Rule 5: a failed job leaves a new request possible, whatever made it fail, while the 14-day
window is open. Two failures are the exceptions: a sales order found cancelled at the sales
site moves the order to Sales Site Order Cancel (no action, ever), and a job that ran after
the window closed leaves nothing to request.
"""
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
        """Whether a new request may follow this failure (rule 5), window and site permitting."""
        return self not in (FailureCode.CANCELLED_AT_SALES_SITE, FailureCode.WINDOW_CLOSED)

    @property
    def explanation(self) -> str:
        """What went wrong, as the end of 'the resync failed because …'."""
        return _EXPLANATIONS[self]

    @property
    def advice(self) -> str:
        """What to check first, and whether a new request is allowed."""
        return _ADVICE[self]


_EXPLANATIONS = {
    FailureCode.SALES_ORDER_NOT_FOUND: "the sales site cannot find the sales order",
    FailureCode.CANCELLED_AT_SALES_SITE: "the sales order was cancelled at the sales site",
    FailureCode.ON_CLAIM: "the sales order is on claim (return, exchange or cancel claim)",
    FailureCode.IN_DELIVERY: "the sales order is already in delivery",
    FailureCode.DUPLICATE_ALIVE: "an active duplicate of the order exists",
    FailureCode.WINDOW_CLOSED: "the 14-day request window closed before the job ran",
    FailureCode.SITE_NOT_READY: "the sales site's service is not ready for resync",
    FailureCode.SERVER_ERROR: "a server error stopped the job",
}

_ADVICE = {
    FailureCode.SALES_ORDER_NOT_FOUND: (
        "check on the sales site that the sales order exists under its number; "
        "a new request is allowed"),
    FailureCode.CANCELLED_AT_SALES_SITE: (
        "the order moved to the Sales Site Order Cancel tab and can no longer be resynced "
        "or restored"),
    FailureCode.ON_CLAIM: (
        "check the claim on the sales site first: once it is withdrawn or closed, "
        "a new request is allowed"),
    FailureCode.IN_DELIVERY: (
        "check the delivery on the sales site first: once it is called off, "
        "a new request is allowed"),
    FailureCode.DUPLICATE_ALIVE: (
        "check the duplicates first: once they are cancelled, a new request is allowed"),
    FailureCode.WINDOW_CLOSED: "no new request can be made",
    FailureCode.SITE_NOT_READY: "a new request is allowed once the service is ready",
    FailureCode.SERVER_ERROR: (
        "check the order status on the sales site; a new request is allowed"),
}


@dataclass(frozen=True)
class Failure:
    """A failure with its detail (duplicates' packing numbers, the likely cause, ...)."""

    code: FailureCode
    detail: str = ""

    @property
    def retryable(self) -> bool:
        return self.code.retryable

    @property
    def moves_to_site_cancel(self) -> bool:
        """A resync that found the sales order cancelled moves the order to its tab (rule 5)."""
        return self.code is FailureCode.CANCELLED_AT_SALES_SITE

    def describe(self) -> str:
        """The reason in plain words, then what to check first and whether to ask again."""
        reason = self.code.explanation + (f" ({self.detail})" if self.detail else "")
        return f"{_capitalized(reason)}. {_capitalized(self.code.advice)}."


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]
