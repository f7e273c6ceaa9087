"""Previous / Next and the tab buttons of a list page: the same message, edited."""
from __future__ import annotations

from typing import Any

from slack_bolt import App, Respond

from handlers.actions import LIST_CATEGORY, LIST_PAGE, query_of_button
from handlers.deps import Deps
from handlers.later import after_ack
from handlers.slash.listing import page_answer


def register(app: App, deps: Deps) -> None:
    """Listen to the list page's buttons."""

    def on_page(action: dict[str, Any], respond: Respond) -> None:
        reply = page_answer(deps, query_of_button(action.get("value")))
        respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral",
                replace_original=True)

    for action_id in (LIST_PAGE, LIST_CATEGORY):
        app.action(action_id)(**after_ack(on_page))
