"""Every time a Slack message or view shows is Slack's date token, whose epoch is that moment
and whose fallback is the same moment in the business time zone."""
from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.digest import closing_soon
from domain.home import home_for
from domain.job_result import JobResult
from domain.lookup import JobsOverview, list_orders, look_up
from domain.mentioned import look_up_mentioned
from domain.model import Action
from domain.ports import AuditEvent, ListQuery
from domain.queues import OutboxMessage
from domain.requests import Decision, Job, JobState, Request
from domain.workflow import ApprovalPolicy
from handlers.render.digest import digest_message
from handlers.render.history import history_message
from handlers.render.home import home_view
from handlers.render.jobs import jobs_message
from handlers.render.listing import listing_message
from handlers.render.lookup_card import lookup_card
from handlers.render.mentioned import mentioned_message
from handlers.render.mrkdwn import local_times, slack_date
from handlers.render.pending_request import decided_request_message, pending_request_message
from handlers.render.request_message import final_request_message
from tests.datetokens import fallbacks, token_problems
from tests.integration.builders import NOW, SEOUL, cancelled, ctx
from tests.unit.fakes import FakeUnitOfWork

OPEN_NO, CLOSED_NO, CLOSING_NO = "QSP2611230001", "QSP2611010002", "QSP2611120003"
ORDERS = (cancelled(OPEN_NO), cancelled(CLOSED_NO, cancelled_at=NOW - timedelta(days=25)),
          cancelled(CLOSING_NO, cancelled_at=NOW - timedelta(days=13, hours=20)))
REQUEST = Request(Action.RESYNC, "UREQ1", NOW, decision=Decision.APPROVED, decided_by="UAPP1",
                  decided_at=NOW + timedelta(minutes=3), channel_id="C1", message_ts="1.1",
                  id=7)
ANYONE = ApprovalPolicy(lambda user: True, allow_self_approval=True)


def rendered_views():
    """(name, blocks or view) of every renderer that shows a time."""
    uow: Any = FakeUnitOfWork(*ORDERS)  # the in-memory twin of UnitOfWork
    waiting = Job(7, 1, OPEN_NO, Action.RESYNC, JobState.WAITING, id=3, recovery_id="rcv-1",
                  waiting_since=NOW, next_poll_at=NOW + timedelta(seconds=20))
    late = OutboxMessage(7, "job_result", {"packing_no": OPEN_NO}, NOW, id=1, attempts=2,
                         last_error="boom", next_attempt_at=NOW + timedelta(minutes=2))
    query = ListQuery(date_from=NOW - timedelta(days=30), date_to=NOW)
    result = JobResult(3, Action.RESYNC, "Resynced", OPEN_NO, "QSP2611260001")
    pending = Request(Action.RESYNC, "UREQ1", NOW, channel_id="C1", message_ts="1.1", id=8)
    return [
        ("open card", lookup_card(look_up(uow, OPEN_NO, ctx()), SEOUL).blocks),
        ("closed card", lookup_card(look_up(uow, CLOSED_NO, ctx()), SEOUL).blocks),
        ("list", listing_message(list_orders(uow, query, ctx()), SEOUL).blocks),
        ("history", history_message(ORDERS[0], [AuditEvent(NOW, "UREQ1", "requested",
                                                           OPEN_NO)], SEOUL).blocks),
        ("jobs", jobs_message(JobsOverview([waiting], [late]), SEOUL).blocks),
        ("digest", digest_message(closing_soon(uow, ctx())).blocks),
        ("request message", pending_request_message(pending, [OPEN_NO], SEOUL).blocks),
        ("decided message", decided_request_message(REQUEST, [OPEN_NO], SEOUL).blocks),
        ("final message", final_request_message(REQUEST, [result], SEOUL).blocks),
        ("home", home_view(home_for(uow, "UAPP1", ctx(), ANYONE), SEOUL)),
        ("shortcut", mentioned_message(look_up_mentioned(uow, f"{OPEN_NO} {CLOSED_NO}", ctx()),
                                       SEOUL).blocks),
    ]


@pytest.mark.parametrize("name, rendered", rendered_views(), ids=lambda v: v
                         if isinstance(v, str) else "")
def test_every_time_shown_is_a_date_token_with_the_business_zone_fallback(name, rendered):
    assert "<!date^" in str(rendered), f"{name} shows no time"
    assert token_problems(rendered, SEOUL) == []


def test_a_token_names_the_moment_and_falls_back_to_the_business_zone():
    at = NOW + timedelta(minutes=5)  # 2026-11-26 10:05 KST

    assert slack_date(at, SEOUL) == (f"<!date^{int(at.timestamp())}^{{date_short_pretty}} "
                                     "{time}|2026-11-26 10:05 KST>")
    assert slack_date(at, ZoneInfo("America/New_York")).endswith("|2025-11-25 20:05 EST>"
                                                                  .replace("2025", "2026"))


def test_a_domain_sentence_keeps_its_words_with_the_time_as_a_token():
    text = "requests closed on 2026-11-26 10:00 KST (and 2026-13-45 99:99 KST stays text)"

    tokenized = local_times(text, SEOUL)

    assert fallbacks(tokenized) == text
    assert f"<!date^{int(NOW.timestamp())}^" in tokenized
    assert local_times(tokenized, SEOUL) == tokenized  # a token is not tokenized again


def test_the_checker_finds_a_wrong_epoch_and_a_bare_time():
    wrong = slack_date(NOW, SEOUL).replace(str(int(NOW.timestamp())), "0")

    assert token_problems(f"at {wrong}", SEOUL) != []
    assert token_problems("at 2026-11-26 10:00 KST", SEOUL) != []
