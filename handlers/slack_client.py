"""The Slack Web API client the bot uses off the acknowledgement path, and its failures read."""
from __future__ import annotations

import http.client
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.error import URLError
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    RetryIntervalCalculator,
)
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_RETRIES = 2
# A longer Retry-After is not slept through inside the call: the caller reschedules instead,
# so that a poller thread is never parked for minutes.
MAX_IN_CALL_WAIT_SECONDS = 5.0
BACKOFF_BASE = timedelta(seconds=15)
BACKOFF_CAP = timedelta(minutes=15)
# Slack answers these with HTTP 200 and ok=false, yet they say Slack is unwell, not the call
TRANSIENT_API_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
# ...and these may come after Slack did the work: whether it did is unknown
DOUBTFUL_API_ERRORS = TRANSIENT_API_ERRORS - {"ratelimited"}
# Calls that Slack performs again when sent again: a message posted twice is two messages.
# They are never resent blindly; handlers/posting.py looks for the message first.
NOT_IDEMPOTENT = frozenset({"chat.postMessage", "chat.postEphemeral"})


def header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    """A header's value, matched without case; list values (the retry handlers') unwrapped."""
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return str(value[0] if isinstance(value, (list, tuple)) else value)
    return None


def retry_after_seconds(headers: Mapping[str, Any] | None) -> float | None:
    """Retry-After in seconds, None when absent or unreadable."""
    value = header(headers, "Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class BoundedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """slack_sdk's rate-limit handler (it sleeps Retry-After), only for short waits."""

    def __init__(self, max_retry_count: int = 1, max_wait: float = MAX_IN_CALL_WAIT_SECONDS):
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    def _can_retry(self, *, state: RetryState, request: HttpRequest,
                   response: HttpResponse | None = None, error: Exception | None = None) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        wait = retry_after_seconds(response.headers if response else None)
        return (wait or 0.0) <= self.max_wait


def method_of(request: HttpRequest) -> str:
    """The Web API method a request calls ("chat.postMessage")."""
    return urlsplit(request.url).path.rsplit("/", 1)[-1]


class IdempotentServerErrorRetryHandler(ServerErrorRetryHandler):
    """slack_sdk's 5xx handler, only for calls that are safe to send twice.

    A 500 may come after Slack stored the message (the answer is lost, the post is not), so
    resending chat.postMessage could post it twice; chat.update or a read can be resent."""

    def _can_retry(self, *, state: RetryState, request: HttpRequest,
                   response: HttpResponse | None = None, error: Exception | None = None) -> bool:
        if method_of(request) in NOT_IDEMPOTENT:
            return False
        return super()._can_retry(state=state, request=request, response=response, error=error)


ErrorObserver = Callable[[str, str], object]  # (method, error) of a failed call


class ObservedWebClient(WebClient):
    """A WebClient that tells on_error about every call that failed (for /metrics)."""

    def __init__(self, *, on_error: ErrorObserver, **options: Any) -> None:
        super().__init__(**options)
        self.on_error = on_error

    def api_call(self, api_method: str, **options: Any) -> Any:
        try:
            return super().api_call(api_method, **options)
        except Exception as exc:
            failure = call_failure(exc, api_method)
            self.on_error(api_method, _error_label(exc) if failure else type(exc).__name__)
            raise


def _error_label(exc: Exception) -> str:
    """Slack's error code, HTTP status, or the kind of network failure: a short label."""
    if isinstance(exc, SlackApiError):
        data = getattr(exc.response, "data", None)
        status = getattr(exc.response, "status_code", 0)
        code = data.get("error") if isinstance(data, dict) else None
        return str(code)[:64] if code and status == 200 else f"http_{status}"
    return "timeout" if isinstance(exc, TimeoutError) else "connection"


def make_web_client(
    token: str,
    base_url: str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    retries: int = DEFAULT_RETRIES,
    interval_calculator: RetryIntervalCalculator | None = None,
    max_rate_limit_wait: float = MAX_IN_CALL_WAIT_SECONDS,
    on_error: ErrorObserver | None = None,
) -> WebClient:
    """A WebClient at base_url (SLACK_API_URL; Slack's when None) with slack_sdk's retry handlers.

    Connection errors are retried only when urllib raised them before the request was sent
    (URLError): a connection dropped after sending may have posted, and is left to the caller.
    A 429 is retried (Slack did nothing); a 5xx only for calls that are safe to repeat.
    on_error hears of every call that failed, after the retries.
    """
    interval = {"interval_calculator": interval_calculator} if interval_calculator else {}
    handlers = [
        ConnectionErrorRetryHandler(max_retry_count=retries, error_types=[URLError], **interval),
        BoundedRateLimitRetryHandler(max_retry_count=retries, max_wait=max_rate_limit_wait),
        IdempotentServerErrorRetryHandler(max_retry_count=retries, **interval),
    ]
    options: dict[str, Any] = {"token": token, "timeout": timeout, "retry_handlers": handlers}
    if base_url:
        options["base_url"] = base_url if base_url.endswith("/") else base_url + "/"
    if on_error is not None:
        return ObservedWebClient(on_error=on_error, **options)
    return WebClient(**options)


@dataclass(frozen=True)
class CallFailure:
    """Why a Slack call failed, in a line for last_error, and what that means for retrying."""

    error: str
    retry_after: float | None = None  # seconds Slack asked us to wait
    transient: bool = True  # Slack or the network is unwell: other calls would fail too
    in_doubt: bool = False  # Slack may have done it all the same (a 5xx, no answer)


class SlackCallFailed(Exception):
    """A Slack call that failed for a reason call_failure could read."""

    def __init__(self, failure: CallFailure) -> None:
        super().__init__(failure.error)
        self.failure = failure


def call(method: str, function: Callable[..., Any], **arguments: Any) -> Any:
    """A Slack call whose Slack and network failures become SlackCallFailed."""
    try:
        return function(**arguments)
    except Exception as exc:
        failure = call_failure(exc, method)
        if failure is None:
            raise
        raise SlackCallFailed(failure) from exc


def call_failure(exc: Exception, method: str) -> CallFailure | None:
    """Read a failed call; None when exc is not a Slack or network failure (a bug)."""
    if isinstance(exc, SlackApiError):
        return _api_failure(exc, method)
    if isinstance(exc, TimeoutError):
        return CallFailure(f"{method}: no answer before the client timeout", in_doubt=True)
    if isinstance(exc, (URLError, http.client.HTTPException, ConnectionError)):
        # urllib raises URLError only before the request is sent
        return CallFailure(f"{method}: connection failed ({type(exc).__name__}: {exc})",
                           in_doubt=not isinstance(exc, URLError))
    return None


def _api_failure(exc: SlackApiError, method: str) -> CallFailure:
    response = exc.response
    status = getattr(response, "status_code", 0)
    data = getattr(response, "data", None)
    code = data.get("error", "") if isinstance(data, dict) else ""
    if status == 429:
        wait = retry_after_seconds(getattr(response, "headers", None))
        shown = f", Retry-After {wait:g}s" if wait is not None else ""
        return CallFailure(f"{method}: rate limited (HTTP 429{shown})", wait)
    if status != 200:  # 5xx after the client's own retries, or a proxy in the way
        return CallFailure(f"{method}: HTTP {status} {code[:200]}".rstrip(),
                           in_doubt=status >= 500)
    return CallFailure(f"{method}: {code or 'error'}", transient=code in TRANSIENT_API_ERRORS,
                       in_doubt=code in DOUBTFUL_API_ERRORS)


def next_attempt_at(now: datetime, failed_before: int, failure: CallFailure) -> datetime:
    """When to call again: Retry-After when Slack gave one, else exponential backoff, capped."""
    if failure.retry_after is not None:
        return now + timedelta(seconds=failure.retry_after)
    factor: int = 2 ** min(failed_before, 20)  # failed_before counts attempts: never negative
    return now + min(BACKOFF_BASE * factor, BACKOFF_CAP)
