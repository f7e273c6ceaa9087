"""The digests table on SQLite and PostgreSQL: one claim per business day, given back on failure."""
from __future__ import annotations

from datetime import timedelta

from tests.integration.builders import NOW

DAY = "2026-11-26"
LEASE = timedelta(minutes=10)


def _do(uow, action):
    with uow() as u:
        result = action(u.digests)
        u.commit()
    return result


def _claim(uow, owner: str, now=NOW, day: str = DAY) -> bool:
    return _do(uow, lambda d: d.claim(day, owner, now, now - LEASE))


def test_only_the_first_claim_of_a_day_wins_and_the_next_day_is_free(uow):
    assert _claim(uow, "bot-1")
    assert not _claim(uow, "bot-2")
    assert _claim(uow, "bot-2", NOW + timedelta(days=1), "2026-11-27")

    record = _do(uow, lambda d: d.get(DAY))
    assert (record.claimed_by, record.claimed_at, record.done_at) == ("bot-1", NOW, None)


def test_a_settled_day_keeps_its_message_and_is_never_claimed_again(uow):
    _claim(uow, "bot-1")
    assert _do(uow, lambda d: d.done(DAY, "bot-1", NOW, "C0APPROVALS", "1764118801.000001"))

    assert not _claim(uow, "bot-2", NOW + timedelta(hours=5))
    assert not _do(uow, lambda d: d.release(DAY, "bot-1"))
    record = _do(uow, lambda d: d.get(DAY))
    assert (record.done_at, record.channel_id, record.message_ts) == (
        NOW, "C0APPROVALS", "1764118801.000001")


def test_a_day_given_back_can_be_claimed_by_another_try(uow):
    _claim(uow, "bot-1")

    assert not _do(uow, lambda d: d.release(DAY, "bot-2"))  # only the owner gives it back
    assert _do(uow, lambda d: d.release(DAY, "bot-1"))

    assert _do(uow, lambda d: d.get(DAY)) is None
    assert _claim(uow, "bot-2", NOW + timedelta(minutes=5))


def test_a_claim_never_settled_is_taken_over_once_its_lease_ran_out(uow):
    _claim(uow, "bot-1")

    assert not _claim(uow, "bot-2", NOW + LEASE - timedelta(seconds=1))
    assert _claim(uow, "bot-2", NOW + LEASE)
    assert not _claim(uow, "bot-3", NOW + LEASE)

    assert not _do(uow, lambda d: d.done(DAY, "bot-1", NOW + LEASE))
    assert _do(uow, lambda d: d.done(DAY, "bot-2", NOW + LEASE))
    assert _do(uow, lambda d: d.get(DAY)).claimed_by == "bot-2"
