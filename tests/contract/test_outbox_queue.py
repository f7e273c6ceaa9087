"""The outbox as a queue on SQLite and PostgreSQL: leases, retries, doubt and what is pending."""
from __future__ import annotations

from datetime import timedelta

from domain.job_result import JOB_RESULT
from domain.model import Action
from domain.queues import OutboxMessage
from domain.reminders import REMINDER
from domain.requests import Request
from tests.contract.test_requests_and_jobs import requested
from tests.integration.builders import NOW

LEASE = timedelta(minutes=5)


def _request_with_messages(uow, count: int = 1) -> list[int]:
    """A request and count outbox rows for it, committed; the rows' ids."""
    with uow() as u:
        request = u.requests.add(Request(Action.RESYNC, "UREQUESTER", NOW))
        ids = [u.outbox.add(OutboxMessage(request.stored_id, JOB_RESULT, {"job_id": n}, NOW)).id
               for n in range(count)]
        u.commit()
    return ids


def _claim(uow, owner: str, now=NOW, limit: int = 10) -> list[OutboxMessage]:
    with uow() as u:
        claimed = u.outbox.claim_due(owner, now, now + LEASE, limit)
        u.commit()
    return claimed


def _do(uow, action):
    with uow() as u:
        result = action(u.outbox)
        u.commit()
    return result


def test_a_claimed_message_is_not_claimed_again_until_its_lease_runs_out(uow):
    [mid] = _request_with_messages(uow)

    [first] = _claim(uow, "bot-1")
    assert (first.id, first.in_doubt, first.attempts) == (mid, False, 0)
    assert _claim(uow, "bot-2", NOW + LEASE - timedelta(seconds=1)) == []

    [taken_over] = _claim(uow, "bot-2", NOW + LEASE)
    assert taken_over.id == mid
    assert taken_over.in_doubt  # bot-1 may have posted before it stopped
    assert not _do(uow, lambda o: o.mark_delivered(mid, "bot-1", NOW, "1.1"))
    assert _do(uow, lambda o: o.mark_delivered(mid, "bot-2", NOW + LEASE, "1.2"))


def test_a_delivered_message_is_never_claimed_again_nor_pending(uow):
    [mid] = _request_with_messages(uow)
    _claim(uow, "bot-1")
    _do(uow, lambda o: o.mark_delivered(mid, "bot-1", NOW, "1700000000.000100"))

    assert _claim(uow, "bot-2", NOW + timedelta(days=1)) == []
    assert _do(uow, lambda o: o.pending()) == []


def test_a_failed_message_waits_for_its_retry_time_with_its_attempts_and_error(uow):
    [mid] = _request_with_messages(uow)
    _claim(uow, "bot-1")
    retry_at = NOW + timedelta(seconds=30)
    assert _do(uow, lambda o: o.mark_failed(mid, "bot-1", "chat.postMessage: HTTP 500", retry_at))

    [pending] = _do(uow, lambda o: o.pending())
    assert (pending.attempts, pending.last_error, pending.next_attempt_at) == (
        1, "chat.postMessage: HTTP 500", retry_at)
    assert _claim(uow, "bot-2", retry_at - timedelta(seconds=1)) == []
    [again] = _claim(uow, "bot-2", retry_at)
    assert (again.attempts, again.in_doubt) == (1, True)


def test_only_the_lease_holder_can_fail_or_release_a_message(uow):
    [mid] = _request_with_messages(uow)
    _claim(uow, "bot-1")

    assert not _do(uow, lambda o: o.mark_failed(mid, "bot-2", "x", NOW))
    assert not _do(uow, lambda o: o.release(mid, "bot-2"))
    assert _do(uow, lambda o: o.pending())[0].attempts == 0


def test_a_released_message_is_due_at_once_and_keeps_its_doubt_only_when_asked(uow):
    [mid] = _request_with_messages(uow)
    _claim(uow, "bot-1")
    assert _do(uow, lambda o: o.release(mid, "bot-1"))

    [clean] = _claim(uow, "bot-2")
    assert (clean.in_doubt, clean.attempts) == (False, 0)
    assert _do(uow, lambda o: o.release(mid, "bot-2", in_doubt=True))
    [doubted] = _claim(uow, "bot-3")
    assert (doubted.in_doubt, doubted.attempts) == (True, 0)


def test_a_claim_takes_every_due_message_of_the_requests_it_touches(uow):
    bulk = _request_with_messages(uow, 3)
    other = _request_with_messages(uow, 1)

    claimed = _claim(uow, "bot-1", limit=1)

    assert [m.id for m in claimed] == bulk
    assert [m.id for m in _claim(uow, "bot-2", limit=1)] == other


def test_pending_lists_undelivered_messages_oldest_first(uow):
    ids = _request_with_messages(uow, 3)
    _claim(uow, "bot-1")
    _do(uow, lambda o: o.mark_delivered(ids[1], "bot-1", NOW, "1.1"))

    assert [m.id for m in _do(uow, lambda o: o.pending())] == [ids[0], ids[2]]
    assert [m.id for m in _do(uow, lambda o: o.pending(limit=1))] == [ids[0]]


def test_a_long_error_is_kept_shortened(uow):
    [mid] = _request_with_messages(uow)
    _claim(uow, "bot-1")
    _do(uow, lambda o: o.mark_failed(mid, "bot-1", "x" * 5000, NOW))

    assert len(_do(uow, lambda o: o.pending())[0].last_error) == 2000


def test_a_result_waits_for_its_requests_last_job_but_a_reminder_does_not(uow):
    [job] = requested(uow, 1)  # approved: queued, not run yet
    with uow() as u:
        u.outbox.add(OutboxMessage(job.request_id, JOB_RESULT, {"job_id": job.stored_id}, NOW))
        u.outbox.add(OutboxMessage(job.request_id, REMINDER, {}, NOW))
        u.commit()

    assert [m.kind for m in _claim(uow, "bot-1")] == [REMINDER]
    assert _claim(uow, "bot-2") == []
