"""`cancelbot worker` as real processes: killed mid-job, stopped by SIGTERM, two side by side.

These wait for other processes, so they poll the database against a deadline; the clock they
use is the real one (a worker process reads it), so their orders are cancelled a day ago.
"""
from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest

from store.models import AuditRow, JobRow
from tests.conftest import POSTGRES_URL
from tests.integration.builders import Database
from tests.integration.job_support import (
    count,
    created_orders,
    job_rows,
    outbox_job_ids,
    queued_jobs,
)
from tests.standin_http import Reply, Request, StandInServer, json_reply

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 60  # seconds for anything a worker process is waited for
POLL_SECONDS = 0.05


def real_now() -> datetime:
    return datetime.now(UTC)


def stop_process(process: subprocess.Popen[bytes], log: Path) -> int:
    """SIGTERM, then the exit status; a process still running after DEADLINE fails the test
    with its log and the stacks of its threads (SIGUSR1: see bot/scheduler.py)."""
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(DEADLINE)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGUSR1)
        try:
            process.wait(5)  # the stacks are written at once; this only lets them land
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        raise AssertionError(f"did not stop on SIGTERM:\n{log.read_text()}") from None


def wait_until(condition: Callable[[], object], what: str, timeout: float = DEADLINE) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, f"gave up waiting for {what}"
        time.sleep(POLL_SECONDS)


def wait_while_progressing(remaining: Callable[[], int], what: str,
                           stall: float = DEADLINE) -> None:
    """Wait until remaining() is 0; give up only when it has not gone down for `stall` seconds
    (how long the whole takes depends on how busy the machine is, not on the code)."""
    left, since = remaining(), time.monotonic()
    while left:
        assert time.monotonic() - since < stall, f"gave up waiting for {what}: {left} left"
        time.sleep(POLL_SECONDS)
        now_left = remaining()
        if now_left < left:
            left, since = now_left, time.monotonic()


class SalesSiteServer(StandInServer):
    """The sales-site API on a local port; every order is valid, once the test lets go."""

    name: ClassVar[str] = "the sales site"
    hang_seconds: ClassVar[float] = DEADLINE

    def __init__(self) -> None:
        self.received = threading.Event()
        super().__init__()

    @property
    def url(self) -> str:
        return self.origin

    @property
    def requests(self) -> int:
        with self.changed:
            return len(self.log)

    def reply_to(self, request: Request) -> Reply:
        self.received.set()
        paid = (real_now() - timedelta(days=1, hours=1)).isoformat()
        # until the test lets go, a request hangs as a stuck site would
        return json_reply(200, {"status": "valid", "payment_at": paid, "recipient": "Kim Minji",
                                "items": "2x mug", "updated_at": paid}, hang=True)


@pytest.fixture
def sales_site() -> Iterator[SalesSiteServer]:
    with SalesSiteServer() as server:
        yield server


class Worker:
    """A `cancelbot worker` process, its log in a file."""

    def __init__(self, db_url: str, log: Path, sales_site_url: str | None, lease: float,
                 settings: dict[str, str] | None = None) -> None:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SLACK_", "CANCELBOT_", "SALES_SITE_"))}
        env.update(DATABASE_URL=db_url, CANCELBOT_POLL_SECONDS="0.1", **(settings or {}))
        if sales_site_url:
            env["SALES_SITE_API_URL"] = sales_site_url
        self.log = log
        with log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "worker", "--lease-seconds", str(lease)],
                cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out)

    def says(self, text: str) -> bool:
        return text in self.log.read_text()

    def stop(self) -> int:
        """SIGTERM, then the exit status."""
        return stop_process(self.process, self.log)


@pytest.fixture
def workers(db_url: str, tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    """Start workers on the test database; any still running at the end is killed."""
    started: list[Worker] = []

    def start(sales_site_url: str | None = None, lease: float = 60,
              settings: dict[str, str] | None = None) -> Worker:
        started.append(Worker(db_url, tmp_path / f"worker{len(started)}.log", sales_site_url,
                              lease, settings))
        return started[-1]

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait()


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


def queue(db: Database, **kinds: int):
    now = real_now()
    return queued_jobs(db.uow, db.sessions, now=now, cancelled_at=now - timedelta(days=1),
                       **kinds)


def unfinished(db: Database) -> int:
    return count(db.sessions, JobRow, JobRow.state.in_(("queued", "running")))


@pytest.mark.slow
def test_a_worker_killed_mid_job_leaves_it_leased_and_the_next_finishes_it_once(
        db, workers, sales_site):
    job, = queue(db, resyncs=1)
    first = workers(sales_site.url, lease=1)
    assert sales_site.received.wait(DEADLINE), first.log.read_text()

    first.process.send_signal(signal.SIGKILL)
    first.process.wait(DEADLINE)

    row, = job_rows(db.sessions)
    assert (row.state, row.attempts) == ("running", 1)
    assert row.lease_owner and row.lease_expires_at
    sales_site.let_go.set()
    second = workers(sales_site.url, lease=1)
    wait_until(lambda: unfinished(db) == 0, "the second worker to finish the job")
    assert second.stop() == 0
    done, = job_rows(db.sessions)
    assert (done.state, done.attempts) == ("succeeded", 2)
    assert done.lease_owner != row.lease_owner
    assert outbox_job_ids(db.sessions) == [job.id]
    assert [j for j, _ in created_orders(db.sessions)] == [job.id]
    assert count(db.sessions, AuditRow, AuditRow.kind == "reclaimed") == 1
    assert sales_site.requests == 2


@pytest.mark.slow
def test_sigterm_finishes_the_jobs_in_hand_gives_back_the_rest_and_exits_0(
        db, workers, sales_site):
    jobs = queue(db, resyncs=8)  # one batch, read two at a time
    worker = workers(sales_site.url, settings={"CANCELBOT_SALES_SITE_CONCURRENCY": "2"})
    assert sales_site.received.wait(DEADLINE), worker.log.read_text()

    worker.process.send_signal(signal.SIGTERM)
    wait_until(lambda: worker.says("received SIGTERM; stopping"), "the worker to stop claiming")
    sales_site.let_go.set()

    assert worker.process.wait(DEADLINE) == 0
    assert worker.says("stopped")
    in_hand = sales_site.requests  # reads begun before the stop; none begins after it
    assert 1 <= in_hand <= 2
    rows = job_rows(db.sessions)
    done = [r.id for r in rows if (r.state, r.attempts) == ("succeeded", 1)]
    given_back = [r.id for r in rows if (r.state, r.lease_owner, r.attempts) == ("queued", None, 0)]
    assert len(done) == in_hand and len(given_back) == len(jobs) - in_hand
    assert sorted(outbox_job_ids(db.sessions)) == done


if POSTGRES_URL:  # several instances need PostgreSQL; the README says SQLite is for one

    @pytest.mark.slow
    @pytest.mark.parametrize("backend", ["postgresql"])
    def test_two_worker_processes_run_each_of_a_thousand_jobs_exactly_once(db, workers):
        pair = [workers(), workers()]
        for worker in pair:
            wait_until(functools.partial(worker.says, "started"), "a worker to start")

        jobs = queue(db, resyncs=500, missing=250, restores=250)
        wait_while_progressing(lambda: unfinished(db), "the workers to run every job")

        assert [worker.stop() for worker in pair] == [0, 0]
        rows = job_rows(db.sessions)
        assert len(rows) == len(jobs) == 1000
        assert sorted(r.state for r in rows) == ["failed"] * 250 + ["succeeded"] * 750
        assert {r.attempts for r in rows} == {1}
        assert len({r.lease_owner for r in rows}) == 2  # both took part
        assert sorted(outbox_job_ids(db.sessions)) == [j.id for j in jobs]
        made = created_orders(db.sessions)
        assert len(made) == len({j for j, _ in made}) == len({p for _, p in made}) == 500
        finished = count(db.sessions, AuditRow, AuditRow.kind.in_(("succeeded", "failed")))
        assert finished == 1000

