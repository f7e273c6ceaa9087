"""Builds the Bolt app from settings, a unit-of-work factory and a WebClient (never at import)."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Callable

from slack_bolt import App
from slack_bolt.middleware import SslCheck
from slack_sdk import WebClient

from bot.config import Settings
from domain.ports import SalesSite, UnitOfWork
from handlers import approvals, errors, requests, slash, webhook
from handlers.approvers import ApproverDirectory
from handlers.deps import Approvers, Deps
from handlers.trust import InstalledWorkspaceOnly, SlackResponseUrlsOnly, SlackSignature

FEATURES = (slash, requests, approvals)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def build_deps(settings: Settings, uow: Callable[[], UnitOfWork], client: WebClient,
               clock: Callable[[], datetime] = utc_now,
               approvers: Approvers | None = None,
               sales_site: SalesSite | None = None) -> Deps:
    """What the listeners need, from settings; approvers default to CANCELBOT_APPROVERS."""
    return Deps(
        uow=uow, clock=clock, zone=settings.zone,
        approvers=approvers or ApproverDirectory(client, settings.approvers),
        sites_not_ready=settings.sites_not_ready,
        approval_channel=settings.approval_channel,
        allow_self_approval=settings.allow_self_approval,
        sales_site=sales_site,
    )


class _ClientTokenNotice(logging.Filter):
    """Drops Bolt's warning that SLACK_BOT_TOKEN goes unused: the client we give Bolt carries
    that same token (Bolt reads the variable whenever it is set, and warns)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


CLIENT_TOKEN_NOTICE = _ClientTokenNotice()


def build_app(settings: Settings, uow: Callable[[], UnitOfWork], client: WebClient, *,
              clock: Callable[[], datetime] = utc_now, approvers: Approvers | None = None,
              logger: logging.Logger | None = None, sales_site: SalesSite | None = None) -> App:
    """The Bolt app with every listener and the error handler. A request reaches a listener
    only when it is signed with SLACK_SIGNING_SECRET (else 401), comes from the workspace the
    bot token belongs to, and offers response URLs on Slack's host only (handlers/trust.py).
    sales_site is read for the resync request modal."""
    logger = logger or logging.getLogger("cancelbot.slack")
    logger.addFilter(CLIENT_TOKEN_NOTICE)  # a filter added twice is kept once
    app = App(
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
    )
    webhook.trust_api_url(settings.slack_api_url)
    app.use(SslCheck(base_logger=logger))
    app.use(InstalledWorkspaceOnly())
    app.use(SlackResponseUrlsOnly(settings.slack_api_url))
    deps = build_deps(settings, uow, client, clock, approvers, sales_site)
    errors.register(app)
    for feature in FEATURES:
        feature.register(app, deps)
    return app
