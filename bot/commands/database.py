"""`cancelbot db upgrade`: bring the database to the newest schema."""
from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import SQLAlchemyError

from bot.commands.problems import database_unusable
from bot.config import ConfigError, Settings
from store.db import make_engine
from store.migrate import current_revision, upgrade


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    db = commands.add_parser("db", help="database maintenance")
    sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = sub.add_parser("upgrade", help="migrate the database (DATABASE_URL) to the newest schema")
    up.set_defaults(run=run_upgrade)


def run_upgrade(args: argparse.Namespace) -> int:
    """Migrate to the newest revision; one line and status 1 when the database cannot be used."""
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    engine = make_engine(settings.database_url)
    try:
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
    except SQLAlchemyError as exc:
        print(database_unusable(exc, "upgrade", upgrade_hint=False), file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    if before == after:
        print(f"database already at {after}")
    else:
        print(f"database upgraded from {before or 'empty'} to {after}")
    return 0
