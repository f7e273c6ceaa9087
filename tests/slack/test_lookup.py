"""`/cancelled PACKING_NO` over signed HTTP: a card only the asker sees, one allowed button."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from domain.model import CancelledBy, Origin, Recovery, Stage
from handlers.actions import REQUEST_RESTORE, REQUEST_RESYNC
from tests.blockkit_limits import assert_message_fits, duplicate_action_ids
from tests.datetokens import fallbacks
from tests.integration.builders import NOW, SEOUL, active, add_orders, cancelled
from tests.slack.scenarios import REQUESTER
from tests.slack.signed import buttons, find_button


def ask(running_app, text: str, user: str = REQUESTER) -> dict:
    """Type `/cancelled text`; the card is the acknowledgement itself, nothing is sent to the
    response URL."""
    reply = running_app.send.command(text, user)
    assert reply.status == 200 and reply.json["blocks"]
    assert running_app.fake.sent_to(reply.response_url) == []
    shown = running_app.fake.shown(reply.response_url)
    assert shown["response_type"] == "ephemeral"
    assert_message_fits(shown.get("text"), shown.get("blocks"))
    assert duplicate_action_ids(shown.get("blocks")) == []
    return shown


def shown_text(message: dict) -> str:
    """Everything the card shows, fields included, as one string."""
    parts = []
    for block in message.get("blocks") or []:
        if block.get("text"):
            parts.append(block["text"]["text"])
        parts += [f["text"] for f in block.get("fields") or []]
        parts += [e.get("text", "") for e in block.get("elements") or []
                  if block["type"] == "context"]
    return fallbacks("\n".join(parts))


STATUS_CASES = [
    # (order, status label, buttons)
    (cancelled("QSP2611230001"), "Resync Available", ["Request resync"]),
    (cancelled("QSP2611230002", recovery=Recovery.FAILED_RETRY), "Failed to Resync",
     ["Request resync"]),
    (cancelled("ACC000003", origin=Origin.EXCEL), "Recoverable", ["Request restore"]),
    (cancelled("ACC000004", origin=Origin.MANUAL, recovery=Recovery.FAILED_RETRY),
     "Failed to Recover", ["Request restore"]),
    (cancelled("QSP2611230005", recovery=Recovery.IN_PROGRESS), "Resyncing", []),
    (cancelled("ACC000006", origin=Origin.EXCEL, recovery=Recovery.IN_PROGRESS), "Recovering",
     []),
    (cancelled("QSP2611230007", recovery=Recovery.DONE, superseded_by="QSP2611260009"),
     "Resynced", []),
    (cancelled("QSP2611230008", cancelled_at=NOW - timedelta(days=15)), "Resync Unavailable",
     []),
    (cancelled("ACC000009", origin=Origin.EXCEL, cancelled_at=NOW - timedelta(days=15)),
     "Unrecoverable", []),
    (cancelled("QSP2611230010", cancelled_by=CancelledBy.SALES_SITE), "No Action", []),
    (cancelled("QSP2611230011", recovery=Recovery.AWAITING), "Resync Available", []),
]


@pytest.mark.parametrize("order, label, allowed", STATUS_CASES,
                         ids=[f"{o.packing_no}-{label}" for o, label, _ in STATUS_CASES])
def test_a_lookup_shows_the_status_and_only_the_button_allowed_now(
        running_app, order, label, allowed):
    add_orders(running_app.uow, order)

    card = ask(running_app, order.packing_no)

    assert f"*{order.packing_no}* · *{label}*" in shown_text(card)
    assert buttons(card) == allowed


def test_the_lookup_button_carries_the_packing_number_it_acts_on(running_app):
    add_orders(running_app.uow, cancelled("QSP2611230001"),
               cancelled("ACC000002", origin=Origin.EXCEL))

    resync = find_button(ask(running_app, "QSP2611230001"), REQUEST_RESYNC)
    restore = find_button(ask(running_app, "ACC000002"), REQUEST_RESTORE)

    assert (resync["value"], restore["value"]) == ("QSP2611230001", "ACC000002")


def test_a_lookup_card_shows_every_fact_of_the_cancellation_with_deadline_and_time_left(
        running_app):
    add_orders(running_app.uow, cancelled(
        "QSP2611230001", seller_id="seller-77", sales_site="interpark",
        sales_order_no="IP-5521", payment_at=NOW - timedelta(days=3, hours=2)))

    card = ask(running_app, "QSP2611230001")

    text = shown_text(card)
    for fact in ("*Seller*\nseller-77", "*Sales site*\ninterpark · order IP-5521",
                 "*Origin*\napi", "*Category*\nDelivery Cancelled (Sales Site API)",
                 "*Cancelled*\n2026-11-23 10:00 KST by the seller",
                 "*Paid*\n2026-11-23 08:00 KST", "*Deadline*\n2026-12-07 10:00 KST",
                 "*Time left*\n11 days", "A resync can be requested."):
        assert fact in text, fact
    assert "warning" not in text


def test_the_time_left_is_counted_from_the_apps_clock(running_app):
    add_orders(running_app.uow, cancelled("QSP2611230001"))
    running_app.clock.now = NOW + timedelta(days=10, hours=20, minutes=30)

    card = ask(running_app, "QSP2611230001")

    assert "*Time left*\n3 hours 30 minutes" in shown_text(card)


def test_a_closed_window_shows_the_deadline_as_closed_and_no_time_left(running_app):
    add_orders(running_app.uow, cancelled("QSP2611230001", cancelled_at=NOW - timedelta(days=20)))

    text = shown_text(ask(running_app, "QSP2611230001"))

    assert "*Deadline*\n2026-11-20 10:00 KST (closed)" in text
    assert "Time left" not in text and "The 14-day window is closed" in text


def test_an_order_cancelled_at_the_sales_site_shows_no_deadline(running_app):
    add_orders(running_app.uow, cancelled("QSP2611230001", cancelled_by=CancelledBy.SALES_SITE))

    text = shown_text(ask(running_app, "QSP2611230001"))

    assert "*Category*\nSales Site Order Cancel" in text and "at the sales site" in text
    assert "Deadline" not in text and "cannot be resynced or restored" in text


def test_a_resync_paid_on_another_day_is_warned_about_before_the_request(running_app):
    add_orders(running_app.uow, cancelled(
        "QSP2611230001", payment_at=datetime(2026, 11, 20, 23, 0, tzinfo=SEOUL)))

    card = ask(running_app, "QSP2611230001")

    assert ("The order was cancelled on 2026-11-23 but paid on 2026-11-20; the sales site may "
            "not find it, and the resync may fail.") in shown_text(card)
    assert buttons(card) == ["Request resync"]


@pytest.mark.parametrize("typed", ["qsp2611230001", "  QSP 2611 230001 ", "Qsp2611230001"])
def test_a_lookup_forgives_spaces_and_letter_case(running_app, typed):
    add_orders(running_app.uow, cancelled("QSP2611230001"))

    card = ask(running_app, typed)

    assert "*QSP2611230001* · *Resync Available*" in shown_text(card)


def test_lookup_of_superseded_packing_no_points_to_new_one(running_app):
    add_orders(running_app.uow,
               cancelled("QSP2611230001", recovery=Recovery.DONE, superseded_by="QSP2611260001"),
               active("QSP2611260001", Stage.CONFIRMATION, resynced_from="QSP2611230001"))

    card = ask(running_app, "QSP2611230001")

    text = shown_text(card)
    assert ("*QSP2611230001 was resynced*: the new packing number is *QSP2611260001*, "
            "and QSP2611230001 is no longer valid.") in text
    assert "QSP2611260001 is in processing (stage: order confirmation)." in text
    assert buttons(card) == [] and "Deadline" not in text


def test_the_new_packing_number_of_a_resync_says_where_it_came_from(running_app):
    add_orders(running_app.uow, active("QSP2611260001", Stage.CONFIRMATION,
                                       resynced_from="QSP2611230001"))

    text = shown_text(ask(running_app, "QSP2611260001"))

    assert "It was made by a resync of QSP2611230001." in text


def test_lookup_of_an_active_order_says_it_is_not_cancelled_and_gives_its_stage(running_app):
    add_orders(running_app.uow, active("QSP2611250001", Stage.WAYBILL))

    card = ask(running_app, "QSP2611250001")

    assert ("*QSP2611250001* is not cancelled: it is in Order Management "
            "(processing stage: waybill printing).") in shown_text(card)
    assert buttons(card) == []


def test_lookup_of_a_restored_order_says_it_came_back_with_the_same_number(running_app):
    restored = cancelled("ACC000001", origin=Origin.EXCEL, recovery=Recovery.DONE)
    add_orders(running_app.uow, restored.restart_processing())

    card = ask(running_app, "ACC000001")

    text = shown_text(card)
    assert "(processing stage: order confirmation)" in text
    assert "It came back through a restore, with the same packing number." in text
    assert "*Recovered*" in text and buttons(card) == []


def test_lookup_of_an_unknown_number_says_no_order_has_it(running_app):
    reply = running_app.send.command("QSP0000000404", REQUESTER)

    assert reply.status == 200
    shown = reply.json
    assert shown["text"] == ("No order has the packing number QSP0000000404. Check the number, "
                             "or see `/cancelled help` for what else the command takes.")
    assert shown["response_type"] == "ephemeral"


def test_a_mistyped_sub_command_with_digits_is_answered_with_a_pointer_to_help(running_app):
    reply = running_app.send.command("lst 7d", REQUESTER)

    shown = running_app.fake.wait_for(lambda: running_app.fake.shown(reply.response_url))
    assert shown["text"].startswith("No order has the packing number LST7D.")
    assert "`/cancelled help`" in shown["text"]


def test_a_lookup_card_with_very_long_fields_still_fits_block_kit(running_app):
    add_orders(running_app.uow, cancelled(
        "QSP2611230001", seller_id="s<&>" * 16, sales_site="t" * 32,  # the longest stored
        sales_order_no="9" * 64, payment_at=datetime(2026, 11, 1, tzinfo=SEOUL)))

    card = ask(running_app, "QSP2611230001")  # ask() checks the limits

    assert "s&lt;&amp;&gt;" in shown_text(card)
