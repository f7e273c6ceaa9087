"""The message shortcut "Look up cancelled deliveries": the cards of the orders a message
names, shown only to whoever used it (through the shortcut's response URL)."""
from __future__ import annotations

from typing import Any

from slack_bolt import App, Respond

from domain.mentioned import look_up_mentioned
from handlers.actions import LOOKUP_SHORTCUT
from handlers.deps import Deps
from handlers.later import after_ack
from handlers.render.mentioned import mentioned_message


def register(app: App, deps: Deps) -> None:
    """The lookup_packing_numbers message shortcut."""

    def on_shortcut(body: dict[str, Any], respond: Respond) -> None:
        text = (body.get("message") or {}).get("text") or ""
        with deps.uow() as uow:
            found = look_up_mentioned(uow, text, deps.ctx())
        answer = mentioned_message(found, deps.zone)
        respond(text=answer.text, blocks=answer.blocks, response_type="ephemeral",
                replace_original=False)

    # a shortcut's acknowledgement shows nothing: the cards go to its response URL after it
    app.shortcut({"type": "message_action", "callback_id": LOOKUP_SHORTCUT})(
        **after_ack(on_shortcut))
