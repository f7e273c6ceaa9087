"""The message shortcut "Look up cancelled deliveries" over signed HTTP: the cards of the
orders a message names, only to whoever used it, with their buttons."""
from __future__ import annotations

from domain.model import Origin, Stage
from handlers.actions import REQUEST_RESYNC
from tests.blockkit_limits import assert_message_fits, duplicate_action_ids
from tests.datetokens import token_problems
from tests.integration.builders import SEOUL, active, add_orders, cancelled
from tests.slack.scenarios import REQUESTER
from tests.slack.signed import SUPPORT, buttons
from tests.slack.test_lookup import shown_text


def answered(app, text: str, user: str = REQUESTER) -> tuple[dict, str]:
    """What the user sees after using the shortcut on a message saying text, and its URL."""
    reply = app.send.shortcut(text, user)
    assert reply.status == 200
    shown = app.fake.wait_for(lambda: app.fake.shown(reply.response_url))
    assert_message_fits(shown["text"], shown["blocks"])
    assert duplicate_action_ids(shown["blocks"]) == []
    return shown, reply.response_url


def test_every_packing_number_in_the_message_gets_its_card_with_its_button(running_app):
    add_orders(running_app.uow, cancelled("QSP2611230001"),
               cancelled("ACC000002", origin=Origin.EXCEL), active("QSP2611230003"))

    shown, url = answered(running_app, "seller says qsp2611230001 and ACC000002 (also "
                                       "<@U0SELLER> QSP2611230003, TM261117425433) are missing")

    text = shown_text(shown)
    assert "*3 packing numbers* in that message:" in text
    assert "*QSP2611230001* · *Resync Available*" in text
    assert "*ACC000002* · *Recoverable*" in text
    assert "*QSP2611230003* is not cancelled" in text
    assert buttons(shown) == ["Request resync", "Request restore"]
    assert shown["response_type"] == "ephemeral"
    assert token_problems(shown["blocks"], SEOUL) == []
    # only the person who used it sees it: nothing was posted in the channel
    assert running_app.fake.messages.get(SUPPORT, []) == []
    assert url


def test_its_request_button_opens_the_request_modal(running_app):
    add_orders(running_app.uow, cancelled("QSP2611230001"))
    shown, url = answered(running_app, "please resync QSP2611230001")
    opened = len(running_app.fake.calls_to("views.open"))

    reply = running_app.send.click(shown, REQUEST_RESYNC, REQUESTER, channel=SUPPORT,
                                   response_url=url, ephemeral=True)

    assert reply.status == 200
    running_app.fake.wait_for(lambda: len(running_app.fake.calls_to("views.open")) > opened)
    view = running_app.fake.calls_to("views.open")[-1].params["view"]
    assert "QSP2611230001" in str(view)


def test_more_than_ten_numbers_show_ten_cards_and_name_the_rest(running_app):
    numbers = [f"QSP26112300{n:02d}" for n in range(1, 14)]
    add_orders(running_app.uow, *[cancelled(n) for n in numbers])

    shown, _ = answered(running_app, "\n".join(numbers))

    text = shown_text(shown)
    assert "*13 packing numbers* in that message; the first 10 are shown:" in text
    assert [n for n in numbers if f"*{n}* · " in text] == numbers[:10]
    assert buttons(shown) == ["Request resync"] * 10
    more = shown["blocks"][-1]["elements"][0]["text"]
    assert more.startswith("…and 3 more: `QSP2611230011`, `QSP2611230012`, `QSP2611230013`.")


def test_a_message_without_a_packing_number_gets_a_polite_answer(running_app):
    add_orders(running_app.uow, cancelled("QSP2611230001"))

    shown, _ = answered(running_app, "good morning team, 2026 plans attached (QSP2699999999?)")

    assert shown["text"].startswith("That message names no packing number cancelbot knows")
    assert buttons(shown) == []


def test_a_shortcut_from_another_workspace_reaches_no_listener(running_app):
    add_orders(running_app.uow, cancelled("QSP2611230001"))

    reply = running_app.send.shortcut("QSP2611230001", REQUESTER, team="T0ELSEWHERE")

    assert reply.status == 200 and "only in the Slack workspace" in reply.body
    assert running_app.fake.posted_to(reply.response_url) == []


def test_an_active_order_alone_gets_its_stage(running_app):
    add_orders(running_app.uow, active("QSP2611230009", stage=Stage.PICKUP))

    shown, _ = answered(running_app, "where is QSP2611230009")

    assert "*1 packing number* in that message:" in shown_text(shown)
    assert "(processing stage: pickup request)" in shown_text(shown)
