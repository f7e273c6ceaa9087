"""Slack failing, slow or raced: a result is delayed, never lost, and never posted twice.

Time is passed in: a later round is a later `now`, never a sleep. The only waits are the
client timeouts of the answers that never come (0.3 s each).
"""
from __future__ import annotations

import functools
from datetime import timedelta

import pytest

from domain.model import Action, SalesOrderStatus
from handlers.thread_results import DEFAULT_LEASE, deliver_due
from store.outbox import SqlOutbox
from tests.integration.builders import Database, cancelled
from tests.races import failures, together
from tests.slack.conftest import client_for
from tests.slack.scenarios import (
    APPROVALS,
    RAN_AT,
    approved_request,
    outbox_rows,
    replies,
    run_jobs,
    with_sales_orders,
)

T0 = RAN_AT + timedelta(seconds=5)


def _resync_done(uow, sessions, client, packing_no="QSP2611230001"):
    order, = with_sales_orders(uow, sessions, (cancelled(packing_no), SalesOrderStatus.VALID))
    placed = approved_request(uow, client, [order.packing_no], Action.RESYNC)
    run_jobs(uow, sessions, placed.jobs)
    return placed


def _posts_in_thread(fake_slack, placed):
    return [c for c in fake_slack.calls_to("chat.postMessage")
            if c.params.get("thread_ts") == placed.ts]


def test_a_rate_limited_reply_waits_for_retry_after_and_is_posted_once(
        uow, sessions, slack_client, fake_slack):
    placed = _resync_done(uow, sessions, slack_client)
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=30)

    assert deliver_due(uow, slack_client, "bot-1", T0) == 0

    [row] = outbox_rows(sessions)
    assert (row.attempts, row.delivered_at, row.lease_owner) == (1, None, None)
    assert row.last_error == "chat.postMessage: rate limited (HTTP 429, Retry-After 30s)"
    assert row.next_attempt_at == T0 + timedelta(seconds=30)
    with uow() as u:
        [pending] = u.outbox.pending()
    assert (pending.attempts, pending.last_error) == (1, row.last_error)

    assert deliver_due(uow, slack_client, "bot-1", T0 + timedelta(seconds=29)) == 0
    assert len(_posts_in_thread(fake_slack, placed)) == 1  # not tried before Retry-After
    assert deliver_due(uow, slack_client, "bot-1", T0 + timedelta(seconds=30)) == 1

    assert len(replies(fake_slack, placed)) == 1
    [row] = outbox_rows(sessions)
    assert (row.attempts, row.delivered_at) == (1, T0 + timedelta(seconds=30))
    with uow() as u:
        assert u.outbox.pending() == []


def test_server_errors_within_a_round_are_looked_past_and_cost_no_attempt(
        uow, sessions, slack_client, fake_slack):
    placed = _resync_done(uow, sessions, slack_client)
    fake_slack.fail_next("chat.postMessage", times=2, status=500)

    assert deliver_due(uow, slack_client, "bot-1", T0) == 1

    assert len(replies(fake_slack, placed)) == 1
    assert len(_posts_in_thread(fake_slack, placed)) == 3
    assert len(fake_slack.calls_to("conversations.replies")) == 2  # a look before each resend
    assert outbox_rows(sessions)[0].attempts == 0


def test_server_errors_delay_the_reply_keep_the_error_and_it_arrives_later(
        uow, sessions, slack_client, fake_slack):
    placed = _resync_done(uow, sessions, slack_client)
    fake_slack.fail_next("chat.postMessage", times=6, status=500)  # two rounds of 1 + 2 retries

    assert deliver_due(uow, slack_client, "bot-1", T0) == 0
    [row] = outbox_rows(sessions)
    assert (row.attempts, row.last_error) == (1, "chat.postMessage: HTTP 500 fatal_error")
    first_retry = row.next_attempt_at
    assert first_retry == T0 + timedelta(seconds=15)

    assert deliver_due(uow, slack_client, "bot-1", first_retry) == 0
    [row] = outbox_rows(sessions)
    assert row.attempts == 2 and row.next_attempt_at == first_retry + timedelta(seconds=30)

    assert deliver_due(uow, slack_client, "bot-1", row.next_attempt_at) == 1
    assert len(replies(fake_slack, placed)) == 1
    assert outbox_rows(sessions)[0].attempts == 2


@pytest.mark.parametrize("lost_answer", ["hang", "drop", "500"])
def test_a_reply_slack_posted_without_answering_is_found_in_the_thread_not_posted_again(
        uow, sessions, impatient_client, fake_slack, lost_answer):
    placed = _resync_done(uow, sessions, impatient_client)
    if lost_answer == "hang":  # posted, then the answer comes after the client's timeout
        fake_slack.hang_next("chat.postMessage", apply=True)
    elif lost_answer == "drop":  # posted, then the connection closes without an answer
        fake_slack.drop_next("chat.postMessage", apply=True)
    else:  # stored, then answered 500: the client must not resend it by itself
        fake_slack.fail_next("chat.postMessage", status=500, apply=True)

    assert deliver_due(uow, impatient_client, "bot-1", T0) == 1

    [reply] = replies(fake_slack, placed)
    assert len(_posts_in_thread(fake_slack, placed)) == 1
    [look] = fake_slack.calls_to("conversations.replies")
    assert look.params["include_all_metadata"] in ("1", "true")
    [row] = outbox_rows(sessions)
    assert (row.delivered_ts, row.attempts) == (reply["ts"], 0)
    assert "edited" in fake_slack.message(APPROVALS, placed.ts)


def test_a_reply_whose_answer_and_look_both_failed_is_looked_for_again_in_the_next_round(
        uow, sessions, slack_client, fake_slack):
    placed = _resync_done(uow, sessions, slack_client)
    fake_slack.fail_next("chat.postMessage", status=500, apply=True)
    fake_slack.fail_next("conversations.replies", times=3 * 2, status=503)  # with its retries

    assert deliver_due(uow, slack_client, "bot-1", T0) == 0
    [row] = outbox_rows(sessions)
    assert row.attempts == 1 and row.last_error.startswith("conversations.replies: HTTP 503")
    assert len(replies(fake_slack, placed)) == 1  # Slack has it, we do not know yet

    assert row.next_attempt_at is not None
    assert deliver_due(uow, slack_client, "bot-1", row.next_attempt_at) == 1

    [reply] = replies(fake_slack, placed)
    assert len(_posts_in_thread(fake_slack, placed)) == 1
    assert outbox_rows(sessions)[0].delivered_ts == reply["ts"]


def test_a_deliverer_that_died_after_posting_is_not_followed_by_a_second_post(
        uow, sessions, slack_client, fake_slack, monkeypatch):
    placed = _resync_done(uow, sessions, slack_client)

    def die(*args, **kwargs):
        raise SystemExit("the process died before it could write down the delivery")

    with monkeypatch.context() as patch:
        patch.setattr(SqlOutbox, "mark_delivered", die)
        with pytest.raises(SystemExit):
            deliver_due(uow, slack_client, "bot-1", T0)
    assert deliver_due(uow, slack_client, "bot-2", T0 + timedelta(minutes=1)) == 0  # leased

    after_lease = T0 + DEFAULT_LEASE
    assert deliver_due(uow, slack_client, "bot-2", after_lease) == 1

    assert len(replies(fake_slack, placed)) == 1
    [row] = outbox_rows(sessions)
    assert (row.delivered_at, row.lease_owner, row.attempts) == (after_lease, "bot-2", 0)


def test_a_request_message_edit_slack_refused_is_retried_without_posting_the_reply_again(
        uow, sessions, slack_client, fake_slack):
    placed = _resync_done(uow, sessions, slack_client)
    fake_slack.fail_next("chat.update", times=3, status=503)

    assert deliver_due(uow, slack_client, "bot-1", T0) == 0
    [row] = outbox_rows(sessions)
    assert row.attempts == 1 and row.last_error.startswith("chat.update: HTTP 503")

    assert row.next_attempt_at is not None
    assert deliver_due(uow, slack_client, "bot-1", row.next_attempt_at) == 1
    assert len(_posts_in_thread(fake_slack, placed)) == 1
    assert "edited" in fake_slack.message(APPROVALS, placed.ts)


def test_a_request_message_deleted_meanwhile_does_not_hold_back_the_reply(
        uow, sessions, slack_client, fake_slack):
    placed = _resync_done(uow, sessions, slack_client)
    fake_slack.error_next("chat.update", "message_not_found")

    assert deliver_due(uow, slack_client, "bot-1", T0) == 1
    assert len(replies(fake_slack, placed)) == 1


def test_when_slack_is_down_one_call_fails_and_the_other_results_wait_for_the_next_round(
        uow, sessions, slack_client, fake_slack):
    first = _resync_done(uow, sessions, slack_client, "QSP2611230001")
    second = _resync_done(uow, sessions, slack_client, "QSP2611230002")
    fake_slack.fail_next("chat.postMessage", times=3, status=500)

    assert deliver_due(uow, slack_client, "bot-1", T0) == 0

    assert len(fake_slack.calls_to("chat.postMessage")) == 2 + 3  # two request messages
    assert [(r.attempts, r.lease_owner) for r in outbox_rows(sessions)] == [(1, None), (0, None)]
    assert deliver_due(uow, slack_client, "bot-1", T0 + timedelta(seconds=1)) == 1
    assert [len(replies(fake_slack, p)) for p in (first, second)] == [0, 1]


def test_two_deliverers_on_the_same_rows_post_each_result_exactly_once(databases, fake_slack):
    setup = databases[0]
    client = client_for(fake_slack)
    placed = [_resync_done(setup.uow, setup.sessions, client, f"QSP26112300{n:02d}")
              for n in range(1, 9)]

    def deliverer(database: Database, owner: str) -> None:
        own_client = client_for(fake_slack)
        for _ in range(40):  # each round claims one request, so the two interleave
            deliver_due(database.uow, own_client, owner, T0, limit=1)

    results = together(*[functools.partial(deliverer, db, f"bot-{n}")
                         for n, db in enumerate(databases)])
    rows = outbox_rows(setup.sessions)

    assert failures(results) == []
    assert [len(replies(fake_slack, p)) for p in placed] == [1] * len(placed)
    assert sum(len(_posts_in_thread(fake_slack, p)) for p in placed) == len(placed)
    assert all(r.delivered_at == T0 for r in rows)
