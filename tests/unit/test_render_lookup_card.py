"""The lookup card, rendered from a lookup: facts, deadline and the one allowed button."""
from __future__ import annotations

from datetime import timedelta

import pytest

from domain.lookup import look_up
from domain.model import CancelledBy, Origin, Recovery, Stage
from handlers.render.lookup_card import lookup_card
from tests.blockkit_limits import assert_message_fits, duplicate_action_ids
from tests.integration.builders import NOW, SEOUL, active, cancelled, ctx
from tests.unit.fakes import FakeUnitOfWork


def card(*orders, number=None, now=NOW):
    found = look_up(FakeUnitOfWork(*orders), number or orders[0].packing_no, ctx(now))
    return lookup_card(found, SEOUL)


def actions(rendered) -> list[tuple[str, str, str]]:
    return [(e["text"]["text"], e["action_id"], e["value"])
            for b in rendered.blocks if b["type"] == "actions" for e in b["elements"]]


@pytest.mark.parametrize("order, expected", [
    (cancelled("QSP1"), [("Request resync", "request_resync", "QSP1")]),
    (cancelled("QSP2", recovery=Recovery.FAILED_RETRY),
     [("Request resync", "request_resync", "QSP2")]),
    (cancelled("ACC3", origin=Origin.EXCEL), [("Request restore", "request_restore", "ACC3")]),
    (cancelled("ACC4", origin=Origin.MANUAL, recovery=Recovery.FAILED_RETRY),
     [("Request restore", "request_restore", "ACC4")]),
    (cancelled("QSP5", recovery=Recovery.IN_PROGRESS), []),
    (cancelled("QSP6", recovery=Recovery.FAILED_FINAL), []),
    (cancelled("QSP7", recovery=Recovery.AWAITING), []),
    (cancelled("QSP8", cancelled_at=NOW - timedelta(days=14, minutes=5)), []),
    (cancelled("QSP9", cancelled_by=CancelledBy.SALES_SITE), []),
])
def test_only_the_allowed_button_is_on_the_card(order, expected):
    assert actions(card(order)) == expected


def test_the_window_is_open_at_13_days_23_hours_with_one_hour_left():
    rendered = card(cancelled("QSP1", cancelled_at=NOW - timedelta(days=13, hours=23)))

    fields = [f["text"] for b in rendered.blocks for f in b.get("fields", [])]
    assert "*Time left*\n1 hour" in fields
    assert actions(rendered) != []


def test_the_fallback_text_names_the_number_and_status():
    assert card(cancelled("QSP1")).text == "QSP1 · Resync Available · A resync can be requested."


def test_an_active_order_card_has_its_stage_and_no_button():
    rendered = card(active("QSP1", Stage.PICKUP))

    assert rendered.text == ("*QSP1* is not cancelled: it is in Order Management "
                             "(processing stage: pickup request).")
    assert actions(rendered) == []


def test_cards_with_huge_fields_fit_block_kit():
    huge = dict(seller_id="<&>" * 700, sales_site="s" * 3000, sales_order_no="9" * 3000,
                payment_at=NOW - timedelta(days=9))
    for rendered in (card(cancelled("QSP1", **huge)),
                     card(active("QSP2", **huge)),
                     card(cancelled("QSP3", recovery=Recovery.DONE, superseded_by="QSP4", **huge),
                          active("QSP4", Stage.CONFIRMATION, **huge), number="QSP3"),
                     card(cancelled("ACC5", origin=Origin.EXCEL, recovery=Recovery.DONE,
                                    **huge).restart_processing())):
        assert_message_fits(rendered.text, rendered.blocks)
        assert duplicate_action_ids(rendered.blocks) == []
