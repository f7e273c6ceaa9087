"""Rule 14 in Slack: a request nobody decides gets one reminder naming the approvers in its
thread, then expires at the deadline (the request message says Expired, without buttons),
polled and delivered the way every bot process's scheduler does."""
from __future__ import annotations

from datetime import timedelta

from bot.worker import JobWorker
from domain.model import SalesOrderStatus
from domain.window import deadline
from handlers.actions import APPROVE
from handlers.thread_results import deliver_due
from store.embedded_sales_site import EmbeddedSalesSite
from tests.integration.builders import CANCELLED_AT, SEOUL, cancelled
from tests.races import together
from tests.slack.conftest import APPROVER_GROUP, client_for
from tests.slack.requesting import press, recorded_request, said_to, view_text
from tests.slack.scenarios import APPROVALS, APPROVER, REQUESTER, with_sales_orders
from tests.slack.signed import buttons

API_NO = "QSP2611230001"
CLOSES = deadline(CANCELLED_AT, SEOUL)


def poll_at(app, now, owner: str = "bot-test:1:worker") -> int:
    """One reminder poll and one outbox delivery of a bot process at now: rows delivered."""
    app.clock.now = now
    worker = JobWorker(app.uow, EmbeddedSalesSite(app.sessions), app.settings, owner, app.clock)
    worker.remind_and_expire()
    return deliver_due(app.uow, client_for(app.fake), owner, now,
                       approvers=tuple(app.settings.approvers))


def waiting_request(app) -> dict:
    with_sales_orders(app.uow, app.sessions, (cancelled(API_NO), SalesOrderStatus.VALID))
    message, _ = recorded_request(app, API_NO)
    return message


def test_a_request_nobody_decided_is_reminded_once_naming_users_and_groups(running_app):
    message = waiting_request(running_app)

    assert poll_at(running_app, CLOSES - timedelta(hours=30)) == 0  # not yet
    assert poll_at(running_app, CLOSES - timedelta(hours=20)) == 1
    assert poll_at(running_app, CLOSES - timedelta(hours=19)) == 0  # never twice

    reminder, = running_app.fake.replies(APPROVALS, message["ts"])
    assert reminder["text"].startswith(":alarm_clock: Reminder: resync request #1")
    assert f"<@{APPROVER}>" in reminder["text"]
    assert f"<!subteam^{APPROVER_GROUP}>" in reminder["text"]
    assert f"<!date^{int(CLOSES.timestamp())}^" in reminder["text"]
    assert buttons(running_app.fake.message(APPROVALS, message["ts"]))  # still decidable


def test_a_request_still_waiting_at_the_deadline_expires_with_its_reason_in_the_thread(
        running_app):
    message = waiting_request(running_app)
    poll_at(running_app, CLOSES - timedelta(hours=2))

    assert poll_at(running_app, CLOSES + timedelta(minutes=1)) == 1

    reminder, expiry = running_app.fake.replies(APPROVALS, message["ts"])
    assert expiry["text"].startswith("Expired: nobody approved or rejected resync request #1")
    assert f"<@{REQUESTER}>" in expiry["text"]
    edited = running_app.fake.message(APPROVALS, message["ts"])
    assert buttons(edited) == []
    assert "*Resync request #1* · Expired" in view_text(edited)
    assert edited["text"].startswith("Resync request #1 · Expired")
    # the old buttons, pressed from a client that has not refreshed, change nothing
    late = press(running_app, message, APPROVE, APPROVER)
    assert said_to(running_app, late).startswith("Request #1 already expired")
    with running_app.uow() as uow:
        events = [e.kind for e in uow.audit.for_packing_nos([API_NO])]
        job, = uow.jobs.for_request(1)
    assert events == ["requested", "reminded", "expired"]
    assert job.state.value == "expired"


def test_an_expiry_whose_post_answer_was_lost_is_found_in_the_thread_not_posted_twice(
        running_app):
    message = waiting_request(running_app)
    # Slack posts the reply but the answer is lost: the next try looks in the thread first
    running_app.fake.fail_next("chat.postMessage", status=500, apply=True)

    assert poll_at(running_app, CLOSES + timedelta(minutes=1)) == 1
    assert poll_at(running_app, CLOSES + timedelta(hours=1)) == 0

    replies = running_app.fake.replies(APPROVALS, message["ts"])
    assert [r["text"][:8] for r in replies] == ["Expired:"]
    assert buttons(running_app.fake.message(APPROVALS, message["ts"])) == []


def test_two_bot_processes_polling_at_once_remind_once(running_app):
    message = waiting_request(running_app)
    now = CLOSES - timedelta(hours=3)
    running_app.clock.now = now
    workers = [JobWorker(running_app.uow, EmbeddedSalesSite(running_app.sessions),
                         running_app.settings, f"bot-test:{i}:worker", running_app.clock)
               for i in (1, 2)]
    together(*[w.remind_and_expire for w in workers])
    together(*[lambda w=w: deliver_due(running_app.uow, client_for(running_app.fake), w.owner,
                                       now, approvers=(APPROVER,)) for w in workers])

    assert len(running_app.fake.replies(APPROVALS, message["ts"])) == 1
