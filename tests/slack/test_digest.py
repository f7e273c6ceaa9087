"""The morning digest in the approval channel: its orders and buttons, once a day, never lost.

Time is passed in: a later try is a later `now`, never a sleep.
"""
from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.composition import background, digest_posting, open_store
from bot.config import Settings
from domain.digest import closing_soon
from domain.model import Origin, Recovery
from handlers.digest import CLAIM_LEASE, DIGEST_EVENT, DigestOutcome, post_digest
from handlers.render.digest import digest_message
from store.digests import SqlDigests
from tests.blockkit_limits import assert_message_fits
from tests.datetokens import fallbacks
from tests.integration.builders import SEOUL, Database, add_orders, cancelled, ctx
from tests.races import engines_of_their_own, failures, together
from tests.slack.conftest import TOKEN, client_for
from tests.slack.scenarios import APPROVALS
from tests.unit.fakes import FakeUnitOfWork

MORNING = datetime(2026, 11, 26, 9, 0, tzinfo=SEOUL)
DAY = "2026-11-26"
LATER = timedelta(minutes=5)  # the next try of the hour


def closing_in(packing_no: str, left: timedelta, **changes: Any):
    """A cancelled order whose window closes `left` after MORNING."""
    return cancelled(packing_no, cancelled_at=MORNING + left - timedelta(days=14), **changes)


def post(uow, client, at=MORNING, owner="bot-a:101:aa11") -> DigestOutcome:
    return post_digest(uow, client, APPROVALS, ctx(at), owner=owner)


def digests_posted(slack) -> list[dict]:
    return [m for m in slack.messages.get(APPROVALS, [])
            if (m.get("metadata") or {}).get("event_type") == DIGEST_EVENT]


def recorded(uow, day=DAY):
    with uow() as u:
        return u.digests.get(day)


def test_each_order_shows_its_deadline_time_left_and_the_one_button_it_allows(
        uow, slack_client, fake_slack):
    add_orders(uow,
               closing_in("QSP2611120001", timedelta(hours=5)),
               closing_in("ACC000002", timedelta(hours=30), origin=Origin.EXCEL,
                          sales_site="interpark", seller_id="seller-2"),
               closing_in("QSP2611120003", timedelta(hours=40), recovery=Recovery.FAILED_RETRY),
               closing_in("QSP2611120004", timedelta(days=3)))

    assert post(uow, slack_client) is DigestOutcome.POSTED

    [message] = digests_posted(fake_slack)
    header, intro, *orders = message["blocks"]
    assert header["text"]["text"] == "Cancelled orders closing within 48 hours"
    assert fallbacks(intro["elements"][0]["text"]).startswith(
        "3 cancelled orders can still be resynced or restored, and their 14-day window closes "
        "by 2026-11-28 09:00 KST.")
    assert [fallbacks(o["text"]["text"]) for o in orders] == [
        "*QSP2611120001* · Resync Available\n"
        "Seller seller-1 · tmon · Delivery Cancelled (Sales Site API)\n"
        "Closes on 2026-11-26 14:00 KST · 5 hours left",
        "*ACC000002* · Recoverable\n"
        "Seller seller-2 · interpark · Delivery Cancelled (Excel/Manual Registered)\n"
        "Closes on 2026-11-27 15:00 KST · 1 day 6 hours left",
        "*QSP2611120003* · Failed to Resync\n"
        "Seller seller-1 · tmon · Delivery Cancelled (Sales Site API)\n"
        "Closes on 2026-11-28 01:00 KST · 1 day 16 hours left",
    ]
    assert [(o["accessory"]["text"]["text"], o["accessory"]["action_id"], o["accessory"]["value"])
            for o in orders] == [("Request resync", "request_resync", "QSP2611120001"),
                                 ("Request restore", "request_restore", "ACC000002"),
                                 ("Request resync", "request_resync", "QSP2611120003")]
    assert message["text"].startswith("3 cancelled orders can still be resynced or restored")
    assert message["metadata"]["event_payload"] == {"day": DAY, "orders": 3}
    record = recorded(uow)
    assert (record.channel_id, record.message_ts, record.done_at) == (
        APPROVALS, message["ts"], MORNING)


def test_a_long_digest_stays_within_block_kit_and_points_to_the_list_for_the_rest(
        uow, slack_client, fake_slack):
    add_orders(uow, *(closing_in(f"QSP2611{n:06d}", timedelta(hours=1, minutes=n),
                                 seller_id=f"seller-{n:03d}-" + "x" * 53,
                                 sales_site=f"site-{n:03d}-" + "y" * 23)
                      for n in range(120)))

    assert post(uow, slack_client) is DigestOutcome.POSTED

    [message] = digests_posted(fake_slack)
    assert_message_fits(message["text"], message["blocks"])
    shown = [b for b in message["blocks"] if "accessory" in b]
    assert len(shown) == 30 and len(message["blocks"]) <= 50
    assert shown[0]["accessory"]["value"] == "QSP2611000000"  # the soonest first
    more = fallbacks(message["blocks"][-1]["elements"][0]["text"])
    assert more.startswith("…and 90 more closing by 2026-11-28 09:00 KST.")
    assert "`/cancelled list from:14d to:12d`" in more


def test_text_that_grows_when_escaped_still_fits_and_the_rest_is_counted():
    orders = [closing_in(f"QSP2611{n:06d}", timedelta(hours=2), seller_id="&" * 64,
                         sales_site="<" * 32) for n in range(40)]
    soon = closing_soon(FakeUnitOfWork(*orders), ctx(MORNING))  # in memory: only rendered

    message = digest_message(soon)

    assert_message_fits(message.text, message.blocks)
    shown = sum("accessory" in b for b in message.blocks)
    assert shown < 30
    assert message.blocks[-1]["elements"][0]["text"].startswith(f"…and {40 - shown} more")


def test_two_processes_at_nine_post_one_digest(db_url, fake_slack):
    def process(database: Database, n: int) -> DigestOutcome:
        client = client_for(fake_slack)
        return post(database.uow, client, owner=f"host-{n}:{100 + n}:ab{n}")

    with engines_of_their_own(db_url, 4) as databases:
        add_orders(databases[0].uow, closing_in("QSP2611120001", timedelta(hours=5)))
        outcomes = together(*[functools.partial(process, db, n)
                              for n, db in enumerate(databases)])

    assert failures(outcomes) == []
    assert sorted(outcomes) == sorted([DigestOutcome.POSTED] + [DigestOutcome.TAKEN] * 3)
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert len(digests_posted(fake_slack)) == 1


def test_later_tries_the_same_morning_post_nothing_and_the_next_day_posts_again(
        uow, slack_client, fake_slack):
    add_orders(uow, closing_in("QSP2611120001", timedelta(hours=30)))

    assert post(uow, slack_client) is DigestOutcome.POSTED
    assert post(uow, slack_client, MORNING + LATER, "bot-b:202:bb22") is DigestOutcome.TAKEN
    assert post(uow, slack_client, MORNING + timedelta(days=1)) is DigestOutcome.POSTED

    first, second = digests_posted(fake_slack)
    assert "1 day 6 hours left" in first["blocks"][2]["text"]["text"]
    assert fallbacks(second["blocks"][2]["text"]["text"]).endswith("KST · 6 hours left")
    assert second["metadata"]["event_payload"]["day"] == "2026-11-27"


@pytest.mark.parametrize("refuse", [
    lambda slack: slack.fail_next("chat.postMessage", times=3, status=500),
    lambda slack: slack.fail_next("chat.postMessage", status=429, retry_after=60),
    lambda slack: slack.error_next("chat.postMessage", "not_in_channel"),
], ids=["server error", "rate limited", "not in channel"])
def test_a_refused_post_gives_the_day_back_and_the_next_try_posts_it_once(
        uow, slack_client, fake_slack, refuse):
    add_orders(uow, closing_in("QSP2611120001", timedelta(hours=5)))
    refuse(fake_slack)

    assert post(uow, slack_client) is DigestOutcome.FAILED
    assert recorded(uow) is None
    assert post(uow, slack_client, MORNING + LATER, "bot-b:202:bb22") is DigestOutcome.POSTED
    assert post(uow, slack_client, MORNING + 2 * LATER) is DigestOutcome.TAKEN

    assert len(digests_posted(fake_slack)) == 1
    assert recorded(uow).claimed_by == "bot-b:202:bb22"


@pytest.mark.parametrize("lose_answer", [
    lambda slack: slack.hang_next("chat.postMessage", apply=True),
    lambda slack: slack.drop_next("chat.postMessage", apply=True),
    lambda slack: slack.fail_next("chat.postMessage", status=500, apply=True),
], ids=["answer too late", "connection dropped", "stored then 500"])
def test_a_digest_whose_answer_was_lost_is_found_in_the_channel_and_not_posted_again(
        uow, impatient_client, fake_slack, lose_answer):
    add_orders(uow, closing_in("QSP2611120001", timedelta(hours=5)))
    lose_answer(fake_slack)  # Slack posted; the bot does not know

    assert post(uow, impatient_client) is DigestOutcome.POSTED

    [message] = digests_posted(fake_slack)
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert recorded(uow).message_ts == message["ts"]
    assert post(uow, impatient_client, MORNING + LATER, "bot-b:202:bb22") is DigestOutcome.TAKEN


def test_a_try_that_died_after_posting_is_taken_over_without_a_second_digest(
        uow, slack_client, fake_slack, monkeypatch):
    add_orders(uow, closing_in("QSP2611120001", timedelta(hours=5)))

    def die(*args, **kwargs):
        raise SystemExit("the process died before it could write the digest down")

    with monkeypatch.context() as patch:
        patch.setattr(SqlDigests, "done", die)
        with pytest.raises(SystemExit):
            post(uow, slack_client)
    assert post(uow, slack_client, MORNING + CLAIM_LEASE, "bot-b:202:bb22") is DigestOutcome.POSTED

    [message] = digests_posted(fake_slack)
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert recorded(uow).message_ts == message["ts"]


def test_a_try_that_died_while_posting_is_taken_over_when_its_claim_runs_out(
        uow, slack_client, fake_slack):
    add_orders(uow, closing_in("QSP2611120001", timedelta(hours=5)))
    with uow() as u:
        u.digests.claim(DAY, "bot-dead:1:dead", MORNING, MORNING - CLAIM_LEASE)
        u.commit()

    assert post(uow, slack_client, MORNING + LATER) is DigestOutcome.TAKEN
    assert post(uow, slack_client, MORNING + CLAIM_LEASE) is DigestOutcome.POSTED
    assert len(digests_posted(fake_slack)) == 1


def test_nothing_is_posted_when_no_window_closes_soon_and_no_late_digest_follows(
        uow, slack_client, fake_slack):
    add_orders(uow, closing_in("QSP2611120001", timedelta(days=3)))

    assert post(uow, slack_client) is DigestOutcome.NOTHING
    add_orders(uow, closing_in("QSP2611120002", timedelta(hours=5)))
    assert post(uow, slack_client, MORNING + LATER) is DigestOutcome.TAKEN

    assert fake_slack.calls_to("chat.postMessage") == []
    record = recorded(uow)
    assert (record.done_at, record.message_ts) == (MORNING, None)


def test_the_worker_posts_the_digest_to_the_approval_channel_at_the_time_it_is_called(
        db_url, fake_slack, monkeypatch):
    settings = Settings(db_url, slack_bot_token=TOKEN, slack_api_url=fake_slack.base_url,
                        approval_channel=APPROVALS)
    store = open_store(settings)
    add_orders(store.uow, closing_in("QSP2611120001", timedelta(hours=5)))
    monkeypatch.setattr("bot.composition.utc_now", lambda: MORNING)
    try:
        poster = digest_posting(settings, client_for(fake_slack), store, "worker-1")
        assert poster is not None

        assert poster() is DigestOutcome.POSTED
        assert poster() is DigestOutcome.TAKEN
        [message] = digests_posted(fake_slack)
        assert message["metadata"]["event_payload"]["day"] == DAY
    finally:
        store.close()


def test_without_a_token_or_an_approval_channel_the_worker_posts_no_digest(db_url):
    store = open_store(Settings(db_url))
    try:
        for settings in (Settings(db_url, slack_bot_token=TOKEN),
                         Settings(db_url, approval_channel=APPROVALS)):
            _, scheduler = background(settings, store)
            assert "post_digest" not in {job.id for job in scheduler.get_jobs()}
    finally:
        store.close()
