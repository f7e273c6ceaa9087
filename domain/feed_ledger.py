"""The order feed's ledger: its cursor, lease and last outcome, and the records it could not
apply, as a small Protocol."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class FeedProblem:
    """A record of the order feed that could not be applied; kept, and the feed goes on."""

    packing_no: str  # as the record gave it (shown, cut short), "" when it had none
    reason: str
    seen_at: datetime
    cursor: str = ""  # the `since` of the page it came in
    id: int | None = None


@dataclass(frozen=True)
class FeedState:
    """Where the order feed stands: its cursor, who polls it now, and how the last poll went."""

    cursor: str = ""  # opaque; empty before the first page
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    last_success_at: datetime | None = None  # the last poll that reached the feed's end
    last_error: str = ""  # the last poll's error; "" once a poll succeeds again
    last_error_at: datetime | None = None
    pages: int = 0  # pages applied since the first
    records: int = 0  # records applied since the first

    @property
    def ever_polled(self) -> bool:
        return bool(self.cursor or self.pages or self.last_success_at or self.last_error)


class FeedLedger(Protocol):
    """The order feed's one row (cursor, lease, last outcome) and its problems.

    One poller at a time holds the lease; a page is applied in the transaction that moves the
    cursor from the page's `since` to its `next`, so no page is applied twice."""

    def take_lease(self, owner: str, now: datetime, lease_until: datetime) -> bool:
        """Lease the feed to owner unless another owner's lease is still live at now."""
        ...

    def advance(self, since: str, next_cursor: str, owner: str, lease_until: datetime,
                records: int) -> bool:
        """Move the cursor from since to next_cursor (locking the row until commit) while owner
        holds the lease, renewing it; False, and nothing moved, otherwise."""
        ...

    def finish(self, owner: str, at: datetime, error: str = "") -> bool:
        """End owner's lease, recording the poll's outcome: success, or error."""
        ...

    def state(self) -> FeedState: ...
    def add_problem(self, problem: FeedProblem) -> None: ...

    def problems(self, limit: int = 20) -> list[FeedProblem]:
        """The newest problems first."""
        ...

    def problem_count(self) -> int: ...

    def resolve_problems(self, packing_nos: Sequence[str]) -> int:
        """Forget the problems kept for these packing numbers (a good copy of each came later);
        how many were forgotten."""
        ...
