"""Listeners: approvals (registered by bot/composition.py)."""
from __future__ import annotations

from slack_bolt import App

from handlers.approvals import approve, reject
from handlers.deps import Deps


def register(app: App, deps: Deps) -> None:
    """Add this feature's listeners to app: Approve, Reject and the reason modal."""
    approve.register(app, deps)
    reject.register(app, deps)
