"""An approved request, a real `cancelbot worker` process (APScheduler inside) and the fake
Slack: the result lands in the request message's thread within one poll interval of the job."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from domain.workflow import set_request_message
from store.models import JobRow, OutboxRow
from tests.integration.builders import Database
from tests.integration.job_support import queued_jobs
from tests.integration.test_worker_processes import DEADLINE, ROOT, real_now, wait_until
from tests.slack.conftest import TOKEN, client_for

POLL_SECONDS = 0.5
CHANNEL = "CAPPROVALS"


def start_worker(db_url: str, slack_url: str, log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "CANCELBOT_", "SALES_SITE_"))}
    env.update(DATABASE_URL=db_url, SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=slack_url,
               CANCELBOT_POLL_SECONDS=str(POLL_SECONDS))
    with log.open("w") as out:
        return subprocess.Popen([sys.executable, "-m", "bot.cli", "worker"], cwd=ROOT, env=env,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=out)


@pytest.mark.slow
def test_an_approved_resync_ends_with_its_result_in_the_request_thread(
        db_url, fake_slack, tmp_path):
    db = Database(db_url)
    now = real_now()
    job, = queued_jobs(db.uow, db.sessions, resyncs=1, now=now,
                       cancelled_at=now - timedelta(days=1))
    posted = client_for(fake_slack).chat_postMessage(channel=CHANNEL, text="Resync requested")
    with db.uow() as uow:
        set_request_message(uow, job.request_id, CHANNEL, posted["ts"])

    worker = start_worker(db_url, fake_slack.base_url, tmp_path / "worker.log")
    try:
        wait_until(lambda: fake_slack.replies(CHANNEL, posted["ts"]), "the result in the thread")
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(DEADLINE) == 0, (tmp_path / "worker.log").read_text()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()

    reply, = fake_slack.replies(CHANNEL, posted["ts"])
    assert reply["text"].startswith("Resynced · new packing number QSP")
    assert "<@UREQUESTER>, RSA000000 was resynced" in reply["text"]
    with db.sessions() as session:
        finished = session.get(JobRow, job.id).finished_at
        delivered = session.query(OutboxRow).one().delivered_at
    assert finished is not None and delivered is not None
    # both times are read when each poll starts, so the delivery's may even come first
    assert delivered - finished <= timedelta(seconds=POLL_SECONDS + 1)
    assert "edited" in fake_slack.message(CHANNEL, posted["ts"])
    db.dispose()
