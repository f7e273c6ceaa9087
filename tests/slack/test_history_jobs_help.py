"""`/cancelled history`, `jobs`, `help` and text the bot cannot read, over signed HTTP."""
from __future__ import annotations

from datetime import timedelta

import pytest

from domain.execution import run_job
from domain.model import Action, SalesOrderStatus
from domain.ports import AuditEvent
from store.embedded_sales_site import EmbeddedSalesSite
from tests.integration.builders import NOW, add_orders, cancelled, ctx
from tests.integration.job_support import queued_jobs
from tests.slack.scenarios import (
    APPROVER,
    REQUESTER,
    approved_request,
    run_jobs,
    with_sales_orders,
)
from tests.slack.test_lookup import ask, shown_text

SUBCOMMANDS = ("/cancelled PACKING_NO", "/cancelled list [api|excel|site]",
               "/cancelled history PACKING_NO", "/cancelled jobs", "/cancelled help")
EXAMPLES = ("`/cancelled QSP2611260001`", "`/cancelled list api status:resync_available from:7d`",
            "`/cancelled history QSP2611260001`", "`/cancelled jobs`", "`/cancelled help`")


def assert_full_usage(text: str) -> None:
    for words in SUBCOMMANDS + EXAMPLES:
        assert words in text, words
    assert "*Filters:* api | excel | site, status:STATUS, seller:ID, site:NAME" in text
    assert "*Dates:* 2026-11-01, 11/01 (month/day, this year), or 7d" in text
    assert "*Statuses:* resync_available, resyncing" in text


def test_the_history_shows_who_asked_who_approved_and_what_the_job_did(running_app):
    order, = with_sales_orders(running_app.uow, running_app.sessions,
                               (cancelled("QSP2611230001"), SalesOrderStatus.VALID))
    placed = approved_request(running_app.uow, None, [order.packing_no], Action.RESYNC,
                              post=False, note="seller <asked> twice")
    run_jobs(running_app.uow, running_app.sessions, placed.jobs)
    request, job = placed.request_id, placed.jobs[0].id

    card = ask(running_app, "history qsp2611230001")

    lines = shown_text(card).splitlines()
    assert lines[0] == "*History of QSP2611230001*"
    assert lines[1:] == [
        f"2026-11-26 10:00 KST · *requested* by <@{REQUESTER}> (QSP2611230001, "
        f"request #{request}, job #{job}): seller &lt;asked&gt; twice",
        f"2026-11-26 10:01 KST · *approved* by <@{APPROVER}> (QSP2611230001, "
        f"request #{request}, job #{job})",
        f"2026-11-26 10:05 KST · *succeeded* by cancelbot (QSP2611230001, request #{request}, "
        f"job #{job}): packing number QSP2611260001",
        f"2026-11-26 10:05 KST · *created* by cancelbot (QSP2611260001, request #{request}, "
        f"job #{job}): resynced from QSP2611230001",
    ]


def test_the_history_of_the_new_number_includes_the_resync_that_made_it(running_app):
    order, = with_sales_orders(running_app.uow, running_app.sessions,
                               (cancelled("QSP2611230001"), SalesOrderStatus.VALID))
    placed = approved_request(running_app.uow, None, [order.packing_no], Action.RESYNC,
                              post=False)
    run_jobs(running_app.uow, running_app.sessions, placed.jobs)

    text = shown_text(ask(running_app, "history QSP2611260001"))

    assert "*History of QSP2611260001*" in text
    assert "*requested* by" in text and "*created* by cancelbot" in text


def test_the_history_of_an_order_nobody_asked_about_says_so(running_app):
    add_orders(running_app.uow, cancelled("QSP2611230001"))

    text = shown_text(ask(running_app, "history QSP2611230001"))

    assert "Nothing has been requested for QSP2611230001 yet." in text


def test_a_long_history_keeps_the_latest_events_and_counts_the_earlier_ones(running_app):
    add_orders(running_app.uow, cancelled("QSP2611230001"))
    with running_app.uow() as uow:
        for n in range(400):
            uow.audit.record(AuditEvent(NOW + timedelta(minutes=n), "UREQUESTER1", "requested",
                                        "QSP2611230001", n + 1, n + 1, f"note {n} " + "x" * 200))
        uow.commit()

    card = ask(running_app, "history QSP2611230001")  # ask() checks the limits

    lines = shown_text(card).splitlines()
    assert lines[0] == "*History of QSP2611230001*"
    assert lines[1].startswith("_…and ") and lines[1].endswith(" earlier events_")
    earlier = int(lines[1].split()[1])
    assert len(lines) - 2 + earlier == 400
    assert "note 399 " in lines[-1]
    assert f"note {earlier} " in lines[2]


def test_the_history_of_an_unknown_number_says_no_order_has_it(running_app):
    reply = running_app.send.command("history QSP0000000404", REQUESTER)

    assert reply.status == 200
    assert reply.json["text"] == "No order has the packing number QSP0000000404."
    assert running_app.fake.sent_to(reply.response_url) == []


def test_jobs_lists_the_queued_jobs_with_their_attempts(running_app):
    first, second = queued_jobs(running_app.uow, running_app.sessions, restores=2)

    text = shown_text(ask(running_app, "jobs"))

    assert "*Jobs queued or running: 2*" in text
    for job in (first, second):
        assert (f"• #{job.id} restore `{job.packing_no}` (request #{job.request_id}): "
                "queued, attempt 0") in text
    assert "*Results not yet in their Slack thread: 0*" in text


def test_jobs_shows_a_result_slack_refused_with_its_attempts_and_last_error(running_app):
    job, = queued_jobs(running_app.uow, running_app.sessions, restores=1)
    run_job(running_app.uow, EmbeddedSalesSite(running_app.sessions), job.stored_id, ctx())
    with running_app.uow() as uow:
        message, = uow.outbox.claim_due("w1", NOW, NOW + timedelta(minutes=5), 10)
        uow.outbox.mark_failed(message.id, "w1", "chat.postMessage: <rate limited> (HTTP 429)",
                               NOW + timedelta(minutes=3))
        uow.commit()

    text = shown_text(ask(running_app, "jobs"))

    assert "*Jobs queued or running: 0*" in text
    assert "*Results not yet in their Slack thread: 1*" in text
    assert (f"• request #{job.request_id} (`{job.packing_no}`): 1 failed attempt, last error: "
            "chat.postMessage: &lt;rate limited&gt; (HTTP 429); next try 2026-11-26 10:03 KST"
            ) in text


def test_jobs_shows_a_result_waiting_for_its_first_delivery(running_app):
    job, = queued_jobs(running_app.uow, running_app.sessions, restores=1)
    run_job(running_app.uow, EmbeddedSalesSite(running_app.sessions), job.stored_id, ctx())

    text = shown_text(ask(running_app, "JOBS"))

    assert (f"• request #{job.request_id} (`{job.packing_no}`): "
            "waiting for its first delivery") in text


def test_help_names_every_sub_command_with_examples_and_the_filter_forms(running_app):
    card = ask(running_app, "help")

    text = shown_text(card)
    assert_full_usage(text)
    assert ":grey_question:" not in text


def test_empty_text_gets_the_full_usage_without_a_reason(running_app):
    text = shown_text(ask(running_app, "   "))

    assert_full_usage(text)
    assert ":grey_question:" not in text


@pytest.mark.parametrize("typed, reason", [
    ("frobnicate", "`frobnicate` is not a sub-command of `/cancelled`, nor a packing number."),
    ("history", "`history` needs a packing number, for example "
                "`/cancelled history QSP2611260001`."),
    ("QSP-12!", "`QSP-12!` is not a packing number: use letters and digits only, for example "
                "`QSP2611260001`."),
    ("history QSP-12!", "`QSP-12!` is not a packing number"),
    ("jobs now", "`jobs` takes nothing after it, but got `now`."),
])
def test_text_the_bot_cannot_read_gets_the_reason_then_the_full_usage(running_app, typed, reason):
    card = ask(running_app, typed)

    text = shown_text(card)
    assert text.startswith(f":grey_question: {reason}")
    assert_full_usage(text)
    assert card["text"].startswith(reason)
