"""Posting a message once although Slack's answer to a post may be lost.

chat.postMessage is not idempotent, and a 5xx, a timeout or a dropped connection may come
after Slack stored the message. So the client never resends a post by itself
(slack_client.NOT_IDEMPOTENT); instead every message the bot posts carries metadata saying
what it delivers (an event_type and an id in event_payload), and after a failure in doubt the
bot looks for a message carrying it before posting again: in the channel
(conversations.history) for a top-level message, in the thread (conversations.replies) for a
reply.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry import RetryIntervalCalculator
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.http_retry.handler import default_interval_calculator

from handlers.slack_client import SlackCallFailed, call

POST_ATTEMPTS = 3  # as the client's own retries: the first try and two more
# A listener may wait out a longer Retry-After than the client does (MAX_IN_CALL_WAIT_SECONDS):
# its thread has nothing else to do, and nothing else would post its message later.
LISTENER_MAX_WAIT_SECONDS = 30.0
HISTORY_PAGE = 100
HISTORY_MAX_PAGES = 3  # a message posted moments ago is among the channel's newest
REPLIES_PAGE = 200
REPLIES_MAX_PAGES = 25

Payload = dict[str, Any]
log = logging.getLogger(__name__)


def mark(event_type: str, **payload: Any) -> dict[str, Any]:
    """The metadata a message carries to say what it delivers."""
    return {"event_type": event_type, "event_payload": payload}


def post_once(client: WebClient, post: Callable[[], str], look: Callable[[], str | None], *,
              in_doubt: bool = False, attempts: int = POST_ATTEMPTS,
              max_wait: float = 0.0) -> str:
    """The ts of the message post() posts, or of the one look() finds already posted.

    look runs before every post that follows a failure in doubt, and before the first post
    when in_doubt (an earlier try may have posted). Another try follows a transient failure
    (in doubt or not) after the client's backoff, or after Slack's Retry-After when that is at
    most max_wait; otherwise, and after the last try, the SlackCallFailed is raised.
    """
    for attempt in range(attempts):
        try:
            found = look() if in_doubt else None
            return found or post()
        except SlackCallFailed as exc:
            failure = exc.failure
            in_doubt = in_doubt or failure.in_doubt
            wait = failure.retry_after
            if (attempt + 1 == attempts or not failure.transient
                    or (wait is not None and wait > max_wait)):
                raise
            log.info("%s; trying again%s", failure.error, " after looking" if in_doubt else "")
            if wait is None:
                wait = _backoff(client).calculate_sleep_duration(attempt)
            time.sleep(wait)
    raise AssertionError("unreachable: the last attempt returns or raises")


def _backoff(client: WebClient) -> RetryIntervalCalculator:
    """The pause between the client's own 5xx retries, used between ours too."""
    for handler in client.retry_handlers or []:
        if isinstance(handler, ServerErrorRetryHandler):
            return handler.interval_calculator
    return default_interval_calculator


def find_in_channel(client: WebClient, channel: str, event_type: str,
                    wanted: Callable[[Payload], bool]) -> str | None:
    """The ts of one of the channel's newest messages whose metadata is event_type and whose
    payload is wanted; None when there is none."""
    return _find(client, "conversations.history", client.conversations_history,
                 {"channel": channel, "limit": HISTORY_PAGE}, HISTORY_MAX_PAGES,
                 event_type, wanted)


def find_in_thread(client: WebClient, channel: str, thread_ts: str, event_type: str,
                   wanted: Callable[[Payload], bool]) -> str | None:
    """The ts of a message in the thread whose metadata is event_type and whose payload is
    wanted; None when there is none (or the thread is too long to search)."""
    return _find(client, "conversations.replies", client.conversations_replies,
                 {"channel": channel, "ts": thread_ts, "limit": REPLIES_PAGE}, REPLIES_MAX_PAGES,
                 event_type, wanted)


def _find(client: WebClient, method: str, function: Callable[..., Any], arguments: Payload,
          max_pages: int, event_type: str, wanted: Callable[[Payload], bool]) -> str | None:
    cursor = None
    for _ in range(max_pages):
        page = call(method, function, include_all_metadata=True, **arguments,
                    **({"cursor": cursor} if cursor else {}))
        for message in page.get("messages") or []:
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == event_type and wanted(
                    metadata.get("event_payload") or {}):
                return str(message["ts"])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return None
    log.warning("%s: searched %d pages of %s without finding it; posting", event_type,
                max_pages, arguments.get("channel"))
    return None
