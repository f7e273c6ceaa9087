"""Listeners: requests (registered by bot/app.py)."""
from __future__ import annotations

from slack_bolt import App

from handlers.deps import Deps


def register(app: App, deps: Deps) -> None:
    """Add this feature's listeners to app."""
