"""A request withdrawn because Smartship reports its order active again (rule 12): its thread
says why, through the real outbox deliverer and WebClient, against the fake Slack."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from domain.model import Action, OrderState, Stage
from domain.order_sync import apply_orders
from domain.workflow import submit_request
from handlers.thread_results import RESULT_EVENT, deliver_due
from tests.blockkit_limits import assert_message_fits
from tests.integration.builders import add_orders, cancelled, ctx
from tests.slack.scenarios import (
    APPROVALS,
    APPROVED_AT,
    REQUESTER,
    approved_request,
    outbox_rows,
    place_message,
    replies,
    request_message_blocks,
)

SYNCED_AT = APPROVED_AT + timedelta(minutes=2)


def bring_back(uow, order):
    """Smartship's copy of the order, active again, applied to the book."""
    back = replace(order, state=OrderState.ACTIVE, stage=Stage.CONFIRMATION, cancelled_at=None,
                   cancelled_by=None, updated_at=SYNCED_AT)
    with uow() as u:
        apply_orders(u, [back], SYNCED_AT)
        u.commit()


def test_a_withdrawn_approved_resync_is_explained_in_its_thread(
        uow, sessions, slack_client, fake_slack):
    order, = add_orders(uow, cancelled("QSP2611230011"))
    placed = approved_request(uow, slack_client, [order.packing_no], Action.RESYNC)
    bring_back(uow, order)

    assert deliver_due(uow, slack_client, "bot-1", SYNCED_AT) == 1

    [reply] = replies(fake_slack, placed)
    assert reply["text"].startswith("Withdrawn · QSP2611230011\n")
    assert ("Withdrawn: the approved resync of QSP2611230011 will not run: Smartship reports "
            "QSP2611230011 active again" in reply["text"])
    assert f"<@{REQUESTER}>" in reply["blocks"][0]["text"]["text"]
    assert reply["metadata"]["event_type"] == RESULT_EVENT
    assert_message_fits(reply["text"], reply["blocks"])
    [row] = outbox_rows(sessions)
    assert (row.delivered_at, row.delivered_ts) == (SYNCED_AT, reply["ts"])
    message = fake_slack.message(APPROVALS, placed.ts)
    assert message["text"].endswith("· Withdrawn · QSP2611230011")
    assert not any(b["type"] == "actions" for b in message["blocks"])


def test_a_withdrawn_request_awaiting_approval_loses_its_buttons_and_says_why(
        uow, sessions, slack_client, fake_slack):
    order, = add_orders(uow, cancelled("QSP2611230012"))
    with uow() as u:
        submitted = submit_request(u, [order.packing_no], Action.RESYNC, REQUESTER, "", ctx())
    request_id = submitted.request.stored_id
    ts = slack_client.chat_postMessage(channel=APPROVALS, text="resync request",
                                       blocks=request_message_blocks("resync request"))["ts"]
    place_message(uow, request_id, ts)
    bring_back(uow, order)

    assert deliver_due(uow, slack_client, "bot-1", SYNCED_AT) == 1

    [reply] = fake_slack.replies(APPROVALS, ts)
    assert "Withdrawn: the resync of QSP2611230012 will not run" in reply["text"]
    message = fake_slack.message(APPROVALS, ts)
    assert [b["type"] for b in message["blocks"]] == ["section", "context"]
    assert message["blocks"][0]["text"]["text"].startswith(
        f"*Resync request #{request_id}* · Withdrawn")


def test_a_withdrawal_waits_for_its_request_message_without_an_attempt(
        uow, sessions, slack_client, fake_slack):
    order, = add_orders(uow, cancelled("QSP2611230013"))
    placed = approved_request(uow, slack_client, [order.packing_no], Action.RESYNC, post=False)
    bring_back(uow, order)

    assert deliver_due(uow, slack_client, "bot-1", SYNCED_AT) == 0
    [row] = outbox_rows(sessions)
    assert (row.delivered_at, row.attempts) == (None, 0)
    ts = slack_client.chat_postMessage(channel=APPROVALS, text="resync request")["ts"]
    place_message(uow, placed.request_id, ts)
    assert deliver_due(uow, slack_client, "bot-1", SYNCED_AT) == 1
    assert len(fake_slack.replies(APPROVALS, ts)) == 1
