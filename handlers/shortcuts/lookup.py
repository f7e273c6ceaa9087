"""The message shortcut "Look up cancelled deliveries": the cards of the orders a message
names, shown only to whoever used it (through the shortcut's response URL)."""
from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from domain.mentioned import look_up_mentioned
from handlers.actions import LOOKUP_SHORTCUT
from handlers.deps import Deps
from handlers.errors import guarded
from handlers.render.mentioned import mentioned_message


def register(app: App, deps: Deps) -> None:
    """The lookup_packing_numbers message shortcut."""

    @app.shortcut({"type": "message_action", "callback_id": LOOKUP_SHORTCUT})
    @guarded
    def on_shortcut(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        text = (body.get("message") or {}).get("text") or ""
        with deps.uow() as uow:
            found = look_up_mentioned(uow, text, deps.ctx())
        answer = mentioned_message(found, deps.zone)
        respond(text=answer.text, blocks=answer.blocks, response_type="ephemeral",
                replace_original=False)
