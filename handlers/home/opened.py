"""`app_home_opened`: the user's home, published afresh each time its Home tab is opened."""
from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.home.publish import publish_home
from handlers.later import after_ack

HOME_TAB = "home"  # the event also comes for the Messages tab, which shows no view


def register(app: App, deps: Deps) -> None:
    """The app_home_opened event."""

    def on_home_opened(event: dict[str, Any], client: WebClient) -> None:
        user = event.get("user")
        if event.get("tab") != HOME_TAB or not isinstance(user, str):
            return
        publish_home(deps, client, user)

    # views.publish follows the acknowledgement: Slack resends an event not acknowledged in 3 s
    app.event("app_home_opened")(**after_ack(on_home_opened))
