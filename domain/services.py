"""The ports of the systems outside cancelbot's database, as small Protocols: the sales site,
Smartship's order service (recoveries) and its order feed."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from domain.failures import Failure
from domain.model import Action, Order, SalesOrder


class RemoteState(str, enum.Enum):
    """A recovery's state at the order service."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class RecoveryAsk:
    """What `POST /recoveries` sends: the same key always names the same recovery."""

    action: Action
    packing_no: str
    idempotency_key: str


@dataclass(frozen=True)
class RemoteRecovery:
    """A recovery as the order service reports it."""

    id: str
    state: RemoteState
    packing_no: str | None = None
    new_packing_no: str | None = None  # a successful resync's
    failure: Failure | None = None  # a failed one's, its code mapped to ours


class RecoveryService(Protocol):
    """Smartship's order service, which carries a resync or restore out when
    CANCELBOT_RECOVERY_API_URL is set. Without it the embedded adapter is the book itself:
    domain/execution.py changes cancelbot's own orders in the job's transaction."""

    def start(self, ask: RecoveryAsk) -> RemoteRecovery:
        """Start the recovery ask names, or find the one its key already started;
        RecoveryServiceUnavailable when there is no usable answer."""
        ...

    def status(self, recovery_id: str) -> RemoteRecovery:
        """The recovery's state now; RecoveryServiceUnavailable when there is no usable answer."""
        ...


@dataclass(frozen=True)
class RecordProblem:
    """Why one record of a feed page cannot be applied."""

    packing_no: str  # as the record gave it (shown, cut short), "" when it had none
    reason: str


@dataclass(frozen=True)
class FeedPage:
    """One page of the order feed: its good records, checked as CSV rows are, and the bad."""

    records: list[Order]
    problems: list[RecordProblem]
    next_cursor: str
    has_more: bool


class OrderFeed(Protocol):
    """Smartship's order feed (CANCELBOT_ORDER_FEED_URL): the orders changed since a cursor."""

    def page(self, since: str, limit: int) -> FeedPage:
        """Up to limit records after the cursor since ("" the first time);
        FeedUnavailable when there is no usable answer."""
        ...


class SalesSite(Protocol):
    def fetch(self, sales_site: str, sales_order_no: str) -> SalesOrder | None:
        """The sales order, None if the site cannot find it; SalesSiteUnavailable if no answer."""
        ...

    def sites_not_ready(self) -> frozenset[str]: ...
