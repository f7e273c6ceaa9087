"""Engines for SQLite (one instance) and PostgreSQL (several instances), chosen by DATABASE_URL."""
from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, CursorResult, DateTime, Dialect, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.types import TypeDecorator

DEFAULT_DATABASE_URL = "sqlite:///cancelbot.sqlite3"
SQLITE_BUSY_TIMEOUT_MS = 10_000


def database_url(environ: dict[str, str] | None = None) -> str:
    """DATABASE_URL, a bare postgresql:// made to use psycopg 3, or the default SQLite file."""
    env = environ if environ is not None else os.environ
    url = env.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain):]
    return url


def rows_matched(result: object) -> int:
    """The rows an UPDATE or DELETE matched. Session.execute's result is typed as a Result, though
    for such a statement it is a CursorResult, the one with a rowcount."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"{type(result).__name__} is not the result of an UPDATE or DELETE")
    return result.rowcount


URL_FORMS = "sqlite:///FILE.sqlite3 or postgresql+psycopg://USER@HOST/DATABASE"


def check_database_url(url: str) -> None:
    """Raise ValueError, in words for people, unless url is a URL SQLAlchemy can use with a
    driver that is installed (the message never repeats the URL: it may hold a password)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError(f"DATABASE_URL is not a database URL; write {URL_FORMS}") from None
    try:
        parsed.get_dialect().import_dbapi()
    except (ArgumentError, ImportError):  # NoSuchModuleError is an ArgumentError
        raise ValueError(f"DATABASE_URL asks for {parsed.drivername}, which cancelbot cannot "
                         f"use; write {URL_FORMS}") from None


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the settings this project relies on for its database kind."""
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: object) -> None:  # a sqlite3.Connection
        # Take transaction control from the driver so that BEGIN, SAVEPOINT and DDL behave.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # IMMEDIATE takes the write lock up front: a transaction that reads and then writes
        # waits for other writers instead of failing when it tries to upgrade its lock.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored in UTC; SQLite gets naive UTC text that sorts correctly."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("datetimes must carry a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stored: datetime = value  # the driver's datetime: naive UTC from SQLite
        if stored.tzinfo is None:
            return stored.replace(tzinfo=UTC)
        return stored.astimezone(UTC)
