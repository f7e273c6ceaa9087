"""The in-memory order feed ledger: the feed's row and problems, as store/feed_ledger.py
keeps them."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from domain.feed_ledger import FeedProblem, FeedState
from tests.unit.fake_state import FakeRepo


class FakeFeedLedger(FakeRepo):
    """The order feed's row and problems, as store/feed_ledger.py keeps them."""

    def take_lease(self, owner: str, now: datetime, lease_until: datetime) -> bool:
        if lease_until <= now:
            raise ValueError("a lease must end after it is taken")
        feed = self._s.feed
        if feed.lease_expires_at is not None and feed.lease_expires_at > now \
                and feed.lease_owner != owner:
            return False
        self._s.feed = replace(feed, lease_owner=owner, lease_expires_at=lease_until)
        return True

    def advance(self, since: str, next_cursor: str, owner: str, lease_until: datetime,
                records: int) -> bool:
        feed = self._s.feed
        if feed.lease_owner != owner or feed.lease_expires_at is None or feed.cursor != since:
            return False
        self._s.feed = replace(feed, cursor=next_cursor, lease_expires_at=lease_until,
                               pages=feed.pages + 1, records=feed.records + records)
        return True

    def finish(self, owner: str, at: datetime, error: str = "") -> bool:
        feed = self._s.feed
        if feed.lease_owner != owner or feed.lease_expires_at is None:
            return False
        if error:
            self._s.feed = replace(feed, lease_expires_at=None, last_error=error,
                                   last_error_at=at)
        else:
            self._s.feed = replace(feed, lease_expires_at=None, last_error="",
                                   last_success_at=at)
        return True

    def state(self) -> FeedState:
        return self._s.feed

    def add_problem(self, problem: FeedProblem) -> None:
        self._s.feed_problems.append(replace(problem, id=self._s.new_id()))

    def problems(self, limit: int = 20) -> list[FeedProblem]:
        return list(reversed(self._s.feed_problems))[:limit]

    def problem_count(self) -> int:
        return len(self._s.feed_problems)

    def resolve_problems(self, packing_nos: Sequence[str]) -> int:
        resolved = set(packing_nos)
        kept = [p for p in self._s.feed_problems if p.packing_no not in resolved]
        forgotten = len(self._s.feed_problems) - len(kept)
        self._s.feed_problems = kept
        return forgotten
