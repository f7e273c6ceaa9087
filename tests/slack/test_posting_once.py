"""Slack losing its answer to a post never doubles a message, and never loses one.

Slack may store a chat.postMessage and then answer 500, or close the connection: the post is
made, the answer is lost. Requests go end to end through the real app behind its HTTP server
(request, approve, job, result), with the fake Slack failing at the wire.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot.worker import JobWorker
from domain.model import SalesOrderStatus
from handlers.actions import APPROVE, REJECT
from handlers.approvals.decision import DECISION_EVENT
from handlers.requests.placing import REQUEST_EVENT
from handlers.thread_results import RESULT_EVENT, deliver_due
from store.embedded_sales_site import EmbeddedSalesSite
from tests.integration.builders import cancelled
from tests.slack.conftest import client_for
from tests.slack.requesting import opened_view, press, request_through_modal
from tests.slack.scenarios import APPROVALS, APPROVER, outbox_rows, with_sales_orders

OWNER = "bot-test:1:worker"
REQUESTS = 10


def marked(message: dict, event_type: str) -> bool:
    return (message.get("metadata") or {}).get("event_type") == event_type


def channel_messages(app, event_type: str) -> list[dict]:
    """The approval channel's top-level messages carrying event_type."""
    return [m for m in app.fake.messages.get(APPROVALS, [])
            if not m.get("thread_ts") and marked(m, event_type)]


def thread(app, ts: str, event_type: str) -> list[dict]:
    return [m for m in app.fake.replies(APPROVALS, ts) if marked(m, event_type)]


def approved(app, packing_no: str) -> dict:
    """Request the order through the modal and approve it: its request message."""
    with_sales_orders(app.uow, app.sessions, (cancelled(packing_no), SalesOrderStatus.VALID))
    message, _ = request_through_modal(app, packing_no)
    press(app, message, APPROVE, APPROVER)
    app.fake.wait_for(lambda: thread(app, message["ts"], DECISION_EVENT))
    return message


def run_jobs_and_deliver(app) -> None:
    """What the scheduler does: run every queued job, then deliver the outbox, round after
    round (each a quarter of an hour later, past any backoff) until nothing is left."""
    app.clock.now += timedelta(minutes=1)
    worker = JobWorker(app.uow, EmbeddedSalesSite(app.sessions), app.settings, OWNER, app.clock)
    while worker.run_due():
        pass
    client = client_for(app.fake)
    for _ in range(10):
        deliver_due(app.uow, client, OWNER, app.clock())
        if all(row.delivered_at for row in outbox_rows(app.sessions)):
            return
        app.clock.now += timedelta(minutes=15)


@pytest.mark.slow  # slack_sdk sleeps up to a second of jitter after each 429
@pytest.mark.parametrize("slack_fails", [
    lambda fake: fake.fail_every("chat.postMessage", 2, status=500, apply=True),
    lambda fake: fake.fail_every("chat.postMessage", 2, status=429, retry_after=0),
], ids=["every second post stored then 500", "every second post 429 with Retry-After"])
def test_every_request_ends_with_one_request_message_one_decision_and_one_result(
        running_app, slack_fails):
    slack_fails(running_app.fake)
    numbers = [f"QSP26112300{n:02d}" for n in range(1, REQUESTS + 1)]

    messages = [approved(running_app, packing_no) for packing_no in numbers]
    run_jobs_and_deliver(running_app)

    posted = channel_messages(running_app, REQUEST_EVENT)
    assert sorted(m["metadata"]["event_payload"]["request_id"] for m in posted) == list(
        range(1, REQUESTS + 1))
    for message in messages:
        replies = running_app.fake.replies(APPROVALS, message["ts"])
        assert [r["text"].split(" ")[0] for r in replies] == ["Approved", "Resynced"]
        assert len(thread(running_app, message["ts"], RESULT_EVENT)) == 1
    with running_app.uow() as uow:
        recorded = [uow.requests.get(n).message_ts for n in range(1, REQUESTS + 1)]
    assert recorded == [m["ts"] for m in messages]
    assert all(row.delivered_at for row in outbox_rows(running_app.sessions))


@pytest.mark.parametrize("lose_answer", [
    lambda fake: fake.fail_next("chat.postMessage", status=500, apply=True),
    lambda fake: fake.drop_next("chat.postMessage", apply=True),
], ids=["stored then 500", "stored then connection dropped"])
def test_a_request_message_whose_answer_was_lost_is_found_and_the_requester_gets_its_link(
        running_app, lose_answer):
    with_sales_orders(running_app.uow, running_app.sessions,
                      (cancelled("QSP2611230001"), SalesOrderStatus.VALID))
    lose_answer(running_app.fake)

    message, card = request_through_modal(running_app, "QSP2611230001")

    receipt = running_app.fake.wait_for(lambda: [
        b for b in running_app.fake.posted_to(card.url) if "request message" in b["text"]])[0]
    assert f"/p{message['ts'].replace('.', '')}|request message>" in receipt["text"]
    assert channel_messages(running_app, REQUEST_EVENT) == [message]
    assert len(running_app.fake.calls_to("chat.postMessage")) == 1
    [look] = running_app.fake.calls_to("conversations.history")
    assert look.params["include_all_metadata"] in ("1", "true")
    with running_app.uow() as uow:
        assert uow.requests.get(1).message_ts == message["ts"]


def test_a_rejection_whose_reply_was_stored_then_answered_500_is_told_once(running_app):
    with_sales_orders(running_app.uow, running_app.sessions,
                      (cancelled("QSP2611230001"), SalesOrderStatus.VALID))
    message, _ = request_through_modal(running_app, "QSP2611230001")
    opened = len(running_app.fake.calls_to("views.open"))
    press(running_app, message, REJECT, APPROVER)
    view_id, _ = opened_view(running_app, opened)
    running_app.fake.fail_next("chat.postMessage", status=500, apply=True)

    running_app.send.submit(view_id, APPROVER, {"reason": "wrong order"})

    # the listener looks in the thread after the 500, finds the reply, and is done
    running_app.fake.wait_for(lambda: running_app.fake.calls_to("conversations.replies"))
    [reply] = running_app.fake.wait_for(
        lambda: thread(running_app, message["ts"], DECISION_EVENT))
    assert reply["text"].startswith(f"Rejected by <@{APPROVER}>: wrong order")
    assert reply["metadata"]["event_payload"] == {"request_id": 1, "decision": "rejected"}
    assert len(running_app.fake.replies(APPROVALS, message["ts"])) == 1
