"""`cancelbot db upgrade`: bring the database to the newest schema."""
from __future__ import annotations

import argparse

from bot.commands.context import Command, Wording
from store.migrate import current_revision, upgrade


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = commands.add_parser("db", help="database maintenance")
    sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = sub.add_parser("upgrade", help="migrate the database (DATABASE_URL) to the newest schema")
    up.set_defaults(run=run_upgrade, wording=Wording(database_verb="upgrade", upgrade_hint=False))


def run_upgrade(command: Command) -> int:
    """Migrate to the newest revision and say from which one."""
    engine = command.open_store().engine
    before = current_revision(engine)
    upgrade(engine)
    after = current_revision(engine)
    if before == after:
        print(f"database already at {after}")
    else:
        print(f"database upgraded from {before or 'empty'} to {after}")
    return 0
