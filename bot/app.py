"""Builds the Bolt app from settings, a unit-of-work factory and a WebClient (never at import)."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Callable

from slack_bolt import App
from slack_sdk import WebClient

from bot.config import Settings
from domain.ports import SalesSite, UnitOfWork
from handlers import approvals, errors, requests, slash
from handlers.approvers import ApproverDirectory
from handlers.deps import Approvers, Deps

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
    """The Bolt app with every listener and the error handler; requests must be signed with
    SLACK_SIGNING_SECRET. sales_site is read for the resync request modal."""
    logger = logger or logging.getLogger("cancelbot.slack")
    logger.addFilter(CLIENT_TOKEN_NOTICE)  # a filter added twice is kept once
    app = App(
        client=client,  # it carries the bot token
        signing_secret=settings.slack_signing_secret or "",
        token_verification_enabled=False,  # `cancelbot run` checks the token itself, with advice
        logger=logger,
    )
    deps = build_deps(settings, uow, client, clock, approvers, sales_site)
    errors.register(app)
    for feature in FEATURES:
        feature.register(app, deps)
    return app
