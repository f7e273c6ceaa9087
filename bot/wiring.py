"""Builds the store pieces from settings: engine, unit-of-work factory, sales-site adapter,
and the order service that carries recoveries out (None: cancelbot's own book)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.config import Settings
from domain.ports import RecoveryService, SalesSite
from store.db import make_engine
from store.recovery_service_http import HttpRecoveryService
from store.repositories import EmbeddedSalesSite
from store.sales_site_http import HttpSalesSite
from store.uow import SqlUnitOfWork, session_factory, uow_factory


@dataclass
class Store:
    engine: Engine
    uow: Callable[[], SqlUnitOfWork]
    sales_site: SalesSite
    recoveries: RecoveryService | None = None  # None: jobs change cancelbot's own book

    def close(self) -> None:
        self.engine.dispose()


def open_store(settings: Settings) -> Store:
    """The database named by settings, and the HTTP sales site if its URL is set, else embedded."""
    engine = make_engine(settings.database_url)
    sessions = session_factory(engine)
    return Store(engine, uow_factory(sessions), sales_site_for(settings, sessions),
                 recovery_service_for(settings))


def sales_site_for(settings: Settings, sessions: Callable[[], Session]) -> SalesSite:
    """The HTTP sales site if SALES_SITE_API_URL is set, else the one embedded in the database."""
    if settings.sales_site_api_url:
        return HttpSalesSite(settings.sales_site_api_url, settings.sites_not_ready)
    return EmbeddedSalesSite(sessions, settings.sites_not_ready)


def recovery_service_for(settings: Settings) -> RecoveryService | None:
    """Smartship's order service if CANCELBOT_RECOVERY_API_URL is set; None for the embedded
    adapter, cancelbot's own book (domain/execution.py)."""
    if not settings.recovery_api_url:
        return None
    return HttpRecoveryService(settings.recovery_api_url, settings.recovery_api_token)
