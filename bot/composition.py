"""The composition root: the store, the Slack client, the listeners' dependencies, the Bolt app,
the job worker and the scheduler, each built from Settings here and nowhere else.

`cancelbot run`, `worker`, `console`, `doctor`, the other commands and the benchmarks take their
parts from this module; nothing is built at import time. docs/architecture.md shows the layers.
"""
from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App
from slack_bolt.middleware import SslCheck
from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.feed_polling import FeedPolling
from bot.logs import formatter_for
from bot.metrics import MeasuredApp, Metrics
from bot.scheduler import build_scheduler
from bot.worker import LEASE, JobWorker, worker_owner
from domain.ports import UnitOfWork
from domain.services import OrderFeed, RecoveryService, SalesSite
from handlers import approvals, errors, home, requests, shortcuts, slash, webhook
from handlers.approvers import ApproverDirectory
from handlers.deps import ANSWER_SECONDS, Approvers, Deps
from handlers.digest import post_digest
from handlers.slack_client import make_web_client
from handlers.thread_results import deliver_due
from handlers.trust import InstalledWorkspaceOnly, SlackResponseUrlsOnly, SlackSignature
from store.db import make_engine
from store.embedded_sales_site import EmbeddedSalesSite
from store.order_feed_http import TIMEOUT_SECONDS as FEED_TIMEOUT_SECONDS
from store.order_feed_http import HttpOrderFeed
from store.recovery_service_http import HttpRecoveryService
from store.sales_site_http import HttpSalesSite
from store.uow import SqlUnitOfWork, session_factory, uow_factory

FEATURES = (slash, requests, approvals, home, shortcuts)
LAZY_THREADS = 8  # the Slack work after acknowledgements (Bolt's default pool has 5)

log = logging.getLogger("cancelbot.worker")


def utc_now() -> datetime:
    """The clock every process part reads (tests move it by replacing this function)."""
    return datetime.now(UTC)


def configure_logging(log_format: str = "text") -> None:
    """Log lines on stderr for the long-running commands (text, or one JSON object per line),
    without APScheduler's line per poll."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter_for(log_format))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line per poll otherwise


# -- the store --------------------------------------------------------------------------------

@dataclass
class Store:
    engine: Engine
    uow: Callable[[], SqlUnitOfWork]
    sales_site: SalesSite
    recoveries: RecoveryService | None = None  # None: jobs change cancelbot's own book
    feed: OrderFeed | None = None  # None: the book changes by CSV import only

    def close(self) -> None:
        self.engine.dispose()


def open_store(settings: Settings) -> Store:
    """The database named by settings, the HTTP sales site if its URL is set (else embedded),
    the order service that carries recoveries out (None: cancelbot's own book) and the order
    feed (None: CSV imports only)."""
    engine = make_engine(settings.database_url)
    sessions = session_factory(engine)
    return Store(engine, uow_factory(sessions), sales_site_for(settings, sessions),
                 recovery_service_for(settings), order_feed_for(settings))


def sales_site_for(settings: Settings, sessions: Callable[[], Session]) -> SalesSite:
    """The HTTP sales site if SALES_SITE_API_URL is set, else the one embedded in the database."""
    if settings.sales_site_api_url:
        return HttpSalesSite(settings.sales_site_api_url, settings.sites_not_ready)
    return EmbeddedSalesSite(sessions, settings.sites_not_ready)


def recovery_service_for(settings: Settings) -> RecoveryService | None:
    """Smartship's order service if CANCELBOT_RECOVERY_API_URL is set; None for the embedded
    adapter, cancelbot's own book (domain/execution.py)."""
    return http_recovery_service(settings)


def http_recovery_service(settings: Settings, timeout: float | None = None
                          ) -> HttpRecoveryService | None:
    """The order service's HTTP adapter (None when CANCELBOT_RECOVERY_API_URL is not set);
    `doctor` asks it with a shorter timeout than the jobs' default."""
    if not settings.recovery_api_url:
        return None
    extra = {} if timeout is None else {"timeout": timeout}
    return HttpRecoveryService(settings.recovery_api_url, settings.recovery_api_token, **extra)


def order_feed_for(settings: Settings, timeout: float | None = None) -> OrderFeed | None:
    """Smartship's order feed if CANCELBOT_ORDER_FEED_URL is set; None otherwise (the book then
    changes by `cancelbot import orders` only); `doctor` asks it with its own timeout."""
    if not settings.order_feed_url:
        return None
    return HttpOrderFeed(settings.order_feed_url, settings.order_feed_token,
                         timeout=FEED_TIMEOUT_SECONDS if timeout is None else timeout)


# -- Slack: the client, the listeners' dependencies and the app -------------------------------

def slack_client(settings: Settings, **options: Any) -> WebClient:
    """The WebClient for SLACK_BOT_TOKEN at SLACK_API_URL (options: make_web_client's)."""
    if not settings.slack_bot_token:
        raise ValueError("SLACK_BOT_TOKEN is not set")  # callers check it, with advice, first
    return make_web_client(settings.slack_bot_token, settings.slack_api_url, **options)


def build_deps(settings: Settings, uow: Callable[[], UnitOfWork], client: WebClient,
               clock: Callable[[], datetime] = utc_now,
               approvers: Approvers | None = None,
               sales_site: SalesSite | None = None,
               answer_seconds: float = ANSWER_SECONDS) -> Deps:
    """What the listeners need, from settings; approvers default to CANCELBOT_APPROVERS."""
    return Deps(
        uow=uow, clock=clock, zone=settings.zone,
        approvers=approvers or ApproverDirectory(client, settings.approvers),
        sites_not_ready=settings.sites_not_ready,
        approval_channel=settings.approval_channel,
        allow_self_approval=settings.allow_self_approval,
        sales_site=sales_site, answer_seconds=answer_seconds,
    )


class _ClientTokenNotice(logging.Filter):
    """Drops Bolt's warning that SLACK_BOT_TOKEN goes unused: the client we give Bolt carries
    that same token (Bolt reads the variable whenever it is set, and warns)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


CLIENT_TOKEN_NOTICE = _ClientTokenNotice()


def build_app(settings: Settings, uow: Callable[[], UnitOfWork], client: WebClient, *,
              clock: Callable[[], datetime] = utc_now, approvers: Approvers | None = None,
              logger: logging.Logger | None = None, sales_site: SalesSite | None = None,
              metrics: Metrics | None = None,
              answer_seconds: float = ANSWER_SECONDS) -> App:
    """The Bolt app with every listener and the error handler. A request reaches a listener
    only when it is signed with SLACK_SIGNING_SECRET (else 401), comes from the workspace the
    bot token belongs to, and offers response URLs on Slack's host only (handlers/trust.py).
    sales_site is read for the resync request modal; metrics, when given, counts and times
    every request.

    Each request is processed before it is answered, so an answer ready within
    answer_seconds goes in the acknowledgement itself (handlers/answers.py); listeners that
    call Slack acknowledge first and do that as Bolt lazy listeners (handlers/later.py), in
    the app's thread pool."""
    logger = logger or logging.getLogger("cancelbot.slack")
    logger.addFilter(CLIENT_TOKEN_NOTICE)  # a filter added twice is kept once
    app_type: Callable[..., App] = App if metrics is None else partial(MeasuredApp,
                                                                        metrics=metrics)
    app = app_type(
        client=client,  # it carries the bot token
        # Bolt's own check raises on a timestamp that is not a number and then hands the
        # unverified request to the error handler; ours runs first and refuses it with 401
        request_verification_enabled=False,
        before_authorize=SlackSignature(settings.slack_signing_secret),
        ssl_check_enabled=False,  # Bolt would answer it before any check: it is added below
        # Bolt calls auth.test once, at the first verified request: its team is the one
        # InstalledWorkspaceOnly lets in. `cancelbot run` checks the token itself, with advice.
        token_verification_enabled=False,
        logger=logger,
        # the listener runs in the request's own thread and its acknowledgement is the answer:
        # no waiting on Bolt's 10 ms ack-polling (slack_bolt/listener/thread_runner.py)
        process_before_response=True,
        listener_executor=ThreadPoolExecutor(max_workers=LAZY_THREADS,
                                             thread_name_prefix="lazy-listener"),
    )
    webhook.trust_api_url(settings.slack_api_url)
    app.use(SslCheck(base_logger=logger))
    app.use(InstalledWorkspaceOnly())
    app.use(SlackResponseUrlsOnly(settings.slack_api_url))
    deps = build_deps(settings, uow, client, clock, approvers, sales_site, answer_seconds)
    errors.register(app, settings.zone)
    for feature in FEATURES:
        feature.register(app, deps)
    return app


def watch_store(metrics: Metrics, store: Store) -> None:
    """Let metrics read jobs and outbox from store's database at each scrape."""
    metrics.watch(session_factory(store.engine), utc_now)


# -- the worker and the scheduler -------------------------------------------------------------

def job_worker(settings: Settings, store: Store, owner: str | None = None,
               clock: Callable[[], datetime] | None = None, lease: timedelta = LEASE) -> JobWorker:
    """The worker that claims and runs approved jobs, named owner (default: unique per process),
    on clock (default: utc_now), CANCELBOT_JOB_BATCH jobs per transaction. Only the HTTP sales
    site is read CANCELBOT_SALES_SITE_CONCURRENCY at a time: the embedded one is the database
    itself, which parallel reads would only crowd."""
    concurrency = settings.sales_site_concurrency if settings.sales_site_api_url else 1
    return JobWorker(store.uow, store.sales_site, settings, owner or worker_owner(),
                     clock or utc_now, lease=lease, batch=settings.job_batch,
                     recoveries=store.recoveries, concurrency=concurrency)


def background(settings: Settings, store: Store, lease: timedelta = LEASE,
               client: WebClient | None = None) -> tuple[JobWorker, BackgroundScheduler]:
    """The job worker and the scheduler (not started) polling jobs, outbox, digest and the order
    feed (when the store has one); both Slack pollers use client (default: one made from the
    settings' bot token).

    Reclaims expired leases first, which also checks that the database answers (it raises
    OperationalError or ProgrammingError otherwise).
    """
    worker = job_worker(settings, store, lease=lease)
    worker.reclaim_expired()
    if client is None and settings.slack_bot_token:
        client = slack_client(settings)
    scheduler = build_scheduler(worker, outbox_delivery(client, store, worker.owner,
                                                        settings.zone, tuple(settings.approvers)),
                                digest_posting(settings, client, store, worker.owner), settings,
                                feed_polling(store, worker))
    return worker, scheduler


def feed_polling(store: Store, worker: JobWorker) -> Callable[[], object] | None:
    """The order feed's poller, under the worker's owner name and stopping with it; None
    without CANCELBOT_ORDER_FEED_URL."""
    if store.feed is None:
        return None
    return FeedPolling(store.uow, store.feed, worker.owner, utc_now,
                       stopping=worker.stopping).poll


def outbox_delivery(client: WebClient | None, store: Store, owner: str,
                    zone: tzinfo = UTC, approvers: tuple[str, ...] = ()
                    ) -> Callable[[], int] | None:
    """The poller posting outbox rows into their Slack threads (a reminder names approvers);
    None without a Slack client."""
    if client is None:
        # nothing is lost: the results wait in the outbox for a worker that has a token
        log.warning("SLACK_BOT_TOKEN is not set; results stay in the outbox")
        return None
    return lambda: deliver_due(store.uow, client, owner, utc_now(), zone=zone,
                               approvers=approvers)


def digest_posting(settings: Settings, client: WebClient | None, store: Store,
                   owner: str) -> Callable[[], object] | None:
    """The morning digest poster; None without a Slack client or CANCELBOT_APPROVAL_CHANNEL."""
    channel = settings.approval_channel
    if not (client and channel):
        log.info("no morning digest: SLACK_BOT_TOKEN or CANCELBOT_APPROVAL_CHANNEL is not set")
        return None
    # the clock is read when the scheduler calls, so each try sees its own now
    return lambda: post_digest(store.uow, client, channel, settings.status_context(utc_now()),
                               owner=owner)
