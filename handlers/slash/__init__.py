"""Listeners: `/cancelled` and its list pages' buttons (registered by bot/composition.py)."""
from __future__ import annotations

from slack_bolt import App

from handlers.deps import Deps
from handlers.slash import command, paging


def register(app: App, deps: Deps) -> None:
    """Add this feature's listeners to app."""
    command.register(app, deps)
    paging.register(app, deps)
