"""Builds the store pieces from settings: engine, unit-of-work factory, sales-site adapter."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.config import Settings
from domain.ports import SalesSite
from store.db import make_engine
from store.repositories import EmbeddedSalesSite
from store.sales_site_http import HttpSalesSite
from store.uow import SqlUnitOfWork, session_factory, uow_factory


@dataclass
class Store:
    engine: Engine
    uow: Callable[[], SqlUnitOfWork]
    sales_site: SalesSite

    def close(self) -> None:
        self.engine.dispose()


def open_store(settings: Settings) -> Store:
    """The database named by settings, and the HTTP sales site if its URL is set, else embedded."""
    engine = make_engine(settings.database_url)
    sessions = session_factory(engine)
    return Store(engine, uow_factory(sessions), sales_site_for(settings, sessions))


def sales_site_for(settings: Settings, sessions: Callable[[], Session]) -> SalesSite:
    """The HTTP sales site if SALES_SITE_API_URL is set, else the one embedded in the database."""
    if settings.sales_site_api_url:
        return HttpSalesSite(settings.sales_site_api_url, settings.sites_not_ready)
    return EmbeddedSalesSite(sessions, settings.sites_not_ready)
