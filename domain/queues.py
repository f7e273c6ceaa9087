"""The outbox's thread messages and the digest's claimed days: rows leased to one poller at a
time, as small Protocols."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from domain.model import Stored


@dataclass(frozen=True)
class OutboxMessage(Stored):
    """A message to post into a request's thread, written with the change it reports."""

    request_id: int
    kind: str
    payload: dict[str, Any]
    created_at: datetime
    id: int | None = None
    attempts: int = 0  # failed deliveries so far
    last_error: str = ""
    delivered_at: datetime | None = None
    next_attempt_at: datetime | None = None  # None: due now
    # set by claim_due when an earlier attempt may have reached Slack (a failure, or a lease
    # that ran out unresolved): the deliverer looks in the thread before posting again
    in_doubt: bool = False


class Outbox(Protocol):
    def add(self, message: OutboxMessage) -> OutboxMessage: ...
    def add_many(self, messages: list[OutboxMessage]) -> None: ...

    def claim_due(
        self, owner: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[OutboxMessage]:
        """Lease undelivered, due rows to owner (with the due rows of the same requests)."""
        ...

    def mark_delivered(
        self, message_id: int, owner: str, at: datetime, message_ts: str | None
    ) -> bool:
        """Record delivery; False when owner no longer holds the lease."""
        ...

    def mark_failed(
        self, message_id: int, owner: str, error: str, next_attempt_at: datetime
    ) -> bool:
        """Count a failed attempt, keep its error and free the row until next_attempt_at."""
        ...

    def release(self, message_id: int, owner: str, in_doubt: bool = False) -> bool:
        """Give a claimed row back untouched (not an attempt); in_doubt keeps it doubted."""
        ...

    def pending(self, limit: int = 50) -> list[OutboxMessage]:
        """Undelivered messages, oldest first, with their attempts and last error."""
        ...


@dataclass(frozen=True)
class DigestDay:
    """Who claimed a business day's digest, and what became of it."""

    day: str  # YYYY-MM-DD in the business time zone
    claimed_by: str
    claimed_at: datetime
    done_at: datetime | None = None  # posted, or found nothing to post
    channel_id: str | None = None
    message_ts: str | None = None  # None when done: nothing closed soon


class Digests(Protocol):
    def claim(self, day: str, owner: str, now: datetime, stale_before: datetime) -> bool:
        """Take the day: a new row, or one claimed before stale_before and never done."""
        ...

    def done(self, day: str, owner: str, at: datetime, channel_id: str | None = None,
             message_ts: str | None = None) -> bool:
        """Settle owner's claim (with the message posted, if any); False if not owner's."""
        ...

    def release(self, day: str, owner: str) -> bool:
        """Give back owner's unsettled claim, so that another try can take the day."""
        ...

    def get(self, day: str) -> DigestDay | None: ...
