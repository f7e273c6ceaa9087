"""What every `cancelbot` sub-command runs with: its arguments, the settings and the store.

A sub-command's `run` takes a Command. The settings are read when first asked for and the store
is opened when first asked for (and closed when the command ends), so a command that needs
neither never reads them. A command does not catch a ConfigError, a database error or a
refusal the domain explains: bot/cli.py turns each into one line on stderr and an exit status,
worded as the command's Wording says.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from types import TracebackType

from bot.composition import Store, open_store, utc_now
from bot.config import Settings


@dataclass(frozen=True)
class Wording:
    """How a command words what stopped it (set with `parser.set_defaults(wording=...)`)."""

    database_verb: str = "use"  # "Cannot VERB the database (...)"
    upgrade_hint: bool = True  # suggest `cancelbot db upgrade` when a statement failed
    after_database: str = ""  # said after a database failure, e.g. that nothing was written
    config_status: int = 1  # the exit status for a setting that cannot be used
    config_prefix: str = ""


DEFAULT_WORDING = Wording()
READING = Wording(database_verb="read")


class CommandFailed(Exception):
    """A command cannot go on; message is the one line it prints, status its exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class Command:
    """One run of a sub-command: args, the settings and the store, both made on first use."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self._store: Store | None = None

    @cached_property
    def settings(self) -> Settings:
        """The settings from the environment, with the command's own defaults (if it has any,
        as `setting_defaults`) where the environment leaves a setting empty."""
        return Settings.from_env(defaults=getattr(self.args, "setting_defaults", None))

    @property
    def wording(self) -> Wording:
        return getattr(self.args, "wording", DEFAULT_WORDING)

    @property
    def now(self) -> datetime:
        """The hidden --now if the command has it and it was given, else the clock."""
        return getattr(self.args, "now", None) or utc_now()

    def open_store(self, settings: Settings | None = None) -> Store:
        """The store of settings (default: the command's), opened once, closed at the end."""
        if self._store is None:
            self._store = open_store(settings or self.settings)
        return self._store

    def __enter__(self) -> Command:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._store is not None:
            self._store.close()
