"""Listeners: the App Home and the decisions taken on it (registered by bot/composition.py)."""
from __future__ import annotations

from slack_bolt import App

from handlers.deps import Deps
from handlers.home import decide, opened


def register(app: App, deps: Deps) -> None:
    """Add this feature's listeners to app: app_home_opened, Approve and Reject on the home."""
    opened.register(app, deps)
    decide.register(app, deps)
