"""The pure parts of recoveries at the order service: when to look again, which answers can be
written to the book, and how a waiting job is shown in `jobs`."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.console.render import plain_text
from domain.failures import Failure, FailureCode
from domain.lookup import JobsOverview
from domain.model import Action
from domain.remote_recovery import PollPolicy, mismatch
from domain.requests import Job, JobState
from domain.services import RemoteRecovery, RemoteState
from handlers.render.jobs import jobs_message
from tests.datetokens import fallbacks
from tests.unit.fakes import KST, SEOUL
from tests.unit.test_render_history_jobs_usage import shown

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=KST)
POLICY = PollPolicy(interval=timedelta(seconds=5), timeout=timedelta(hours=24))


@pytest.mark.parametrize("errors, after", [
    (0, 5), (1, 10), (2, 20), (3, 40), (6, 300), (7, 300), (10**6, 300),
])
def test_the_next_look_backs_off_by_doubling_up_to_five_minutes(errors, after):
    assert POLICY.next_look(NOW, errors) == NOW + timedelta(seconds=after)


def test_a_poll_interval_longer_than_the_cap_is_kept():
    slow = PollPolicy(interval=timedelta(minutes=10), timeout=timedelta(hours=1))
    assert slow.next_look(NOW, 3) == NOW + timedelta(minutes=10)


def job(action: Action = Action.RESYNC, recovery_id: str | None = "rcv-1") -> Job:
    return Job(1, 2, "QSP2611230001", action, JobState.WAITING, recovery_id=recovery_id, id=3)


def answer(state: RemoteState = RemoteState.SUCCEEDED, **fields: object) -> RemoteRecovery:
    values: dict[str, object] = dict(id="rcv-1", packing_no="QSP2611230001",
                                     new_packing_no="SSP0000001")
    values.update(fields)
    return RemoteRecovery(state=state, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize("seen, said", [
    (answer(id="rcv-2"), "asked about recovery rcv-1, the order service answered about rcv-2"),
    (answer(packing_no="QSP0000000009"), "is for packing number QSP0000000009, not QSP26"),
    (answer(new_packing_no=None), "succeeded but gives no new packing number"),
    (answer(new_packing_no="QSP2611230001"), "succeeded but gives no new packing number"),
    (answer(RemoteState.FAILED), "failed but gives no failure"),
], ids=["other-id", "other-order", "no-new-number", "same-number", "failed-without-failure"])
def test_an_answer_that_cannot_be_the_jobs_recovery_is_named(seen, said):
    assert said in str(mismatch(job(), seen))


@pytest.mark.parametrize("the_job, seen", [
    (job(), answer()),
    (job(recovery_id=None), answer(id="rcv-9")),  # a POST's answer names the id first
    (job(Action.RESTORE), answer(new_packing_no=None)),
    (job(), answer(RemoteState.PENDING, packing_no=None, new_packing_no=None)),
    (job(), answer(RemoteState.FAILED, failure=Failure(FailureCode.ON_CLAIM))),
])
def test_answers_about_the_jobs_own_recovery_are_usable(the_job, seen):
    assert mismatch(the_job, seen) is None


def waiting_job() -> Job:
    return Job(4, 5, "QSP2611230001", Action.RESYNC, JobState.WAITING, attempts=1, id=6,
               recovery_id="rcv-<1>", waiting_since=NOW, service_errors=2,
               last_error="the order service answered 503",
               next_poll_at=NOW + timedelta(seconds=20))


def test_a_waiting_job_says_where_it_stands_in_slack():
    text = fallbacks(shown(jobs_message(JobsOverview([waiting_job()], []), SEOUL)))

    assert ("• #6 resync `QSP2611230001` (request #4): waiting on the order service since "
            "2026-11-26 10:00 KST (recovery rcv-&lt;1&gt;), 2 errors in a row, last: the order "
            "service answered 503; next look 2026-11-26 10:00 KST") in text


def test_a_waiting_job_not_yet_accepted_says_so_on_the_command_line():
    fresh = Job(4, 5, "ACC000001", Action.RESTORE, JobState.WAITING, attempts=1, id=6,
                waiting_since=NOW, next_poll_at=NOW)

    text = plain_text(jobs_message(JobsOverview([fresh], []), SEOUL).blocks)

    assert ("• #6 restore `ACC000001` (request #4): waiting on the order service since "
            "2026-11-26 10:00 KST (not yet accepted); next look 2026-11-26 10:00 KST") in text
