"""Listeners: requests (registered by bot/composition.py)."""
from __future__ import annotations

from slack_bolt import App

from handlers.deps import Deps
from handlers.requests import bulk, request_button, submission


def register(app: App, deps: Deps) -> None:
    """Add this feature's listeners to app: the request buttons, the bulk buttons, their modals."""
    request_button.register(app, deps)
    submission.register(app, deps)
    bulk.register(app, deps)
