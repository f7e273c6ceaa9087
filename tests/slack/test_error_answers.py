"""Refusals and surprises after the acknowledgement: the user is told, Slack gets its 200."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import text

from handlers.actions import APPROVE
from handlers.errors import EXPIRED_TRIGGER_TEXT
from tests.datetokens import fallbacks, token_problems
from tests.integration.builders import NOW, SEOUL, add_orders, cancelled
from tests.slack.requesting import (
    lookup_card,
    press,
    press_request,
    request_through_modal,
    rows,
    said_to,
)
from tests.slack.scenarios import REQUESTER

OUTSIDER = "UOUTSIDER1"


def test_every_refused_click_is_acknowledged_with_200_and_answered(running_app) -> None:
    add_orders(running_app.uow, cancelled("QSP2611260001"))
    message, _ = request_through_modal(running_app, "QSP2611260001")
    before = rows(running_app)
    for _ in range(10):  # a refusal right after ack once made Bolt answer 404 after 3 s
        reply = press(running_app, message, APPROVE, OUTSIDER)
        assert (reply.status, reply.body) == (200, "")
        assert said_to(running_app, reply) == (
            "Only the configured approvers can approve or reject requests.")
    assert rows(running_app) == before


def test_a_failure_nobody_expected_shows_a_reference_found_in_the_log(
        running_app, caplog: pytest.LogCaptureFixture) -> None:
    with running_app.sessions() as session:  # the orders table gone: every lookup fails
        session.execute(text("DROP TABLE outbox"))
        session.execute(text("ALTER TABLE orders RENAME TO orders_gone"))
        session.commit()
    with caplog.at_level(logging.ERROR, logger="cancelbot.slack"):
        reply = running_app.send.command("QSP2611260001", REQUESTER)
        answer = running_app.fake.wait_for(lambda: running_app.fake.shown(reply.response_url))
    assert reply.status == 200
    assert answer["text"].startswith("Something went wrong (reference ")
    assert "Traceback" not in answer["text"] and "orders" not in answer["text"]
    reference = answer["text"].split("reference ")[1].split(")")[0]
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert logged and logged[0].exc_info is not None


def test_a_form_that_slack_no_longer_lets_open_asks_to_press_again(running_app) -> None:
    add_orders(running_app.uow, cancelled("QSP2611260002"))
    card = lookup_card(running_app, "QSP2611260002")
    running_app.fake.error_next("views.open", "expired_trigger_id")

    reply = press_request(running_app, card)

    assert reply.status == 200
    beside = lambda: [body for body in running_app.fake.posted_to(card.url)  # noqa: E731
                      if body.get("replace_original") is False]
    told = running_app.fake.wait_for(beside)
    assert told[-1]["text"] == EXPIRED_TRIGGER_TEXT
    assert running_app.fake.shown(card.url) == card.message  # the card and its button stay
    assert rows(running_app).requests == 0


def test_a_refusal_naming_when_the_window_closed_shows_it_in_each_readers_time_zone(
        running_app) -> None:
    add_orders(running_app.uow, cancelled("QSP2611260003", cancelled_at=NOW - timedelta(days=13)))
    card = lookup_card(running_app, "QSP2611260003")
    running_app.clock.now = NOW + timedelta(days=2)  # the window closed since the card was shown

    reply = press_request(running_app, card)

    assert reply.status == 200
    [said] = running_app.fake.wait_for(lambda: [
        m["text"] for m in running_app.fake.posted_to(reply.response_url)
        if "closed on" in fallbacks(m["text"])])
    assert "requests closed on 2026-11-27" in fallbacks(said)
    assert "<!date^" in said and token_problems(said, SEOUL) == []
