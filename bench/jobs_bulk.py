"""The bulk run of bench/jobs.py: a resync of 1,000 orders in one request, from its approval to
the summary posted in its thread, by one `cancelbot worker` process on PostgreSQL, reading a
sales site over HTTP that answers every order after 50 ms.

The sales site and Slack's Web API are played by this process on loopback ports the system
picks; the worker is a real `cancelbot worker` process (SALES_SITE_API_URL, SLACK_API_URL). The
request is made and approved through domain/workflow, as the approve button's listener does;
the clock starts right before the approval's transaction and stops when `chat.postMessage`
with the results' metadata reaches the Slack stand-in.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bench._path import ROOT
from bot.config import DEFAULT_SALES_SITE_CONCURRENCY
from domain.model import Action, CancelledBy, Order, OrderState, Origin
from domain.status import StatusContext
from domain.window import business_tz
from domain.workflow import ApprovalPolicy, approve, submit_request
from handlers.thread_results import RESULT_EVENT
from store.db import make_engine
from store.mapping import order_values
from store.migrate import upgrade
from store.models import OrderRow
from store.uow import session_factory, uow_factory

CHANNEL, THREAD_TS = "C0BENCH", "1700000000.000100"
SALES_SITE_DELAY = 0.05  # seconds the sales site takes for every order
BULK_POLL = 1.0  # CANCELBOT_POLL_SECONDS of the worker
BULK_TARGET = 15.0  # seconds from approval to the summary in the thread
DEFAULT_CONCURRENCY = DEFAULT_SALES_SITE_CONCURRENCY
DEADLINE = 600.0  # seconds; only reached when something is broken


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # a worker's reads arrive together

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> Any:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


class SalesSite(_Server):
    """Every order valid, answered after `delay` seconds; counts reads and the most at once."""

    def __init__(self, delay: float) -> None:
        super().__init__(_SalesAnswer)
        self.delay = delay
        self.reads = self.in_flight = self.most = 0
        self.first_at = self.last_at = 0.0

    def enter(self) -> None:
        with self.lock:
            self.last_at = time.monotonic()
            self.first_at = self.first_at or self.last_at
            self.reads += 1
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)

    def leave(self) -> None:
        with self.lock:
            self.in_flight -= 1


class _SalesAnswer(BaseHTTPRequestHandler):
    server: SalesSite

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        self.server.enter()
        try:
            time.sleep(self.server.delay)  # the sales site's own time
        finally:
            # before answering: the worker may send its next read as soon as it has the answer
            self.server.leave()
        paid = (datetime.now(UTC) - timedelta(days=1, hours=1)).isoformat()
        body = json.dumps({"status": "valid", "payment_at": paid, "recipient": "Kim Minji",
                           "items": "1x mug", "updated_at": paid}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class Slack(_Server):
    """Slack's Web API: every call ok; notes when the results reply is posted."""

    def __init__(self) -> None:
        super().__init__(_SlackAnswer)
        self.posted = threading.Event()
        self.posted_at = 0.0
        self.text = ""
        self.calls: list[str] = []


class _SlackAnswer(BaseHTTPRequestHandler):
    server: Slack

    def do_POST(self) -> None:  # noqa: N802 - the http.server name
        method = self.path.rsplit("/", 1)[-1]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        try:
            body = json.loads(raw) if raw.startswith("{") else {}
        except ValueError:
            body = {}
        with self.server.lock:
            self.server.calls.append(method)
            ts = f"1700000001.{len(self.server.calls):06d}"
        metadata = body.get("metadata") or {}
        if method == "chat.postMessage" and metadata.get("event_type") == RESULT_EVENT:
            self.server.posted_at = time.monotonic()
            self.server.text = str(body.get("text", ""))
            self.server.posted.set()
        answer = json.dumps({"ok": True, "channel": CHANNEL, "ts": ts, "messages": [],
                             "has_more": False}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@dataclass
class BulkRun:
    concurrency: int
    orders: int
    seconds: float  # approval to the summary in the thread
    approval: float  # the approval's own transaction (queues every job)
    first_read: float  # approval to the first sales-site read (the worker's next poll)
    last_read: float  # approval to the last sales-site read
    reads: int
    most_at_once: int
    summary: str


def request_awaiting_approval(url: str, n: int) -> int:
    """n cancelled sales-site orders (cancelled yesterday) and one resync request for all of
    them, its message posted in CHANNEL; the request's id."""
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    at = now - timedelta(days=1)
    with engine.begin() as conn:
        conn.execute(insert(OrderRow), [order_values(Order(
            packing_no=f"BLK{i:07d}", seller_id=f"seller{i % 40:03d}", sales_site="interpark",
            sales_order_no=f"SO{i:07d}", origin=Origin.API, state=OrderState.CANCELLED,
            cancelled_at=at, cancelled_by=CancelledBy.SELLER, payment_at=at - timedelta(hours=1),
        )) for i in range(n)])
    uows = uow_factory(session_factory(engine))
    ctx = StatusContext(now, business_tz("Asia/Seoul"), frozenset())
    with uows() as uow:  # commits
        submitted = submit_request(uow, [f"BLK{i:07d}" for i in range(n)], Action.RESYNC,
                                   "UREQUESTER", "bulk benchmark", ctx)
    with uows() as uow:
        uow.requests.set_message(submitted.request.stored_id, CHANNEL, THREAD_TS)
        uow.commit()
    engine.dispose()
    return submitted.request.stored_id


def worker_process(url: str, site: SalesSite, slack: Slack, concurrency: int, poll: float,
                   log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "CANCELBOT_", "SALES_SITE_"))}
    env.update(DATABASE_URL=url, SALES_SITE_API_URL=site.url, SLACK_BOT_TOKEN="xoxb-bench",
               SLACK_API_URL=slack.url + "/api/", CANCELBOT_POLL_SECONDS=str(poll),
               CANCELBOT_SALES_SITE_CONCURRENCY=str(concurrency))
    with log.open("w") as out:
        return subprocess.Popen([sys.executable, "-m", "bot.cli", "worker"], cwd=ROOT, env=env,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=out)


def bulk_run(url: str, n: int, concurrency: int, delay: float, poll: float,
             log: Path) -> BulkRun:
    """One timed bulk resync on the (fresh) database at url."""
    request_id = request_awaiting_approval(url, n)
    with SalesSite(delay) as site, Slack() as slack:
        process = worker_process(url, site, slack, concurrency, poll, log)
        try:
            _wait(lambda: "started" in log.read_text(), log)
            engine = make_engine(url)
            uows = uow_factory(session_factory(engine))
            policy = ApprovalPolicy(is_approver=lambda user: True)
            started = time.monotonic()
            with uows() as uow:  # commits
                approve(uow, request_id, "UAPPROVER1", datetime.now(UTC), policy)
            approved = time.monotonic() - started
            if not slack.posted.wait(DEADLINE):
                raise SystemExit(f"no summary in the thread:\n{log.read_text()[-3000:]}")
            engine.dispose()
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(60)
    return BulkRun(concurrency, n, slack.posted_at - started, approved,
                   site.first_at - started, site.last_at - started, site.reads, site.most,
                   slack.text)


def _wait(condition: Any, log: Path) -> None:
    end = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > end:
            raise SystemExit(f"the worker did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.01)


def bulk_table(bulks: list[BulkRun]) -> list[str]:
    lines = ["| sales-site reads at once | orders | approval → summary in thread, s | the "
             "approval's transaction, s | first read at, s | last read at, s | floor: reads "
             "alone, s | reads seen | most at once | target |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for bulk in bulks:
        floor = -(-bulk.orders // bulk.concurrency) * SALES_SITE_DELAY
        verdict = ("PASS" if bulk.seconds <= BULK_TARGET else "FAIL") + f" (≤ {BULK_TARGET:g} s)"
        if bulk.concurrency != DEFAULT_CONCURRENCY:
            verdict = "for comparison"
        lines.append(
            f"| {bulk.concurrency} | {bulk.orders:,} | **{bulk.seconds:.1f}** | "
            f"{bulk.approval:.1f} | {bulk.first_read:.1f} | {bulk.last_read:.1f} | "
            f"{floor:.1f} | {bulk.reads:,} | {bulk.most_at_once} | "
            f"{verdict} |")
    return lines


def bulk_section(bulks: list[BulkRun]) -> list[str]:
    """The bulk run's part of the benchmark's section of docs/benchmarks.md."""
    out = ["### Bulk resync with a slow sales site", "",
           f"{bulks[0].orders:,} orders in one resync request, approved through "
           "`domain.workflow.approve`, run by one `cancelbot worker` process on "
           f"PostgreSQL (`CANCELBOT_POLL_SECONDS={BULK_POLL:g}`; the default 5 s adds up "
           "to one interval before the first claim and one before the summary is "
           "posted). The sales site (`SALES_SITE_API_URL`) and Slack's Web API "
           "(`SLACK_API_URL`) are served by the benchmark on loopback; the sales site "
           f"answers every order after {SALES_SITE_DELAY * 1000:g} ms. Timed from right "
           "before the approval's transaction to the `chat.postMessage` of the results "
           "summary. *floor* is the reads alone at that many at once: "
           "⌈orders ÷ reads at once⌉ × 50 ms. *most at once* is counted by the sales site.",
           ""]
    return out + bulk_table(bulks)
