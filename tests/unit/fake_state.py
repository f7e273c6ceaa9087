"""The in-memory store's state and the base of its repositories (tests/unit/fakes.py)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from domain.feed_ledger import FeedProblem, FeedState
from domain.model import Order
from domain.ports import AuditEvent
from domain.queues import DigestDay, OutboxMessage
from domain.requests import Job, Request


@dataclass
class FakeState:
    orders: dict[int, Order] = field(default_factory=dict)
    requests: dict[int, Request] = field(default_factory=dict)
    jobs: dict[int, Job] = field(default_factory=dict)
    audit: list[AuditEvent] = field(default_factory=list)
    outbox: list[OutboxMessage] = field(default_factory=list)
    next_id: int = 1
    # job id: owner, until (None: the owner let go, as the store's lease_expires_at NULL)
    leases: dict[int, tuple[str, datetime | None]] = field(default_factory=dict)
    # outbox message id: owner (kept after a release in doubt), until
    outbox_leases: dict[int, tuple[str | None, datetime | None]] = field(default_factory=dict)
    digests: dict[str, DigestDay] = field(default_factory=dict)
    database_id: str = "fake-database"
    feed: FeedState = field(default_factory=FeedState)
    feed_problems: list[FeedProblem] = field(default_factory=list)

    def copy(self) -> FakeState:
        return replace(self, orders=dict(self.orders), requests=dict(self.requests),
                       jobs=dict(self.jobs), audit=list(self.audit), outbox=list(self.outbox),
                       leases=dict(self.leases), outbox_leases=dict(self.outbox_leases),
                       digests=dict(self.digests), feed_problems=list(self.feed_problems))

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


class HoldsState(Protocol):
    state: FakeState


class FakeRepo:
    def __init__(self, uow: HoldsState) -> None:
        self._uow = uow

    @property
    def _s(self) -> FakeState:
        return self._uow.state
