"""Smartship's order service over HTTP: `POST {base}/recoveries`, `GET {base}/recoveries/{id}`.

The contract is docs/openapi/recovery-service.yaml. Anything but a usable answer (a timeout, a
refused connection, a status the contract does not have, a body that is not a recovery) raises
RecoveryServiceUnavailable with a short reason a person can read; the poller keeps it as the
job's last error and asks again later, with backoff.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from domain.errors import InvalidPackingNumber, RecoveryServiceUnavailable, shown
from domain.failures import Failure, FailureCode
from domain.model import normalize_packing_no
from domain.services import RecoveryAsk, RemoteRecovery, RemoteState
from store.http_answers import Unanswered, UnusableAnswer, exchange, json_object

USER_AGENT = "cancelbot"
MAX_ID_CHARS = 128  # the jobs.recovery_id column
MAX_DETAIL_CHARS = 500  # shown in the thread with the reason
STARTED = (200, 201, 202)  # POST: a new recovery, or the one the key already names
PROBE_ID = "cancelbot-doctor-probe"
NAME = "the order service"


class HttpRecoveryService:
    """The RecoveryService port over Smartship's order service at base_url."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 10.0) -> None:
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"CANCELBOT_RECOVERY_API_URL must be an http:// or https:// URL, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def start(self, ask: RecoveryAsk) -> RemoteRecovery:
        """POST the recovery under its idempotency key (also sent as Idempotency-Key)."""
        body = json.dumps({"action": ask.action.value, "packing_no": ask.packing_no,
                           "idempotency_key": ask.idempotency_key}).encode()
        status, answer = self._call("POST", f"{self.base_url}/recoveries", body,
                                    {"Idempotency-Key": ask.idempotency_key})
        if status not in STARTED:
            raise _refusal(status)
        return _parsed(answer)

    def status(self, recovery_id: str) -> RemoteRecovery:
        """GET the recovery's state now."""
        status, answer = self._call("GET", self.url_for(recovery_id))
        if status == 404:
            raise RecoveryServiceUnavailable(f"{NAME} does not know recovery {recovery_id}")
        if status != 200:
            raise _refusal(status)
        return _parsed(answer)

    def probe(self) -> int:
        """Ask about a recovery that does not exist (`cancelbot doctor`): the HTTP status of an
        answer the contract allows (404, or 200); RecoveryServiceUnavailable otherwise."""
        status, _ = self._call("GET", self.url_for(PROBE_ID))
        if status not in (200, 404):
            raise _refusal(status)
        return status

    def url_for(self, recovery_id: str) -> str:
        """The recovery's URL, its id quoted whole into one path part."""
        return f"{self.base_url}/recoveries/{urllib.parse.quote(recovery_id, safe='')}"

    def _call(self, method: str, url: str, body: bytes | None = None,
              extra: dict[str, str] | None = None) -> tuple[int, bytes]:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **(extra or {})}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(url, data=body, headers=headers, method=method)
        try:
            return exchange(urllib.request.urlopen, request, self.timeout, NAME)
        except Unanswered as exc:
            raise RecoveryServiceUnavailable(str(exc)) from exc


def _refusal(code: int) -> RecoveryServiceUnavailable:
    """A status the contract does not have here, said in words; 401/403 point at the token."""
    if code in (401, 403):
        return RecoveryServiceUnavailable(
            f"{NAME} refused the request (answered {code}); check CANCELBOT_RECOVERY_API_TOKEN")
    if 400 <= code < 500:
        return RecoveryServiceUnavailable(
            f"{NAME} refused the request (answered {code}); check CANCELBOT_RECOVERY_API_URL")
    return RecoveryServiceUnavailable(f"{NAME} answered {code}")


def _parsed(body: bytes) -> RemoteRecovery:
    try:
        return parse_recovery(body)
    except UnusableAnswer as exc:
        raise RecoveryServiceUnavailable(f"{NAME} gave an unusable answer: {exc}") from None


def parse_recovery(body: bytes) -> RemoteRecovery:
    """A recovery from the JSON answer; UnusableAnswer says what is wrong with it."""
    data = json_object(body)
    recovery_id = data.get("id")
    if not isinstance(recovery_id, str) or not recovery_id.strip():
        raise UnusableAnswer("the recovery has no id")
    if len(recovery_id) > MAX_ID_CHARS or recovery_id != shown(recovery_id, MAX_ID_CHARS):
        raise UnusableAnswer(f"the id {shown(recovery_id)!r} is longer than {MAX_ID_CHARS} "
                             "characters or holds control characters")
    try:
        state = RemoteState(data.get("state"))
    except ValueError:
        raise UnusableAnswer(f"unknown state {shown(str(data.get('state')))!r} (expected "
                             "pending, succeeded or failed)") from None
    return RemoteRecovery(
        id=recovery_id, state=state,
        packing_no=_packing_no(data, "packing_no"),
        new_packing_no=_packing_no(data, "new_packing_no"),
        failure=_failure(data.get("failure")) if state is RemoteState.FAILED else None,
    )


def _packing_no(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise UnusableAnswer(f"{key} is not text")
    try:
        return normalize_packing_no(value)
    except InvalidPackingNumber:
        raise UnusableAnswer(f"{key} {shown(value)!r} is not a packing number") from None


def _failure(value: Any) -> Failure:
    """The failure, its code one of ours; an unknown code is a server error that names it."""
    if not isinstance(value, dict) or not isinstance(value.get("code"), str):
        raise UnusableAnswer("a failed recovery without failure.code")
    detail = value.get("detail")
    if detail is not None and not isinstance(detail, str):
        raise UnusableAnswer("failure.detail is not text")
    detail = shown(detail or "", MAX_DETAIL_CHARS)
    try:
        return Failure(FailureCode(value["code"]), detail)
    except ValueError:
        named = f"the order service's failure code {shown(value['code'])!r}"
        return Failure(FailureCode.SERVER_ERROR, f"{named}: {detail}" if detail else named)
