"""Job results reach the request's thread: what the reply and the edited request message say.

Jobs run through the real use cases on SQLite and PostgreSQL; the real slack_sdk WebClient
posts to the fake Slack Web API over loopback. The fake refuses blocks over the Block Kit
limits, so every message posted here also fits them.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from domain.model import Action, Origin, SalesOrderStatus
from handlers.thread_results import RESULT_EVENT, deliver_due
from tests.blockkit_limits import assert_message_fits
from tests.integration.builders import SEOUL, active, add_orders, cancelled
from tests.slack.scenarios import (
    APPROVALS,
    APPROVED_AT,
    APPROVER,
    RAN_AT,
    REQUESTER,
    approved_request,
    outbox_rows,
    place_message,
    replies,
    run_jobs,
    with_sales_orders,
)

DELIVER_AT = RAN_AT + timedelta(seconds=5)
RESTART = "Processing starts again at order confirmation, then the waybill, then pickup."


def _deliver(uow, client, at=DELIVER_AT, owner="bot-1"):
    return deliver_due(uow, client, owner, at)


def test_a_resync_reply_names_the_new_packing_number_and_says_the_old_one_is_no_longer_valid(
        uow, sessions, slack_client, fake_slack):
    order, = with_sales_orders(uow, sessions, (cancelled("QSP2611230001"), SalesOrderStatus.VALID))
    placed = approved_request(uow, slack_client, [order.packing_no], Action.RESYNC)
    run_jobs(uow, sessions, placed.jobs)

    assert _deliver(uow, slack_client) == 1

    [reply] = replies(fake_slack, placed)
    assert reply["text"].startswith("Resynced · new packing number QSP2611260001\n")
    assert f"<@{REQUESTER}>" in reply["text"]
    assert "QSP2611230001 is no longer valid" in reply["text"]
    assert RESTART in reply["text"]
    assert reply["blocks"][0]["text"]["text"].startswith("*Resynced* · new packing number")
    [row] = outbox_rows(sessions)
    assert reply["metadata"] == {"event_type": RESULT_EVENT,
                                 "event_payload": {"outbox_ids": [row.id],
                                                   "request_id": placed.request_id}}
    assert (row.delivered_at, row.attempts, row.delivered_ts) == (
        DELIVER_AT, 0, reply["ts"])


def test_a_restore_reply_says_the_packing_number_is_kept(uow, sessions, slack_client, fake_slack):
    order, = add_orders(uow, cancelled("QSP2611230002", origin=Origin.EXCEL))
    placed = approved_request(uow, slack_client, [order.packing_no], Action.RESTORE)
    run_jobs(uow, sessions, placed.jobs)

    _deliver(uow, slack_client)

    [reply] = replies(fake_slack, placed)
    assert reply["text"].startswith("Recovered · packing number QSP2611230002 kept\n")
    assert (f"<@{REQUESTER}>, QSP2611230002 was restored with the same packing number"
            in reply["text"])
    assert RESTART in reply["text"]


@pytest.mark.parametrize("sales_status, reason, new_request", [
    (SalesOrderStatus.CLAIM, "The sales order is on claim (return, exchange or cancel claim). "
     "Check the claim on the sales site first", "a new request is allowed"),
    (SalesOrderStatus.IN_DELIVERY, "The sales order is already in delivery. Check the delivery "
     "on the sales site first", "a new request is allowed"),
    (SalesOrderStatus.CANCELLED, "The sales order was cancelled at the sales site",
     "The order moved to the Sales Site Order Cancel tab and can no longer be resynced"),
    (SalesOrderStatus.MISSING, "The sales site cannot find the sales order. Check on the sales "
     "site that the sales order exists", "a new request is allowed"),
])
def test_a_failed_resync_reply_gives_the_reason_what_to_check_and_whether_to_ask_again(
        uow, sessions, slack_client, fake_slack, sales_status, reason, new_request):
    order, = with_sales_orders(uow, sessions, (cancelled("QSP2611230003"), sales_status))
    placed = approved_request(uow, slack_client, [order.packing_no], Action.RESYNC)
    run_jobs(uow, sessions, placed.jobs)

    _deliver(uow, slack_client)

    [reply] = replies(fake_slack, placed)
    text = reply["text"]
    assert text.startswith("Failed to Resync · packing number QSP2611230003\n")
    assert f"<@{REQUESTER}>, the resync of QSP2611230003 failed." in text
    assert f"Reason: {reason}" in text and new_request in text
    assert ("/cancelled QSP2611230003" in text) is (new_request == "a new request is allowed")
    assert RESTART not in text


def test_a_resync_of_an_order_paid_on_another_day_names_the_likely_cause(
        uow, sessions, slack_client, fake_slack):
    order, = add_orders(uow, cancelled(
        "QSP2611230004", payment_at=datetime(2026, 11, 20, 23, 0, tzinfo=SEOUL)))
    placed = approved_request(uow, slack_client, [order.packing_no], Action.RESYNC)
    run_jobs(uow, sessions, placed.jobs)  # the sales site has no such order

    _deliver(uow, slack_client)

    [reply] = replies(fake_slack, placed)
    assert reply["text"].startswith("Failed to Resync")
    assert "different days" in reply["text"] and "a new request is allowed" in reply["text"]


def test_a_failed_restore_reply_names_the_live_duplicate(uow, sessions, slack_client, fake_slack):
    order, _ = add_orders(uow, cancelled("QSP2611230005", origin=Origin.MANUAL),
                          active("QSP2611240007", sales_order_no="SO-QSP2611230005"))
    placed = approved_request(uow, slack_client, [order.packing_no], Action.RESTORE)
    run_jobs(uow, sessions, placed.jobs)

    _deliver(uow, slack_client)

    [reply] = replies(fake_slack, placed)
    assert reply["text"].startswith("Failed to Recover · packing number QSP2611230005\n")
    assert "QSP2611240007" in reply["text"] and "a new request is allowed" in reply["text"]


def test_the_request_message_shows_its_final_status_and_loses_its_buttons(
        uow, sessions, slack_client, fake_slack):
    order, = with_sales_orders(uow, sessions, (cancelled("QSP2611230006"), SalesOrderStatus.VALID))
    placed = approved_request(uow, slack_client, [order.packing_no], Action.RESYNC,
                              note="seller asked <twice> & waited")
    assert any(b["type"] == "actions" for b in fake_slack.message(APPROVALS, placed.ts)["blocks"])
    run_jobs(uow, sessions, placed.jobs)

    _deliver(uow, slack_client)

    message = fake_slack.message(APPROVALS, placed.ts)
    assert "edited" in message
    assert [b["type"] for b in message["blocks"]] == ["section", "section", "context"]
    shown = "\n".join(b["text"]["text"] for b in message["blocks"][:2])
    assert shown.startswith(f"*Resync request #{placed.request_id}* · Resynced\n")
    assert f"*Requested by* <@{REQUESTER}>" in shown
    assert f"*Approved by* <@{APPROVER}>" in shown
    assert "seller asked &lt;twice&gt; &amp; waited" in shown
    assert "QSP2611230006 → *QSP2611260001*" in shown and "*Final status:* Resynced" in shown
    assert message["text"] == (f"Resync request #{placed.request_id} · Resynced · "
                               "QSP2611230006 → QSP2611260001")
    assert_message_fits(message["text"], message["blocks"])


def test_a_result_whose_request_message_is_not_posted_yet_waits_without_an_attempt(
        uow, sessions, slack_client, fake_slack):
    order, = add_orders(uow, cancelled("QSP2611230007", origin=Origin.EXCEL))
    placed = approved_request(uow, slack_client, [order.packing_no], Action.RESTORE, post=False)
    run_jobs(uow, sessions, placed.jobs)
    calls_before = len(fake_slack.calls)

    assert _deliver(uow, slack_client) == 0

    assert len(fake_slack.calls) == calls_before
    [row] = outbox_rows(sessions)
    assert (row.delivered_at, row.attempts, row.lease_owner, row.last_error) == (None, 0, None, "")

    ts = slack_client.chat_postMessage(channel=APPROVALS, text="restore request")["ts"]
    place_message(uow, placed.request_id, ts)
    assert _deliver(uow, slack_client) == 1  # at once: nothing held it back
    assert len(fake_slack.replies(APPROVALS, ts)) == 1


def test_a_bulk_request_gets_one_summary_once_every_order_is_final(
        uow, sessions, slack_client, fake_slack):
    orders = with_sales_orders(
        uow, sessions,
        (cancelled("QSP2611230011"), SalesOrderStatus.VALID),
        (cancelled("QSP2611230012", sales_order_no="SO-12"), SalesOrderStatus.CLAIM),
        (cancelled("QSP2611230013", sales_order_no="SO-13"), SalesOrderStatus.VALID),
    )
    placed = approved_request(uow, slack_client, [o.packing_no for o in orders], Action.RESYNC)
    run_jobs(uow, sessions, placed.jobs[:2])

    assert _deliver(uow, slack_client) == 0  # one order still queued
    assert replies(fake_slack, placed) == []
    assert [r.attempts for r in outbox_rows(sessions)] == [0, 0]

    run_jobs(uow, sessions, placed.jobs[2:])
    assert _deliver(uow, slack_client, DELIVER_AT + timedelta(seconds=5)) == 3

    [summary] = replies(fake_slack, placed)
    lines = summary["text"].splitlines()
    assert lines[0] == "Resynced 2 · Failed to Resync 1 (3 orders)"
    assert lines[1] == f"<@{REQUESTER}>, your resync request #{placed.request_id} is finished."
    assert lines[2].startswith("• QSP2611230012 — The sales order is on claim")
    shown = "\n".join(b["text"].get("text", "") for b in summary["blocks"] if "text" in b)
    assert "QSP2611230011 → QSP2611260001" in shown and "QSP2611230013 → QSP2611260002" in shown
    assert summary["metadata"]["event_payload"]["outbox_ids"] == [
        r.id for r in outbox_rows(sessions)]
    assert all(r.delivered_at == DELIVER_AT + timedelta(seconds=5) for r in outbox_rows(sessions))
    assert len(fake_slack.calls_to("chat.update")) == 1
    request_text = fake_slack.message(APPROVALS, placed.ts)["text"]
    assert request_text.endswith("Resynced 2 · Failed to Resync 1 · 3 orders")


def test_nothing_due_means_no_call_to_slack(uow, slack_client, fake_slack):
    assert _deliver(uow, slack_client) == 0
    assert fake_slack.calls == []


def test_a_result_of_a_request_that_never_got_a_message_is_settled_after_an_hour_unposted(
        uow, sessions, slack_client, fake_slack):
    order, = add_orders(uow, cancelled("QSP2611230008", origin=Origin.EXCEL))
    placed = approved_request(uow, slack_client, [order.packing_no], Action.RESTORE, post=False)
    run_jobs(uow, sessions, placed.jobs)
    calls_before = len(fake_slack.calls)

    assert _deliver(uow, slack_client, at=APPROVED_AT + timedelta(minutes=59)) == 0
    assert _deliver(uow, slack_client, at=APPROVED_AT + timedelta(minutes=61)) == 1

    assert len(fake_slack.calls) == calls_before  # there is no thread to post to
    [row] = outbox_rows(sessions)
    assert row.delivered_at is not None and row.delivered_ts is None
    with uow() as u:
        assert u.outbox.pending() == []  # /cancelled jobs no longer lists it
