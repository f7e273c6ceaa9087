"""History, jobs and usage messages: what they say, and that long ones still fit Block Kit."""
from __future__ import annotations

from datetime import timedelta

from domain.feed_ledger import FeedProblem, FeedState
from domain.job_result import JOB_RESULT
from domain.lookup import JobsOverview
from domain.model import Action
from domain.ports import AuditEvent
from domain.queues import OutboxMessage
from domain.requests import Job, JobState
from handlers.render.history import history_message
from handlers.render.jobs import jobs_message
from handlers.render.usage import usage_message
from tests.blockkit_limits import assert_message_fits
from tests.datetokens import fallbacks
from tests.integration.builders import NOW, SEOUL, cancelled


def shown(rendered) -> str:
    return fallbacks("\n".join(b["text"]["text"] for b in rendered.blocks if "text" in b))


def events(n: int, detail: str = "") -> list[AuditEvent]:
    return [AuditEvent(NOW + timedelta(minutes=i), "U0PERSON", "requested", "QSP1", i, i,
                       detail or f"note {i}") for i in range(n)]


def test_a_short_history_shows_every_event_oldest_first():
    rendered = history_message(cancelled("QSP1"), events(3), SEOUL)

    lines = shown(rendered).splitlines()
    assert lines[0] == "*History of QSP1*"
    assert [line.rsplit(": ", 1)[1] for line in lines[1:]] == ["note 0", "note 1", "note 2"]
    assert "earlier" not in shown(rendered)


def test_a_huge_history_keeps_the_latest_events_and_fits():
    rendered = history_message(cancelled("QSP1"), events(5000, "<&>" * 1000), SEOUL)

    assert_message_fits(rendered.text, rendered.blocks)
    lines = shown(rendered).splitlines()
    assert lines[1].startswith("_…and ") and lines[1].endswith("earlier events_")
    assert int(lines[1].split()[1]) + len(lines) - 2 == 5000
    assert "(QSP1, request #4999, job #4999)" in lines[-1]


def test_actors_that_are_slack_users_are_mentioned():
    event = AuditEvent(NOW, "UREQ1", "requested", "QSP1")
    bot = AuditEvent(NOW, "cancelbot", "succeeded", "QSP1")

    text = shown(history_message(cancelled("QSP1"), [event, bot], SEOUL))

    assert "by <@UREQ1>" in text and "by cancelbot" in text


def test_a_thousand_jobs_and_results_fit_with_the_rest_counted():
    jobs = [Job(i, i, f"QSP{i:010d}", Action.RESYNC, JobState.RUNNING, attempts=3, id=i)
            for i in range(1000)]
    undelivered = [OutboxMessage(i, JOB_RESULT, {"packing_no": "<" * 500}, NOW, id=i,
                                 attempts=7, last_error="<&>" * 3000,
                                 next_attempt_at=NOW + timedelta(minutes=2))
                   for i in range(1000)]

    rendered = jobs_message(JobsOverview(jobs, undelivered), SEOUL)

    assert_message_fits(rendered.text, rendered.blocks)
    text = shown(rendered)
    assert "*Jobs queued or running: 1000*" in text and "more jobs." in text
    assert "*Results not yet in their Slack thread: 1000*" in text and "more results." in text
    assert "7 failed attempts, last error: &lt;&amp;&gt;" in text
    assert "next try 2026-11-26 10:02 KST" in text


def test_no_work_in_flight_says_zero_of_each():
    text = shown(jobs_message(JobsOverview([], []), SEOUL))

    assert "*Jobs queued or running: 0*" in text
    assert "*Results not yet in their Slack thread: 0*" in text


def test_the_order_feed_shows_its_state_last_error_and_newest_problems():
    feed = FeedState("r42", last_success_at=NOW, last_error="the order feed answered 503",
                     last_error_at=NOW + timedelta(minutes=1), pages=3, records=42)
    problems = [FeedProblem("QSP7", 'origin: "fax" is not one of api, excel, manual', NOW),
                FeedProblem("", "the record is not a JSON object", NOW)]

    text = shown(jobs_message(JobsOverview([], [], feed, problems, 2), SEOUL))

    assert ("*Order feed:* last success 2026-11-26 10:00 KST; cursor `r42`; 42 records in 3 "
            "pages applied") in text
    assert ("last error 2026-11-26 10:01 KST: the order feed answered 503; asked again next "
            "tick") in text
    assert "*Order feed problems (records not applied): 2*" in text
    assert '• `QSP7` 2026-11-26 10:00 KST: origin: "fax" is not one of' in text
    assert "• (no packing number) 2026-11-26 10:00 KST: the record is not a JSON object" in text


def test_a_feed_never_polled_is_not_shown():
    assert "Order feed" not in shown(jobs_message(JobsOverview([], []), SEOUL))


def test_a_thousand_feed_problems_with_huge_reasons_fit_with_the_jobs():
    jobs = [Job(i, i, f"QSP{i:010d}", Action.RESYNC, JobState.RUNNING, id=i) for i in range(500)]
    feed = FeedState("<" * 2048, last_error="<&>" * 3000, last_error_at=NOW)
    problems = [FeedProblem("<" * 40, "&" * 1000, NOW) for _ in range(1000)]

    rendered = jobs_message(JobsOverview(jobs, [], feed, problems, 5000), SEOUL)

    assert_message_fits(rendered.text, rendered.blocks)
    text = shown(rendered)
    assert "*Order feed problems (records not applied): 5000*" in text
    assert "more problems." in text and "more jobs." in text


def test_the_usage_with_a_huge_reason_still_fits():
    rendered = usage_message("`" + "<>" * 3000 + "` is not a packing number")

    assert_message_fits(rendered.text, rendered.blocks)
    assert rendered.blocks[0]["text"]["text"].startswith(":grey_question: `&lt;&gt;")
