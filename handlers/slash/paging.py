"""Previous / Next and the tab buttons of a list page: the same message, edited."""
from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from handlers.actions import LIST_CATEGORY, LIST_PAGE, decode_query
from handlers.deps import Deps
from handlers.errors import guarded
from handlers.slash.listing import page_answer

STALE = ("This button is from an older version of the list, so it cannot be read. "
         "Run `/cancelled list` again for a fresh one.")


def register(app: App, deps: Deps) -> None:
    """Listen to the list page's buttons."""

    @app.action(LIST_PAGE)
    @app.action(LIST_CATEGORY)
    @guarded
    def on_page(ack: Ack, action: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            query = decode_query(action.get("value") or "")
        except ValueError:
            respond(text=STALE, response_type="ephemeral", replace_original=False)
            return
        reply = page_answer(deps, query)
        respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral",
                replace_original=True)
