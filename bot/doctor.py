"""The checks of `cancelbot doctor`: each says what it found and, when something is wrong,
what to do about it."""
from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from slack_sdk import WebClient
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from bot.commands.problems import database_unusable, never_connected, reason, unreachable_fix
from bot.composition import Store, http_recovery_service
from bot.config import Settings
from bot.manifest import SCOPE_USES
from domain.errors import RecoveryServiceUnavailable, SalesSiteUnavailable
from handlers.approvers import is_group_id
from handlers.slack_client import call_failure, header
from store.migrate import current_revision, head_revision
from store.models import JobRow, SalesOrderRow

PROBE_TIMEOUT = 5.0  # seconds doctor waits for a service it checks

SCOPES_FIX = ("add the missing scopes under OAuth & Permissions (manifest.yml lists them), "
              "then reinstall the app to the workspace and use the new bot token")


class Level(enum.Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Finding:
    """One thing checked: where, how it went, what was seen, and the fix when it failed."""

    area: str
    level: Level
    detail: str
    fix: str = ""


def ok(area: str, detail: str) -> Finding:
    return Finding(area, Level.OK, detail)


def warn(area: str, detail: str, fix: str = "") -> Finding:
    return Finding(area, Level.WARN, detail, fix)


def fail(area: str, detail: str, fix: str) -> Finding:
    return Finding(area, Level.FAIL, detail, fix)


def check_settings(settings: Settings) -> list[Finding]:
    """Settings that are readable yet cannot work: missing token, secret or approvers."""
    found = [ok("configuration", f"time zone {settings.timezone_name}, "
                f"polling every {settings.poll_seconds:g} s")]
    found += [fail("configuration", what, fix) for what, fix in settings.missing_for_slack()]
    if not settings.approvers:
        found.append(fail("configuration", "CANCELBOT_APPROVERS is empty: nobody can approve",
                          "list approvers' user IDs (U…) and/or user-group IDs (S…)"))
    if not settings.approval_channel:
        found.append(warn("configuration", "CANCELBOT_APPROVAL_CHANNEL is not set: requests "
                          "go to the channel where they are made, and there is no digest",
                          "set it to the approval channel's ID (C…)"))
    return found


def check_database(engine: Engine) -> list[Finding]:
    """Reachable, and migrated to the newest revision."""
    try:
        current, head = current_revision(engine), head_revision()
    except DBAPIError as exc:
        if never_connected(exc):
            return [fail("database", f"cannot be reached ({reason(exc)})",
                         unreachable_fix(exc))]
        return [fail("database", database_unusable(exc, upgrade_hint=False),
                     "run `cancelbot db upgrade`, or check that DATABASE_URL names this "
                     "project's database")]
    if current != head:
        return [fail("database", f"at revision {current or 'none (empty)'}, not {head}",
                     "run `cancelbot db upgrade`")]
    return [ok("database", f"reachable and at revision {head}")]


def check_slack(settings: Settings, client: WebClient, wanted: frozenset[str]) -> list[Finding]:
    """The token, its scopes, Socket Mode, the approval channel and the approvers."""
    try:
        answer = client.auth_test()
    except Exception as exc:  # every failure is reported; none of them should stop the others
        return [fail("slack token", _reason(exc, "auth.test"),
                     "set SLACK_BOT_TOKEN to the Bot User OAuth Token of the installed app "
                     "(and SLACK_API_URL only when Slack is reached through a proxy)")]
    found = [ok("slack token", f"bot {answer.get('user')} in workspace {answer.get('team')}")]
    if wanted:  # empty when the manifest could not be read, which is a finding of its own
        found.append(_scopes(header(answer.headers, "X-OAuth-Scopes"), wanted))
    if settings.slack_app_token:
        found.append(_socket_mode(client, settings.slack_app_token))
    if settings.approval_channel:
        found.append(_channel(client, settings.approval_channel))
    found += [_approver(client, ident) for ident in sorted(settings.approvers)]
    return found


def _scopes(granted_header: str | None, wanted: frozenset[str]) -> Finding:
    if granted_header is None:
        return warn("slack scopes", "Slack did not say which scopes the token has")
    granted = {s.strip() for s in granted_header.split(",") if s.strip()}
    missing = sorted(wanted - granted)
    if missing:
        named = ", ".join(f"{s} ({SCOPE_USES[s]})" if s in SCOPE_USES else s for s in missing)
        return fail("slack scopes", f"missing {named}", SCOPES_FIX)
    return ok("slack scopes", f"all {len(wanted)} scopes of manifest.yml granted")


def _socket_mode(client: WebClient, app_token: str) -> Finding:
    try:
        client.apps_connections_open(app_token=app_token)
    except Exception as exc:
        return fail("socket mode", _reason(exc, "apps.connections.open"),
                    "turn Socket Mode on and set SLACK_APP_TOKEN to an app-level token "
                    "(xapp-…) with connections:write")
    return ok("socket mode", "the app token opens connections")


def _channel(client: WebClient, channel: str) -> Finding:
    try:
        client.conversations_history(channel=channel, limit=1)
    except Exception as exc:
        fix = {"not_in_channel": f"invite the bot: type `/invite @cancelbot` in {channel}",
               "channel_not_found": "use the channel's ID (C…, from the channel's details), "
                                    "not its name; for a private channel invite the bot first"}
        code = _code(exc)
        return fail("approval channel", _reason(exc, "conversations.history"),
                    fix.get(code, "check CANCELBOT_APPROVAL_CHANNEL"))
    return ok("approval channel", f"the bot is a member of {channel}")


def _approver(client: WebClient, ident: str) -> Finding:
    if ident[:1] in ("U", "W"):
        return ok("approvers", f"{ident} (a user ID)")
    if not is_group_id(ident):
        return fail("approvers", f"{ident} is neither a user ID (U…, W…) nor a user-group ID (S…)",
                    "copy the ID from the person's profile or the group's page")
    try:
        members = client.usergroups_users_list(usergroup=ident).get("users") or []
    except Exception as exc:
        return fail("approvers", f"{ident}: {_reason(exc, 'usergroups.users.list')}",
                    "check the user-group ID and that the app has usergroups:read")
    if not members:
        return warn("approvers", f"{ident} has no members", "add people to the group")
    return ok("approvers", f"{ident} (a user group of {len(members)})")


def check_sales_site(settings: Settings, store: Store) -> list[Finding]:
    """The HTTP adapter answers, or the embedded one has sales orders to read."""
    if settings.sales_site_api_url:
        try:
            store.sales_site.fetch("doctor", "probe")
        except SalesSiteUnavailable as exc:
            return [fail("sales site", f"{settings.sales_site_api_url}: {exc}",
                         "check SALES_SITE_API_URL and that the API is up")]
        return [ok("sales site", f"{settings.sales_site_api_url} answers")]
    return _embedded_sales_orders(store.engine)


def _embedded_sales_orders(engine: Engine) -> list[Finding]:
    try:
        with Session(engine) as session:
            count = session.scalar(select(func.count()).select_from(SalesOrderRow)) or 0
    except DBAPIError:
        return []  # the database finding already says why
    if count == 0:
        return [warn("sales site", "embedded, with no sales orders: every resync will fail "
                     "as not found", "import them with `cancelbot import sales-orders FILE.csv`, "
                     "or set SALES_SITE_API_URL")]
    return [ok("sales site", f"embedded, {count:,} sales orders")]


def check_recovery_service(settings: Settings, engine: Engine) -> list[Finding]:
    """Who carries recoveries out: the order service answers (with the token), or cancelbot's
    own book; and no job waits on a service nobody asks any more."""
    url = settings.recovery_api_url
    service = http_recovery_service(settings, timeout=PROBE_TIMEOUT)
    if service is None:
        found = [ok("recovery service", "cancelbot's own book (CANCELBOT_RECOVERY_API_URL is "
                    "not set)")]
        if settings.recovery_api_token:
            found.append(warn("recovery service", "CANCELBOT_RECOVERY_API_TOKEN is set but "
                              "CANCELBOT_RECOVERY_API_URL is not, so the token is not used",
                              "set CANCELBOT_RECOVERY_API_URL to use Smartship's order service"))
    else:
        try:
            service.probe()
            found = [ok("recovery service", f"{url} answers")]
        except RecoveryServiceUnavailable as exc:
            found = [fail("recovery service", f"{url}: {exc}",
                          "check CANCELBOT_RECOVERY_API_URL, CANCELBOT_RECOVERY_API_TOKEN and "
                          "that the order service is up")]
    return found + _waiting_jobs(settings, engine)


def _waiting_jobs(settings: Settings, engine: Engine) -> list[Finding]:
    try:
        with Session(engine) as session:
            waiting = session.scalars(select(JobRow).where(JobRow.state == "waiting")
                                      .order_by(JobRow.waiting_since)).all()
    except DBAPIError:
        return []  # the database finding already says why
    if not waiting:
        return []
    if not settings.recovery_api_url:
        return [fail("recovery service", f"{len(waiting)} job(s) wait on the order service, "
                     "but CANCELBOT_RECOVERY_API_URL is not set, so nobody asks about them",
                     "set CANCELBOT_RECOVERY_API_URL and its token as when they were sent")]
    errors = [row for row in waiting if row.service_errors]
    if not errors:
        return [ok("recovery service", f"{len(waiting)} job(s) waiting on it")]
    return [warn("recovery service", f"{len(errors)} of {len(waiting)} waiting job(s) got no "
                 f"usable answer last time; job {errors[0].id}: {errors[0].last_error}",
                 "`cancelbot jobs` lists them; they are asked again with backoff and fail "
                 "after CANCELBOT_RECOVERY_TIMEOUT_HOURS")]


def _code(exc: Exception) -> str:
    data = getattr(getattr(exc, "response", None), "data", None)
    return data.get("error", "") if isinstance(data, dict) else ""


def _reason(exc: Exception, method: str) -> str:
    failure = call_failure(exc, method)
    return failure.error if failure else f"{method}: {type(exc).__name__}: {exc}"


def failed(findings: Iterable[Finding]) -> bool:
    """Whether any finding is a failure."""
    return any(f.level is Level.FAIL for f in findings)
