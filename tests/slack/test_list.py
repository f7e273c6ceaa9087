"""`/cancelled list` over signed HTTP: counts, tab buttons, pages edited in place, bulk buttons."""
from __future__ import annotations

from datetime import timedelta

from domain.model import CancelledBy, Origin, Recovery
from handlers.actions import BULK_RESTORE, BULK_RESYNC, LIST_PAGE, decode_query
from tests.blockkit_limits import assert_message_fits, duplicate_action_ids
from tests.integration.builders import NOW, add_orders, cancelled
from tests.slack.scenarios import REQUESTER
from tests.slack.signed import SUPPORT, buttons, find_button
from tests.slack.test_lookup import shown_text


def button_named(message: dict, label: str) -> dict:
    """The button with this label on a message."""
    for block in message.get("blocks") or []:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element.get("type") == "button" and element["text"]["text"] == label:
                return element
    raise AssertionError(f"no {label!r} button among {buttons(message)}")


def press(running_app, message: dict, label: str, response_url: str) -> dict:
    """Press a button of the list message; the answer edits the message at response_url."""
    button = button_named(message, label)
    before = len(running_app.fake.posted_to(response_url))
    reply = running_app.send.click(message, button["action_id"], REQUESTER, channel=SUPPORT,
                                   response_url=response_url, ephemeral=True,
                                   value=button["value"])
    assert (reply.status, reply.body) == (200, "")
    running_app.fake.wait_for(lambda: len(running_app.fake.posted_to(response_url)) > before)
    shown = running_app.fake.shown(response_url)
    assert_message_fits(shown.get("text"), shown.get("blocks"))
    assert duplicate_action_ids(shown.get("blocks")) == []
    return shown


def listed(message: dict) -> list[str]:
    """The packing numbers on the page, in order."""
    text = shown_text(message)
    return [line.split("`")[1] for line in text.splitlines() if line.startswith("`")]


def typed_list(running_app, filters: str = "") -> tuple[dict, str]:
    reply = running_app.send.command(f"list {filters}".strip(), REQUESTER)
    assert reply.status == 200 and reply.json["blocks"]  # the acknowledgement is the page
    assert running_app.fake.sent_to(reply.response_url) == []
    shown = running_app.fake.shown(reply.response_url)
    assert shown["response_type"] == "ephemeral"
    assert_message_fits(shown.get("text"), shown.get("blocks"))
    assert duplicate_action_ids(shown.get("blocks")) == []
    return shown, reply.response_url


def some_orders(running_app) -> None:
    """3 api (2 available, 1 resyncing), 2 excel/manual (1 recoverable, 1 closed), 1 site."""
    add_orders(
        running_app.uow,
        cancelled("QSP2611230001", cancelled_at=NOW - timedelta(days=1)),
        cancelled("QSP2611230002", cancelled_at=NOW - timedelta(days=2), seller_id="seller-2"),
        cancelled("QSP2611230003", cancelled_at=NOW - timedelta(days=3),
                  recovery=Recovery.IN_PROGRESS),
        cancelled("ACC000001", origin=Origin.EXCEL, cancelled_at=NOW - timedelta(days=4)),
        cancelled("ACC000002", origin=Origin.MANUAL, cancelled_at=NOW - timedelta(days=20)),
        cancelled("QSP2611230004", cancelled_by=CancelledBy.SALES_SITE,
                  cancelled_at=NOW - timedelta(days=5)),
    )


def test_a_list_shows_the_tab_counts_as_buttons_the_status_counts_and_the_orders(running_app):
    some_orders(running_app)

    message, _ = typed_list(running_app)

    assert buttons(message)[:3] == ["Delivery Cancelled (Sales Site API): 3",
                                    "Delivery Cancelled (Excel/Manual Registered): 2",
                                    "Sales Site Order Cancel: 1"]
    text = shown_text(message)
    assert "*Cancelled deliveries* · all tabs, no filters" in text
    assert ("Resync Available *2* · Resyncing *1* · Resynced *0* · Failed to Resync *0* · "
            "Resync Unavailable *0* · Recoverable *1* · Recovering *0* · Recovered *0* · "
            "Failed to Recover *0* · Unrecoverable *1* · No Action *1*") in text
    assert listed(message) == ["QSP2611230001", "QSP2611230002", "QSP2611230003", "ACC000001",
                               "QSP2611230004", "ACC000002"]
    assert ("`QSP2611230002` · seller-2 · tmon · 2026-11-24 10:00 KST · *Resync Available*"
            in text)
    assert "page 1 of 1 (6 orders)" in text
    assert "Previous" not in buttons(message) and "Next" not in buttons(message)


def test_a_tab_filter_shows_only_that_tabs_statuses_and_orders(running_app):
    some_orders(running_app)

    message, _ = typed_list(running_app, "excel")

    text = shown_text(message)
    assert "*Cancelled deliveries* · Delivery Cancelled (Excel/Manual Registered)" in text
    assert ("*Statuses:* Recoverable *1* · Recovering *0* · Recovered *0* · "
            "Failed to Recover *0* · Unrecoverable *1*") in text
    assert listed(message) == ["ACC000001", "ACC000002"]
    assert buttons(message)[:3] == ["Delivery Cancelled (Sales Site API): 3",
                                    "Delivery Cancelled (Excel/Manual Registered): 2",
                                    "Sales Site Order Cancel: 1"]


def test_a_tab_button_switches_the_same_message_to_that_tab(running_app):
    some_orders(running_app)
    message, url = typed_list(running_app, "api")

    switched = press(running_app, message, "Sales Site Order Cancel: 1", url)

    assert listed(switched) == ["QSP2611230004"]
    assert "*Cancelled deliveries* · Sales Site Order Cancel" in shown_text(switched)
    assert "*Statuses:* No Action *1*" in shown_text(switched)
    assert len(running_app.fake.posted_to(url)) == 2
    assert running_app.fake.posted_to(url)[-1]["replace_original"] is True


def test_a_tab_button_drops_a_status_of_another_tab_and_starts_at_the_first_page(running_app):
    some_orders(running_app)
    message, _ = typed_list(running_app, "status:resync_available")

    tab = button_named(message, "Delivery Cancelled (Excel/Manual Registered): 2")

    query = decode_query(tab["value"])
    assert (query.category.value, query.status, query.page) == ("excel", None, 0)


def test_next_and_previous_edit_the_same_message(running_app):
    add_orders(running_app.uow, *[
        cancelled(f"QSP26112{n:05d}", cancelled_at=NOW - timedelta(hours=n + 1))
        for n in range(23)])
    first, url = typed_list(running_app, "api")
    assert listed(first) == [f"QSP26112{n:05d}" for n in range(10)]
    assert "page 1 of 3 (23 orders)" in shown_text(first)
    assert "Previous" not in buttons(first)

    second = press(running_app, first, "Next", url)
    assert listed(second) == [f"QSP26112{n:05d}" for n in range(10, 20)]
    assert "page 2 of 3 (23 orders)" in shown_text(second)
    assert {"Previous", "Next"} <= set(buttons(second))

    third = press(running_app, second, "Next", url)
    assert listed(third) == [f"QSP26112{n:05d}" for n in range(20, 23)]
    assert "Next" not in buttons(third)

    back = press(running_app, third, "Previous", url)
    assert listed(back) == listed(second)
    assert "*Cancelled deliveries* · Delivery Cancelled (Sales Site API)" in shown_text(back)
    assert all(body.get("replace_original", True) for body in running_app.fake.posted_to(url))


def test_a_page_filter_opens_that_page(running_app):
    add_orders(running_app.uow, *[
        cancelled(f"QSP26112{n:05d}", cancelled_at=NOW - timedelta(hours=n + 1))
        for n in range(12)])

    message, _ = typed_list(running_app, "page:2")

    assert listed(message) == ["QSP2611200010", "QSP2611200011"]
    assert "page 2 of 2 (12 orders)" in shown_text(message)


def test_a_relative_date_lists_the_orders_cancelled_since_then(running_app):
    some_orders(running_app)

    message, _ = typed_list(running_app, "from:3d")

    assert listed(message) == ["QSP2611230001", "QSP2611230002", "QSP2611230003"]
    assert "cancelled from 2026-11-23 10:00 KST" in shown_text(message)


def test_dates_of_the_calendar_bound_the_list(running_app):
    some_orders(running_app)

    message, _ = typed_list(running_app, "from:2026-11-21 to:11/23")

    assert listed(message) == ["QSP2611230003", "ACC000001", "QSP2611230004"]
    assert ("cancelled from 2026-11-21 00:00 KST · cancelled before 2026-11-24 00:00 KST"
            in shown_text(message))


def test_seller_and_site_filters_narrow_the_list(running_app):
    some_orders(running_app)

    message, _ = typed_list(running_app, "seller:seller-2 site:TMON")

    assert listed(message) == ["QSP2611230002"]
    assert "seller seller-2 · site tmon" in shown_text(message)


def test_a_bad_filter_is_answered_with_the_filter_forms(running_app):
    some_orders(running_app)

    message, _ = typed_list(running_app, "from:yesterday")

    text = shown_text(message)
    assert "`from:yesterday` is not a date." in text
    assert "*Filters:* api | excel | site, status:STATUS" in text
    assert "*Dates:* 2026-11-01, 11/01" in text and "7d" in text
    assert "*Statuses:* resync_available" in text
    assert buttons(message) == []


def test_an_unknown_filter_word_is_named(running_app):
    message, _ = typed_list(running_app, "colour:red")

    assert "`colour:red` is not a list filter." in shown_text(message)


def test_a_list_with_nothing_to_show_says_so(running_app):
    message, _ = typed_list(running_app, "site:nowhere")

    assert "No cancelled orders match these filters." in shown_text(message)
    assert "page 1 of 1 (0 orders)" in shown_text(message)


def test_a_page_with_requestable_orders_offers_one_bulk_request_per_action(running_app):
    some_orders(running_app)

    message, _ = typed_list(running_app)

    assert buttons(message)[-2:] == ["Request resync", "Request restore"]
    resync, restore = find_button(message, BULK_RESYNC), find_button(message, BULK_RESTORE)
    assert decode_query(resync["value"]) == decode_query(restore["value"])
    assert decode_query(resync["value"]).page_size == 10
    assert ("2 orders on this page can be resynced now; 1 order on this page can be "
            "restored now.") in shown_text(message)


def test_a_page_without_requestable_orders_has_no_bulk_button(running_app):
    some_orders(running_app)

    message, _ = typed_list(running_app, "site")

    assert "Request resync" not in buttons(message)
    assert "Request restore" not in buttons(message)


def test_a_button_from_an_older_version_is_answered_politely(running_app):
    some_orders(running_app)
    listing, url = typed_list(running_app)
    old = {"blocks": [{"type": "actions", "elements": [{
        "type": "button", "action_id": LIST_PAGE, "value": "page-2",
        "text": {"type": "plain_text", "text": "Next"}}]}]}

    reply = running_app.send.click(old, LIST_PAGE, REQUESTER, channel=SUPPORT,
                                   response_url=url, ephemeral=True)

    assert (reply.status, reply.body) == (200, "")
    answer = running_app.fake.wait_for(lambda: running_app.fake.posted_to(url)[1:])[0]
    assert "older version" in answer["text"] and "/cancelled list" in answer["text"]
    assert answer["replace_original"] is False
    assert running_app.fake.shown(url) == listing


def test_a_long_list_of_long_seller_ids_and_a_long_filter_fit_block_kit(running_app):
    add_orders(running_app.uow, *[
        cancelled(f"QSP26112{n:05d}", seller_id="<&>" * 20 + f"{n:04d}", sales_site="s" * 32,
                  cancelled_at=NOW - timedelta(hours=n + 1))
        for n in range(15)])

    message, _ = typed_list(running_app, "seller:" + "x<" * 500)  # typed_list checks limits
    assert listed(message) == []

    message, url = typed_list(running_app)
    assert len(listed(message)) == 10
    assert len(listed(press(running_app, message, "Next", url))) == 5
