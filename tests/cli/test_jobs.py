"""`cancelbot jobs`: work in flight, and results Slack has not taken yet with their errors."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot import cli
from domain.execution import run_job
from store.embedded_sales_site import EmbeddedSalesSite
from tests.integration.builders import NOW, Database, ctx
from tests.integration.job_support import queued_jobs


@pytest.fixture
def db(db_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    database = Database(db_url)
    yield database
    database.dispose()


def jobs_output(capsys) -> str:
    assert cli.main(["jobs"]) == 0
    return capsys.readouterr().out


def test_jobs_lists_the_queued_ones_with_their_packing_numbers(db, capsys):
    first, second = queued_jobs(db.uow, db.sessions, restores=2)

    out = jobs_output(capsys)

    assert "Jobs queued or running: 2" in out
    assert f"#{first.id} restore `{first.packing_no}` (request #{first.request_id}): queued" in out
    assert f"#{second.id} restore `{second.packing_no}`" in out
    assert "Results not yet in their Slack thread: 0" in out


def test_jobs_shows_every_undelivered_result_even_more_than_one_slack_message_holds(db, capsys):
    site = EmbeddedSalesSite(db.sessions)
    for job in queued_jobs(db.uow, db.sessions, restores=40):
        run_job(db.uow, site, job.stored_id, ctx())
    with db.uow() as uow:
        messages = uow.outbox.claim_due("w1", NOW, NOW + timedelta(minutes=5), 100)
        for message in messages:
            uow.outbox.mark_failed(message.id, "w1", "channel_not_found " + "x" * 150,
                                   NOW + timedelta(seconds=30))
        uow.commit()

    out = jobs_output(capsys)

    assert f"Results not yet in their Slack thread: {len(messages)}" in out
    assert len([line for line in out.splitlines() if "1 failed attempt" in line]) == 40
    assert "more results" not in out


def test_jobs_shows_a_result_slack_refused_with_its_attempts_and_last_error(db, capsys):
    job, = queued_jobs(db.uow, db.sessions, restores=1)
    run_job(db.uow, EmbeddedSalesSite(db.sessions), job.stored_id, ctx())
    with db.uow() as uow:
        message, = uow.outbox.claim_due("w1", NOW, NOW + timedelta(minutes=5), 10)
        uow.outbox.mark_failed(message.id, "w1", "ratelimited (429)", NOW + timedelta(seconds=30))
        uow.commit()

    out = jobs_output(capsys)

    assert "Jobs queued or running: 0" in out
    assert (f"request #{job.request_id} (`{job.packing_no}`): 1 failed attempt, "
            "last error: ratelimited (429); next try 2026-11-26 10:00 KST") in out
