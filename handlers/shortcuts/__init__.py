"""Listeners: message shortcuts (registered by bot/composition.py)."""
from __future__ import annotations

from slack_bolt import App

from handlers.deps import Deps
from handlers.shortcuts import lookup


def register(app: App, deps: Deps) -> None:
    """Add this feature's listeners to app: "Look up cancelled deliveries"."""
    lookup.register(app, deps)
