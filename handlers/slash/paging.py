"""Previous / Next and the tab buttons of a list page: the same message, edited."""
from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from handlers.actions import LIST_CATEGORY, LIST_PAGE, query_of_button
from handlers.deps import Deps
from handlers.errors import guarded
from handlers.slash.listing import page_answer


def register(app: App, deps: Deps) -> None:
    """Listen to the list page's buttons."""

    @app.action(LIST_PAGE)
    @app.action(LIST_CATEGORY)
    @guarded
    def on_page(ack: Ack, action: dict[str, Any], respond: Respond) -> None:
        ack()
        reply = page_answer(deps, query_of_button(action.get("value")))
        respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral",
                replace_original=True)
