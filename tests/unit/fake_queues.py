"""The in-memory outbox and digest days: leased rows, as the SQL store keeps them."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from domain.job_result import JOB_RESULT
from domain.queues import DigestDay, OutboxMessage
from tests.unit.fake_state import FakeRepo


class FakeOutbox(FakeRepo):
    def add(self, message: OutboxMessage) -> OutboxMessage:
        stored = replace(message, id=self._s.new_id())
        self._s.outbox.append(stored)
        return stored

    def add_many(self, messages: list[OutboxMessage]) -> None:
        for message in messages:
            self.add(message)

    def _find(self, message_id: int) -> int | None:
        return next((i for i, m in enumerate(self._s.outbox) if m.id == message_id), None)

    def _due(self, message: OutboxMessage, now: datetime) -> bool:
        owner, until = self._s.outbox_leases.get(message.stored_id, (None, None))
        return (message.delivered_at is None
                and (message.next_attempt_at is None or message.next_attempt_at <= now)
                and (owner is None or until is None or until <= now))

    def _request_finished(self, message: OutboxMessage) -> bool:
        return message.kind != JOB_RESULT or not any(
            j.request_id == message.request_id and j.state.active for j in self._s.jobs.values())

    def claim_due(
        self, owner: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[OutboxMessage]:
        due = [m for m in self._s.outbox if self._due(m, now)]
        first = [m for m in due if self._request_finished(m)][:limit]
        requests = {m.request_id for m in first}
        taken = first + [m for m in due if m.request_id in requests and m not in first
                         and self._request_finished(m)]
        claimed = []
        for message in sorted(taken, key=lambda m: m.stored_id):
            doubt = (message.attempts > 0
                     or self._s.outbox_leases.get(message.stored_id, (None, None))[0] is not None)
            self._s.outbox_leases[message.stored_id] = (owner, lease_until)
            claimed.append(replace(message, in_doubt=doubt))
        return claimed

    def _held(self, message_id: int, owner: str) -> int | None:
        index = self._find(message_id)
        if index is None or self._s.outbox[index].delivered_at is not None:
            return None
        return index if self._s.outbox_leases.get(message_id, (None, None))[0] == owner else None

    def mark_delivered(
        self, message_id: int, owner: str, at: datetime, message_ts: str | None
    ) -> bool:
        index = self._held(message_id, owner)
        if index is None:
            return False
        self._s.outbox[index] = replace(self._s.outbox[index], delivered_at=at)
        self._s.outbox_leases[message_id] = (owner, None)
        return True

    def mark_failed(
        self, message_id: int, owner: str, error: str, next_attempt_at: datetime
    ) -> bool:
        index = self._held(message_id, owner)
        if index is None:
            return False
        message = self._s.outbox[index]
        self._s.outbox[index] = replace(message, attempts=message.attempts + 1,
                                        last_error=error[:2000], next_attempt_at=next_attempt_at)
        self._s.outbox_leases[message_id] = (None, None)
        return True

    def release(self, message_id: int, owner: str, in_doubt: bool = False) -> bool:
        if self._held(message_id, owner) is None:
            return False
        self._s.outbox_leases[message_id] = (owner if in_doubt else None, None)
        return True

    def pending(self, limit: int = 50) -> list[OutboxMessage]:
        return [m for m in self._s.outbox if m.delivered_at is None][:limit]


class FakeDigests(FakeRepo):
    def claim(self, day: str, owner: str, now: datetime, stale_before: datetime) -> bool:
        held = self._s.digests.get(day)
        if held is not None and (held.done_at is not None or held.claimed_at > stale_before):
            return False
        self._s.digests[day] = DigestDay(day, owner, now)
        return True

    def _unsettled(self, day: str, owner: str) -> DigestDay | None:
        held = self._s.digests.get(day)
        return held if held and held.claimed_by == owner and held.done_at is None else None

    def done(self, day: str, owner: str, at: datetime, channel_id: str | None = None,
             message_ts: str | None = None) -> bool:
        held = self._unsettled(day, owner)
        if held is None:
            return False
        self._s.digests[day] = replace(held, done_at=at, channel_id=channel_id,
                                       message_ts=message_ts)
        return True

    def release(self, day: str, owner: str) -> bool:
        if self._unsettled(day, owner) is None:
            return False
        del self._s.digests[day]
        return True

    def get(self, day: str) -> DigestDay | None:
        return self._s.digests.get(day)
