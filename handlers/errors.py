"""One app-level error handler: domain refusals reach the user, surprises reach the log."""
from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from slack_bolt import App

from domain.errors import DomainError
from handlers.webhook import send_to

log = logging.getLogger("cancelbot.slack")


def reference() -> str:
    """A short id a person can quote, found next to the traceback in the log."""
    return uuid.uuid4().hex[:8]


def unexpected_text(ref: str) -> str:
    """What a user sees instead of a traceback."""
    return (f"Something went wrong (reference {ref}); nothing was changed. "
            "Please try again, and give the reference to the bot's admins if it happens again.")


def user_text(error: Exception) -> str:
    """The reply to a failed listener: the domain's own words, or a logged reference."""
    if isinstance(error, DomainError):
        return error.message
    ref = reference()
    log.error("unexpected error, reference %s", ref, exc_info=error)
    return unexpected_text(ref)


def response_url_of(body: dict[str, Any]) -> str | None:
    """Where an ephemeral answer to this request can go: its own response_url, or the one a
    modal carries in private_metadata (see handlers.modal_state)."""
    if body.get("response_url"):
        return body["response_url"]
    metadata = (body.get("view") or {}).get("private_metadata") or ""
    try:
        return (json.loads(metadata) or {}).get("response_url")
    except (ValueError, AttributeError):
        return None


def tell_user(body: dict[str, Any], client: Any, text: str) -> None:
    """An ephemeral message to whoever sent body, wherever Slack lets us reach them."""
    url = response_url_of(body)
    if url:
        send_to(url, text=text, response_type="ephemeral", replace_original=False)
        return
    user = (body.get("user") or {}).get("id") or body.get("user_id")
    if user:  # no response_url (a modal opened elsewhere): the app's direct message
        client.chat_postMessage(channel=user, text=text)


def register(app: App) -> None:
    """Install the error handler every listener falls back on."""

    @app.error
    def on_error(error: Exception, body: dict[str, Any], client: Any) -> None:
        text = user_text(error)
        try:
            tell_user(body, client, text)
        except Exception:  # the reply itself failed: at least the log has both
            log.exception("could not tell the user: %s", text)
