"""The lookup card, rendered from a lookup: facts, deadline and the one allowed button."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.lookup import look_up
from domain.model import Action, CancelledBy, Origin, Recovery, Stage
from domain.model import SalesOrderStatus as SOS
from handlers.render.lookup_card import lookup_card
from tests.blockkit_limits import assert_message_fits, duplicate_action_ids
from tests.integration.builders import NOW, SEOUL, active, cancelled, ctx
from tests.unit.fakes import (
    API_NO,
    EXCEL_NO,
    T_RUN,
    FakeUnitOfWork,
    approved_job,
    run,
    seeded_uow,
    site,
)
from tests.unit.fakes import (
    ctx as fake_ctx,
)


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
    (cancelled("QSP6", recovery=Recovery.FAILED_RETRY,
               cancelled_at=NOW - timedelta(days=14, minutes=5)), []),
    (cancelled("QSP7", recovery=Recovery.AWAITING), []),
    (cancelled("QSP8", cancelled_at=NOW - timedelta(days=14, minutes=5)), []),
    (cancelled("QSP9", cancelled_by=CancelledBy.SALES_SITE), []),
])
def test_only_the_allowed_button_is_on_the_card(order, expected):
    assert actions(card(order)) == expected


FAILED_RUNS = [
    # (packing number, action, the sales site, the status, what the card says to check first)
    (API_NO, Action.RESYNC, dict(status=SOS.CLAIM), "Failed to Resync",
     "Check the claim on the sales site first"),
    (API_NO, Action.RESYNC, dict(status=SOS.IN_DELIVERY), "Failed to Resync",
     "Check the delivery on the sales site first"),
    (API_NO, Action.RESYNC, dict(status=None), "Failed to Resync",
     "Check on the sales site that the sales order exists"),
    (API_NO, Action.RESYNC, dict(unavailable=True), "Failed to Resync",
     "Check the order status on the sales site"),
    (EXCEL_NO, Action.RESTORE, dict(), "Failed to Recover",
     "(duplicates: ACC000009). Check the duplicates first"),
]


@pytest.mark.parametrize("packing_no, action, sales_site, label, check_first", FAILED_RUNS,
                         ids=["claim", "in_delivery", "not_found", "server_error", "duplicate"])
def test_after_a_failed_job_the_card_is_failed_says_what_to_check_and_offers_the_request_again(
    packing_no, action, sales_site, label, check_first
):
    uow = seeded_uow(active("ACC000009", origin=Origin.EXCEL, sales_site="interpark",
                            sales_order_no=f"SO-{EXCEL_NO}"))
    run(uow, approved_job(uow, packing_no, action), site(**sales_site))

    rendered = lookup_card(look_up(uow, packing_no, fake_ctx(T_RUN)), SEOUL)

    assert rendered.text.startswith(f"{packing_no} · {label} · The last {action.value} failed: ")
    assert check_first in rendered.text and "a new request is allowed" in rendered.text
    assert actions(rendered) == [(f"Request {action.value}", f"request_{action.value}",
                                  packing_no)]


def test_after_a_resync_found_the_sales_order_cancelled_the_card_is_in_its_tab_without_button():
    uow = seeded_uow()
    run(uow, approved_job(uow), site(SOS.CANCELLED))

    rendered = lookup_card(look_up(uow, API_NO, fake_ctx(T_RUN)), SEOUL)

    assert rendered.text.startswith(f"{API_NO} · No Action · A resync found the sales order "
                                    "cancelled at the sales site")
    fields = [f["text"] for b in rendered.blocks for f in b.get("fields", [])]
    assert "*Category*\nSales Site Order Cancel" in fields
    assert actions(rendered) == []


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
    huge: dict[str, Any] = dict(seller_id="<&>" * 700, sales_site="s" * 3000,
                                sales_order_no="9" * 3000, payment_at=NOW - timedelta(days=9))
    for rendered in (card(cancelled("QSP1", **huge)),
                     card(active("QSP2", **huge)),
                     card(cancelled("QSP3", recovery=Recovery.DONE, superseded_by="QSP4", **huge),
                          active("QSP4", Stage.CONFIRMATION, **huge), number="QSP3"),
                     card(cancelled("ACC5", origin=Origin.EXCEL, recovery=Recovery.DONE,
                                    **huge).restart_processing())):
        assert_message_fits(rendered.text, rendered.blocks)
        assert duplicate_action_ids(rendered.blocks) == []
