"""Settings read once from the environment; nothing else in the project reads os.environ."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from domain.status import StatusContext
from domain.window import DEFAULT_TIMEZONE, business_tz
from store.db import check_database_url, database_url

TRUE_WORDS = {"1", "true", "yes", "on"}
DEFAULT_RECOVERY_TIMEOUT_HOURS = 24.0
DEFAULT_JOB_BATCH = 16
DEFAULT_SALES_SITE_CONCURRENCY = 8
DEFAULT_FEED_SECONDS = 60.0


def _words(value: str | None) -> frozenset[str]:
    """A comma- or space-separated list, as a set of stripped words."""
    return frozenset(w for w in (value or "").replace(",", " ").split() if w)


class ConfigError(ValueError):
    """A setting that cannot be used; the message says which and why."""


def _check_http_url(name: str, value: str | None) -> None:
    if value and not value.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must be an http:// or https:// URL, not {value!r}")


def _recovery_timeout_hours(value: str | None) -> float:
    try:
        hours = float(value) if value else DEFAULT_RECOVERY_TIMEOUT_HOURS
    except ValueError:
        hours = 0.0
    if not 0 < hours < float("inf"):
        raise ConfigError("CANCELBOT_RECOVERY_TIMEOUT_HOURS must be a positive number of hours, "
                          f"not {value!r}")
    return hours


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    """A whole number of at least 1 from the variable name, or default when it is empty."""
    value = env.get(name)
    try:
        number = int(value) if value else default
    except ValueError:
        number = 0
    if number < 1:
        raise ConfigError(f"{name} must be a whole number of at least 1, not {value!r}")
    return number
def _feed_seconds(value: str | None) -> float:
    try:
        seconds = float(value) if value else DEFAULT_FEED_SECONDS
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise ConfigError(f"CANCELBOT_FEED_SECONDS must be a positive number of seconds, "
                          f"not {value!r}")
    return seconds


@dataclass(frozen=True)
class Settings:
    database_url: str
    timezone_name: str = DEFAULT_TIMEZONE
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str | None = None
    approvers: frozenset[str] = field(default_factory=frozenset)
    approval_channel: str | None = None
    allow_self_approval: bool = False
    poll_seconds: float = 5.0
    sales_site_api_url: str | None = None
    sites_not_ready: frozenset[str] = field(default_factory=frozenset)
    recovery_api_url: str | None = None  # Smartship's order service; None: cancelbot's book
    recovery_api_token: str | None = None
    recovery_timeout_hours: float = DEFAULT_RECOVERY_TIMEOUT_HOURS
    log_format: str = "text"  # CANCELBOT_LOG_FORMAT: text, or json (one object per line)
    job_batch: int = DEFAULT_JOB_BATCH  # jobs a worker claims, and finishes, per transaction
    sales_site_concurrency: int = DEFAULT_SALES_SITE_CONCURRENCY  # reads a worker makes at once
    order_feed_url: str | None = None  # Smartship's order feed; None: CSV imports only
    order_feed_token: str | None = None
    feed_seconds: float = DEFAULT_FEED_SECONDS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None,
                 defaults: Mapping[str, str] | None = None) -> Settings:
        """Settings from the environment (the names README's Configuration lists), checked;
        defaults give values for the variables the environment leaves empty."""
        env = dict(os.environ if environ is None else environ)
        for name, value in (defaults or {}).items():
            env[name] = env.get(name) or value
        try:
            poll = float(env.get("CANCELBOT_POLL_SECONDS") or 5)
        except ValueError:
            raise ConfigError("CANCELBOT_POLL_SECONDS must be a number of seconds") from None
        timeout_hours = _recovery_timeout_hours(env.get("CANCELBOT_RECOVERY_TIMEOUT_HOURS"))
        log_format = (env.get("CANCELBOT_LOG_FORMAT") or "text").strip().lower()
        if log_format not in ("text", "json"):
            raise ConfigError("CANCELBOT_LOG_FORMAT must be text or json")
        settings = cls(
            database_url=database_url(env),
            timezone_name=env.get("CANCELBOT_TIMEZONE") or DEFAULT_TIMEZONE,
            slack_bot_token=env.get("SLACK_BOT_TOKEN") or None,
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            slack_app_token=env.get("SLACK_APP_TOKEN") or None,
            slack_api_url=env.get("SLACK_API_URL") or None,
            approvers=_words(env.get("CANCELBOT_APPROVERS")),
            approval_channel=env.get("CANCELBOT_APPROVAL_CHANNEL") or None,
            allow_self_approval=(env.get("CANCELBOT_ALLOW_SELF_APPROVAL") or "").lower()
            in TRUE_WORDS,
            poll_seconds=poll,
            sales_site_api_url=env.get("SALES_SITE_API_URL") or None,
            sites_not_ready=frozenset(
                w.lower() for w in _words(env.get("CANCELBOT_SITES_NOT_READY"))),
            recovery_api_url=env.get("CANCELBOT_RECOVERY_API_URL") or None,
            recovery_api_token=env.get("CANCELBOT_RECOVERY_API_TOKEN") or None,
            recovery_timeout_hours=timeout_hours,
            log_format=log_format,
            job_batch=_count(env, "CANCELBOT_JOB_BATCH", DEFAULT_JOB_BATCH),
            sales_site_concurrency=_count(env, "CANCELBOT_SALES_SITE_CONCURRENCY",
                                          DEFAULT_SALES_SITE_CONCURRENCY),
            order_feed_url=env.get("CANCELBOT_ORDER_FEED_URL") or None,
            order_feed_token=env.get("CANCELBOT_ORDER_FEED_TOKEN") or None,
            feed_seconds=_feed_seconds(env.get("CANCELBOT_FEED_SECONDS")),
        )
        _ = settings.zone  # read now, to fail early on an unknown time zone
        try:
            check_database_url(settings.database_url)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        for name in ("SLACK_API_URL", "SALES_SITE_API_URL", "CANCELBOT_RECOVERY_API_URL",
                     "CANCELBOT_ORDER_FEED_URL"):
            _check_http_url(name, env.get(name))
        return settings

    @property
    def zone(self) -> tzinfo:
        try:
            return business_tz(self.timezone_name)
        except ValueError:
            raise ConfigError(
                f"CANCELBOT_TIMEZONE={self.timezone_name!r} is not a time zone; "
                "use an IANA name such as Asia/Seoul"
            ) from None

    def missing_for_slack(self) -> list[tuple[str, str]]:
        """What serving Slack needs and these settings lack, as (what is wrong, how to fix it):
        a bot token always, and a signing secret in HTTP mode (no SLACK_APP_TOKEN)."""
        missing = []
        if not self.slack_bot_token:
            missing.append(("SLACK_BOT_TOKEN is not set",
                            "give it the Bot User OAuth Token (xoxb-...) shown under OAuth & "
                            "Permissions once the app is installed in the workspace"))
        if not self.slack_app_token and not self.slack_signing_secret:
            missing.append(("SLACK_SIGNING_SECRET is not set, and HTTP mode (SLACK_APP_TOKEN is "
                             "not set) needs it to check that requests come from Slack",
                             "copy the Signing Secret from the app's Basic Information page, "
                             "or set SLACK_APP_TOKEN (xapp-...) to use Socket Mode"))
        return missing

    def status_context(self, now: datetime | None = None) -> StatusContext:
        """The clock, zone and not-ready sites the use cases need, at now (default: the clock)."""
        return StatusContext(now or datetime.now(UTC), self.zone, self.sites_not_ready)
