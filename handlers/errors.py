"""One app-level error handler: domain refusals reach the user, surprises reach the log."""
from __future__ import annotations

import functools
import inspect
import json
import logging
import uuid
from collections.abc import Callable
from datetime import tzinfo
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk.errors import SlackApiError

from domain.errors import DomainError
from handlers.render.mrkdwn import local_times
from handlers.trust import VERIFIED
from handlers.webhook import send_to

log = logging.getLogger("cancelbot.slack")
ZONE = "cancelbot_zone"  # the business time zone, in every request's context (register)


def reference() -> str:
    """A short id a person can quote, found next to the traceback in the log."""
    return uuid.uuid4().hex[:8]


def unexpected_text(ref: str) -> str:
    """What a user sees instead of a traceback."""
    return (f"Something went wrong (reference {ref}); nothing was changed. "
            "Please try again, and give the reference to the bot's admins if it happens again.")


EXPIRED_TRIGGER_TEXT = ("Slack's moment for opening the form passed before it could open; "
                        "nothing was changed. Please press the button again.")


def user_text(error: Exception, zone: tzinfo | None = None) -> str:
    """The reply to a failed listener: the domain's own words (a time in them as Slack's date
    token, given the business zone), or a logged reference."""
    if isinstance(error, DomainError):
        return local_times(error.message, zone) if zone is not None else error.message
    if isinstance(error, SlackApiError) and error.response.get("error") == "expired_trigger_id":
        # a click answered too slowly (e.g. a slow database): a retry usually works
        log.warning("a modal could not open in time: %s", error)
        return EXPIRED_TRIGGER_TEXT
    ref = reference()
    log.error("unexpected error, reference %s", ref, exc_info=error)
    return unexpected_text(ref)


def response_url_of(body: dict[str, Any]) -> str | None:
    """Where an ephemeral answer to this request can go: its own response_url, or the one a
    modal carries in private_metadata (see handlers/requests/state.py)."""
    url: str | None = body.get("response_url")  # Slack's payloads give it as a string
    if url:
        return url
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


def report(error: Exception, body: dict[str, Any], client: Any,
           zone: tzinfo | None = None) -> None:
    """The error handler: tell whoever sent body what went wrong, ephemerally."""
    text = user_text(error, zone)
    try:
        tell_user(body, client, text)
    except Exception:  # the reply itself failed: at least the log has both
        log.exception("could not tell the user: %s", text)


def guarded(listener: Callable[..., Any]) -> Callable[..., Any]:
    """The listener, reporting its own failures through `report` instead of raising them.

    Bolt (1.x) handles an error raised after ack() by resetting the acknowledgement; if that
    happens before its request thread saw the ack, Slack gets a 404 after three seconds
    instead of our answer. So no listener lets an error reach Bolt.
    """
    wanted = inspect.signature(listener).parameters
    names = list(wanted) + [name for name in ("ack", "body", "client", "context")
                            if name not in wanted]
    # Bolt passes a listener the arguments its signature names: ask for what report needs
    signature = inspect.Signature([inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD)
                                   for name in names])

    def run(**kwargs: Any) -> Any:
        try:
            return listener(**{name: kwargs[name] for name in wanted})
        except Exception as error:
            if kwargs["ack"].response is None:  # failed before ack: answer Slack in time
                kwargs["ack"]()
            report(error, kwargs["body"], kwargs["client"], kwargs["context"].get(ZONE))
            return None

    functools.update_wrapper(run, listener)
    # mypy knows neither attribute on a function: update_wrapper sets __wrapped__, and
    # inspect.signature (which Bolt calls) reads __signature__ when __wrapped__ is gone
    del run.__wrapped__  # type: ignore[attr-defined]  # set by update_wrapper just above
    run.__signature__ = signature  # type: ignore[attr-defined]  # read by inspect.signature
    return run


def on_error(error: Exception, body: dict[str, Any], client: Any,
             context: dict[str, Any]) -> None:
    """Bolt's error handler: `report`, for a request verified as Slack's only. An unverified
    body names a response URL and a user of the sender's choosing: nobody is answered."""
    if not context.get(VERIFIED):
        log.warning("an error on a request not verified as Slack's; nobody is answered: %s",
                    type(error).__name__)
        return
    report(error, body, client, context.get(ZONE))


def register(app: App, zone: tzinfo) -> None:
    """Install `on_error` for errors raised outside listeners (e.g. in middleware), and put
    the business zone in every request's context for the replies to failures."""

    def with_zone(context: BoltContext, next: Callable[[], None]) -> None:  # Bolt's names
        context[ZONE] = zone
        next()

    app.use(with_zone)
    app.error(on_error)
