"""Answers through a response_url (ephemeral replies, edits of the message a button was on),
only ever to Slack's own host."""
from __future__ import annotations

import threading
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from slack_sdk.http_retry import ConnectionErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.webhook import WebhookClient, WebhookResponse

TIMEOUT_SECONDS = 10
SLACK_RESPONSE_HOST = "hooks.slack.com"  # where every response_url Slack hands out points
DEFAULT_PORTS = {"https": 443, "http": 80}


class ResponseUrlError(Exception):
    """Slack refused an answer sent to a response_url (expired, used too often, bad blocks)."""


class NotSlackUrl(ResponseUrlError):
    """A response_url on a host that is not Slack's: nothing is sent to it."""


class Origin(NamedTuple):
    """Scheme, host and port: what two URLs must share to reach the same server."""

    scheme: str
    host: str
    port: int


def origin(url: Any) -> Origin | None:
    """The origin of an http(s) URL without credentials or blanks in it; None otherwise."""
    if not isinstance(url, str) or any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:  # a port that is not a number, or out of range
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.username is not None \
            or parts.password is not None or port is None:
        return None
    return Origin(parts.scheme, parts.hostname, port)


SLACK = Origin("https", SLACK_RESPONSE_HOST, 443)
# SLACK_API_URL's origin when it is set (tests, the console's stand-in): Slack's API then lives
# there, and so do its response URLs. Process-wide because a response URL may be answered from
# anywhere in the app; each app built adds its own (bot/composition.py).
_api_origins: set[Origin] = set()
_lock = threading.Lock()


def trust_api_url(api_url: str | None) -> None:
    """Accept response URLs on SLACK_API_URL's host as well as on Slack's."""
    found = origin(api_url) if api_url else None
    if found:
        with _lock:
            _api_origins.add(found)


def is_slack_url(url: Any, api_url: str | None) -> bool:
    """Whether url is on Slack's response host (hooks.slack.com over https), or on api_url's
    (SLACK_API_URL) when that is set."""
    found = origin(url)
    return found is not None and (found == SLACK or (bool(api_url) and found == origin(api_url)))


SLACK_FILES = Origin("https", "files.slack.com", 443)  # where Slack's upload URLs point


def is_upload_url(url: Any) -> bool:
    """Whether url is where Slack takes a file's bytes (files.slack.com over https), or on
    SLACK_API_URL's host when that is set: nothing is uploaded anywhere else."""
    found = origin(url)
    if found is None:
        return False
    with _lock:
        return found == SLACK_FILES or found in _api_origins


def _trusted(url: Any) -> bool:
    found = origin(url)
    if found is None:
        return False
    with _lock:
        return found == SLACK or found in _api_origins


def send_to(url: str, **message: Any) -> WebhookResponse:
    """POST message to a response_url, retrying connection and server errors; raises
    ResponseUrlError when Slack refuses it, NotSlackUrl (sending nothing) when url is not
    Slack's."""
    if not _trusted(url):
        raise NotSlackUrl(f"not a Slack response URL, nothing sent: {str(url)[:100]!r}")
    client = WebhookClient(url, timeout=TIMEOUT_SECONDS, retry_handlers=[
        ConnectionErrorRetryHandler(max_retry_count=1), ServerErrorRetryHandler(max_retry_count=1),
    ])
    response = client.send_dict({k: v for k, v in message.items() if v is not None})
    if response.status_code != 200:
        raise ResponseUrlError(f"response_url answered HTTP {response.status_code}: "
                               f"{response.body[:200]}")
    return response
