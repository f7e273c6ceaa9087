"""What a request must show before any listener, error handler or Slack call sees it.

In order (bot/composition.py installs them): Slack's signature over a body Slack could have sent
(else 401); then, for a signed request, the workspace the app is installed in (auth.test's
team) and response URLs on Slack's host only. Nothing here logs a refused body: an unsigned
request is anybody's, and its body can be as large as the server allows.
"""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from slack_bolt.middleware import Middleware
from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import build_context
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

from handlers.payloads import NotSlackBody, read_body
from handlers.webhook import is_slack_url

log = logging.getLogger("cancelbot.slack.trust")

VERIFIED = "cancelbot_verified"  # in a request's context once it proved it comes from Slack
MAX_AGE_SECONDS = 5 * 60  # Slack's own rule: a replayed request is refused after five minutes
# Slack's timestamps are whole seconds, and its signatures v0= with a SHA-256 in hex; anything
# else (a float, 1e9, a number too big for a clock, non-ASCII digits) is not Slack's
TIMESTAMP = re.compile(r"[0-9]{1,12}")
SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")

Headers = Mapping[str, "str | Sequence[str]"]


def refused(status: int = 401) -> BoltResponse:
    """The answer to a request the app will not act on: no detail for whoever sent it."""
    return BoltResponse(status=status, body={"error": "invalid request"})


def _single(headers: Headers, name: str) -> str | None:
    value = next((v for k, v in headers.items() if k.lower() == name), None)
    if isinstance(value, (list, tuple)):
        return value[0] if len(value) == 1 else None
    return value if isinstance(value, str) else None


def header_problem(headers: Headers, now: float) -> str | None:
    """Why the signature headers cannot be Slack's (missing, malformed, stale); None if they
    may be. Needs no secret, so the HTTP server asks before Bolt reads the body."""
    stamp = _single(headers, "x-slack-request-timestamp")
    signature = _single(headers, "x-slack-signature")
    if not stamp:
        return "no X-Slack-Request-Timestamp"
    if not TIMESTAMP.fullmatch(stamp):
        return "X-Slack-Request-Timestamp is not a whole number of seconds"
    if not signature:
        return "no X-Slack-Signature"
    if not SIGNATURE.fullmatch(signature):
        return "X-Slack-Signature is not v0= and 64 hex digits"
    if abs(now - int(stamp)) > MAX_AGE_SECONDS:
        return "signed more than five minutes away from now"
    return None


class SlackSignature(Middleware):
    """Bolt's request verification, made strict: every request that does not prove it comes
    from Slack gets 401 and goes no further (Bolt's own raises on a timestamp like `abc`, and
    then hands the unverified request to the error handler, and logs every body it refuses).
    Socket Mode requests come over Slack's own connection and carry no signature."""

    def __init__(self, signing_secret: str | None) -> None:
        secret = signing_secret or ""
        self.verifier = SignatureVerifier(secret) if secret.strip() else None

    def problem(self, req: BoltRequest) -> str | None:
        """Why req is not verified as Slack's; None when it is."""
        if self.verifier is None:
            return "SLACK_SIGNING_SECRET is not set"
        problem = header_problem(req.headers, self.verifier.clock.now())
        if problem:
            return problem
        stamp = _single(req.headers, "x-slack-request-timestamp")
        signature = _single(req.headers, "x-slack-signature")
        if not self.verifier.is_valid(req.raw_body, stamp, signature):
            return "signature does not match the body"
        try:
            read_body(req.raw_body, req.content_type)
        except NotSlackBody as exc:
            return str(exc)
        return None

    def process(self, *, req: BoltRequest, resp: BoltResponse,
                next: Callable[[], BoltResponse]) -> BoltResponse | None:
        if req.mode != "socket_mode":
            problem = self.problem(req)
            if problem:
                log.warning("refused a request not verified as Slack's (%s; %d characters)",
                            problem, len(req.raw_body))
                return refused()
            _as_slack_sent_it(req)
        req.context[VERIFIED] = True
        return next()


def _as_slack_sent_it(req: BoltRequest) -> None:
    """Bolt reads any form with "payload" somewhere in it (`/cancelled payload`, a channel so
    named) as a payload form, finds no payload field and sees an empty body: give it the form."""
    if not req.body:
        req.body = read_body(req.raw_body, req.content_type)
        build_context(req.context, req.body)


def team_ids(body: Mapping[str, Any]) -> Iterator[Any]:
    """Every workspace id a payload names: the command's, the click's or the modal's, and
    the user's."""
    if "team_id" in body:
        yield body["team_id"]
    team = body.get("team")
    if team is not None:
        yield team.get("id") if isinstance(team, dict) else team
    for part in ("user", "view"):
        inner = body.get(part)
        if isinstance(inner, dict) and "team_id" in inner:
            yield inner["team_id"]
    view = body.get("view")
    if isinstance(view, dict) and view.get("app_installed_team_id") is not None:
        yield view["app_installed_team_id"]


OTHER_WORKSPACE_TEXT = ("This app works only in the Slack workspace it is installed in; "
                        "nothing was done.")


class InstalledWorkspaceOnly(Middleware):
    """A signed request from a workspace other than the installed one (auth.test's team) is
    answered with a refusal and reaches no listener."""

    def process(self, *, req: BoltRequest, resp: BoltResponse,
                next: Callable[[], BoltResponse]) -> BoltResponse | None:
        authorized = req.context.authorize_result
        installed = authorized.team_id if authorized else None
        named = list(team_ids(req.body))
        if installed and named and all(team == installed for team in named):
            return next()
        log.warning("refused a request from workspace %s: the app is installed in %s",
                    ",".join(sorted({str(t)[:20] for t in named})) or "(none named)", installed)
        return BoltResponse(status=200, body=OTHER_WORKSPACE_TEXT)


def response_urls(body: Mapping[str, Any]) -> Iterator[Any]:
    """Every URL a payload offers for answers: its own, a modal's, and the one a modal keeps
    in private_metadata (handlers/requests/state.py, handlers/approvals/reject.py)."""
    if body.get("response_url") is not None:
        yield body["response_url"]
    for entry in body.get("response_urls") or []:
        yield entry.get("response_url") if isinstance(entry, dict) else entry
    view = body.get("view")
    metadata = view.get("private_metadata") if isinstance(view, dict) else None
    if isinstance(metadata, str) and metadata.startswith("{"):
        try:
            kept = json.loads(metadata)
        except (ValueError, RecursionError):
            return  # unreadable state is refused by the listener that reads it
        if isinstance(kept, dict) and kept.get("response_url") is not None:
            yield kept["response_url"]


class SlackResponseUrlsOnly(Middleware):
    """A request offering a response URL off Slack's host reaches no listener, so that no
    answer is ever posted there (hooks.slack.com, or SLACK_API_URL's host when it is set)."""

    def __init__(self, api_url: str | None) -> None:
        self.api_url = api_url

    def process(self, *, req: BoltRequest, resp: BoltResponse,
                next: Callable[[], BoltResponse]) -> BoltResponse | None:
        for url in response_urls(req.body):
            if not is_slack_url(url, self.api_url):
                log.warning("refused a request whose response URL is not Slack's: %.100r", url)
                return refused(400)
        return next()
